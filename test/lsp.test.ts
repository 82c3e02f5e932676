// The language server over stdio, driven as an editor drives it: the built dist/server.js is
// spawned per test on a private copy of a fixture workspace (test/lsp-fixtures/, and seed 004's
// fixture input), and every assertion is on what the server sent back.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CodeAction, CodeLens, Diagnostic, Hover, InlayHint } from 'vscode-languageserver-protocol';
import { FIXTURES } from './helpers/fixtures';
import { spawnSync } from 'child_process';
import { LspClient, LSP_FIXTURES, CAPABILITIES, copyWorkspace, uri, applyWorkspaceEdit, REPO_CLI } from './helpers/lsp';
import type { PoolsResult } from '../server/src/lsp/protocol';

const SEED_004 = path.join(FIXTURES, 'undersized-pool', 'seed-004-env-profiles', 'input');
const MIXED = path.join(LSP_FIXTURES, 'mixed');
const DOC = (id: string) => `https://github.com/pool-lint/pool-lint/blob/main/docs/rules/${id}.md`;
const byRule = (ds: Diagnostic[], rule: string) => ds.filter((d) => d.code === rule);

describe('language server (dist/server.js --stdio)', function () {
  this.timeout(60000);
  const clients: LspClient[] = [];
  const dirs: string[] = [];
  const start = async (src: string, opts: Parameters<typeof LspClient.start>[1] = {}) => {
    const dir = copyWorkspace(src);
    dirs.push(dir);
    const c = await LspClient.start(dir, opts);
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('scans the workspace at start-up with $/progress and publishes diagnostics for files nobody opened', async () => {
    const c = await start(SEED_004);
    assert.strictEqual(c.init?.serverInfo?.name, 'pool-lint');
    const env = path.join(c.root, '.env');
    const prod = path.join(c.root, '.env.production');
    const [d] = byRule(await c.waitForDiagnostics(env, 'undersized-pool in .env', (ds) => byRule(ds, 'undersized-pool').length > 0), 'undersized-pool');
    // .env:3:14, the value of DB_POOL_SIZE, as the CLI reports it
    assert.deepStrictEqual(d.range, { start: { line: 2, character: 13 }, end: { line: 2, character: 14 } });
    assert.strictEqual(d.source, 'pool-lint');
    assert.strictEqual(d.severity, 2);
    assert.strictEqual(d.codeDescription?.href, DOC('undersized-pool'));
    assert.match(d.message, /at most 15 connections: pool_size 5 \(DB_POOL_SIZE in \.env:3\) \+ max_overflow 10 \(DB_MAX_OVERFLOW in \.env:4\)/);
    assert.match(d.message, /\[development\]$/);
    const related = (d.relatedInformation ?? []).map((r) => `${path.relative(c.root, new URL(r.location.uri).pathname)}:${r.location.range.start.line + 1}`);
    assert.ok(related.includes('.env:4'), `related: ${related.join(', ')}`); // max_overflow's line
    assert.ok(related.includes('app/db/database.py:9'), `related: ${related.join(', ')}`); // the pool it configures
    const [fleet] = byRule(await c.waitForDiagnostics(prod, 'fleet error in .env.production', (ds) => ds.length > 0), 'pool-exceeds-server-connections');
    assert.strictEqual(fleet.severity, 1);
    assert.strictEqual(fleet.codeDescription?.href, DOC('pool-exceeds-server-connections'));
    assert.match(fleet.message, /can open 150 connections/);
    // the database URLs carry passwords: no message may show one
    for (const [, { diagnostics }] of c.diagnostics) for (const x of diagnostics) assert.ok(!/chat-dev-pw|prod-pw-9f3k|staging-pw/.test(JSON.stringify(x)), x.message);
    await c.scanned();
    await c.waitFor('the end of the progress', () => c.progress.some((p) => p.value.kind === 'end'));
    const kinds = c.progress.map((p) => p.value.kind);
    assert.strictEqual(kinds[0], 'begin');
    assert.strictEqual(kinds[kinds.length - 1], 'end');
    assert.ok(c.progress.some((p) => p.value.kind === 'report' && /\d+\/\d+ files/.test(p.value.message ?? '')), JSON.stringify(c.progress));
    assert.ok(c.registrations.some((r) => r.method === 'workspace/didChangeWatchedFiles'));
  });

  it('hover on the pool or on the .env line shows every setting per profile with its source, as a Markdown table', async () => {
    const c = await start(SEED_004);
    const py = path.join(c.root, 'app', 'db', 'database.py');
    c.open(py, 'python');
    await c.scanned();
    const hover = await c.request<Hover>('textDocument/hover', { textDocument: { uri: uri(py) }, position: { line: 8, character: 12 } });
    const md = (hover.contents as { kind: string; value: string });
    assert.strictEqual(md.kind, 'markdown');
    const rows = md.value.split('\n');
    assert.ok(rows.includes('| setting | development | production | staging |'), md.value);
    assert.ok(rows.includes('| pool_size | `5` DB_POOL_SIZE in .env:3 | `50` DB_POOL_SIZE in .env.production:4 | `20` DB_POOL_SIZE in .env.staging:3 |'), md.value);
    assert.ok(rows.some((r) => r.startsWith('| pool_pre_ping | `True` written at app/db/database.py:15')), md.value);
    assert.ok(rows.some((r) => r.startsWith('| **capacity** | **15** (pool_size + max_overflow) | **150**')), md.value);
    assert.ok(!/chat-dev-pw|prod-pw-9f3k/.test(md.value), 'passwords are masked');
    // the .env line that sets DB_MAX_OVERFLOW: the same table, that setting in bold
    const env = path.join(c.root, '.env');
    const h2 = await c.request<Hover>('textDocument/hover', { textDocument: { uri: uri(env) }, position: { line: 3, character: 2 } });
    assert.ok((h2.contents as { value: string }).value.includes('| **max_overflow** | `10` DB_MAX_OVERFLOW in .env:4 |'), JSON.stringify(h2));
    const none = await c.request<Hover | null>('textDocument/hover', { textDocument: { uri: uri(py) }, position: { line: 20, character: 4 } });
    assert.strictEqual(none, null);
  });

  it('code actions: each fix as a quick fix (preferred when it only adds), "ignore on this line" in the language\'s comment, and fix-all', async () => {
    const c = await start(MIXED);
    const api = path.join(c.root, 'api', 'db.py');
    const web = path.join(c.root, 'web', 'pool.ts');
    c.open(api, 'python');
    c.open(web, 'typescript');
    const ds = await c.waitForDiagnostics(api, 'api findings', (d) => byRule(d, 'undersized-pool').length > 0 && byRule(d, 'missing-pre-ping').length > 0);
    const at = (d: Diagnostic) => c.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: uri(api) }, range: d.range, context: { diagnostics: [d] } });
    const undersized = byRule(ds, 'undersized-pool')[0];
    const actions = await at(undersized);
    const fix = actions.find((a) => a.kind === 'quickfix' && a.diagnostics?.[0].code === 'undersized-pool' && !a.title.startsWith('Ignore'));
    assert.ok(fix, JSON.stringify(actions.map((a) => a.title)));
    assert.strictEqual(fix.isPreferred, false, 'raising a size the user wrote is a judgement call');
    const after = applyWorkspaceEdit(fix.edit as never, (f) => c.text(f));
    assert.match(after.get(api)!, /pool_size=40,/);
    const ignore = actions.find((a) => a.title === 'Ignore undersized-pool on this line');
    assert.ok(ignore);
    const ignored = applyWorkspaceEdit(ignore.edit as never, (f) => c.text(f)).get(api)!;
    assert.match(ignored, /    pool_size=5,  # pool-lint: ignore\[undersized-pool\]\n/);
    const prePing = (await at(byRule(ds, 'missing-pre-ping')[0])).find((a) => a.diagnostics?.[0].code === 'missing-pre-ping' && !a.title.startsWith('Ignore'));
    assert.strictEqual(prePing?.isPreferred, true, 'adding pool_pre_ping=True changes nothing the user wrote');

    // TypeScript: the ignore comment is `//`, and once applied the engine honours it
    const wds = await c.waitForDiagnostics(web, 'web findings', (d) => byRule(d, 'undersized-pool').length > 0);
    const wActions = await c.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: uri(web) }, range: byRule(wds, 'undersized-pool')[0].range, context: { diagnostics: wds } });
    const wIgnore = wActions.find((a) => a.title === 'Ignore undersized-pool on this line')!;
    const wText = applyWorkspaceEdit(wIgnore.edit as never, (f) => c.text(f)).get(web)!;
    assert.match(wText, /  max: 5,  \/\/ pool-lint: ignore\[undersized-pool\]\n/);
    c.change(web, [{ text: wText }]);
    await c.waitForDiagnostics(web, 'undersized-pool ignored', (d) => byRule(d, 'undersized-pool').length === 0 && byRule(d, 'hardcoded-pool-size').length === 1);

    // fix all: every fix of the file, pass after pass (the size is raised, then read from the env)
    const all = await c.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: uri(api) }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [], only: ['source.fixAll.poolLint'] } });
    assert.strictEqual(all.length, 1, JSON.stringify(all.map((a) => a.title)));
    assert.strictEqual(all[0].kind, 'source.fixAll.poolLint');
    const fixed = applyWorkspaceEdit(all[0].edit as never, (f) => c.text(f)).get(api)!;
    assert.match(fixed, /pool_pre_ping=True/);
    assert.match(fixed, /pool_size=int\(os\.getenv\("DB_POOL_SIZE", "40"\)\)/);
  });

  it('fix-all applies fixes pass after pass, as `pool-lint check --fix` does, and a client that resolves actions gets its edit when it picks it', async () => {
    // two fixes insert after `pool_size=5,`: one pass takes one, the next pass the other
    const src = path.join(LSP_FIXTURES, 'fix-all-passes');
    const cliDir = copyWorkspace(src);
    dirs.push(cliDir);
    spawnSync(process.execPath, [REPO_CLI, 'check', cliDir, '--fix'], { encoding: 'utf8' });
    const byCli = fs.readFileSync(path.join(cliDir, 'app', 'db.py'), 'utf8');
    assert.match(byCli, /pool_pre_ping=True,\n    pool_recycle=1800,/);

    const resolving = { ...CAPABILITIES, textDocument: { ...CAPABILITIES.textDocument, codeAction: { ...CAPABILITIES.textDocument!.codeAction, resolveSupport: { properties: ['edit'] }, dataSupport: true } } };
    for (const capabilities of [CAPABILITIES, resolving]) {
      const c = await start(src, { capabilities });
      const db = path.join(c.root, 'app', 'db.py');
      c.open(db, 'python');
      await c.waitForDiagnostics(db, 'four findings', (d) => d.length === 4);
      const lazy = capabilities === resolving;
      // the lightbulb's request (no `only`): a resolving client gets the title now and the edit on resolve
      const listed = await c.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: uri(db) }, range: { start: { line: 4, character: 0 }, end: { line: 4, character: 0 } }, context: { diagnostics: [] } });
      let all = listed.find((a) => a.kind === 'source.fixAll.poolLint');
      assert.ok(all, JSON.stringify(listed.map((a) => a.title)));
      assert.strictEqual(all.title, 'Fix all pool-lint findings (4)');
      assert.strictEqual(all.edit === undefined, lazy, lazy ? 'the edit waits for codeAction/resolve' : 'a client that cannot resolve gets the edit at once');
      if (lazy) all = await c.request<CodeAction>('codeAction/resolve', all);
      const fixed = applyWorkspaceEdit(all.edit as never, (f) => c.text(f)).get(db)!;
      assert.strictEqual(fixed, byCli, 'the same text as pool-lint check --fix');
      // edits of the buffer, each only where text changed: the pool's URL line is in none of them
      const edits = (all.edit as { documentChanges?: { edits: { range: { start: { line: number }; end: { line: number } } }[] }[] }).documentChanges?.flatMap((d) => d.edits) ?? Object.values((all.edit as { changes: Record<string, { range: { start: { line: number }; end: { line: number } } }[]> }).changes).flat();
      assert.ok(edits.every((e) => !(e.range.start.line <= 4 && e.range.end.line >= 4)), JSON.stringify(edits));
      // the explicit request (on save): the edit now
      const asked = await c.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: uri(db) }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [], only: ['source.fixAll'] } });
      assert.strictEqual(applyWorkspaceEdit(asked[0].edit as never, (f) => c.text(f)).get(db), byCli);
      await c.stop();
    }
  });

  it('diagnostic tags: a setting the library ignores is faded (Unnecessary), a key it removed is struck through too (Deprecated)', async () => {
    const c = await start(path.join(FIXTURES, 'missing-pre-ping', 'flask-app-factory-config-classes', 'input'));
    const config = path.join(c.root, 'config.py');
    const ext = path.join(c.root, 'app', 'extensions.py');
    const [legacy] = byRule(await c.waitForDiagnostics(config, 'the legacy key', (d) => byRule(d, 'invalid-pool-setting').length > 0), 'invalid-pool-setting');
    assert.match(legacy.message, /SQLALCHEMY_POOL_SIZE = 20 .* is ignored/);
    assert.deepStrictEqual(legacy.tags, [1, 2]);
    const [override] = byRule(await c.waitForDiagnostics(ext, 'the override', (d) => byRule(d, 'invalid-pool-setting').length > 0), 'invalid-pool-setting');
    assert.match(override.message, /never calls apply_pool_defaults/);
    assert.deepStrictEqual(override.tags, [1]);
    // a finding about a value that takes effect carries no tag
    const [prePing] = byRule(c.diagnostics.get(uri(config))!.diagnostics, 'missing-pre-ping');
    assert.strictEqual(prePing.tags, undefined);
  });

  it('a one-character edit re-analyses only the edited file (incremental reparse) and updates its diagnostics', async () => {
    const c = await start(MIXED);
    const api = path.join(c.root, 'api', 'db.py');
    c.open(api, 'python');
    await c.waitForDiagnostics(api, 'undersized', (d) => byRule(d, 'undersized-pool').length === 1);
    await c.scanned();
    const seen = c.statuses.length;
    c.replace(api, 'pool_size=5,', 'pool_size=45,'); // one character inserted
    await c.waitForDiagnostics(api, 'undersized gone', (d) => byRule(d, 'undersized-pool').length === 0 && byRule(d, 'missing-pre-ping').length === 1);
    const st = await c.waitFor('a status after the edit', () => c.statuses.slice(seen).find((s) => s.analysed > 0));
    assert.strictEqual(st.analysed, 1, 'only the edited file is analysed again');
    // and back: a second edit on the same kept tree
    c.replace(api, 'pool_size=45,', 'pool_size=5,');
    await c.waitForDiagnostics(api, 'undersized back', (d) => byRule(d, 'undersized-pool').length === 1);
  });

  it('a .env edit in an open buffer re-diagnoses the Python file that reads it, and nothing else; a new .env file on disk too', async () => {
    const c = await start(MIXED);
    const py = path.join(c.root, 'worker', 'db.py');
    const env = path.join(c.root, 'worker', '.env');
    const [d] = byRule(await c.waitForDiagnostics(py, 'undersized at the fallback', (ds) => byRule(ds, 'undersized-pool').length === 1), 'undersized-pool');
    assert.strictEqual(d.range.start.line, 6); // the "5" fallback in os.getenv("WORKER_POOL_SIZE", "5")
    await c.scanned();
    c.open(env, 'dotenv');
    const seen = c.statuses.length;
    const text = c.text(env);
    const end = { line: text.split('\n').length - 1, character: 0 };
    c.change(env, [{ range: { start: end, end }, text: 'WORKER_POOL_SIZE=45\n' }]);
    await c.waitForDiagnostics(py, 'undersized gone after the .env edit', (ds) => byRule(ds, 'undersized-pool').length === 0);
    const st = await c.waitFor('a status after the edit', () => c.statuses.slice(seen).find((s) => s.analysed > 0));
    assert.strictEqual(st.analysed, 2, 'the .env file and worker/db.py, not api/db.py or web/pool.ts');
    // on disk: a production profile appears for the worker, with a pool too small
    const prod = path.join(c.root, 'worker', '.env.production');
    fs.writeFileSync(prod, 'DATABASE_URL=postgresql://worker@db/app\nWORKER_POOL_SIZE=2\nWORKER_MAX_OVERFLOW=0\n');
    await c.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uri(prod), type: 1 }] });
    const pd = await c.waitForDiagnostics(prod, 'production undersized in the new file', (ds) => byRule(ds, 'undersized-pool').length === 1);
    assert.deepStrictEqual(pd[0].range.start, { line: 1, character: 17 });
    assert.match(pd[0].message, /\[production\]$/);
  });

  it('settings: rule severities and thresholds from workspace/configuration per folder; a change re-diagnoses; enable false clears', async () => {
    const c = await start(MIXED, { settings: { rules: { 'hardcoded-pool-size': 'off', 'undersized-pool': 'error' } } });
    const api = path.join(c.root, 'api', 'db.py');
    const ds = await c.waitForDiagnostics(api, 'configured findings', (d) => d.length > 0);
    assert.strictEqual(byRule(ds, 'hardcoded-pool-size').length, 0);
    assert.strictEqual(byRule(ds, 'undersized-pool')[0].severity, 1);
    assert.deepStrictEqual((c.configurationRequests[0] as { items: unknown[] }).items, [{ scopeUri: uri(c.root), section: 'poolLint' }]);
    c.settings = { expectedConcurrency: 10 };
    await c.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    const after = await c.waitForDiagnostics(api, 'thresholds applied', (d) => byRule(d, 'undersized-pool').length === 0 && byRule(d, 'hardcoded-pool-size').length === 2);
    assert.strictEqual(byRule(after, 'missing-pre-ping').length, 1);
    c.settings = { enable: false };
    await c.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await c.waitForDiagnostics(api, 'cleared', (d) => d.length === 0);
  });

  it('inlay hints after env-driven values and code lenses above each pool (capacity, and the load probe command)', async () => {
    const c = await start(SEED_004);
    const py = path.join(c.root, 'app', 'db', 'database.py');
    c.open(py, 'python');
    await c.scanned();
    const hints = await c.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri: uri(py) }, range: { start: { line: 0, character: 0 }, end: { line: 30, character: 0 } } });
    const labels = hints.map((h) => `${h.position.line + 1}: ${String(h.label)}`);
    assert.ok(labels.includes('11: = 5 from .env:3 · 50 from .env.production:4 · 20 from .env.staging:3'), labels.join('\n'));
    // the same value in every profile: said once, with each line that sets it
    assert.ok(labels.includes('13: = 30 from .env:5, .env.production:6, .env.staging:5'), labels.join('\n'));
    const lenses = await c.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: uri(py) } });
    assert.strictEqual(lenses.length, 2);
    assert.strictEqual(lenses[0].range.start.line, 8);
    assert.match(lenses[0].command!.title, /development: 15 connections \(pool_size 5 \+ max_overflow 10\)/);
    assert.strictEqual(lenses[1].command!.command, 'poolLint.runProbe');
    assert.deepStrictEqual(lenses[1].command!.arguments, [{ uri: uri(py), line: 8, poolId: `${py}:9:10` }]);
  });

  it('poolLint/pools lists every pool of the workspace with per-profile settings and where each came from', async () => {
    const c = await start(MIXED);
    const r = await c.request<PoolsResult>('poolLint/pools', {});
    assert.deepStrictEqual(r.pools.map((p) => `${p.path}:${p.range.start.line + 1} ${p.library}`), ['api/db.py:3 sqlalchemy', 'web/pool.ts:3 node-postgres', 'worker/db.py:5 sqlalchemy']);
    const worker = r.pools[2];
    const dev = worker.profiles.find((p) => p.name === 'development')!;
    assert.strictEqual(dev.capacity, 15);
    assert.deepStrictEqual(dev.settings.max_overflow.value, 10);
    assert.strictEqual(dev.settings.max_overflow.source, 'env');
    assert.strictEqual(dev.settings.max_overflow.location?.uri, uri(path.join(c.root, 'worker', '.env')));
    assert.strictEqual(dev.settings.pool_size.from, 'the fallback at worker/db.py:7, WORKER_POOL_SIZE being unset in this profile');
    assert.deepStrictEqual(worker.findings, { error: 0, warning: 1, info: 0 });
    const scoped = await c.request<PoolsResult>('poolLint/pools', { uri: uri(path.join(c.root, 'web')) });
    assert.deepStrictEqual(scoped.pools.map((p) => p.path), ['web/pool.ts']);
  });

  it('never stops on bad input: a file over 2 MB is skipped with one log line, a broken file is reported and the others still diagnosed', async () => {
    const src = copyWorkspace(MIXED);
    dirs.push(src);
    fs.writeFileSync(path.join(src, 'big.py'), '# padding\n'.repeat(220_000) + 'from sqlalchemy import create_engine\nengine = create_engine("postgresql://a@b/c", pool_size=1)\n');
    fs.writeFileSync(path.join(src, 'broken.py'), 'from sqlalchemy import create_engine\nengine = create_engine("postgresql://a@b/c", pool_size=(\n');
    const c = await start(src);
    const big = path.join(c.root, 'big.py');
    await c.scanned();
    c.open(big, 'python');
    const broken = await c.waitForDiagnostics(path.join(c.root, 'broken.py'), 'the syntax error', (d) => d.some((x) => /syntax error/.test(x.message)));
    assert.strictEqual(broken.find((x) => /syntax error/.test(x.message))!.range.start.line, 1);
    await c.waitForDiagnostics(path.join(c.root, 'api', 'db.py'), 'other files', (d) => byRule(d, 'undersized-pool').length === 1);
    await c.waitFor('the skip log line', () => c.logs.some((l) => /big\.py: skipped, over 2 MB/.test(l)));
    await new Promise((r) => setTimeout(r, 300));
    assert.strictEqual(c.logs.filter((l) => /big\.py: skipped/.test(l)).length, 1, c.logs.join('\n'));
    assert.deepStrictEqual(c.diagnosticsOf(big), []);
  });

  it('the start-up scan reuses the analysis cache the last session wrote: the same diagnostics, no unchanged file analysed again; cacheDir false writes none', async () => {
    const dir = copyWorkspace(MIXED);
    dirs.push(dir);
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-lsp-cache-'));
    dirs.push(cacheDir);
    const session = async (initializationOptions: unknown) => {
      const c = await LspClient.start(dir, { initializationOptions });
      clients.push(c);
      await c.scanned();
      const line = await c.waitFor('the scan log line', () => c.logs.find((l) => /^scanned /.test(l)));
      await c.waitForDiagnostics(path.join(dir, 'api', 'db.py'), 'undersized-pool', (d) => byRule(d, 'undersized-pool').length === 1);
      const diagnostics = JSON.stringify([...c.diagnostics].sort(([a], [b]) => (a < b ? -1 : 1)));
      await c.stop();
      return { line, diagnostics };
    };
    const first = await session({ cacheDir });
    assert.match(first.line, /\(0 of [1-9]\d* analyses from the cache\)/);
    assert.strictEqual(fs.readdirSync(cacheDir).length, 1, 'no cache file written');
    const second = await session({ cacheDir });
    const [, hits, total] = /\((\d+) of (\d+) analyses from the cache\)/.exec(second.line) ?? [];
    assert.ok(Number(hits) >= 3 && hits === total, second.line);
    assert.strictEqual(second.diagnostics, first.diagnostics);
    // a client that wants no cache
    const off = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-lsp-nocache-'));
    dirs.push(off);
    const third = await session({ cacheDir: false });
    assert.doesNotMatch(third.line, /from the cache/);
    assert.strictEqual(third.diagnostics, first.diagnostics);
  });

  it('`pool-lint --stdio` runs the same server', async () => {
    const dir = copyWorkspace(SEED_004);
    dirs.push(dir);
    const c = await LspClient.start(dir, { command: [process.execPath, REPO_CLI, '--stdio'] });
    clients.push(c);
    assert.strictEqual(c.init?.serverInfo?.name, 'pool-lint');
    await c.waitForDiagnostics(path.join(dir, '.env'), 'undersized-pool', (d) => byRule(d, 'undersized-pool').length === 1);
  });
});
