// `npm run bench`: pool-lint on a synthetic workspace against the read floor, at several sizes.
//
//   npm run bench [-- --files 20000] [--sizes 2000,5000,10000,20000] [--runs 3] [--keep]
//
// For each size it writes a synthetic workspace (scripts/synth-workspace.ts) and prints
//   floor  reading every candidate file of the walk and running one regex prefilter over it, in
//          this Node process (the least any tool that looks at every file must do);
//   cold   `pool-lint check DIR --format json --no-cache` as a fresh process (Node start-up,
//          bundle load, WebAssembly compile and grammar load included): a first run, wall clock;
//   cached the same command run again with its analysis cache (engine/cache.ts) from the run
//          before: every file is read, unchanged ones are not parsed again (what a developer's
//          second `pool-lint check`, a pre-commit hook or a CI job with a kept cache pays);
//   warm   check() again in a process that has run it once (what the language server and a
//          watch mode pay), median of the later runs;
//   RSS    the peak resident set of the CLI process and of the warm process;
// and their ratios. All runs read from the page cache (the files were just written), the floor
// included, so the ratio compares work, not disk. Targets: ratio <= 2, linear growth, RSS <= 300 MB.
// Figures are printed, never asserted: the machine is shared and timings vary.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthWorkspace } from './synth-workspace';
import { DETECTORS } from '../server/src/engine';

const REPO = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO, 'dist', 'cli.js');
const CHILD = path.join(__dirname, 'bench-check.js');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The floor: list the tree, read every file as text, test one regex (the detectors' prefilters as one). */
function floor(dir: string, re: RegExp): { ms: number; cpu: number; files: number; bytes: number; hits: number } {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let files = 0;
  let bytes = 0;
  let hits = 0;
  const visit = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) visit(full);
      else if (e.isFile()) {
        const text = fs.readFileSync(full, 'utf8');
        files++;
        bytes += text.length;
        if (re.test(text)) hits++;
      }
    }
  };
  visit(dir);
  const c = process.cpuUsage(c0);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, cpu: (c.user + c.system) / 1000, files, bytes, hits };
}

/** One `pool-lint check` process; its peak RSS comes from a preload that reports resourceUsage on exit. */
function cliRun(dir: string, preload: string, rssFile: string, cacheDir?: string): { ms: number; cpu: number; rssKb: number; code: number | null } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-r', preload, CLI, 'check', dir, '--format', 'json', ...(cacheDir ? [] : ['--no-cache'])], {
    cwd: dir,
    env: { ...process.env, POOL_LINT_BENCH_RSS: rssFile, ...(cacheDir ? { POOL_LINT_CACHE_DIR: cacheDir } : {}) },
    stdio: ['ignore', 'ignore', 'inherit'],
    maxBuffer: 1 << 30,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`pool-lint check exited ${r.status} on ${dir}`);
  const u = JSON.parse(fs.readFileSync(rssFile, 'utf8')) as { maxRSS: number; userCPUTime: number; systemCPUTime: number };
  return { ms, cpu: (u.userCPUTime + u.systemCPUTime) / 1000, rssKb: u.maxRSS, code: r.status };
}

