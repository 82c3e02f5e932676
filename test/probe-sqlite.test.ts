// The SQLite probe: it works on a copy (the original's bytes and mtime never change), and WAL +
// busy_timeout + one writer shows fewer "database is locked" failures than the seeds' setups.
import * as assert from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Database from 'better-sqlite3';
import { check } from '../server/src/engine';
import { runSqliteProbe, freshConfigs, type SqliteConfig } from '../server/src/probe/sqlite';
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
    { label: 'as configured', how: found.how, journalMode: found.journalMode, busyTimeoutMs: found.busyTimeoutMs, writers: found.writers, readers: Math.min(found.readers, 4) },
    { label: 'WAL + busy_timeout + 1 writer', how: 'recommended', journalMode: 'wal', busyTimeoutMs: Math.max(5000, found.busyTimeoutMs), writers: 1, readers: Math.min(found.readers, 4) },
  ];
}

describe('probe: SQLite', function () {
  this.timeout(120000);

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

  it('seed 001 (WAL, busy_timeout 30000, max_writers: 2): WAL + one writer shows a lower busy rate', async () => {
    const configs = await seedConfigs(path.join(FIXTURES, 'sqlite-multiple-writers', 'seed-001-pooled-repo', 'input'), 'yaml-config');
    assert.deepStrictEqual([configs[0].journalMode, configs[0].busyTimeoutMs, configs[0].writers], ['wal', 30000, 2]);
    const r = await runSqliteProbe({ configs, durationMs: 2000 });
    assert.ok(r.complete, r.errors.join('; '));
    const [seed, tuned] = r.runs;
    console.log(`      seed 001: ${(seed.busyRate * 100).toFixed(1)}% busy (${seed.busy}/${seed.writeAttempts}); WAL + 1 writer: ${(tuned.busyRate * 100).toFixed(1)}% (${tuned.busy}/${tuned.writeAttempts})`);
    assert.ok(seed.busy > 0, 'two writers in WAL contend');
    // a shape with a margin: one writer is far less often refused than two (a loaded machine has shown a few percent)
    assert.ok(tuned.busyRate < seed.busyRate / 2, `${tuned.busyRate} vs ${seed.busyRate}`);
    assert.match(r.busyError!, /SQLITE_BUSY\w*: database is locked/);
  });

  it('seed 000 (SQLAlchemy defaults on SQLite: QueuePool 5+10, so several writers): WAL + one writer shows a lower busy rate', async () => {
    const configs = await seedConfigs(path.join(FIXTURES, 'sqlite-pool-sizing', 'seed-000-as-found', 'input'), 'sqlalchemy');
    assert.ok(configs[0].writers > 1);
    const r = await runSqliteProbe({ configs, durationMs: 2000 });
    assert.ok(r.complete, r.errors.join('; '));
    const [seed, tuned] = r.runs;
    console.log(`      seed 000: ${(seed.busyRate * 100).toFixed(1)}% busy (${seed.busy}/${seed.writeAttempts}) with ${seed.writers} writers; WAL + 1 writer: ${(tuned.busyRate * 100).toFixed(1)}%`);
    assert.ok(seed.busy > 0);
    assert.ok(tuned.busyRate < seed.busyRate / 2, `${tuned.busyRate} vs ${seed.busyRate}`);
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
      assert.strictEqual(sha(path.join(dir, 'app.db')), before);
      assert.ok(toHtml(j).includes('<svg'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
