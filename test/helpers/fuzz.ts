// Property-based robustness of the engine: the fixture files, mutated at random (byte flips,
// truncation, deleted and duplicated lines, huge literals, deep nesting, invalid UTF-8, CRLF, BOM,
// tabs, 10k-argument calls), go through check() in a copy of their fixture workspace. Each run must
// not throw, must not report an internal error (a detector or rule that threw and was caught),
// must finish a file within a second, and must return a result of valid shape. Shared by the
// bounded run in `npm test` (test/fuzz.test.ts) and the long one (`npm run fuzz`).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { check, DETECTORS, TEXT_DETECTORS, type CheckResult } from '../../server/src/engine';
import { isEnvFile, languageOf } from '../../server/src/engine/workspace';
import { parseClock } from '../../server/src/engine/syntax';
import { isComposeFile } from '../../server/src/engine/deployment';
import type { Span } from '../../server/src/engine/model';
import { FIXTURES } from './fixtures';

/** One fixture file the fuzzer mutates, and the reader that routes it (a detector id, 'env', 'compose', 'manifest'). */
export interface Seed {
  reader: string;
  /** The fixture's input folder. */
  input: string;
  /** The file, relative to the input folder. */
  rel: string;
}

/** Every file of every fixture input, with what reads it; files nothing reads are left out. */
export function seeds(): Seed[] {
  const out: Seed[] = [];
  for (const rule of fs.readdirSync(FIXTURES).sort()) {
    const rdir = path.join(FIXTURES, rule);
    if (!fs.statSync(rdir).isDirectory()) continue;
    for (const name of fs.readdirSync(rdir).sort()) {
      const input = path.join(rdir, name, 'input');
      if (!fs.existsSync(input)) continue;
      for (const rel of listFiles(input)) {
        const file = path.join(input, rel);
        const text = fs.readFileSync(file, 'utf8');
        for (const reader of readersOf(file, text)) out.push({ reader, input, rel });
      }
    }
  }
  return out;
}

function readersOf(file: string, text: string): string[] {
  const base = path.basename(file);
  const lang = languageOf(file);
  const out: string[] = [];
  if (lang) for (const d of DETECTORS) if (d.languages.includes(lang) && d.prefilter.test(text)) out.push(d.id);
  if (!lang) for (const t of TEXT_DETECTORS) if (t.matches(file, text) && t.prefilter.test(text)) out.push(t.id);
  if (isEnvFile(base)) out.push('env');
  if (isComposeFile(file)) out.push('compose');
  if (/^(package\.json|Cargo\.(toml|lock)|pyproject\.toml|requirements[\w.-]*\.txt|gunicorn\.conf\.py|poollint\.config\.json|\.poollintrc\.json)$/.test(base)) out.push('manifest');
  return out;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.isFile()) out.push(path.relative(dir, f));
    }
  };
  walk(dir);
  return out.sort();
}

/** One edit to a file's bytes; positions are fractions of the length, so any edit fits any file. */
export type Mutation =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'deleteLine'; at: number }
  | { kind: 'duplicateLine'; at: number; times: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'hugeLiteral'; at: number; form: number; size: number }
  | { kind: 'nest'; at: number; form: number; depth: number }
  | { kind: 'invalidUtf8'; at: number; bytes: number[] }
  | { kind: 'crlf' }
  | { kind: 'bom' }
  | { kind: 'tabs' }
  | { kind: 'manyArgs'; at: number; form: number; count: number };

/** Tokens the detectors look for, and the characters that open and close things in their languages. */
const TOKENS = [
  'create_engine(', 'create_async_engine(', 'pool_size=', 'max_overflow=', 'os.getenv("', 'os.environ["', 'int(', 'new Pool({', 'max:', 'process.env.',
  'PgPoolOptions::new()', '.max_connections(', 'Duration::from_secs(', 'sqlite3.connect(', 'aiosqlite.connect(', 'new Database(', 'PRAGMA journal_mode=WAL',
  'connection_pool:', 'pool:', '  max_connections: ', '${DB_POOL:-', '&anchor ', '*anchor', '<<: *anchor', '---\n', 'export ', '="', "='", '`', '"""', "'''",
  '\\', '#', '//', '/*', '*/', '{', '}', '(', ')', '[', ']', ',', ':', '=', '\n', '\r', '\t', ' ', '\0', '\u2028', '\ud800', '\u{1f600}', 'é', 'ß',
  'deploy:\n  replicas: ', 'command: gunicorn -w ', 'max_connections=', 'DATABASE_URL=postgresql://u:p@h/d', 'use sqlx::', "require('pg')", "from 'pg'",
];

