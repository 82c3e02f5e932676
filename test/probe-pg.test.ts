// The PostgreSQL probe against a real server on loopback: the measured shape (throughput rises to
// the capacity and flattens; acquire timeouts exactly past it), the safety rules (read-only
// sessions, loopback only, passwords masked) and that no probe session outlives the probe after a
// normal end, a cancel, a SIGTERM of the CLI and a server restart mid-run.
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { runPgProbe, checkUserSql, defaultSteps, loadThreads, type PgProbeOptions } from '../server/src/probe/pg';
import { ProbeRefused, checkPgTarget, isLoopbackAddress } from '../server/src/probe/safety';
import { defaultLimits, type PoolLimits } from '../server/src/probe/target';
import { toHtml, toJson, toText } from '../server/src/probe/render';
import { CLI, cli } from './helpers/cli';
import { needsPassword, runProbeProcess } from '../client/src/probe-run';
import { TempCluster, connect, freePort, probeSessions, scratchDatabase, waitForNoSessions, withPassword, type Scratch } from './helpers/pg';

const limits = (over: Partial<PoolLimits>): PoolLimits => ({ ...defaultLimits(), ...over });
const base = (url: string, over: Partial<PgProbeOptions>): PgProbeOptions => ({
  url,
  limits: limits({ capacity: 4, acquireTimeoutMs: 5000 }),
  workload: { kind: 'hold', holdMs: 20 },
  stepDurationMs: 1000,
  expectedConcurrency: { value: 8, how: 'test' },
  confirm: false,
  ...over,
});

