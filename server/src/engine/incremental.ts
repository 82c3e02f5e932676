// The engine's long-lived workspace (as biome keeps one Workspace for its CLI and its LSP): per
// file, its pools and problems and the other files its analysis read (.env files, compose files,
// YAML config, imported Python modules, Cargo/package manifests), so a change re-analyses exactly
// the files that depend on it. `check()` is one scan of a fresh Workspace; the language server
// keeps one per workspace folder and feeds it edits.
//
// Dependencies are recorded, not declared: every read a file's analysis makes goes through
// `read`, which notes the path (missing files too, so creating `.env.local` finds the files that
// looked for it). The env files a file's profiles resolve to are recorded as its "env signature"
// and re-resolved after any env or compose change, so a new or removed env file re-analyses the
// files whose profiles it changes. Workspace-wide inputs (configuration, version pins, compose
// files, the deployment they describe) are one global state; when its result changes every file is
// re-analysed, when only the deployment changes only the fleet rules run again. Open files keep
// their tree-sitter tree: an edit is `tree.edit` plus an incremental reparse.
import * as path from 'path';
import type { FileProblem, Finding, PoolModel, SeverityOverride, Span } from './model';
import { EnvResolver, type ReadFile } from './envfiles';
import { loadConfig, defaultConfig, type EngineConfig } from './config';
import { getParser, LineIndex, ParseStopped, registerSource, parseSyncOrThrow, reparseSync, editTree, tooLargeToParse, withReadLog, forgetSearches, type LanguageId, type ReadLog, type SyntaxNode, type Tree, type TreeEdit } from './syntax';
import { PythonModules } from './python/modules';
import { walk, readText, languageOf, isEnvFile, wouldWalk, MAX_FILE_BYTES, type WalkStats } from './workspace';
import { pinnedVersions } from './versions';
import type { Detector, TextDetector } from './detectors/types';
import type { Rule } from './rule';
import { maskSecrets } from './urls';
import { readDeployment, isComposeFile, addComposeProfiles, parseComposeFiles, type Deployment } from './deployment';
import { RuleRunner, compareFindings } from './run-rules';
import { withDeadline, DeadlineExceeded } from './deadline';
import { contentHash, buildId, type AnalysisCache, type CacheEntry } from './cache';

/** Settings an editor passes over the project's configuration file (set values win). */
export interface ConfigOverrides {
  rules?: Record<string, SeverityOverride>;
  expectedConcurrency?: number;
  peakRequestsPerSecond?: number;
  avgConnectionHoldMs?: number;
  serverMaxConnections?: number;
  profiles?: Record<string, string[]>;
}

export interface WorkspaceOptions {
  root: string;
  detectors: Detector[];
  textDetectors: TextDetector[];
  rules: Rule[];
  ruleIds: string[];
  /** Reads a file that has no overlay (default: from disk). */
  read?: ReadFile;
  /** A fixed configuration (else loaded from the root, and reloaded when its file changes). */
  config?: EngineConfig;
  overrides?: ConfigOverrides;
  /** Evaluate only this profile. */
  profile?: string;
  rel?: (file: string) => string;
  /** Time budget of one detector on one file, in ms (none when undefined). */
  detectorBudgetMs?: number;
  /** Where the workspace says what it skipped or abandoned (the server's log). */
  log?: (message: string) => void;
  /**
   * Per-file analyses kept between scans (see cache.ts): a full scan takes an unchanged file's
   * pools from it instead of parsing the file again. Edits after the scan never use it.
   */
  cache?: AnalysisCache;
}

interface FileState {
  file: string;
  pools: PoolModel[];
  problems: FileProblem[];
  /** Files the last analysis read (itself excluded). */
  deps: Set<string>;
  /** The env files each profile resolved to, when the file was evaluated. */
  envSig?: string;
  parsed: boolean;
  binary: boolean;
  /** What the last detection of this open file read of its tree (for the one-token edit cutoff). */
  read?: { ranges: number[]; types: Set<string>; wholeText: boolean; detectors: string; names?: Set<string> };
  /** The one edit since the last analysis when it stays inside one token; null when not. */
  tokenEdit?: TokenEdit | null;
}

/** An edit inside one leaf token that keeps the token's kind (an identifier stays an identifier). */
interface TokenEdit {
  oldEnd: number;
  delta: number;
  leafStart: number;
  leafEnd: number;
  leafType: string;
  line: number;
  /** The token's text before and after the edit. */
  oldToken: string;
  newToken: string;
}

interface Global {
  config: EngineConfig;
  configProblems: FileProblem[];
  composeProblems: FileProblem[];
  env: EnvResolver;
  versions: Map<string, { version: string; source: string }>;
  profiles: string[];
  deployment: Deployment;
  /** Files the global state read. */
  deps: Set<string>;
  /** What every file's analysis depends on: when it changes, everything is re-analysed. */
  analysisKey: string;
  /** What the rules depend on besides the pools. */
  rulesKey: string;
}

export interface UpdateResult {
  /** Files whose findings or problems may have changed. */
  changed: Set<string>;
  /** Files analysed again. */
  analysed: string[];
  /** Of those, the files whose pools were kept by the one-token edit cutoff (no detector ran). */
  kept: string[];
  /** Whether every file was analysed again. */
  full: boolean;
}

export type FileEvent = { file: string; type: 'created' | 'changed' | 'deleted' };

