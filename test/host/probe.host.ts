// The load probe in a real VS Code (code-server 4.100.3, the packaged VSIX): the CodeLens above a
// SQLAlchemy pool runs the probe against a scratch database on the loopback PostgreSQL, the
// notification shows progress, the report opens in a webview with its charts, the measured size
// is offered as a quick fix, and no probe session is left on the server. `npm run test:host`.
import * as assert from 'assert';
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
});
