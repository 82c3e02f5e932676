// The analysis cache (server/src/engine/cache.ts): a check that reuses cached analyses reports
// exactly what a check without the cache reports, after any change to the workspace (a file's own
// text, a file its analysis read, an env file appearing, a file created or deleted), and an
// unchanged workspace is not analysed again. The CLI keeps its cache on disk; a corrupt, foreign
// or unwritable cache only costs speed.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { check, AnalysisCache, openDiskCache, buildId, type CheckResult } from '../server/src/engine';
import { MAX_CACHED_ROOTS } from '../server/src/engine/cache';
import { toJson } from '../server/src/report/json';
import { maskSecrets } from '../server/src/engine/urls';
import { passwordsIn } from './helpers/passwords';
import type { Detector } from '../server/src/engine/detectors/types';
import { createWorkspace } from '../server/src/engine';
import { cases, relTo, REPO } from './helpers/fixtures';
import { LSP_FIXTURES } from './helpers/lsp';

const CLI = path.join(REPO, 'out', 'server', 'src', 'cli.js');

function copy(src: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-cache-'));
  fs.cpSync(src, dir, { recursive: true });
  return fs.realpathSync(dir);
}

/** What a check reports, in a form two runs can be compared by. */
function picture(r: CheckResult): string {
  return JSON.stringify({ pools: r.pools, findings: r.findings, problems: r.problems, profiles: r.profiles, stats: r.stats });
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) visit(f);
      else if (e.isFile()) out.push(f);
    }
  };
  visit(dir);
  return out;
}

/** One change to a workspace on disk, chosen by the numbers fast-check draws. */
type Change = { kind: 'digit' | 'drop-line' | 'dup-line' | 'env-var' | 'new-env' | 'copy-file' | 'delete-file'; file: number; at: number; digit: number };

function apply(root: string, c: Change): string {
  const files = filesUnder(root);
  if (files.length === 0) return 'nothing to change';
  const file = files[c.file % files.length];
  const rel = path.relative(root, file);
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const line = c.at % Math.max(1, lines.length);
  switch (c.kind) {
    case 'digit': {
      // a number in the file changes (a pool size in code, a value in .env or YAML)
      const digits = [...text.matchAll(/\d/g)];
      if (!digits.length) return `${rel}: no digit`;
      const d = digits[c.at % digits.length];
      fs.writeFileSync(file, text.slice(0, d.index!) + String(c.digit) + text.slice(d.index! + 1));
      return `${rel}: digit at ${d.index} -> ${c.digit}`;
    }
    case 'drop-line':
      lines.splice(line, 1);
      fs.writeFileSync(file, lines.join('\n'));
      return `${rel}: line ${line + 1} deleted`;
    case 'dup-line':
      lines.splice(line, 0, lines[line] ?? '');
      fs.writeFileSync(file, lines.join('\n'));
      return `${rel}: line ${line + 1} duplicated`;
    case 'env-var': {
      // a variable the code may read appears in (or changes in) the .env beside the file
      const env = path.join(path.dirname(file), '.env');
      const names = ['DB_POOL_SIZE', 'DATABASE_URL', 'POOL_SIZE', 'DB_MAX_OVERFLOW', 'PGPOOL_MAX'];
      const value = c.kind === 'env-var' && c.digit % 2 ? `postgresql://u:p@localhost:5432/db${c.digit}` : String(c.digit * 7 + 1);
      fs.appendFileSync(env, `\n${names[c.at % names.length]}=${value}\n`);
      return `${path.relative(root, env)}: variable appended`;
    }
    case 'new-env': {
      // a profile's env file appears where none was (a missing dependency becomes present)
      const env = path.join(path.dirname(file), ['.env.production', '.env.staging', '.env.local'][c.at % 3]);
      fs.writeFileSync(env, `DB_POOL_SIZE=${c.digit + 2}\nDATABASE_URL=postgresql://app@db.internal:5432/app\n`);
      return `${path.relative(root, env)}: created`;
    }
    case 'copy-file': {
      const to = path.join(path.dirname(file), `copy_${c.digit}_${path.basename(file)}`);
      fs.copyFileSync(file, to);
      return `${rel}: copied to ${path.relative(root, to)}`;
    }
    case 'delete-file':
      fs.rmSync(file);
      return `${rel}: deleted`;
  }
}

