// The PostgreSQL load probe: a node-postgres pool opened with the limits found in the code, driven
// at stepped concurrency by a closed loop of requests (acquire, run the workload, release), with
// every session read-only, named pool-lint-probe and bounded by statement_timeout. Nothing here
// knows about an editor; the CLI and the extension show its progress and its report.
import * as os from 'os';
import { performance } from 'perf_hooks';
import { Client, Pool, type ClientConfig, type PoolClient } from 'pg';
import { maskSecrets } from '../engine/urls';
import { checkPgTarget, ProbeRefused, type PgEndpoint } from './safety';
import { Samples, erlangCServers, littlesLaw, round } from './stats';
import type { PoolLimits } from './target';
import { runLoop, runThreads, shares, warmUp, type LoopPlan, type LoopResult, type RawError, type ThreadRun } from './pg-load';

export const APPLICATION_NAME = 'pool-lint-probe';

export type Workload = { kind: 'hold'; holdMs: number } | { kind: 'sql'; sql: string; file?: string };

export interface PgProbeOptions {
  /** The database URL, password included (never shown: every message masks it). */
  url: string;
  /** A password given apart from the URL (the editor's SecretStorage); wins over the URL's. */
  password?: string;
  limits: PoolLimits;
  workload: Workload;
  /** Concurrency steps; default 1, 2, 4, ... below the capacity, the capacity, 2x and 4x. */
  steps?: number[];
  stepDurationMs: number;
  /** Upper bound on requests in one step (the run stops the step there). */
  maxRequestsPerStep?: number;
  statementTimeoutMs?: number;
  expectedConcurrency: { value: number; how: string };
  /** Target arrival rate for the Little's law line, when the project states one. */
  peakRequestsPerSecond?: number;
  allowedHosts?: string[];
  /** Run a step at the expected concurrency with the recommended capacity to confirm it (default true). */
  confirm?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: ProbeProgress) => void;
  /** Which pool in the workspace this is, for the report. */
  pool?: { id: string; file: string; line: number; profile: string; library: string };
  /**
   * Load threads, each with its share of the pool and of the concurrency (default 1: one pool in
   * one event loop, exactly the modelled pool). More threads measure fast queries the one event
   * loop cannot drive; queueing for connections is then per thread.
   */
  threads?: number;
  /** Environment for PGHOST/PGPORT defaults (the process's by default). */
  env?: NodeJS.ProcessEnv;
}

export interface ProbeProgress {
  phase: 'connect' | 'step' | 'confirm' | 'close' | 'done';
  step?: number;
  steps?: number;
  concurrency?: number;
  /** 0..1 within the whole run. */
  fraction: number;
  message: string;
}

export interface StepResult {
  concurrency: number;
  /** Pool capacity during the step. */
  capacity: number;
  durationMs: number;
  requests: number;
  /** Completed requests per second. */
  throughput: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null; mean: number | null };
  acquireWaitMs: { p50: number | null; p99: number | null; max: number | null };
  /** Mean time a connection was held per request (the workload itself). */
  holdMs: number | null;
  acquireTimeouts: number;
  /** The library's own text for an acquire timeout, as the application would log it. */
  acquireTimeoutError?: string;
  /** Requests still waiting for a connection when the step ended (a pool without an acquire bound). */
  waitingAtEnd: number;
  serverErrors: { count: number; tooManyClients: number; samples: string[] };
  /** Most connections the pool had open at once. */
  maxOpen: number;
  error?: string;
}

export interface ServerFacts {
  version: string;
  versionNum: number;
  maxConnections: number;
  superuserReserved: number;
  /** PostgreSQL 16+ reserved_connections; null where the server has no such setting. */
  reserved: number | null;
  /** Client connections open by others when the probe started. */
  inUseByOthers: number;
  /** The most connections the probe lets itself open: max - reserved - in use - 2, less its control connection. */
  budget: number;
}

export interface Recommendation {
  capacity: number;
  reason: string;
  peakThroughput: number;
  expectedConcurrency: { value: number; how: string };
  littlesLaw: { lambdaPerSecond: number; holdMs: number; connections: number; text: string } | null;
  queueingModel: { servers: number; text: string } | null;
  notes: string[];
}

