// The SQLite probe: writer and reader worker threads (one better-sqlite3 connection each) on a copy
// of the database in a temporary folder (never the original), first with the settings found in the
// code, then with WAL + busy_timeout + one writer using BEGIN IMMEDIATE, so the "database is locked"
// rate of each shows.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { ProbeRefused } from './safety';
import { Samples, round } from './stats';

export interface SqliteConfig {
  label: string;
  /** Where each number came from, in words. */
  how: string;
  journalMode: string;
  busyTimeoutMs: number;
  writers: number;
  readers: number;
  /**
   * How each writer opens its read-then-write transaction. 'deferred' is a plain BEGIN, the default of
   * SQLite, its drivers and ORM sessions: the write lock is asked for at the first INSERT, inside a
   * transaction that has already read, and SQLite refuses it there at once (SQLITE_BUSY without waiting
   * for busy_timeout) whenever another connection holds it; in WAL a reader holds it too, for a moment,
   * when it re-reads a wal-index header it caught mid-update, so even a lone writer is refused now and
   * then. 'immediate' is BEGIN IMMEDIATE: the write lock is taken at BEGIN, before anything is read,
   * where busy_timeout does wait for it. A configuration found in code keeps the code's 'deferred'.
   */
  writerBegin: 'deferred' | 'immediate';
}

export interface SqliteRun extends SqliteConfig {
  writes: number;
  writeAttempts: number;
  reads: number;
  readAttempts: number;
  /** Write transactions that failed with SQLITE_BUSY ("database is locked"). */
  busy: number;
  readBusy: number;
  /** Write transactions failing with SQLITE_BUSY, per write transaction attempted. */
  busyRate: number;
  /** Reads failing with SQLITE_BUSY, per read attempted. */
  readBusyRate: number;
  writesPerSecond: number;
  readsPerSecond: number;
  writeLatencyMs: { p50: number | null; p95: number | null; p99: number | null };
  readLatencyMs: { p50: number | null; p95: number | null; p99: number | null };
  error?: string;
}

export interface SqliteProbeReport {
  version: 1;
  kind: 'sqlite';
  sqliteVersion: string;
  source: { kind: 'copy' | 'fresh'; original?: string };
  pool?: { id: string; file: string; line: number; profile: string; library: string };
  workload: string;
  /** Time each configuration ran (the --duration asked for). */
  runDurationMs: number;
  runs: SqliteRun[];
  /** The error text a busy failure carries, as the application logs it. */
  busyError?: string;
  verdict?: string;
  errors: string[];
  complete: boolean;
  startedAt: string;
  durationMs: number;
}

export interface SqliteProbeOptions {
  /** The database file to copy; undefined (or missing on disk) gives a fresh database. */
  database?: string;
  configs: SqliteConfig[];
  durationMs: number;
  /** Rows inserted per write transaction. */
  rowsPerWrite?: number;
  signal?: AbortSignal;
  onProgress?: (p: { fraction: number; message: string }) => void;
  pool?: SqliteProbeReport['pool'];
}

/** Files bigger than this are not copied (the probe would spend its time copying). */
export const MAX_COPY_BYTES = 2 * 1024 ** 3;

const WORKLOAD = (rows: number, configs: SqliteConfig[]) => {
  const labels = (begin: SqliteConfig['writerBegin']) => configs.filter((c) => c.writerBegin === begin).map((c) => `"${c.label}"`).join(' and ');
  const begins = [labels('deferred') && `BEGIN (deferred, as ORM sessions and drivers issue it) in ${labels('deferred')}`, labels('immediate') && `BEGIN IMMEDIATE in ${labels('immediate')}`].filter(Boolean).join(', ');
  return `writers run a read-then-write transaction: ${begins}; SELECT max(id); INSERT ${rows} rows; COMMIT; readers run SELECT by primary key, each worker thread on its own connection`;
};

