// The code-server scenarios (test/host/seed-004.host.ts) through the VS Code API, for a desktop
// VS Code launched by @vscode/test-electron: diagnostics with rule ids, the hover table, a quick
// fix that changes the file on disk, and a .env edit that changes the Python file's diagnostics.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

const WORKSPACE = process.env.POOL_LINT_TEST_WORKSPACE!;
const ENV = vscode.Uri.file(path.join(WORKSPACE, '.env'));
const ENV_PRODUCTION = vscode.Uri.file(path.join(WORKSPACE, '.env.production'));
const DATABASE_PY = vscode.Uri.file(path.join(WORKSPACE, 'app', 'db', 'database.py'));

function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

function poolLint(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'pool-lint');
}

async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('pool-lint in VS Code (test-electron): seed 004', () => {
  before(async () => {
    const ext = vscode.extensions.getExtension('pool-lint.pool-lint');
    assert.ok(ext, 'the extension is not loaded');
    await vscode.window.showTextDocument(ENV);
    await ext.activate();
  });

  it('reports undersized-pool in .env and pool-exceeds-server-connections in .env.production, with rule ids', async () => {
    const undersized = await waitFor('undersized-pool in .env', () => poolLint(ENV).find((d) => codeOf(d) === 'undersized-pool'));
    assert.strictEqual(undersized.range.start.line, 2);
    assert.match(undersized.message, /at most 15 connections/);
    assert.strictEqual(undersized.severity, vscode.DiagnosticSeverity.Warning);
    const exceeds = await waitFor('pool-exceeds-server-connections in .env.production', () => poolLint(ENV_PRODUCTION).find((d) => codeOf(d) === 'pool-exceeds-server-connections'));
    assert.strictEqual(exceeds.severity, vscode.DiagnosticSeverity.Error);
    assert.ok(typeof undersized.code === 'object' && /undersized-pool/.test(String(undersized.code.target)), 'the rule id links to its docs');
  });

  it('hover over create_engine shows the settings table per profile', async () => {
    const doc = await vscode.workspace.openTextDocument(DATABASE_PY);
    const line = doc.getText().split('\n').findIndex((l) => l.includes('create_engine('));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', DATABASE_PY, new vscode.Position(line, doc.lineAt(line).text.indexOf('create_engine') + 3));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    assert.match(text, /\|.*development.*\|/);
    assert.match(text, /\|.*production.*\|/);
    assert.match(text, /pool_size/);
    assert.match(text, /\.env/);
  });

  it('the undersized-pool quick fix edits .env on disk and the finding goes away', async () => {
    const d = await waitFor('undersized-pool in .env', () => poolLint(ENV).find((x) => codeOf(x) === 'undersized-pool'));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', ENV, d.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.edit && /^Set pool_size to 40/.test(a.title));
    assert.ok(fix, `no undersized-pool fix among: ${actions.map((a) => a.title).join(' | ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    const doc = await vscode.workspace.openTextDocument(ENV);
    assert.ok(await doc.save());
    assert.match(fs.readFileSync(ENV.fsPath, 'utf8'), /^DB_POOL_SIZE=40$/m);
    await waitFor('undersized-pool gone from .env', () => !poolLint(ENV).some((x) => codeOf(x) === 'undersized-pool'));
  });

  it('removing DB_POOL_SIZE from .env moves undersized-pool to the code fallback in database.py', async () => {
    assert.ok(!poolLint(DATABASE_PY).some((x) => codeOf(x) === 'undersized-pool'));
    const doc = await vscode.workspace.openTextDocument(ENV);
    const line = doc.getText().split('\n').findIndex((l) => l.startsWith('DB_POOL_SIZE='));
    const edit = new vscode.WorkspaceEdit();
    edit.delete(ENV, new vscode.Range(line, 0, line + 1, 0));
    assert.ok(await vscode.workspace.applyEdit(edit));
    // Unsaved: the server reads the open buffer.
    const d = await waitFor('undersized-pool in database.py', () => poolLint(DATABASE_PY).find((x) => codeOf(x) === 'undersized-pool'));
    const py = await vscode.workspace.openTextDocument(DATABASE_PY);
    assert.match(py.lineAt(d.range.start.line).text, /DB_POOL_SIZE", "20"/);
    assert.match(d.message, /at most 30 connections/);
  });
});