export interface PgProbeReport {
  version: 1;
  kind: 'postgresql';
  target: { url: string; host: string; port: number; database?: string; user?: string; allowedAs?: string };
  pool?: PgProbeOptions['pool'];
  limits: PoolLimits & { probeCapacity: number; cappedBy?: string };
  workload: { kind: 'hold' | 'sql'; description: string; holdMs?: number; file?: string };
  session: { applicationName: string; readOnly: true; statementTimeoutMs: number };
  server?: ServerFacts;
  steps: StepResult[];
  confirmation: StepResult[];
  recommendation?: Recommendation;
  /** The recommended capacity as an edit of the pool's code or .env (set by the CLI when the pool model is known). */
  fix?: { description: string; edits: { file: string; start: number; end: number; newText: string }[] };
  errors: string[];
  /** Probe sessions still open after the probe closed its pool (0 unless something went wrong). */
  leftOpen: number | null;
  complete: boolean;
  startedAt: string;
  durationMs: number;
}

/** What a probe report (PostgreSQL's or MySQL's) says before anything ran: the workload in words and the session's guards. */
export function newReport(opts: { pool?: PgProbeOptions['pool']; limits: PoolLimits; workload: Workload }, sleep: (seconds: number) => string, applicationName: string, statementTimeoutMs: number): Omit<PgProbeReport, 'kind' | 'server'> {
  return {
    version: 1,
    target: { url: '', host: '', port: 0 },
    pool: opts.pool,
    limits: { ...opts.limits, probeCapacity: opts.limits.capacity },
    workload:
      opts.workload.kind === 'hold'
        ? { kind: 'hold', holdMs: opts.workload.holdMs, description: `hold a connection ${opts.workload.holdMs} ms per request (${sleep(opts.workload.holdMs / 1000)})` }
        : { kind: 'sql', file: opts.workload.file, description: `the query in ${opts.workload.file ?? 'the selection'}` },
    session: { applicationName, readOnly: true, statementTimeoutMs },
    steps: [],
    confirmation: [],
    errors: [],
    leftOpen: null,
    complete: false,
    startedAt: new Date().toISOString(),
    durationMs: 0,
  };
}

/** Ends a report, whatever stopped the run: each error once, the run's duration, progress told it is done. */
export function finishReport<R extends Pick<PgProbeReport, 'errors' | 'durationMs' | 'complete'>>(report: R, started: number, onProgress?: (p: ProbeProgress) => void): R {
  report.errors = [...new Set(report.errors)];
  report.durationMs = Math.round(performance.now() - started);
  onProgress?.({ phase: 'done', fraction: 1, message: report.complete ? 'done' : 'stopped' });
  return report;
}

/** A step before it has run: no requests, no samples. */
export function emptyStep(concurrency: number, capacity: number): StepResult {
  return {
    concurrency,
    capacity,
    durationMs: 0,
    requests: 0,
    throughput: 0,
    latencyMs: { p50: null, p95: null, p99: null, mean: null },
    acquireWaitMs: { p50: null, p99: null, max: null },
    holdMs: null,
    acquireTimeouts: 0,
    waitingAtEnd: 0,
    serverErrors: { count: 0, tooManyClients: 0, samples: [] },
    maxOpen: 0,
  };
}

/**
 * A step's timing figures from what it measured (`res.requests` and `res.acquireTimeouts` already
 * counted): duration, throughput, latency, acquire-wait and hold figures, and the library's own
 * text for an acquire timeout when there was one.
 */
export function stepFigures(res: StepResult, elapsedMs: number, m: { lat: Samples; wait: Samples; hold: Samples }, timeoutError: string | null | undefined): void {
  res.durationMs = Math.round(elapsedMs);
  res.throughput = elapsedMs > 0 ? round(res.requests / (elapsedMs / 1000), 1) ?? 0 : 0;
  const [p50, p95, p99] = m.lat.percentiles([50, 95, 99]);
  res.latencyMs = { p50: round(p50, 3), p95: round(p95, 3), p99: round(p99, 3), mean: round(m.lat.mean(), 3) };
  const [w50, w99, wmax] = m.wait.percentiles([50, 99, 100]);
  res.acquireWaitMs = { p50: round(w50, 3), p99: round(w99, 3), max: round(wmax, 3) };
  res.holdMs = round(m.hold.mean(), 3);
  if (res.acquireTimeouts > 0 && timeoutError) res.acquireTimeoutError = timeoutError;
}

