// The workspace's pools as the server lists them (the poolLint/pools request): a store that
// refreshes after diagnostics change, the "Connection pools" tree view and the quick pick.
import * as path from 'path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { State } from 'vscode-languageclient/node';
import { POOLS_METHOD, type PoolInfo, type PoolsResult, type PoolProfileInfo } from './protocol';

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
      const result = await c.sendRequest<PoolsResult>(POOLS_METHOD, {});
      this.pools = (result?.pools ?? []).slice().sort((a, b) => a.uri.localeCompare(b.uri) || a.range.start.line - b.range.start.line);
      this.emitter.fire();
    } catch (err) {
      this.output.appendLine(`[client] ${POOLS_METHOD} failed: ${err instanceof Error ? err.message : String(err)}`);
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

/** The pool's file relative to its workspace folder, and its 1-based line. */
export function poolLocation(p: PoolInfo): string {
  const uri = vscode.Uri.parse(p.uri);
  return `${vscode.workspace.asRelativePath(uri, vscode.workspace.workspaceFolders !== undefined && vscode.workspace.workspaceFolders.length > 1)}:${p.range.start.line + 1}`;
}

export function poolTitle(p: PoolInfo): string {
  return `${p.constructor} (${p.library})`;
}

/** One line per profile: "development: postgresql, holds 15 (pool_size 5 + max_overflow 10)". */
export function profileSummary(pr: PoolProfileInfo): string {
  const cap = pr.capacity ? `, ${pr.capacity}` : '';
  return `${pr.profile}: ${pr.database}${cap}`;
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
    detail: p.profiles.map(profileSummary).join('  ·  ') + (p.findings ? `  ·  ${p.findings} finding${p.findings === 1 ? '' : 's'}` : ''),
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

type Node = { kind: 'pool'; pool: PoolInfo } | { kind: 'profile'; pool: PoolInfo; profile: PoolProfileInfo } | { kind: 'setting'; pool: PoolInfo; label: string; detail: string; tooltip?: string };

export class PoolTreeProvider implements vscode.TreeDataProvider<Node> {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly store: PoolStore) {
    store.onDidChange(() => this.emitter.fire(undefined));
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.store.pools.map((pool) => ({ kind: 'pool', pool }));
    if (node.kind === 'pool') return node.pool.profiles.map((profile) => ({ kind: 'profile', pool: node.pool, profile }));
    if (node.kind === 'profile')
      return node.profile.settings.map((s) => ({
        kind: 'setting',
        pool: node.pool,
        label: `${s.name} = ${s.value}`,
        detail: s.source,
        tooltip: s.origin ? `${s.name} = ${s.value} (${s.source}: ${s.origin})` : undefined,
      }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const open: vscode.Command = { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.parse(node.pool.uri), { selection: toRange(node.pool) }] };
    if (node.kind === 'pool') {
      const item = new vscode.TreeItem(poolTitle(node.pool), vscode.TreeItemCollapsibleState.Collapsed);
      item.description = poolLocation(node.pool);
      item.iconPath = new vscode.ThemeIcon(node.pool.findings ? 'warning' : 'database');
      item.tooltip = [poolTitle(node.pool), poolLocation(node.pool), ...node.pool.profiles.map(profileSummary)].join('\n');
      item.contextValue = 'pool';
      item.command = open;
      item.resourceUri = vscode.Uri.parse(node.pool.uri);
      item.id = node.pool.id;
      return item;
    }
    if (node.kind === 'profile') {
      const item = new vscode.TreeItem(node.profile.profile, vscode.TreeItemCollapsibleState.Collapsed);
      item.description = `${node.profile.database}${node.profile.capacity ? `, ${node.profile.capacity}` : ''}`;
      item.tooltip = node.profile.envFiles.length ? `env files: ${node.profile.envFiles.map((f) => path.basename(f)).join(', ')}` : 'no env files';
      item.iconPath = new vscode.ThemeIcon('layers');
      return item;
    }
    const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
    item.description = node.detail;
    item.tooltip = node.tooltip;
    return item;
  }
}

function toRange(p: PoolInfo): vscode.Range {
  return new vscode.Range(p.range.start.line, p.range.start.character, p.range.end.line, p.range.end.character);
}
