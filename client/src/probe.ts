// The "Run load probe" command (poolLint.runProbe, the CodeLens above each pool). The probe opens
// real connections to a database, so it never runs in Restricted Mode: the manifest disables the
// command there (enablement and when-clause isWorkspaceTrusted) and this checks again at run time,
// because a CodeLens or a keybinding can invoke a command whatever its enablement.
//
// The run itself is `pool-lint probe --pool FILE:LINE --format json` in a child process
// (probe-run.ts): progress in a notification with Cancel, the report in a webview (the same charts
// as the HTML report, no script, a nonce-only style policy), the recommended size as a quick fix on
// the pool, and a password asked for once and kept in SecretStorage.
import * as crypto from 'crypto';
import * as path from 'path';
import * as vscode from 'vscode';
import { toHtml, type ProbeReport } from '../../server/src/probe/render';
import type { PoolStore } from './pools';
import * as fs from 'fs';
import { needsPassword, runProbeProcess, settingsArgs, sqliteRuntime, type AddonAbi, type ProbeJson, type ProbeProcessResult, type Runtime } from './probe-run';

/** What the server's CodeLens passes: the pool's file, 0-based line and pool id. */
export interface ProbeTarget {
  uri: string;
  line: number;
  poolId: string;
}

const SQLITE_FRESH = 'sqlite-fresh';

/** Probe results per pool (file and 0-based line), for the quick fix. */
export class ProbeResults {
  private readonly byPool = new Map<string, ProbeJson>();
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  key(uri: vscode.Uri, line: number): string {
    return `${uri.toString()}#${line}`;
  }
  set(uri: vscode.Uri, line: number, r: ProbeJson): void {
    this.byPool.set(this.key(uri, line), r);
    this.emitter.fire();
  }
  get(uri: vscode.Uri, line: number): ProbeJson | undefined {
    return this.byPool.get(this.key(uri, line));
  }
  forFile(uri: vscode.Uri): [number, ProbeJson][] {
    const prefix = `${uri.toString()}#`;
    return [...this.byPool].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [Number(k.slice(prefix.length)), v]);
  }
}

/** The measured capacity, offered where the pool is constructed. */
export class ProbeFixProvider implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];
  constructor(private readonly results: ProbeResults) {}
  provideCodeActions(doc: vscode.TextDocument, range: vscode.Range): vscode.CodeAction[] {
    const out: vscode.CodeAction[] = [];
    for (const [line, r] of this.results.forFile(doc.uri)) {
      if (!r.fix || range.end.line < line - 1 || range.start.line > line + 3) continue;
      out.push(fixAction(r));
    }
    return out;
  }
}

export function fixAction(r: ProbeJson): vscode.CodeAction {
  const a = new vscode.CodeAction(`${r.fix!.description}`, vscode.CodeActionKind.QuickFix);
  a.edit = new vscode.WorkspaceEdit();
  for (const e of r.fix!.edits) {
    // offsets are UTF-16 indices into the file as the probe read it
    const uri = vscode.Uri.file(e.file);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === uri.fsPath);
    if (doc) a.edit.replace(uri, new vscode.Range(doc.positionAt(e.start), doc.positionAt(e.end)), e.newText);
  }
  return a;
}

export function registerProbeCommand(output: vscode.OutputChannel, context?: vscode.ExtensionContext, store?: PoolStore): vscode.Disposable {
  const results = new ProbeResults();
  const subs: vscode.Disposable[] = [];
  // the palette entry shows when this is set and the workspace is trusted (package.json menus)
  void vscode.commands.executeCommand('setContext', 'poolLint.probeAvailable', true);
  subs.push(
    vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, new ProbeFixProvider(results), { providedCodeActionKinds: ProbeFixProvider.kinds }),
    vscode.commands.registerCommand('poolLint.runProbe', async (target?: ProbeTarget) => {
      if (!vscode.workspace.isTrusted) {
        output.appendLine('[client] load probe refused: the workspace is not trusted (Restricted Mode)');
        const manage = 'Manage Workspace Trust';
        const choice = await vscode.window.showWarningMessage(
          'pool-lint: the load probe connects to a database, so it is disabled in Restricted Mode. Trust this workspace to run it.',
          manage,
        );
        if (choice === manage) await vscode.commands.executeCommand('workbench.trust.manage');
        return false;
      }
      const picked = target ?? (await pickTarget(store));
      if (!picked) return false;
      output.appendLine(`[client] load probe requested for ${picked.poolId === SQLITE_FRESH ? 'a fresh SQLite database' : `${picked.uri}:${picked.line + 1} (${picked.poolId})`}`);
      return runProbe(picked, output, results, context, store);
    }),
  );
  return vscode.Disposable.from(...subs);
}

