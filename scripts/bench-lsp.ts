// `npm run bench:lsp`: the language server as an editor meets it.
//
//   npm run bench:lsp [-- --files 10000] [--edits 200] [--lines 5000] [--keep] [--cpu-prof DIR]
//
// Writes a synthetic workspace (scripts/synth-workspace.ts) of --files files plus one Python
// module of --lines lines that constructs a pool, starts `node dist/server.js --stdio` on it and
// prints:
//   first diagnostics   initialize sent -> the first textDocument/publishDiagnostics (wall clock);
//   scan                initialize sent -> the scan's end (the poolLint/status that says so), and
//                       the server's own figure for the scan;
//   RSS after scan      the server process's resident set (/proc/<pid>/status VmRSS) once the scan ended;
//   re-diagnose         after each one-character edit of the 5k-line file (a letter typed, then
//                       deleted again), --edits of them per model: typed "anywhere" (a non-blank
//                       character picked uniformly: identifiers, strings, comments, keywords as
//                       they come) and at the "line start" (before the first letter of a random
//                       line: mostly `def`/`return`, so mostly syntax errors, the worst case): the
//                       server-side time from the didChange notification's arrival to the
//                       diagnostics being sent, wall clock and the server's CPU time (both reported
//                       in poolLint/status), median and p95, overall and split by whether the edit
//                       stayed inside a token no detector read (pools kept) or the file was
//                       detected again; and the round trip the client sees.
// Targets: median re-diagnose <= 5 ms server-side, RSS <= 150 MB. Printed, never asserted.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver-protocol/node';
import { synthWorkspace } from './synth-workspace';

const REPO = path.resolve(__dirname, '..', '..');
const SERVER = path.join(REPO, 'dist', 'server.js');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs: number[]) => pct(xs, 50);
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;