// The worker's body: plain JavaScript run with eval in each thread, so it needs no build step.
// It takes everything from workerData and requires better-sqlite3 by the path the parent resolved.
function workerMain(): void {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { parentPort, workerData } = require('worker_threads');
  const d = workerData;
  const Database = require(d.modulePath);
  const out = { writes: 0, writeAttempts: 0, reads: 0, readAttempts: 0, busy: 0, readBusy: 0, errors: [] as string[], busyMessage: '', writeLat: [] as number[], readLat: [] as number[] };
  let db;
  try {
    db = new Database(d.file, { timeout: d.busyTimeoutMs, nativeBinding: d.nativeBinding });
  } catch (e) {
    out.errors.push(String((e as Error).message));
    parentPort.postMessage(out);
    return;
  }
  const isBusy = (e: { code?: string }) => typeof e.code === 'string' && (e.code.startsWith('SQLITE_BUSY') || e.code.startsWith('SQLITE_LOCKED'));
  const maxSamples = 200000;
  try {
    const readMax = db.prepare('SELECT max(id) AS m FROM pool_lint_probe');
    const insert = db.prepare('INSERT INTO pool_lint_probe (k, v) VALUES (?, ?)');
    const byKey = db.prepare('SELECT v FROM pool_lint_probe WHERE id = ?');
    while (Date.now() < d.startAt) {
      /* all workers start together */
    }
    const end = performance.now() + d.durationMs;
    let i = 0;
    while (performance.now() < end) {
      if (d.stop && Atomics.load(d.stop as Int32Array, 0) === 1) break;
      const t = performance.now();
      if (d.role === 'writer') {
        out.writeAttempts++;
        try {
          // BEGIN IMMEDIATE takes the write lock here, waiting up to busy_timeout for it; a deferred BEGIN
          // takes it at the INSERT below, where a lock held by another connection fails at once
          db.exec(d.writerBegin === 'immediate' ? 'BEGIN IMMEDIATE' : 'BEGIN');
          const m = readMax.get().m ?? 0;
          for (let r = 0; r < d.rowsPerWrite; r++) insert.run(m + r, 'x'.repeat(64));
          db.exec('COMMIT');
          out.writes++;
          if (out.writeLat.length < maxSamples) out.writeLat.push(performance.now() - t);
        } catch (e) {
          if (db.inTransaction) {
            try {
              db.exec('ROLLBACK');
            } catch {
              /* the rollback of a failed commit may itself be refused; the connection stays usable */
            }
          }
          if (isBusy(e as { code?: string })) {
            out.busy++;
            if (!out.busyMessage) out.busyMessage = `${(e as { code?: string }).code}: ${(e as Error).message}`;
          } else if (out.errors.length < 5) out.errors.push(String((e as Error).message));
        }
      } else {
        out.readAttempts++;
        try {
          byKey.get(1 + (i++ % 1000));
          out.reads++;
          if (out.readLat.length < maxSamples) out.readLat.push(performance.now() - t);
        } catch (e) {
          if (isBusy(e as { code?: string })) {
            out.readBusy++;
            if (!out.busyMessage) out.busyMessage = `${(e as { code?: string }).code}: ${(e as Error).message}`;
          } else if (out.errors.length < 5) out.errors.push(String((e as Error).message));
        }
      }
    }
  } catch (e) {
    out.errors.push(String((e as Error).message));
  } finally {
    db.close();
  }
  parentPort.postMessage(out);
}

interface WorkerOut {
  writes: number;
  writeAttempts: number;
  reads: number;
  readAttempts: number;
  busy: number;
  readBusy: number;
  errors: string[];
  busyMessage: string;
  writeLat: number[];
  readLat: number[];
}

/** better-sqlite3 as the probe loads it: the module's entry and, for the VSIX's copy, the addon's path. */
export interface SqliteModule {
  modulePath: string;
  nativeBinding?: string;
}

/** The copy of better-sqlite3 a VSIX carries beside the bundle (scripts/build.mjs writes it). */
export function bundledSqliteDir(): string {
  return path.join(__dirname, 'native', 'better-sqlite3');
}

let sqliteModuleCache: SqliteModule | undefined;