function warmRun(dir: string, runs: number): { times: number[]; cpu: number[]; maxRssKb: number; pools: number; findings: number; problems: number; parsed: number; files: number } {
  const r = spawnSync(process.execPath, [CHILD, dir, String(runs)], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`bench-check failed on ${dir}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

function main(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const total = Number(arg('--files') ?? 20000);
  const sizes = (arg('--sizes') ?? [2000, 5000, 10000, 20000].filter((n) => n < total).concat(total).join(','))
    .split(',')
    .map(Number)
    .sort((a, b) => a - b);
  const runs = Math.max(2, Number(arg('--runs') ?? 3));
  const keep = process.argv.includes('--keep');
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-bench-'));
  const preload = path.join(base, 'rss-on-exit.js');
  fs.writeFileSync(preload, "process.on('exit', () => require('fs').writeFileSync(process.env.POOL_LINT_BENCH_RSS, JSON.stringify(process.resourceUsage())));\n");
  const re = new RegExp(DETECTORS.map((d) => d.prefilter.source).join('|'));
  process.stdout.write(`pool-lint bench: Node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  process.stdout.write(`floor regex: /${re.source.length > 90 ? re.source.slice(0, 87) + '...' : re.source}/ (the detectors' prefilters as one)\n`);
  process.stdout.write(`runs per figure: ${runs} (medians)\n\n`);
  // wall clock and CPU time (user + system) of each; on a shared machine CPU time is the steadier figure
  const header = ['files', 'MB', 'pools', 'floor', 'CPU', 'cold CLI', 'CPU', '/floor', 'CPU', 'cached CLI', 'CPU', '/floor', 'CPU', 'warm', 'CPU', '/floor', 'CPU', 'CLI RSS', 'warm RSS'];
  const rows: string[][] = [];
  type Fig = { wall: number; cpu: number };
  const results: { n: number; floor: Fig; cold: Fig; cached: Fig; warm: Fig; rss: number; warmRss: number }[] = [];
  try {
    for (const n of sizes) {
      const dir = path.join(base, `ws-${n}`);
      const synth = synthWorkspace(dir, { files: n });
      // one untimed pass so the floor and the check see the same (warm) page cache
      floor(dir, re);
      const floors = Array.from({ length: runs }, () => floor(dir, re));
      const rssFile = path.join(base, `rss-${n}`);
      const colds = Array.from({ length: runs }, () => cliRun(dir, preload, rssFile));
      // the first run with a cache fills it (it costs what a cold run does, plus writing the cache)
      const cacheDir = path.join(base, `cache-${n}`);
      cliRun(dir, preload, rssFile, cacheDir);
      const cacheds = Array.from({ length: runs }, () => cliRun(dir, preload, rssFile, cacheDir));
      const warm = warmRun(dir, runs + 1);
      if (warm.pools !== synth.poolFiles.length) process.stdout.write(`note: ${warm.pools} pools found in ${synth.poolFiles.length} pool files at ${n} files\n`);
      const f = { wall: median(floors.map((x) => x.ms)), cpu: median(floors.map((x) => x.cpu)) };
      const c = { wall: median(colds.map((x) => x.ms)), cpu: median(colds.map((x) => x.cpu)) };
      const k = { wall: median(cacheds.map((x) => x.ms)), cpu: median(cacheds.map((x) => x.cpu)) };
      const w = { wall: median(warm.times.slice(1)), cpu: median(warm.cpu.slice(1)) };
      const rss = Math.max(...colds.map((x) => x.rssKb), ...cacheds.map((x) => x.rssKb));
      results.push({ n, floor: f, cold: c, cached: k, warm: w, rss, warmRss: warm.maxRssKb });
      const ratios = (x: Fig) => [fmt(x.wall), fmt(x.cpu), (x.wall / f.wall).toFixed(2), (x.cpu / f.cpu).toFixed(2)];
      rows.push([String(n), (synth.bytes / 1e6).toFixed(1), String(warm.pools), fmt(f.wall), fmt(f.cpu), ...ratios(c), ...ratios(k), ...ratios(w), mb(rss), mb(warm.maxRssKb)]);
      if (!keep) fs.rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    if (!keep) fs.rmSync(base, { recursive: true, force: true });
    else process.stdout.write(`workspaces kept in ${base}\n`);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ') + '\n';
  process.stdout.write(line(header));
  for (const r of rows) process.stdout.write(line(r));
  const big = results[results.length - 1];
  const small = results[0];
  process.stdout.write('\n');
  const verdict = (ok: boolean) => (ok ? 'meets target' : 'MISSES target');
  const r2 = (a: Fig, b: Fig) => `${(a.wall / b.wall).toFixed(2)} wall, ${(a.cpu / b.cpu).toFixed(2)} CPU`;
  const line2 = (name: string, x: Fig) => `  ${name}: ${r2(x, big.floor)} (${verdict(x.wall / big.floor.wall <= 2)} <= 2 by wall clock, ${verdict(x.cpu / big.floor.cpu <= 2)} by CPU)\n`;
  process.stdout.write(`ratio to the floor at ${big.n} files:\n${line2('cold CLI, first run (no cache)', big.cold)}${line2('CLI run again (its cache)', big.cached)}${line2('warm process, no cache', big.warm)}`);
  process.stdout.write(`fixed start-up of the CLI (Node, bundle, WebAssembly): cold minus warm CPU at ${big.n} files = ${fmt(big.cold.cpu - big.warm.cpu)}\n`);
  if (results.length > 1) {
    // linear growth: CPU per file at the largest size against the smallest (the CLI's fixed
    // start-up makes small sizes dearer per file, so the warm figure is the test of growth)
    const g = (k: 'cold' | 'warm' | 'floor') => big[k].cpu / big.n / (small[k].cpu / small.n);
    process.stdout.write(`growth ${small.n} -> ${big.n} files (x${(big.n / small.n).toFixed(0)}), CPU: floor x${(big.floor.cpu / small.floor.cpu).toFixed(1)}, cold x${(big.cold.cpu / small.cold.cpu).toFixed(1)}, warm x${(big.warm.cpu / small.warm.cpu).toFixed(1)}; CPU per file at ${big.n} over at ${small.n}: floor ${g('floor').toFixed(2)}, cold ${g('cold').toFixed(2)}, warm ${g('warm').toFixed(2)} (linear is ~1 or below: ${verdict(g('warm') <= 1.25)})\n`);
  }
  process.stdout.write(`peak RSS at ${big.n} files: CLI ${mb(big.rss)}, warm process (${runs + 1} checks) ${mb(big.warmRss)} (<= 300 MB: ${verdict(big.rss <= 300 * 1024 && big.warmRss <= 300 * 1024)})\n`);
}

main();
