// `npm run fuzz -- --runs 100000`: the long property-based run of test/helpers/fuzz.ts. The runs
// are shared evenly by the readers (each detector, .env, compose, manifests); each case must not
// throw, report an internal error, return a malformed result or take over --limit-ms of CPU
// (default 1000) outside tree-sitter's parse (reported apart: its error recovery is not
// interruptible on some inputs), nor 10 s in all. A failure prints fast-check's counterexample and the seed to replay it.
//
// The readers are handed out to --workers child processes (default 2, the machine's cores), one
// reader at a time to whichever is free; every reader runs with the same seed, so a reader's cases
// are the same whichever process runs them (`--reader X --seed S --runs N --workers 1` replays
// them). Processes, not worker threads: a case's CPU time is read with process.cpuUsage(), which
// counts every thread of a process, so two threads would each be charged for the other's work.
//
//   npm run fuzz -- [--runs 100000] [--seed N] [--reader sqlalchemy] [--limit-ms 1000] [--workers 2]
import { fork, type ChildProcess } from 'child_process';
import { fuzz, seeds, type FuzzReport } from '../test/helpers/fuzz';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Job {
  reader: string;
  runs: number;
  seed: number;
  limitMs: number;
}

type FromWorker = { kind: 'progress'; reader: string; done: number } | { kind: 'done'; report: FuzzReport } | { kind: 'failed'; reader: string; message: string };

/** A worker process: runs the readers the main process sends, one at a time. */
function serve(): void {
  const send = (m: FromWorker) => process.send!(m);
  process.on('message', (job: Job | 'stop') => {
    if (job === 'stop') {
      process.disconnect();
      return;
    }
    fuzz({ runs: job.runs, seed: job.seed, readers: [job.reader], limitMs: job.limitMs, onProgress: (reader, done) => send({ kind: 'progress', reader, done }) }).then(
      (report) => send({ kind: 'done', report }),
      (e) => {
        const err = e as Error & { cause?: Error };
        send({ kind: 'failed', reader: job.reader, message: `${err.message}\n${err.cause ? `cause: ${err.cause.message}\n` : ''}` });
      },
    );
  });
}

function merge(into: FuzzReport, r: FuzzReport): void {
  into.runs += r.runs;
  Object.assign(into.byReader, r.byReader);
  if (r.worst.ms > into.worst.ms) Object.assign(into.worst, { ms: r.worst.ms, case: r.worst.case });
  if (r.worst.parseMs > into.worst.parseMs) Object.assign(into.worst, { parseMs: r.worst.parseMs, parseCase: r.worst.parseCase });
  into.worst.wallMs = Math.max(into.worst.wallMs, r.worst.wallMs);
}

async function main(): Promise<void> {
  const total = Number(arg('--runs') ?? 10000);
  const readers = arg('--reader')?.split(',') ?? [...new Set(seeds().map((s) => s.reader))].sort();
  const perReader = Math.ceil(total / readers.length);
  const seed = arg('--seed') !== undefined ? Number(arg('--seed')) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const limitMs = Number(arg('--limit-ms') ?? 1000);
  const workers = Math.max(1, Math.min(readers.length, Number(arg('--workers') ?? 2)));
  const t0 = Date.now();
  const secs = () => ((Date.now() - t0) / 1000).toFixed(0);
  process.stdout.write(`fuzz: ${perReader} cases for each of ${readers.join(', ')} (${perReader * readers.length} in all), seed ${seed}, CPU limit ${limitMs} ms per case, ${workers} worker process${workers === 1 ? '' : 'es'}\n`);
  const report: FuzzReport = { runs: 0, seed, byReader: {}, worst: { ms: 0, case: '', wallMs: 0, parseMs: 0, parseCase: '' } };
  const queue = [...readers];
  const failures: string[] = [];
  const threads: ChildProcess[] = Array.from({ length: workers }, () => fork(__filename, ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  await Promise.all(
    threads.map(
      (w) =>
        new Promise<void>((resolve) => {
          const next = () => {
            const reader = failures.length ? undefined : queue.shift();
            if (reader === undefined) {
              w.send('stop');
              return;
            }
            w.send({ reader, runs: perReader, seed, limitMs } satisfies Job);
          };
          w.on('message', (m: FromWorker) => {
            if (m.kind === 'progress') process.stdout.write(`  ${m.reader}: ${m.done} cases (${secs()} s)\n`);
            else if (m.kind === 'done') {
              merge(report, m.report);
              next();
            } else {
              failures.push(`${m.reader}: ${m.message}`);
              next();
            }
          });
          w.on('error', (e) => {
            failures.push(`worker process: ${e.stack ?? e.message}`);
            resolve();
          });
          w.on('exit', (code, signal) => {
            if (code !== 0) failures.push(`worker process exited with ${signal ?? `code ${code}`}`);
            resolve();
          });
          next();
        }),
    ),
  );
  if (failures.length) {
    process.stderr.write(`seed ${seed}: ${report.runs} cases passed before the failure (replay one reader with --reader NAME --seed ${seed} --runs ${perReader} --workers 1)\n${failures.join('\n')}`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`seed ${seed}: ${report.runs} cases passed in ${secs()} s; no throw, no internal error, no malformed result, none over ${limitMs} ms of CPU outside the parser, none over the 10 s hang guard\n`);
  for (const r of readers) {
    const s = report.byReader[r];
    process.stdout.write(`  ${r.padEnd(16)} ${String(s.runs).padStart(6)} cases, worst ${s.worstMs.toFixed(0)} ms CPU outside the parser: ${s.worstCase}\n    ${s.worstMutations}\n    worst parse ${s.worstParseMs.toFixed(0)} ms CPU: ${s.worstParseCase}; worst wall clock ${s.worstWallMs.toFixed(0)} ms\n`);
  }
  process.stdout.write(`worst case outside the parser: ${report.worst.ms.toFixed(0)} ms CPU (${report.worst.case})\nworst tree-sitter parse: ${report.worst.parseMs.toFixed(0)} ms CPU (${report.worst.parseCase}); worst wall clock ${report.worst.wallMs.toFixed(0)} ms\n`);
}

if (process.argv.includes('--serve') && process.send) serve();
else
  main().catch((e) => {
    const err = e as Error & { cause?: Error };
    process.stderr.write(`${err.message}\n${err.cause ? `cause: ${err.cause.message}\n` : ''}`);
    process.exitCode = 1;
  });
