// Library versions a project pins (requirements*.txt, pyproject.toml, poetry.lock, uv.lock),
// so defaults that changed between releases are the ones the project gets.
import * as path from 'path';
import * as YAML from 'yaml';
import type { ReadFile } from './envfiles';

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((x) => parseInt(x, 10));
  const pb = b.split(/[.+-]/).map((x) => parseInt(x, 10));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.isNaN(pa[i]) || pa[i] === undefined ? 0 : pa[i];
    const y = Number.isNaN(pb[i]) || pb[i] === undefined ? 0 : pb[i];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

const PYTHON_PACKAGES: [string, string][] = [
  ['sqlalchemy', 'sqlalchemy'],
  ['flask-sqlalchemy', 'flask[-_]sqlalchemy'],
  ['django', 'django'],
  ['asyncpg', 'asyncpg'],
  ['psycopg-pool', 'psycopg[-_]pool'],
];

const FILES = ['requirements.txt', 'requirements/base.txt', 'requirements/prod.txt', 'pyproject.toml', 'poetry.lock', 'uv.lock', 'Pipfile.lock'];

/** Exact pins (`==`), or lock-file versions, of the libraries whose defaults depend on the version. */
export function pinnedVersions(root: string, read: ReadFile): Map<string, { version: string; source: string }> {
  const out = new Map<string, { version: string; source: string }>();
  for (const rel of FILES) {
    const file = path.join(root, rel);
    const text = read(file);
    if (text === undefined) continue;
    // package name -> its spelling in requirements and lock files (pip treats - and _ alike)
    for (const [lib, spelled] of PYTHON_PACKAGES) {
      if (out.has(lib)) continue;
      const pin = new RegExp(`^\\s*["']?${spelled}(?:\\[[^\\]]*\\])?\\s*==\\s*([0-9][0-9.]*)`, 'im').exec(text);
      const lock = new RegExp(`name\\s*=\\s*"${spelled}"\\s*\\n\\s*version\\s*=\\s*"([0-9][0-9.]*)"`, 'i').exec(text);
      const m = pin ?? lock;
      if (m) out.set(lib, { version: m[1], source: rel });
    }
  }
  for (const [k, v] of cargoVersions(root, read)) if (!out.has(k)) out.set(k, v);
  return out;
}

/**
 * Rust crates (sqlx): the resolved version from Cargo.lock, else the requirement in Cargo.toml
 * (`sqlx = "0.8"`, `sqlx = { version = "0.7.4", .. }`, `[dependencies.sqlx] version = ..`), at the
 * workspace root. Added to what pinnedVersions found; Python pins are left as they are.
 */
export function cargoVersions(root: string, read: ReadFile, crates: string[] = ['sqlx']): Map<string, { version: string; source: string }> {
  const out = new Map<string, { version: string; source: string }>();
  const lock = read(path.join(root, 'Cargo.lock'));
  const manifest = read(path.join(root, 'Cargo.toml'));
  for (const crate of crates) {
    const name = crate.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const locked = lock !== undefined ? new RegExp(`^name\\s*=\\s*"${name}"\\s*\\r?\\nversion\\s*=\\s*"([0-9][0-9A-Za-z.+-]*)"`, 'm').exec(lock) : null;
    if (locked) {
      out.set(crate, { version: locked[1], source: 'Cargo.lock' });
      continue;
    }
    if (manifest === undefined) continue;
    const req =
      new RegExp(`^\\s*${name}\\s*=\\s*"[=^~]?\\s*([0-9][0-9.]*)`, 'm').exec(manifest) ??
      new RegExp(`^\\s*${name}\\s*=\\s*\\{[^}]*?\\bversion\\s*=\\s*"[=^~]?\\s*([0-9][0-9.]*)`, 'm').exec(manifest) ??
      new RegExp(`^\\[(?:workspace\\.)?dependencies\\.${name}\\][^\\[]*?^\\s*version\\s*=\\s*"[=^~]?\\s*([0-9][0-9.]*)`, 'm').exec(manifest);
    if (req) out.set(crate, { version: req[1], source: 'Cargo.toml' });
  }
  return out;
}

/** A default's version label: the version found, else the one assumed. */
export function versionLabel(v: { version: string; source: string }, assumed: string): string {
  return v.source === 'assumed' ? assumed : v.version;
}

/** The folders from the file's own up to the workspace root, nearest first (none outside the root). */
function foldersUp(file: string, root: string): string[] {
  const top = path.resolve(root);
  const out: string[] = [];
  let dir = path.dirname(path.resolve(file));
  if (path.relative(top, dir).startsWith('..')) return out;
  for (;;) {
    out.push(dir);
    const up = path.dirname(dir);
    if (dir === top || up === dir) break;
    dir = up;
  }
  return out;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

export interface VersionSource {
  file: string;
  root: string;
  read: ReadFile;
  rel(file: string): string;
}

/** The dependency ranges a package.json declares (all four kinds), or undefined when it is not JSON. */
function declared(text: string): Record<string, unknown> | undefined {
  try {
    const pkg = JSON.parse(text) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of ['peerDependencies', 'optionalDependencies', 'devDependencies', 'dependencies']) {
      const deps = pkg[k];
      if (deps && typeof deps === 'object') Object.assign(out, deps);
    }
    return out;
  } catch {
    return undefined;
  }
}

