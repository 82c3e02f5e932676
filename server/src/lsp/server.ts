// The language server: the only place that knows LSP. One engine Workspace per workspace folder;
// a background scan at start-up (with $/progress), then edits, watched-file events and settings
// changes re-diagnose only what they affect.
import * as path from 'path';
import * as v8 from 'v8';
import { fileURLToPath } from 'url';
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  TextDocumentSyncKind,
  WatchKind,
  type ClientCapabilities,
  type Connection,
  type Diagnostic,
  type InitializeParams,
  type InitializeResult,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { createWorkspace, openDiskCache, defaultCacheDir, buildId, RULE_IDS, type AnalysisCache, type ConfigOverrides, type FileEvent, type Workspace } from '../engine';
import type { TreeEdit } from '../engine/syntax';
import { isInside } from '../engine/envfiles';
import { maskSecrets } from '../engine/urls';
import type { Finding } from '../engine/model';
import {
  Positions,
  codeActions,
  codeLenses,
  fixAllAction,
  findingDiagnostic,
  inlayHints,
  poolAt,
  poolHover,
  poolInfo,
  problemDiagnostic,
  relFor,
  uriOf,
  type EditContext,
} from './features';
import { FIX_ALL_KIND, POOLS_REQUEST, SETTINGS_SECTION, STATUS_NOTIFICATION, type PoolLintSettings, type PoolsParams, type PoolsResult, type StatusParams } from './protocol';

declare const POOL_LINT_VERSION: string | undefined;
const VERSION = typeof POOL_LINT_VERSION === 'string' ? POOL_LINT_VERSION : '0.0.0-dev';

/** A detector taking longer than this on one file is abandoned for that file. */
export const DETECTOR_BUDGET_MS = 1000;

interface Folder {
  uri: string;
  root: string;
  ws: Workspace;
  rel: (f: string) => string;
  enabled: boolean;
  scanned: boolean;
  scanning?: Promise<void>;
  /** What was last sent per file, to send only what changed. */
  published: Map<string, string>;
  /** Send every file's diagnostics at the next update (enable was switched). */
  republish?: boolean;
  /** The folder's analysis cache on disk: the start-up scan reuses it, and writes it back. */
  cache?: AnalysisCache;
}

