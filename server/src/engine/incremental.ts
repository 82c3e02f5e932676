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
import type { FileProblem, Finding, PoolModel, SeverityOverride } from './model';
import { EnvResolver, type ReadFile } from './envfiles';
import { loadConfig, defaultConfig, type EngineConfig } from './config';
import { getParser, LineIndex, registerSource, parseSyncOrThrow, reparseSync, type LanguageId, type SyntaxNode, type Tree, type TreeEdit } from './syntax';
import { PythonModules } from './python/modules';
import { walk, readText, languageOf, isEnvFile, wouldWalk, MAX_FILE_BYTES, type WalkStats } from './workspace';
import { pinnedVersions } from './versions';
import type { Detector, TextDetector } from './detectors/types';
import type { Rule } from './rule';
import { maskSecrets } from './urls';
import { readDeployment, isComposeFile, addComposeProfiles, parseComposeFiles, type Deployment } from './deployment';
import { RuleRunner, compareFindings } from './run-rules';
import { withDeadline, DeadlineExceeded } from './deadline';

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
  /** Whether every file was analysed again. */
  full: boolean;
}

export type FileEvent = { file: string; type: 'created' | 'changed' | 'deleted' };

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
  private fleet: Finding[] = [];
  private byFile = new Map<string, Finding[]>();
  private queue: Promise<unknown> = Promise.resolve();
  private overrides: ConfigOverrides | undefined;
  private readonly loggedLarge = new Set<string>();
  private scanned = false;

  constructor(private readonly opts: WorkspaceOptions) {
    this.root = path.resolve(opts.root);
    this.base = opts.read ?? readText;
    this.rel = opts.rel ?? ((f: string) => path.relative(this.root, f).split(path.sep).join('/') || '.');
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
    const kept = this.trees.get(file);
    if (kept) {
      if (edits) for (const e of edits) kept.tree.edit(e);
      else {
        kept.tree.delete();
        this.trees.delete(file);
      }
    }
    this.overlays.set(file, text);
    this.markDirty(file);
  }

  closeFile(file: string): void {
    this.openFiles.delete(file);
    this.overlays.delete(file);
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
      this.disk.delete(file);
      this.markDirty(file);
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
    return this.order.flatMap((f) => this.states.get(f)?.pools ?? []);
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
    return this.allProblems().filter((p) => p.file === file);
  }

  /** Files the analysis of `file` read (its .env files, imported modules, manifests). */
  dependenciesOf(file: string): string[] {
    return [...(this.states.get(file)?.deps ?? [])];
  }

  private allProblems(): FileProblem[] {
    const g = this.g;
    const problems = [...(g?.configProblems ?? []), ...this.walkProblems, ...(g?.composeProblems ?? [])];
    for (const f of this.order) problems.push(...(this.states.get(f)?.problems ?? []));
    problems.push(...(g?.env.problems ?? []));
    return dedupeProblems(problems);
  }

  /** The whole state in the shape `check()` returns. */
  result() {
    const g = this.g!;
    const binary = this.order.filter((f) => this.states.get(f)?.binary);
    return {
      root: this.root,
      config: g.config,
      pools: this.pools(),
      findings: this.findings(),
      problems: this.allProblems(),
      stats: { ...this.walkStats, skippedBinary: [...this.walkStats.skippedBinary, ...binary], parsed: this.order.filter((f) => this.states.get(f)?.parsed).length },
      profiles: g.profiles,
      deployment: g.deployment,
    };
  }

  // ---- scan and update ---------------------------------------------------------------------

  /**
   * Walks the root (or `paths`) and analyses every file, yielding to the event loop between
   * files so a server stays responsive; `progress` is told how far it got.
   */
  scan(paths?: string[], progress?: (done: number, total: number) => void): Promise<UpdateResult> {
    return this.exclusive(() => this.doScan(paths, progress));
  }

  private async doScan(paths?: string[], progress?: (done: number, total: number) => void): Promise<UpdateResult> {
    {
      const config = this.loadConfig();
      this.walkProblems = [];
      const { files, stats } = walk(paths?.length ? paths.map((p) => path.resolve(p)) : [this.root], config.config.exclude, this.walkProblems);
      this.walkStats = stats;
      for (const f of stats.skippedLarge) this.logLarge(f);
      for (const st of this.states.values()) this.forget(st.file);
      this.states.clear();
      this.order = files;
      for (const f of files) this.states.set(f, newState(f));
      this.g = await this.buildGlobal(config);
      this.dirty.clear();
      this.created.clear();
      this.deleted.clear();
      this.reconfigure = false;
      const sources = this.sources();
      let last = performance.now();
      for (let i = 0; i < files.length; i++) {
        await this.analyse(files[i], sources);
        if (performance.now() - last > 15) {
          progress?.(i + 1, files.length);
          await yieldToEventLoop();
          last = performance.now();
        }
      }
      progress?.(files.length, files.length);
      this.scanned = true;
      this.runRules(files, true);
      return { changed: new Set([...files, ...this.byFile.keys()]), analysed: files, full: true };
    }
  }

  /** Applies the pending changes: re-analyses the files they affect and re-runs the rules. */
  update(): Promise<UpdateResult> {
    return this.exclusive(async () => {
      if (!this.g || (!this.pending && this.created.size === 0 && this.deleted.size === 0)) return { changed: new Set<string>(), analysed: [], full: false };
      const dirty = new Set(this.dirty);
      const created = new Set(this.created);
      const deleted = new Set(this.deleted);
      const reconfigure = this.reconfigure;
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
      if (setChanged) this.order.sort(compareWalkOrder);
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
        for (const st of this.states.values()) {
          if (affected.has(st.file)) continue;
          let hit = false;
          for (const d of dirty) if (st.deps.has(d)) hit = true;
          // a file created or deleted beside one this file read (a crate's new module, say)
          if (!hit && dirs.size) for (const d of st.deps) if (dirs.has(path.dirname(d))) hit = true;
          // a text detector links config to the workspace's source files: a new or removed one matters
          if (!hit && setChanged && st.pools.length && !languageOf(st.file)) hit = true;
          if (!hit && envish && st.envSig !== undefined && this.envSig(st.file) !== st.envSig) hit = true;
          if (hit) affected.add(st.file);
        }
        if ([...dirty].some((f) => !languageOf(f))) rulesAll = true; // .env.example and ignore comments in config files
      }
      const list = this.order.filter((f) => affected.has(f));
      const sources = this.sources();
      for (const f of list) {
        await this.analyse(f, sources);
        changed.add(f);
      }
      for (const c of this.runRules(list, rulesAll)) changed.add(c);
      return { changed, analysed: list, full };
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

  private envSig(file: string): string {
    const g = this.g!;
    return g.profiles.map((p) => `${p}=${g.env.filesFor(file, p).map((f) => f.file).join(',')}`).join(';');
  }

  /** Analyses one file: its pools and problems, and what it read. */
  private async analyse(file: string, sources: string[]): Promise<void> {
    const st = this.states.get(file);
    if (!st) return;
    const language = languageOf(file);
    const text0 = this.text(file);
    const detectors = language && text0 !== undefined ? this.opts.detectors.filter((d) => d.languages.includes(language) && d.prefilter.test(text0)) : [];
    // the grammar loads before the analysis starts, so the analysis itself never awaits
    if (language && detectors.length) await getParser(language);
    const g = this.g!;
    const deps = new Set<string>();
    st.pools = [];
    st.problems = [];
    st.parsed = false;
    st.binary = false;
    st.envSig = undefined;
    this.tracking = deps;
    const problem = (p: FileProblem) => st.problems.push(p);
    const modules = new PythonModules(this.root, this.read, this.moduleTrees);
    try {
      const text = this.read(file);
      if (text === undefined) {
        st.binary = true;
        return;
      }
      if (text.length > MAX_FILE_BYTES) {
        this.logLarge(file);
        return;
      }
      const ctxBase = { file, text, env: g.env, profiles: g.profiles, versions: g.versions, rel: this.rel, read: this.read };
      if (!language) {
        if (isEnvFile(path.basename(file))) g.env.load(file); // reports malformed lines
        for (const d of this.opts.textDetectors.filter((t) => t.matches(file, text) && t.prefilter.test(text))) {
          st.parsed = true;
          this.runDetector(st, d.id, () => d.detect({ ...ctxBase, lines: new LineIndex(text), sources, problem }));
        }
        return;
      }
      if (detectors.length === 0) {
        if (!this.openFiles.has(file)) this.disk.delete(file); // no pool here: keep no copy of its text
        return;
      }
      st.parsed = true;
      let tree: Tree | undefined;
      try {
        tree = this.parse(file, language, text);
      } catch (e) {
        problem({ file, message: `cannot parse: ${(e as Error).message}` });
        return;
      }
      if (!tree) {
        problem({ file, message: `cannot parse: tree-sitter returned no tree for a ${language} file` });
        return;
      }
      try {
        const lines = new LineIndex(text);
        registerSource(tree, file, lines);
        if (tree.rootNode.hasError) {
          const err = firstError(tree.rootNode);
          const pos = err ? lines.position(err.startIndex) : undefined;
          problem({ file, line: pos?.line, column: pos?.column, message: 'syntax error; pools in the rest of the file are still checked' });
        }
        for (const d of detectors) {
          this.runDetector(st, d.id, () => d.detect({ ...ctxBase, lines, tree: tree!, modules, root: this.root }));
        }
      } finally {
        if (!this.openFiles.has(file)) tree.delete();
      }
    } finally {
      this.tracking = undefined;
      modules.dispose();
      deps.delete(file);
      st.deps = deps;
      if (st.parsed) {
        st.envSig = this.envSig(file);
        for (const p of g.profiles) for (const f of g.env.filesFor(file, p)) if (f.file !== file) deps.add(f.file);
      }
    }
  }

  /** Parses a file; an open file's tree is kept and reparsed incrementally from its edits. */
  private parse(file: string, language: LanguageId, text: string): Tree | undefined {
    if (!this.openFiles.has(file)) return parseSyncOrThrow(language, text);
    const kept = this.trees.get(file);
    const tree = kept && kept.language === language ? reparseSync(language, text, kept.tree) : parseSyncOrThrow(language, text);
    if (kept && kept.tree !== tree) kept.tree.delete();
    if (tree) this.trees.set(file, { language, tree });
    else this.trees.delete(file);
    return tree;
  }

  /** One detector on one file: an exception or a spent time budget loses that detector's pools only. */
  private runDetector(st: FileState, id: string, detect: () => PoolModel[]): void {
    try {
      st.pools.push(...withDeadline(this.opts.detectorBudgetMs, detect));
    } catch (e) {
      if (e instanceof DeadlineExceeded) {
        const message = `the ${id} detector took over ${e.budgetMs} ms on this file and was abandoned; other detectors and files are still checked`;
        st.problems.push({ file: st.file, message });
        this.log(`${st.file}: ${message}`);
        return;
      }
      const message = `internal error in the ${id} detector: ${maskSecrets((e as Error).message)}; other files are still checked`;
      st.problems.push({ file: st.file, message });
      this.log(`${st.file}: ${message}\n${maskSecrets((e as Error).stack ?? '')}`);
    }
  }

  /**
   * Re-runs the per-pool rules for the pools of `files` (of every file when `all`) and the fleet
   * rules over every pool; returns the files whose findings may have changed.
   */
  private runRules(files: string[], all: boolean): Set<string> {
    const g = this.g!;
    const changed = new Set<string>();
    const runner = new RuleRunner(g.config, (f) => this.text(f), this.rel, g.env, this.opts.rules);
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
    for (const x of [...fleetBefore, ...this.fleet]) changed.add(x.span.file);
    const byFile = new Map<string, Finding[]>();
    for (const x of [...this.poolFindingsInOrder(), ...this.fleet]) {
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

function dedupeProblems(ps: FileProblem[]): FileProblem[] {
  const seen = new Set<string>();
  return ps.filter((p) => {
    const k = `${p.file}:${p.line}:${p.column}:${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
