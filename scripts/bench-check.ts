// Child process of `npm run bench`: runs the engine's check() on a folder several times in one
// process (the first run loads the grammars; the later ones are what a language server or a watch
// mode sees) and prints the wall and CPU times (ms), the peak RSS and what was found as one JSON line.
//
//   node out/scripts/bench-check.js DIR [RUNS]
import * as path from 'path';
import { check } from '../server/src/engine';

async function main(): Promise<void> {
  const dir = path.resolve(process.argv[2]);
  const runs = Number(process.argv[3] ?? 3);
  const times: number[] = [];
  const cpu: number[] = [];
  let counts = { pools: 0, findings: 0, problems: 0, parsed: 0, files: 0 };
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const r = await check({ root: dir });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    counts = { pools: r.pools.length, findings: r.findings.length, problems: r.problems.length, parsed: r.stats.parsed, files: r.stats.files };
  }
  process.stdout.write(JSON.stringify({ times, cpu, maxRssKb: process.resourceUsage().maxRSS, ...counts }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exitCode = 2;
});
