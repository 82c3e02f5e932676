// `pool-lint probe`: measures a pool found in the code (or a URL) against the real database.
// Exit status: 0 a complete report; 1 a partial report (a step failed, cancelled); 2 usage error or
// a refused target.
import * as fs from 'fs';
import * as path from 'path';
import { check } from '../engine';
import { expectedConcurrency } from '../engine/config';
import { maskSecrets } from '../engine/urls';
import type { PoolModel, ProfileModel } from '../engine/model';
import { runPgProbe, type ProbeProgress, type Workload } from './pg';
import { toHtml, toJson, toText, redact, type ProbeReport } from './render';
import { ProbeRefused } from './safety';
import { freshConfigs, recommendedConfig, runSqliteProbe, type SqliteConfig } from './sqlite';
import { parseDuration } from './stats';
import { runMysqlProbe } from './mysql';
import { defaultLimits, mysqlDefaultLimits, findPool, limitsOf, rawUrl, sqliteSettingsOf, type PoolLimits } from './target';
import { FixBuilder } from '../engine/fixes';
import { capacity } from '../../../rules/util';
import type { PgProbeReport } from './pg';

export const PROBE_USAGE = `Usage: pool-lint probe [--pool FILE:LINE | --url URL | --sqlite] [options]

Drives the database through a pool with the settings found in the code, at rising concurrency, and
reports throughput, latency, acquire waits and timeouts per step, and the smallest pool size that
holds the expected concurrency. Only loopback hosts and Unix sockets are probed unless allowed;
every session is read-only (PostgreSQL default_transaction_read_only=on, MySQL SET SESSION TRANSACTION
READ ONLY), bounded by a statement timeout and named pool-lint-probe.

Target (one of):
  --pool FILE:LINE           the pool constructed at that line (PostgreSQL, MySQL/MariaDB or SQLite)
  --url URL                  a PostgreSQL URL, with node-postgres's defaults (10 connections), or a
                             mysql:// / mariadb:// URL, with mysql2's (10 connections)
  --sqlite                   SQLite on a fresh temporary database: rollback journal vs WAL,
                             two writers vs one (no server needed)
  --sqlite-file FILE         SQLite on a copy of FILE (the original is never opened)

Options:
  --workload hold:5ms|sql:FILE   hold a connection N ms per request (default hold:5ms), or run
                                 the read-only query in FILE
  --steps 1,2,4,...          concurrency steps (default 1, 2, 4, ... up to 4x the capacity)
  --duration 5s              time per step (PostgreSQL, default 5s) or per configuration
                             (SQLite, default 3s)
  --format text|json|html    output format (default text); html is one self-contained page
  --output FILE              write the report to FILE instead of standard output
  --profile NAME             the profile whose settings and URL are used (default: the first)
  --root DIR                 workspace root (default: the current folder)
  --capacity N               probe with N connections instead of the pool's capacity
  --acquire-timeout 30s      override the pool's acquire timeout
  --expected-concurrency N   requests in flight to confirm the recommendation at
                             (default: the project's expectedConcurrency, else 50)
  --statement-timeout 5s     statement_timeout of every probe session
  --max-requests N           upper bound on requests per step (default 200000)
  --threads N                load threads, each with its share of the pool (default 1: one pool,
                             as the application has it; for --workload sql at 8+ concurrent
                             requests within the capacity: 2, up to half the cores, at most 4)
  --allow-host HOST          allow a non-loopback host (also poolLint.probe.allowedHosts)
  --no-confirm               skip the confirmation step at the expected concurrency`;

class UsageError extends Error {}

interface ProbeArgs {
  pool?: string;
  url?: string;
  sqlite: boolean;
  sqliteFile?: string;
  workload: string;
  steps?: number[];
  durationMs?: number;
  format: 'text' | 'json' | 'html';
  output?: string;
  profile?: string;
  root?: string;
  capacity?: number;
  acquireTimeoutMs?: number;
  expected?: number;
  statementTimeoutMs?: number;
  maxRequests?: number;
  threads?: number;
  allowHosts: string[];
  confirm: boolean;
}

