// The MySQL / MariaDB probe against a real server on loopback (POOL_LINT_TEST_MYSQL, else
// mysql://root@127.0.0.1:3306/; .ci/run installs and starts MariaDB): the measured shape,
// acquire timeouts past the capacity (modelled and mysql2's own waitForConnections false), the
// read-only session, the connection budget, loopback only, masked passwords, and no probe thread
// left in the process list after a normal end and after a cancel.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as mysql from 'mysql2/promise';
import { checkMysqlSql, runMysqlProbe, type MysqlProbeOptions } from '../server/src/probe/mysql';
import { ProbeRefused } from '../server/src/probe/safety';
import { mysqlDefaultLimits, type PoolLimits } from '../server/src/probe/target';
import { toHtml, toJson, toText } from '../server/src/probe/render';
import { cli } from './helpers/cli';

const BASE = process.env.POOL_LINT_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306/';
const limits = (over: Partial<PoolLimits>): PoolLimits => ({ ...mysqlDefaultLimits(), ...over });

interface Scratch {
  name: string;
  url: string;
  admin: mysql.Connection;
  /** Threads connected to the scratch database (the probe's; the admin connection uses none). */
  sessions(): Promise<number>;
  drop(): Promise<void>;
}

async function scratch(): Promise<Scratch> {
  let admin: mysql.Connection;
  try {
    admin = await mysql.createConnection({ uri: BASE, connectTimeout: 5000 });
  } catch (e) {
    throw new Error(`no MySQL/MariaDB answers at ${BASE.replace(/:[^:@/]*@/, ':***@')} (${(e as Error).message}): start one (apt-get install mariadb-server; service mariadb start) or set POOL_LINT_TEST_MYSQL`);
  }
  const name = `pool_lint_probe_${process.pid}`;
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.query(`CREATE TABLE ${name}.target (id INT)`);
  const u = new URL(BASE);
  u.pathname = `/${name}`;
  const sessions = async () => {
    const [rows] = await admin.query('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [name]);
    return Number((rows as { n: number }[])[0].n);
  };
  return {
    name,
    url: u.toString(),
    admin,
    sessions,
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
    },
  };
}

/** Waits up to `ms` for the probe's threads to leave the process list (an exiting thread may linger). */
async function noSessions(db: Scratch, ms: number): Promise<number> {
  const end = Date.now() + ms;
  let n = await db.sessions();
  while (n > 0 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    n = await db.sessions();
  }
  return n;
}

const base = (url: string, over: Partial<MysqlProbeOptions>): MysqlProbeOptions => ({
  url,
  limits: limits({ capacity: 4, acquireTimeoutMs: 5000 }),
  workload: { kind: 'hold', holdMs: 20 },
  stepDurationMs: 1000,
  expectedConcurrency: { value: 8, how: 'test' },
  confirm: false,
  ...over,
});

describe('probe: MySQL/MariaDB target safety (no server needed)', () => {
  it('a non-loopback URL is refused before any connection, and its password is not shown', async () => {
    for (const url of ['mysql://app:Sup3rSecret@10.20.30.40:3306/app', 'mariadb://app:Sup3rSecret@db.example.com/app', 'mysql+pymysql://app:Sup3rSecret@[fe80::1]/app']) {
      await assert.rejects(runMysqlProbe(base(url, {})), (e: Error) => {
        assert.ok(e instanceof ProbeRefused, e.message);
        assert.match(e.message, /refusing to probe .*loopback.*No connection was attempted/);
        assert.ok(!e.message.includes('Sup3rSecret'));
        return true;
      });
    }
  });

  it('user SQL that changes the session, the server or the timeouts is refused before connecting', () => {
    for (const sql of ['USE mysql', 'SET SESSION TRANSACTION READ WRITE', 'SELECT @@tx_read_only', 'KILL 12', 'FLUSH TABLES', 'START TRANSACTION', 'SELECT 1; SET max_statement_time = 0']) {
      assert.throws(() => checkMysqlSql(sql, 'q.sql'), ProbeRefused, sql);
    }
    assert.strictEqual(checkMysqlSql('SELECT id FROM target WHERE id = 1 # the hot query\n', 'q.sql'), 'SELECT id FROM target WHERE id = 1');
  });
});

