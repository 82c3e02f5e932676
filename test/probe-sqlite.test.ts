// The SQLite probe: it works on a copy (the original's bytes and mtime never change), the seeds' setups
// show "database is locked" failures, and WAL + busy_timeout + one writer using BEGIN IMMEDIATE shows none.
import * as assert from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Database from 'better-sqlite3';
import { check } from '../server/src/engine';
import { runSqliteProbe, freshConfigs, recommendedConfig, type SqliteConfig } from '../server/src/probe/sqlite';
import { sqliteSettingsOf } from '../server/src/probe/target';
import { toHtml, toText } from '../server/src/probe/render';
import { cli } from './helpers/cli';
import { FIXTURES } from './helpers/fixtures';

const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

async function seedConfigs(dir: string, library: string): Promise<SqliteConfig[]> {
  const r = await check({ root: dir });
  const pool = r.pools.find((p) => p.library === library)!;
  assert.ok(pool, `no ${library} pool in ${dir}`);
  const profile = Object.values(pool.profiles)[0];
  const found = sqliteSettingsOf(pool, profile, r.pools, (f) => path.relative(dir, f), dir);
  return [
    { label: 'as configured', how: found.how, journalMode: found.journalMode, busyTimeoutMs: found.busyTimeoutMs, writers: found.writers, readers: Math.min(found.readers, 4), writerBegin: 'deferred' },
    recommendedConfig(found.busyTimeoutMs, Math.min(found.readers, 4)),
  ];
}