function toFile(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return path.resolve(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}

const LEVELS = new Set(['off', 'info', 'warning', 'error']);

/** Editor settings as engine overrides; bad values are named in the log and left out. */
export function overridesFrom(s: PoolLintSettings | null | undefined, log: (m: string) => void): { enabled: boolean; overrides: ConfigOverrides } {
  const o: ConfigOverrides = {};
  if (!s || typeof s !== 'object') return { enabled: true, overrides: o };
  if (s.rules && typeof s.rules === 'object') {
    o.rules = {};
    for (const [id, level] of Object.entries(s.rules)) {
      if (!RULE_IDS.includes(id)) log(`poolLint.rules: unknown rule '${id}' (known: ${RULE_IDS.join(', ')})`);
      else if (typeof level !== 'string' || !LEVELS.has(level)) log(`poolLint.rules.${id}: must be off, info, warning or error, not ${JSON.stringify(level)}`);
      else o.rules[id] = level;
    }
  }
  for (const k of ['expectedConcurrency', 'peakRequestsPerSecond', 'avgConnectionHoldMs', 'serverMaxConnections'] as const) {
    const v = s[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) log(`poolLint.${k}: must be a positive number, not ${JSON.stringify(v)}`);
    else o[k] = v;
  }
  if (s.profiles && typeof s.profiles === 'object' && Object.keys(s.profiles).length) {
    o.profiles = {};
    for (const [name, files] of Object.entries(s.profiles)) {
      if (!Array.isArray(files) || files.some((f) => typeof f !== 'string')) log(`poolLint.profiles.${name}: must be a list of env file names`);
      else o.profiles[name] = files;
    }
  }
  return { enabled: s.enable !== false, overrides: o };
}

export function startServer(connection: Connection): void {
  // A long-lived, mostly idle process: V8 lets its young generation grow to 32 MB during the
  // start-up scan and keeps it. Held at its first size, the scan costs no measurable CPU more and
  // the resident set stays about 35 MB smaller (npm run bench:lsp prints it). The flag is read at
  // each growth of the young generation, so setting it now takes effect.
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  const folders: Folder[] = [];
  const docs = new Map<string, TextDocument>(); // by file path
  let caps: ClientCapabilities = {};
  let lastStatus: StatusParams = { scanning: true, pools: 0, findings: { error: 0, warning: 0, info: 0 }, analysed: 0, kept: 0, elapsedMs: 0 };

  const log = (m: string) => connection.console.log(maskSecrets(m));
  const warn = (m: string) => connection.console.warn(maskSecrets(m));

  const folderOf = (file: string): Folder | undefined => {
    let best: Folder | undefined;
    for (const f of folders) if (isInside(file, f.root) && (!best || f.root.length > best.root.length)) best = f;
    return best;
  };

  // where the analysis cache lives: the client's choice (VS Code: the extension's global storage),
  // else the CLI's folder; `cacheDir: false` in the initialization options turns it off
  let cacheDir: string | undefined;
  const addFolder = (uri: string) => {
    const root = toFile(uri);
    if (!root || folders.some((f) => f.root === root)) return;
    const rel = relFor(root);
    const cache = cacheDir ? openDiskCache(cacheDir, root, buildId()) : undefined;
    const ws = createWorkspace({ root, rel, detectorBudgetMs: DETECTOR_BUDGET_MS, log: warn, cache });
    folders.push({ uri, root, ws, rel, enabled: true, scanned: false, published: new Map(), cache });
  };

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    caps = params.capabilities;
    const opt = (params.initializationOptions as { cacheDir?: unknown } | undefined)?.cacheDir;
    cacheDir = opt === false ? undefined : typeof opt === 'string' && opt ? opt : defaultCacheDir();
    if (params.workspaceFolders?.length) for (const f of params.workspaceFolders) addFolder(f.uri);
    else if (params.rootUri) addFolder(params.rootUri);
    else if (params.rootPath) addFolder(uriOf(params.rootPath));
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND], resolveProvider: true },
        inlayHintProvider: true,
        codeLensProvider: { resolveProvider: false },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'pool-lint', version: VERSION },
    };
  });

  // ---- settings --------------------------------------------------------------------------

  const pullSettings = async (): Promise<void> => {
    if (!caps.workspace?.configuration || folders.length === 0) return;
    let values: (PoolLintSettings | null)[];
    try {
      values = await connection.workspace.getConfiguration(folders.map((f) => ({ scopeUri: f.uri, section: SETTINGS_SECTION })));
    } catch (e) {
      warn(`cannot read the poolLint settings: ${(e as Error).message}`);
      return;
    }
    folders.forEach((f, i) => {
      const { enabled, overrides } = overridesFrom(values[i], warn);
      if (f.enabled !== enabled) f.republish = true;
      f.enabled = enabled;
      f.ws.setOverrides(overrides);
    });
  };

  // ---- diagnostics -----------------------------------------------------------------------

  const sendStatus = (elapsedMs: number, analysed: number, kept = 0, cpuMs?: number) => {
    const counts = { error: 0, warning: 0, info: 0 };
    let pools = 0;
    for (const f of folders) {
      if (!f.enabled) continue;
      pools += f.ws.pools().length;
      const c = f.ws.counts();
      counts.error += c.error;
      counts.warning += c.warning;
      counts.info += c.info;
    }
    lastStatus = { scanning: folders.some((f) => !f.scanned), pools, findings: counts, analysed, kept, elapsedMs, cpuMs };
    void connection.sendNotification(STATUS_NOTIFICATION, lastStatus);
  };

  /** Sends the diagnostics of `files` that changed since last sent (`all`: of every file). */
  const publish = (folder: Folder, files: Iterable<string>, all = false) => {
    const pos = new Positions(folder.ws);
    const targets = new Set(files);
    if (all || !folder.enabled) {
      for (const f of folder.published.keys()) targets.add(f);
      if (folder.enabled) for (const f of folder.ws.filesWithDiagnostics()) targets.add(f);
    }
    for (const file of targets) {
      if (!isInside(file, folder.root) || file === folder.root) continue;
      const diagnostics = folder.enabled ? [...folder.ws.findingsIn(file).map((x) => findingDiagnostic(x, pos, folder.rel)), ...folder.ws.problemsIn(file).map(problemDiagnostic)] : [];
      const key = JSON.stringify(diagnostics);
      if ((folder.published.get(file) ?? '[]') === key) continue;
      if (diagnostics.length) folder.published.set(file, key);
      else folder.published.delete(file);
      const doc = docs.get(file);
      void connection.sendDiagnostics({ uri: doc?.uri ?? uriOf(file), version: doc?.version, diagnostics });
    }
  };


  const scanFolder = (folder: Folder): Promise<void> => {
    folder.scanning ??= (async () => {
      const started = performance.now();
      const progress = await connection.window.createWorkDoneProgress().catch(() => undefined);
      progress?.begin('pool-lint', 0, 'scanning the workspace', false);
      let lastPct = -1;
      try {
        const r = await folder.ws.scan(undefined, (done, total, diagnosed) => {
          const pct = total ? Math.floor((done / total) * 100) : 100;
          if (pct !== lastPct) progress?.report(pct, `${done}/${total} files`);
          lastPct = pct;
          // findings appear as the scan reaches them, not all at its end
          if (diagnosed.length) publish(folder, diagnosed);
        });
        folder.scanned = true;
        received.delete(folder); // edits made during the scan were read by it
        publish(folder, r.changed, true);
        const hits = folder.cache?.stats.hits ?? 0;
        const fromCache = folder.cache ? ` (${hits} of ${hits + folder.cache.stats.misses} analyses from the cache)` : '';
        log(`scanned ${folder.root}: ${folder.ws.files.length} files, ${folder.ws.pools().length} pools in ${Math.round(performance.now() - started)} ms${fromCache}`);
        sendStatus(performance.now() - started, r.analysed.length);
        folder.cache?.save(); // after the status: the scan is done for the user before the cache is written
      } catch (e) {
        warn(`scan of ${folder.root} failed: ${(e as Error).stack ?? (e as Error).message}`);
      } finally {
        progress?.done();
      }
      // edits made while the scan ran
      if (folder.ws.pending) schedule(folder);
    })();
    return folder.scanning;
  };

  const scheduled = new Set<Folder>();
  const received = new Map<Folder, { at: number; cpu: NodeJS.CpuUsage }>();
  const schedule = (folder: Folder) => {
    if (!received.has(folder)) received.set(folder, { at: performance.now(), cpu: process.cpuUsage() });
    if (scheduled.has(folder) || !folder.scanned) return;
    scheduled.add(folder);
    setImmediate(() => {
      scheduled.delete(folder);
      const t0 = received.get(folder) ?? { at: performance.now(), cpu: process.cpuUsage() };
      received.delete(folder);
      folder.ws.update().then(
        (r) => {
          publish(folder, r.changed, folder.republish);
          folder.republish = false;
          const cpu = process.cpuUsage(t0.cpu);
          sendStatus(performance.now() - t0.at, r.analysed.length, r.kept.length, (cpu.user + cpu.system) / 1000);
          if (folder.ws.pending) schedule(folder);
        },
        (e: Error) => warn(`update of ${folder.root} failed: ${e.stack ?? e.message}`),
      );
    });
  };

  connection.onInitialized(async () => {
    if (caps.workspace?.didChangeWatchedFiles?.dynamicRegistration) {
      const kind = WatchKind.Create | WatchKind.Change | WatchKind.Delete;
      await connection.client
        .register(DidChangeWatchedFilesNotification.type, {
          watchers: [
            { globPattern: '**/*.{py,rs,ts,tsx,mts,cts,js,mjs,cjs,jsx,go}', kind },
            { globPattern: '**/*.{yml,yaml,toml,json,txt,lock,prisma,properties,mod}', kind },
            { globPattern: '**/{.env,.env.*,*.env}', kind },
          ],
        })
        .catch((e: Error) => warn(`cannot watch files: ${e.message}`));
    }
    if (caps.workspace?.didChangeConfiguration?.dynamicRegistration) {
      await connection.client.register(DidChangeConfigurationNotification.type, { section: SETTINGS_SECTION }).catch(() => undefined);
    }
    if (caps.workspace?.workspaceFolders) {
      connection.workspace.onDidChangeWorkspaceFolders((e) => {
        for (const r of e.removed) {
          const i = folders.findIndex((f) => f.uri === r.uri || f.root === toFile(r.uri));
          if (i < 0) continue;
          const [gone] = folders.splice(i, 1);
          for (const file of gone.published.keys()) void connection.sendDiagnostics({ uri: uriOf(file), diagnostics: [] });
          gone.ws.dispose();
        }
        for (const a of e.added) addFolder(a.uri);
        void pullSettings().then(() => folders.forEach((f) => void scanFolder(f)));
      });
    }
    await pullSettings();
    for (const f of folders) void scanFolder(f);
  });

  connection.onDidChangeConfiguration(async () => {
    await pullSettings();
    for (const f of folders) if (f.scanned) schedule(f);
  });

  // ---- documents -------------------------------------------------------------------------

  connection.onDidOpenTextDocument(({ textDocument: td }) => {
    const file = toFile(td.uri);
    if (!file) return;
    docs.set(file, TextDocument.create(td.uri, td.languageId, td.version, td.text));
    const folder = folderOf(file);
    if (!folder) return;
    folder.ws.openFile(file, td.text);
    schedule(folder);
  });

  connection.onDidChangeTextDocument(({ textDocument: td, contentChanges }) => {
    const file = toFile(td.uri);
    const doc = file ? docs.get(file) : undefined;
    if (!file || !doc) return;
    const edits: TreeEdit[] = [];
    let current = doc;
    let incremental = true;
    for (const change of contentChanges) {
      if (!('range' in change)) {
        incremental = false;
        current = TextDocument.update(current, [change], td.version);
        continue;
      }
      edits.push(treeEdit(current, change));
      current = TextDocument.update(current, [change], td.version);
    }
    docs.set(file, current);
    const folder = folderOf(file);
    if (!folder) return;
    folder.ws.changeFile(file, current.getText(), incremental ? edits : undefined);
    schedule(folder);
  });

  connection.onDidCloseTextDocument(({ textDocument: td }) => {
    const file = toFile(td.uri);
    if (!file) return;
    docs.delete(file);
    const folder = folderOf(file);
    if (!folder) return;
    folder.ws.closeFile(file);
    schedule(folder);
  });

  connection.onDidChangeWatchedFiles(({ changes }) => {
    const byFolder = new Map<Folder, FileEvent[]>();
    for (const c of changes) {
      const file = toFile(c.uri);
      const folder = file ? folderOf(file) : undefined;
      if (!file || !folder) continue;
      const type = c.type === FileChangeType.Created ? 'created' : c.type === FileChangeType.Deleted ? 'deleted' : 'changed';
      byFolder.set(folder, [...(byFolder.get(folder) ?? []), { file, type }]);
    }
    for (const [folder, events] of byFolder) {
      folder.ws.filesChanged(events);
      schedule(folder);
    }
  });

  // ---- requests --------------------------------------------------------------------------

  const editContext = (folder: Folder, pos: Positions): EditContext => ({
    pos,
    versionOf: (file) => docs.get(file)?.version ?? null,
    documentChanges: caps.workspace?.workspaceEdit?.documentChanges === true,
  });

  /** The folder and file of a request, once that folder's scan is done (requests wait for it). */
  const target = async (uri: string): Promise<{ folder: Folder; file: string } | undefined> => {
    const file = toFile(uri);
    const folder = file ? folderOf(file) : undefined;
    if (!file || !folder || !folder.enabled) return undefined;
    if (!folder.scanned) await scanFolder(folder);
    if (folder.ws.pending) await folder.ws.update().then((r) => publish(folder, r.changed));
    return { folder, file };
  };

  connection.onHover(async ({ textDocument, position }) => {
    const t = await target(textDocument.uri);
    if (!t) return null;
    const pos = new Positions(t.folder.ws);
    const at = poolAt(t.folder.ws, t.file, pos.offset(t.file, position.line, position.character), position.line);
    if (!at) return null;
    const hover = poolHover(t.folder.ws, at.pool, t.folder.rel, at.setting);
    if (at.pool.file !== t.file) hover.range = undefined;
    return hover;
  });

  connection.onCodeAction(async ({ textDocument, range: asked, context }) => {
    const t = await target(textDocument.uri);
    if (!t) return [];
    const range = asked ?? { start: { line: 0, character: 0 }, end: { line: Number.MAX_SAFE_INTEGER, character: 0 } };
    const pos = new Positions(t.folder.ws);
    const ctx = editContext(t.folder, pos);
    const findings: Finding[] = t.folder.ws.findingsIn(t.file).filter((f) => f.span.line <= range.end.line && f.span.endLine >= range.start.line);
    const actions = codeActions(t.folder.ws, t.file, findings, (context?.diagnostics ?? []).filter((d) => d.source === 'pool-lint'), ctx, t.folder.rel, context?.only);
    const only = context?.only;
    if (!only || only.some((o) => FIX_ALL_KIND === o || FIX_ALL_KIND.startsWith(`${o}.`))) {
      // the lightbulb asks on every cursor move: a client that resolves actions gets the fix-all's
      // edit (a re-check per pass) only when the user picks it; one that asked for it by kind
      // (on save) gets it now
      const resolves = caps.textDocument?.codeAction?.resolveSupport?.properties.includes('edit') ?? false;
      const all = await fixAllAction(t.folder.ws, t.file, ctx, resolves && !only);
      if (all) actions.push(all);
    }
    return actions;
  });

  connection.onCodeActionResolve(async (action) => {
    const uri = (action.data as { fixAll?: string } | undefined)?.fixAll;
    if (!uri || action.edit) return action;
    const t = await target(uri);
    if (!t) return action;
    const resolved = await fixAllAction(t.folder.ws, t.file, editContext(t.folder, new Positions(t.folder.ws)));
    return resolved ? { ...action, edit: resolved.edit } : action;
  });

  connection.languages.inlayHint.on(async ({ textDocument, range }) => {
    const t = await target(textDocument.uri);
    if (!t) return [];
    return inlayHints(t.folder.ws, t.file, range, t.folder.rel);
  });

  connection.onCodeLens(async ({ textDocument }) => {
    const t = await target(textDocument.uri);
    if (!t) return [];
    return codeLenses(t.folder.ws, t.file);
  });

  connection.onRequest(POOLS_REQUEST, async (params: PoolsParams | undefined): Promise<PoolsResult> => {
    const scope = params?.uri ? toFile(params.uri) : undefined;
    const out: PoolsResult = { pools: [] };
    for (const folder of folders) {
      if (!folder.enabled) continue;
      if (scope && !isInside(folder.root, scope) && !isInside(scope, folder.root)) continue;
      if (!folder.scanned) await scanFolder(folder);
      if (folder.ws.pending) await folder.ws.update().then((r) => publish(folder, r.changed));
      const pos = new Positions(folder.ws);
      const findings = folder.ws.findings();
      for (const pool of folder.ws.pools()) {
        if (scope && !isInside(pool.file, scope)) continue;
        out.pools.push(poolInfo(folder.ws, pool, folder.rel, pos, findings));
      }
    }
    return out;
  });

  connection.onShutdown(() => {
    for (const f of folders) f.ws.dispose();
  });

  connection.listen();
  void lastStatus;
}

/** An LSP content change as a tree-sitter edit of the document before it (rows/columns are UTF-16, as LSP's). */
function treeEdit(before: TextDocument, change: TextDocumentContentChangeEvent & { range: { start: { line: number; character: number }; end: { line: number; character: number } } }): TreeEdit {
  const startIndex = before.offsetAt(change.range.start);
  const oldEndIndex = before.offsetAt(change.range.end);
  const start = before.positionAt(startIndex);
  const oldEnd = before.positionAt(oldEndIndex);
  const lines = change.text.split('\n');
  const newEnd = lines.length === 1 ? { row: start.line, column: start.character + change.text.length } : { row: start.line + lines.length - 1, column: lines[lines.length - 1].length };
  return {
    startIndex,
    oldEndIndex,
    newEndIndex: startIndex + change.text.length,
    startPosition: { row: start.line, column: start.character },
    oldEndPosition: { row: oldEnd.line, column: oldEnd.character },
    newEndPosition: newEnd,
  };
}