describe('probe: target safety (no server needed)', () => {
  it('loopback addresses: 127.0.0.0/8, ::1 and IPv4-mapped loopback; nothing else', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) assert.ok(isLoopbackAddress(a), a);
    for (const a of ['10.0.0.1', '192.168.1.1', '::2', '128.0.0.1', 'fe80::1', '::ffff:10.0.0.1', 'localhost', '']) assert.ok(!isLoopbackAddress(a), a);
  });

  it('a non-loopback URL is refused before any DNS query or socket, naming the setting that allows it', async () => {
    const calls: string[] = [];
    const origConnect = net.Socket.prototype.connect;
    // the dns module itself (an import binding cannot be reassigned)
    const dns = require('dns') as { lookup: (...a: unknown[]) => unknown };
    const origLookup = dns.lookup;
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      calls.push(`connect ${JSON.stringify(args[0])}`);
      return origConnect.apply(this, args as Parameters<typeof origConnect>);
    } as typeof origConnect;
    dns.lookup = (...args: unknown[]) => {
      calls.push(`lookup ${String(args[0])}`);
      return origLookup(...args);
    };
    try {
      for (const url of ['postgresql://app:Sup3rSecret@10.20.30.40:5432/app', 'postgresql://app:Sup3rSecret@db.example.com/app', 'postgresql+asyncpg://app:Sup3rSecret@[fe80::1]:5432/app']) {
        await assert.rejects(runPgProbe(base(url, {})), (e: Error) => {
          assert.ok(e instanceof ProbeRefused, e.message);
          assert.match(e.message, /refusing to probe .*loopback.*poolLint\.probe\.allowedHosts.*--allow-host.*No connection was attempted/);
          assert.ok(!e.message.includes('Sup3rSecret'));
          return true;
        });
      }
      // an empty host with PGHOST pointing elsewhere is refused too
      await assert.rejects(checkPgTarget('postgresql:///app', [], { PGHOST: '10.1.1.1' }), /refusing to probe 10\.1\.1\.1/);
    } finally {
      net.Socket.prototype.connect = origConnect;
      dns.lookup = origLookup;
    }
    assert.strictEqual(calls.length, 0, calls.join('\n'));
    // the hooks do see a connection when one is made (so the empty list above means something)
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      calls.push('connect');
      return origConnect.apply(this, args as Parameters<typeof origConnect>);
    } as typeof origConnect;
    dns.lookup = (...args: unknown[]) => {
      calls.push(`lookup ${String(args[0])}`);
      return origLookup(...args);
    };
    try {
      await runPgProbe(base(`postgresql://postgres@127.0.0.1:${await freePort()}/postgres`, {}));
      await checkPgTarget('postgresql://u@localhost/app', []);
    } finally {
      net.Socket.prototype.connect = origConnect;
      dns.lookup = origLookup;
    }
    assert.ok(calls.includes('connect') && calls.includes('lookup localhost'), calls.join('\n'));
  });

  it('allowed hosts, Unix sockets and localhost pass; the allowed host is not resolved either', async () => {
    assert.strictEqual((await checkPgTarget('postgresql://u@db.staging.internal/app', ['db.staging.internal'])).allowedAs, 'listed in poolLint.probe.allowedHosts');
    assert.strictEqual((await checkPgTarget('postgresql://u@/app?host=/var/run/postgresql', [])).socket, true);
    assert.strictEqual((await checkPgTarget('postgresql://u@127.0.0.2:6543/app', [])).port, 6543);
    const lh = await checkPgTarget('postgres://u@localhost/app', []);
    assert.ok(isLoopbackAddress(lh.host), lh.host);
    await assert.rejects(checkPgTarget('mysql://u@127.0.0.1/app', []), /not a PostgreSQL URL/);
  });

  it('user SQL: session and transaction commands and setting changes are refused before connecting', () => {
    assert.strictEqual(checkUserSql('SELECT 1;\n', 'q.sql'), 'SELECT 1');
    for (const s of ['SET default_transaction_read_only = off', 'begin read write', 'COMMIT', "SELECT set_config('default_transaction_read_only', 'off', false)", '-- only a comment\n']) assert.throws(() => checkUserSql(s, 'q.sql'), ProbeRefused, s);
  });

  it('default steps: powers of two below the capacity, the capacity, 2x and 4x', () => {
    assert.deepStrictEqual(defaultSteps(15), [1, 2, 4, 8, 15, 30, 60]);
    assert.deepStrictEqual(defaultSteps(4), [1, 2, 4, 8, 16]);
    assert.deepStrictEqual(defaultSteps(1), [1, 2, 4]);
  });

  it('load threads by default only where one event loop would be measured: SQL, 8+ concurrent within the capacity, 2+ cores', () => {
    assert.strictEqual(loadThreads(undefined, 32, 32, 'sql', 16), 4);
    assert.strictEqual(loadThreads(undefined, 8, 8, 'sql', 16), 2);
    assert.strictEqual(loadThreads(undefined, 32, 32, 'sql', 2), 2);
    assert.strictEqual(loadThreads(undefined, 32, 32, 'sql', 6), 3);
    // one core: nothing to spread over
    assert.strictEqual(loadThreads(undefined, 32, 32, 'sql', 1), 1);
    // past the capacity requests queue for a connection: one pool, as the application has it
    assert.strictEqual(loadThreads(undefined, 32, 16, 'sql', 16), 1);
    assert.strictEqual(loadThreads(undefined, 4, 4, 'sql', 16), 1);
    assert.strictEqual(loadThreads(undefined, 32, 32, 'hold', 16), 1);
    // asked for: as asked, within the concurrency and the capacity
    assert.strictEqual(loadThreads(3, 32, 32, 'hold', 2), 3);
    assert.strictEqual(loadThreads(8, 4, 2, 'sql', 16), 2);
  });
});

