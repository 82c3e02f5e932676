// The VS Code client: starts the pool-lint language server (dist/server.js) and adds what only an
// editor has: a status bar item, the pool list (tree view and quick pick), an output channel and the
// commands. Everything about pools and findings comes from the server; this file knows no rules.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { PoolStore, PoolTreeProvider, showPoolsQuickPick } from './pools';
import { StatusBar } from './status';
import { registerProbeCommand } from './probe';

/** Languages whose files the server reads; dotenv is contributed by this extension. */
export const LANGUAGES = ['python', 'rust', 'typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'yaml', 'dotenv'];

/**
 * Files whose change on disk (a git checkout, an edit in another tool) changes findings in other
 * files: env files, YAML/compose, project config and version pins, and the source files themselves.
 */
export const WATCHED = '**/{.env,.env.*,*.env,*.yml,*.yaml,poollint.config.json,.poollintrc.json,pyproject.toml,package.json,Cargo.toml,Cargo.lock,requirements*.txt,*.py,*.rs,*.ts,*.tsx,*.mts,*.cts,*.js,*.jsx,*.mjs,*.cjs}';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('pool-lint');
  context.subscriptions.push(output);
  const status = new StatusBar();
  context.subscriptions.push(status);
  void vscode.commands.executeCommand('setContext', 'poolLint.active', true);

  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const store = new PoolStore(() => client, output);
  context.subscriptions.push(store);
  const tree = new PoolTreeProvider(store);
  context.subscriptions.push(vscode.window.createTreeView('poolLint.pools', { treeDataProvider: tree, showCollapseAll: true }));

  context.subscriptions.push(
    vscode.commands.registerCommand('poolLint.showPools', () => showPoolsQuickPick(store)),
    vscode.commands.registerCommand('poolLint.refreshPools', () => store.refresh()),
    vscode.commands.registerCommand('poolLint.showOutput', () => output.show(true)),
    vscode.commands.registerCommand('poolLint.restartServer', async () => {
      output.appendLine(`[client] restarting the server (${new Date().toISOString()})`);
      await stopClient();
      await startClient();
    }),
    registerProbeCommand(output),
    vscode.languages.onDidChangeDiagnostics(() => {
      status.setFindings(countFindings());
      store.refreshSoon();
    }),
    store.onDidChange(() => status.setPools(store.pools.length)),
  );

  async function startClient(): Promise<void> {
    if (!fs.existsSync(serverModule)) {
      output.appendLine(`[client] the language server is missing: ${serverModule} (run npm run build)`);
      status.setState('failed', `the language server is missing: ${serverModule}`);
      return;
    }
    const serverOptions: ServerOptions = {
      run: { module: serverModule, transport: TransportKind.stdio },
      debug: { module: serverModule, transport: TransportKind.stdio, options: { execArgv: ['--nolazy', '--inspect=6011'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: LANGUAGES.map((language) => ({ scheme: 'file', language })),
      synchronize: {
        // The server pulls poolLint.* per resource with workspace/configuration; this notifies it
        // of every change so it pulls again and re-diagnoses.
        configurationSection: 'poolLint',
        fileEvents: vscode.workspace.createFileSystemWatcher(WATCHED),
      },
      outputChannel: output,
      diagnosticCollectionName: 'pool-lint',
      // Hover tables and messages are plain Markdown from the server: no command links, no HTML.
      markdown: { isTrusted: false, supportHtml: false },
      initializationOptions: { workspaceTrusted: vscode.workspace.isTrusted, client: 'vscode' },
    };
    const c = new LanguageClient('poolLint', 'pool-lint', serverOptions, clientOptions);
    client = c;
    c.onDidChangeState((e) => {
      if (e.newState === State.Running) status.setState('running');
      else if (e.newState === State.Starting) status.setState('starting');
      else status.setState('stopped');
      if (e.newState === State.Running) store.refreshSoon();
    });
    status.setState('starting');
    try {
      await c.start();
      output.appendLine(`[client] server started: node ${path.relative(context.extensionPath, serverModule)} --stdio`);
    } catch (err) {
      output.appendLine(`[client] the server did not start: ${err instanceof Error ? err.message : String(err)}`);
      status.setState('failed', 'the server did not start; see the pool-lint output');
    }
  }

  async function stopClient(): Promise<void> {
    const c = client;
    client = undefined;
    if (c && c.state !== State.Stopped) {
      try {
        await c.stop();
      } catch (err) {
        output.appendLine(`[client] stopping the server: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    store.clear();
  }

  context.subscriptions.push({ dispose: () => void stopClient() });
  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      // The server hides what needs trust (the probe's CodeLens) until then: restart it trusted.
      output.appendLine('[client] workspace trusted: restarting the server');
      void stopClient().then(startClient);
    }),
  );
  status.setFindings(countFindings());
  await startClient();
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c && c.state !== State.Stopped) await c.stop();
}

export interface FindingCounts {
  error: number;
  warning: number;
  info: number;
}

/** Counts pool-lint's diagnostics across the workspace, by severity. */
export function countFindings(): FindingCounts {
  const counts: FindingCounts = { error: 0, warning: 0, info: 0 };
  for (const [, diags] of vscode.languages.getDiagnostics()) {
    for (const d of diags) {
      if (d.source !== 'pool-lint') continue;
      if (d.severity === vscode.DiagnosticSeverity.Error) counts.error++;
      else if (d.severity === vscode.DiagnosticSeverity.Warning) counts.warning++;
      else counts.info++;
    }
  }
  return counts;
}