const at = fc.double({ min: 0, max: 1, noNaN: true });
export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at, byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at }),
  fc.record({ kind: fc.constant('deleteLine' as const), at }),
  fc.record({ kind: fc.constant('duplicateLine' as const), at, times: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('insert' as const), at, text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 })) }),
  fc.record({ kind: fc.constant('hugeLiteral' as const), at, form: fc.nat(5), size: fc.integer({ min: 1000, max: 300_000 }) }),
  fc.record({ kind: fc.constant('nest' as const), at, form: fc.nat(5), depth: fc.integer({ min: 10, max: 5000 }) }),
  fc.record({ kind: fc.constant('invalidUtf8' as const), at, bytes: fc.array(fc.constantFrom(0xff, 0xfe, 0xc0, 0xc3, 0xe2, 0x80, 0xed, 0xa0, 0xf0, 0x9f), { minLength: 1, maxLength: 4 }) }),
  fc.constant({ kind: 'crlf' as const }),
  fc.constant({ kind: 'bom' as const }),
  fc.constant({ kind: 'tabs' as const }),
  fc.record({ kind: fc.constant('manyArgs' as const), at, form: fc.nat(3), count: fc.integer({ min: 100, max: 10_000 }) }),
);
export const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 4 });

const pos = (len: number, f: number) => Math.min(len, Math.floor(f * (len + 1)));

function lineBounds(buf: Buffer, f: number): [number, number] {
  const p = pos(buf.length, f);
  let s = p;
  while (s > 0 && buf[s - 1] !== 10) s--;
  let e = p;
  while (e < buf.length && buf[e] !== 10) e++;
  return [s, Math.min(buf.length, e + 1)];
}

const splice = (buf: Buffer, at: number, del: number, ins: Buffer | string) => Buffer.concat([buf.subarray(0, at), typeof ins === 'string' ? Buffer.from(ins) : ins, buf.subarray(at + del)]);

export function applyMutation(buf: Buffer, m: Mutation): Buffer {
  switch (m.kind) {
    case 'flip': {
      if (buf.length === 0) return Buffer.from([m.byte]);
      const out = Buffer.from(buf);
      out[Math.min(buf.length - 1, pos(buf.length, m.at))] = m.byte;
      return out;
    }
    case 'truncate':
      return buf.subarray(0, pos(buf.length, m.at));
    case 'deleteLine': {
      const [s, e] = lineBounds(buf, m.at);
      return splice(buf, s, e - s, '');
    }
    case 'duplicateLine': {
      const [s, e] = lineBounds(buf, m.at);
      const line = buf.subarray(s, e);
      return splice(buf, e, 0, Buffer.concat(Array.from({ length: m.times }, () => line)));
    }
    case 'insert':
      return splice(buf, pos(buf.length, m.at), 0, m.text);
    case 'hugeLiteral': {
      const forms = [
        () => '9'.repeat(m.size),
        () => `"${'x'.repeat(m.size)}"`,
        () => `'${'y'.repeat(m.size)}`,
        () => `1${'0'.repeat(m.size)}.5e${m.size}`,
        () => `postgresql://u:${'p'.repeat(m.size)}@h/d`,
        () => 'a'.repeat(m.size),
      ];
      return splice(buf, pos(buf.length, m.at), 0, forms[m.form % forms.length]());
    }
    case 'nest': {
      const d = m.depth;
      const forms = [
        () => '('.repeat(d) + '1' + ')'.repeat(d),
        () => '['.repeat(d) + ']'.repeat(d),
        () => '{'.repeat(d) + '}'.repeat(d),
        () => Array.from({ length: Math.min(d, 1000) }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + '\n',
        () => 'f('.repeat(d) + ')'.repeat(d),
        () => '('.repeat(d),
      ];
      return splice(buf, pos(buf.length, m.at), 0, forms[m.form % forms.length]());
    }
    case 'invalidUtf8':
      return splice(buf, pos(buf.length, m.at), 0, Buffer.from(m.bytes));
    case 'crlf':
      return Buffer.from(buf.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), buf]);
    case 'tabs':
      return Buffer.from(buf.toString('latin1').replace(/^( {2})+/gm, (s) => '\t'.repeat(s.length / 2)), 'latin1');
    case 'manyArgs': {
      // inside the first call's parentheses when there is one, else a new call at the position
      const text = buf.toString('latin1');
      const open = text.indexOf('(', pos(text.length, m.at));
      const args = [
        () => 'x, '.repeat(m.count),
        () => Array.from({ length: m.count }, (_, i) => `a${i}=${i}`).join(', ') + ', ',
        () => 'max: 1, '.repeat(m.count),
        () => '*args, **kw, '.repeat(m.count),
      ][m.form % 4]();
      if (open >= 0) return splice(buf, open + 1, 0, args);
      return splice(buf, pos(buf.length, m.at), 0, `\ncreate_engine(${args})\n`);
    }
  }
}

