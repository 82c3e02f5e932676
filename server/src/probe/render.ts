// The probe's report as text (a table and a terminal chart), JSON, or one self-contained HTML page
// (inline CSS and SVG, no script, no network). Every form masks passwords.
import { maskSecrets } from '../engine/urls';
import { barChart, esc, lineChart, termBar } from './chart';
import type { PgProbeReport, StepResult } from './pg';
import type { SqliteProbeReport, SqliteRun } from './sqlite';
import type { MysqlProbeReport } from './mysql';
import { formatMs } from './stats';

export type ProbeReport = PgProbeReport | SqliteProbeReport | MysqlProbeReport;
/** The PostgreSQL and MySQL reports share their steps, charts and recommendation. */
type ServerReport = PgProbeReport | MysqlProbeReport;

/** The server's facts in one line, per database. */
function serverLine(r: ServerReport): string | undefined {
  if (!r.server) return undefined;
  if (r.kind === 'mysql') {
    const s = r.server;
    return `${s.flavor} ${s.version}: max_connections ${s.maxConnections}, Threads_connected ${s.threadsConnected} (the probe's control connection included); the probe may open ${s.budget}`;
  }
  const s = r.server;
  return `PostgreSQL ${s.version}: max_connections ${s.maxConnections}, superuser_reserved_connections ${s.superuserReserved}, reserved_connections ${s.reserved ?? 'n/a (before 16)'}, ${s.inUseByOthers} in use by others; the probe may open ${s.budget}`;
}

function sessionLine(r: ServerReport): string {
  return r.kind === 'mysql'
    ? `read-only (SET SESSION TRANSACTION READ ONLY), program_name ${r.session.applicationName}, ${r.session.timeoutSetting ?? `statement timeout ${r.session.statementTimeoutMs} ms`}`
    : `read-only (default_transaction_read_only=on), application_name ${r.session.applicationName}, statement_timeout ${r.session.statementTimeoutMs} ms`;
}

/** Removes every known secret and any URL password from text about to leave the process. */
export function redact(text: string, secrets: (string | undefined)[] = []): string {
  let out = maskSecrets(text);
  // short secrets are left to the URL masking: replacing a 2-letter word everywhere would garble the report
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out;
}

export function toJson(r: ProbeReport, secrets: (string | undefined)[] = []): string {
  return redact(JSON.stringify(r, null, 2), secrets) + '\n';
}

const pad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const padEnd = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const num = (v: number | null | undefined) => (v === null || v === undefined ? '-' : String(v));

function stepRows(steps: StepResult[]): string[] {
  const head = ['conc', 'cap', 'req/s', 'p50', 'p95', 'p99', 'wait p50', 'wait p99', 'timeouts', 'errors'];
  const widths = [5, 4, 9, 9, 9, 9, 9, 9, 8, 6];
  const rows = [head.map((h, i) => pad(h, widths[i])).join(' ')];
  for (const s of steps) {
    const cells = [String(s.concurrency), String(s.capacity), s.throughput.toFixed(1), formatMs(s.latencyMs.p50), formatMs(s.latencyMs.p95), formatMs(s.latencyMs.p99), formatMs(s.acquireWaitMs.p50), formatMs(s.acquireWaitMs.p99), String(s.acquireTimeouts), String(s.serverErrors.count)];
    rows.push(cells.map((c, i) => pad(c, widths[i])).join(' ') + (s.error ? `  ✗ ${s.error}` : ''));
  }
  return rows;
}

function termChart(title: string, steps: StepResult[], value: (s: StepResult) => number | null, unit: string, capacity: number): string[] {
  const vals = steps.map(value);
  const max = Math.max(0, ...vals.map((v) => v ?? 0));
  const out = [title];
  steps.forEach((s, i) => {
    const v = vals[i];
    const mark = s.concurrency === capacity ? '  ← capacity' : '';
    out.push(`${pad(String(s.concurrency), 5)} │${padEnd(termBar(v ?? 0, max, 40), 40)} ${v === null ? '-' : unit === 'ms' ? formatMs(v) : v.toFixed(0)}${mark}`);
  });
  return out;
}

