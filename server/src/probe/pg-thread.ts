// Load threads for the PostgreSQL probe (`threads` > 1): one event loop drives a few thousand
// requests a second, so a fast query measured from one thread measures the thread. Each thread
// owns a node-postgres pool with its share of the capacity and of the concurrency, and runs the
// same closed loop as the main thread; the main thread merges the samples. The thread's body is
// plain JavaScript run with eval (no build step), taking everything from workerData.
import { Worker } from 'worker_threads';

export interface ThreadPlan {
  pgPath: string;
  config: Record<string, unknown>;
  capacity: number;
  concurrency: number;
  durationMs: number;
  maxRequests: number;
  statementName: string;
  sql: string;
  params: unknown[];
  /** Count a bound-hit acquire as a timeout (false: the modelled pool waits forever). */
  bounded: boolean;
}

export interface ThreadResult {
  requests: number;
  lat: number[];
  wait: number[];
  hold: number[];
  acquireTimeouts: number;
  waitingAtEnd: number;
  maxOpen: number;
  pids: number[];
  errors: { message: string; code?: string }[];
  fatal?: { message: string; code?: string; statement: boolean };
  elapsedMs: number;
}

function threadMain(): void {
  const { parentPort, workerData } = require('worker_threads');
  const d = workerData as ThreadPlan;
  const { Pool } = require(d.pgPath);
  const out: ThreadResult = { requests: 0, lat: [], wait: [], hold: [], acquireTimeouts: 0, waitingAtEnd: 0, maxOpen: 0, pids: [], errors: [], elapsedMs: 0 };
  let stopping = false;
  const pool = new Pool({ ...d.config, max: d.capacity });
  pool.on('error', () => undefined);
  pool.on('connect', (c: { processID?: number; on(e: string, f: () => void): void }) => {
    c.on('error', () => undefined);
    if (c.processID) {
      out.pids.push(c.processID);
      parentPort.postMessage({ type: 'pid', pid: c.processID });
    }
  });
  const finish = () => {
    const ended = pool.end().catch(() => undefined);
    Promise.race([ended, new Promise((r) => setTimeout(r, 300))]).then(() => parentPort.postMessage({ type: 'result', result: out }));
  };
  parentPort.on('message', (m: { type: string }) => {
    if (m.type === 'stop') stopping = true;
    if (m.type !== 'go') return;
    const t0 = performance.now();
    const deadline = t0 + d.durationMs;
    const worker = async () => {
      while (!stopping && performance.now() < deadline && out.requests < d.maxRequests) {
        const a = performance.now();
        let client;
        try {
          client = await pool.connect();
        } catch (e) {
          if (stopping) break;
          const err = e as { message?: string; code?: string };
          if (/timeout exceeded when trying to connect|Connection terminated due to connection timeout/.test(err.message ?? '')) {
            if (d.bounded) out.acquireTimeouts++;
            else out.waitingAtEnd++;
            out.wait.push(performance.now() - a);
            continue;
          }
          if (out.errors.length < 5) out.errors.push({ message: String(err.message), code: err.code });
          if (err.code === '53300') {
            await new Promise((r) => setTimeout(r, 10));
            continue;
          }
          out.fatal = out.fatal ?? { message: String(err.message), code: err.code, statement: false };
          stopping = true;
          break;
        }
        const b = performance.now();
        if (pool.totalCount > out.maxOpen) out.maxOpen = pool.totalCount;
        if (b >= deadline || stopping) {
          client.release();
          break;
        }
        try {
          await client.query({ name: d.statementName, text: d.sql, values: d.params });
          const c = performance.now();
          client.release();
          out.requests++;
          out.lat.push(c - a);
          out.wait.push(b - a);
          out.hold.push(c - b);
        } catch (e) {
          const err = e as { message?: string; code?: string };
          const lost = !err.code || /^(57P0|08|E[A-Z]+$)/.test(err.code);
          client.release(lost ? e : undefined);
          if (stopping) break;
          if (lost && out.errors.length < 5) out.errors.push({ message: String(err.message), code: err.code });
          out.fatal = out.fatal ?? { message: String(err.message), code: err.code, statement: !lost };
          stopping = true;
          break;
        }
      }
    };
    Promise.all(Array.from({ length: d.concurrency }, worker)).then(() => {
      out.elapsedMs = performance.now() - t0;
      finish();
    });
  });
  // warm-up: the thread's connections are open before the clock starts (connecting may take its time)
  const got: { release(): void }[] = [];
  const modelled = pool.options.connectionTimeoutMillis;
  pool.options.connectionTimeoutMillis = Math.max(modelled || 0, 10000);
  Promise.all(Array.from({ length: Math.min(d.capacity, d.concurrency) }, () => pool.connect().then((c: { release(): void }) => got.push(c))))
    .then(
      () => {
        pool.options.connectionTimeoutMillis = modelled;
        parentPort.postMessage({ type: 'ready' });
      },
      (e: { message?: string; code?: string }) => {
        pool.options.connectionTimeoutMillis = modelled;
        out.fatal = { message: String(e.message), code: e.code, statement: false };
        parentPort.postMessage({ type: 'ready', failed: true });
      },
    )
    .finally(() => {
      pool.options.connectionTimeoutMillis = modelled;
      got.forEach((c) => c.release());
    });
}

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

/** Starts the threads, waits until every one has its connections, then starts them together. */
export function runThreads(plans: ThreadPlan[], onPid: (pid: number) => void): ThreadRun {
  const code = `(${threadMain.toString()})()`;
  const workers = plans.map((p) => new Worker(code, { eval: true, workerData: p }));
  let ready = 0;
  const done = Promise.all(
    workers.map(
      (w) =>
        new Promise<ThreadResult>((resolve) => {
          const empty: ThreadResult = { requests: 0, lat: [], wait: [], hold: [], acquireTimeouts: 0, waitingAtEnd: 0, maxOpen: 0, pids: [], errors: [], elapsedMs: 0 };
          w.on('message', (m: { type: string; pid?: number; result?: ThreadResult; failed?: boolean }) => {
            if (m.type === 'pid' && m.pid) onPid(m.pid);
            if (m.type === 'ready' && ++ready === workers.length) for (const x of workers) x.postMessage({ type: 'go' });
            if (m.type === 'result') {
              resolve(m.result!);
              void w.terminate();
            }
          });
          w.on('error', (e) => resolve({ ...empty, fatal: { message: e.message, statement: false } }));
          w.on('exit', () => resolve({ ...empty, fatal: { message: 'load thread ended', statement: false } }));
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