export function mutate(buf: Buffer, ms: Mutation[]): Buffer {
  let out = buf;
  for (const m of ms) {
    out = applyMutation(out, m);
    // keep a file under the walk's 2 MB limit so it is read, not skipped
    if (out.length > 1_900_000) out = out.subarray(0, 1_900_000);
  }
  return out;
}

/**
 * A copy of each fixture's input, made once, in which one file at a time is overwritten. The
 * mutated file stays until a case needs another file of the same copy, which puts it back first
 * (one write per case instead of two; the next case of the same file overwrites it anyway).
 */
export class Sandbox {
  private readonly base = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-fuzz-'));
  private readonly copies = new Map<string, string>();
  private readonly originals = new Map<string, Buffer>();
  /** Per copy, the file a case left mutated and its original bytes. */
  private readonly mutated = new Map<string, { file: string; original: Buffer }>();

  /** Writes `bytes` over the seed's file in its copy, after restoring any other file a case left mutated there. */
  write(seed: Seed, bytes: Buffer): string {
    const dir = this.workspace(seed.input);
    const file = path.join(dir, seed.rel);
    const left = this.mutated.get(dir);
    if (left && left.file !== file) fs.writeFileSync(left.file, left.original);
    fs.writeFileSync(file, bytes);
    this.mutated.set(dir, { file, original: this.original(seed) });
    return file;
  }

  workspace(input: string): string {
    let dir = this.copies.get(input);
    if (!dir) {
      dir = path.join(this.base, String(this.copies.size));
      fs.cpSync(input, dir, { recursive: true });
      this.copies.set(input, dir);
    }
    return dir;
  }

  original(seed: Seed): Buffer {
    const key = path.join(seed.input, seed.rel);
    let b = this.originals.get(key);
    if (!b) {
      b = fs.readFileSync(key);
      this.originals.set(key, b);
    }
    return b;
  }

  dispose(): void {
    fs.rmSync(this.base, { recursive: true, force: true });
  }
}

export interface CaseResult {
  /** CPU time of the check (user + system) outside tree-sitter's parse, ms. */
  ms: number;
  /** CPU time inside tree-sitter's parse, ms. */
  parseMs: number;
  wall: number;
  seed: Seed;
  bytes: number;
}

/** Readers that are tree-sitter detectors: their file is checked on its own (as `pool-lint check <file>`). */
const TREE_READERS = new Set(DETECTORS.map((d) => d.id));

/**
 * Runs one mutated case and checks the properties; throws (with the reason) when one fails. A
 * detector's file is checked on its own through the CLI's entry point (`check` with the file as
 * its path and the fixture as root, as `pool-lint check <file> --root <fixture>`): its .env files,
 * manifests and imported modules are still read from the fixture, but the fixture's other sources
 * are not parsed again every case. A file that changes what other files mean (.env, compose, a
 * manifest, YAML config and Prisma schemas, which text detectors link to the code) is checked with
 * its whole fixture.
 */