/**
 * The version of an npm package for a source file: the nearest package.json that declares it, then
 * the installed copy (node_modules/<name>/package.json), the locked one (package-lock.json v1-3,
 * pnpm-lock.yaml v5-v9, yarn.lock) from that folder up, else the range package.json asks for. Undefined when no
 * package.json up to the root names it.
 */
export function npmVersion(src: VersionSource, names: string[]): { version: string; source: string } | undefined {
  const dirs = foldersUp(src.file, src.root);
  for (let i = 0; i < dirs.length; i++) {
    const manifest = path.join(dirs[i], 'package.json');
    const text = src.read(manifest);
    if (text === undefined) continue;
    const deps = declared(text);
    const name = deps && names.find((n) => typeof deps[n] === 'string');
    if (!name) continue;
    for (const dir of dirs.slice(i)) {
      const installed = path.join(dir, 'node_modules', name, 'package.json');
      const it = src.read(installed);
      if (it !== undefined) {
        const v = /"version"\s*:\s*"([^"]+)"/.exec(it);
        if (v) return { version: v[1], source: src.rel(installed) };
      }
      const lockFile = path.join(dir, 'package-lock.json');
      const lock = src.read(lockFile);
      if (lock !== undefined) {
        // v2/v3: "packages" keyed by install path (a workspace package's own node_modules first); v1: "dependencies"
        const sub = path.relative(dir, dirs[i]).split(path.sep).join('/');
        const keys = [...(sub ? [`${sub}/node_modules/${name}`] : []), `node_modules/${name}`];
        for (const key of keys) {
          const m = new RegExp(`"${esc(key)}"\\s*:\\s*\\{[^{}]*?"version"\\s*:\\s*"([^"]+)"`).exec(lock);
          if (m) return { version: m[1], source: src.rel(lockFile) };
        }
        const v1 = new RegExp(`"dependencies"\\s*:\\s*\\{[\\s\\S]*?"${esc(name)}"\\s*:\\s*\\{\\s*"version"\\s*:\\s*"([^"]+)"`).exec(lock);
        if (v1) return { version: v1[1], source: src.rel(lockFile) };
      }
      const pnpmFile = path.join(dir, 'pnpm-lock.yaml');
      const pnpm = src.read(pnpmFile);
      if (pnpm !== undefined) {
        const v = pnpmLocked(pnpm, path.relative(dir, dirs[i]).split(path.sep).join('/') || '.', name);
        if (v) return { version: v, source: src.rel(pnpmFile) };
      }
      const yarnFile = path.join(dir, 'yarn.lock');
      const yarn = src.read(yarnFile);
      if (yarn !== undefined) {
        const m = new RegExp(`^"?${esc(name)}@[^\\n]*:\\r?\\n(?:[ \\t]+[^\\n]*\\r?\\n)*?[ \\t]+version:?\\s+"?([^"\\s]+)"?`, 'm').exec(yarn);
        if (m) return { version: m[1], source: src.rel(yarnFile) };
      }
    }
    const range = String(deps![name]);
    return { version: range, source: `${src.rel(manifest)} (the range it asks for: no lock file or installed copy)` };
  }
  return undefined;
}

/** The last pnpm-lock.yaml parsed (a workspace has one, asked about for every pool): its text and data. */
let pnpmMemo: { text: string; data: unknown } | undefined;

/**
 * The version pnpm-lock.yaml locks `name` at for the package in folder `importer` (relative to the
 * lock, '.' for the root): lockfile v9 and v6 with `importers:` (workspaces) or without (v6: top-level
 * `dependencies:` of `{specifier, version}`), and v5 (`dependencies: {name: version}`). The peer
 * suffix (`8.11.3(pg-native@3.0.1)`, v5's `8.11.3_pg-native@3.0.1`) is dropped; a `link:` to a
 * workspace folder is no version. Undefined when the lock does not say, or is not YAML.
 */