function parse(argv: string[]): ProbeArgs | 'help' {
  const a: ProbeArgs = { sqlite: false, workload: 'hold:5ms', format: 'text', allowHosts: [], confirm: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (name: string) => {
      const eq = arg.indexOf('=');
      if (eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
      return v;
    };
    const positive = (name: string, v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name} must be a positive whole number, not '${v}'`);
      return n;
    };
    const duration = (name: string, v: string) => {
      const ms = parseDuration(v);
      if (ms === undefined || ms <= 0) throw new UsageError(`${name} must be a duration such as 500ms, 10s or 1m, not '${v}'`);
      return ms;
    };
    const name = arg.split('=')[0];
    switch (name) {
      case '-h':
      case '--help':
        return 'help';
      case '--pool':
        a.pool = value(name);
        break;
      case '--url':
        a.url = value(name);
        break;
      case '--sqlite':
        a.sqlite = true;
        break;
      case '--sqlite-file':
        a.sqliteFile = value(name);
        break;
      case '--workload':
        a.workload = value(name);
        break;
      case '--steps': {
        const v = value(name);
        a.steps = v.split(',').map((s) => positive('--steps', s.trim()));
        break;
      }
      case '--duration':
        a.durationMs = duration(name, value(name));
        break;
      case '--format': {
        const f = value(name);
        if (f !== 'text' && f !== 'json' && f !== 'html') throw new UsageError(`--format must be text, json or html, not '${f}'`);
        a.format = f;
        break;
      }
      case '--output':
        a.output = value(name);
        break;
      case '--profile':
        a.profile = value(name);
        break;
      case '--root':
        a.root = value(name);
        break;
      case '--capacity':
        a.capacity = positive(name, value(name));
        break;
      case '--acquire-timeout':
        a.acquireTimeoutMs = duration(name, value(name));
        break;
      case '--expected-concurrency':
        a.expected = positive(name, value(name));
        break;
      case '--statement-timeout':
        a.statementTimeoutMs = duration(name, value(name));
        break;
      case '--max-requests':
        a.maxRequests = positive(name, value(name));
        break;
      case '--threads':
        a.threads = positive(name, value(name));
        break;
      case '--allow-host':
        a.allowHosts.push(value(name));
        break;
      case '--no-confirm':
        a.confirm = false;
        break;
      default:
        throw new UsageError(`unknown option '${arg}' for probe`);
    }
  }
  const targets = [a.pool, a.url, a.sqlite || undefined, a.sqliteFile].filter((x) => x !== undefined).length;
  if (targets > 1) throw new UsageError('give one of --pool, --url, --sqlite, --sqlite-file');
  return a;
}

function parseWorkload(text: string, cwd: string): Workload {
  const hold = /^hold:(.+)$/.exec(text);
  if (hold) {
    const ms = parseDuration(hold[1]);
    if (ms === undefined || ms > 60000) throw new UsageError(`--workload hold: wants a time up to 60s, such as hold:5ms, not '${text}'`);
    return { kind: 'hold', holdMs: ms };
  }
  const sql = /^sql:(.+)$/.exec(text);
  if (sql) {
    const file = path.resolve(cwd, sql[1]);
    let body: string;
    try {
      body = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`--workload ${text}: cannot read ${sql[1]}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return { kind: 'sql', sql: body, file: sql[1] };
  }
  throw new UsageError(`--workload must be hold:5ms or sql:FILE, not '${text}'`);
}

/** A one-line progress bar on a terminal (standard error), nothing elsewhere. */
function progressBar(): { update(p: ProbeProgress | { fraction: number; message: string }): void; clear(): void } {
  const tty = process.stderr.isTTY === true;
  let last = '';
  return {
    update(p) {
      if (!tty) return;
      const width = 28;
      const filled = Math.round(Math.min(1, Math.max(0, p.fraction)) * width);
      const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(p.fraction * 100)).padStart(3)}% ${p.message}`;
      if (line === last) return;
      last = line;
      process.stderr.write(`\r\u001b[2K${line.slice(0, (process.stderr.columns ?? 100) - 1)}`);
    },
    clear() {
      if (tty && last) process.stderr.write('\r\u001b[2K');
    },
  };
}

interface Chosen {
  pool: PoolModel;
  profile: ProfileModel;
  all: PoolModel[];
  rel: (f: string) => string;
  root: string;
  config: Awaited<ReturnType<typeof check>>['config'];
}

async function choosePool(a: ProbeArgs, cwd: string): Promise<Chosen> {
  const root = path.resolve(a.root ?? cwd);
  const rel = (f: string) => path.relative(cwd, f).split(path.sep).join('/') || '.';
  const result = await check({ root, rel, profile: a.profile });
  const hit = findPool(result.pools, a.pool!, cwd);
  if ('error' in hit) throw new UsageError(hit.error);
  const names = Object.keys(hit.profiles);
  const name = a.profile ?? names.find((n) => ['postgresql', 'mysql', 'sqlite'].includes(hit.profiles[n].database.kind)) ?? names[0];
  const profile = hit.profiles[name];
  if (!profile) throw new UsageError(`the pool at ${a.pool} has no profile '${name}' (profiles: ${names.join(', ')})`);
  return { pool: hit, profile, all: result.pools, rel, root, config: result.config };
}

function applyOverrides(l: PoolLimits, a: ProbeArgs): PoolLimits {
  const out = { ...l };
  if (a.capacity !== undefined) {
    out.capacity = a.capacity;
    out.capacityHow = `--capacity ${a.capacity} (the code says ${l.capacity}: ${l.capacityHow})`;
  }
  if (a.acquireTimeoutMs !== undefined) {
    out.acquireTimeoutMs = a.acquireTimeoutMs;
    out.acquireTimeoutHow = `--acquire-timeout ${a.acquireTimeoutMs} ms`;
    if (out.library === 'SQLAlchemy' && out.timeoutError) out.timeoutError = out.timeoutError.replace(/timeout [\d.]+$/, `timeout ${(a.acquireTimeoutMs / 1000).toFixed(2)}`);
    if (out.library === 'node-postgres') out.timeoutError = 'timeout exceeded when trying to connect';
  }
  return out;
}

export async function probeCommand(argv: string[], cwd = process.cwd()): Promise<number> {
  let a: ProbeArgs | 'help';
  try {
    a = parse(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`pool-lint probe: ${e.message}\n\n${PROBE_USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (a === 'help') {
    process.stdout.write(`${PROBE_USAGE}\n`);
    return 0;
  }
  const args = a;
  const controller = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) return;
    signalled = sig;
    process.stderr.write(`\npool-lint probe: ${sig}: closing every connection\n`);
    controller.abort();
    // the probe closes its connections within a second; a process stuck past that still exits
    setTimeout(() => process.exit(sig === 'SIGINT' ? 130 : 143), 1500).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // forked by the editor: progress goes over the IPC channel; on a terminal, a bar
  const ipc = typeof process.send === 'function' && process.connected;
  const tty = progressBar();
  const bar = {
    update(p: ProbeProgress | { fraction: number; message: string }) {
      if (ipc) process.send!({ type: 'progress', fraction: p.fraction, message: p.message });
      else tty.update(p);
    },
    clear: () => tty.clear(),
  };
  const secrets: (string | undefined)[] = [];
  try {
    let report: ProbeReport;
    let chosen: Chosen | undefined;
    if (args.pool) chosen = await choosePool(args, cwd);
    const poolInfo = chosen ? { id: chosen.pool.id, file: chosen.rel(chosen.pool.file), line: chosen.pool.span.line + 1, profile: chosen.profile.profile, library: chosen.pool.library } : undefined;
    const kind = args.sqlite || args.sqliteFile ? 'sqlite' : args.url ? (/^(mysql|mariadb)/i.test(args.url.trim()) ? 'mysql' : 'postgresql') : chosen ? chosen.profile.database.kind : undefined;
    if (!kind) {
      const root = path.resolve(args.root ?? cwd);
      const result = await check({ root, rel: (f) => path.relative(cwd, f).split(path.sep).join('/') });
      const list = result.pools.filter((p) => Object.values(p.profiles).some((pr) => ['postgresql', 'mysql', 'sqlite'].includes(pr.database.kind)));
      throw new UsageError(`choose what to probe: --pool FILE:LINE, --url URL or --sqlite${list.length ? `\npools found: ${list.map((p) => `${path.relative(cwd, p.file)}:${p.span.line + 1} (${p.library})`).join(', ')}` : ''}`);
    }
    if (kind === 'sqlite') {
      let configs: SqliteConfig[];
      let database: string | undefined = args.sqliteFile ? path.resolve(cwd, args.sqliteFile) : undefined;
      if (chosen) {
        const found = sqliteSettingsOf(chosen.pool, chosen.profile, chosen.all, chosen.rel, chosen.root);
        database = found.file;
        configs = [
          // the code's own run keeps the deferred BEGIN its ORM or driver issues, refusals included
          { label: `as configured (${found.journalMode}, ${found.writers} writer${found.writers === 1 ? '' : 's'})`, how: found.how, journalMode: found.journalMode, busyTimeoutMs: found.busyTimeoutMs, writers: found.writers, readers: found.readers, writerBegin: 'deferred' },
          recommendedConfig(found.busyTimeoutMs, found.readers),
        ];
      } else configs = freshConfigs();
      report = await runSqliteProbe({ database, configs, durationMs: args.durationMs ?? 3000, signal: controller.signal, onProgress: (p) => bar.update(p), pool: poolInfo });
    } else if (kind === 'postgresql' || kind === 'mysql') {
      let url: string | undefined;
      let limits: PoolLimits;
      if (chosen) {
        url = rawUrl(chosen.profile);
        if (!url) throw new UsageError(`the database URL of the pool at ${args.pool} is not known in the ${chosen.profile.profile} profile (${chosen.profile.database.how}); pass --url`);
        const l = limitsOf(chosen.pool, chosen.profile);
        if ('error' in l && args.capacity === undefined) throw new UsageError(`cannot probe the pool at ${args.pool}: ${l.error}`);
        limits = 'error' in l ? { ...defaultLimits(), capacityHow: l.error } : l;
      } else {
        url = args.url!;
        limits = kind === 'mysql' ? mysqlDefaultLimits() : defaultLimits();
      }
      const password = process.env.POOL_LINT_PROBE_PASSWORD || undefined;
      secrets.push(passwordOf(url), password);
      limits = applyOverrides(limits, args);
      const config = chosen?.config;
      const allowed = [...(config?.probe?.allowedHosts ?? []), ...args.allowHosts];
      const expected = args.expected !== undefined ? { value: args.expected, how: `--expected-concurrency ${args.expected}` } : expectedConcurrency(config ?? { rules: {}, profiles: {}, exclude: [] });
      const steps = args.steps ?? undefined;
      const durationMs = args.durationMs ?? 5000;
      const total = (steps?.length ?? 8) * durationMs;
      if (total > 15 * 60000) throw new UsageError(`the run would take ${Math.round(total / 60000)} minutes; the probe runs at most 15 (fewer steps or a shorter --duration)`);
      report = await (kind === 'mysql' ? runMysqlProbe : runPgProbe)({
        url,
        password,
        limits,
        workload: parseWorkload(args.workload, cwd),
        steps,
        stepDurationMs: durationMs,
        maxRequestsPerStep: args.maxRequests,
        threads: args.threads,
        statementTimeoutMs: args.statementTimeoutMs,
        expectedConcurrency: expected,
        peakRequestsPerSecond: config?.peakRequestsPerSecond,
        allowedHosts: allowed,
        confirm: args.confirm,
        signal: controller.signal,
        onProgress: (p) => bar.update(p),
        pool: poolInfo,
      });
      if (chosen && report.recommendation) report.fix = capacityFix(chosen, report.recommendation.capacity);
    } else {
      throw new UsageError(`the probe measures PostgreSQL, MySQL/MariaDB and SQLite; the pool at ${args.pool} uses ${kind} in the ${chosen?.profile.profile} profile`);
    }
    bar.clear();
    const out = args.format === 'json' ? toJson(report, secrets) : args.format === 'html' ? toHtml(report, secrets) : toText(report, secrets);
    if (args.output) {
      fs.writeFileSync(path.resolve(cwd, args.output), out);
      process.stderr.write(`pool-lint probe: report written to ${args.output}\n`);
    } else process.stdout.write(out);
    if (signalled) return signalled === 'SIGINT' ? 130 : 143;
    return report.complete ? 0 : 1;
  } catch (e) {
    bar.clear();
    if (e instanceof UsageError) {
      process.stderr.write(`pool-lint probe: ${redact(e.message, secrets)}\n`);
      return 2;
    }
    if (e instanceof ProbeRefused) {
      process.stderr.write(`pool-lint probe: ${redact(e.message, secrets)}\n`);
      return 2;
    }
    process.stderr.write(`pool-lint probe: internal error: ${redact(maskSecrets((e as Error).stack ?? String(e)), secrets)}\n`);
    return 2;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The recommended capacity as an edit where the pool's size is written (as the undersized-pool fix does). */
function capacityFix(c: Chosen, total: number): PgProbeReport['fix'] {
  const fixes = new FixBuilder((f) => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch {
      return undefined;
    }
  });
  const cap = capacity({ pool: c.pool, profile: c.profile, config: c.config, fixes, rel: c.rel });
  if (!cap || cap.total === total) return undefined;
  const value = cap.raise.to(total);
  if (!(value >= 1)) return undefined;
  const s = c.profile.settings[cap.raise.name];
  const edit = (s && fixes.setNumber(s, value)) ?? (!s || s.source === 'default' ? fixes.setSetting(c.profile, cap.raise.name, String(value)) : undefined);
  const fix = fixes.fix(`Set ${cap.raise.name} to ${value} (capacity ${total}, measured by the load probe)`, [edit]);
  return fix ? { description: fix.description, edits: fix.edits } : undefined;
}

function passwordOf(url: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/@:\s]*:([^/@\s]*)@/i.exec(url);
  if (m && m[1]) {
    try {
      return decodeURIComponent(m[1]);
    } catch {
      return m[1];
    }
  }
  const q = /[?&]password=([^&#]*)/i.exec(url);
  return q ? decodeURIComponent(q[1]) : undefined;
}
