// The load probe in a real VS Code (code-server 4.100.3, the packaged VSIX): the CodeLens above a
// SQLAlchemy pool runs the probe against a scratch database on the loopback PostgreSQL, the
// notification shows progress, the report opens in a webview with its charts, the measured size
// is offered as a quick fix, and no probe session is left on the server. The workspace's
// poolLint.probe.steps and poolLint.probe.duration settings shape the run. The CodeLens above a
// SQLite pool runs the SQLite probe with the better-sqlite3 addon the VSIX carries (the VSIX has no
// node_modules), on a copy: the webview shows the busy rates and the original file is unchanged.
// `npm run test:host`.
import * as assert from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HostSession, installCodeServer, waitUntil } from './code-server';
import { Workbench } from './workbench';
import { scratchDatabase, waitForNoSessions, type Scratch } from '../helpers/pg';

describe('pool-lint in code-server: the load probe', function () {
  let bin: string;
  let host: HostSession | undefined;
  let wb: Workbench;
  let db: Scratch;
  let failed = false;
  let src: string;

  before(async function () {
    this.timeout(15 * 60_000);
    db = await scratchDatabase();
    src = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-probe-host-'));
    fs.writeFileSync(path.join(src, '.env'), `DATABASE_URL=${db.url}\n`);
    // a small pool with a short acquire bound, so the run is short and the confirmation raises the size
    fs.writeFileSync(path.join(src, 'poollint.config.json'), '{"expectedConcurrency": 3}\n');
    fs.writeFileSync(path.join(src, 'app.py'), 'import os\nfrom sqlalchemy import create_engine\n\nengine = create_engine(os.environ["DATABASE_URL"], pool_size=1, max_overflow=0, pool_timeout=0.002)\n');
    // the probe's settings: two steps of one second each (the defaults would be 1, 2, 4 at 5 s)
    fs.mkdirSync(path.join(src, '.vscode'));
    fs.writeFileSync(path.join(src, '.vscode', 'settings.json'), JSON.stringify({ 'poolLint.probe.steps': [1, 3], 'poolLint.probe.duration': '1s' }, null, 2));
    // a SQLite pool over a database with rows in it (seed 000's shape: a pool of writers on SQLite)
    fs.writeFileSync(path.join(src, 'store.py'), 'from sqlalchemy import create_engine\n\nstore = create_engine("sqlite:///chat.db", pool_size=5, max_overflow=5)\n');
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const Database = require('better-sqlite3');
    const sdb = new Database(path.join(src, 'chat.db'));
    sdb.exec("CREATE TABLE messages (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO messages (body) VALUES ('hello'), ('world')");
    sdb.close();
    bin = installCodeServer();
    host = await HostSession.start(bin, { workspace: src, name: 'probe' });
    wb = new Workbench(host.page);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && host) {
      failed = true;
      const shot = await host.screenshot(`failed-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => '');
      if (shot) console.error(`    screenshot: ${shot}`);
    }
  });

  after(async function () {
    if (host) await host.stop(failed);
    if (db) await db.drop();
    if (src) fs.rmSync(src, { recursive: true, force: true });
  });

  it('the CodeLens runs the probe with progress, the report opens in a webview, the size is a quick fix, no session is left', async function () {
    this.timeout(300_000);
    await wb.openFile('app.py');
    const lens = wb.page.locator('.editor-group-container.active .codelens-decoration a', { hasText: 'Run load probe' }).first();
    await lens.waitFor({ state: 'visible', timeout: 90_000 });
    await lens.click();
    const progress = wb.page.locator('.notifications-toasts .notification-toast', { hasText: 'pool-lint: load probe' }).first();
    await progress.waitFor({ state: 'visible', timeout: 30_000 });
    console.log(`    screenshot: ${await host!.screenshot('probe-progress')}`);
    const done = wb.page.locator('.notifications-toasts .notification-toast', { hasText: /load probe done: recommended capacity \d+/ }).first();
    await done.waitFor({ state: 'visible', timeout: 200_000 });
    const toast = await done.innerText();
    const rec = Number(/recommended capacity (\d+)/.exec(toast)![1]);
    assert.ok(rec > 1, toast);
    // the webview: its tab, and its charts inside the frame
    await wb.page.locator('.tab', { hasText: 'Load probe: app.py:4' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    const text = await waitUntil('the report in the webview', async () => {
      for (const f of wb.page.frames()) {
        const t = String(await f.evaluate('document.body ? document.body.innerText : ""').catch(() => ''));
        if (/Recommended capacity: \d+/.test(t)) return t;
      }
      return undefined;
    }, 60_000);
    assert.match(text, /Throughput vs concurrency|Steps/);
    // the settings took effect: the steps asked for, one second each
    const stepRows = await waitUntil('the steps table', async () => {
      for (const f of wb.page.frames()) {
        const rows = (await f
          .evaluate(`(() => { const h = [...document.querySelectorAll('h2')].find((x) => x.textContent === 'Steps'); return h ? [...h.nextElementSibling.querySelectorAll('tbody tr')].map((tr) => tr.children[0].textContent + '@' + tr.children[2].textContent) : null; })()`)
          .catch(() => null)) as string[] | null;
        if (rows) return rows;
      }
      return undefined;
    }, 30_000);
    assert.deepStrictEqual(stepRows.map((r) => r.split('@')[0]), ['1', '3'], stepRows.join(' | '));
    console.log(`    screenshot: ${await host!.screenshot('probe-report')}`);
    assert.strictEqual((await waitForNoSessions(db.admin, db.name, 3000)).sessions, 0);
    // the measured size as a quick fix on the pool (app.py's tab in the first group; the report is in the second)
    await wb.page.locator('.tab[data-resource-name="app.py"]').first().click();
    await wb.goToLine(4, 20);
    const fixes = await wb.quickFixes();
    assert.ok(fixes.some((f) => new RegExp(`Set pool_size to ${rec} \\(capacity ${rec}, measured by the load probe\\)`).test(f)), `quick fixes: ${fixes.join(' | ')}`);
    await wb.applyQuickFix(new RegExp(`Set pool_size to ${rec} \\(capacity`));
    await waitUntil('the edit in app.py', async () => fs.readFileSync(path.join(host!.workspace, 'app.py'), 'utf8').includes(`pool_size=${rec},`) || (await wb.visibleText()).includes(`pool_size=${rec},`), 30_000);
  });

  it('the CodeLens on a SQLite pool runs the SQLite probe from the VSIX: busy rates in the webview, the original database unchanged', async function () {
    this.timeout(240_000);
    const original = path.join(host!.workspace, 'chat.db');
    const before = { sha: crypto.createHash('sha256').update(fs.readFileSync(original)).digest('hex'), mtime: fs.statSync(original).mtimeMs };
    // the first test's report is open beside app.py: one editor group again, so store.py's tab is the active one
    await wb.page.locator('.tab[data-resource-name="app.py"]').first().click();
    await wb.focusEditor();
    await wb.page.keyboard.press('Control+S');
    await wb.runCommand('View: Close All Editor Groups');
    // app.py carries the applied quick fix: if it was not saved yet, the editor asks; save it
    const save = wb.page.getByRole('button', { name: 'Save', exact: true });
    if (await save.isVisible({ timeout: 2000 }).catch(() => false)) await save.click();
    await wb.openFile('store.py');
    const lens = wb.page.locator('.editor-group-container.active .codelens-decoration a', { hasText: 'Run load probe' }).first();
    await lens.waitFor({ state: 'visible', timeout: 90_000 });
    await lens.click();
    // the notification carries the busy rates (the PostgreSQL run's toast may still be showing)
    const done = wb.page.locator('.notifications-toasts .notification-toast', { hasText: /load probe done: WAL \+ busy_timeout \+ 1 writer: [\d.]+% of write transactions failed/ }).first();
    await done.waitFor({ state: 'visible', timeout: 120_000 });
    const text = await waitUntil('the SQLite report in the webview', async () => {
      for (const f of wb.page.frames()) {
        const t = String(await f.evaluate('document.body ? document.body.innerText : ""').catch(() => ''));
        if (/SQLite load probe/.test(t) && /busy rate/.test(t)) return t;
      }
      return undefined;
    }, 60_000);
    console.log(`    screenshot: ${await host!.screenshot('probe-sqlite-report')}`);
    // a copy of the workspace's file, the configured setup and the recommended one, with their busy rates
    assert.match(text, /a copy of .*chat\.db; the original is never opened/);
    assert.match(text, /as configured/);
    assert.match(text, /WAL \+ busy_timeout \+ 1 writer/);
    assert.match(text, /"database is locked" per write transaction/);
    const rates = [...text.matchAll(/(\d+\.\d)%/g)].map((m) => Number(m[1]));
    assert.ok(rates.length >= 2, text);
    // the duration setting reaches the SQLite probe too
    assert.match(text, /1\.0 s per configuration/);
    assert.ok(!/does not load in this runtime|needs the better-sqlite3 module|needs Node\.js/.test(text + (await done.innerText())), await done.innerText());
    const after = { sha: crypto.createHash('sha256').update(fs.readFileSync(original)).digest('hex'), mtime: fs.statSync(original).mtimeMs };
    assert.deepStrictEqual(after, before, 'the original database file is unchanged');
    assert.ok(!fs.existsSync(`${original}-wal`) && !fs.existsSync(`${original}-journal`), 'no journal beside the original');
  });
});