async function pickTarget(store?: PoolStore): Promise<ProbeTarget | undefined> {
  type Item = vscode.QuickPickItem & { target: ProbeTarget };
  // the probe measures PostgreSQL, MySQL/MariaDB and SQLite
  const probeable = (store?.pools ?? []).filter((p) => p.profiles.some((pr) => ['postgresql', 'mysql', 'sqlite'].includes(pr.database.kind)));
  const items: Item[] = probeable.map((p) => ({
    label: `${p.library} ${p.constructor}`,
    description: `${p.path}:${p.range.start.line + 1}`,
    detail: p.profiles.map((pr) => `${pr.name}: ${pr.database.url ?? pr.database.kind}${pr.capacity ? `, holds ${pr.capacity}` : ''}`).join(' · '),
    target: { uri: p.uri, line: p.range.start.line, poolId: p.id },
  }));
  items.push({ label: 'SQLite on a fresh temporary database', description: 'rollback journal vs WAL, two writers vs one', target: { uri: '', line: 0, poolId: SQLITE_FRESH } });
  const choice = await vscode.window.showQuickPick(items, { title: 'pool-lint: Run load probe', placeHolder: 'The pool to measure' });
  return choice?.target;
}

function secretKey(folder: vscode.WorkspaceFolder | undefined, t: ProbeTarget): string {
  return `poolLint.probe.password:${folder?.uri.toString() ?? ''}:${t.poolId}`;
}

/** Whether the target is a SQLite database (the fresh one, or a pool the server says is SQLite). */
function isSqlite(t: ProbeTarget, store?: PoolStore): boolean {
  if (t.poolId === SQLITE_FRESH) return true;
  const pool = store?.pools.find((p) => p.id === t.poolId);
  const kinds = (pool?.profiles ?? []).map((pr) => pr.database.kind).filter((k) => k === 'postgresql' || k === 'mysql' || k === 'sqlite');
  return kinds[0] === 'sqlite';
}

/**
 * The Node to run the CLI with. PostgreSQL needs nothing native, so the editor's own runtime does;
 * SQLite loads the better-sqlite3 addon the VSIX carries, built for one Node ABI (abi.json).
 */
function chooseRuntime(t: ProbeTarget, dist: string, output: vscode.OutputChannel, store?: PoolStore): Runtime | string | undefined {
  if (!isSqlite(t, store)) return undefined;
  const abiFile = path.join(dist, 'native', 'better-sqlite3', 'abi.json');
  if (!fs.existsSync(abiFile)) return undefined; // a checkout: the CLI finds node_modules/better-sqlite3 itself
  const abi = JSON.parse(fs.readFileSync(abiFile, 'utf8')) as AddonAbi;
  const r = sqliteRuntime(abi, { execPath: process.execPath, versions: process.versions as { modules: string; node: string; electron?: string }, platform: process.platform, arch: process.arch, pathEnv: process.env.PATH ?? '' });
  if (typeof r !== 'string') output.appendLine(`[client] SQLite probe runs with ${r.why}`);
  return r;
}

