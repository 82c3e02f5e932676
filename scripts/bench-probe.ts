// npm run bench:probe: the probe's SQL workload against pgbench -S (select-only), same server,
// same client count, same duration, and the probe's transactions per second as a fraction of
// pgbench's at 1, 8 and 32 connections (target: >= 0.9 at 8). Figures only, no assertion. pgbench
// runs in its default simple protocol and with -M prepared (the probe prepares its statement once
// per connection), with -j as many threads as it has clients up to the CPU count.
// POOL_LINT_BENCH_PG (else POOL_LINT_TEST_PG, else postgres@127.0.0.1:5432) names the server;
// POOL_LINT_BENCH_SECONDS the duration of each run (default 3), POOL_LINT_BENCH_ROUNDS how many
// rounds per client count (default 5; the machine is shared, so each round's ratio is taken from
// runs back to back and the median is printed), POOL_LINT_BENCH_CLIENTS the client counts.
import { spawnSync } from 'child_process';
import * as os from 'os';
import { Client } from 'pg';
import { loadThreads, runPgProbe } from '../server/src/probe/pg';
import { defaultLimits } from '../server/src/probe/target';
import { maskUrl } from '../server/src/engine/urls';

const BASE = process.env.POOL_LINT_BENCH_PG ?? process.env.POOL_LINT_TEST_PG ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const SECONDS = Number(process.env.POOL_LINT_BENCH_SECONDS ?? 3);
const REPS = Number(process.env.POOL_LINT_BENCH_ROUNDS ?? 5);
const CLIENTS = (process.env.POOL_LINT_BENCH_CLIENTS ?? '1,8,32').split(',').map(Number);
// pgbench -S's statement, with the key fixed (the probe runs the user's SQL as written)
const SQL = 'SELECT abalance FROM pgbench_accounts WHERE aid = 4242';

function pgbench(args: string[], url: URL, db: string): string {
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(url.password) };
  const r = spawnSync('pgbench', ['-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username) || 'postgres', ...args, db], { encoding: 'utf8', env });
  if (r.error) throw new Error(`pgbench: ${r.error.message} (install postgresql-contrib / postgresql-client)`);
  if (r.status !== 0) throw new Error(`pgbench ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
}

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

async function main(): Promise<void> {
  const base = new URL(BASE);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(base.hostname)) throw new Error(`the benchmark runs on loopback only, not ${base.hostname}`);
  const db = `pool_lint_bench_${process.pid}`;
  const admin = new Client({ connectionString: BASE });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  const dbUrl = new URL(BASE);
  dbUrl.pathname = `/${db}`;
  try {
    pgbench(['-i', '-s', '1', '-q'], base, db);
    const cpus = os.cpus().length;
    console.log(`pool-lint bench:probe: ${maskUrl(dbUrl.toString())}, ${SECONDS} s per run, ${REPS} rounds, ${cpus} CPUs, load average at start ${load()}`);
    console.log(`pgbench -S -n -c C -j min(C, CPUs) -T ${SECONDS} (random aid; -M simple is pgbench's default, -M prepared is the protocol the probe uses) vs the probe's sql workload (${SQL}), default threads and one thread per pgbench thread`);
    console.log('each round runs pgbench (simple, prepared) and the probe back to back; the ratio is per round (the machine is shared), the table shows each round and the median');
    const rows: string[] = [];
    console.log('clients  round  pgbench simple  pgbench prepared  threads  probe tps  probe/simple  probe/prepared  probe p99   load avg (1 5 15 min)');
    for (const c of CLIENTS) {
      const jobs = Math.min(c, cpus);
      const ratios = new Map<number, { simple: number[]; prepared: number[] }>();
      for (let round = 1; round <= REPS; round++) {
        const simple = tpsOf(pgbench(['-S', '-n', '-M', 'simple', '-c', String(c), '-j', String(jobs), '-T', String(SECONDS)], base, db));
        const prepared = tpsOf(pgbench(['-S', '-n', '-M', 'prepared', '-c', String(c), '-j', String(jobs), '-T', String(SECONDS)], base, db));
        // the probe as it runs by default, and with as many load threads as pgbench has
        for (const threads of [undefined, jobs]) {
          const r = await runPgProbe({
            url: dbUrl.toString(),
            limits: { ...defaultLimits(), capacity: c, capacityHow: `${c} (bench)` },
            workload: { kind: 'sql', sql: SQL, file: 'bench' },
            steps: [c],
            stepDurationMs: SECONDS * 1000,
            maxRequestsPerStep: 50_000_000,
            expectedConcurrency: { value: c, how: 'bench' },
            confirm: false,
            threads,
          });
          if (!r.complete) throw new Error(`probe run at ${c} failed: ${r.errors.join('; ')}`);
          const s = r.steps[0];
          const used = loadThreads(threads, c, c, 'sql');
          const key = threads === undefined ? 0 : used;
          const entry = ratios.get(key) ?? { simple: [], prepared: [] };
          entry.simple.push(s.throughput / simple);
          entry.prepared.push(s.throughput / prepared);
          ratios.set(key, entry);
          console.log(`${String(c).padStart(7)}  ${String(round).padStart(5)}  ${simple.toFixed(0).padStart(14)}  ${prepared.toFixed(0).padStart(16)}  ${(threads === undefined ? `${used} (default)` : String(used)).padStart(7)}  ${s.throughput.toFixed(0).padStart(9)}  ${(s.throughput / simple).toFixed(2).padStart(12)}  ${(s.throughput / prepared).toFixed(2).padStart(14)}  ${String(s.latencyMs.p99).padStart(6)} ms  ${load()}`);
        }
      }
      for (const [key, e] of ratios) rows.push(`${String(c).padStart(7)}  ${(key === 0 ? `${loadThreads(undefined, c, c, 'sql')} (default)` : String(key)).padStart(12)}  ${median(e.simple).toFixed(2).padStart(19)}  ${median(e.prepared).toFixed(2).padStart(21)}`);
    }
    console.log(`\nmedian over ${REPS} rounds (target: probe/pgbench >= 0.9 at 8 clients)`);
    console.log('clients  threads       probe/pgbench simple  probe/pgbench prepared');
    for (const r of rows) console.log(r);
    console.log(`load average at end ${load()}`);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

function tpsOf(out: string): number {
  const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(out) ?? /tps = ([\d.]+)/.exec(out);
  return m ? Number(m[1]) : NaN;
}

main().catch((e) => {
  console.error(`bench:probe: ${maskUrl(String((e as Error).message))}`);
  process.exitCode = 1;
});