export async function runCase(box: Sandbox, seed: Seed, ms: Mutation[], limitMs = 1000, hangMs = 10_000): Promise<CaseResult> {
  const dir = box.workspace(seed.input);
  const mutated = mutate(box.original(seed), ms);
  const file = box.write(seed, mutated);
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const p0 = parseClock.ms;
  let result: CheckResult;
  try {
    result = await check(TREE_READERS.has(seed.reader) ? { root: dir, paths: [file] } : { root: dir });
  } catch (e) {
    throw new Error(`check() threw on ${seed.rel} of ${seed.input}: ${(e as Error).stack}`);
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  // the limit holds for CPU time (on a shared machine the wall clock also counts other
  // processes) spent outside tree-sitter's parse, whose error recovery no callback can cut short
  // on some inputs; that time is bounded by the hang guard only, and reported
  const cpu = (c.user + c.system) / 1000;
  const parse = parseClock.ms - p0;
  const engine = cpu - parse;
  const where = `${seed.rel} of ${seed.input}`;
  if (engine > limitMs) throw new Error(`check() took ${engine.toFixed(0)} ms of CPU outside the parser (${parse.toFixed(0)} ms parsing, ${wall.toFixed(0)} ms wall) on ${where} (limit ${limitMs} ms)`);
  if (cpu > hangMs) throw new Error(`check() took ${cpu.toFixed(0)} ms of CPU (${parse.toFixed(0)} ms parsing) on ${where} (hang guard ${hangMs} ms)`);
  validate(result, dir);
  if (TREE_READERS.has(seed.reader) && !result.stats.files) throw new Error(`check() read no file for ${where}`);
  return { ms: engine, parseMs: parse, wall, seed, bytes: mutated.length };
}

const SETTING_SOURCES = new Set(['literal', 'env', 'default', 'unknown']);
const SEVERITIES = new Set(['info', 'warning', 'error']);
const KINDS = new Set(['postgresql', 'sqlite', 'mysql', 'unknown']);

/** The result's shape: every pool, finding, edit and problem well formed, nothing internal leaked. */
export function validate(r: CheckResult, root: string): void {
  const fail = (what: string, v: unknown) => {
    throw new Error(`invalid result: ${what}: ${JSON.stringify(v, (_k, x) => (typeof x === 'string' && x.length > 200 ? x.slice(0, 200) + '...' : x))?.slice(0, 600)}`);
  };
  const texts = new Map<string, string>();
  const textOf = (file: string) => {
    if (!texts.has(file)) {
      let t = '';
      try {
        t = fs.readFileSync(file, 'utf8');
        if (t.charCodeAt(0) === 0xfeff) t = t.slice(1);
      } catch {
        t = '';
      }
      texts.set(file, t);
    }
    return texts.get(file)!;
  };
  const int = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  const span = (s: Span | undefined, what: string) => {
    if (!s || typeof s.file !== 'string' || !path.isAbsolute(s.file)) fail(`${what} span file`, s);
    if (![s!.start, s!.end, s!.line, s!.column, s!.endLine, s!.endColumn].every(int) || s!.start > s!.end) fail(`${what} span numbers`, s);
    const len = textOf(s!.file).length;
    if (s!.end > len) fail(`${what} span past the end of ${s!.file} (${len})`, s);
  };
  if (!Array.isArray(r.pools) || !Array.isArray(r.findings) || !Array.isArray(r.problems)) fail('lists', Object.keys(r));
  for (const p of r.pools) {
    if (typeof p.id !== 'string' || typeof p.library !== 'string' || typeof p.constructor !== 'string' || typeof p.async !== 'boolean') fail('pool header', p);
    if (!p.file.startsWith(root)) fail('pool file outside the workspace', p.file);
    span(p.span, 'pool');
    if (!p.profiles || typeof p.profiles !== 'object') fail('pool profiles', p.profiles);
    for (const [name, prof] of Object.entries(p.profiles)) {
      if (prof.profile !== name) fail('profile name', prof.profile);
      if (!KINDS.has(prof.database?.kind) || typeof prof.database.how !== 'string') fail('database', prof.database);
      if (!Array.isArray(prof.envFiles)) fail('envFiles', prof.envFiles);
      for (const [k, s] of Object.entries(prof.settings)) {
        if (!SETTING_SOURCES.has(s.source)) fail(`setting ${k} source`, s);
        const v = s.value;
        if (!(v === undefined || v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && !Number.isNaN(v)))) fail(`setting ${k} value`, s);
        if (s.span) span(s.span, `setting ${k}`);
      }
      if (prof.insertTarget) span(prof.insertTarget.span, 'insert target');
    }
    if (!Array.isArray(p.differsBetweenProfiles)) fail('differsBetweenProfiles', p.differsBetweenProfiles);
  }
  for (const f of r.findings) {
    if (f.rule === 'internal-error') fail('a rule threw', f.message);
    if (typeof f.rule !== 'string' || !SEVERITIES.has(f.severity) || typeof f.message !== 'string' || f.message.length === 0) fail('finding', f);
    if (!(f.profile === null || typeof f.profile === 'string')) fail('finding profile', f);
    span(f.span, `finding ${f.rule}`);
    for (const rel of f.related ?? []) span(rel.span, `related of ${f.rule}`);
    if (f.fix) {
      const byFile = new Map<string, [number, number][]>();
      for (const e of f.fix.edits) {
        const len = textOf(e.file).length;
        if (!int(e.start) || !int(e.end) || e.start > e.end || e.end > len || typeof e.newText !== 'string') fail(`fix edit of ${f.rule} (file length ${len})`, e);
        byFile.set(e.file, [...(byFile.get(e.file) ?? []), [e.start, e.end]]);
      }
      for (const [file, ranges] of byFile) {
        ranges.sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < ranges.length; i++) if (ranges[i][0] < ranges[i - 1][1]) fail(`overlapping edits of ${f.rule} in ${file}`, ranges);
      }
    }
  }
  for (const p of r.problems) {
    if (typeof p.file !== 'string' || typeof p.message !== 'string' || p.message.length === 0) fail('problem', p);
    if (/internal error/i.test(p.message)) fail('a detector threw', p);
    if ((p.line !== undefined && !int(p.line)) || (p.column !== undefined && !int(p.column))) fail('problem position', p);
  }
}