describe('probe: MySQL/MariaDB on loopback', function () {
  this.timeout(120000);
  let db: Scratch;
  before(async () => {
    db = await scratch();
  });
  after(async () => db && (await db.drop()));

  it('throughput rises with concurrency up to the capacity, then flattens; never more connections than the capacity; no thread left', async () => {
    const r = await runMysqlProbe(base(db.url, { limits: limits({ capacity: 4, acquireTimeoutMs: 10000 }), workload: { kind: 'hold', holdMs: 25 }, steps: [1, 2, 4, 8, 16], stepDurationMs: 1200 }));
    assert.ok(r.complete, r.errors.join('; '));
    assert.match(r.server!.flavor, /MariaDB|MySQL/);
    const tp = new Map(r.steps.map((s) => [s.concurrency, s.throughput]));
    const ratio = (a: number, b: number) => tp.get(a)! / tp.get(b)!;
    assert.ok(ratio(2, 1) > 1.5, `2 vs 1: ${ratio(2, 1)}`);
    assert.ok(ratio(4, 2) > 1.5, `4 vs 2: ${ratio(4, 2)}`);
    assert.ok(ratio(8, 4) > 0.75 && ratio(8, 4) < 1.25, `8 vs 4: ${ratio(8, 4)}`);
    assert.ok(ratio(16, 4) > 0.75 && ratio(16, 4) < 1.25, `16 vs 4: ${ratio(16, 4)}`);
    for (const s of r.steps) assert.ok(s.maxOpen <= 4, `${s.maxOpen} open at ${s.concurrency}`);
    assert.ok(r.steps.find((s) => s.concurrency === 16)!.acquireWaitMs.p50! > 25, 'past the capacity requests wait for a connection');
    assert.strictEqual(r.recommendation?.capacity, 4);
    assert.strictEqual(r.leftOpen, 0);
    const left = await noSessions(db, 1000);
    console.log(`      leak check after a normal end: leftOpen ${r.leftOpen}, ${left} threads in the process list on ${db.name}`);
    assert.strictEqual(left, 0);
  });

  it('acquire timeouts appear exactly past the capacity: a modelled bound, and mysql2\'s own waitForConnections false', async () => {
    const t = await runMysqlProbe(base(db.url, { limits: limits({ capacity: 2, acquireTimeoutMs: 30, timeoutError: 'QueuePool limit of size 2 overflow 0 reached, connection timed out, timeout 0.03' }), workload: { kind: 'hold', holdMs: 150 }, steps: [2, 4], stepDurationMs: 800 }));
    assert.ok(t.complete, t.errors.join('; '));
    assert.strictEqual(t.steps[0].acquireTimeouts, 0);
    assert.ok(t.steps[1].acquireTimeouts > 0, JSON.stringify(t.steps[1]));
    assert.match(t.steps[1].acquireTimeoutError!, /QueuePool limit of size 2/);
    const n = await runMysqlProbe(base(db.url, { limits: limits({ capacity: 2, acquireTimeoutMs: 0, timeoutError: 'No connections available.' }), workload: { kind: 'hold', holdMs: 100 }, steps: [2, 3], stepDurationMs: 600 }));
    assert.ok(n.complete, n.errors.join('; '));
    assert.strictEqual(n.steps[0].acquireTimeouts, 0);
    assert.ok(n.steps[1].acquireTimeouts > 0);
    assert.strictEqual(n.steps[1].acquireTimeoutError, 'No connections available.');
    assert.strictEqual(await noSessions(db, 1000), 0);
  });

  it('a write in the user\'s SQL is refused by the read-only session; the row is not written', async () => {
    const r = await runMysqlProbe(base(db.url, { workload: { kind: 'sql', sql: 'INSERT INTO target VALUES (1)', file: 'write.sql' }, steps: [2], stepDurationMs: 500 }));
    assert.strictEqual(r.complete, false);
    assert.match(r.steps[0].error!, /statement error: the read-only session refused the statement: Cannot execute statement in a READ ONLY transaction/);
    const [rows] = await db.admin.query(`SELECT COUNT(*) AS n FROM ${db.name}.target`);
    assert.strictEqual(Number((rows as { n: number }[])[0].n), 0);
    assert.strictEqual(r.leftOpen, 0);
  });

  it('the SQL workload runs the user\'s query; the statement timeout of the session cancels a long one', async () => {
    const ok = await runMysqlProbe(base(db.url, { workload: { kind: 'sql', sql: 'SELECT COUNT(*) FROM target', file: 'count.sql' }, steps: [2], stepDurationMs: 400 }));
    assert.ok(ok.complete && ok.steps[0].requests > 50, JSON.stringify(ok.steps[0]));
    const slow = await runMysqlProbe(base(db.url, { statementTimeoutMs: 300, workload: { kind: 'sql', sql: 'SELECT SLEEP(2) FROM target UNION ALL SELECT 1', file: 'slow.sql' }, steps: [1], stepDurationMs: 1500 }));
    assert.match(slow.session.timeoutSetting!, /max_statement_time = 0\.300|max_execution_time = 300/);
    // MariaDB's max_statement_time ends the query (an error, or SLEEP returning early: either way not 2 s)
    const s = slow.steps[0];
    assert.ok(s.error ? /statement timeout|interrupted/i.test(s.error) : s.latencyMs.p50! < 1500, JSON.stringify(s));
  });

  it('the probe never opens more than max_connections - Threads_connected - 2, and says so', async () => {
    const r = await runMysqlProbe(base(db.url, { limits: limits({ capacity: 100000 }), steps: [1], stepDurationMs: 200 }));
    assert.ok(r.complete, r.errors.join('; '));
    const s = r.server!;
    assert.strictEqual(s.budget, s.maxConnections - s.threadsConnected - 2);
    assert.strictEqual(r.limits.probeCapacity, s.budget);
    assert.match(r.limits.cappedBy!, /the pool allows 100000 connections but the server can spare \d+ \(max_connections \d+ - \d+ Threads_connected - 2 headroom\)/);
  });

  it('cancel closes every connection within a second, mid-statement', async () => {
    const ac = new AbortController();
    const running = runMysqlProbe(base(db.url, { limits: limits({ capacity: 4 }), workload: { kind: 'hold', holdMs: 3000 }, steps: [4], stepDurationMs: 20000, signal: ac.signal }));
    const t0 = Date.now();
    // the pool's 4 connections and the probe's control connection
    while ((await db.sessions()) < 5 && Date.now() - t0 < 10000) await new Promise((r) => setTimeout(r, 50));
    assert.strictEqual(await db.sessions(), 5, 'the probe had its 4 connections and its control connection open');
    const c0 = Date.now();
    ac.abort();
    const r = await running;
    const took = Date.now() - c0;
    const left = await noSessions(db, 1000);
    console.log(`      leak check after cancel: returned after ${took} ms; leftOpen ${r.leftOpen}, ${left} threads in the process list`);
    assert.ok(took < 1500, `returned after ${took} ms`);
    assert.strictEqual(left, 0);
    assert.match(r.errors.join('\n'), /cancelled: every connection was closed/);
  });

  it('CLI: --url mysql:// in text, JSON and HTML; a wrong password is refused with a message that does not show it', async () => {
    const text = cli(['probe', '--url', db.url, '--workload', 'hold:5ms', '--steps', '1,2', '--duration', '300ms', '--capacity', '2', '--no-confirm'], os.tmpdir());
    assert.strictEqual(text.code, 0, text.stderr);
    assert.match(text.stdout, /pool-lint probe: (MariaDB|MySQL) at mysql:\/\/root@127\.0\.0\.1:3306\//);
    assert.match(text.stdout, /read-only \(SET SESSION TRANSACTION READ ONLY\), program_name pool-lint-probe/);
    assert.match(text.stdout, /probe sessions left open: 0/);
    const u = new URL(db.url);
    u.password = 'Wr0ngSecretPw';
    for (const format of ['text', 'json', 'html']) {
      const r = cli(['probe', '--url', u.toString(), '--steps', '1', '--duration', '200ms', '--format', format, '--no-confirm'], os.tmpdir());
      assert.strictEqual(r.code, 1, r.stderr);
      assert.ok(!(r.stdout + r.stderr).includes('Wr0ngSecretPw'), `${format} shows the password`);
      assert.match(r.stdout, /password authentication failed for user "root"|Access denied for user/);
    }
    // a mysql2 pool found in code is probed with its own limits: connectionLimit, waitForConnections false
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-mysql-pool-'));
    try {
      fs.writeFileSync(path.join(ws, '.env'), `DATABASE_URL=${db.url}\n`);
      fs.writeFileSync(path.join(ws, 'db.js'), "const mysql = require('mysql2');\n\nconst pool = mysql.createPool({ uri: process.env.DATABASE_URL, connectionLimit: 3, waitForConnections: false });\nmodule.exports = pool;\n");
      const p = cli(['probe', '--pool', 'db.js:3', '--steps', '3,4', '--duration', '400ms', '--workload', 'hold:50ms', '--no-confirm', '--format', 'json'], ws);
      assert.strictEqual(p.code, 0, p.stderr);
      const rep = JSON.parse(p.stdout);
      assert.strictEqual(rep.kind, 'mysql');
      assert.deepStrictEqual([rep.limits.capacity, rep.limits.acquireTimeoutMs, rep.limits.library], [3, 0, 'mysql2']);
      assert.strictEqual(rep.steps[0].acquireTimeouts, 0);
      assert.ok(rep.steps[1].acquireTimeouts > 0);
      assert.strictEqual(rep.steps[1].acquireTimeoutError, 'No connections available.');
      assert.strictEqual(rep.leftOpen, 0);
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
    }
    // the renderers take a MySQL report too
    const rep = await runMysqlProbe(base(db.url, { steps: [1], stepDurationMs: 200 }));
    assert.match(toText(rep), /MariaDB|MySQL/);
    assert.ok(JSON.parse(toJson(rep)).kind === 'mysql');
    assert.match(toHtml(rep), /<svg[^>]+aria-label="Throughput vs concurrency"/);
  });
});
