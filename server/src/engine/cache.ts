// The analysis cache: each file's pools and problems, kept with what they were computed from, so
// a later scan of an unchanged workspace reads every file (that cannot be skipped: a change must
// be seen) but parses and evaluates none of them again. ruff and ESLint's `--cache` do the same.
//
// An entry is used only when everything its analysis saw is as it was, compared by content:
// - the file's own text (a SHA-1 of it),
// - the text of every file the analysis read (imported modules, .env files, settings modules,
//   sibling config; a file that was missing must still be missing),
// - the list of walked files, when a detector looked at it (a Go package's other files, a crate's,
//   Django settings modules, Spring profile files, the sources a config file is linked to),
// - the env files each profile resolved to for the file,
// - for a config file linked to code by quoted strings (yaml-config), which sources quote them,
// - and the scan's key: the build of pool-lint, the config that shapes detection (profiles,
//   excludes, pinned library versions, compose files), the detectors and how paths are shown.
// Results that depend on time (a detector abandoned past its budget, a parse stopped past its
// budget, an internal error) are never stored. Stored and returned results are copies: nothing
// outside the cache can change what it holds.
//
// `AnalysisCache` keeps entries in memory (a watch mode, the benchmark's warm process);
// `openDiskCache` loads one from a file and `save` writes it back (the CLI), as one V8-serialised
// blob per workspace root, replaced atomically, with every password in the models masked (the
// printed report is masked anyway; `--fix`, which writes files, never uses the disk cache).
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import type { FileProblem, PoolModel } from './model';
import { maskSecrets } from './urls';

export interface CacheEntry {
  /** The scan key the entry was computed under. */
  key: string;
  /** SHA-1 of the file's text. */
  hash: string;
  /** Every file the analysis read, with the SHA-1 of its text then (null: it was missing). */
  deps: [string, string | null][];
  envSig?: string;
  /** Whether the scan had an index of quoted strings, and what each asked key returned from it. */
  quotes: boolean;
  asked: [string, string[] | undefined][];
  /** The hash of the walked file list when a detector looked at it (a package's other files, settings modules), else null. */
  listing: string | null;
  pools: PoolModel[];
  problems: FileProblem[];
}

/** Format of the file on disk; a different one is ignored (and replaced at the next save). */
const DISK_FORMAT = 2;

/** A value computed from one file's text alone (the quoted keys a config file asks for), by name and file. */
interface Derived {
  hash: string;
  value: string[];
}

export class AnalysisCache {
  /** The entries, read from the file when first needed (a language server's initialize does not wait for it). */
  private maps: { entries: Map<string, CacheEntry>; derived: Map<string, Derived> } | undefined;
  private changed = false;
  /** Files looked up or stored since the last save: the others are dropped when saving. */
  private readonly touched = new Set<string>();
  readonly stats = { hits: 0, misses: 0, stored: 0 };

  /** In memory only, or backed by `file` (see openDiskCache). */
  constructor(private readonly file?: string) {}

  private load(): { entries: Map<string, CacheEntry>; derived: Map<string, Derived> } {
    return (this.maps ??= (this.file && readCacheFile(this.file)) || { entries: new Map(), derived: new Map() });
  }

  private get entries(): Map<string, CacheEntry> {
    return this.load().entries;
  }

  private get derived(): Map<string, Derived> {
    return this.load().derived;
  }

  /**
   * A list computed from one file's text alone (`name` says what, e.g. a detector's quoted keys),
   * kept while the text hashes the same. A list holding anything that looks like a secret is
   * computed every time rather than kept (the cache never holds a password on disk).
   */
  derive(name: string, file: string, hash: string, compute: () => string[]): string[] {
    const key = `${name}\0${file}`;
    this.touched.add(key);
    const d = this.derived.get(key);
    if (d && d.hash === hash) return [...d.value];
    const value = compute();
    if (value.every((v) => maskSecrets(v) === v)) {
      this.derived.set(key, { hash, value: [...value] });
      this.changed = true;
    } else if (this.derived.delete(key)) this.changed = true;
    return value;
  }

  /** The entry for `file` if it was stored under `key` and `valid` accepts it (a copy). */
  lookup(file: string, key: string, hash: string, valid: (e: CacheEntry) => boolean): { pools: PoolModel[]; problems: FileProblem[]; deps: string[] } | undefined {
    this.touched.add(file);
    const e = this.entries.get(file);
    if (!e || e.key !== key || e.hash !== hash || !valid(e)) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    return { pools: structuredClone(e.pools), problems: structuredClone(e.problems), deps: e.deps.map(([d]) => d) };
  }

  store(file: string, entry: CacheEntry): void {
    this.touched.add(file);
    this.entries.set(file, { ...entry, pools: structuredClone(entry.pools), problems: structuredClone(entry.problems) });
    this.changed = true;
    this.stats.stored++;
  }

