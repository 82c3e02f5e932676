// npm run bench:probe: the probe's SQL workload against pgbench -S (select-only), same server,
// same client count, same duration, and the probe's transactions per second as a fraction of
// pgbench's at 1, 8 and 32 connections (target: >= 0.9 at 8). Figures only, no assertion.
// POOL_LINT_BENCH_PG (else POOL_LINT_TEST_PG, else postgres@127.0.0.1:5432) names the server;
// POOL_LINT_BENCH_SECONDS the duration of each run (default 10).
import { spawnSync } from 'child_process';
import * as os from 'os';
import { Client } from 'pg';
import { runPgProbe } from '../server/src/probe/pg';
import { defaultLimits } from '../server/src/probe/target';
import { maskUrl } from '../server/src/engine/urls';

const BASE = process.env.POOL_LINT_BENCH_PG ?? process.env.POOL_LINT_TEST_PG ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const SECONDS = Number(process.env.POOL_LINT_BENCH_SECONDS ?? 10);
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
    console.log(`pool-lint bench:probe: ${maskUrl(dbUrl.toString())}, ${SECONDS} s per run, ${cpus} CPUs, pgbench -S (simple protocol, random aid) vs the probe's sql workload (${SQL})`);
    console.log('clients  pgbench tps  threads  probe tps  probe/pgbench  probe p99');
    for (const c of CLIENTS) {
      const out = pgbench(['-S', '-n', '-c', String(c), '-j', String(Math.min(c, cpus)), '-T', String(SECONDS)], base, db);
      const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(out) ?? /tps = ([\d.]+)/.exec(out);
      const pgTps = m ? Number(m[1]) : NaN;
      // the probe as it runs by default (one pool in one event loop) and with as many load threads as pgbench has
      for (const threads of [...new Set([1, Math.min(c, cpus)])]) {
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
      console.log(`${String(c).padStart(7)}  ${pgTps.toFixed(0).padStart(11)}  ${String(threads).padStart(7)}  ${s.throughput.toFixed(0).padStart(9)}  ${(s.throughput / pgTps).toFixed(2).padStart(13)}  ${String(s.latencyMs.p99).padStart(7)} ms`);
      }
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

main().catch((e) => {
  console.error(`bench:probe: ${maskUrl(String((e as Error).message))}`);
  process.exitCode = 1;
});
