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
import { STATUS_NOTIFICATION, type StatusParams } from './protocol';

/** Languages whose files the server reads; dotenv is contributed by this extension. */
export const LANGUAGES = ['python', 'rust', 'typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'go', 'yaml', 'properties', 'prisma', 'dotenv'];

/** Files the server reads whatever language an installed extension gives them (schema.prisma without the Prisma extension is plain text). */
export const PATTERNS = ['**/*.prisma', '**/application*.properties'];

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
    registerProbeCommand(output, context, store),
    // The pool list follows the findings: refresh it when they change.
    vscode.languages.onDidChangeDiagnostics(() => store.refreshSoon()),
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
      documentSelector: [...LANGUAGES.map((language) => ({ scheme: 'file', language })), ...PATTERNS.map((pattern) => ({ scheme: 'file', pattern }))],
      // No synchronize block: the server registers its own file watchers and
      // didChangeConfiguration (then pulls poolLint.* per folder with workspace/configuration).
      outputChannel: output,
      diagnosticCollectionName: 'pool-lint',
      // the server keeps its analysis cache (the start-up scan skips unchanged files) in the extension's own storage
      initializationOptions: { cacheDir: context.globalStorageUri.fsPath },
      // Hover tables and messages are plain Markdown from the server: no command links, no HTML.
      markdown: { isTrusted: false, supportHtml: false },
    };
    const c = new LanguageClient('poolLint', 'pool-lint', serverOptions, clientOptions);
    client = c;
    c.onNotification(STATUS_NOTIFICATION, (s: StatusParams) => status.setStatus(s));
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
    status.setStatus(undefined);
  }

  context.subscriptions.push({ dispose: () => void stopClient() });
  await startClient();
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c && c.state !== State.Stopped) await c.stop();
}