  /** Drops the entry of a file (it was analysed again and its result is not one to keep). */
  drop(file: string): void {
    this.touched.add(file);
    if (this.entries.delete(file)) this.changed = true;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Writes the cache to its file when it changed, keeping only the entries of files this run
   * looked at (a deleted or renamed file's entry goes) unless `prune` is false (a check of some
   * paths only: the rest of the workspace's entries stay for the next whole check). Written to a
   * temporary file and renamed, so a concurrent run reads the old cache or the new one, never half
   * of one. A failure to write (a read-only home) only costs the next run its speed.
   */
  save(opts: { prune?: boolean } = {}): void {
    if (!this.file || !this.maps) return; // never read: nothing changed
    for (const map of opts.prune === false ? [] : [this.entries, this.derived]) {
      for (const k of [...map.keys()]) {
        if (!this.touched.has(k)) {
          map.delete(k);
          this.changed = true;
        }
      }
    }
    if (!this.changed) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      // a connection string is never written with its password: every string of the models is
      // masked on the way to disk (the source text of a URL literal, a .env line's raw value)
      const masked = new Map([...this.entries].map(([f, e]) => [f, { ...e, pools: masking(e.pools), problems: masking(e.problems) }]));
      fs.writeFileSync(tmp, v8.serialize({ format: DISK_FORMAT, node: process.version, entries: masked, derived: this.derived }));
      fs.renameSync(tmp, this.file);
      this.changed = false;
      pruneCacheDir(path.dirname(this.file));
    } catch {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // the folder itself cannot be made (a file stands where it would be): nothing was written
      }
    }
  }
}

/** How many workspace roots' caches a cache folder keeps (the least recently written go first). */
export const MAX_CACHED_ROOTS = 100;

/** Keeps the newest MAX_CACHED_ROOTS cache files of a folder (a tool that checks many throwaway folders leaves no heap of them). */
function pruneCacheDir(dir: string): void {
  try {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.bin'));
    if (files.length <= MAX_CACHED_ROOTS) return;
    const dated = files.map((f) => ({ f, t: fs.statSync(path.join(dir, f)).mtimeMs })).sort((a, b) => b.t - a.t);
    for (const { f } of dated.slice(MAX_CACHED_ROOTS)) fs.rmSync(path.join(dir, f), { force: true });
  } catch {
    // another run pruned it meanwhile, or the folder cannot be listed: nothing to do
  }
}

/** A deep copy of plain data with every string passed through maskSecrets. */
function masking<T>(value: T): T {
  if (typeof value === 'string') return maskSecrets(value) as T;
  if (Array.isArray(value)) return value.map(masking) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = masking(v);
    return out as T;
  }
  return value;
}

/** SHA-1 of a text (base64). */
export function contentHash(text: string): string {
  return crypto.createHash('sha1').update(text).digest('base64');
}

/** The folder the CLI keeps its caches in: $POOL_LINT_CACHE_DIR, else $XDG_CACHE_HOME/pool-lint, else ~/.cache/pool-lint. */
export function defaultCacheDir(): string {
  if (process.env.POOL_LINT_CACHE_DIR) return path.resolve(process.env.POOL_LINT_CACHE_DIR);
  const base = process.env.XDG_CACHE_HOME ? path.resolve(process.env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(base, 'pool-lint');
}

/**
 * The cache of a workspace root in `dir` (one file per root, named by a hash of the root and the
 * build), read when first used: an unreadable, corrupt, or other-format file is an empty cache.
 */
export function openDiskCache(dir: string, root: string, build: string): AnalysisCache {
  const file = path.join(dir, `${crypto.createHash('sha1').update(`${path.resolve(root)}\0${build}`).digest('hex').slice(0, 20)}.bin`);
  return new AnalysisCache(file);
}

/** A cache file's entries; undefined for a missing, unreadable, corrupt or other-format file (an empty cache). */
function readCacheFile(file: string): { entries: Map<string, CacheEntry>; derived: Map<string, Derived> } | undefined {
  try {
    const data = v8.deserialize(fs.readFileSync(file)) as { format?: number; node?: string; entries?: unknown; derived?: unknown };
    if (data && data.format === DISK_FORMAT && data.node === process.version && data.entries instanceof Map && data.derived instanceof Map) {
      return { entries: data.entries as Map<string, CacheEntry>, derived: data.derived as Map<string, Derived> };
    }
  } catch {
    // no cache yet, or one this build cannot read: start empty
  }
  return undefined;
}

declare const __POOL_LINT_BUILD__: string | undefined;

let buildIdMemo: string | undefined;

/**
 * What identifies this build of the engine: set by the bundler from the sources it bundled
 * (scripts/build.mjs), else (the tsc output the tests run) a hash of the compiled engine and rule
 * files' names, sizes and modification times. A cache from another build is never used.
 */
export function buildId(): string {
  if (buildIdMemo) return buildIdMemo;
  if (typeof __POOL_LINT_BUILD__ === 'string') return (buildIdMemo = __POOL_LINT_BUILD__);
  const h = crypto.createHash('sha1');
  const visit = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) visit(full);
      else if (e.name.endsWith('.js')) {
        const st = fs.statSync(full);
        h.update(`${full}\0${st.size}\0${st.mtimeMs}\n`);
      }
    }
  };
  // out/server/src/engine/cache.js: the engine is this folder, the rules are out/rules
  visit(__dirname);
  visit(path.resolve(__dirname, '..', '..', '..', 'rules'));
  return (buildIdMemo = h.digest('hex'));
}
