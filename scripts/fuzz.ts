// `npm run fuzz -- --runs 100000`: the long property-based run of test/helpers/fuzz.ts. The runs
// are shared evenly by the readers (each detector, .env, compose, manifests); each case must not
// throw, report an internal error, return a malformed result or take over --limit-ms of CPU
// (default 1000) outside tree-sitter's parse (reported apart: its error recovery is not
// interruptible on some inputs), nor 10 s in all. A failure prints fast-check's counterexample and the seed to replay it.
//
//   npm run fuzz -- [--runs 100000] [--seed N] [--reader sqlalchemy] [--limit-ms 1000]
import { fuzz, seeds } from '../test/helpers/fuzz';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const total = Number(arg('--runs') ?? 10000);
  const readers = arg('--reader')?.split(',') ?? [...new Set(seeds().map((s) => s.reader))].sort();
  const perReader = Math.ceil(total / readers.length);
  const seed = arg('--seed') !== undefined ? Number(arg('--seed')) : undefined;
  const limitMs = Number(arg('--limit-ms') ?? 1000);
  const t0 = Date.now();
  process.stdout.write(`fuzz: ${perReader} cases for each of ${readers.join(', ')} (${perReader * readers.length} in all), CPU limit ${limitMs} ms per case\n`);
  const report = await fuzz({
    runs: perReader,
    seed,
    readers,
    limitMs,
    onProgress: (reader, done) => process.stdout.write(`  ${reader}: ${done} cases (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`),
  });
  process.stdout.write(`seed ${report.seed}: ${report.runs} cases passed in ${((Date.now() - t0) / 1000).toFixed(0)} s; no throw, no internal error, no malformed result, none over ${limitMs} ms of CPU outside the parser, none over the 10 s hang guard\n`);
  for (const [r, s] of Object.entries(report.byReader)) {
    process.stdout.write(`  ${r.padEnd(16)} ${String(s.runs).padStart(6)} cases, worst ${s.worstMs.toFixed(0)} ms CPU outside the parser: ${s.worstCase}\n    ${s.worstMutations}\n    worst parse ${s.worstParseMs.toFixed(0)} ms CPU: ${s.worstParseCase}; worst wall clock ${s.worstWallMs.toFixed(0)} ms\n`);
  }
  process.stdout.write(`worst case outside the parser: ${report.worst.ms.toFixed(0)} ms CPU (${report.worst.case})\nworst tree-sitter parse: ${report.worst.parseMs.toFixed(0)} ms CPU (${report.worst.parseCase}); worst wall clock ${report.worst.wallMs.toFixed(0)} ms\n`);
}

main().catch((e) => {
  const err = e as Error & { cause?: Error };
  process.stderr.write(`${err.message}\n${err.cause ? `cause: ${err.cause.message}\n` : ""}`);
  process.exitCode = 1;
});