/** 1, 2, 4, ... below the capacity, then the capacity, 2x and 4x it. */
export function defaultSteps(capacity: number): number[] {
  const out: number[] = [];
  for (let c = 1; c < capacity; c *= 2) out.push(c);
  out.push(capacity, capacity * 2, capacity * 4);
  return [...new Set(out)];
}

// statements that change the session or the transaction mode; the probe runs queries only
const SESSION_SQL = /^\s*(set|reset|begin|start|commit|end|rollback|abort|savepoint|release|prepare|deallocate|discard|lock|listen|unlisten|notify|do|call|vacuum|analyze|checkpoint|copy|load)\b/i;
const GUC_CHANGE = /\b(set_config|default_transaction_read_only|transaction_read_only)\b/i;

export function checkUserSql(sql: string, where: string): string {
  const text = sql.replace(/--[^\n]*/g, '').trim().replace(/;\s*$/, '');
  if (!text) throw new ProbeRefused(`${where} holds no SQL`);
  if (SESSION_SQL.test(text)) throw new ProbeRefused(`${where}: the probe runs queries only; '${text.split(/\s/)[0]}' changes the session or transaction and is refused`);
  if (GUC_CHANGE.test(text)) throw new ProbeRefused(`${where}: SQL that changes settings (set_config, transaction_read_only) is refused; the probe's sessions stay read-only`);
  return text;
}

/** A message for a connection or query error: SQLSTATE meaning first, password masked. */
export function describePgError(e: unknown, ep?: Pick<PgEndpoint, 'host' | 'port' | 'database' | 'user' | 'display'>): string {
  const err = e as Error & { code?: string; severity?: string };
  const where = ep ? `${ep.display}` : 'the server';
  const msg = maskSecrets(err?.message ?? String(e));
  switch (err?.code) {
    case 'ECONNREFUSED':
      return `cannot reach ${where}: connection refused (is PostgreSQL running and listening on ${ep?.host}:${ep?.port}?)`;
    case 'ENOENT':
      return `cannot reach ${where}: no socket at ${ep?.host} (is PostgreSQL running?)`;
    case 'ETIMEDOUT':
      return `cannot reach ${where}: connection timed out`;
    case '28P01':
      return `password authentication failed for user "${ep?.user ?? ''}" at ${where} (set PGPASSWORD or put the password in the URL)`;
    case '28000':
      return `the server refused the login: ${msg}`;
    case '3D000':
      return `database "${ep?.database ?? ''}" does not exist at ${where}`;
    case '53300':
      return `too many clients: ${msg}`;
    case '57P01':
    case '57P02':
    case '57P03':
      return `the server shut down or restarted during the run: ${msg}`;
    case '25006':
      return `the read-only session refused the statement: ${msg}`;
    case '57014':
      return `statement_timeout cancelled the statement: ${msg}`;
  }
  if (/Connection terminated|ECONNRESET|EPIPE|socket hang up/i.test(msg)) return `the connection to ${where} was lost: ${msg}`;
  return err?.code ? `${msg} (SQLSTATE ${err.code})` : msg;
}


