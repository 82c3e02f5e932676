// The PostgreSQL probe's closed loop: `concurrency` requests, each acquiring a connection from a
// node-postgres pool, running the workload once and releasing it, until the step's deadline. The
// same loop runs in the probe's own thread and in each load thread (this file is also the load
// thread's entry: dist/pg-load.js in the bundle, out/.../pg-load.js when compiled).
//
// Why it is written the way it is: the loop drives tens of thousands of requests a second, and
// the probe must measure the database, not itself. pg's own Query builds a Result with parsed rows,
// clones its config and re-serialises Bind/Describe/Execute/Sync for every call; here the workload
// is a pg "submittable" (the extension point pg-cursor uses) whose Bind/Execute/Sync bytes are
// serialised once per step with pg-protocol, rows are counted and not parsed into objects, and
// each request is a pair of callbacks (pool.connect, the query) with no promise in between.
// Latencies go into preallocated Float64Array buffers.
import * as path from 'path';
import { isMainThread, parentPort, workerData, Worker } from 'worker_threads';
import { performance } from 'perf_hooks';
import { serialize } from 'pg-protocol';
import type { Pool, PoolClient } from 'pg';
import { Samples } from './stats';

export interface LoopPlan {
  concurrency: number;
  durationMs: number;
  maxRequests: number;
  /** The prepared statement's name and text, and its parameters as text. */
  statementName: string;
  sql: string;
  params: string[];
  /** Count an acquire that hit the pool's bound as a timeout (false: the modelled pool waits forever). */
  bounded: boolean;
}

export interface RawError {
  message: string;
  code?: string;
}

export interface LoopResult {
  requests: number;
  lat: Samples;
  wait: Samples;
  hold: Samples;
  acquireTimeouts: number;
  waitingAtEnd: number;
  maxOpen: number;
  /** Server errors counted (connection attempts and lost connections), with the first few distinct ones. */
  errorCount: number;
  tooManyClients: number;
  errors: RawError[];
  /** What ended the step early: a lost server (statement false) or the workload's own error (statement true). */
  fatal?: RawError & { statement: boolean };
  elapsedMs: number;
}

const ACQUIRE_TIMEOUT = /timeout exceeded when trying to connect|Connection terminated due to connection timeout/;

interface ConnectionLike {
  stream: { write(b: Buffer): boolean };
  parsedStatements: Record<string, string>;
  sendCopyFail(msg: string): void;
}

/**
 * The workload as a pg submittable. pg calls submit() when the client is ready and then the
 * handle* methods for the messages of the reply; after an ErrorResponse pg drops the active query,
 * so the callback fires on the error itself, as pg's own Query does.
 */
class ProbeStatement {
  readonly name: string;
  readonly text: string;
  callback: ((err: (Error & { code?: string }) | null) => void) | null = null;
  private readonly exec: Buffer;
  private readonly parseAndExec: Buffer;
  constructor(name: string, text: string, params: string[]) {
    this.name = name;
    this.text = text;
    // no Describe: the probe reads no column, so the server need not describe the portal
    this.exec = Buffer.concat([serialize.bind({ statement: name, values: params }), serialize.execute({ portal: '', rows: 0 }), serialize.sync()]);
    this.parseAndExec = Buffer.concat([serialize.parse({ name, text, types: [] }), this.exec]);
  }
  submit(connection: ConnectionLike): null {
    connection.stream.write(connection.parsedStatements[this.name] === this.text ? this.exec : this.parseAndExec);
    return null;
  }
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(connection: ConnectionLike): void {
    connection.sendCopyFail('the probe sends no COPY data');
  }
  handleCopyData(): void {}
  handleError(err: Error & { code?: string }): void {
    const cb = this.callback;
    this.callback = null;
    cb?.(err);
  }
  handleReadyForQuery(): void {
    const cb = this.callback;
    this.callback = null;
    cb?.(null);
  }
}

export interface LoopRun {
  done: Promise<LoopResult>;
  /** The counts and samples so far (a cancelled or hung step reports these). */
  current(): LoopResult;
  /** Ends the loop: requests in flight finish, queued acquires leave when they wake. */
  stop(): void;
}

/**
 * Runs the closed loop on `pool` (already warmed up). `stopped` is read before each request (a
 * cancel); the loop also stops at the deadline, at maxRequests and on a fatal error.
 */
