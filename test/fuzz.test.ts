// Bounded property-based run of test/helpers/fuzz.ts in `npm test`: every reader of the engine (each
// detector, .env files, compose files, manifests) on mutated fixture files. The long run is
// `npm run fuzz -- --runs 100000`; it holds each case to one second of CPU, which this suite, on a
// shared CI machine, only reports (here a case fails past a ten-second hang guard).
import * as assert from 'assert';
import { DETECTORS, TEXT_DETECTORS } from '../server/src/engine';
import { fuzz, seeds, mutate, applyMutation, type Mutation } from './helpers/fuzz';

const RUNS_PER_READER = Number(process.env.POOL_LINT_FUZZ_RUNS ?? 25);

describe('fuzz: mutated fixture files never crash, hang or return a malformed result', function () {
  this.timeout(120_000);

  it('every detector reads at least one fixture file the fuzzer mutates', () => {
    const readers = new Set(seeds().map((s) => s.reader));
    for (const d of [...DETECTORS, ...TEXT_DETECTORS]) assert.ok(readers.has(d.id), `no fixture file is read by ${d.id}`);
    for (const r of ['env', 'compose', 'manifest']) assert.ok(readers.has(r), `no fixture file is a ${r} file`);
  });

  it('the mutations do what they say (so the property covers those inputs)', () => {
    const src = Buffer.from('a = f(1)\n  b = 2\n');
    const apply = (m: Mutation) => applyMutation(src, m).toString('latin1');
    assert.strictEqual(apply({ kind: 'crlf' }), 'a = f(1)\r\n  b = 2\r\n');
    assert.strictEqual(apply({ kind: 'tabs' }), 'a = f(1)\n\tb = 2\n');
    assert.strictEqual(apply({ kind: 'bom' }).slice(0, 3), '\xef\xbb\xbf');
    assert.strictEqual(apply({ kind: 'truncate', at: 0.5 }).length, 9);
    assert.strictEqual(apply({ kind: 'deleteLine', at: 0 }), '  b = 2\n');
    assert.strictEqual(apply({ kind: 'duplicateLine', at: 0, times: 2 }), 'a = f(1)\na = f(1)\na = f(1)\n  b = 2\n');
    assert.strictEqual((apply({ kind: 'manyArgs', at: 0, form: 0, count: 10_000 }).match(/x, /g) ?? []).length, 10_000);
    assert.ok(apply({ kind: 'manyArgs', at: 0, form: 0, count: 3 }).startsWith('a = f(x, x, x, 1)'));
    assert.ok(apply({ kind: 'nest', at: 1, form: 0, depth: 5000 }).includes('('.repeat(5000) + '1' + ')'.repeat(5000)));
    assert.ok(!Buffer.from(applyMutation(src, { kind: 'invalidUtf8', at: 0, bytes: [0xff] }).toString('utf8')).equals(applyMutation(src, { kind: 'invalidUtf8', at: 0, bytes: [0xff] })));
    assert.ok(mutate(src, [{ kind: 'hugeLiteral', at: 0, form: 0, size: 3_000_000 }]).length <= 1_900_000);
  });

  it(`${RUNS_PER_READER} mutated cases per reader pass (worst time per case reported)`, async () => {
    const t0 = Date.now();
    const report = await fuzz({ runs: RUNS_PER_READER, limitMs: 10_000, hangMs: 10_000 });
    const lines = Object.entries(report.byReader).map(([r, s]) => `      ${r.padEnd(16)} ${String(s.runs).padStart(5)} runs, worst ${s.worstMs.toFixed(0)} ms CPU + ${s.worstParseMs.toFixed(0)} ms parsing (${s.worstWallMs.toFixed(0)} ms wall): ${s.worstCase}`);
    console.log(`      seed ${report.seed}: ${report.runs} cases in ${((Date.now() - t0) / 1000).toFixed(1)} s; worst ${report.worst.ms.toFixed(0)} ms CPU (${report.worst.case})\n${lines.join('\n')}`);
    assert.strictEqual(report.runs, RUNS_PER_READER * Object.keys(report.byReader).length);
  });
});
