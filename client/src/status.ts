// The status bar item: how many pools the workspace has and how many findings pool-lint reports,
// or that the server is starting or has failed. A click lists the pools (or opens the output).
import * as vscode from 'vscode';

export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

export interface Findings {
  error: number;
  warning: number;
  info: number;
}

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('poolLint.status', vscode.StatusBarAlignment.Right, 90);
  private state: ServerState = 'starting';
  private reason = '';
  private pools: number | undefined;
  private findings: Findings = { error: 0, warning: 0, info: 0 };

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

  setPools(count: number): void {
    this.pools = count;
    this.render();
  }

  setFindings(findings: Findings): void {
    this.findings = findings;
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
    const f = this.findings;
    const total = f.error + f.warning + f.info;
    const pools = this.pools === undefined ? '' : `${this.pools} pool${this.pools === 1 ? '' : 's'}`;
    const spin = this.state === 'starting' ? '$(sync~spin) ' : '$(database) ';
    it.text = `${spin}${pools || 'pool-lint'}${total ? `  $(warning) ${total}` : ''}`;
    const parts = [
      this.state === 'starting' ? 'starting, scanning the workspace' : pools ? `${pools} in this workspace` : 'no pools found yet',
      `${f.error} error${f.error === 1 ? '' : 's'}, ${f.warning} warning${f.warning === 1 ? '' : 's'}, ${f.info} info`,
    ];
    it.tooltip = `pool-lint: ${parts.join('; ')}. Click to show the pools.`;
    it.command = 'poolLint.showPools';
    if (f.error > 0) it.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
  }

  dispose(): void {
    this.item.dispose();
  }
}