describe('probe: PostgreSQL on loopback', function () {
  this.timeout(120000);
  let db: Scratch;
  before(async () => {
    db = await scratchDatabase();
    const c = await connect(db.url);
    await c.query('CREATE TABLE probe_target (id int)');
    await c.end();
  });
  after(async () => db && (await db.drop()));

  it('throughput rises with concurrency up to the capacity, then flattens; never more connections than the capacity', async () => {
    const r = await runPgProbe(base(db.url, { limits: limits({ capacity: 4, acquireTimeoutMs: 10000 }), workload: { kind: 'hold', holdMs: 25 }, steps: [1, 2, 4, 8, 16], stepDurationMs: 1500 }));
    assert.ok(r.complete, r.errors.join('; '));
    const tp = new Map(r.steps.map((s) => [s.concurrency, s.throughput]));
    const ratio = (a: number, b: number) => tp.get(a)! / tp.get(b)!;
    // a 25 ms hold: ~40 req/s per connection until the pool is full (margins for a busy machine)
    assert.ok(ratio(2, 1) > 1.5, `2 vs 1: ${ratio(2, 1)}`);
    assert.ok(ratio(4, 2) > 1.5, `4 vs 2: ${ratio(4, 2)}`);
    assert.ok(ratio(8, 4) > 0.75 && ratio(8, 4) < 1.25, `8 vs 4: ${ratio(8, 4)}`);
    assert.ok(ratio(16, 4) > 0.75 && ratio(16, 4) < 1.25, `16 vs 4: ${ratio(16, 4)}`);
    for (const s of r.steps) assert.ok(s.maxOpen <= 4, `${s.maxOpen} open at ${s.concurrency}`);
    const s16 = r.steps.find((s) => s.concurrency === 16)!;
    assert.ok(s16.acquireWaitMs.p50! > 25, `past the capacity requests wait for a connection (p50 ${s16.acquireWaitMs.p50} ms)`);
    assert.ok(r.steps.every((s) => s.acquireTimeouts === 0));
    assert.ok(r.server && r.server.maxConnections > 0 && r.server.budget < r.server.maxConnections);
    assert.strictEqual(r.recommendation?.capacity, 4);
    assert.match(r.recommendation!.littlesLaw!.text, /Little's law L = λ·W/);
    assert.match(r.recommendation!.queueingModel!.text, /queueing-model estimate \(M\/M\/c, Erlang C formula\)/);
    assert.strictEqual(r.leftOpen, 0);
    assert.deepStrictEqual(await waitForNoSessions(db.admin, db.name, 1000).then((x) => x.sessions), 0);
  });

  it('load threads: the pool split over two event loops keeps the shape, the capacity and the timeouts, and cancel still closes everything', async () => {
    const r = await runPgProbe(base(db.url, { threads: 2, limits: limits({ capacity: 4, acquireTimeoutMs: 10000 }), workload: { kind: 'hold', holdMs: 25 }, steps: [1, 2, 4, 8], stepDurationMs: 1200 }));
    assert.ok(r.complete, r.errors.join('; '));
    const tp = new Map(r.steps.map((s) => [s.concurrency, s.throughput]));
    assert.ok(tp.get(4)! / tp.get(1)! > 2.5, `4 vs 1: ${tp.get(4)! / tp.get(1)!}`);
    assert.ok(tp.get(8)! / tp.get(4)! < 1.25, `8 vs 4: ${tp.get(8)! / tp.get(4)!}`);
    for (const s of r.steps) assert.ok(s.maxOpen <= 4, `${s.maxOpen} open at ${s.concurrency}`);
    assert.strictEqual(r.leftOpen, 0);
    const t = await runPgProbe(base(db.url, { threads: 2, limits: limits({ capacity: 2, acquireTimeoutMs: 30 }), workload: { kind: 'hold', holdMs: 150 }, steps: [2, 4], stepDurationMs: 800 }));
    assert.deepStrictEqual(t.steps.map((s) => s.acquireTimeouts > 0), [false, true]);
    const ac = new AbortController();
    const running = runPgProbe(base(db.url, { threads: 2, limits: limits({ capacity: 4 }), workload: { kind: 'hold', holdMs: 3000 }, steps: [4], stepDurationMs: 20000, signal: ac.signal }));
    for (let i = 0; i < 100 && (await probeSessions(db.admin, db.name)) < 4; i++) await new Promise((res) => setTimeout(res, 50));
    const t0 = Date.now();
    ac.abort();
    const c = await running;
    const gone = await waitForNoSessions(db.admin, db.name, 2000);
    console.log(`      threaded cancel: returned after ${Date.now() - t0 - gone.afterMs} ms; ${gone.sessions} probe sessions`);
    assert.strictEqual(gone.sessions, 0);
    assert.ok(Date.now() - t0 < 1500);
    assert.strictEqual(c.steps[0].error, 'cancelled');
  });

  it('acquire timeouts appear exactly when concurrency exceeds the capacity, in the library\'s own words', async () => {
    const text = 'QueuePool limit of size 2 overflow 1 reached, connection timed out, timeout 0.04';
    const r = await runPgProbe(base(db.url, { limits: limits({ capacity: 3, acquireTimeoutMs: 40, library: 'SQLAlchemy', timeoutError: text }), workload: { kind: 'hold', holdMs: 150 }, steps: [1, 2, 3, 4, 6], stepDurationMs: 1000 }));
    assert.ok(r.complete, r.errors.join('; '));
    assert.strictEqual(r.limits.probeCapacity, 3, r.limits.cappedBy);
    for (const s of r.steps) {
      if (s.concurrency <= 3) assert.strictEqual(s.acquireTimeouts, 0, `no timeout at ${s.concurrency}`);
      else {
        assert.ok(s.acquireTimeouts > 0, `timeouts at ${s.concurrency}`);
        assert.strictEqual(s.acquireTimeoutError, text);
      }
    }
    assert.match(toText(r), /acquire timeouts, as SQLAlchemy reports them: QueuePool limit of size 2 overflow 1 reached/);
  });

  it('the confirmation step raises the recommendation until the expected concurrency sees no acquire timeout', async () => {
    const r = await runPgProbe(base(db.url, { limits: limits({ capacity: 2, acquireTimeoutMs: 30 }), workload: { kind: 'hold', holdMs: 120 }, steps: [1, 2], stepDurationMs: 800, confirm: true, expectedConcurrency: { value: 4, how: 'test' } }));
    assert.ok(r.complete, r.errors.join('; '));
    assert.ok(r.confirmation.length >= 2, JSON.stringify(r.confirmation.map((s) => [s.capacity, s.acquireTimeouts])));
    assert.ok(r.confirmation[0].acquireTimeouts > 0);
    const last = r.confirmation[r.confirmation.length - 1];
    assert.strictEqual(last.acquireTimeouts, 0);
    assert.strictEqual(r.recommendation!.capacity, last.capacity);
    assert.ok(last.capacity >= 4);
  });

  it('every request the SQL workload counts ran on the server as its own transaction, in one event loop and over load threads', async () => {
    const commits = async () => {
      const c = await connect(db.url);
      try {
        // stats of exited backends are flushed when they exit; ask for a fresh snapshot
        await c.query('SELECT pg_stat_clear_snapshot()');
        return Number((await c.query('SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()')).rows[0].xact_commit);
      } finally {
        await c.end();
      }
    };
    for (const threads of [1, 2]) {
      const before = await commits();
      const r = await runPgProbe(base(db.url, { threads, limits: limits({ capacity: 4, acquireTimeoutMs: 5000 }), workload: { kind: 'sql', sql: 'SELECT g, md5(g::text) FROM generate_series(1, 50) g', file: 'rows.sql' }, steps: [4], stepDurationMs: 700 }));
      assert.ok(r.complete, r.errors.join('; '));
      const n = r.steps[0].requests;
      assert.ok(n > 100, `${n} requests`);
      assert.strictEqual(r.leftOpen, 0);
      await waitForNoSessions(db.admin, db.name, 2000);
      // the server's count: the probe's requests, plus the control connection's few statements and ours
      let delta = 0;
      for (let i = 0; i < 20; i++) {
        delta = (await commits()) - before;
        if (delta >= n) break;
        await new Promise((res) => setTimeout(res, 200));
      }
      assert.ok(delta >= n && delta <= n + 40, `${threads} thread(s): the probe counted ${n} requests, the server committed ${delta} transactions`);
      const s = r.steps[0];
      assert.ok(s.latencyMs.p50! > 0 && s.latencyMs.p50! <= s.latencyMs.p99!, JSON.stringify(s.latencyMs));
      assert.ok(s.holdMs! > 0 && s.holdMs! <= s.latencyMs.mean!, `hold ${s.holdMs} within latency ${s.latencyMs.mean}`);
    }
  });

  it('a write in the user\'s SQL is refused by the read-only session and the step ends with that message', async () => {
    const r = await runPgProbe(base(db.url, { workload: { kind: 'sql', sql: 'WITH w AS (INSERT INTO probe_target VALUES (1) RETURNING id) SELECT * FROM w', file: 'write.sql' }, steps: [2], stepDurationMs: 500 }));
    assert.strictEqual(r.complete, false);
    assert.match(r.steps[0].error!, /read-only session refused the statement: cannot execute \w+ in a read-only transaction/);
    assert.match(r.errors.join('\n'), /step at 2 concurrent: statement error/);
    const c = await connect(db.url);
    assert.strictEqual((await c.query('SELECT count(*)::int AS n FROM probe_target')).rows[0].n, 0);
    await c.end();
    assert.strictEqual((await waitForNoSessions(db.admin, db.name, 1000)).sessions, 0);
  });

  it('a statement error ends the step with the server\'s message and a partial report', async () => {
    const r = await runPgProbe(base(db.url, { workload: { kind: 'sql', sql: 'SELECT 1/0', file: 'bad.sql' }, steps: [1, 2], stepDurationMs: 500 }));
    assert.strictEqual(r.complete, false);
    assert.strictEqual(r.steps.length, 1);
    assert.match(r.steps[0].error!, /statement error: division by zero \(SQLSTATE 22012\)/);
    assert.strictEqual(r.leftOpen, 0);
  });

  it('an unreachable server and a missing database end at once with a clear message', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const down = await runPgProbe(base(`postgresql://postgres:Pw-unreach-1@127.0.0.1:${port}/postgres`, {}));
    assert.ok(Date.now() - t0 < 6000);
    assert.strictEqual(down.complete, false);
    assert.match(down.errors[0], /cannot reach postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres: connection refused/);
    const missing = await runPgProbe(base(db.url.replace(db.name, 'no_such_db_pool_lint'), {}));
    assert.match(missing.errors[0], /database "no_such_db_pool_lint" does not exist/);
    assert.strictEqual(missing.steps.length, 0);
  });

  it('cancel closes every connection within a second, mid-statement', async () => {
    const ac = new AbortController();
    const running = runPgProbe(base(db.url, { limits: limits({ capacity: 4 }), workload: { kind: 'hold', holdMs: 3000 }, steps: [4], stepDurationMs: 20000, signal: ac.signal }));
    // wait until the probe's sessions are running their statements
    for (let i = 0; i < 100 && (await probeSessions(db.admin, db.name)) < 4; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok((await probeSessions(db.admin, db.name)) >= 4);
    const t0 = Date.now();
    ac.abort();
    const r = await running;
    const settled = Date.now() - t0;
    const gone = await waitForNoSessions(db.admin, db.name, 2000);
    console.log(`      cancel: probe returned after ${settled} ms; ${gone.sessions} probe sessions ${gone.afterMs} ms later`);
    assert.strictEqual(gone.sessions, 0);
    assert.ok(settled + gone.afterMs < 1500, `closed in ${settled + gone.afterMs} ms`);
    assert.strictEqual(r.complete, false);
    assert.strictEqual(r.steps[0].error, 'cancelled');
    assert.match(r.errors.join('\n'), /cancelled: every connection was closed/);
  });

  it('CLI: SIGTERM closes every connection and prints the partial report; the password appears in no output', async () => {
    const password = 'Term-Secret-4417';
    const url = withPassword(db.url, password); // trust auth accepts any password
    const child = spawn(process.execPath, [CLI, 'probe', '--url', url, '--workload', 'hold:3s', '--steps', '3', '--duration', '30s', '--no-confirm'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 200 && (await probeSessions(db.admin, db.name)) < 3; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok((await probeSessions(db.admin, db.name)) >= 3, `the CLI's sessions did not appear: ${stderr}`);
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    const exitedAfter = Date.now() - t0;
    const gone = await waitForNoSessions(db.admin, db.name, 2000);
    console.log(`      SIGTERM: CLI exited after ${exitedAfter} ms with ${code}; ${gone.sessions} probe sessions ${gone.afterMs} ms later`);
    assert.strictEqual(code, 143, stderr);
    assert.strictEqual(gone.sessions, 0);
    assert.ok(exitedAfter + gone.afterMs < 1500, `closed in ${exitedAfter + gone.afterMs} ms`);
    assert.match(stdout, /partial report/);
    assert.match(stderr, /SIGTERM: closing every connection/);
    assert.ok(!stdout.includes(password) && !stderr.includes(password));
  });

  it('CLI: a pool found in code is probed with its own limits (SQLAlchemy QueuePool text), in text, JSON and HTML without the password', () => {
    const password = 'Cli-Secret-9931';
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-probe-ws-'));
    try {
      fs.writeFileSync(path.join(dir, '.env'), `DATABASE_URL=${withPassword(db.url, password)}\n`);
      fs.writeFileSync(path.join(dir, 'app.py'), 'import os\nfrom sqlalchemy import create_engine\n\nengine = create_engine(os.environ["DATABASE_URL"], pool_size=2, max_overflow=1, pool_timeout=0.05)\n');
      const args = ['probe', '--pool', 'app.py:4', '--workload', 'hold:150ms', '--steps', '1,3,6', '--duration', '800ms', '--no-confirm'];
      const json = cli([...args, '--format', 'json'], dir);
      assert.strictEqual(json.code, 0, json.stderr);
      const j = JSON.parse(json.stdout);
      assert.deepStrictEqual([j.limits.library, j.limits.capacity, j.limits.acquireTimeoutMs], ['SQLAlchemy', 3, 50]);
      // timeouts exactly past the capacity the probe used (the server's spare slots may cap it: cappedBy says so)
      const used = j.limits.probeCapacity;
      assert.ok(used === 3 || j.limits.cappedBy, JSON.stringify(j.limits));
      assert.deepStrictEqual(j.steps.map((s: { acquireTimeouts: number }) => s.acquireTimeouts > 0), j.steps.map((s: { concurrency: number }) => s.concurrency > used), JSON.stringify(j.steps.map((s: { concurrency: number; acquireTimeouts: number; maxOpen: number }) => [s.concurrency, s.acquireTimeouts, s.maxOpen])));
      assert.strictEqual(j.steps[2].acquireTimeoutError, 'QueuePool limit of size 2 overflow 1 reached, connection timed out, timeout 0.05');
      assert.strictEqual(j.pool.file, 'app.py');
      const text = cli([...args, '--steps', '1,4'], dir);
      assert.strictEqual(text.code, 0, text.stderr);
      assert.match(text.stdout, /limits \(SQLAlchemy\): capacity 3 from pool_size 2 \(literal\) \+ max_overflow 1 \(literal\)/);
      assert.match(text.stdout, /throughput \(req\/s\) by concurrency/);
      const html = cli([...args, '--format', 'html', '--output', 'report.html'], dir);
      assert.strictEqual(html.code, 0, html.stderr);
      const page = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
      for (const out of [json.stdout, json.stderr, text.stdout, text.stderr, html.stdout, html.stderr, page]) assert.ok(!out.includes(password), 'password in output');
      assert.match(j.target.url, /postgres(ql)?:\/\/postgres:\*\*\*@127\.0\.0\.1/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('HTML report: self-contained (no script, no external reference), two charts with the capacity marked', async () => {
    const r = await runPgProbe(base(db.url, { steps: [1, 4, 8], stepDurationMs: 400 }));
    const page = toHtml(r);
    assert.strictEqual((page.match(/<svg /g) ?? []).length, 2);
    assert.match(page, /Throughput vs concurrency/);
    assert.match(page, /p99 latency vs concurrency/);
    assert.match(page, /capacity 4<\/text>/);
    assert.ok(!/<script|\bsrc=|\bhref=|@import|url\(/i.test(page), 'external reference or script in the report');
    assert.match(page, /Content-Security-Policy" content="default-src 'none'/);
    // the editor's webview: the style element is allowed by its nonce alone
    const view = toHtml(r, [], { nonce: 'bm9uY2U=' });
    assert.match(view, /content="default-src 'none'; style-src 'nonce-bm9uY2U='; img-src data:"/);
    assert.match(view, /<style nonce="bm9uY2U=">/);
    assert.ok(!view.includes('unsafe-inline'));
    assert.strictEqual(JSON.parse(toJson(r)).kind, 'postgresql');
  });
});

describe('probe: a server that restarts mid-run, and password authentication (a cluster of its own)', function () {
  this.timeout(180000);
  let cluster: TempCluster;
  before(async function () {
    this.timeout(120000);
    cluster = await TempCluster.create();
  });
  after(() => cluster?.destroy());

  it('a wrong password ends the run with a clear message that does not show it', async () => {
    const r = await runPgProbe(base(cluster.url('postgres', 'Wrong-Pw-5521'), {}));
    assert.strictEqual(r.complete, false);
    assert.match(r.errors[0], /password authentication failed for user "postgres"/);
    for (const out of [toText(r), toJson(r), toHtml(r)]) assert.ok(!out.includes('Wrong-Pw-5521') && !out.includes(cluster.password));
  });

  it('the editor\'s run: the CLI forked with progress over IPC, the password from the environment, the measured size as an edit, and Cancel', async function () {
    this.timeout(120000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-probe-editor-'));
    try {
      // the URL in the code has no password: the editor asks for it and passes it in the environment
      fs.writeFileSync(path.join(dir, '.env'), `DATABASE_URL=postgresql://postgres@127.0.0.1:${cluster.port}/postgres\n`);
      fs.writeFileSync(path.join(dir, 'poollint.config.json'), '{"expectedConcurrency": 6}\n');
      const source = 'import os\nfrom sqlalchemy import create_engine\n\nengine = create_engine(os.environ["DATABASE_URL"], pool_size=2, max_overflow=1, pool_timeout=0.01)\n';
      fs.writeFileSync(path.join(dir, 'app.py'), source);
      const args = ['--pool', 'app.py:4', '--root', dir, '--workload', 'hold:100ms', '--steps', '1,2,3', '--duration', '700ms'];
      const noPw = await runProbeProcess({ cli: CLI, cwd: dir, args });
      assert.strictEqual(noPw.code, 1, noPw.stderr);
      assert.ok(needsPassword(noPw), noPw.report?.errors.join('; '));
      const progress: number[] = [];
      const ok = await runProbeProcess({ cli: CLI, cwd: dir, args, password: cluster.password, onProgress: (p) => progress.push(p.fraction) });
      assert.strictEqual(ok.code, 0, `${ok.stderr} ${ok.report?.errors.join('; ')}`);
      assert.ok(progress.length > 3 && progress.some((f) => f > 0.5), `progress: ${progress.join(',')}`);
      assert.ok(!JSON.stringify(ok).includes(cluster.password));
      // 3 connections time out at 6 concurrent with a 10 ms acquire bound; the confirmation raises it
      const rec = ok.report!.recommendation!.capacity;
      assert.ok(rec > 3, `recommended ${rec}`);
      const fix = ok.report!.fix!;
      assert.strictEqual(fix.description, `Set pool_size to ${rec - 1} (capacity ${rec}, measured by the load probe)`);
      const e = fix.edits[0];
      assert.strictEqual(e.file, path.join(dir, 'app.py'));
      assert.strictEqual(source.slice(0, e.start) + e.newText + source.slice(e.end), source.replace('pool_size=2', `pool_size=${rec - 1}`));
      // Cancel from the notification: SIGTERM, a partial report, no session left
      let cancel!: () => void;
      const cancelled = new Promise<void>((r) => (cancel = r));
      const running = runProbeProcess({ cli: CLI, cwd: dir, args: ['--pool', 'app.py:4', '--root', dir, '--workload', 'hold:3s', '--steps', '3', '--duration', '30s', '--no-confirm', '--acquire-timeout', '30s'], password: cluster.password, cancelled });
      const admin = await connect(cluster.url());
      try {
        const count = async () => (await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pool-lint-probe'`)).rows[0].n as number;
        for (let i = 0; i < 200 && (await count()) < 3; i++) await new Promise((r) => setTimeout(r, 50));
        assert.ok((await count()) >= 3);
        const t0 = Date.now();
        cancel();
        const r = await running;
        let n = await count();
        while (n > 0 && Date.now() - t0 < 2000) n = await count();
        console.log(`      editor cancel: CLI exited ${Date.now() - t0} ms after Cancel with ${r.code}; ${n} probe sessions`);
        assert.strictEqual(r.code, 143);
        assert.strictEqual(r.report?.complete, false);
        assert.strictEqual(n, 0);
      } finally {
        await admin.end();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a restart mid-run ends the step with a message, returns a partial report, and leaves no session behind', async () => {
    const admin = await connect(cluster.url());
    let stopped = false;
    try {
      const t0 = Date.now();
      const running = runPgProbe(base(cluster.url(), { limits: limits({ capacity: 3 }), workload: { kind: 'hold', holdMs: 50 }, steps: [3, 3, 3, 3, 3, 3], stepDurationMs: 1000 }));
      for (let i = 0; i < 100; i++) {
        const n = (await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pool-lint-probe'`)).rows[0].n;
        if (n >= 3) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 1200));
      await admin.end();
      cluster.stop('fast');
      stopped = true;
      const r = await running;
      const took = Date.now() - t0;
      cluster.start();
      stopped = false;
      assert.strictEqual(r.complete, false);
      const failed = r.steps.find((s) => s.error);
      assert.ok(failed, JSON.stringify(r.steps.map((s) => s.error)));
      assert.match(failed!.error!, /server shut down or restarted|connection to .* was lost|cannot reach/);
      assert.ok(r.steps.filter((s) => !s.error).length >= 1, 'the steps before the restart are kept');
      assert.ok(took < 20000, `returned after ${took} ms`);
      // the server is back: the probe did not reconnect behind the report's back
      await new Promise((r) => setTimeout(r, 500));
      const after = await connect(cluster.url());
      const n = (await after.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pool-lint-probe'`)).rows[0].n;
      await after.end();
      console.log(`      restart: probe returned after ${took} ms with "${failed!.error}"; ${n} probe sessions after the restart`);
      assert.strictEqual(n, 0);
    } finally {
      if (stopped) cluster.start();
    }
  });
});

