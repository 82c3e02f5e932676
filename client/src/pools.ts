// The workspace's pools as the server lists them (the poolLint/pools request): a store that
// refreshes after diagnostics change, the "Connection pools" tree view and the quick pick.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { State } from 'vscode-languageclient/node';
import { POOLS_REQUEST, type PoolInfo, type PoolsParams, type PoolsResult, type PoolProfileInfo, type PoolSettingInfo, type LspRange } from './protocol';

export class PoolStore implements vscode.Disposable {
  pools: PoolInfo[] = [];
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly getClient: () => LanguageClient | undefined,
    private readonly output: vscode.OutputChannel,
  ) {}

  /** Refreshes after a quiet 400 ms (diagnostics arrive file by file during the scan). */
  refreshSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), 400);
  }

  async refresh(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = this.load().finally(() => {
      this.inFlight = undefined;
      if (this.again) {
        this.again = false;
        this.refreshSoon();
      }
    });
    return this.inFlight;
  }

  private async load(): Promise<void> {
    const c = this.getClient();
    if (!c || c.state !== State.Running) return;
    try {
      const params: PoolsParams = {};
      const result = await c.sendRequest<PoolsResult>(POOLS_REQUEST, params);
      this.pools = (result?.pools ?? []).slice().sort((a, b) => a.uri.localeCompare(b.uri) || a.range.start.line - b.range.start.line);
      this.emitter.fire();
    } catch (err) {
      this.output.appendLine(`[client] ${POOLS_REQUEST} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  clear(): void {
    this.pools = [];
    this.emitter.fire();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.emitter.dispose();
  }
}

/** The pool's workspace-relative file and 1-based line. */
export function poolLocation(p: PoolInfo): string {
  return `${p.path}:${p.range.start.line + 1}`;
}

export function poolTitle(p: PoolInfo): string {
  return `${p.constructor} (${p.library})`;
}

export function findingCount(p: PoolInfo): number {
  return p.findings.error + p.findings.warning + p.findings.info;
}

/** "development: postgresql, 15 connections". */
export function profileSummary(pr: PoolProfileInfo): string {
  return `${pr.name}: ${pr.database.kind}${pr.capacity !== undefined ? `, ${pr.capacity} connection${pr.capacity === 1 ? '' : 's'}` : ''}`;
}

/** A value as the pool's own language writes it (None in Python, null elsewhere). */
export function formatValue(p: PoolInfo, s: PoolSettingInfo): string {
  if (!('value' in s) || s.value === undefined) return 'unknown';
  if (s.value === null) return p.uri.endsWith('.py') ? 'None' : 'null';
  if (typeof s.value === 'boolean' && p.uri.endsWith('.py')) return s.value ? 'True' : 'False';
  return typeof s.value === 'string' ? JSON.stringify(s.value) : String(s.value);
}

export async function openPool(p: PoolInfo): Promise<void> {
  const uri = vscode.Uri.parse(p.uri);
  const r = p.range;
  const range = new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
  const editor = await vscode.window.showTextDocument(uri, { selection: new vscode.Range(range.start, range.start), preview: false });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

export async function showPoolsQuickPick(store: PoolStore): Promise<void> {
  await store.refresh();
  type Item = vscode.QuickPickItem & { pool?: PoolInfo };
  const items: Item[] = store.pools.map((p) => ({
    label: `$(database) ${poolTitle(p)}`,
    description: poolLocation(p),
    detail: p.profiles.map(profileSummary).join('  ·  ') + (findingCount(p) ? `  ·  ${findingCount(p)} finding${findingCount(p) === 1 ? '' : 's'}` : ''),
    pool: p,
  }));
  if (items.length === 0) {
    void vscode.window.showInformationMessage('pool-lint found no database connection pools in this workspace.');
    return;
  }
  const picked = await vscode.window.showQuickPick(items, {
    title: `pool-lint: ${items.length} pool${items.length === 1 ? '' : 's'} in this workspace`,
    placeHolder: 'Select a pool to open it where it is created',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (picked?.pool) await openPool(picked.pool);
}

type Node =
  | { kind: 'pool'; pool: PoolInfo }
  | { kind: 'profile'; pool: PoolInfo; profile: PoolProfileInfo }
  | { kind: 'setting'; pool: PoolInfo; name: string; setting: PoolSettingInfo };

export class PoolTreeProvider implements vscode.TreeDataProvider<Node> {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly store: PoolStore) {
    store.onDidChange(() => this.emitter.fire(undefined));
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.store.pools.map((pool) => ({ kind: 'pool', pool }));
    if (node.kind === 'pool') return node.pool.profiles.map((profile) => ({ kind: 'profile', pool: node.pool, profile }));
    if (node.kind === 'profile') return Object.entries(node.profile.settings).map(([name, setting]) => ({ kind: 'setting', pool: node.pool, name, setting }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'pool') {
      const p = node.pool;
      const item = new vscode.TreeItem(poolTitle(p), vscode.TreeItemCollapsibleState.Collapsed);
      item.id = p.id;
      item.description = poolLocation(p);
      const n = findingCount(p);
      item.iconPath = new vscode.ThemeIcon(p.findings.error ? 'error' : n ? 'warning' : 'database');
      item.tooltip = [poolTitle(p), poolLocation(p), ...p.profiles.map(profileSummary), n ? `${n} finding${n === 1 ? '' : 's'}` : 'no findings'].join('\n');
      item.contextValue = 'pool';
      item.command = openCommand(p.uri, p.range);
      return item;
    }
    if (node.kind === 'profile') {
      const pr = node.profile;
      const item = new vscode.TreeItem(pr.name, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `${node.pool.id}/${pr.name}`;
      item.description = `${pr.database.kind}${pr.capacity !== undefined ? `, ${pr.capacity} connections` : ''}, ${pr.poolClass}`;
      item.tooltip = `${pr.database.how}\nenv files: ${pr.envFiles.length ? pr.envFiles.join(', ') : 'none'}`;
      item.iconPath = new vscode.ThemeIcon('layers');
      return item;
    }
    const s = node.setting;
    const item = new vscode.TreeItem(`${node.name} = ${formatValue(node.pool, s)}`, vscode.TreeItemCollapsibleState.None);
    item.description = s.from;
    item.tooltip = `${node.name} = ${formatValue(node.pool, s)} (${s.source}: ${s.from})`;
    if (s.location) item.command = openCommand(s.location.uri, s.location.range);
    return item;
  }
}

function openCommand(uri: string, r: LspRange): vscode.Command {
  const range = new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
  return { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.parse(uri), { selection: range } satisfies vscode.TextDocumentShowOptions] };
}