/** Runs the probe. Never throws for a server-side failure: the report carries the message. */
export async function runPgProbe(opts: PgProbeOptions): Promise<PgProbeReport> {
  const started = performance.now();
  const statementTimeoutMs = opts.statementTimeoutMs ?? (opts.workload.kind === 'hold' ? opts.workload.holdMs + 5000 : 5000);
  const report: PgProbeReport = { kind: 'postgresql', ...newReport(opts, (s) => `SELECT pg_sleep(${s})`, APPLICATION_NAME, statementTimeoutMs) };
  const finish = () => finishReport(report, started, opts.onProgress);
  // 1. the target: refused before any socket when it is not loopback or allowed
  const ep = await checkPgTarget(opts.url, opts.allowedHosts ?? [], opts.env);
  report.target = { url: ep.display, host: ep.host, port: ep.port, database: ep.database, user: ep.user, allowedAs: ep.allowedAs };
  let sql: string;
  if (opts.workload.kind === 'sql') sql = checkUserSql(opts.workload.sql, opts.workload.file ?? 'the SQL');
  else {
    if (!(opts.workload.holdMs >= 0) || opts.workload.holdMs > 60000) throw new ProbeRefused(`hold time must be 0-60000 ms, not ${opts.workload.holdMs}`);
    sql = 'SELECT pg_sleep($1)';
  }
  const params = opts.workload.kind === 'hold' ? [String(opts.workload.holdMs / 1000)] : [];

  const aborted = () => opts.signal?.aborted === true;
  const baseConfig = (extraOptions: string): ClientConfig => ({
    host: ep.host,
    port: ep.port,
    database: ep.database,
    user: ep.user,
    password: opts.password ?? ep.password,
    application_name: APPLICATION_NAME,
    // startup options: every session is read-only and bounded from its first statement on
    options: [ep.options, `-c default_transaction_read_only=on -c statement_timeout=${statementTimeoutMs}`, extraOptions].filter(Boolean).join(' '),
    connectionTimeoutMillis: 5000,
    keepAlive: true,
  });

  // 2. the control connection: server facts, the connection budget, and the clean-up at the end
  opts.onProgress?.({ phase: 'connect', fraction: 0, message: `connecting to ${ep.display}` });
  const control = new Client(baseConfig(''));
  control.on('error', (e) => report.errors.push(`control connection: ${describePgError(e, ep)}`));
  try {
    await control.connect();
  } catch (e) {
    report.errors.push(describePgError(e, ep));
    await Promise.race([control.end().catch(() => undefined), delay(500)]);
    destroy(control);
    report.leftOpen = 0; // nothing was opened
    return finish();
  }
  const pids = new Set<number>();
  const clients = new Set<PoolClient>();
  let pool: Pool | undefined;
  // cancel: every connection is closed at once, whatever the workers are doing
  const abortWait = new Promise<void>((resolve) => {
    if (aborted()) resolve();
    opts.signal?.addEventListener(
      'abort',
      () => {
        if (pool) void closePool(pool, clients, control, pids);
        resolve();
      },
      { once: true },
    );
  });
  try {
    const facts = await control.query(
      `SELECT current_setting('server_version') AS version, current_setting('server_version_num')::int AS num,
              current_setting('max_connections')::int AS max, current_setting('superuser_reserved_connections')::int AS su,
              current_setting('reserved_connections', true) AS reserved,
              (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()) AS others`,
    );
    const f = facts.rows[0];
    const reserved = f.reserved === null || f.reserved === undefined || f.reserved === '' ? null : Number(f.reserved);
    const budget = f.max - f.su - (reserved ?? 0) - f.others - 2 - 1;
    report.server = { version: f.version, versionNum: f.num, maxConnections: f.max, superuserReserved: f.su, reserved, inUseByOthers: f.others, budget };
    if (budget < 1) {
      report.errors.push(
        `the server has no connection to spare: max_connections ${f.max} - superuser_reserved_connections ${f.su}${reserved !== null ? ` - reserved_connections ${reserved}` : ''} - ${f.others} in use by others - 2 of headroom leaves ${budget + 1}, and the probe needs one for itself`,
      );
      return finish();
    }
    let capacity = opts.limits.capacity;
    if (capacity > budget) {
      report.limits.cappedBy = `the pool allows ${capacity} connections but the server can spare ${budget} (max_connections ${f.max} - ${f.su} superuser-reserved${reserved ? ` - ${reserved} reserved` : ''} - ${f.others} in use - 2 headroom - 1 for the probe's control connection); the probe uses ${budget}`;
      capacity = budget;
    }
    report.limits.probeCapacity = capacity;
    const steps = (opts.steps?.length ? opts.steps : defaultSteps(capacity)).filter((c) => Number.isInteger(c) && c > 0);
    const maxRequests = opts.maxRequestsPerStep ?? 200000;
    // PostgreSQL 14+: a backend notices a closed client socket during a long statement
    const checkInterval = f.num >= 140000 ? '-c client_connection_check_interval=100' : '';

    const totalSteps = steps.length + (opts.confirm === false ? 0 : 1);
    const openPool = (max: number) => {
      const p = new Pool({
        ...baseConfig(checkInterval),
        max,
        // the modelled acquire bound; a pool without one still must not outlive the step
        connectionTimeoutMillis: opts.limits.acquireTimeoutMs ?? opts.stepDurationMs + 2000,
        idleTimeoutMillis: 0,
        maxLifetimeSeconds: opts.limits.lifetimeS ?? 0,
      });
      p.on('connect', (c) => {
        const pc = c as PoolClient & { processID?: number };
        clients.add(pc);
        if (pc.processID) pids.add(pc.processID);
        c.on('error', () => undefined); // reported through the query that fails
      });
      p.on('remove', (c) => clients.delete(c as PoolClient));
      p.on('error', (e) => report.errors.push(`idle connection: ${describePgError(e, ep)}`));
      return p;
    };

    const loopPlan = (concurrency: number, share = 1): LoopPlan => ({
      concurrency,
      durationMs: opts.stepDurationMs,
      maxRequests: Math.ceil(maxRequests / share),
      statementName: opts.workload.kind === 'hold' ? 'pool_lint_hold' : 'pool_lint_sql',
      sql,
      params,
      bounded: opts.limits.acquireTimeoutMs !== null,
    });
    /** A step's figures from the loop's counts and samples (one loop, or the threads' merged). */
    const summarise = (res: StepResult, r: Omit<LoopResult, 'fatal'>, errors: RawError[]) => {
      res.requests = r.requests;
      res.acquireTimeouts = r.acquireTimeouts;
      res.waitingAtEnd = r.waitingAtEnd;
      res.maxOpen = r.maxOpen;
      res.serverErrors.count = r.errorCount;
      res.serverErrors.tooManyClients = r.tooManyClients;
      for (const e of errors) {
        const text = describePgError(e, ep);
        if (res.serverErrors.samples.length < 5 && !res.serverErrors.samples.includes(text)) res.serverErrors.samples.push(text);
      }
      stepFigures(res, r.elapsedMs, r, opts.limits.timeoutError);
    };
    const fatalText = (f: RawError & { statement: boolean }) => (f.statement ? `statement error: ${describePgError(f, ep)}` : describePgError(f, ep));
    const progressTick = (phase: 'step' | 'confirm', index: number, concurrency: number, cap: number, threads: number) => {
      const t0 = performance.now();
      return setInterval(() => {
        const frac = Math.min(1, (performance.now() - t0) / opts.stepDurationMs);
        opts.onProgress?.({ phase, step: index + 1, steps: totalSteps, concurrency, fraction: (index + frac) / totalSteps, message: `${phase === 'confirm' ? 'confirming' : 'step'} ${index + 1}/${totalSteps}: ${concurrency} concurrent, capacity ${cap}${threads > 1 ? `, ${threads} load threads` : ''}` });
      }, 200);
    };

    const runStep = async (p: Pool, concurrency: number, cap: number, index: number, phase: 'step' | 'confirm'): Promise<StepResult> => {
      const threads = loadThreads(opts.threads, concurrency, cap, opts.workload.kind);
      if (threads > 1) return runThreadedStep(concurrency, cap, index, phase, threads);
      const res = emptyStep(concurrency, cap);
      // warm-up: the pool opens its connections before the clock starts, as a running app has them
      try {
        await warmUp(p, Math.min(concurrency, cap));
      } catch (e) {
        res.error = describePgError(e, ep);
        return res;
      }
      const tick = progressTick(phase, index, concurrency, cap, 1);
      const run = runLoop(p, loopPlan(concurrency), aborted);
      // a watchdog: a server that stops answering must not hang the step past its bound
      const grace = Math.max(2000, statementTimeoutMs + 1000);
      let watchdog: NodeJS.Timeout | undefined;
      let hung = false;
      const guard = new Promise<void>((resolve) => {
        watchdog = setTimeout(() => {
          hung = true;
          resolve();
        }, opts.stepDurationMs + grace);
      });
      const outcome = await Promise.race([run.done, guard, abortWait]);
      run.stop(); // workers still queued for a connection leave when they wake
      clearTimeout(watchdog);
      clearInterval(tick);
      // cancelled or hung: what the loop counted so far, over the time it ran
      const r = outcome ?? run.current();
      summarise(res, r, r.errors);
      if (aborted()) res.error = 'cancelled';
      else if (r.fatal) res.error = fatalText(r.fatal);
      else if (hung) res.error = `the server stopped answering: requests were still running ${grace} ms after the step should have ended`;
      return res;
    };

    const runThreadedStep = async (concurrency: number, cap: number, index: number, phase: 'step' | 'confirm', n: number): Promise<StepResult> => {
      const res = emptyStep(concurrency, cap);
      const caps = shares(cap, n);
      const concs = shares(concurrency, n);
      const config = { ...baseConfig(checkInterval), connectionTimeoutMillis: opts.limits.acquireTimeoutMs ?? opts.stepDurationMs + 2000, idleTimeoutMillis: 0, maxLifetimeSeconds: opts.limits.lifetimeS ?? 0 };
      let run: ThreadRun;
      try {
        run = runThreads(
          caps.map((c, i) => ({ ...loopPlan(concs[i], n), config, capacity: c })),
          (pid) => pids.add(pid),
        );
      } catch (e) {
        res.error = `load threads could not start: ${(e as Error).message}`;
        return res;
      }
      const tick = progressTick(phase, index, concurrency, cap, n);
      const grace = Math.max(2000, statementTimeoutMs + 1000) + 10000; // the threads connect first
      let watchdog: NodeJS.Timeout | undefined;
      const guard = new Promise<'timeout'>((resolve) => (watchdog = setTimeout(() => resolve('timeout'), opts.stepDurationMs + grace)));
      const outcome = await Promise.race([run.done, guard, abortWait.then(() => 'aborted' as const)]);
      clearTimeout(watchdog);
      clearInterval(tick);
      if (outcome === 'timeout' || outcome === 'aborted') {
        run.stop();
        await run.kill();
        res.error = outcome === 'aborted' ? 'cancelled' : `the server stopped answering: requests were still running ${grace} ms after the step should have ended`;
        return res;
      }
      const merged = { requests: 0, lat: new Samples(), wait: new Samples(), hold: new Samples(), acquireTimeouts: 0, waitingAtEnd: 0, maxOpen: 0, errorCount: 0, tooManyClients: 0, errors: [] as RawError[], elapsedMs: 0 };
      for (const r of outcome) {
        merged.requests += r.requests;
        merged.acquireTimeouts += r.acquireTimeouts;
        merged.waitingAtEnd += r.waitingAtEnd;
        merged.maxOpen += r.maxOpen;
        merged.errorCount += r.errorCount;
        merged.tooManyClients += r.tooManyClients;
        merged.elapsedMs = Math.max(merged.elapsedMs, r.elapsedMs);
        merged.lat.pushAll(r.lat);
        merged.wait.pushAll(r.wait);
        merged.hold.pushAll(r.hold);
        merged.errors.push(...r.errors);
        if (r.fatal && !res.error) res.error = fatalText(r.fatal);
      }
      summarise(res, merged, merged.errors);
      return res;
    };

    // 3. the sweep over concurrency, with the pool at its configured capacity
    pool = openPool(capacity);
    for (let i = 0; i < steps.length && !aborted(); i++) {
      const step = await runStep(pool, steps[i], capacity, i, 'step');
      report.steps.push(step);
      if (step.error) break;
    }
    await closePool(pool, clients, control, pids);
    pool = undefined;
    const failed = report.steps.some((s) => s.error) || aborted();

    // 4. the recommendation, confirmed at the expected concurrency when the sweep went through
    if (!failed && report.steps.length) {
      const rec = recommend(report.steps, capacity, opts, report.server);
      if (opts.confirm !== false) {
        let k = rec.capacity;
        for (let attempt = 0; attempt < 3 && !aborted(); attempt++) {
          const p = openPool(k);
          pool = p;
          const step = await runStep(p, opts.expectedConcurrency.value, k, steps.length, 'confirm');
          await closePool(p, clients, control, pids);
          pool = undefined;
          report.confirmation.push(step);
          if (step.error || step.acquireTimeouts === 0) break;
          const next = Math.min(budget, opts.expectedConcurrency.value, Math.max(k + 1, Math.ceil(k * 1.5)));
          if (next <= k) {
            rec.notes.push(`acquire timeouts at ${opts.expectedConcurrency.value} concurrent even with ${k} connections, the most the server can spare; raise the acquire timeout or lower the concurrency`);
            break;
          }
          k = next;
        }
        const last = report.confirmation[report.confirmation.length - 1];
        if (last && !last.error) {
          if (last.acquireTimeouts === 0 && last.capacity !== rec.capacity) {
            rec.reason += `; at ${opts.expectedConcurrency.value} concurrent, ${rec.capacity} connection${rec.capacity === 1 ? '' : 's'} gave acquire timeouts, ${last.capacity} gave none`;
            rec.capacity = last.capacity;
          } else if (last.acquireTimeouts === 0) {
            rec.reason += `; confirmed at the expected concurrency ${opts.expectedConcurrency.value}: no acquire timeouts, acquire wait p99 ${last.acquireWaitMs.p99} ms`;
          }
        }
        if (last?.error) report.errors.push(`confirmation step: ${last.error}`);
      }
      report.recommendation = rec;
    }
    report.complete = !failed && !aborted() && !report.confirmation.some((s) => s.error);
    if (aborted()) report.errors.push('cancelled: every connection was closed');
    for (const s of report.steps) if (s.error && s.error !== 'cancelled') report.errors.push(`step at ${s.concurrency} concurrent: ${s.error}`);
  } catch (e) {
    if (e instanceof ProbeRefused) throw e;
    report.errors.push(describePgError(e, ep));
  } finally {
    opts.onProgress?.({ phase: 'close', fraction: 1, message: 'closing connections' });
    if (pool) await closePool(pool, clients, control, pids);
    report.leftOpen = await leftOpen(control, pids);
    await Promise.race([control.end().catch(() => undefined), delay(500)]);
    destroy(control);
  }
  return finish();
}