export function runLoop(pool: Pool, plan: LoopPlan, stopped: () => boolean = () => false): LoopRun {
  const estimate = Math.min(plan.maxRequests, 1 << 16);
  const res: LoopResult = {
    requests: 0,
    lat: new Samples(estimate),
    wait: new Samples(estimate),
    hold: new Samples(estimate),
    acquireTimeouts: 0,
    waitingAtEnd: 0,
    maxOpen: 0,
    errorCount: 0,
    tooManyClients: 0,
    errors: [],
    elapsedMs: 0,
  };
  let stopping = false;
  const t0 = performance.now();
  const deadline = t0 + plan.durationMs;
  let running = plan.concurrency;
  let resolveDone!: (r: LoopResult) => void;
  const done = new Promise<LoopResult>((r) => (resolveDone = r));
  const serverError = (e: RawError) => {
    res.errorCount++;
    if (e.code === '53300') res.tooManyClients++;
    if (res.errors.length < 5 && !res.errors.some((x) => x.message === e.message)) res.errors.push({ message: String(e.message), code: e.code });
  };
  const workerEnded = () => {
    if (--running === 0) {
      res.elapsedMs = performance.now() - t0;
      resolveDone(res);
    }
  };
  const worker = () => {
    const q = new ProbeStatement(plan.statementName, plan.sql, plan.params);
    let a = 0;
    let b = 0;
    let client: PoolClient | undefined;
    const next = () => {
      if (stopping || stopped() || res.requests >= plan.maxRequests) return workerEnded();
      a = performance.now();
      if (a >= deadline) return workerEnded();
      pool.connect(acquired);
    };
    const acquired = (err: (Error & { code?: string }) | undefined, c: PoolClient | undefined) => {
      if (err || !c) {
        if (stopping || stopped()) return workerEnded();
        const now = performance.now();
        const msg = err?.message ?? '';
        // a queue wait past the bound, or (node-postgres) a new connection past it
        if (ACQUIRE_TIMEOUT.test(msg)) {
          if (plan.bounded) res.acquireTimeouts++;
          else res.waitingAtEnd++; // the modelled pool waits forever; the probe stopped waiting at the step's end
          res.wait.push(now - a);
          return next();
        }
        serverError({ message: msg, code: err?.code });
        if (err?.code === '53300') {
          setTimeout(next, 10);
          return;
        }
        // unreachable now (restart, shutdown): the step ends here
        res.fatal ??= { message: msg, code: err?.code, statement: false };
        stopping = true;
        return workerEnded();
      }
      b = performance.now();
      const open = pool.totalCount;
      if (open > res.maxOpen) res.maxOpen = open;
      if (b >= deadline || stopping || stopped()) {
        c.release();
        return workerEnded();
      }
      client = c;
      q.callback = ran;
      c.query(q as never);
    };
    const ran = (err: (Error & { code?: string }) | null) => {
      const c = client!;
      client = undefined;
      if (!err) {
        const t = performance.now();
        c.release();
        res.requests++;
        res.lat.push(t - a);
        res.wait.push(b - a);
        res.hold.push(t - b);
        return next();
      }
      const lost = !err.code || /^(57P0|08|E[A-Z]+$)/.test(err.code);
      c.release(lost ? err : undefined);
      if (!stopped()) {
        if (lost) serverError({ message: String(err.message), code: err.code });
        res.fatal ??= { message: String(err.message), code: err.code, statement: !lost };
      }
      stopping = true;
      return workerEnded();
    };
    next();
  };
  for (let i = 0; i < plan.concurrency; i++) worker();
  if (plan.concurrency === 0) resolveDone(res);
  return {
    done,
    current: () => {
      if (running > 0) res.elapsedMs = performance.now() - t0;
      return res;
    },
    stop: () => {
      stopping = true;
    },
  };
}

// ---- load threads ----------------------------------------------------------------------------

export interface ThreadPlan extends LoopPlan {
  config: Record<string, unknown>;
  capacity: number;
}

/** What a load thread sends back: a loop's result with its samples as typed arrays, which cross threads without a copy loop. */
export type ThreadResult = Omit<LoopResult, 'lat' | 'wait' | 'hold'> & { lat: Float64Array; wait: Float64Array; hold: Float64Array };

const THREAD_TAG = 'pool-lint-pg-load';

/** Opens the connections a step needs before its clock starts (connecting is not what it measures). */
export async function warmUp(pool: Pool, n: number): Promise<void> {
  if (pool.totalCount >= n) return;
  const got: PoolClient[] = [];
  // pg-pool reads the option per connect: the warm-up may take its time whatever the modelled bound
  const opt = (pool as unknown as { options: { connectionTimeoutMillis?: number } }).options;
  const modelled = opt.connectionTimeoutMillis;
  opt.connectionTimeoutMillis = Math.max(modelled ?? 0, 10000);
  try {
    const results = await Promise.allSettled(Array.from({ length: n - pool.totalCount }, async () => got.push(await pool.connect())));
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) throw failed.reason;
  } finally {
    opt.connectionTimeoutMillis = modelled;
    for (const c of got) c.release();
  }
}

