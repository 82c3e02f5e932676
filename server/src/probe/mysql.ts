// The MySQL / MariaDB load probe: a mysql2 pool with the limits found in the code, driven at
// stepped concurrency by the same closed loop of requests as the PostgreSQL probe (acquire, run the
// workload, release), with the same safety rules: every session read-only (SET SESSION
// TRANSACTION READ ONLY) and bounded (max_statement_time on MariaDB, max_execution_time on MySQL),
// named pool-lint-probe (connection attribute program_name), never more connections than
// max_connections - Threads_connected - 2, and cancel closes (and KILLs) every connection within a
// second. Nothing here knows about an editor.
import { performance } from 'perf_hooks';
import * as mysql from 'mysql2';
import { maskSecrets } from '../engine/urls';
import { checkUserSql, recommend, newReport, finishReport, emptyStep, stepFigures, type PgProbeReport, type ProbeProgress, type StepResult, type Workload } from './pg';
import { checkMysqlTarget, ProbeRefused, type MysqlEndpoint } from './safety';
import { Samples } from './stats';
import type { PoolLimits } from './target';

export const MYSQL_PROGRAM_NAME = 'pool-lint-probe';

export interface MysqlProbeOptions {
  url: string;
  password?: string;
  limits: PoolLimits;
  workload: Workload;
  steps?: number[];
  stepDurationMs: number;
  maxRequestsPerStep?: number;
  statementTimeoutMs?: number;
  expectedConcurrency: { value: number; how: string };
  peakRequestsPerSecond?: number;
  allowedHosts?: string[];
  confirm?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: ProbeProgress) => void;
  pool?: PgProbeReport['pool'];
}

export interface MysqlServerFacts {
  flavor: 'MariaDB' | 'MySQL';
  version: string;
  maxConnections: number;
  /** Threads_connected when the probe started, its control connection included. */
  threadsConnected: number;
  /** max_connections - Threads_connected - 2. */
  budget: number;
}

export interface MysqlProbeReport extends Omit<PgProbeReport, 'kind' | 'server' | 'session'> {
  kind: 'mysql';
  server?: MysqlServerFacts;
  session: { applicationName: string; readOnly: true; statementTimeoutMs: number; timeoutSetting?: string };
}

type MyError = Error & { code?: string; errno?: number; sqlState?: string; fatal?: boolean };

/** A message for a connection or query error, password masked. */
export function describeMysqlError(e: unknown, ep?: Pick<MysqlEndpoint, 'display' | 'host' | 'port' | 'user' | 'database'>): string {
  const err = e as MyError;
  const where = ep?.display ?? 'the server';
  const msg = maskSecrets(err?.message ?? String(e));
  switch (err?.code) {
    case 'ECONNREFUSED':
      return `cannot reach ${where}: connection refused (is MySQL/MariaDB running and listening on ${ep?.host}:${ep?.port}?)`;
    case 'ENOENT':
      return `cannot reach ${where}: no socket (is MySQL/MariaDB running?)`;
    case 'ETIMEDOUT':
      return `cannot reach ${where}: connection timed out`;
    case 'ER_ACCESS_DENIED_ERROR':
      return `password authentication failed for user "${ep?.user ?? ''}" at ${where}: ${msg}`;
    case 'ER_BAD_DB_ERROR':
      return `database "${ep?.database ?? ''}" does not exist at ${where}`;
    case 'ER_CON_COUNT_ERROR':
      return `too many clients: ${msg}`;
    case 'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION':
      return `the read-only session refused the statement: ${msg}`;
    case 'ER_STATEMENT_TIMEOUT':
    case 'ER_QUERY_TIMEOUT':
      return `the statement timeout cancelled the statement: ${msg}`;
    case 'PROTOCOL_CONNECTION_LOST':
    case 'ECONNRESET':
    case 'EPIPE':
      return `the connection to ${where} was lost: ${msg}`;
  }
  if (err?.errno === 1927 || err?.errno === 1053) return `the server shut down or restarted during the run: ${msg}`;
  return err?.code ? `${msg} (${err.code})` : msg;
}

// MySQL statements beyond the PostgreSQL list that change the session or the server
const MYSQL_SESSION_SQL = /^\s*(use|handler|flush|kill|reset|purge|install|uninstall|shutdown|rename|optimize|repair|xa)\b/i;
const MYSQL_VAR_CHANGE = /(@@|\b(transaction_read_only|tx_read_only|max_statement_time|max_execution_time)\b)/i;