function pgText(r: ServerReport): string {
  const L: string[] = [];
  L.push(`pool-lint probe: ${r.kind === 'mysql' ? r.server?.flavor ?? 'MySQL' : 'PostgreSQL'} at ${r.target.url}${r.target.allowedAs ? ` (${r.target.allowedAs})` : ''}`);
  if (r.pool) L.push(`pool: ${r.pool.file}:${r.pool.line} (${r.pool.library}, ${r.pool.profile} profile)`);
  const lim = r.limits;
  L.push(`limits (${lim.library}): capacity ${lim.capacity} from ${lim.capacityHow}; acquire timeout ${lim.acquireTimeoutMs === null ? 'none (waits forever)' : formatMs(lim.acquireTimeoutMs)} from ${lim.acquireTimeoutHow}; lifetime ${lim.lifetimeS === null ? 'none' : `${lim.lifetimeS} s`}`);
  if (lim.cappedBy) L.push(`  ${lim.cappedBy}`);
  const server = serverLine(r);
  if (server) L.push(`server: ${server}`);
  L.push(`workload: ${r.workload.description}; sessions ${sessionLine(r)}`);
  if (r.steps.length) {
    L.push('', ...stepRows(r.steps));
    L.push('', ...termChart('throughput (req/s) by concurrency', r.steps, (s) => s.throughput, 'req/s', r.limits.probeCapacity));
    L.push('', ...termChart('p99 latency by concurrency', r.steps, (s) => s.latencyMs.p99, 'ms', r.limits.probeCapacity));
    const t = r.steps.find((s) => s.acquireTimeoutError);
    if (t) L.push('', `acquire timeouts, as ${lim.library} reports them: ${t.acquireTimeoutError}`);
    const w = r.steps.filter((s) => s.waitingAtEnd > 0);
    if (w.length && lim.acquireTimeoutMs === null) L.push('', `the pool has no acquire timeout: ${w.map((s) => `${s.waitingAtEnd} at ${s.concurrency}`).join(', ')} requests were still waiting when their step ended; in production they wait forever`);
  }
  if (r.confirmation.length) {
    L.push('', `confirmation at the expected concurrency (${r.recommendation?.expectedConcurrency.value ?? r.confirmation[0].concurrency}, ${r.recommendation?.expectedConcurrency.how ?? ''}):`, ...stepRows(r.confirmation));
  }
  const rec = r.recommendation;
  if (rec) {
    L.push('', `recommendation: ${rec.capacity} connection${rec.capacity === 1 ? '' : 's'} (the pool has ${lim.capacity}): ${rec.reason}`);
    if (rec.littlesLaw) L.push(`  ${rec.littlesLaw.text}`);
    if (rec.queueingModel) L.push(`  ${rec.queueingModel.text}`);
    for (const n of rec.notes) L.push(`  note: ${n}`);
  }
  if (r.errors.length) L.push('', ...r.errors.map((e) => `error: ${e}`));
  L.push('', `${r.complete ? 'complete' : 'partial report'} in ${(r.durationMs / 1000).toFixed(1)} s; probe sessions left open: ${r.leftOpen ?? 'unknown'}`);
  return L.join('\n') + '\n';
}

function sqliteRunRows(runs: SqliteRun[]): string[] {
  const head = ['configuration', 'writes/s', 'reads/s', 'write p50', 'write p99', 'read p99', 'busy', 'busy %', 'read busy'];
  const widths = [32, 9, 9, 10, 10, 10, 6, 7, 9];
  const rows = [head.map((h, i) => (i === 0 ? padEnd(h, widths[i]) : pad(h, widths[i]))).join(' ')];
  for (const x of runs) {
    const cells = [x.label, x.writesPerSecond.toFixed(0), x.readsPerSecond.toFixed(0), formatMs(x.writeLatencyMs.p50), formatMs(x.writeLatencyMs.p99), formatMs(x.readLatencyMs.p99), String(x.busy), `${(x.busyRate * 100).toFixed(1)}`, String(x.readBusy)];
    rows.push(cells.map((c, i) => (i === 0 ? padEnd(c, widths[i]) : pad(c, widths[i]))).join(' ') + (x.error ? `  ✗ ${x.error}` : ''));
  }
  return rows;
}