describe('probe: SQLite', function () {
  this.timeout(120000);

  it('the recommended run (WAL + busy_timeout + 1 writer, BEGIN IMMEDIATE) has no "database is locked", while rollback journal + busy_timeout 0 + 2 writers has', async () => {
    // Before BEGIN IMMEDIATE this run was refused at the first INSERT of its deferred BEGIN ... SELECT ...
    // INSERT, at once and without waiting for busy_timeout, whenever a reader held WAL's write lock for
    // the moment it takes to re-read a wal-index header it caught mid-update. One reader and one-row
    // write transactions give those moments most steadily (more readers gave 0 to 1,046 per run, by how
    // the threads were scheduled). On a loaded 2-core machine a deferred BEGIN here was refused in every
    // run: 5 to 32 times in each of 8 runs of 4 s, 1 to 82 in 17 runs of 3 s, while 1.5 s runs showed
    // none in 3 of 15; hence 4 s.
    const recommended: SqliteConfig = { ...freshConfigs()[2], readers: 1 };
    assert.strictEqual(recommended.writerBegin, 'immediate');
    const tunedReport = await runSqliteProbe({ configs: [recommended], durationMs: 4000, rowsPerWrite: 1 });
    assert.ok(tunedReport.complete, tunedReport.errors.join('; '));
    const tuned = tunedReport.runs[0];
    // the control: two writers with no busy_timeout fail at once whenever the other holds the lock, so the
    // same counting does see refusals where the configuration has them
    const mustLock: SqliteConfig = { label: 'rollback journal, busy_timeout 0, 2 writers', how: 'journal_mode=delete, busy_timeout 0 ms, 2 writers, 1 reader', journalMode: 'delete', busyTimeoutMs: 0, writers: 2, readers: 1, writerBegin: 'deferred' };
    const lockingReport = await runSqliteProbe({ configs: [mustLock], durationMs: 500, rowsPerWrite: 1 });
    assert.ok(lockingReport.complete, lockingReport.errors.join('; '));
    const locking = lockingReport.runs[0];
    console.log(`      ${tuned.label}: ${tuned.busy}/${tuned.writeAttempts} writes and ${tuned.readBusy}/${tuned.readAttempts} reads busy; ${locking.label}: ${locking.busy}/${locking.writeAttempts} writes busy`);
    assert.ok(tuned.writes > 0 && tuned.reads > 0, JSON.stringify(tuned));
    assert.deepStrictEqual({ writeBusy: tuned.busy, readBusy: tuned.readBusy }, { writeBusy: 0, readBusy: 0 }, tuned.label);
    assert.strictEqual(tunedReport.busyError, undefined);
    assert.ok(locking.busy > 0, `${locking.busy} of ${locking.writeAttempts}`);
    assert.match(lockingReport.busyError!, /SQLITE_BUSY\w*: database is locked/);
  });

  it('works on a copy: the original file\'s bytes and mtime are unchanged, and no -wal/-shm appears beside it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-sqlite-orig-'));
    try {
      const file = path.join(dir, 'app.db');
      const db = new Database(file);
      db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES (\'ada\'), (\'grace\')');
      db.close();
      const past = new Date(Date.now() - 3600_000);
      fs.utimesSync(file, past, past);
      const before = { hash: sha(file), mtime: fs.statSync(file).mtimeMs, files: fs.readdirSync(dir).sort() };
      const r = await runSqliteProbe({ database: file, configs: freshConfigs().slice(1), durationMs: 600 });
      assert.strictEqual(r.source.kind, 'copy');
      assert.ok(r.complete, r.errors.join('; '));
      assert.ok(r.runs.every((x) => x.writes > 0 && x.reads > 0));
      assert.deepStrictEqual({ hash: sha(file), mtime: fs.statSync(file).mtimeMs, files: fs.readdirSync(dir).sort() }, before);
      // the user's table is still there in the original, untouched
      const check = new Database(file, { readonly: true, fileMustExist: true });
      assert.strictEqual((check.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n, 2);
      assert.strictEqual(check.prepare("SELECT name FROM sqlite_master WHERE name = 'pool_lint_probe'").get(), undefined);
      check.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('seed 001 (WAL, busy_timeout 30000, max_writers: 2): WAL + one writer with BEGIN IMMEDIATE is never refused', async () => {
    const configs = await seedConfigs(path.join(FIXTURES, 'sqlite-multiple-writers', 'seed-001-pooled-repo', 'input'), 'yaml-config');
    assert.deepStrictEqual([configs[0].journalMode, configs[0].busyTimeoutMs, configs[0].writers], ['wal', 30000, 2]);
    const r = await runSqliteProbe({ configs, durationMs: 2000 });
    assert.ok(r.complete, r.errors.join('; '));
    const [seed, tuned] = r.runs;
    console.log(`      seed 001: ${(seed.busyRate * 100).toFixed(1)}% busy (${seed.busy}/${seed.writeAttempts}); WAL + 1 writer: ${(tuned.busyRate * 100).toFixed(1)}% (${tuned.busy}/${tuned.writeAttempts})`);
    assert.ok(seed.busy > 0, 'two writers in WAL contend');
    // one writer whose BEGIN IMMEDIATE waits for the write lock (busy_timeout) is never refused; the seed's two
    // writers, each with a deferred BEGIN, are
    assert.strictEqual(tuned.busy, 0, `${tuned.busy} of ${tuned.writeAttempts}`);
    assert.match(r.busyError!, /SQLITE_BUSY\w*: database is locked/);
  });

  it('seed 000 (SQLAlchemy defaults on SQLite: QueuePool 5+10, so several writers): WAL + one writer with BEGIN IMMEDIATE is never refused', async () => {
    const configs = await seedConfigs(path.join(FIXTURES, 'sqlite-pool-sizing', 'seed-000-as-found', 'input'), 'sqlalchemy');
    assert.ok(configs[0].writers > 1);
    const r = await runSqliteProbe({ configs, durationMs: 2000 });
    assert.ok(r.complete, r.errors.join('; '));
    const [seed, tuned] = r.runs;
    console.log(`      seed 000: ${(seed.busyRate * 100).toFixed(1)}% busy (${seed.busy}/${seed.writeAttempts}) with ${seed.writers} writers; WAL + 1 writer: ${(tuned.busyRate * 100).toFixed(1)}%`);
    assert.ok(seed.busy > 0);
    assert.strictEqual(tuned.busy, 0, `${tuned.busy} of ${tuned.writeAttempts}`);
    assert.match(toText(r), /WAL \+ busy_timeout \+ 1 writer: [\d.]+% of write transactions failed with "database is locked" \(\d+ of \d+\), against [\d.]+% \(\d+ of \d+\) with as configured/);
  });

  it('CLI: `pool-lint probe --sqlite` (the README command) gives a full report on a fresh database, as text and HTML', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-sqlite-cli-'));
    try {
      const r = cli(['probe', '--sqlite', '--duration', '700ms'], dir);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stdout, /^pool-lint probe: SQLite 3\.\d+\.\d+, on a fresh temporary database/);
      for (const label of ['rollback journal, 2 writers', 'WAL, 2 writers', 'WAL + busy_timeout + 1 writer']) assert.ok(r.stdout.includes(label), label);
      assert.match(r.stdout, /"database is locked" \(SQLITE_BUSY\) per write transaction/);
      assert.match(r.stdout, /complete in/);
      const h = cli(['probe', '--sqlite', '--duration', '500ms', '--format', 'html', '--output', 'r.html'], dir);
      assert.strictEqual(h.code, 0, h.stderr);
      const page = fs.readFileSync(path.join(dir, 'r.html'), 'utf8');
      assert.strictEqual((page.match(/<svg /g) ?? []).length, 3);
      assert.ok(!/<script|\bsrc=|\bhref=/i.test(page));
      assert.deepStrictEqual(fs.readdirSync(dir), ['r.html'], 'nothing else is written to the current folder');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('CLI: a SQLite pool in code is probed on a copy of its file with the settings found there', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-sqlite-pool-'));
    try {
      const db = new Database(path.join(dir, 'app.db'));
      db.exec('CREATE TABLE t (x)');
      db.close();
      const before = sha(path.join(dir, 'app.db'));
      fs.writeFileSync(path.join(dir, 'app.py'), 'import sqlite3\n\nconn = sqlite3.connect("app.db", timeout=0)\n');
      const r = cli(['probe', '--pool', 'app.py:3', '--duration', '500ms', '--format', 'json'], dir);
      assert.ok(r.code === 0 || r.code === 1, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.strictEqual(j.kind, 'sqlite');
      assert.strictEqual(j.source.kind, 'copy');
      assert.strictEqual(j.runs[0].busyTimeoutMs, 0);
      assert.strictEqual(j.runs[0].journalMode, 'delete');
      assert.strictEqual(j.runs[1].journalMode, 'wal');
      // the code's own run keeps the deferred BEGIN an ORM session issues; only the recommended run uses BEGIN IMMEDIATE, and says so
      assert.deepStrictEqual(j.runs.map((x: { writerBegin: string }) => x.writerBegin), ['deferred', 'immediate']);
      assert.match(j.runs[1].how, /BEGIN IMMEDIATE/);
      assert.match(j.workload, /BEGIN \(deferred[^;]*\) in "as configured \(delete, \d+ writers?\)", BEGIN IMMEDIATE in "WAL \+ busy_timeout \+ 1 writer";/);
      assert.strictEqual(sha(path.join(dir, 'app.db')), before);
      assert.ok(toHtml(j).includes('<svg'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
