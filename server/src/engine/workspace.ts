// The workspace walk: .gitignore (nested ones too) respected, vendored and build folders skipped,
// binaries and files over 2 MB skipped and counted, symlinks to folders not followed (no loops),
// unreadable entries reported with their path.
import * as fs from 'fs';
import * as path from 'path';
import ignore, { type Ignore } from 'ignore';
import type { FileProblem } from './model';
import type { LanguageId } from './syntax';
import { isComposeFile } from './deployment';
import { isSpringConfigFile } from './spring-config';

export const MAX_FILE_BYTES = 2 * 1024 * 1024;
const SKIP_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', '.venv', 'venv', 'env', '.tox', '.nox', 'target', '__pycache__', '.mypy_cache', '.pytest_cache', '.ruff_cache', 'site-packages', 'dist', 'build', '.next', 'out']);

export interface WalkStats {
  files: number;
  skippedLarge: string[];
  skippedBinary: string[];
}

/** By file extension (case as written: `X.PY` is not Python). */
const LANGUAGES: Record<string, LanguageId> = { py: 'python', rs: 'rust', tsx: 'tsx', ts: 'typescript', mts: 'typescript', cts: 'typescript', js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascript', go: 'go' };

/**
 * The grammar a source file is parsed with; undefined for config and env files, type
 * declarations (`.d.ts`) and Go tests (a `_test.go` file's pools serve tests, not traffic). Asked
 * several times per file per scan, so it reads the extension rather than matching patterns.
 */
export function languageOf(file: string): LanguageId | undefined {
  const dot = file.lastIndexOf('.');
  if (dot < 0) return undefined;
  const ext = file.slice(dot + 1);
  if (!Object.hasOwn(LANGUAGES, ext)) return undefined; // also a dot in a folder name: 'v1.2/Makefile'
  if (ext === 'ts' && file.endsWith('.d.ts')) return undefined;
  if (ext === 'go' && file.endsWith('_test.go')) return undefined;
  return LANGUAGES[ext];
}

export function isEnvFile(base: string): boolean {
  return base === '.env' || base.startsWith('.env.') || base.endsWith('.env');
}

/**
 * An application config in YAML (read by the text detectors): not a compose file, nothing under
 * .github/. Kubernetes manifests are told apart by their text, by the detector's own `matches`.
 */
export function isAppConfigYaml(file: string): boolean {
  return /\.ya?ml$/i.test(file) && !isComposeFile(file) && !file.split(/[\\/]/).includes('.github');
}

export function isCandidate(file: string): boolean {
  return languageOf(file) !== undefined || isEnvFile(path.basename(file)) || isComposeFile(file) || isAppConfigYaml(file) || /\.prisma$/i.test(file) || isSpringConfigFile(file) || /(^|[\\/])config[\\/]config\.json$/i.test(file);
}

interface IgnoreLayer {
  dir: string;
  ig: Ignore;
}

function kindOf(st: fs.Stats): string {
  return st.isFIFO() ? 'a named pipe' : st.isSocket() ? 'a socket' : st.isDirectory() ? 'a folder' : 'a device';
}

export function walk(roots: string[], exclude: string[], problems: FileProblem[]): { files: string[]; stats: WalkStats } {
  const stats: WalkStats = { files: 0, skippedLarge: [], skippedBinary: [] };
  const out: string[] = [];
  const seen = new Set<string>();
  const visitFile = (file: string, explicit: boolean, dirent = false) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!explicit && !isCandidate(file)) return;
    if (!explicit && dirent) {
      // A regular file by its directory entry: no stat here. Its size is checked when it is read
      // (readText's fstat on the open file, as readFileSync does it), so a file over 2 MB is
      // still never read; a stat per file was a fifth of a warm scan's reading.
      out.push(file);
      return;
    }
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch (e) {
      problems.push({ file, message: `cannot read: ${(e as Error).message}` });
      return;
    }
    if (!st.isFile()) {
      // a named pipe would block the read forever; a socket or a device is no source file
      problems.push({ file, message: `not a regular file (${kindOf(st)}): not read` });
      return;
    }
    if (st.size > MAX_FILE_BYTES) {
      stats.skippedLarge.push(file);
      return;
    }
    out.push(file);
  };
  const visitDir = (dir: string, layers: IgnoreLayer[]) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      problems.push({ file: dir, message: `cannot list folder: ${(e as Error).message}` });
      return;
    }
    const gi = path.join(dir, '.gitignore');
    let here = layers;
    if (entries.some((e) => e.name === '.gitignore')) {
      try {
        here = [...layers, { dir, ig: ignore().add(fs.readFileSync(gi, 'utf8')) }];
      } catch (e) {
        problems.push({ file: gi, message: `cannot read: ${(e as Error).message}` });
      }
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = path.join(dir, e.name);
      const isDir = e.isDirectory();
      if (isDir && SKIP_DIRS.has(e.name)) continue;
      if (here.some((l) => l.ig.ignores(path.relative(l.dir, full).split(path.sep).join('/') + (isDir ? '/' : '')))) continue;
      if (isDir) {
        // a folder where a file pool-lint reads is expected (.env, docker-compose.yml) is named
        if (isCandidate(full) && !languageOf(full)) problems.push({ file: full, message: 'is a folder where pool-lint expects a file: not read as one' });
        visitDir(full, here);
      } else if (e.isFile()) visitFile(full, false, true);
      else if (e.isSymbolicLink()) {
        // a link to a file is read; a link to a folder is not followed (loops)
        try {
          const target = fs.statSync(full);
          if (target.isFile()) visitFile(full, false);
          else if (!target.isDirectory() && isCandidate(full)) problems.push({ file: full, message: `links to something that is not a regular file (${kindOf(target)}): not read` });
        } catch (err) {
          problems.push({ file: full, message: `broken symbolic link: ${(err as Error).message}` });
        }
      } else if (isCandidate(full)) {
        problems.push({ file: full, message: `not a regular file (${e.isFIFO() ? 'a named pipe' : e.isSocket() ? 'a socket' : 'a device'}): not read` });
      }
    }
  };
  for (const r of roots) {
    const root = path.resolve(r);
    let st: fs.Stats;
    try {
      st = fs.statSync(root);
    } catch (e) {
      problems.push({ file: root, message: `no such file or folder` });
      continue;
    }
    const base: IgnoreLayer[] = exclude.length ? [{ dir: root, ig: ignore().add(exclude) }] : [];
    if (st.isDirectory()) visitDir(root, base);
    else visitFile(root, true);
  }
  stats.files = out.length;
  return { files: out, stats };
}