/** A Python module of about `lines` lines: a pool near the top, then ordinary code. */
function bigModule(lines: number): string {
  const out = ['import os', '', 'from sqlalchemy import create_engine', '', 'engine = create_engine(', '    os.getenv("DATABASE_URL", "postgresql://app@db/app"),', '    pool_size=5,', '    max_overflow=10,', '    pool_pre_ping=True,', ')', ''];
  let i = 0;
  while (out.length < lines) {
    out.push(`def handler_${i}(request, limit=${i % 50}):`, `    """Serve request ${i}."""`, `    items = [x for x in request.items if x.id % ${(i % 7) + 2} == 0]`, `    # keep at most limit items`, `    return items[:limit]`, '');
    i++;
  }
  return out.join('\n') + '\n';
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

async function main(): Promise<void> {
  const files = arg('--files', 10000);
  const edits = arg('--edits', 200);
  const lines = arg('--lines', 5000);
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-bench-lsp-')));
  const synth = synthWorkspace(dir, { files });
  const big = path.join(dir, 'services', 'big', 'handlers.py');
  fs.mkdirSync(path.dirname(big), { recursive: true });
  fs.writeFileSync(big, bigModule(lines));
  const bigLines = fs.readFileSync(big, 'utf8').split('\n').length - 1;
  console.log(`workspace: ${synth.files + 1} files (${(synth.bytes / 1e6).toFixed(1)} MB, ${synth.poolFiles.length + 1} with a pool), plus a ${bigLines}-line Python module`);

  // --cpu-prof DIR: the server writes a V8 CPU profile there when it exits (open it in Chrome DevTools)
  const profIndex = process.argv.indexOf('--cpu-prof');
  const nodeArgs = profIndex >= 0 ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.argv[profIndex + 1])}`] : [];
  const proc = spawn(process.execPath, [...nodeArgs, SERVER, '--stdio'], { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
  let firstDiagnostics: number | undefined;
  let scanEnd: number | undefined;
  let scanServerMs: number | undefined;
  const statuses: { elapsedMs: number; cpuMs?: number; analysed: number; kept: number; at: number; scanning: boolean }[] = [];
  let onStatus: (() => void) | undefined;
  const t0 = performance.now();
  conn.onNotification('textDocument/publishDiagnostics', () => {
    firstDiagnostics ??= performance.now() - t0;
  });
  conn.onNotification('poolLint/status', (s: { elapsedMs: number; cpuMs?: number; analysed: number; kept: number; scanning: boolean }) => {
    const at = performance.now();
    if (!s.scanning && scanEnd === undefined) {
      scanEnd = at - t0;
      scanServerMs = s.elapsedMs;
    } else statuses.push({ ...s, at });
    onStatus?.();
  });
  conn.onNotification('window/logMessage', () => undefined);
  conn.onNotification('$/progress', () => undefined);
  conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => ({})));
  conn.onRequest('client/registerCapability', () => null);
  conn.onRequest('window/workDoneProgress/create', () => null);
  conn.listen();
  const root = pathToFileURL(dir).href;
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: root,
    workspaceFolders: [{ uri: root, name: 'bench' }],
    capabilities: { workspace: { configuration: true, didChangeWatchedFiles: { dynamicRegistration: true } }, window: { workDoneProgress: true } },
  });
  await conn.sendNotification('initialized', {});
  const waitStatus = (test: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no status from the server within 600 s')), 600_000);
      const check = () => {
        if (test()) {
          clearTimeout(timer);
          onStatus = undefined;
          resolve();
        }
      };
      onStatus = check;
      check();
    });
  await waitStatus(() => scanEnd !== undefined);
  // let the scan's garbage be collected as it would be in an idle editor
  await new Promise((r) => setTimeout(r, 1500));
  const rss = rssMb(proc.pid!);

  // one-character edits in the middle of the big module: type a character, then delete it
  const uri = pathToFileURL(big).href;
  const text = fs.readFileSync(big, 'utf8');
  let version = 1;
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version, text } });
  await waitStatus(() => statuses.length > 0);
  const textLines = text.split('\n');
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  /** Where the next letter is typed: anywhere (a non-blank character picked uniformly), or before the first letter of a line. */
  const pickers: Record<string, () => { line: number; character: number }> = {
    anywhere: () => {
      for (;;) {
        const line = Math.floor(rnd() * (textLines.length - 1));
        const l = textLines[line];
        if (!l.trim()) continue;
        const character = Math.floor(rnd() * l.length);
        if (l[character] !== ' ') return { line, character };
      }
    },
    'line start': () => {
      for (;;) {
        const line = Math.floor(rnd() * (textLines.length - 1));
        const character = textLines[line].search(/[A-Za-z]/);
        if (character >= 0) return { line, character };
      }
    },
  };
  type Sample = { wall: number; cpu: number; kept: boolean; roundTrip: number };
  const samples: Record<string, Sample[]> = {};
  let pending: { line: number; character: number } | undefined;
  for (const [model, pick] of Object.entries(pickers)) {
    const out: Sample[] = (samples[model] = []);
    for (let i = 0; i < edits; i++) {
      let change;
      if (pending) {
        // delete the letter typed last time
        change = { range: { start: pending, end: { line: pending.line, character: pending.character + 1 } }, text: '' };
        const l = textLines[pending.line];
        textLines[pending.line] = l.slice(0, pending.character) + l.slice(pending.character + 1);
        pending = undefined;
      } else {
        const { line, character } = pick();
        change = { range: { start: { line, character }, end: { line, character } }, text: 'x' };
        textLines[line] = textLines[line].slice(0, character) + 'x' + textLines[line].slice(character);
        pending = { line, character };
      }
      const seen = statuses.length;
      const sent = performance.now();
      version++;
      await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [change] });
      await waitStatus(() => statuses.length > seen);
      const s = statuses[statuses.length - 1];
      out.push({ wall: s.elapsedMs, cpu: s.cpuMs ?? NaN, kept: s.kept > 0, roundTrip: s.at - sent });
    }
  }
  const analysed = new Set(statuses.slice(1).map((s) => s.analysed));
  const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`first diagnostics:  ${ms(firstDiagnostics ?? NaN)} after initialize`);
  console.log(`scan:               ${ms(scanEnd!)} after initialize (server: ${ms(scanServerMs!)})`);
  console.log(`RSS after scan:     ${rss.toFixed(0)} MB (target <= 150 MB)`);
  console.log(`re-diagnose, one-character edits of the ${bigLines}-line file (a letter typed, then deleted; files analysed per edit: ${[...analysed].join(', ')}; load average ${load}):`);
  const line = (label: string, xs: Sample[]) => {
    const wall = xs.map((x) => x.wall);
    const cpu = xs.map((x) => x.cpu);
    return `${label.padEnd(18)}${String(xs.length).padStart(4)} edits: server-side median ${ms(median(wall))}, p95 ${ms(pct(wall, 95))}; CPU median ${ms(median(cpu))}, p95 ${ms(pct(cpu, 95))}`;
  };
  for (const [model, xs] of Object.entries(samples)) {
    console.log(`  typed ${model}:`);
    console.log(`    ${line('all', xs)} (target: median <= 5 ms)`);
    const kept = xs.filter((x) => x.kept);
    const detected = xs.filter((x) => !x.kept);
    if (kept.length) console.log(`    ${line('pools kept', kept)}`);
    if (detected.length) console.log(`    ${line('detected again', detected)}`);
    const rt = xs.map((x) => x.roundTrip);
    console.log(`    client round trip median ${ms(median(rt))}, p95 ${ms(pct(rt, 95))}`);
  }
  await conn.sendRequest('shutdown');
  await conn.sendNotification('exit');
  await new Promise((r) => proc.once('exit', r));
  conn.dispose();
  if (!process.argv.includes('--keep')) fs.rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exitCode = 1;
});