export interface FuzzReport {
  runs: number;
  /** fast-check's seed: the same seed and runs give the same cases. */
  seed: number;
  byReader: Record<string, { runs: number; worstMs: number; worstWallMs: number; worstParseMs: number; worstCase?: string; worstMutations?: string; worstParseCase?: string }>;
  /** The slowest case by engine CPU time, the slowest parse, and the slowest wall clock seen. */
  worst: { ms: number; case: string; wallMs: number; parseMs: number; parseCase: string };
}

/** Runs `runs` cases per reader (a detector, env, compose, manifest); throws on the first failing case with its counterexample. */
export async function fuzz(opts: { runs: number; seed?: number; readers?: string[]; limitMs?: number; hangMs?: number; onProgress?: (reader: string, done: number) => void }): Promise<FuzzReport> {
  const all = seeds();
  const readers = opts.readers ?? [...new Set(all.map((s) => s.reader))].sort();
  const box = new Sandbox();
  const seed = opts.seed ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const report: FuzzReport = { runs: 0, seed, byReader: {}, worst: { ms: 0, case: '', wallMs: 0, parseMs: 0, parseCase: '' } };
  try {
    for (const reader of readers) {
      const mine = all.filter((s) => s.reader === reader);
      if (mine.length === 0) throw new Error(`no fixture file is read by ${reader}`);
      const stat = (report.byReader[reader] = { runs: 0, worstMs: 0, worstWallMs: 0, worstParseMs: 0 } as FuzzReport['byReader'][string]);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...mine), mutationsArb, async (s, ms) => {
          const r = await runCase(box, s, ms, opts.limitMs, opts.hangMs);
          const label = `${path.relative(FIXTURES, s.input)}/${s.rel} (${r.bytes} bytes, ${ms.map((m) => m.kind).join('+')})`;
          if (r.parseMs > stat.worstParseMs) {
            stat.worstParseMs = r.parseMs;
            stat.worstParseCase = label;
          }
          if (r.parseMs > report.worst.parseMs) report.worst = { ...report.worst, parseMs: r.parseMs, parseCase: `${reader}: ${label}` };
          stat.runs++;
          report.runs++;
          if (r.ms > stat.worstMs) {
            stat.worstMs = r.ms;
            stat.worstCase = label;
            stat.worstMutations = JSON.stringify(ms, (_k, v) => (typeof v === 'string' && v.length > 80 ? `${v.slice(0, 80)}...` : v));
          }
          if (r.ms > report.worst.ms) report.worst = { ...report.worst, ms: r.ms, case: `${reader}: ${stat.worstCase}` };
          stat.worstWallMs = Math.max(stat.worstWallMs, r.wall);
          report.worst.wallMs = Math.max(report.worst.wallMs, r.wall);
          if (opts.onProgress && stat.runs % 500 === 0) opts.onProgress(reader, stat.runs);
        }),
        { numRuns: opts.runs, seed, endOnFailure: true },
      );
    }
  } finally {
    box.dispose();
  }
  return report;
}