export function pnpmLocked(text: string, importer: string, name: string): string | undefined {
  if (pnpmMemo?.text !== text) {
    let data: unknown;
    try {
      data = YAML.parse(text, { maxAliasCount: 100, uniqueKeys: false });
    } catch {
      data = undefined;
    }
    pnpmMemo = { text, data };
  }
  const lock = pnpmMemo.data as Record<string, unknown> | undefined;
  if (!lock || typeof lock !== 'object') return undefined;
  const importers = lock.importers as Record<string, Record<string, unknown>> | undefined;
  const section = importers && typeof importers === 'object' ? importers[importer] : importer === '.' ? lock : undefined;
  if (!section || typeof section !== 'object') return undefined;
  for (const kind of ['dependencies', 'devDependencies', 'optionalDependencies']) {
    const deps = section[kind] as Record<string, unknown> | undefined;
    const entry = deps && typeof deps === 'object' ? deps[name] : undefined;
    const raw = typeof entry === 'string' || typeof entry === 'number' ? String(entry) : entry && typeof entry === 'object' ? (entry as { version?: unknown }).version : undefined;
    if (typeof raw !== 'string' && typeof raw !== 'number') continue;
    const version = String(raw).replace(/[(_].*$/, '');
    if (/^\d+\.\d+/.test(version)) return version;
  }
  return undefined;
}

/** The Go module a file belongs to: the nearest go.mod from its folder up, its folder and its module path. */
export function goModule(src: VersionSource): { dir: string; module: string } | undefined {
  for (const dir of foldersUp(src.file, src.root)) {
    const text = src.read(path.join(dir, 'go.mod'));
    if (text === undefined) continue;
    const m = /^module\s+("?)([^\s"]+)\1\s*$/m.exec(text.replace(/\/\/[^\n]*/g, ''));
    return m ? { dir, module: m[2] } : undefined;
  }
  return undefined;
}

/**
 * Go: the nearest go.mod from the file up. `module` undefined asks for the Go version itself (the
 * `go` directive, or `toolchain` when it is newer: the standard library's database/sql is the
 * toolchain's); else the version of that module on a require line or in a require block.
 */
export function goModVersion(src: VersionSource, module?: string): { version: string; source: string } | undefined {
  for (const dir of foldersUp(src.file, src.root)) {
    const file = path.join(dir, 'go.mod');
    const text = src.read(file);
    if (text === undefined) continue;
    const code = text.replace(/\/\/[^\n]*/g, '');
    if (module === undefined) {
      const go = /^go\s+(\d+\.\d+(?:\.\d+)?)\s*$/m.exec(code)?.[1];
      const tc = /^toolchain\s+go(\d+\.\d+(?:\.\d+)?)\S*\s*$/m.exec(code)?.[1];
      const v = tc && (!go || compareVersions(tc, go) > 0) ? { v: tc, how: 'toolchain' } : go ? { v: go, how: 'go directive' } : undefined;
      return v ? { version: `Go ${v.v}`, source: `${src.rel(file)} (${v.how})` } : undefined;
    }
    const m = new RegExp(`^\\s*(?:require\\s+)?${esc(module)}\\s+(v[0-9][\\w.+-]*)`, 'm').exec(code);
    if (m) return { version: m[1], source: src.rel(file) };
    // the nearest go.mod is the module's own: a requirement further up is another module's
    return undefined;
  }
  return undefined;
}

/**
 * HikariCP for a Spring Boot config file: the nearest pom.xml or build.gradle(.kts) from the file up
 * that names it (com.zaxxer:HikariCP with a version), else the Spring Boot version that manages it
 * (spring-boot-starter-parent, the org.springframework.boot plugin). Property references
 * (`${hikari.version}`) are not followed.
 */
export function hikariVersion(src: VersionSource): { version: string; source: string } | undefined {
  for (const dir of foldersUp(src.file, src.root)) {
    for (const name of ['pom.xml', 'build.gradle', 'build.gradle.kts']) {
      const file = path.join(dir, name);
      const text = src.read(file);
      if (text === undefined) continue;
      const code = name === 'pom.xml' ? text.replace(/<!--[\s\S]*?-->/g, '') : text.replace(/\/\/[^\n]*/g, '');
      const own = name === 'pom.xml'
        ? /<artifactId>\s*HikariCP\s*<\/artifactId>\s*<version>\s*([0-9][\w.-]*)\s*<\/version>/.exec(code)
        : /["']com\.zaxxer:HikariCP:([0-9][\w.-]*)["']/.exec(code);
      if (own) return { version: own[1], source: src.rel(file) };
      const boot = name === 'pom.xml'
        ? /<parent>[\s\S]*?<artifactId>\s*spring-boot-(?:starter-parent|dependencies)\s*<\/artifactId>\s*<version>\s*([0-9][\w.-]*)\s*<\/version>[\s\S]*?<\/parent>/.exec(code) ??
          /<artifactId>\s*spring-boot-dependencies\s*<\/artifactId>\s*<version>\s*([0-9][\w.-]*)\s*<\/version>/.exec(code)
        : /id\s*\(?\s*["']org\.springframework\.boot["']\s*\)?\s*version\s*["']([0-9][\w.-]*)["']/.exec(code);
      if (boot) return { version: `the version Spring Boot ${boot[1]} manages`, source: src.rel(file) };
    }
  }
  return undefined;
}