/** An installed better-sqlite3 (a checkout, an npm install), else the copy beside the bundle. */
export function sqliteModule(): SqliteModule {
  if (sqliteModuleCache) return sqliteModuleCache;
  try {
    sqliteModuleCache = { modulePath: require.resolve('better-sqlite3') };
  } catch {
    const dir = bundledSqliteDir();
    const addon = path.join(dir, 'build', 'Release', 'better_sqlite3.node');
    if (!fs.existsSync(path.join(dir, 'lib', 'index.js')) || !fs.existsSync(addon)) {
      throw new ProbeRefused('the SQLite probe needs the better-sqlite3 module, which this installation does not carry: run `npx pool-lint probe --sqlite` from a checkout or an npm install of pool-lint');
    }
    sqliteModuleCache = { modulePath: path.join(dir, 'lib', 'index.js'), nativeBinding: addon };
  }
  return sqliteModuleCache;
}

/** Opens a database with better-sqlite3; an addon built for another Node gets a message saying which. */
function openDatabase(file: string, options: { timeout: number }): { prepare(sql: string): { get(...a: unknown[]): any; run(...a: unknown[]): unknown }; pragma(s: string): unknown; exec(s: string): unknown; transaction(f: () => void): () => void; close(): void } {
  const m = sqliteModule();
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const Database = require(m.modulePath);
  try {
    return new Database(file, { ...options, nativeBinding: m.nativeBinding });
  } catch (e) {
    const msg = String((e as Error).message);
    if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version|invalid ELF header|wrong ELF class/.test(msg)) {
      throw new ProbeRefused(`the SQLite probe's better-sqlite3 addon does not load in this runtime (Node ${process.version}, ABI ${process.versions.modules}${process.versions.electron ? `, Electron ${process.versions.electron}` : ''}): ${msg.split('\n')[0]}`);
    }
    throw e;
  }
}

/** Copies the database (and its -wal file, which holds committed pages not yet checkpointed) byte for byte. */
function copyDatabase(original: string, dest: string): void {
  fs.copyFileSync(original, dest);
  for (const ext of ['-wal']) if (fs.existsSync(original + ext)) fs.copyFileSync(original + ext, dest + ext);
}

/** Prepares one configuration's copy: the probe's table, seed rows, the journal mode under test. */
function prepare(file: string, config: SqliteConfig): void {
  const db = openDatabase(file, { timeout: 5000 });
  try {
    db.pragma(`journal_mode = ${config.journalMode === 'wal' ? 'WAL' : config.journalMode.toUpperCase()}`);
    db.exec('CREATE TABLE IF NOT EXISTS pool_lint_probe (id INTEGER PRIMARY KEY, k INTEGER, v TEXT)');
    const n = db.prepare('SELECT count(*) AS n FROM pool_lint_probe').get().n as number;
    if (n < 1000) {
      const ins = db.prepare('INSERT INTO pool_lint_probe (k, v) VALUES (?, ?)');
      db.transaction(() => {
        for (let i = n; i < 1000; i++) ins.run(i, 'x'.repeat(64));
      })();
    }
  } finally {
    db.close();
  }
}

export function sqliteVersion(): string {
  const db = openDatabase(':memory:', { timeout: 0 });
  try {
    return db.prepare('SELECT sqlite_version() AS v').get().v as string;
  } finally {
    db.close();
  }
}

