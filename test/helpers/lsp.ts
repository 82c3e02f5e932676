// A small LSP client for the protocol tests: spawns the built dist/server.js over stdio and talks
// to it with vscode-languageserver-protocol, as an editor would. It answers the server's requests
// (workspace/configuration, client/registerCapability, window/workDoneProgress/create) and keeps
// what the server sends (diagnostics, progress, log messages, status).
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
  type Diagnostic,
  type ClientCapabilities,
  type InitializeResult,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol/node';
import { REPO } from './fixtures';

export const SERVER = path.join(REPO, 'dist', 'server.js');
export const LSP_FIXTURES = path.join(REPO, 'test', 'lsp-fixtures');
export const REPO_CLI = path.join(REPO, 'dist', 'cli.js');

export const uri = (file: string) => pathToFileURL(file).href;

/** A private copy of a fixture folder (tests edit files). */
export function copyWorkspace(src: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-lsp-'));
  fs.cpSync(src, dir, { recursive: true });
  return fs.realpathSync(dir);
}

export const CAPABILITIES: ClientCapabilities = {
  workspace: {
    configuration: true,
    didChangeConfiguration: { dynamicRegistration: true },
    didChangeWatchedFiles: { dynamicRegistration: true },
    workspaceEdit: { documentChanges: true },
    workspaceFolders: true,
  },
  window: { workDoneProgress: true },
  textDocument: {
    publishDiagnostics: { relatedInformation: true, codeDescriptionSupport: true, tagSupport: { valueSet: [1, 2] } },
    codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source', 'source.fixAll'] } }, isPreferredSupport: true },
    hover: { contentFormat: ['markdown', 'plaintext'] },
    inlayHint: {},
    codeLens: {},
  },
};

export class LspClient {
  readonly diagnostics = new Map<string, { version?: number; diagnostics: Diagnostic[] }>();
  readonly logs: string[] = [];
  readonly progress: { token: unknown; value: { kind: string; message?: string; percentage?: number } }[] = [];
  readonly statuses: { pools: number; analysed: number; elapsedMs: number; scanning: boolean }[] = [];
  readonly registrations: { method: string; registerOptions?: unknown }[] = [];
  readonly configurationRequests: unknown[] = [];
  settings: Record<string, unknown> = {};
  private readonly versions = new Map<string, number>();
  private readonly texts = new Map<string, string>();
  private listeners: (() => void)[] = [];
  init?: InitializeResult;

  private constructor(readonly proc: ChildProcess, readonly conn: ProtocolConnection, readonly root: string) {}

  static async start(root: string, opts: { settings?: Record<string, unknown>; capabilities?: ClientCapabilities; args?: string[]; command?: string[]; initializationOptions?: unknown } = {}): Promise<LspClient> {
    const cmd = opts.command ?? [process.execPath, SERVER, '--stdio'];
    const proc = spawn(cmd[0], cmd.slice(1), { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    const conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    const c = new LspClient(proc, conn, root);
    c.settings = opts.settings ?? {};
    proc.stderr!.on('data', (d: Buffer) => c.logs.push(`[stderr] ${d.toString()}`));
    conn.onNotification('textDocument/publishDiagnostics', (p: { uri: string; version?: number; diagnostics: Diagnostic[] }) => {
      c.diagnostics.set(p.uri, { version: p.version, diagnostics: p.diagnostics });
      c.notify();
    });
    conn.onNotification('window/logMessage', (p: { message: string }) => {
      c.logs.push(p.message);
      c.notify();
    });
    conn.onNotification('$/progress', (p: { token: unknown; value: { kind: string } }) => {
      c.progress.push(p as LspClient['progress'][number]);
      c.notify();
    });
    conn.onNotification('poolLint/status', (p: LspClient['statuses'][number]) => {
      c.statuses.push(p);
      c.notify();
    });
    conn.onRequest('workspace/configuration', (p: { items: { scopeUri?: string; section?: string }[] }) => {
      c.configurationRequests.push(p);
      return p.items.map(() => c.settings);
    });
    conn.onRequest('client/registerCapability', (p: { registrations: { method: string; registerOptions?: unknown }[] }) => {
      c.registrations.push(...p.registrations);
      return null;
    });
    conn.onRequest('window/workDoneProgress/create', () => null);
    conn.listen();
    c.init = await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: uri(root),
      workspaceFolders: [{ uri: uri(root), name: path.basename(root) }],
      capabilities: opts.capabilities ?? CAPABILITIES,
      initializationOptions: opts.initializationOptions,
    });
    await conn.sendNotification('initialized', {});
    return c;
  }