/**
 * Load threads for a step: as asked (never more than the concurrency or the capacity), else one,
 * except where one event loop would be what is measured: the SQL workload (fast queries), at 8 or
 * more concurrent requests, no more than the capacity (no request then waits for a connection, so
 * splitting the pool over threads changes nothing the step measures), on 2 or more cores: two
 * threads, up to half the cores (at most 4) on bigger machines, the rest left to the database.
 * bench:probe on 2 cores: 2 threads reached 1.04 / 0.97 of pgbench -S at 8 / 32 clients where one
 * reached 1.00 / 0.74 (medians of 5 rounds).
 */
export function loadThreads(requested: number | undefined, concurrency: number, capacity: number, workload: Workload['kind'] = 'hold', cpus = availableParallelism()): number {
  if (requested !== undefined) return Math.max(1, Math.min(requested, concurrency, capacity));
  if (workload !== 'sql' || concurrency < 8 || concurrency > capacity || cpus < 2) return 1;
  return Math.max(1, Math.min(4, Math.max(2, Math.floor(cpus / 2)), Math.floor(concurrency / 4)));
}

function availableParallelism(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

function delay(ms: number) {
  return new Promise<void>((r) => setTimeout(r, ms).unref());
}

function destroy(c: Client | PoolClient) {
  const stream = (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
  stream?.destroy();
}

/**
 * Closes every connection of the pool within a second: a graceful end first, then the sockets
 * are destroyed and the server is asked to terminate any backend of ours still running a statement.
 */
const closing = new WeakMap<Pool, Promise<void>>();

async function closePool(pool: Pool, clients: Set<PoolClient>, control: Client, pids: Set<number>): Promise<void> {
  let p = closing.get(pool);
  if (!p) {
    p = closePoolOnce(pool, clients, control, pids);
    closing.set(pool, p);
  }
  return p;
}

async function closePoolOnce(pool: Pool, clients: Set<PoolClient>, control: Client, pids: Set<number>): Promise<void> {
  const ended = pool.end().catch(() => undefined);
  // checked-out clients (a cancel mid-statement) do not end with the pool: end them directly
  for (const c of clients) (c as unknown as Client).end().catch(() => undefined);
  await Promise.race([ended, delay(300)]);
  for (const c of clients) destroy(c);
  clients.clear();
  if (pids.size) await Promise.race([control.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY($1::int[]) AND application_name = $2 AND pid <> pg_backend_pid()', [[...pids], APPLICATION_NAME]).catch(() => undefined), delay(400)]);
}

/**
 * Probe sessions still in pg_stat_activity. A backend whose client just closed stays listed while it
 * exits, so a non-zero count is read again for up to a second before it is reported.
 */
async function leftOpen(control: Client, pids: Set<number>): Promise<number | null> {
  try {
    let n: number | null = null;
    for (let attempt = 0; attempt < 10; attempt++) {
      const r = await Promise.race([
        control.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND pid = ANY($2::int[])`, [APPLICATION_NAME, [...pids]]),
        delay(500).then(() => undefined),
      ]);
      n = r ? (r.rows[0].n as number) : null;
      if (n === null || n === 0) return n;
      await delay(100);
    }
    return n;
  } catch {
    return null;
  }
}

/**
 * The smallest capacity reaching 95% of the peak throughput. A step at concurrency c with pool
 * capacity k keeps min(c, k) connections busy, so that is the capacity it measures.
 */
export function recommend(steps: StepResult[], capacity: number, opts: Pick<PgProbeOptions, 'expectedConcurrency' | 'peakRequestsPerSecond'>, server?: ServerFacts): Recommendation {
  const ok = steps.filter((s) => !s.error && s.requests > 0);
  const peak = Math.max(0, ...ok.map((s) => s.throughput));
  const notes: string[] = [];
  const candidates = ok.filter((s) => s.throughput >= 0.95 * peak && s.acquireTimeouts === 0).map((s) => ({ s, k: Math.min(s.concurrency, s.capacity) }));
  candidates.sort((a, b) => a.k - b.k);
  const best = candidates[0] ?? { s: ok.find((s) => s.throughput === peak)!, k: capacity };
  let reason = `${best.k} connection${best.k === 1 ? ' reaches' : 's reach'} ${Math.round((best.s.throughput / peak) * 100)}% of the peak ${peak} req/s (at ${best.s.concurrency} concurrent)`;
  // still rising at the capacity: the database might serve more with more connections
  const atCap = ok.filter((s) => s.concurrency <= capacity).sort((a, b) => b.concurrency - a.concurrency);
  if (best.k >= capacity && atCap.length >= 2) {
    const [top, below] = atCap;
    const gain = top.throughput / Math.max(1e-9, below.throughput);
    const ratio = top.concurrency / below.concurrency;
    if (ratio > 1 && gain > 1 + 0.5 * (ratio - 1)) notes.push(`throughput was still rising at the pool's capacity (${below.throughput} req/s at ${below.concurrency} → ${top.throughput} at ${top.concurrency}): the database may serve more with a larger pool; probe again with --capacity ${capacity * 2} to see where it flattens`);
  }
  const timeoutsFrom = steps.find((s) => s.acquireTimeouts > 0);
  if (timeoutsFrom) notes.push(`acquire timeouts start at ${timeoutsFrom.concurrency} concurrent with ${timeoutsFrom.capacity} connection${timeoutsFrom.capacity === 1 ? '' : 's'}`);
  const tooMany = steps.reduce((n, s) => n + s.serverErrors.tooManyClients, 0);
  if (tooMany) notes.push(`${tooMany} connection attempts failed with too many clients: other clients took the server's slots during the run`);
  const holdMs = best.s.holdMs ?? 0;
  const lambda = opts.peakRequestsPerSecond ?? best.s.throughput;
  const L = littlesLaw(lambda, holdMs);
  const littles = holdMs > 0
    ? { lambdaPerSecond: lambda, holdMs, connections: round(L, 1)!, text: `Little's law L = λ·W: ${round(lambda, 1)} req/s${opts.peakRequestsPerSecond ? ' (peakRequestsPerSecond)' : ' (measured)'} × ${round(holdMs, 2)} ms held = ${round(L, 1)} connection${round(L, 1) === 1 ? '' : 's'} busy on average` }
    : null;
  const servers = holdMs > 0 ? erlangCServers(L, 0.05) : null;
  const queueing = servers !== null
    ? { servers, text: `queueing-model estimate (M/M/c, Erlang C formula): ${servers} connections keep the chance a request waits at or below 5% for an offered load of ${round(L, 1)} erlangs; a model that assumes random arrivals and exponential hold times, not a measurement` }
    : null;
  if (server && best.k > server.budget) notes.push(`the server can spare only ${server.budget} connections for this pool`);
  return { capacity: best.k, reason, peakThroughput: peak, expectedConcurrency: opts.expectedConcurrency, littlesLaw: littles, queueingModel: queueing, notes };
}