async function runConfig(file: string, config: SqliteConfig, opts: SqliteProbeOptions, stop: Int32Array): Promise<SqliteRun> {
  const startAt = Date.now() + 300;
  const roles = [...Array(config.writers).fill('writer'), ...Array(config.readers).fill('reader')] as ('writer' | 'reader')[];
  const code = `(${workerMain.toString()})()`;
  const results = await Promise.all(
    roles.map(
      (role) =>
        new Promise<WorkerOut>((resolve) => {
          const w = new Worker(code, {
            eval: true,
            workerData: { modulePath: sqliteModule().modulePath, nativeBinding: sqliteModule().nativeBinding, file, role, busyTimeoutMs: config.busyTimeoutMs, writerBegin: config.writerBegin, durationMs: opts.durationMs, startAt, rowsPerWrite: opts.rowsPerWrite ?? 10, stop },
          });
          let done = false;
          const fail = (msg: string) => {
            if (done) return;
            done = true;
            resolve({ writes: 0, writeAttempts: 0, reads: 0, readAttempts: 0, busy: 0, readBusy: 0, errors: [msg], busyMessage: '', writeLat: [], readLat: [] });
          };
          w.once('message', (m: WorkerOut) => {
            done = true;
            resolve(m);
          });
          w.once('error', (e) => fail(`worker: ${e.message}`));
          w.once('exit', (c) => fail(`worker exited with code ${c}`));
          // a worker stuck in a busy wait longer than the run plus its busy timeout is ended
          setTimeout(() => {
            if (!done) void w.terminate().then(() => fail('worker did not finish in time and was stopped'));
          }, opts.durationMs + config.busyTimeoutMs + 5000).unref();
        }),
    ),
  );
  const wl = new Samples();
  const rl = new Samples();
  const sum = (k: keyof Pick<WorkerOut, 'writes' | 'writeAttempts' | 'reads' | 'readAttempts' | 'busy' | 'readBusy'>) => results.reduce((n, r) => n + r[k], 0);
  for (const r of results) {
    for (const v of r.writeLat) wl.push(v);
    for (const v of r.readLat) rl.push(v);
  }
  const secs = opts.durationMs / 1000;
  const [w50, w95, w99] = wl.percentiles([50, 95, 99]);
  const [r50, r95, r99] = rl.percentiles([50, 95, 99]);
  const errors = [...new Set(results.flatMap((r) => r.errors))];
  const run: SqliteRun = {
    ...config,
    writes: sum('writes'),
    writeAttempts: sum('writeAttempts'),
    reads: sum('reads'),
    readAttempts: sum('readAttempts'),
    busy: sum('busy'),
    readBusy: sum('readBusy'),
    busyRate: sum('writeAttempts') ? sum('busy') / sum('writeAttempts') : 0,
    readBusyRate: sum('readAttempts') ? sum('readBusy') / sum('readAttempts') : 0,
    writesPerSecond: round(sum('writes') / secs, 1) ?? 0,
    readsPerSecond: round(sum('reads') / secs, 1) ?? 0,
    writeLatencyMs: { p50: round(w50, 3), p95: round(w95, 3), p99: round(w99, 3) },
    readLatencyMs: { p50: round(r50, 3), p95: round(r95, 3), p99: round(r99, 3) },
  };
  if (errors.length) run.error = errors.slice(0, 3).join('; ');
  (run as SqliteRun & { busyMessage?: string }).busyMessage = results.find((r) => r.busyMessage)?.busyMessage;
  return run;
}