function sqliteText(r: SqliteProbeReport): string {
  const L: string[] = [];
  L.push(`pool-lint probe: SQLite ${r.sqliteVersion}, ${r.source.kind === 'copy' ? `on a copy of ${r.source.original} (the original is never opened)` : 'on a fresh temporary database'}`);
  if (r.pool) L.push(`pool: ${r.pool.file}:${r.pool.line} (${r.pool.library}, ${r.pool.profile} profile)`);
  L.push(`workload: ${r.workload}; ${(r.runDurationMs / 1000).toFixed(1)} s per configuration`);
  L.push('', ...sqliteRunRows(r.runs));
  L.push('');
  for (const x of r.runs) L.push(`${x.label}: ${x.how}`);
  const busyMax = Math.max(0, ...r.runs.map((x) => x.busyRate));
  L.push('', '"database is locked" (SQLITE_BUSY) per write transaction');
  for (const x of r.runs) L.push(`${padEnd(x.label.slice(0, 32), 32)} │${padEnd(termBar(x.busyRate, busyMax, 36), 36)} ${(x.busyRate * 100).toFixed(1)}%`);
  if (r.busyError) L.push('', `as the application sees it: ${r.busyError}`);
  if (r.verdict) L.push('', r.verdict);
  if (r.errors.length) L.push('', ...r.errors.map((e) => `error: ${e}`));
  L.push('', `${r.complete ? 'complete' : 'partial report'} in ${(r.durationMs / 1000).toFixed(1)} s`);
  return L.join('\n') + '\n';
}

export function toText(r: ProbeReport, secrets: (string | undefined)[] = []): string {
  return redact(r.kind === 'sqlite' ? sqliteText(r) : pgText(r), secrets);
}

const CSS = `body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:960px;color:#1d232a;background:#fff;padding:0 16px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}.sub{color:#57606a;margin:0 0 16px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;margin:8px 0}th,td{padding:4px 8px;border-bottom:1px solid #d8dee4;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f6f8fa;font-weight:600}tr.cap td{background:#fff8c5}tr.err td{color:#cf222e}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}.facts div:nth-child(odd){color:#57606a}
.rec{border-left:4px solid #1a7f37;background:#dafbe1;padding:10px 14px;margin:16px 0}.rec b{font-size:16px}.note{color:#57606a}
.errors{border-left:4px solid #cf222e;background:#ffebe9;padding:10px 14px}.charts{display:flex;flex-wrap:wrap;gap:16px}
svg.chart{background:#fff;border:1px solid #d8dee4;border-radius:6px;max-width:100%;height:auto}
svg .title{font:600 13px system-ui,sans-serif;fill:#1d232a}svg .tick{font:11px system-ui,sans-serif;fill:#57606a}svg .label{font:12px system-ui,sans-serif;fill:#57606a}
svg .legend{font:11px system-ui,sans-serif;fill:#1d232a}svg .marker{font:600 11px system-ui,sans-serif}svg .grid{stroke:#eaeef2}svg .axis{stroke:#8c959f}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;padding:1px 4px;border-radius:4px}footer{color:#57606a;margin-top:32px;font-size:12px}`;

export interface HtmlOptions {
  /** A nonce for the one style element: the page's policy then allows that element and nothing else. */
  nonce?: string;
}

function page(title: string, body: string, o: HtmlOptions = {}): string {
  // no script, no network: the policy allows the page's own style element and nothing else
  const style = o.nonce ? `'nonce-${o.nonce}'` : "'unsafe-inline'";
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${style}; img-src data:"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style${o.nonce ? ` nonce="${esc(o.nonce)}"` : ''}>${CSS}</style></head><body>${body}<footer>pool-lint load probe · ${esc(new Date().toISOString())} · self-contained report: no script, no network</footer></body></html>\n`;
}