function threadMain(d: ThreadPlan): void {
  // required here, not at the top: the probe's own thread never loads pg through this file's entry
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { Pool: PgPool } = require('pg') as typeof import('pg');
  const port = parentPort!;
  const pool = new PgPool({ ...d.config, max: d.capacity });
  pool.on('error', () => undefined);
  pool.on('connect', (c) => {
    c.on('error', () => undefined);
    const pid = (c as unknown as { processID?: number }).processID;
    if (pid) port.postMessage({ type: 'pid', pid });
  });
  let run: LoopRun | undefined;
  let stopRequested = false;
  const send = (r: LoopResult | undefined, fatal?: ThreadResult['fatal']) => {
    const empty = new Float64Array(0);
    const out: ThreadResult = r
      ? { ...r, lat: r.lat.values(), wait: r.wait.values(), hold: r.hold.values() }
      : { requests: 0, lat: empty, wait: empty, hold: empty, acquireTimeouts: 0, waitingAtEnd: 0, maxOpen: 0, errorCount: 0, tooManyClients: 0, errors: [], elapsedMs: 0 };
    if (fatal) out.fatal = fatal;
    const ended = pool.end().catch(() => undefined);
    void Promise.race([ended, new Promise((r2) => setTimeout(r2, 300))]).then(() => port.postMessage({ type: 'result', result: out }, [out.lat.buffer, out.wait.buffer, out.hold.buffer].filter((b) => b.byteLength > 0) as ArrayBuffer[]));
  };
  port.on('message', (m: { type: string }) => {
    if (m.type === 'stop') {
      stopRequested = true;
      // stopped before the start (another thread could not connect): nothing ran
      if (!run) send(undefined);
      run?.stop();
    }
    if (m.type !== 'go') return;
    run = runLoop(pool, d, () => stopRequested);
    void run.done.then((r) => send(r));
  });
  warmUp(pool, Math.min(d.capacity, d.concurrency)).then(
    () => port.postMessage({ type: 'ready' }),
    (e: RawError) => {
      send(undefined, { message: String(e.message), code: e.code, statement: false });
    },
  );
}

if (!isMainThread && (workerData as { tag?: string } | undefined)?.tag === THREAD_TAG) threadMain(workerData as ThreadPlan);

/** Splits n into `parts` shares as even as possible, each at least 1 (parts <= n). */
export function shares(n: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}

export interface ThreadRun {
  /** Resolves with every thread's result (after the step, a stop, or a failure). */
  done: Promise<ThreadResult[]>;
  stop(): void;
  /** Ends the threads at once (their sockets close with them). */
  kill(): Promise<void>;
}

/** This file, as the load threads run it: beside the running bundle or module. */
export function threadEntry(): string {
  return path.join(__dirname, 'pg-load.js');
}

/** Starts the threads, waits until every one has its connections, then starts them together. */
export function runThreads(plans: ThreadPlan[], onPid: (pid: number) => void, entry = threadEntry()): ThreadRun {
  const workers = plans.map((p) => new Worker(entry, { workerData: { ...p, tag: THREAD_TAG } }));
  let ready = 0;
  let started = false;
  const empty = (): ThreadResult => ({ requests: 0, lat: new Float64Array(0), wait: new Float64Array(0), hold: new Float64Array(0), acquireTimeouts: 0, waitingAtEnd: 0, maxOpen: 0, errorCount: 0, tooManyClients: 0, errors: [], elapsedMs: 0 });
  const done = Promise.all(
    workers.map(
      (w) =>
        new Promise<ThreadResult>((resolve) => {
          w.on('message', (m: { type: string; pid?: number; result?: ThreadResult }) => {
            if (m.type === 'pid' && m.pid) onPid(m.pid);
            if (m.type === 'ready' && ++ready === workers.length) {
              started = true;
              for (const x of workers) x.postMessage({ type: 'go' });
            }
            if (m.type === 'result') {
              // a thread that ends before the start could not connect: the others stop too
              if (!started) for (const x of workers) if (x !== w) x.postMessage({ type: 'stop' });
              resolve(m.result!);
              void w.terminate();
            }
          });
          w.on('error', (e) => resolve({ ...empty(), fatal: { message: e.message, statement: false } }));
          w.on('exit', () => resolve({ ...empty(), fatal: { message: 'load thread ended', statement: false } }));
        }),
    ),
  );
  return {
    done,
    stop: () => workers.forEach((w) => w.postMessage({ type: 'stop' })),
    kill: async () => {
      await Promise.all(workers.map((w) => w.terminate().catch(() => undefined)));
    },
  };
}
