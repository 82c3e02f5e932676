// Library versions a project pins (requirements*.txt, pyproject.toml, poetry.lock, uv.lock),
// so defaults that changed between releases are the ones the project gets.
import * as path from 'path';
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