function stepTable(steps: StepResult[], capacity: number): string {
  const rows = steps
    .map((s) => `<tr class="${s.error ? 'err' : s.concurrency === capacity ? 'cap' : ''}"><td>${s.concurrency}</td><td>${s.capacity}</td><td>${s.throughput.toFixed(1)}</td><td>${formatMs(s.latencyMs.p50)}</td><td>${formatMs(s.latencyMs.p95)}</td><td>${formatMs(s.latencyMs.p99)}</td><td>${formatMs(s.acquireWaitMs.p50)}</td><td>${formatMs(s.acquireWaitMs.p99)}</td><td>${s.acquireTimeouts}</td><td>${s.serverErrors.count}${s.serverErrors.tooManyClients ? ` (${s.serverErrors.tooManyClients} too many clients)` : ''}</td><td>${s.error ? esc(s.error) : ''}</td></tr>`)
    .join('');
  return `<table><thead><tr><th>concurrency</th><th>capacity</th><th>req/s</th><th>p50</th><th>p95</th><th>p99</th><th>acquire wait p50</th><th>acquire wait p99</th><th>acquire timeouts</th><th>server errors</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** The two charts of a PostgreSQL report (also used by the editor's webview). */
export function pgCharts(r: ServerReport): string {
  const cap = r.limits.probeCapacity;
  const steps = r.steps.filter((s) => s.requests > 0);
  const markers = [{ x: cap, label: `capacity ${cap}`, color: '#bf8700' }];
  if (r.recommendation && r.recommendation.capacity !== cap && steps.some((s) => s.concurrency === r.recommendation!.capacity)) markers.push({ x: r.recommendation.capacity, label: `recommended ${r.recommendation.capacity}`, color: '#1a7f37' });
  const tp = lineChart({ title: 'Throughput vs concurrency', xLabel: 'concurrent requests', yLabel: 'requests per second', logX: true, markers, series: [{ name: 'throughput (req/s)', color: '#0969da', points: steps.map((s) => ({ x: s.concurrency, y: s.throughput })) }] });
  const lat = lineChart({
    title: 'p99 latency vs concurrency',
    xLabel: 'concurrent requests',
    yLabel: 'milliseconds',
    logX: true,
    markers,
    series: [
      { name: 'request p99 (ms)', color: '#cf222e', points: steps.map((s) => ({ x: s.concurrency, y: s.latencyMs.p99 })) },
      { name: 'acquire wait p99 (ms)', color: '#8250df', dashed: true, points: steps.map((s) => ({ x: s.concurrency, y: s.acquireWaitMs.p99 })) },
    ],
  });
  return `<div class="charts">${tp}${lat}</div>`;
}

function pgBody(r: ServerReport): string {
  const lim = r.limits;
  const facts: [string, string][] = [
    ['database', `${r.target.url}${r.target.allowedAs ? ` (${r.target.allowedAs})` : ''}`],
    ...(r.pool ? [['pool', `${r.pool.file}:${r.pool.line} (${r.pool.library}, ${r.pool.profile} profile)`] as [string, string]] : []),
    ['capacity', `${lim.capacity} from ${lim.capacityHow}${lim.cappedBy ? `; ${lim.cappedBy}` : ''}`],
    ['acquire timeout', `${lim.acquireTimeoutMs === null ? 'none (waits forever)' : formatMs(lim.acquireTimeoutMs)} from ${lim.acquireTimeoutHow}`],
    ['lifetime', lim.lifetimeS === null ? 'none' : `${lim.lifetimeS} s`],
    ['workload', r.workload.description],
    ['sessions', sessionLine(r)],
  ];
  const server = serverLine(r);
  if (server) facts.push(['server', server]);
  const rec = r.recommendation;
  const parts = [`<h1>Load probe: ${esc(r.pool ? `${r.pool.file}:${r.pool.line}` : r.target.url)}</h1><p class="sub">${r.complete ? 'complete' : 'partial report'} · ${(r.durationMs / 1000).toFixed(1)} s · ${esc(r.startedAt)}</p>`];
  if (rec) {
    parts.push(`<div class="rec"><b>Recommended capacity: ${rec.capacity}</b> (the pool has ${lim.capacity}). ${esc(rec.reason)}.${rec.littlesLaw ? `<br>${esc(rec.littlesLaw.text)}.` : ''}${rec.queueingModel ? `<br><span class="note">${esc(rec.queueingModel.text)}.</span>` : ''}${rec.notes.map((n) => `<br><span class="note">Note: ${esc(n)}.</span>`).join('')}</div>`);
  }
  if (r.errors.length) parts.push(`<div class="errors">${r.errors.map((e) => esc(e)).join('<br>')}</div>`);
  if (r.steps.length) parts.push(pgCharts(r));
  parts.push(`<h2>Steps</h2>${stepTable(r.steps, lim.probeCapacity)}`);
  const t = r.steps.find((s) => s.acquireTimeoutError);
  if (t) parts.push(`<p>Acquire timeouts, as ${esc(lim.library)} reports them: <code>${esc(t.acquireTimeoutError!)}</code></p>`);
  if (r.confirmation.length) parts.push(`<h2>Confirmation at the expected concurrency${rec ? ` (${rec.expectedConcurrency.value}: ${esc(rec.expectedConcurrency.how)})` : ''}</h2>${stepTable(r.confirmation, -1)}`);
  parts.push(`<h2>Setup</h2><div class="facts">${facts.map(([k, v]) => `<div>${esc(k)}</div><div>${esc(v)}</div>`).join('')}</div>`);
  parts.push(`<p class="note">Probe sessions left open after the run: ${r.leftOpen ?? 'unknown'}.</p>`);
  return parts.join('\n');
}

/** The SQLite comparison charts (also used by the editor's webview). */
export function sqliteCharts(r: SqliteProbeReport): string {
  const colors = ['#cf222e', '#1a7f37', '#0969da', '#8250df'];
  const busy = barChart({ title: '"database is locked" per write transaction', unit: '%', bars: r.runs.map((x, i) => ({ label: x.label.slice(0, 32), value: x.busyRate * 100, color: colors[i % colors.length] })) });
  const tp = barChart({ title: 'Writes committed per second', unit: '/s', bars: r.runs.map((x, i) => ({ label: x.label.slice(0, 32), value: x.writesPerSecond, color: colors[i % colors.length] })) });
  const rd = barChart({ title: 'Write latency p99', unit: 'ms', bars: r.runs.map((x, i) => ({ label: x.label.slice(0, 32), value: x.writeLatencyMs.p99 ?? 0, color: colors[i % colors.length] })) });
  return `<div class="charts">${busy}${tp}${rd}</div>`;
}

function sqliteBody(r: SqliteProbeReport): string {
  const rows = r.runs
    .map((x) => `<tr class="${x.error ? 'err' : ''}"><td>${esc(x.label)}</td><td>${x.writesPerSecond.toFixed(0)}</td><td>${x.readsPerSecond.toFixed(0)}</td><td>${formatMs(x.writeLatencyMs.p50)}</td><td>${formatMs(x.writeLatencyMs.p99)}</td><td>${formatMs(x.readLatencyMs.p50)}</td><td>${formatMs(x.readLatencyMs.p99)}</td><td>${x.busy}</td><td>${(x.busyRate * 100).toFixed(1)}%</td><td>${x.readBusy}</td></tr>`)
    .join('');
  const parts = [
    `<h1>SQLite load probe${r.pool ? `: ${esc(`${r.pool.file}:${r.pool.line}`)}` : ''}</h1><p class="sub">SQLite ${esc(r.sqliteVersion)} · ${esc(r.source.kind === 'copy' ? `a copy of ${r.source.original}; the original is never opened` : 'a fresh temporary database')} · ${(r.runDurationMs / 1000).toFixed(1)} s per configuration · ${(r.durationMs / 1000).toFixed(1)} s in all</p>`,
  ];
  if (r.verdict) parts.push(`<div class="rec">${esc(r.verdict)}</div>`);
  if (r.errors.length) parts.push(`<div class="errors">${r.errors.map((e) => esc(e)).join('<br>')}</div>`);
  parts.push(sqliteCharts(r));
  parts.push(`<h2>Configurations</h2><table><thead><tr><th>configuration</th><th>writes/s</th><th>reads/s</th><th>write p50</th><th>write p99</th><th>read p50</th><th>read p99</th><th>busy writes</th><th>busy rate</th><th>busy reads</th></tr></thead><tbody>${rows}</tbody></table>`);
  parts.push(`<div class="facts">${r.runs.map((x) => `<div>${esc(x.label)}</div><div>${esc(x.how)}</div>`).join('')}<div>workload</div><div>${esc(r.workload)}</div></div>`);
  if (r.busyError) parts.push(`<p>As the application sees it: <code>${esc(r.busyError)}</code></p>`);
  return parts.join('\n');
}

export function toHtml(r: ProbeReport, secrets: (string | undefined)[] = [], o: HtmlOptions = {}): string {
  const title = r.kind === 'sqlite' ? 'pool-lint probe: SQLite' : `pool-lint probe: ${r.target.url}`;
  return redact(page(title, r.kind === 'sqlite' ? sqliteBody(r) : pgBody(r), o), secrets);
}