/**
 * Reads a file as UTF-8 text (a BOM dropped): undefined when it is missing, not a regular file,
 * binary (a NUL byte in its first 8 KB) or over MAX_FILE_BYTES, which is then not read and is told
 * to `large`. One open, fstat, read and close, the calls readFileSync makes. The open does not
 * block: a named pipe where a file was expected (a `.env` made with mkfifo) is refused by its
 * fstat instead of waiting for a writer forever.
 */
export function readText(file: string, large?: (file: string, bytes: number) => void): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return undefined;
    if (st.size > MAX_FILE_BYTES) {
      large?.(file, st.size);
      return undefined;
    }
    const buf = Buffer.allocUnsafe(st.size);
    let n = 0;
    while (n < buf.length) {
      const got = fs.readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break; // shorter than its stat said (truncated meanwhile)
      n += got;
    }
    const bytes = buf.subarray(0, n);
    if (bytes.subarray(0, 8192).includes(0)) return undefined;
    let text = bytes.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return text;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Whether the walk from `root` would visit `file` (for a file created after the scan): a
 * candidate, inside the root, not under a skipped folder, not excluded and not git-ignored.
 */
export function wouldWalk(root: string, file: string, exclude: string[]): boolean {
  if (!isCandidate(file)) return false;
  const rel = path.relative(root, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return false;
  const parts = rel.split(path.sep);
  if (parts.slice(0, -1).some((p) => SKIP_DIRS.has(p))) return false;
  if (exclude.length && ignore().add(exclude).ignores(parts.join('/'))) return false;
  const layers: IgnoreLayer[] = [];
  let dir = root;
  for (let i = 0; i < parts.length; i++) {
    try {
      layers.push({ dir, ig: ignore().add(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8')) });
    } catch {
      // no .gitignore in this folder
    }
    const full = path.join(dir, parts[i]);
    const isDir = i < parts.length - 1;
    if (layers.some((l) => l.ig.ignores(path.relative(l.dir, full).split(path.sep).join('/') + (isDir ? '/' : '')))) return false;
    dir = full;
  }
  return true;
}