const change = fc.record({
  kind: fc.constantFrom<Change['kind']>('digit', 'digit', 'drop-line', 'dup-line', 'env-var', 'new-env', 'copy-file', 'delete-file'),
  file: fc.nat(),
  at: fc.nat(),
  digit: fc.integer({ min: 0, max: 9 }),
});

describe('analysis cache', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const workspace = (src: string) => {
    const root = copy(src);
    dirs.push(root);
    return root;
  };

  it('after random changes to code, env files, YAML and the file set, a cached check reports exactly what an uncached one does', async function () {
    this.timeout(300_000);
    // every fixture workspace of every rule, and the language server's mixed-stack workspace
    const sources = [...cases().map((c) => c.input), path.join(LSP_FIXTURES, 'mixed')];
    let hits = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...sources), fc.array(change, { minLength: 1, maxLength: 4 }), async (src, changes) => {
        const root = copy(src);
        try {
          const cache = new AnalysisCache();
          const opts = { root, rel: relTo(root) };
          await check({ ...opts, cache });
          const done: string[] = [];
          for (const c of changes) {
            done.push(apply(root, c));
            const before = cache.stats.hits;
            const cached = picture(await check({ ...opts, cache }));
            hits += cache.stats.hits - before;
            assert.strictEqual(cached, picture(await check(opts)), `${path.relative(REPO, src)} after: ${done.join('; ')}`);
          }
        } finally {
          fs.rmSync(root, { recursive: true, force: true });
        }
      }),
      { numRuns: 150, seed: 20261201 },
    );
    // the property holds trivially if nothing is ever served from the cache
    assert.ok(hits > 40, `only ${hits} analyses came from the cache`);
  });

  it('through the disk cache (saved, masked and read back before each check) the report printed is the same as without it', async function () {
    this.timeout(300_000);
    const sources = [...cases().map((c) => c.input), path.join(LSP_FIXTURES, 'mixed')];
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-diskcache-'));
    dirs.push(cacheDir);
    let hits = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...sources), fc.array(change, { minLength: 0, maxLength: 3 }), async (src, changes) => {
        const root = copy(src);
        try {
          const rel = relTo(root);
          const printed = async (withCache: boolean) => {
            const cache = withCache ? openDiskCache(cacheDir, root, buildId()) : undefined;
            const r = await check({ root, rel, cache });
            cache?.save();
            hits += cache?.stats.hits ?? 0;
            return maskSecrets(toJson(r, rel));
          };
          await printed(true);
          const done: string[] = [];
          for (const c of [undefined, ...changes]) {
            if (c) done.push(apply(root, c));
            assert.strictEqual(await printed(true), await printed(false), `${path.relative(REPO, src)} after: ${done.join('; ') || 'no change'}`);
          }
        } finally {
          fs.rmSync(root, { recursive: true, force: true });
        }
      }),
      { numRuns: 80, seed: 1201 },
    );
    assert.ok(hits > 40, `only ${hits} analyses came from the disk cache`);
  });

  it('the cache file on disk holds no password of any fixture (in any string encoding V8 writes)', async function () {
    this.timeout(120_000);
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-pwcache-'));
    dirs.push(cacheDir);
    const inputs = cases().map((c) => c.input);
    const passwords = passwordsIn(inputs.flatMap(filesUnder));
    assert.ok(passwords.size >= 5, `only ${passwords.size} passwords in the fixtures`);
    for (const root of inputs) {
      const cache = openDiskCache(cacheDir, root, buildId());
      await check({ root, rel: relTo(root), cache });
      cache.save();
    }
    const files = fs.readdirSync(cacheDir);
    assert.ok(files.length > 10, `${files.length} cache files`);
    const found: string[] = [];
    for (const f of files) {
      const bytes = fs.readFileSync(path.join(cacheDir, f));
      // V8 writes a string as Latin-1 or as UTF-16 (at either byte offset)
      const views = [bytes.toString('latin1'), bytes.toString('utf16le'), bytes.subarray(1).toString('utf16le')];
      for (const [pw, needles] of passwords) for (const n of needles) if (views.some((v) => v.includes(n))) found.push(`${pw} in ${f}`);
    }
    assert.deepStrictEqual(found, []);
    // the search itself finds a password V8 wrote (so an empty list means something)
    const probe = new AnalysisCache(path.join(cacheDir, 'probe.bin'));
    probe.store('x', { key: 'k', hash: 'h', deps: [['postgresql://u:hunter2secret@h/db', null]], quotes: false, asked: [], listing: null, pools: [], problems: [] });
    probe.save();
    assert.ok(fs.readFileSync(path.join(cacheDir, 'probe.bin')).toString('latin1').includes('hunter2secret'));
  });

  it('an unchanged workspace is served from the cache: every parsed file is a hit and the result is the same', async () => {
    const root = workspace(path.join(LSP_FIXTURES, 'mixed'));
    const cache = new AnalysisCache();
    const first = await check({ root, rel: relTo(root), cache });
    assert.strictEqual(cache.stats.hits, 0);
    assert.ok(first.stats.parsed >= 3, `parsed ${first.stats.parsed}`);
    const second = await check({ root, rel: relTo(root), cache });
    assert.strictEqual(cache.stats.hits, first.stats.parsed);
    assert.strictEqual(picture(second), picture(first));
  });

  it('a file the analysis looked for and did not find (worker/.env), then created and then edited, is seen through the cache', async () => {
    const root = workspace(path.join(LSP_FIXTURES, 'mixed'));
    const cache = new AnalysisCache();
    const opts = { root, rel: relTo(root), cache };
    const poolSize = (r: CheckResult) => {
      const worker = r.pools.find((p) => p.file === path.join(root, 'worker', 'db.py'));
      assert.ok(worker, `pools: ${r.pools.map((p) => p.file).join(', ')}`);
      return Object.values(worker.profiles)[0].settings.pool_size.value;
    };
    assert.strictEqual(poolSize(await check(opts)), 5); // the fallback written in the code
    // the code file itself never changes: only the env file its analysis read
    const env = path.join(root, 'worker', '.env');
    fs.writeFileSync(env, 'WORKER_POOL_SIZE=37\n');
    assert.strictEqual(poolSize(await check(opts)), 37);
    fs.writeFileSync(env, 'WORKER_POOL_SIZE=38\n');
    const after = await check(opts);
    assert.strictEqual(poolSize(after), 38);
    assert.strictEqual(picture(after), picture(await check({ root, rel: relTo(root) })));
  });

  it('a file added where a detector looks at the file list (a Go package\'s other files, a Spring profile file) is seen through the cache', async () => {
    const cases: [string, string, string][] = [
      ['undersized-pool/go-setters-elsewhere-in-package', 'internal/store/small.go', 'package store\n\nimport "database/sql"\n\nfunc NewSmall() (*sql.DB, error) {\n\tdb, err := Open("postgres://app@db/app")\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\tdb.SetMaxOpenConns(2)\n\treturn db, nil\n}\n'],
      ['pool-exceeds-server-connections/negative-spring-boot-well-configured', 'src/main/resources/application-staging.yml', 'spring:\n  datasource:\n    hikari:\n      maximum-pool-size: 3\n'],
    ];
    for (const [fixture, file, text] of cases) {
      const root = workspace(path.join(REPO, 'test', 'fixtures', fixture, 'input'));
      const cache = new AnalysisCache();
      const before = picture(await check({ root, rel: relTo(root), cache }));
      fs.writeFileSync(path.join(root, file), text);
      const cached = picture(await check({ root, rel: relTo(root), cache }));
      const fresh = picture(await check({ root, rel: relTo(root) }));
      assert.notStrictEqual(fresh, before, `${fixture}: adding ${file} changes nothing, so this case tests nothing`);
      assert.strictEqual(cached, fresh, `${fixture}: ${file} added`);
    }
  });

  it('a detector that throws is not cached: its file is analysed again at the next check', async () => {
    const root = workspace(path.join(LSP_FIXTURES, 'mixed'));
    let calls = 0;
    const flaky: Detector = { id: 'flaky', languages: ['python'], prefilter: /create_engine/, detect: () => (calls++, (() => { throw new Error('boom'); })()) };
    const cache = new AnalysisCache();
    const run = async () => {
      const ws = createWorkspace({ root, rel: relTo(root), cache, detectors: [flaky] });
      try {
        await ws.scan();
        return ws.result();
      } finally {
        ws.dispose();
      }
    };
    const first = await run();
    assert.ok(first.problems.some((p) => /internal error in the flaky detector/.test(p.message)));
    const callsFirst = calls;
    assert.ok(callsFirst > 0);
    await run();
    assert.strictEqual(calls, 2 * callsFirst, 'the failing files were served from the cache');
    assert.strictEqual(cache.stats.hits, 0);
  });

  it('the CLI keeps its cache on disk: the second run reads it and prints the same; a corrupt cache file is an empty cache', () => {
    const root = workspace(path.join(LSP_FIXTURES, 'mixed'));
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-cachedir-'));
    dirs.push(cacheDir);
    const run = (...extra: string[]) => {
      const r = spawnSync(process.execPath, [CLI, 'check', '.', '--format', 'json', ...extra], { cwd: root, encoding: 'utf8', env: { ...process.env, POOL_LINT_CACHE_DIR: cacheDir } });
      assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
      return r.stdout;
    };
    const uncached = run('--no-cache');
    assert.deepStrictEqual(fs.readdirSync(cacheDir), [], '--no-cache wrote a cache');
    assert.strictEqual(run(), uncached);
    const [file] = fs.readdirSync(cacheDir);
    assert.ok(file && file.endsWith('.bin'), `cache dir: ${fs.readdirSync(cacheDir).join(', ')}`);
    assert.ok(openDiskCache(cacheDir, root, buildId()).size > 0, 'the cache file holds no entries');
    assert.strictEqual(run(), uncached);
    fs.writeFileSync(path.join(cacheDir, file), 'not a cache');
    assert.strictEqual(run(), uncached);
    // an env file created between runs is seen
    fs.writeFileSync(path.join(root, 'worker', '.env'), 'WORKER_POOL_SIZE=41\n');
    const withEnv = run();
    assert.strictEqual(withEnv, run('--no-cache'));
    assert.match(withEnv, /"value": 41/);
  });

  it('a check of one path keeps the cache entries of the rest of the workspace for the next whole check', async () => {
    const root = workspace(path.join(LSP_FIXTURES, 'mixed'));
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-partial-'));
    dirs.push(cacheDir);
    const run = (paths?: string[]) => {
      const r = spawnSync(process.execPath, [CLI, 'check', ...(paths ?? ['.']), '--format', 'json'], { cwd: root, encoding: 'utf8', env: { ...process.env, POOL_LINT_CACHE_DIR: cacheDir } });
      assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
    };
    run();
    const whole = openDiskCache(cacheDir, root, buildId()).size;
    assert.ok(whole >= 3, `${whole} entries after the whole check`);
    run(['api/db.py']);
    assert.strictEqual(openDiskCache(cacheDir, root, buildId()).size, whole);
  });

  it('a cache folder keeps the newest 100 workspace caches: older ones go when a cache is written', async () => {
    const root = workspace(path.join(LSP_FIXTURES, 'mixed'));
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-prune-'));
    dirs.push(cacheDir);
    const old = Date.now() / 1000 - 86_400;
    for (let i = 0; i < MAX_CACHED_ROOTS + 5; i++) {
      const f = path.join(cacheDir, `old-${String(i).padStart(3, '0')}.bin`);
      fs.writeFileSync(f, 'an old cache');
      fs.utimesSync(f, old + i, old + i); // old-000 is the oldest
    }
    const cache = openDiskCache(cacheDir, root, buildId());
    await check({ root, rel: relTo(root), cache });
    cache.save();
    const left = fs.readdirSync(cacheDir).sort();
    assert.strictEqual(left.length, MAX_CACHED_ROOTS);
    assert.ok(!left.includes('old-000.bin') && !left.includes('old-005.bin') && left.includes('old-006.bin'), left.slice(0, 8).join(', '));
    assert.ok(openDiskCache(cacheDir, root, buildId()).size > 0, 'the cache just written was pruned');
  });

  it('an unwritable cache folder costs only speed: the check still reports', () => {
    const root = workspace(path.join(LSP_FIXTURES, 'mixed'));
    const blocker = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-cacheblock-')), 'a-file');
    fs.writeFileSync(blocker, 'a file where the cache folder would be');
    dirs.push(path.dirname(blocker));
    const r = spawnSync(process.execPath, [CLI, 'check', '.', '--format', 'json'], { cwd: root, encoding: 'utf8', env: { ...process.env, POOL_LINT_CACHE_DIR: path.join(blocker, 'cache') } });
    assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
    assert.ok(JSON.parse(r.stdout).pools.length > 0);
    assert.strictEqual(r.stderr, '');
  });
});
