// Bundles the CLI, the language server and the VS Code client into dist/ with esbuild and copies the tree-sitter runtime and grammars beside it.
import { build } from 'esbuild';
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const wasmSrc = path.dirname(require.resolve('@vscode/tree-sitter-wasm'));
mkdirSync('dist/wasm', { recursive: true });
for (const f of ['tree-sitter.wasm', 'tree-sitter-python.wasm', 'tree-sitter-rust.wasm', 'tree-sitter-typescript.wasm', 'tree-sitter-tsx.wasm', 'tree-sitter-javascript.wasm', 'tree-sitter-go.wasm']) {
  copyFileSync(path.join(wasmSrc, f), path.join('dist/wasm', f));
}
// The build's identity for the analysis cache (server/src/engine/cache.ts): a hash of every source
// the bundles are made from and the lock file, so a cache written by another build is never read.
const buildHash = createHash('sha1');
const hashTree = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) hashTree(full);
    else if (/\.(ts|json)$/.test(e.name)) buildHash.update(`${full}\0`).update(readFileSync(full));
  }
};
hashTree('server/src');
hashTree('rules');
buildHash.update(readFileSync('package-lock.json'));
const buildId = `${pkg.version}-${buildHash.digest('hex').slice(0, 16)}`;
// One esbuild run per bundle (a list, so each bundle is one entry); vscode is the editor's own.
const entries = [
  // better-sqlite3 loads its native addon from node_modules; pg-native is pg's optional binding
  { name: 'cli', entry: 'server/src/cli.ts', external: ['better-sqlite3', 'pg-native'] },
  // `pool-lint probe`: loaded by cli.js from beside it, so a check never parses the probe's code
  { name: 'probe-cli', entry: 'server/src/probe/cli.ts', external: ['better-sqlite3', 'pg-native'] },
  // the PostgreSQL probe's load threads start this file (beside cli.js) as their entry
  { name: 'pg-load', entry: 'server/src/probe/pg-load.ts', external: ['pg-native'] },
  { name: 'server', entry: 'server/src/lsp/main.ts' },
  { name: 'extension', entry: 'client/src/extension.ts', external: ['vscode'] },
];
for (const e of entries) {
  await build({
    entryPoints: { [e.name]: e.entry },
    outdir: 'dist',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    minify: false,
    external: e.external ?? [],
    define: { POOL_LINT_VERSION: JSON.stringify(pkg.version), __POOL_LINT_BUILD__: JSON.stringify(buildId) },
    logLevel: 'warning',
  });
}
chmodSync('dist/cli.js', 0o755);
chmodSync('dist/server.js', 0o755);

// better-sqlite3 for the SQLite probe in the VSIX (which carries no node_modules): its JavaScript,
// its package.json and the addon compiled for this Node, with the ABI it was built for, so the
// extension can pick a Node runtime that loads it (the probe passes the addon as nativeBinding).
const sqliteRoot = path.dirname(require.resolve('better-sqlite3/package.json'));
const sqliteOut = 'dist/native/better-sqlite3';
rmSync(sqliteOut, { recursive: true, force: true });
mkdirSync(path.join(sqliteOut, 'build', 'Release'), { recursive: true });
cpSync(path.join(sqliteRoot, 'lib'), path.join(sqliteOut, 'lib'), { recursive: true });
copyFileSync(path.join(sqliteRoot, 'package.json'), path.join(sqliteOut, 'package.json'));
copyFileSync(path.join(sqliteRoot, 'build', 'Release', 'better_sqlite3.node'), path.join(sqliteOut, 'build', 'Release', 'better_sqlite3.node'));
const sqlitePkg = JSON.parse(readFileSync(path.join(sqliteRoot, 'package.json'), 'utf8'));
writeFileSync(
  path.join(sqliteOut, 'abi.json'),
  JSON.stringify({ module: 'better-sqlite3', version: sqlitePkg.version, modules: process.versions.modules, node: process.version, platform: process.platform, arch: process.arch }, null, 2) + '\n',
);