async function runProbe(t: ProbeTarget, output: vscode.OutputChannel, results: ProbeResults, context?: vscode.ExtensionContext, store?: PoolStore): Promise<boolean> {
  const cli = context ? context.asAbsolutePath(path.join('dist', 'cli.js')) : path.join(__dirname, 'cli.js');
  const runtime = chooseRuntime(t, path.dirname(cli), output, store);
  if (typeof runtime === 'string') {
    output.appendLine(`[client] ${runtime}`);
    void vscode.window.showErrorMessage(`pool-lint: ${runtime}`);
    return false;
  }
  const uri = t.uri ? vscode.Uri.parse(t.uri) : undefined;
  const folder = uri ? vscode.workspace.getWorkspaceFolder(uri) : vscode.workspace.workspaceFolders?.[0];
  const cwd = folder?.uri.fsPath ?? (uri ? path.dirname(uri.fsPath) : process.cwd());
  const config = vscode.workspace.getConfiguration('poolLint', uri ?? folder?.uri);
  const args = t.poolId === SQLITE_FRESH ? ['--sqlite'] : ['--pool', `${path.relative(cwd, uri!.fsPath)}:${t.line + 1}`, '--root', cwd];
  args.push(
    ...settingsArgs(
      { allowedHosts: config.get<string[]>('probe.allowedHosts'), duration: config.get<string | null>('probe.duration'), steps: config.get<number[]>('probe.steps'), workload: config.get<string>('probe.workload') },
      isSqlite(t, store),
    ),
  );
  const key = secretKey(folder, t);
  let password = context ? await context.secrets.get(key) : undefined;
  let result: ProbeProcessResult | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'pool-lint: load probe', cancellable: true },
      async (progress, token) => {
        let last = 0;
        const cancelled = new Promise<void>((resolve) => token.onCancellationRequested(() => resolve()));
        return runProbeProcess({
          cli,
          cwd,
          args,
          password,
          cancelled,
          runtime,
          onProgress: (p) => {
            const pct = Math.round(p.fraction * 100);
            progress.report({ message: p.message, increment: Math.max(0, pct - last) });
            last = Math.max(last, pct);
          },
        });
      },
    );
    if (!needsPassword(result) || !context) break;
    if (password) {
      await context.secrets.delete(key);
      output.appendLine('[client] the stored password was refused; it has been forgotten');
    }
    const target = result.report?.target;
    password = await vscode.window.showInputBox({
      title: 'pool-lint: database password',
      prompt: `Password for ${target?.user ?? 'the user'} at ${target?.host ?? 'the database'}:${target?.port ?? ''} (kept in the editor's secret storage)`,
      password: true,
      ignoreFocusOut: true,
    });
    if (!password) break;
    await context.secrets.store(key, password);
  }
  if (!result) return false;
  if (result.stderr) output.appendLine(`[probe] ${result.stderr}`);
  const report = result.report;
  if (!report) {
    void vscode.window.showErrorMessage(`pool-lint: the load probe did not run: ${result.stderr.split('\n').pop() || `exit code ${result.code}`}`);
    return false;
  }
  for (const e of report.errors) output.appendLine(`[probe] ${e}`);
  if (uri) results.set(uri, t.line, report);
  showReport(report, context);
  // PostgreSQL: the recommended size; SQLite: the verdict's first sentence (the busy rates)
  const verdict = typeof report.verdict === 'string' ? report.verdict.split(/(?<=\.) /)[0].replace(/\.$/, '') : undefined;
  const summary = report.recommendation ? `recommended capacity ${report.recommendation.capacity} (the pool has ${report.limits?.capacity})` : report.errors[0] ?? verdict ?? 'done';
  const apply = report.fix ? 'Apply' : undefined;
  const choice = await (report.complete ? vscode.window.showInformationMessage(`pool-lint: load probe ${report.complete ? 'done' : 'stopped'}: ${summary}`, ...(apply ? [apply] : [])) : vscode.window.showWarningMessage(`pool-lint: partial report: ${summary}`));
  if (choice === apply && report.fix && uri) {
    await vscode.workspace.openTextDocument(uri);
    await vscode.workspace.applyEdit(fixAction(report).edit!);
  }
  return report.complete;
}

let panel: vscode.WebviewPanel | undefined;

/** The report in a webview: no script, no resource, a style element allowed by its nonce alone. */
export function showReport(report: ProbeJson, context?: vscode.ExtensionContext): void {
  const title = report.pool ? `Load probe: ${report.pool.file}:${report.pool.line}` : report.kind === 'sqlite' ? 'Load probe: SQLite' : 'Load probe';
  if (!panel) {
    panel = vscode.window.createWebviewPanel('poolLint.probeReport', title, vscode.ViewColumn.Beside, { enableScripts: false, enableCommandUris: false, localResourceRoots: [] });
    panel.onDidDispose(() => (panel = undefined), undefined, context?.subscriptions);
  }
  panel.title = title;
  panel.webview.html = toHtml(report as unknown as ProbeReport, [], { nonce: crypto.randomBytes(16).toString('base64') });
  panel.reveal(vscode.ViewColumn.Beside, true);
}