  private notify(): void {
    const ls = this.listeners;
    this.listeners = [];
    ls.forEach((l) => l());
  }

  /** Resolves when `test` holds (re-checked on every message from the server); rejects after `ms`. */
  async waitFor<T>(what: string, test: () => T | undefined | false, ms = 20000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = test();
      if (v) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; server log:\n${this.logs.join('\n')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.listeners.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  diagnosticsOf(file: string): Diagnostic[] {
    return this.diagnostics.get(uri(file))?.diagnostics ?? [];
  }

  /** Waits until the diagnostics of `file` satisfy `test`. */
  waitForDiagnostics(file: string, what: string, test: (d: Diagnostic[]) => boolean, ms?: number): Promise<Diagnostic[]> {
    return this.waitFor(`${what} (${path.basename(file)})`, () => {
      const d = this.diagnostics.get(uri(file));
      return d && test(d.diagnostics) ? d.diagnostics : undefined;
    }, ms);
  }

  /** Waits for the first scan to finish (a status with scanning false). */
  scanned(): Promise<unknown> {
    return this.waitFor('the workspace scan', () => this.statuses.find((s) => !s.scanning));
  }

  open(file: string, languageId: string): void {
    const text = fs.readFileSync(file, 'utf8');
    this.texts.set(file, text);
    this.versions.set(file, 1);
    void this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: uri(file), languageId, version: 1, text } });
  }

  text(file: string): string {
    return this.texts.get(file) ?? fs.readFileSync(file, 'utf8');
  }

  /** Sends incremental changes and keeps the client's copy of the text in step. */
  change(file: string, changes: TextDocumentContentChangeEvent[]): void {
    const version = (this.versions.get(file) ?? 1) + 1;
    this.versions.set(file, version);
    let text = this.text(file);
    for (const c of changes) {
      if (!('range' in c)) text = c.text;
      else {
        const start = offsetAt(text, c.range.start);
        const end = offsetAt(text, c.range.end);
        text = text.slice(0, start) + c.text + text.slice(end);
      }
    }
    this.texts.set(file, text);
    void this.conn.sendNotification('textDocument/didChange', { textDocument: { uri: uri(file), version }, contentChanges: changes });
  }

  /** Replaces the first occurrence of `from` with `to`, as one incremental change. */
  replace(file: string, from: string, to: string): void {
    const text = this.text(file);
    const at = text.indexOf(from);
    if (at < 0) throw new Error(`${from} not in ${file}`);
    this.change(file, [{ range: { start: positionAt(text, at), end: positionAt(text, at + from.length) }, text: to }]);
  }

  request<T>(method: string, params: unknown): Promise<T> {
    return this.conn.sendRequest(method, params) as Promise<T>;
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.proc.exitCode !== null) resolve();
      else this.proc.once('exit', () => resolve());
    });
    try {
      await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 3000))]);
      void this.conn.sendNotification('exit');
    } catch {
      // the server is gone already
    }
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    this.conn.dispose();
  }
}

export function offsetAt(text: string, p: { line: number; character: number }): number {
  let off = 0;
  for (let l = 0; l < p.line; l++) {
    const nl = text.indexOf('\n', off);
    if (nl < 0) return text.length;
    off = nl + 1;
  }
  return off + p.character;
}

export function positionAt(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

/** Applies a WorkspaceEdit (documentChanges or changes) to the files on disk, as an editor would on save. */
export function applyWorkspaceEdit(edit: { documentChanges?: { textDocument: { uri: string }; edits: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[] }[]; changes?: Record<string, { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[]> }, texts: (file: string) => string): Map<string, string> {
  const out = new Map<string, string>();
  const lists: [string, { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[]][] = [];
  for (const dc of edit.documentChanges ?? []) lists.push([dc.textDocument.uri, dc.edits]);
  for (const [u, edits] of Object.entries(edit.changes ?? {})) lists.push([u, edits]);
  for (const [u, edits] of lists) {
    const file = new URL(u).pathname;
    const before = decodeURIComponent(file);
    let text = texts(before);
    const sorted = [...edits].sort((a, b) => offsetAt(text, b.range.start) - offsetAt(text, a.range.start));
    for (const e of sorted) text = text.slice(0, offsetAt(text, e.range.start)) + e.newText + text.slice(offsetAt(text, e.range.end));
    out.set(before, text);
  }
  return out;
}
