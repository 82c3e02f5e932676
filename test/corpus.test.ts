// Recall and precision on real public code (test/corpus/): each repository folder is checked as its
// own workspace and what the engine finds is compared with the hand-made labels of
// test/corpus/manifest.json: pools by file, line and library; findings by rule, per pool. The floors
// asserted are the figures measured when the labels were made, so a regression fails this test.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { check } from '../server/src/engine';
import type { PoolModel } from '../server/src/engine/model';
import { REPO } from './helpers/fixtures';

const CORPUS = path.join(REPO, 'test', 'corpus');
const FILES = path.join(CORPUS, 'files');
const PERMISSIVE = new Set(['MIT', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', 'ISC', 'MIT OR Apache-2.0']);

interface LabelPool {
  line: number;
  library: string;
  findings: string[];
  why: string;
  settings?: Record<string, number>;
}
interface LabelFile {
  file: string;
  repository: string;
  path: string;
  commit: string;
  license: string;
  kind: string;
  pools: LabelPool[];
}

const manifest = JSON.parse(fs.readFileSync(path.join(CORPUS, 'manifest.json'), 'utf8')) as { files: LabelFile[] };

/** The sqlite-python detector names its pools after the driver; the labels do the same. */
const sameLibrary = (label: string, actual: string) => label === actual;

interface Score {
  tp: number;
  fp: number;
  fn: number;
  misses: string[];
  extras: string[];
}
const score = (): Score => ({ tp: 0, fp: 0, fn: 0, misses: [], extras: [] });
const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

describe('corpus of real public code: recall and precision against hand-made labels', function () {
  this.timeout(300_000);
  const pools = score();
  const findings = score();
  const settings = { agree: 0, total: 0, off: [] as string[] };
  const perRepo: string[] = [];

  before(async () => {
    const repos = [...new Set(manifest.files.map((f) => f.file.split('/')[0]))].sort();
    for (const repo of repos) {
      const root = path.join(FILES, repo);
      const r = await check({ root });
      const rel = (f: string) => `${repo}/${path.relative(root, f).split(path.sep).join('/')}`;
      const byPool = new Map<string, string[]>();
      for (const f of r.findings) byPool.set(f.poolId, [...(byPool.get(f.poolId) ?? []), f.rule]);
      const unmatched = new Set<PoolModel>(r.pools);
      for (const file of manifest.files.filter((f) => f.file.startsWith(`${repo}/`))) {
        for (const label of file.pools) {
          const where = `${file.file}:${label.line}`;
          const hit = r.pools.find((p) => unmatched.has(p) && rel(p.file) === file.file && p.span.line + 1 <= label.line && label.line <= p.span.endLine + 1 && sameLibrary(label.library, p.library));
          if (!hit) {
            pools.fn++;
            pools.misses.push(`${where} ${label.library}`);
            findings.fn += label.findings.length;
            findings.misses.push(...label.findings.map((f) => `${where} ${f} (pool missed)`));
            continue;
          }
          unmatched.delete(hit);
          pools.tp++;
          const actual = new Set(byPool.get(hit.id) ?? []);
          for (const rule of label.findings) {
            if (actual.has(rule)) findings.tp++;
            else {
              findings.fn++;
              findings.misses.push(`${where} ${rule}`);
            }
          }
          for (const rule of actual) {
            if (!label.findings.includes(rule)) {
              findings.fp++;
              findings.extras.push(`${where} ${rule}`);
            }
          }
          // settings: the first profile's value, where the labels say one
          const profile = Object.values(hit.profiles)[0];
          for (const [name, value] of Object.entries(label.settings ?? {})) {
            settings.total++;
            const got = profile?.settings[name]?.value;
            if (got === value) settings.agree++;
            else settings.off.push(`${where} ${name}: labelled ${value}, found ${JSON.stringify(got)} (${profile?.settings[name]?.source ?? 'absent'})`);
          }
        }
      }
      for (const p of unmatched) {
        pools.fp++;
        pools.extras.push(`${rel(p.file)}:${p.span.line + 1} ${p.library}`);
        for (const rule of byPool.get(p.id) ?? []) {
          findings.fp++;
          findings.extras.push(`${rel(p.file)}:${p.span.line + 1} ${rule} (pool not labelled)`);
        }
      }
      const internal = r.problems.filter((p) => /internal error/.test(p.message));
      assert.deepStrictEqual(internal, [], `internal errors in ${repo}`);
      perRepo.push(`${repo}: ${r.pools.length} pools, ${r.findings.length} findings, ${r.problems.length} problems`);
    }
    const line = (name: string, s: Score) => `      ${name}: recall ${pct(ratio(s.tp, s.tp + s.fn))} (${s.tp}/${s.tp + s.fn}), precision ${pct(ratio(s.tp, s.tp + s.fp))} (${s.tp}/${s.tp + s.fp})`;
    console.log(
      [
        `      corpus: ${manifest.files.length} files from ${repos.length} repositories`,
        line('pools', pools),
        line('findings', findings),
        `      settings: ${settings.agree}/${settings.total} labelled values found`,
        ...pools.misses.map((m) => `        missed pool: ${m}`),
        ...pools.extras.map((m) => `        unlabelled pool: ${m}`),
        ...findings.misses.map((m) => `        missed finding: ${m}`),
        ...findings.extras.map((m) => `        unlabelled finding: ${m}`),
        ...settings.off.map((m) => `        setting: ${m}`),
      ].join('\n'),
    );
  });

  it('holds at least 40 real files, each with repository, path, commit and a permissive licence, the licence text beside it', () => {
    assert.ok(manifest.files.length >= 40, `${manifest.files.length} files`);
    for (const f of manifest.files) {
      assert.ok(fs.existsSync(path.join(FILES, f.file)), `${f.file} is missing`);
      assert.ok(PERMISSIVE.has(f.license), `${f.file}: licence ${f.license}`);
      assert.match(f.commit, /^[0-9a-f]{40}$/);
      assert.ok(f.repository && f.path && f.file.endsWith(f.path));
      assert.ok(fs.existsSync(path.join(FILES, f.file.split('/')[0], 'LICENSE.upstream')), `no licence text for ${f.repository}`);
    }
    const kinds = new Set(manifest.files.flatMap((f) => f.pools.map((p) => p.library)));
    for (const lib of ['sqlalchemy', 'sqlx', 'node-postgres', 'knex', 'sequelize', 'sqlite3']) assert.ok(kinds.has(lib), `no ${lib} pool in the corpus`);
    assert.ok(manifest.files.filter((f) => f.pools.length === 0).length >= 10, 'negatives');
    assert.ok(manifest.files.some((f) => f.kind === 'env') && manifest.files.some((f) => f.kind === 'compose') && manifest.files.some((f) => f.kind === 'yaml'));
  });

  // Floors: the figures measured on this corpus (see the printed misses for what is still missed)
  it('pool detection: recall and precision at least their floors', () => {
    assert.ok(ratio(pools.tp, pools.tp + pools.fn) >= POOL_RECALL_FLOOR, `pool recall ${pct(ratio(pools.tp, pools.tp + pools.fn))}: ${pools.misses.join('; ')}`);
    assert.ok(ratio(pools.tp, pools.tp + pools.fp) >= POOL_PRECISION_FLOOR, `pool precision ${pct(ratio(pools.tp, pools.tp + pools.fp))}: ${pools.extras.join('; ')}`);
  });

  it('findings: recall and precision at least their floors', () => {
    assert.ok(ratio(findings.tp, findings.tp + findings.fn) >= FINDING_RECALL_FLOOR, `finding recall ${pct(ratio(findings.tp, findings.tp + findings.fn))}: ${findings.misses.join('; ')}`);
    assert.ok(ratio(findings.tp, findings.tp + findings.fp) >= FINDING_PRECISION_FLOOR, `finding precision ${pct(ratio(findings.tp, findings.tp + findings.fp))}: ${findings.extras.join('; ')}`);
  });
});

// Measured when the labels were made: pools 22/27 found, none extra; findings 16/24 found, none
// extra. The gaps then, since closed:
// - knex's stress test requires Knex from '../../lib' (knex's own source, not in the corpus): a
//   relative module is knex when it re-exports the package, or, when the workspace does not hold
//   it, when its binding is named knex and the call passes a knex config (a `client` key);
// - Netflix dispatch passes pool_size/max_overflow/pool_pre_ping as **kwargs of starlette
//   `config(...)` values: starlette's Config is a value source, and make_url(s) stands for s;
// - the FastAPI template's URL comes from a pydantic settings property (read since pydantic
//   settings became a value source).
// Now: pools 27/27, findings 24/24, settings 18/18, precision 1 (the knex pools on two PostgreSQL
// ports are two servers to pool-exceeds-server-connections, not one). A change that loses a pool
// or a finding, or adds a wrong one, fails here.
const POOL_RECALL_FLOOR = 1;
const POOL_PRECISION_FLOOR = 1;
const FINDING_RECALL_FLOOR = 1;
const FINDING_PRECISION_FLOOR = 1;