/** Runs each configuration on its own copy, one after the other; the temporary folder is removed. */
export async function runSqliteProbe(opts: SqliteProbeOptions): Promise<SqliteProbeReport> {
  const t0 = Date.now();
  const report: SqliteProbeReport = {
    version: 1,
    kind: 'sqlite',
    sqliteVersion: sqliteVersion(),
    source: { kind: 'fresh' },
    pool: opts.pool,
    workload: WORKLOAD(opts.rowsPerWrite ?? 10, opts.configs),
    runDurationMs: opts.durationMs,
    runs: [],
    errors: [],
    complete: false,
    startedAt: new Date().toISOString(),
    durationMs: 0,
  };
  let original: string | undefined;
  if (opts.database) {
    if (fs.existsSync(opts.database)) {
      const st = fs.statSync(opts.database);
      if (!st.isFile()) report.errors.push(`${opts.database} is not a file; the probe used a fresh database`);
      else if (st.size > MAX_COPY_BYTES) report.errors.push(`${opts.database} is ${(st.size / 1024 ** 3).toFixed(1)} GiB; the probe copies at most 2 GiB and used a fresh database`);
      else original = opts.database;
    } else report.errors.push(`${opts.database} does not exist yet; the probe used a fresh database`);
  }
  if (original) report.source = { kind: 'copy', original };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-probe-'));
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const onAbort = () => Atomics.store(stop, 0, 1);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (let i = 0; i < opts.configs.length; i++) {
      if (opts.signal?.aborted) break;
      const c = opts.configs[i];
      opts.onProgress?.({ fraction: i / opts.configs.length, message: `${c.label} (${i + 1}/${opts.configs.length})` });
      const file = path.join(dir, `run-${i + 1}.sqlite`);
      try {
        if (original) copyDatabase(original, file);
        prepare(file, c);
      } catch (e) {
        report.errors.push(`${c.label}: cannot prepare the copy: ${(e as Error).message}`);
        break;
      }
      const run = await runConfig(file, c, opts, stop);
      const busyMessage = (run as SqliteRun & { busyMessage?: string }).busyMessage;
      delete (run as SqliteRun & { busyMessage?: string }).busyMessage;
      if (busyMessage && !report.busyError) report.busyError = busyMessage;
      report.runs.push(run);
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (opts.signal?.aborted) report.errors.push('cancelled');
  report.complete = !opts.signal?.aborted && report.runs.length === opts.configs.length && !report.runs.some((r) => r.error);
  // the last configuration is the recommended one; it is compared with each before it
  const last = report.runs[report.runs.length - 1];
  const others = report.runs.slice(0, -1);
  if (last && others.length && report.runs.length === opts.configs.length) {
    const pct = (x: SqliteRun) => `${(x.busyRate * 100).toFixed(1)}%`;
    const worse = others.filter((o) => o.busyRate > last.busyRate);
    report.verdict =
      `${last.label}: ${pct(last)} of write transactions failed with "database is locked" (${last.busy} of ${last.writeAttempts}), against ` +
      others.map((o) => `${pct(o)} (${o.busy} of ${o.writeAttempts}) with ${o.label}`).join(' and ') +
      `; ${last.writesPerSecond.toFixed(0)} writes/s committed against ${others.map((o) => o.writesPerSecond.toFixed(0)).join(' and ')}.` +
      (worse.length === others.length ? '' : ' Some configuration was not busier here: a short or lightly loaded run may not show contention; try a longer --duration.');
  }
  report.durationMs = Date.now() - t0;
  return report;
}

/**
 * The recommended setup beside a configuration found in code: WAL, a busy_timeout of at least 5 s, one
 * writer whose transactions start with BEGIN IMMEDIATE (with a deferred BEGIN even a lone writer in WAL
 * is refused now and then, at its first write after a read; see writerBegin).
 */
export function recommendedConfig(busyTimeoutMs: number, readers: number): SqliteConfig {
  const busy = Math.max(busyTimeoutMs, 5000);
  return { label: 'WAL + busy_timeout + 1 writer', how: `journal_mode=WAL, busy_timeout ${busy} ms, 1 writer whose transactions start with BEGIN IMMEDIATE, ${readers} readers: the recommended setup`, journalMode: 'wal', busyTimeoutMs: busy, writers: 1, readers, writerBegin: 'immediate' };
}

/** The three configurations a fresh database is probed with when no code tells any. */
export function freshConfigs(): SqliteConfig[] {
  return [
    { label: 'rollback journal, 2 writers', how: "journal_mode=delete (SQLite's default), busy_timeout 5000 ms (Python sqlite3's default timeout=5.0), 2 writers (seed 001's max_writers: 2), 4 readers", journalMode: 'delete', busyTimeoutMs: 5000, writers: 2, readers: 4, writerBegin: 'deferred' },
    { label: 'WAL, 2 writers', how: 'journal_mode=WAL, busy_timeout 5000 ms, 2 writers, 4 readers: WAL alone, as seed 001 configured it', journalMode: 'wal', busyTimeoutMs: 5000, writers: 2, readers: 4, writerBegin: 'deferred' },
    recommendedConfig(5000, 4),
  ];
}