export function checkMysqlSql(sql: string, where: string): string {
  const text = checkUserSql(sql.replace(/#[^\n]*/g, ''), where);
  if (MYSQL_SESSION_SQL.test(text)) throw new ProbeRefused(`${where}: the probe runs queries only; '${text.split(/\s/)[0]}' changes the session or the server and is refused`);
  if (MYSQL_VAR_CHANGE.test(text)) throw new ProbeRefused(`${where}: SQL that reads or changes session variables (@@, transaction_read_only, the statement timeouts) is refused; the probe's sessions stay read-only`);
  return text;
}

const LOST = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'ER_SERVER_SHUTDOWN', 'ER_CONNECTION_KILLED']);

function delay(ms: number) {
  return new Promise<void>((r) => setTimeout(r, ms).unref());
}

function q<T = unknown>(c: mysql.Connection | mysql.PoolConnection, sql: string, values: unknown[] = []): Promise<T> {
  return new Promise((resolve, reject) => c.query(sql, values, (err, rows) => (err ? reject(err) : resolve(rows as T))));
}

/** Runs the probe. Never throws for a server-side failure: the report carries the message. */
export async function runMysqlProbe(opts: MysqlProbeOptions): Promise<MysqlProbeReport> {
  const started = performance.now();
  const statementTimeoutMs = opts.statementTimeoutMs ?? (opts.workload.kind === 'hold' ? opts.workload.holdMs + 5000 : 5000);
  const report: MysqlProbeReport = { kind: 'mysql', ...newReport(opts, (s) => `SELECT SLEEP(${s})`, MYSQL_PROGRAM_NAME, statementTimeoutMs) };
  const finish = () => finishReport(report, started, opts.onProgress);
  // 1. the target: refused before any socket when it is not loopback or allowed
  const ep = await checkMysqlTarget(opts.url, opts.allowedHosts ?? []);
  report.target = { url: ep.display, host: ep.socketPath ?? ep.host, port: ep.port, database: ep.database, user: ep.user, allowedAs: ep.allowedAs };
  let sql: string;
  if (opts.workload.kind === 'sql') sql = checkMysqlSql(opts.workload.sql, opts.workload.file ?? 'the SQL');
  else {
    if (!(opts.workload.holdMs >= 0) || opts.workload.holdMs > 60000) throw new ProbeRefused(`hold time must be 0-60000 ms, not ${opts.workload.holdMs}`);
    sql = 'SELECT SLEEP(?)';
  }
  const params = opts.workload.kind === 'hold' ? [opts.workload.holdMs / 1000] : [];
  const aborted = () => opts.signal?.aborted === true;
  const base: mysql.ConnectionOptions = {
    host: ep.host,
    port: ep.port,
    socketPath: ep.socketPath,
    user: ep.user ?? 'root',
    password: opts.password ?? ep.password,
    database: ep.database,
    connectTimeout: 10000,
    connectAttributes: { program_name: MYSQL_PROGRAM_NAME },
    multipleStatements: false,
  };

  // 2. the control connection: server facts, the budget, and the clean-up at the end
  opts.onProgress?.({ phase: 'connect', fraction: 0, message: `connecting to ${ep.display}` });
  const control = mysql.createConnection(base);
  control.on('error', (e) => report.errors.push(`control connection: ${describeMysqlError(e, ep)}`));
  try {
    await new Promise<void>((resolve, reject) => control.connect((err) => (err ? reject(err) : resolve())));
  } catch (e) {
    report.errors.push(describeMysqlError(e, ep));
    control.destroy();
    report.leftOpen = 0;
    return finish();
  }
  const ids = new Set<number>();
  const conns = new Set<mysql.PoolConnection>();
  let pool: mysql.Pool | undefined;
  const abortWait = new Promise<void>((resolve) => {
    if (aborted()) resolve();
    opts.signal?.addEventListener(
      'abort',
      () => {
        if (pool) void closePool(pool, conns, control, ids);
        resolve();
      },
      { once: true },
    );
  });
  let timeoutSql = '';
  // MariaDB before 11.1 names it tx_read_only; MySQL 8 only transaction_read_only
  let readOnlyVar = 'transaction_read_only';
  try {
    const [facts] = await q<{ version: string; max: number }[]>(control, 'SELECT VERSION() AS version, @@max_connections AS max');
    const status = await q<{ Value: string }[]>(control, "SHOW GLOBAL STATUS LIKE 'Threads_connected'");
    const threads = Number(status[0]?.Value ?? 0);
    const flavor = /mariadb/i.test(facts.version) ? 'MariaDB' : 'MySQL';
    const budget = Number(facts.max) - threads - 2;
    report.server = { flavor, version: facts.version, maxConnections: Number(facts.max), threadsConnected: threads, budget };
    // MariaDB: max_statement_time in seconds, every statement; MySQL: max_execution_time in ms, SELECT only
    timeoutSql = flavor === 'MariaDB' ? `SET SESSION max_statement_time = ${(statementTimeoutMs / 1000).toFixed(3)}` : `SET SESSION max_execution_time = ${Math.round(statementTimeoutMs)}`;
    report.session.timeoutSetting = timeoutSql.replace('SET SESSION ', '');
    if (flavor === 'MariaDB') readOnlyVar = 'tx_read_only';
    if (budget < 1) {
      report.errors.push(`the server has no connection to spare: max_connections ${facts.max} - ${threads} connected (the probe's control connection included) - 2 of headroom leaves ${budget}`);
      return finish();
    }
    let capacity = opts.limits.capacity;
    if (capacity > budget) {
      report.limits.cappedBy = `the pool allows ${capacity} connections but the server can spare ${budget} (max_connections ${facts.max} - ${threads} Threads_connected - 2 headroom); the probe uses ${budget}`;
      capacity = budget;
    }
    report.limits.probeCapacity = capacity;
    const steps = (opts.steps?.length ? opts.steps : defaultStepsOf(capacity)).filter((c) => Number.isInteger(c) && c > 0);
    const maxRequests = opts.maxRequestsPerStep ?? 200000;
    const totalSteps = steps.length + (opts.confirm === false ? 0 : 1);

    const openPool = (max: number) => {
      const p = mysql.createPool({ ...base, connectionLimit: max, maxIdle: max, idleTimeout: 0, waitForConnections: opts.limits.acquireTimeoutMs !== 0, queueLimit: 0 });
      p.on('connection', (c) => {
        conns.add(c);
        if (c.threadId) ids.add(c.threadId);
        c.on('error', () => undefined);
        // read-only and bounded from its first statement on: mysql2 runs a connection's commands
        // in order, and a session whose settings fail is destroyed before anything else runs
        const bad = () => c.destroy();
        c.query('SET SESSION TRANSACTION READ ONLY', (err) => err && bad());
        c.query(timeoutSql, (err) => err && bad());
      });
      p.on('release', () => undefined);
      return p;
    };

    const runStep = async (p: mysql.Pool, concurrency: number, cap: number, index: number, phase: 'step' | 'confirm'): Promise<StepResult> => {
      const res = emptyStep(concurrency, cap);
      // warm-up: the connections are open (and their sessions set) before the clock starts
      const warm: mysql.PoolConnection[] = [];
      try {
        for (const c of await Promise.all(Array.from({ length: Math.min(concurrency, cap) }, () => new Promise<mysql.PoolConnection>((resolve, reject) => p.getConnection((err, c) => (err ? reject(err) : resolve(c)))))))
          warm.push(c);
        // every session is read-only before the first request (checked, not assumed)
        for (const c of warm) {
          const [ro] = await q<{ ro: number }[]>(c, `SELECT @@SESSION.${readOnlyVar} AS ro`);
          if (Number(ro.ro) !== 1) throw new ProbeRefused('a probe session did not become read-only; the probe stops');
        }
      } catch (e) {
        for (const c of warm) c.release();
        if (e instanceof ProbeRefused) throw e;
        res.error = describeMysqlError(e, ep);
        return res;
      } finally {
        for (const c of warm) c.release();
      }
      const lat = new Samples();
      const wait = new Samples();
      const hold = new Samples();
      let stopping = false;
      let fatal: string | undefined;
      const t0 = performance.now();
      const deadline = t0 + opts.stepDurationMs;
      const bound = opts.limits.acquireTimeoutMs;
      const tick = setInterval(() => {
        const frac = Math.min(1, (performance.now() - t0) / opts.stepDurationMs);
        opts.onProgress?.({ phase, step: index + 1, steps: totalSteps, concurrency, fraction: (index + frac) / totalSteps, message: `${phase === 'confirm' ? 'confirming' : 'step'} ${index + 1}/${totalSteps}: ${concurrency} concurrent, capacity ${cap}` });
      }, 200);
      const serverError = (e: unknown) => {
        const text = describeMysqlError(e, ep);
        res.serverErrors.count++;
        if ((e as MyError).code === 'ER_CON_COUNT_ERROR') res.serverErrors.tooManyClients++;
        if (res.serverErrors.samples.length < 5 && !res.serverErrors.samples.includes(text)) res.serverErrors.samples.push(text);
        return text;
      };
      /**
       * A connection, or 'timeout' past the modelled bound (mysql2 itself waits forever). A timed-out
       * request's place stays in mysql2's queue (it has no way to leave it); when its turn comes the
       * connection is handed straight back, so a step past the capacity with a short bound carries
       * a little extra handing-over that SQLAlchemy's QueuePool, which drops the waiter, does not.
       */
      const acquire = () =>
        new Promise<mysql.PoolConnection | 'timeout' | MyError>((resolve) => {
          let settled = false;
          const timer = bound !== null && bound > 0 ? setTimeout(() => ((settled = true), resolve('timeout')), bound) : undefined;
          p.getConnection((err, c) => {
            if (settled) {
              c?.release();
              return;
            }
            settled = true;
            if (timer) clearTimeout(timer);
            if (err) resolve((err as MyError).message === 'No connections available.' ? 'timeout' : (err as MyError));
            else resolve(c);
          });
        });
      const worker = async () => {
        while (!stopping && !aborted() && performance.now() < deadline && res.requests < maxRequests) {
          const a = performance.now();
          const got = await acquire();
          const b = performance.now();
          if (got === 'timeout') {
            res.acquireTimeouts++;
            wait.push(b - a);
            // mysql2 with waitForConnections false answers at once: let the others run
            if (bound === 0) await new Promise((r) => setImmediate(r));
            continue;
          }
          if (got instanceof Error) {
            if (stopping || aborted()) break;
            const text = serverError(got);
            if (got.code === 'ER_CON_COUNT_ERROR') {
              await delay(10);
              continue;
            }
            fatal ??= text;
            stopping = true;
            break;
          }
          const c = got;
          res.maxOpen = Math.max(res.maxOpen, (p as unknown as { _allConnections?: { length: number } })._allConnections?.length ?? 0);
          if (b >= deadline || stopping || aborted()) {
            // waited past the step's end: an unbounded pool's request still queued
            if (b >= deadline && bound === null && b - a > 1) res.waitingAtEnd++;
            c.release();
            break;
          }
          try {
            await new Promise<void>((resolve, reject) => c.execute(sql, params, (err) => (err ? reject(err) : resolve())));
            const t = performance.now();
            c.release();
            res.requests++;
            lat.push(t - a);
            wait.push(b - a);
            hold.push(t - b);
          } catch (e) {
            const err = e as MyError;
            const lost = err.fatal === true || LOST.has(err.code ?? '');
            if (lost) c.destroy();
            else c.release();
            if (aborted()) break;
            if (lost) fatal ??= serverError(err);
            else fatal ??= `statement error: ${describeMysqlError(err, ep)}`;
            stopping = true;
            break;
          }
        }
      };
      const grace = Math.max(2000, statementTimeoutMs + 1000);
      let watchdog: NodeJS.Timeout | undefined;
      const guard = new Promise<void>((resolve) => {
        watchdog = setTimeout(() => {
          fatal ??= `the server stopped answering: requests were still running ${grace} ms after the step should have ended`;
          stopping = true;
          resolve();
        }, opts.stepDurationMs + grace);
      });
      await Promise.race([Promise.all(Array.from({ length: concurrency }, worker)), guard, abortWait]);
      stopping = true;
      clearTimeout(watchdog);
      clearInterval(tick);
      stepFigures(res, performance.now() - t0, { lat, wait, hold }, opts.limits.timeoutError);
      if (aborted()) res.error = 'cancelled';
      else if (fatal) res.error = fatal;
      return res;
    };

    // 3. the sweep, with the pool at its configured capacity
    pool = openPool(capacity);
    for (let i = 0; i < steps.length && !aborted(); i++) {
      const step = await runStep(pool, steps[i], capacity, i, 'step');
      report.steps.push(step);
      if (step.error) break;
    }
    await closePool(pool, conns, control, ids);
    pool = undefined;
    const failed = report.steps.some((s) => s.error) || aborted();

    // 4. the recommendation, confirmed at the expected concurrency
    if (!failed && report.steps.length) {
      const rec = recommend(report.steps, capacity, opts);
      if (opts.confirm !== false && !aborted()) {
        const p = openPool(rec.capacity);
        pool = p;
        const step = await runStep(p, opts.expectedConcurrency.value, rec.capacity, steps.length, 'confirm');
        await closePool(p, conns, control, ids);
        pool = undefined;
        report.confirmation.push(step);
        if (step.error) report.errors.push(`confirmation step: ${step.error}`);
        else if (step.acquireTimeouts === 0) rec.reason += `; confirmed at the expected concurrency ${opts.expectedConcurrency.value}: no acquire timeouts, acquire wait p99 ${step.acquireWaitMs.p99} ms`;
        else rec.notes.push(`at the expected concurrency ${opts.expectedConcurrency.value}, ${rec.capacity} connections gave ${step.acquireTimeouts} acquire timeouts`);
      }
      if (report.server && rec.capacity > report.server.budget) rec.notes.push(`the server can spare only ${report.server.budget} connections for this pool`);
      report.recommendation = rec;
    }
    report.complete = !failed && !aborted() && !report.confirmation.some((s) => s.error);
    if (aborted()) report.errors.push('cancelled: every connection was closed');
    for (const s of report.steps) if (s.error && s.error !== 'cancelled') report.errors.push(`step at ${s.concurrency} concurrent: ${s.error}`);
  } catch (e) {
    if (e instanceof ProbeRefused) {
      if (pool) await closePool(pool, conns, control, ids);
      control.destroy();
      throw e;
    }
    report.errors.push(describeMysqlError(e, ep));
  } finally {
    opts.onProgress?.({ phase: 'close', fraction: 1, message: 'closing connections' });
    if (pool) await closePool(pool, conns, control, ids);
    report.leftOpen = await leftOpen(control, ids);
    await Promise.race([new Promise<void>((r) => control.end(() => r())), delay(500)]);
    control.destroy();
  }
  return finish();
}

