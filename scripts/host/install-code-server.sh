#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3, the last release that runs on Node 20) into a cache
# folder outside the project, for `npm run test:host`. Reused when already there. Offline-safe on a
# Debian machine that reaches only the npm registry and apt (see docs in README "Testing"):
# - Debian packages: chromium (the browser the test drives), libkrb5-dev + build-essential +
#   pkg-config (code-server's kerberos module compiles from source when its prebuilt download
#   fails), ripgrep (seeds @vscode/ripgrep, whose postinstall would download from GitHub);
# - npm_config_unsafe_perm for running as root, npm_config_yes so node-pty's `npx node-gyp` does not
#   stop to ask.
# Prints the path of the code-server launcher on its last line.
set -euo pipefail

VERSION=4.100.3
CACHE="${POOL_LINT_HOST_CACHE:-${HOME:-/root}/.cache/pool-lint-host}"
DEST="$CACHE/code-server-$VERSION"
BIN="$DEST/node_modules/.bin/code-server"
log() { echo "[install-code-server] $*" >&2; }

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v rg >/dev/null || need_apt+=(ripgrep)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
{ command -v make >/dev/null && command -v g++ >/dev/null; } || need_apt+=(build-essential)
[ -f /usr/include/gssapi/gssapi.h ] || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y --no-install-recommends "${need_apt[@]}" >&2
fi

mkdir -p "$CACHE"
# One installer at a time (two test runs starting together share the cache).
exec 9>"$CACHE/.lock"
command -v flock >/dev/null && flock 9

if [ -f "$DEST/.installed" ] && [ -x "$BIN" ]; then
  log "reusing $DEST"
  echo "$BIN"
  exit 0
fi

STAGE="$(mktemp -d "$CACHE/stage.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/tmp" "$STAGE/npm-cache"

# @vscode/ripgrep looks for its download in $TMPDIR/vscode-ripgrep-cache-<its version>/ first:
# put Debian's rg there under the name it would download, for the versions code-server has used.
RG="$(command -v rg)"
mkdir -p "$STAGE/rg"
cp "$RG" "$STAGE/rg/rg"
for seed in 1.15.11:v13.0.0-10 1.15.10:v13.0.0-10 1.15.9:v13.0.0-10 1.15.14:v13.0.0-13; do
  pkgver="${seed%%:*}"; rgver="${seed#*:}"
  mkdir -p "$STAGE/tmp/vscode-ripgrep-cache-$pkgver"
  tar -czf "$STAGE/tmp/vscode-ripgrep-cache-$pkgver/ripgrep-$rgver-x86_64-unknown-linux-musl.tar.gz" -C "$STAGE/rg" rg
done

mkdir -p "$STAGE/pkg"
echo '{"name":"pool-lint-code-server-host","private":true}' > "$STAGE/pkg/package.json"
log "npm install code-server@$VERSION (one-time, about 2 minutes)"
(
  cd "$STAGE/pkg"
  TMPDIR="$STAGE/tmp" npm_config_yes=true npm_config_unsafe_perm=true \
    npm_config_cache="$STAGE/npm-cache" npm_config_update_notifier=false \
    npm install --no-audit --no-fund --loglevel=error "code-server@$VERSION" >&2
)
# code-server writes a default config on any start: keep that inside the stage.
mkdir -p "$STAGE/home"
got="$(HOME="$STAGE/home" XDG_CONFIG_HOME="$STAGE/home/.config" XDG_DATA_HOME="$STAGE/home/.local/share" \
  "$STAGE/pkg/node_modules/.bin/code-server" --version 2>&1 || true)"
if ! grep -q "^$VERSION " <<<"$got"; then
  log "code-server did not install: '--version' printed: $got"
  exit 1
fi
got="$(grep "^$VERSION " <<<"$got" | head -n 1)"
rm -rf "$DEST"
mv "$STAGE/pkg" "$DEST"
touch "$DEST/.installed"
log "installed $got into $DEST"
echo "$BIN"
