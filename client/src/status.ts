// The status bar item: how many pools the workspace has and how many findings pool-lint reports,
// or that the server is starting or has failed. A click lists the pools (or opens the output).
import * as vscode from 'vscode';

export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

import type { StatusParams } from './protocol';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('poolLint.status', vscode.StatusBarAlignment.Right, 90);
  private state: ServerState = 'starting';
  private reason = '';
  private status: StatusParams | undefined;

  constructor() {
    this.item.name = 'pool-lint';
    this.render();
    this.item.show();
  }

  setState(state: ServerState, reason = ''): void {
    this.state = state;
    this.reason = reason;
    this.render();
  }

  /** The server's poolLint/status notification: counts after each scan or update. */
  setStatus(status: StatusParams | undefined): void {
    this.status = status;
    this.render();
  }

  private render(): void {
    const it = this.item;
    it.backgroundColor = undefined;
    if (this.state === 'failed' || this.state === 'stopped') {
      it.text = '$(error) pool-lint';
      it.tooltip = `pool-lint: ${this.reason || 'the server is not running'}. Click to open the output, or run "pool-lint: Restart server".`;
      it.command = 'poolLint.showOutput';
      it.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      return;
    }
    const st = this.status;
    const scanning = this.state === 'starting' || !st || st.scanning;
    const f = st?.findings ?? { error: 0, warning: 0, info: 0 };
    const total = f.error + f.warning + f.info;
    const pools = st ? `${st.pools} pool${st.pools === 1 ? '' : 's'}` : 'pool-lint';
    it.text = `${scanning ? '$(sync~spin)' : '$(database)'} ${pools}${total ? `  ${f.error ? '$(error)' : '$(warning)'} ${total}` : ''}`;
    const counts = `${f.error} error${f.error === 1 ? '' : 's'}, ${f.warning} warning${f.warning === 1 ? '' : 's'}, ${f.info} info`;
    it.tooltip = scanning
      ? `pool-lint: scanning the workspace${st ? ` (${st.pools} pools so far)` : ''}. Click to show the pools.`
      : `pool-lint: ${pools} in this workspace; ${counts}. Click to show the pools.`;
    it.command = 'poolLint.showPools';
    if (f.error > 0) it.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
  }

  dispose(): void {
    this.item.dispose();
  }
}