function defaultStepsOf(capacity: number): number[] {
  const out: number[] = [];
  for (let c = 1; c < capacity; c *= 2) out.push(c);
  out.push(capacity, capacity * 2, capacity * 4);
  return [...new Set(out)];
}

const closing = new WeakMap<mysql.Pool, Promise<void>>();

/** Closes every connection within a second: the pool's end, then sockets destroyed and any thread of ours still listed KILLed. */
function closePool(pool: mysql.Pool, conns: Set<mysql.PoolConnection>, control: mysql.Connection, ids: Set<number>): Promise<void> {
  let p = closing.get(pool);
  if (!p) {
    p = (async () => {
      const ended = new Promise<void>((r) => pool.end(() => r()));
      await Promise.race([ended, delay(300)]);
      for (const c of conns) c.destroy();
      conns.clear();
      if (ids.size) {
        const listed = await Promise.race([q<{ ID: number }[]>(control, 'SELECT ID FROM information_schema.PROCESSLIST WHERE ID IN (?)', [[...ids]]).catch(() => []), delay(300).then(() => [])]);
        for (const r of listed) await Promise.race([q(control, `KILL ${Number(r.ID)}`).catch(() => undefined), delay(200)]);
      }
    })();
    closing.set(pool, p);
  }
  return p;
}

/** Probe threads still in the process list (read again for up to a second while a closed one exits). */
async function leftOpen(control: mysql.Connection, ids: Set<number>): Promise<number | null> {
  if (ids.size === 0) return 0;
  try {
    let n: number | null = null;
    for (let attempt = 0; attempt < 10; attempt++) {
      const r = await Promise.race([q<{ n: number }[]>(control, 'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID IN (?)', [[...ids]]), delay(500).then(() => undefined)]);
      n = r ? Number(r[0].n) : null;
      if (n === null || n === 0) return n;
      await delay(100);
    }
    return n;
  } catch {
    return null;
  }
}