/** Told how far a scan got, and which files have (per-pool) findings since the last call. */
export type ScanProgress = (done: number, total: number, diagnosed: string[]) => void;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Workspace {
  readonly root: string;
  private readonly base: ReadFile;
  private readonly rel: (f: string) => string;
  private readonly disk = new Map<string, string | undefined>();
  private readonly overlays = new Map<string, string>();
  private readonly openFiles = new Set<string>();
  private readonly trees = new Map<string, { language: LanguageId; tree: Tree }>();
  private readonly moduleTrees = new Map<string, Tree | null>();
  private readonly states = new Map<string, FileState>();
  private order: string[] = [];
  private walkProblems: FileProblem[] = [];
  private walkStats: WalkStats = { files: 0, skippedLarge: [], skippedBinary: [] };
  private g: Global | undefined;
  private readonly dirty = new Set<string>();
  private readonly created = new Set<string>();
  private readonly deleted = new Set<string>();
  private reconfigure = false;
  private tracking: Set<string> | undefined;
  /** Per file, the per-pool rules' findings of the pools written in it. */
  private readonly poolFindings = new Map<string, Finding[]>();
  /** Reverse of each file's dependencies: a file to the files whose analysis read it. */
  private readonly dependents = new Map<string, Set<string>>();
  private fleet: Finding[] = [];
  private byFile = new Map<string, Finding[]>();
  private queue: Promise<unknown> = Promise.resolve();
  private overrides: ConfigOverrides | undefined;
  private poolCache: PoolModel[] | undefined;
  private problemCache: FileProblem[] | undefined;
  private problemIndex: Map<string, FileProblem[]> | undefined;
  /** Kept between updates (its rule contexts per pool); renewed when configuration or env files change. */
  private runner: RuleRunner | undefined;
  private readonly loggedLarge = new Set<string>();
  /** Files the last read of found over MAX_FILE_BYTES (not read). */
  private readonly large = new Set<string>();
  private scanned = false;
  /**
   * The source files text detectors may link config to. The same array is handed to every
   * analysis until a source appears or goes away, or an edit adds or removes a quoted string in
   * one (detectors may cache per array what sources quote, as yaml-config does).
   */
  private sourceList: string[] = [];
  private quotesChanged = false;
  /** During a scan with a cache: the key its entries are stored under, the walked files' hash, and each file's text hash. */
  private cacheScan: { key: string; listing: string; hashes: Map<string, string | null> } | undefined;

  constructor(private readonly opts: WorkspaceOptions) {
    this.root = path.resolve(opts.root);
    // a file over MAX_FILE_BYTES is found by the read itself (the walk does not stat): not read, noted
    this.base =
      opts.read ??
      ((f: string) => {
        this.large.delete(f);
        return readText(f, (big) => this.large.add(big));
      });
    const rel = opts.rel ?? ((f: string) => path.relative(this.root, f).split(path.sep).join('/') || '.');
    // rules name files in every message, the fleet rule every pool's: one path computation per file
    const rels = new Map<string, string>();
    this.rel = (f: string) => {
      let r = rels.get(f);
      if (r === undefined) rels.set(f, (r = rel(f)));
      return r;
    };
    this.overrides = opts.overrides;
  }

  /** Reads a file as the workspace sees it (open buffer, else disk), noting it as a dependency of the analysis under way. */
  readonly read: ReadFile = (file) => {
    this.tracking?.add(file);
    return this.text(file);
  };

  /** A file's current text (open buffer, else disk), without noting a dependency. */
  text(file: string): string | undefined {
    const o = this.overlays.get(file);
    if (o !== undefined) return o;
    if (!this.disk.has(file)) this.disk.set(file, this.base(file));
    return this.disk.get(file);
  }

  /** One log line per file skipped for its size, however often it is seen. */
  private logLarge(file: string): void {
    if (this.loggedLarge.has(file)) return;
    this.loggedLarge.add(file);
    this.log(`${file}: skipped, over ${MAX_FILE_BYTES / 1024 / 1024} MB`);
  }

  private log(message: string): void {
    this.opts.log?.(maskSecrets(message));
  }

  /** Runs workspace operations one at a time (a scan and an update never interleave). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  // ---- inputs ------------------------------------------------------------------------------

  /** An editor buffer: its text wins over the disk until it is closed. */
  openFile(file: string, text: string): void {
    this.noteQuotes(file, this.text(file), text);
    this.noTokenEdit(file);
    this.openFiles.add(file);
    this.overlays.set(file, text);
    this.markDirty(file);
    if (!this.states.has(file) && this.scanned && wouldWalk(this.root, file, this.g?.config.exclude ?? [])) this.created.add(file);
  }

  /**
   * A buffer's new text. `edits` (in order, each against the text the previous one left) let the
   * file's tree be edited and reparsed incrementally; without them the file is parsed afresh.
   */
  changeFile(file: string, text: string, edits?: TreeEdit[]): void {
    const before = this.text(file);
    this.noteQuotes(file, before, text, edits?.length === 1 ? edits[0] : undefined);
    const kept = this.trees.get(file);
    const st = this.states.get(file);
    if (st) st.tokenEdit = st.tokenEdit === undefined && kept && edits?.length === 1 && before !== undefined ? tokenEdit(kept.tree, kept.language, before, text, edits[0]) : null;
    if (kept) {
      if (edits) for (const e of edits) editTree(kept.tree, e);
      else {
        kept.tree.delete();
        this.trees.delete(file);
      }
    }
    this.overlays.set(file, text);
    this.markDirty(file);
  }

  closeFile(file: string): void {
    const buffer = this.overlays.get(file);
    this.openFiles.delete(file);
    this.overlays.delete(file);
    this.noteQuotes(file, buffer, this.text(file));
    this.noTokenEdit(file);
    const kept = this.trees.get(file);
    if (kept) {
      kept.tree.delete();
      this.trees.delete(file);
    }
    this.markDirty(file);
  }

  /** Changes on disk (file watcher events). */
  filesChanged(events: FileEvent[]): void {
    for (const e of events) {
      const file = path.resolve(e.file);
      if (!this.overlays.has(file)) this.noteQuotes(file, this.disk.get(file), e.type === 'deleted' ? undefined : this.base(file));
      this.disk.delete(file);
      this.markDirty(file);
      if (!this.overlays.has(file)) this.noTokenEdit(file);
      if (e.type === 'created') {
        this.deleted.delete(file);
        this.created.add(file);
      } else if (e.type === 'deleted') {
        this.created.delete(file);
        this.deleted.add(file);
      }
    }
  }

  /** New editor settings; the next update re-runs what they affect. */
  setOverrides(overrides: ConfigOverrides | undefined): void {
    this.overrides = overrides;
    this.reconfigure = true;
  }

  private noTokenEdit(file: string): void {
    const st = this.states.get(file);
    if (st) st.tokenEdit = null;
  }

  /** Whether an edit of a source file adds or removes a quoted string (text detectors link config to code by them). */
  private noteQuotes(file: string, before: string | undefined, after: string | undefined, edit?: TreeEdit): void {
    if (this.quotesChanged || !languageOf(file) || before === after) return;
    if (before === undefined || after === undefined) {
      this.quotesChanged = true;
      return;
    }
    const a = edit ? quotedOnLines(before, edit.startIndex, edit.oldEndIndex) : quotedOnLines(before, 0, before.length);
    const b = edit ? quotedOnLines(after, edit.startIndex, edit.newEndIndex) : quotedOnLines(after, 0, after.length);
    if (a.size !== b.size || [...a].some((q) => !b.has(q))) this.quotesChanged = true;
  }

  private markDirty(file: string): void {
    this.dirty.add(file);
  }

  get pending(): boolean {
    return this.dirty.size > 0 || this.reconfigure;
  }

  // ---- queries -----------------------------------------------------------------------------

  get config(): EngineConfig {
    return this.g?.config ?? defaultConfig();
  }

  get profiles(): string[] {
    return this.g?.profiles ?? [];
  }

  get deployment(): Deployment {
    return this.g?.deployment ?? { profiles: {} };
  }

  /** Every file the workspace knows, in walk order. */
  get files(): string[] {
    return this.order;
  }

  has(file: string): boolean {
    return this.states.has(file);
  }

  isOpen(file: string): boolean {
    return this.openFiles.has(file);
  }

  /** Pools written in a file. */
  poolsIn(file: string): PoolModel[] {
    return this.states.get(file)?.pools ?? [];
  }

  pools(): PoolModel[] {
    if (!this.poolCache) {
      const out: PoolModel[] = [];
      for (const f of this.order) {
        const ps = this.states.get(f)?.pools;
        if (ps?.length) out.push(...ps);
      }
      this.poolCache = out;
    }
    return this.poolCache;
  }

  /** Findings located in a file (a pool's finding may sit in the .env line that sets its value). */
  findingsIn(file: string): Finding[] {
    return this.byFile.get(file) ?? [];
  }

  findings(): Finding[] {
    return [...this.poolFindingsInOrder(), ...this.fleet].sort(compareFindings);
  }

  private poolFindingsInOrder(): Finding[] {
    return this.order.flatMap((f) => this.poolFindings.get(f) ?? []);
  }

  /** Problems with a file's input (parse errors, malformed .env lines, abandoned detectors). */
  problemsIn(file: string): FileProblem[] {
    if (!this.problemIndex) {
      const index = new Map<string, FileProblem[]>();
      for (const p of this.allProblems()) index.set(p.file, [...(index.get(p.file) ?? []), p]);
      this.problemIndex = index;
    }
    return this.problemIndex.get(file) ?? [];
  }

  /** Every file that has findings or problems now. */
  filesWithDiagnostics(): string[] {
    this.problemsIn('');
    return [...new Set([...this.byFile.keys(), ...this.problemIndex!.keys()])];
  }

  /** Files the analysis of `file` read (its .env files, imported modules, manifests). */
  dependenciesOf(file: string): string[] {
    return [...(this.states.get(file)?.deps ?? [])];
  }

  /** Every problem, each with its file. */
  problems(): FileProblem[] {
    return this.allProblems();
  }

  /** Findings by severity, without sorting them. */
  counts(): { error: number; warning: number; info: number } {
    const c = { error: 0, warning: 0, info: 0 };
    for (const list of this.byFile.values()) for (const f of list) c[f.severity]++;
    return c;
  }

  private allProblems(): FileProblem[] {
    if (this.problemCache) return this.problemCache;
    this.problemIndex = undefined;
    const g = this.g;
    const problems = [...(g?.configProblems ?? []), ...this.walkProblems, ...(g?.composeProblems ?? [])];
    for (const f of this.order) problems.push(...(this.states.get(f)?.problems ?? []));
    problems.push(...(g?.env.problems ?? []));
    this.problemCache = dedupeProblems(problems);
    return this.problemCache;
  }

  /** The whole state in the shape `check()` returns. */
  result() {
    const g = this.g!;
    const binary = this.order.filter((f) => this.states.get(f)?.binary);
    const large = this.order.filter((f) => this.large.has(f));
    return {
      root: this.root,
      config: g.config,
      pools: this.pools(),
      findings: this.findings(),
      problems: this.allProblems(),
      stats: {
        ...this.walkStats,
        files: this.order.length - large.length,
        skippedLarge: [...new Set([...this.walkStats.skippedLarge, ...large])],
        skippedBinary: [...this.walkStats.skippedBinary, ...binary],
        parsed: this.order.filter((f) => this.states.get(f)?.parsed).length,
      },
      profiles: g.profiles,
      deployment: g.deployment,
    };
  }

  // ---- scan and update ---------------------------------------------------------------------

  /**
   * Walks the root (or `paths`) and analyses every file, yielding to the event loop between
   * files so a server stays responsive; `progress` is told how far it got.
   */
  scan(paths?: string[], progress?: ScanProgress): Promise<UpdateResult> {
    return this.exclusive(() => this.doScan(paths, progress));
  }

  private async doScan(paths?: string[], progress?: ScanProgress): Promise<UpdateResult> {
    {
      const config = this.loadConfig();
      this.walkProblems = [];
      const { files, stats } = walk(paths?.length ? paths.map((p) => path.resolve(p)) : [this.root], config.config.exclude, this.walkProblems);
      this.walkStats = stats;
      for (const f of stats.skippedLarge) this.logLarge(f);
      for (const st of this.states.values()) this.forget(st.file);
      this.states.clear();
      this.order = files;
      this.poolCache = undefined;
      this.problemCache = undefined;
      this.problemIndex = undefined;
      this.runner = undefined;
      this.dependents.clear();
      for (const f of files) this.states.set(f, newState(f));
      this.g = await this.buildGlobal(config);
      this.cacheScan = this.opts.cache ? { key: this.scanKey(), listing: contentHash(this.order.join('\0')), hashes: new Map() } : undefined;
      this.dirty.clear();
      this.created.clear();
      this.deleted.clear();
      this.reconfigure = false;
      this.sourceList = this.sources();
      this.quotesChanged = false;
      this.poolFindings.clear();
      this.fleet = [];
      this.byFile = new Map();
      // each file's per-pool findings as soon as it is analysed (an editor shows them during the
      // scan); the fleet rules, which need every pool, run at the end
      const runner = (this.runner = new RuleRunner(this.g.config, (f) => this.text(f), this.rel, this.g.env, this.opts.rules));
      const diagnosed = new Set<string>();
      let last = performance.now();
      // the strings text detectors will look for between quotes in the sources are found while
      // this scan reads each source; the files that look for them are analysed last
      const quotes = this.quoteIndex(files);
      const sequence = quotes ? [...files.filter((f) => !quotes.waiting.has(f)), ...files.filter((f) => quotes.waiting.has(f))] : files;
      this.scanQuotes = quotes;
      try {
        for (let i = 0; i < sequence.length; i++) {
          const file = sequence[i];
          if (quotes && languageOf(file)) quotes.add(file, this.text(file));
          await this.analyse(file, this.sourceList);
          const pools = this.states.get(file)?.pools ?? [];
          if (pools.length) {
            const found = pools.flatMap((p) => runner.poolFindings(p));
            this.poolFindings.set(file, found);
            for (const x of found) {
              const list = this.byFile.get(x.span.file);
              if (list) list.push(x);
              else this.byFile.set(x.span.file, [x]);
              diagnosed.add(x.span.file);
            }
          }
          if (performance.now() - last > 15) {
            progress?.(i + 1, files.length, [...diagnosed]);
            diagnosed.clear();
            await yieldToEventLoop();
            last = performance.now();
          }
        }
      } finally {
        this.scanQuotes = undefined;
        this.cacheScan = undefined;
      }
      progress?.(files.length, files.length, [...diagnosed]);
      this.scanned = true;
      this.runRules(files, true);
      return { changed: new Set([...files, ...this.byFile.keys()]), analysed: files, kept: [], full: true };
    }
  }

  /** Applies the pending changes: re-analyses the files they affect and re-runs the rules. */
  update(): Promise<UpdateResult> {
    return this.exclusive(async () => {
      if (!this.g || (!this.pending && this.created.size === 0 && this.deleted.size === 0)) return { changed: new Set<string>(), analysed: [], kept: [], full: false };
      this.problemCache = undefined;
      this.problemIndex = undefined;
      const dirty = new Set(this.dirty);
      const created = new Set(this.created);
      const deleted = new Set(this.deleted);
      const reconfigure = this.reconfigure;
      const quotesChanged = this.quotesChanged;
      this.quotesChanged = false;
      this.dirty.clear();
      this.created.clear();
      this.deleted.clear();
      this.reconfigure = false;
      const changed = new Set<string>();
      for (const f of dirty) {
        this.g.env.invalidate(f);
        const mt = this.moduleTrees.get(f);
        if (mt) mt.delete();
        this.moduleTrees.delete(f);
      }
      // the file set
      let setChanged = false;
      for (const f of deleted) {
        if (this.states.has(f) && !this.overlays.has(f)) {
          this.forget(f);
          this.setDeps(this.states.get(f)!, new Set());
          this.states.delete(f);
          this.order = this.order.filter((x) => x !== f);
          changed.add(f);
          setChanged = true;
        }
      }
      for (const f of created) {
        if (!this.states.has(f) && wouldWalk(this.root, f, this.g.config.exclude)) {
          this.states.set(f, newState(f));
          this.order.push(f);
          setChanged = true;
        }
      }
      if (setChanged) {
        this.order.sort(compareWalkOrder);
        this.poolCache = undefined;
      }
      // global inputs
      const globalHit = reconfigure || [...dirty].some((f) => this.g!.deps.has(f) || isComposeFile(f));
      let full = false;
      let rulesAll = reconfigure || globalHit;
      if (globalHit) {
        const before = this.g;
        const config = this.loadConfig();
        if (JSON.stringify(config.config.exclude) !== JSON.stringify(before.config.exclude)) {
          // a different exclude list is a different file set: walk again
          return this.doScan();
        }
        this.g = await this.buildGlobal(config);
        if (this.g.analysisKey !== before.analysisKey) full = true;
        if (this.g.rulesKey !== before.rulesKey) rulesAll = true;
        for (const p of [...before.configProblems, ...before.composeProblems, ...this.g.configProblems, ...this.g.composeProblems]) changed.add(p.file);
      }
      const affected = new Set<string>();
      if (full) for (const f of this.order) affected.add(f);
      else {
        for (const f of dirty) if (this.states.has(f)) affected.add(f);
        for (const f of created) if (this.states.has(f)) affected.add(f);
        const dirs = new Set([...created, ...deleted].map((f) => path.dirname(f)));
        const envish = globalHit || [...dirty].some((f) => isEnvFile(path.basename(f)));
        // the files that read a changed file: from the reverse index
        for (const d of dirty) for (const f of this.dependents.get(d) ?? []) if (this.states.has(f)) affected.add(f);
        const scanAll = dirs.size > 0 || setChanged || quotesChanged || envish;
        for (const st of scanAll ? this.states.values() : []) {
          if (affected.has(st.file)) continue;
          let hit = false;
          // a file created or deleted beside one this file read (a crate's new module, say)
          if (!hit && dirs.size) for (const d of st.deps) if (dirs.has(path.dirname(d))) hit = true;
          // a text detector links config to the workspace's source files by the strings they
          // quote: a source that appears, goes away or quotes differently matters to each of them
          if (!hit && (setChanged || quotesChanged) && st.pools.length && !languageOf(st.file)) hit = true;
          if (!hit && envish && st.envSig !== undefined && this.envSig(st.file) !== st.envSig) hit = true;
          if (hit) affected.add(st.file);
        }
        if ([...dirty].some((f) => !languageOf(f))) rulesAll = true; // .env.example and ignore comments in config files
      }
      const list = affected.size > 64 ? this.order.filter((f) => affected.has(f)) : [...affected].sort(compareWalkOrder);
      if (setChanged || quotesChanged || full) this.sourceList = this.sources();
      const kept: string[] = [];
      for (const f of list) {
        if (await this.analyse(f, this.sourceList)) kept.push(f);
        changed.add(f);
      }
      if (rulesAll || globalHit) this.runner = undefined;
      for (const c of this.runRules(list, rulesAll)) changed.add(c);
      return { changed, analysed: list, kept, full };
    });
  }

  private sources(): string[] {
    return this.order.filter((f) => languageOf(f) !== undefined);
  }

  private forget(file: string): void {
    const kept = this.trees.get(file);
    if (kept && !this.openFiles.has(file)) {
      kept.tree.delete();
      this.trees.delete(file);
    }
    this.poolFindings.delete(file);
  }

  private loadConfig(): { config: EngineConfig; problems: FileProblem[]; deps: Set<string> } {
    const deps = new Set<string>();
    this.tracking = deps;
    try {
      const loaded = this.opts.config ? { config: this.opts.config, problems: [] } : loadConfig(this.root, this.read, this.opts.ruleIds);
      return { config: applyOverrides(loaded.config, this.overrides), problems: loaded.problems, deps };
    } finally {
      this.tracking = undefined;
    }
  }

  private async buildGlobal(loaded: { config: EngineConfig; problems: FileProblem[]; deps: Set<string> }): Promise<Global> {
    const composeFiles = this.order.filter(isComposeFile);
    // gunicorn.conf.py is Python: its worker count is evaluated like any module
    if (composeFiles.length) await getParser('python');
    const deps = new Set(loaded.deps);
    this.tracking = deps;
    try {
      const config = loaded.config;
      const composeProblems: FileProblem[] = [];
      const env = new EnvResolver(this.root, config.profiles, this.read);
      const versions = pinnedVersions(this.root, this.read);
      const composeDocs = parseComposeFiles(composeFiles, this.read, composeProblems);
      const composeProfiles = addComposeProfiles(composeDocs, env, composeProblems);
      let profiles = [...Object.keys(config.profiles), ...composeProfiles.filter((n) => !config.profiles[n])];
      if (this.opts.profile) {
        if (!profiles.includes(this.opts.profile)) composeProblems.push({ file: this.root, message: `unknown profile '${this.opts.profile}' (known: ${profiles.join(', ')})` });
        else profiles = [this.opts.profile];
      }
      const deployment = readDeployment(composeDocs, profiles, this.read, env);
      for (const f of composeFiles) deps.add(f);
      const { rules, expectedConcurrency, peakRequestsPerSecond, avgConnectionHoldMs, serverMaxConnections } = config;
      return {
        config,
        configProblems: loaded.problems,
        composeProblems,
        env,
        versions,
        profiles,
        deployment,
        deps,
        analysisKey: JSON.stringify([config.profiles, config.exclude, profiles, [...versions], composeFiles]),
        rulesKey: JSON.stringify([rules, expectedConcurrency, peakRequestsPerSecond, avgConnectionHoldMs, serverMaxConnections, deployment]),
      };
    } finally {
      this.tracking = undefined;
    }
  }

  /**
   * What every cache entry of this scan depends on besides its own inputs: the build, the
   * configuration that shapes detection, the detectors and how paths are shown. (The walked file
   * list is a dependency only of the analyses that looked at it: `listing` in the entry.)
   */
  private scanKey(): string {
    const ids = [...this.opts.detectors.map((d) => d.id), '|', ...this.opts.textDetectors.map((d) => d.id)];
    const shown = this.rel(path.join(this.root, 'a', 'b'));
    return contentHash(JSON.stringify([buildId(), this.root, this.g!.analysisKey, ids, this.opts.detectorBudgetMs ?? null, shown]));
  }

  /** The hash of a file's current text during a cached scan (null when it cannot be read). */
  private hashOf(file: string): string | null {
    const memo = this.cacheScan!.hashes;
    let h = memo.get(file);
    if (h === undefined) {
      const text = this.text(file);
      memo.set(file, (h = text === undefined ? null : contentHash(text)));
    }
    return h;
  }

  /**
   * A cached analysis of the file whose inputs are all unchanged (found before the analysis
   * starts, so a scan that finds every file in the cache never loads a grammar).
   */
  private cachedAnalysis(st: FileState): { pools: PoolModel[]; problems: FileProblem[]; deps: string[] } | undefined {
    const cs = this.cacheScan;
    const cache = this.opts.cache;
    if (!cs || !cache || this.openFiles.has(st.file)) return undefined;
    const hash = this.hashOf(st.file);
    if (hash === null) return undefined;
    const quotes = this.scanQuotes;
    return cache.lookup(st.file, cs.key, hash, (e) => {
      if (e.listing !== null && e.listing !== cs.listing) return false;
      if (e.deps.some(([d, h]) => this.hashOf(d) !== h)) return false;
      if (e.envSig !== this.envSig(st.file)) return false;
      if (e.quotes !== (quotes !== undefined)) return false;
      return e.asked.every(([k, was]) => JSON.stringify(quotes?.sourcesQuoting(k)) === JSON.stringify(was));
    });
  }

  /** Puts a cached analysis in the state, and the files it read into `deps`, as if it had run and read them. */
  private fromCache(st: FileState, hit: { pools: PoolModel[]; problems: FileProblem[]; deps: string[] }, deps: Set<string>): void {
    st.pools = hit.pools;
    st.problems = hit.problems;
    st.parsed = true;
    for (const d of hit.deps) deps.add(d);
  }

  /** Stores a finished analysis in the cache (when it holds nothing that depends on time). */
  private toCache(st: FileState, asked: [string, string[] | undefined][], volatile: boolean, listed: boolean): void {
    const cs = this.cacheScan;
    const cache = this.opts.cache;
    if (!cs || !cache || this.openFiles.has(st.file)) return;
    const hash = volatile || !st.parsed ? null : this.hashOf(st.file);
    if (hash === null) {
      cache.drop(st.file);
      return;
    }
    const entry: CacheEntry = {
      key: cs.key,
      hash,
      deps: [...st.deps].map((d) => [d, this.hashOf(d)]),
      envSig: st.envSig,
      quotes: this.scanQuotes !== undefined,
      asked,
      listing: listed ? cs.listing : null,
      pools: st.pools,
      problems: st.problems,
    };
    cache.store(st.file, entry);
  }

  private envSig(file: string): string {
    const g = this.g!;
    return g.profiles.map((p) => `${p}=${g.env.filesFor(file, p).map((f) => f.file).join(',')}`).join(';');
  }

  /** During a scan, the quoted strings text detectors asked for, by source (see quoteIndex). */
  private scanQuotes: QuoteIndex | undefined;

  /**
   * The quoted strings the scan's text detectors will look for in the sources (`quotedKeys`), and
   * the files that look for them. Undefined when no text detector asks for any.
   */
  private quoteIndex(files: string[]): QuoteIndex | undefined {
    const wanted = new Set<string>();
    const waiting = new Set<string>();
    for (const file of files) {
      if (languageOf(file)) continue;
      const text = this.text(file);
      if (text === undefined || text.length > MAX_FILE_BYTES) continue;
      for (const t of this.opts.textDetectors) {
        if (!t.quotedKeys || !t.matches(file, text) || !t.prefilter.test(text)) continue;
        // the keys depend on the file's text alone: an unchanged config file is not parsed again for them
        const quotedKeys = t.quotedKeys;
        const hash = this.cacheScan && this.hashOf(file);
        const keys = hash && this.opts.cache ? this.opts.cache.derive(`quotedKeys:${t.id}`, file, hash, () => quotedKeys(file, text)) : quotedKeys(file, text);
        if (keys.length) waiting.add(file);
        for (const k of keys) wanted.add(k);
      }
    }
    return waiting.size ? new QuoteIndex(wanted, waiting) : undefined;
  }

  /** Per language, its detectors and their prefilters as one regex (when they can be joined). */
  private readonly prefilters = new Map<LanguageId, { detectors: Detector[]; any?: RegExp }>();

  /**
   * The detectors whose prefilter passes on a file's text. One joined regex is tested first, so a
   * file none of them wants (98% of a workspace) is scanned once, not once per detector.
   */
  private detectorsFor(language: LanguageId, text: string): Detector[] {
    let p = this.prefilters.get(language);
    if (!p) {
      const detectors = this.opts.detectors.filter((d) => d.languages.includes(language));
      // flags must agree, and a backreference or named group would change meaning once joined
      const joinable = detectors.length > 1 && detectors.every((d) => d.prefilter.flags === detectors[0].prefilter.flags && !/\\[1-9k]|\(\?</.test(d.prefilter.source.replace(/\(\?<[=!]/g, '')));
      p = { detectors, any: joinable ? new RegExp(detectors.map((d) => `(?:${d.prefilter.source})`).join('|'), detectors[0].prefilter.flags.replace(/[gy]/g, '')) : undefined };
      this.prefilters.set(language, p);
    }
    if (p.any && !p.any.test(text)) return [];
    return p.detectors.filter((d) => d.prefilter.test(text));
  }

  /** Analyses one file: its pools and problems, and what it read. */
  /** Analyses one file; true when the one-token edit cutoff kept its pools. */
  private async analyse(file: string, sources: string[]): Promise<boolean> {
    const st = this.states.get(file);
    if (!st) return false;
    const language = languageOf(file);
    const text0 = this.text(file);
    const detectors = language && text0 !== undefined ? this.detectorsFor(language, text0) : [];
    if (language && detectors.length === 0 && text0 !== undefined && text0.length <= MAX_FILE_BYTES) {
      // no detector wants this file (most files of a workspace): nothing is parsed or kept, and
      // the state of an earlier analysis (the file had a pool before this edit) is cleared
      st.tokenEdit = undefined;
      if (st.pools.length || st.problems.length || st.deps.size || st.parsed || st.binary || st.envSig !== undefined || st.read) {
        this.poolCache = undefined;
        this.problemCache = undefined;
        this.problemIndex = undefined;
        Object.assign(st, { pools: [], problems: [], parsed: false, binary: false, envSig: undefined, read: undefined });
        this.setDeps(st, new Set());
      }
      if (!this.openFiles.has(file)) this.disk.delete(file);
      return false;
    }
    // a config file's text detectors are chosen here too, so only a file some detector wants is looked up in the cache
    const textDetectors = !language && text0 !== undefined ? this.opts.textDetectors.filter((t) => t.matches(file, text0) && t.prefilter.test(text0)) : [];
    const cached = this.cacheScan && text0 !== undefined && (language ? detectors.length > 0 : textDetectors.length > 0) ? this.cachedAnalysis(st) : undefined;
    // the grammar loads before the analysis starts, so the analysis itself never awaits
    if (language && detectors.length && !cached) await getParser(language);
    const te = st.tokenEdit;
    st.tokenEdit = undefined;
    if (te && st.read && this.keepAfterTokenEdit(st, te, detectors.map((d) => d.id).join(','))) return true;
    const g = this.g!;
    const deps = new Set<string>();
    this.poolCache = undefined;
    this.problemCache = undefined;
    this.problemIndex = undefined;
    st.pools = [];
    st.problems = [];
    st.parsed = false;
    st.binary = false;
    st.envSig = undefined;
    st.read = undefined;
    this.tracking = deps;
    const problem = (p: FileProblem) => st.problems.push(p);
    const modules = new PythonModules(this.root, this.read, this.moduleTrees);
    // for the cache: a result that depends on time is not kept, and what a config file asked of the quote index is
    let volatile = false;
    const asked: [string, string[] | undefined][] = [];
    // and whether a detector looked at the workspace's file lists (then the result depends on them)
    let listed = false;
    const listing = <C extends { sources?: string[]; files?: string[] }>(ctx: C): C => {
      for (const key of ['sources', 'files'] as const) {
        if (!(key in ctx)) continue;
        const value = ctx[key];
        Object.defineProperty(ctx, key, { get: () => ((listed = true), value), enumerable: true, configurable: true });
      }
      return ctx;
    };
    try {
      const text = this.read(file);
      if (text === undefined) {
        if (this.large.has(file)) this.logLarge(file);
        else st.binary = true;
        return false;
      }
      if (text.length > MAX_FILE_BYTES) {
        this.logLarge(file);
        return false;
      }
      const ctxBase = { file, text, env: g.env, profiles: g.profiles, versions: g.versions, rel: this.rel, read: this.read };
      if (!language) {
        if (isEnvFile(path.basename(file))) g.env.load(file); // reports malformed lines
        if (cached) {
          this.fromCache(st, cached, deps);
          return false;
        }
        for (const d of text === text0 ? textDetectors : this.opts.textDetectors.filter((t) => t.matches(file, text) && t.prefilter.test(text))) {
          st.parsed = true;
          const quotes = this.scanQuotes;
          const quoting =
            quotes &&
            ((key: string) => {
              const found = quotes.sourcesQuoting(key);
              asked.push([key, found && [...found]]);
              return found;
            });
          const ctx = listing({ ...ctxBase, lines: new LineIndex(text), sources, problem, files: this.order, root: this.root, quoting });
          if (!this.runDetector(st, d.id, () => d.detect(ctx))) volatile = true;
        }
        return false;
      }
      if (detectors.length === 0) {
        if (!this.openFiles.has(file)) this.disk.delete(file); // no pool here: keep no copy of its text
        return false;
      }
      if (cached) {
        this.fromCache(st, cached, deps);
        return false;
      }
      st.parsed = true;
      let tree: Tree | undefined;
      try {
        tree = this.parse(file, language, text);
      } catch (e) {
        volatile = true; // a parse stopped past its time budget
        problem({ file, line: e instanceof ParseStopped ? e.line : undefined, message: `cannot parse: ${(e as Error).message}` });
        return false;
      }
      if (!tree) {
        volatile = true;
        problem({ file, message: `cannot parse: tree-sitter returned no tree for a ${language} file` });
        return false;
      }
      try {
        const lines = new LineIndex(text);
        registerSource(tree, file, lines);
        if (tree.rootNode.hasError) {
          const err = firstError(tree.rootNode);
          const pos = err ? lines.position(err.startIndex) : undefined;
          problem({ file, line: pos?.line, column: pos?.column, message: 'syntax error; pools in the rest of the file are still checked' });
        }
        // an open file's detection notes what it reads of the tree: a later edit inside one token
        // nobody read keeps the result (keepAfterTokenEdit)
        const log: ReadLog | undefined = this.openFiles.has(file) && !tree.rootNode.hasError ? { tree, ranges: [], types: new Set(), wholeText: false } : undefined;
        const ctx = listing({ ...ctxBase, lines, tree, modules, root: this.root, sources });
        if (log) Object.defineProperty(ctx, 'text', { get: () => ((log.wholeText = true), text) });
        for (const d of detectors) {
          if (!this.runDetector(st, d.id, () => (log ? withReadLog(log, () => d.detect(ctx)) : d.detect(ctx)))) volatile = true;
        }
        if (log && st.problems.length === 0) st.read = { ranges: mergeRanges(log.ranges), types: log.types, wholeText: log.wholeText, detectors: detectors.map((d) => d.id).join(','), names: log.names };
      } finally {
        if (!this.openFiles.has(file)) {
          forgetSearches(tree);
          tree.delete();
        }
      }
    } finally {
      this.tracking = undefined;
      modules.dispose();
      deps.delete(file);
      this.setDeps(st, deps);
      if (st.parsed) {
        st.envSig = this.envSig(file);
        for (const p of g.profiles) {
          for (const f of g.env.filesFor(file, p)) {
            if (f.file === file) continue;
            deps.add(f.file);
            let set = this.dependents.get(f.file);
            if (!set) this.dependents.set(f.file, (set = new Set()));
            set.add(file);
          }
        }
      }
      // while the texts the analysis read are still held, so the hashes are of what it saw
      if (this.cacheScan && !cached) this.toCache(st, asked, volatile, listed);
      // source files read by this analysis (a config's readers, imported modules) are read again
      // when needed rather than kept: only files with pools, open buffers and config stay in memory
      for (const d of deps) if (languageOf(d) && !this.openFiles.has(d) && !this.states.get(d)?.pools.length) this.disk.delete(d);
    }
    return false;
  }

  /**
   * The early cutoff: an edit inside one token (an identifier, a comment, a number) that keeps the
   * token's kind, that no range the last detection read overlaps, of a type it never searched
   * for, in a file whose detection never read its whole text, cannot change what the detectors
   * saw. The pools are kept with their spans shifted; the tree was told of the edit and is
   * reparsed at the next full analysis.
   */
  private keepAfterTokenEdit(st: FileState, te: TokenEdit, detectors: string): boolean {
    const read = st.read!;
    if (read.wholeText || read.detectors !== detectors || read.types.has(te.leafType) || st.problems.length) return false;
    // a renamed identifier matters when the old or the new name was looked up (a def's own name is indexed, not read)
    if (read.names && (read.names.has(te.oldToken) || read.names.has(te.newToken))) return false;
    const r = read.ranges;
    for (let i = 0; i < r.length; i += 2) if (r[i] < te.leafEnd && r[i + 1] > te.leafStart) return false;
    const spans: Span[] = [];
    const seen = new Set<object>();
    const collect = (o: unknown): void => {
      if (!o || typeof o !== 'object' || seen.has(o)) return;
      seen.add(o);
      if (Array.isArray(o)) return o.forEach(collect);
      const x = o as Partial<Span>;
      if (typeof x.file === 'string' && typeof x.start === 'number' && typeof x.end === 'number' && typeof x.line === 'number') {
        if (x.file === st.file) spans.push(x as Span);
        return;
      }
      for (const v of Object.values(o)) collect(v);
    };
    collect(st.pools);
    // a span touching the token, or a pool on its line (its id holds its column), is not kept
    if (spans.some((x) => x.start <= te.leafEnd && x.end >= te.leafStart)) return false;
    if (st.pools.some((p) => p.span.line === te.line)) return false;
    for (const x of spans) {
      if (x.start >= te.oldEnd) {
        if (x.line === te.line) x.column += te.delta;
        x.start += te.delta;
      }
      if (x.end >= te.oldEnd) {
        if (x.endLine === te.line) x.endColumn += te.delta;
        x.end += te.delta;
      }
    }
    for (let i = 0; i < r.length; i++) if (r[i] >= te.oldEnd) r[i] += te.delta;
    return true; // the same pool objects: the pool list stays valid
  }

  /** A file's dependencies, and the reverse index from each dependency to the files that read it. */
  private setDeps(st: FileState, deps: Set<string>): void {
    for (const d of st.deps) this.dependents.get(d)?.delete(st.file);
    st.deps = deps;
    for (const d of deps) {
      let set = this.dependents.get(d);
      if (!set) this.dependents.set(d, (set = new Set()));
      set.add(st.file);
    }
  }

  /** Parses a file; an open file's tree is kept and reparsed incrementally from its edits. */
  private parse(file: string, language: LanguageId, text: string): Tree | undefined {
    if (!this.openFiles.has(file)) return parseSyncOrThrow(language, text);
    const tooLarge = tooLargeToParse(text);
    if (tooLarge) throw new Error(tooLarge);
    const kept = this.trees.get(file);
    const tree = kept && kept.language === language ? reparseSync(language, text, kept.tree) : parseSyncOrThrow(language, text);
    if (kept && kept.tree !== tree) kept.tree.delete();
    if (tree) this.trees.set(file, { language, tree });
    else this.trees.delete(file);
    return tree;
  }

  /** One detector on one file: false when it failed or ran out of time (a result not to cache). */
  private runDetector(st: FileState, id: string, detect: () => PoolModel[]): boolean {
    try {
      const pools = withDeadline(this.opts.detectorBudgetMs, detect);
      for (const p of pools) settleNaN(p);
      st.pools.push(...pools);
      return true;
    } catch (e) {
      if (e instanceof DeadlineExceeded) {
        const message = `the ${id} detector took over ${e.budgetMs} ms on this file and was abandoned; other detectors and files are still checked`;
        st.problems.push({ file: st.file, message });
        this.log(`${st.file}: ${message}`);
        return false;
      }
      const message = `internal error in the ${id} detector: ${maskSecrets((e as Error).message)}; other files are still checked`;
      st.problems.push({ file: st.file, message });
      this.log(`${st.file}: ${message}\n${maskSecrets((e as Error).stack ?? '')}`);
      return false;
    }
  }

  /**
   * Re-runs the per-pool rules for the pools of `files` (of every file when `all`) and the fleet
   * rules over every pool; returns the files whose findings may have changed.
   */
  private runRules(files: string[], all: boolean): Set<string> {
    const g = this.g!;
    const changed = new Set<string>();
    const runner = (this.runner ??= new RuleRunner(g.config, (f) => this.text(f), this.rel, g.env, this.opts.rules));
    const redo = all ? this.order : files;
    for (const f of redo) {
      const before = this.poolFindings.get(f) ?? [];
      const st = this.states.get(f);
      const after = st ? st.pools.flatMap((p) => runner.poolFindings(p)) : [];
      if (after.length) this.poolFindings.set(f, after);
      else this.poolFindings.delete(f);
      if (before.length || after.length) {
        changed.add(f);
        for (const x of [...before, ...after]) changed.add(x.span.file);
      }
    }
    for (const f of files) if (!this.states.has(f)) this.poolFindings.delete(f);
    const fleetBefore = this.fleet;
    this.fleet = runner.fleetFindings(this.pools(), g.deployment);
    // the fleet rule names every pool: only the files whose fleet findings read differently changed
    const print = (list: Finding[]) => {
      const m = new Map<string, string>();
      for (const x of list) m.set(x.span.file, `${m.get(x.span.file) ?? ''}|${x.rule}:${x.span.start}:${x.span.end}:${x.severity}:${x.profile}:${x.message}`);
      return m;
    };
    const a = print(fleetBefore);
    const b = print(this.fleet);
    for (const f of new Set([...a.keys(), ...b.keys()])) if (a.get(f) !== b.get(f)) changed.add(f);
    const byFile = new Map<string, Finding[]>();
    for (const x of [...[...this.poolFindings.values()].flat(), ...this.fleet]) {
      const list = byFile.get(x.span.file);
      if (list) list.push(x);
      else byFile.set(x.span.file, [x]);
    }
    for (const list of byFile.values()) list.sort(compareFindings);
    this.byFile = byFile;
    return changed;
  }

  dispose(): void {
    for (const t of this.trees.values()) t.tree.delete();
    this.trees.clear();
    for (const t of this.moduleTrees.values()) t?.delete();
    this.moduleTrees.clear();
  }
}

const KEYWORDS: Record<string, Set<string>> = {
  python: new Set('False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case type _ print exec'.split(' ')),
  javascript: new Set('break case catch class const continue debugger default delete do else export extends finally for function if import in instanceof new return super switch this throw try typeof var void while with yield let static enum await implements package protected interface private public async of get set from as null true false undefined type declare abstract readonly namespace module keyof infer is satisfies override unique asserts accessor require'.split(' ')),
  rust: new Set('as async await break const continue crate dyn else enum extern false fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait true type unsafe use where while union macro_rules default gen try yield'.split(' ')),
};
const IDENTIFIERS = new Set(['identifier', 'property_identifier', 'shorthand_property_identifier', 'type_identifier', 'field_identifier', 'shorthand_field_identifier']);

/**
 * The edit as a TokenEdit when it stays inside one leaf token and the token keeps its kind (an
 * identifier that is still an identifier and not a keyword, a line comment still one line, a
 * decimal integer still one); null otherwise. Reads the tree before it is told of the edit.
 */
function tokenEdit(tree: Tree, language: LanguageId, before: string, after: string, e: TreeEdit): TokenEdit | null {
  const removed = before.slice(e.startIndex, e.oldEndIndex);
  const inserted = after.slice(e.startIndex, e.newEndIndex);
  if (/[\r\n]/.test(removed + inserted) || e.startPosition.row !== e.oldEndPosition.row) return null;
  const leaf = tree.rootNode.descendantForIndex(e.startIndex, e.oldEndIndex);
  if (!leaf || leaf.childCount > 0 || leaf.startIndex > e.startIndex || leaf.endIndex < e.oldEndIndex) return null;
  const token = before.slice(leaf.startIndex, e.startIndex) + inserted + before.slice(e.oldEndIndex, leaf.endIndex);
  // the languages whose tokens are known here; any other grammar is always detected again
  const lang = language === 'python' ? 'python' : language === 'rust' ? 'rust' : language === 'typescript' || language === 'tsx' || language === 'javascript' ? 'javascript' : undefined;
  if (!lang) return null;
  let ok = false;
  if (IDENTIFIERS.has(leaf.type)) ok = (lang === 'javascript' ? /^[A-Za-z_$][\w$]*$/ : /^[A-Za-z_][A-Za-z0-9_]*$/).test(token) && !KEYWORDS[lang].has(token);
  else if (leaf.type === 'comment' || leaf.type === 'line_comment') ok = lang === 'python' ? /^#[^\r\n]*$/.test(token) : /^\/\/[^\r\n]*$/.test(token);
  else if (leaf.type === 'integer' || leaf.type === 'number' || leaf.type === 'integer_literal') ok = /^[1-9][0-9]*$|^0$/.test(token) && /^[1-9][0-9]*$|^0$/.test(leaf.text);
  // the inside of a string literal (a docstring, a log message): text that cannot end the string,
  // escape or interpolate (no quote, backslash, brace or newline) keeps it the same string token
  else if (leaf.type === 'string_content' || leaf.type === 'string_fragment') ok = !/['"`\\{}$\r\n]/.test(removed + inserted) && token.length > 0;
  if (!ok) return null;
  const oldToken = before.slice(leaf.startIndex, leaf.endIndex);
  return { oldEnd: e.oldEndIndex, delta: inserted.length - removed.length, leafStart: leaf.startIndex, leafEnd: leaf.endIndex, leafType: leaf.type, line: leaf.startPosition.row, oldToken, newToken: token };
}

/** Sorted, merged start/end pairs. */
function mergeRanges(flat: number[]): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [a, b] of pairs) {
    if (out.length && a <= out[out.length - 1]) out[out.length - 1] = Math.max(out[out.length - 1], b);
    else out.push(a, b);
  }
  return out;
}

/** The quoted words (strings that could name a config key) on the lines from `start` to `end` of a text. */
function quotedOnLines(text: string, start: number, end: number): Set<string> {
  const from = text.lastIndexOf('\n', start - 1) + 1;
  let to = text.indexOf('\n', end);
  if (to < 0) to = text.length;
  const out = new Set<string>();
  const re = /(['"`])([\w.-]{1,200})\1/g;
  const chunk = text.slice(from, to);
  for (let m = re.exec(chunk); m; m = re.exec(chunk)) out.add(m[2]);
  // a quote typed or deleted changes what the rest of the file quotes
  out.add(`\u0000${chunk.match(/['"`]/g)?.length ?? 0}`);
  return out;
}

/**
 * A setting a detector left as NaN (Number('64x') in JavaScript, float('nan') in Python, which no
 * library-specific reading turned into a value) becomes unknown, saying why: NaN is no value a
 * report, a rule or a fix can use. Detectors that know what their library does with NaN (pg-pool's
 * `max || 10`) have already replaced it.
 */
function settleNaN(pool: PoolModel): void {
  const settings = Object.values(pool.profiles).flatMap((p) => Object.values(p.settings));
  if (pool.sqlite) settings.push(pool.sqlite.journalMode, pool.sqlite.busyTimeoutMs);
  for (const s of settings) {
    if (typeof s.value !== 'number' || !Number.isNaN(s.value)) continue;
    s.value = undefined;
    const raw = s.env?.raw !== undefined ? ` ('${s.env.raw.length > 40 ? `${s.env.raw.slice(0, 40)}...` : s.env.raw}' in ${s.env.name} is not a number)` : '';
    s.reason = `${s.text ?? 'the value'} is NaN${raw}`;
  }
}

function newState(file: string): FileState {
  return { file, pools: [], problems: [], deps: new Set(), parsed: false, binary: false };
}

/** The walk's order: folder by folder, names sorted, as `walk` visits them. */
function compareWalkOrder(a: string, b: string): number {
  const pa = a.split(path.sep);
  const pb = b.split(path.sep);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
  return pa.length - pb.length;
}

export function applyOverrides(c: EngineConfig, o: ConfigOverrides | undefined): EngineConfig {
  if (!o) return c;
  return {
    ...c,
    rules: { ...c.rules, ...(o.rules ?? {}) },
    expectedConcurrency: o.expectedConcurrency ?? c.expectedConcurrency,
    peakRequestsPerSecond: o.peakRequestsPerSecond ?? c.peakRequestsPerSecond,
    avgConnectionHoldMs: o.avgConnectionHoldMs ?? c.avgConnectionHoldMs,
    serverMaxConnections: o.serverMaxConnections ?? c.serverMaxConnections,
    profiles: o.profiles ? { ...c.profiles, ...o.profiles } : c.profiles,
  };
}

/** The first error or missing node, by descent (not recursion: a deeply nested file overflowed the stack). */
function firstError(root: SyntaxNode): SyntaxNode | undefined {
  let n: SyntaxNode | undefined = root;
  while (n) {
    if (n.isError || n.isMissing) return n;
    // a subtree with an error holds an error or missing node, so the first such child leads to it
    n = n.children.find((c) => c.hasError || c.isError || c.isMissing);
  }
  return undefined;
}

/**
 * Which sources write each wanted string between quotes (' " or `), filled as a scan reads the
 * sources in walk order. Strings of other characters than letters, digits, `_`, `.` and `-` are
 * not indexed (their detector reads the sources itself).
 */
class QuoteIndex {
  private readonly keys: Set<string>;
  private readonly re: RegExp | undefined;
  private readonly found = new Map<string, string[]>();

  constructor(wanted: Set<string>, readonly waiting: Set<string>) {
    this.keys = new Set([...wanted].filter((k) => /^[A-Za-z0-9_.-]{1,200}$/.test(k)));
    const alternatives = [...this.keys].map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.re = alternatives.length ? new RegExp(`['"\`](${alternatives.join('|')})['"\`]`, 'g') : undefined;
  }

  add(file: string, text: string | undefined): void {
    if (!this.re || text === undefined) return;
    this.re.lastIndex = 0;
    for (let m = this.re.exec(text); m; m = this.re.exec(text)) {
      const list = this.found.get(m[1]);
      if (!list) this.found.set(m[1], [file]);
      else if (list[list.length - 1] !== file) list.push(file);
      // a closing quote may open the next string: `'a'b'` quotes both a and b
      this.re.lastIndex = m.index + 1;
    }
  }

  /** The sources that quote `key`, in walk order; undefined for a string not indexed. */
  sourcesQuoting(key: string): string[] | undefined {
    if (!this.keys.has(key)) return undefined;
    return [...(this.found.get(key) ?? [])];
  }
}

function dedupeProblems(ps: FileProblem[]): FileProblem[] {
  const seen = new Set<string>();
  return ps.filter((p) => {
    const k = `${p.file}:${p.line}:${p.column}:${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
