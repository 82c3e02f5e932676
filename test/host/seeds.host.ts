// Seeds 001 (YAML config over SQLite), 002 (Rust sqlx) and 003 (SQLAlchemy, SQLite in production)
// side by side in one multi-root window: each folder is its own pool-lint workspace, and each
// seed's findings appear in the Problems panel with its rule ids.
import * as assert from 'assert';
import * as path from 'path';
import { HostSession, installCodeServer, REPO, waitUntil } from './code-server';
import { Workbench } from './workbench';

const FIXTURES = path.join(REPO, 'test', 'fixtures');

describe('pool-lint in code-server 4.100.3: seeds 001, 002 and 003 in one multi-root window', function () {
  let host: HostSession | undefined;
  let wb: Workbench;
  let failed = false;

  before(async function () {
    this.timeout(15 * 60_000);
    host = await HostSession.start(installCodeServer(), {
      name: 'seed-001',
      workspace: path.join(FIXTURES, 'sqlite-multiple-writers', 'seed-001-pooled-repo', 'input'),
      moreFolders: {
        'seed-002': path.join(FIXTURES, 'undersized-pool', 'seed-002-sqlx-max-connections', 'input'),
        'seed-003': path.join(FIXTURES, 'sqlite-in-production', 'seed-003-models-before', 'input'),
      },
    });
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
  });

  it('each seed\'s findings appear with their rule ids: YAML, Rust and Python', async () => {
    await wb.openFile('main.rs');
    await wb.waitForProblem([/sqlite-multiple-writers/]);
    await wb.waitForProblem([/undersized-pool/, /max_connections/]);
    await wb.waitForProblem([/hardcoded-pool-size/]);
    await wb.waitForProblem([/sqlite-in-production/]);
    await waitUntil('a squiggle in main.rs', async () => (await wb.squiggles().count()) > 0);
    const item = await waitUntil('the pool count in the status bar', () => wb.statusItem(/\b\d+ pools\b/), 60_000, () => wb.statusText());
    assert.ok(Number(/(\d+) pools/.exec(item)![1]) >= 3, item);
    console.log(`    screenshot: ${await host!.screenshot('multi-root')}`);
  });

  it('the hover on the Rust pool shows its settings table', async () => {
    const hover = await wb.hover('PgPoolOptions', 'PgPoolOptions::new()');
    assert.ok(hover.tables >= 1, hover.text);
    assert.match(hover.text, /max_connections/);
  });
});
