// The engine's long-lived Workspace: after any sequence of edits its results are exactly those of
// a fresh check() of the same texts, while it re-analyses only the files an edit can affect; a
// detector that throws or runs out of time loses only its own results on that file.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { check, createWorkspace, DETECTORS, type Workspace } from '../server/src/engine';
import type { Detector } from '../server/src/engine/detectors/types';
import { checkDeadline } from '../server/src/engine/deadline';
import { readText } from '../server/src/engine/workspace';
import { FIXTURES, relTo } from './helpers/fixtures';
import { LSP_FIXTURES } from './helpers/lsp';

function copy(src: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-inc-'));
  fs.cpSync(src, dir, { recursive: true });
  return fs.realpathSync(dir);
}

/** What a check reports, in a form two runs can be compared by. */
function picture(r: { pools: unknown[]; findings: unknown[]; problems: unknown[]; profiles: string[] }): string {
  return JSON.stringify({ pools: r.pools, findings: r.findings, problems: r.problems, profiles: r.profiles });
}

/** A fresh check() of the workspace as `ws` sees it (its open buffers over the disk). */
async function fresh(ws: Workspace, root: string): Promise<string> {
  return picture(await check({ root, rel: relTo(root), read: (f) => ws.text(f) ?? readText(f) }));
}

describe('incremental workspace', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const ws = (src: string) => {
    const root = copy(src);
    dirs.push(root);
    return { root, ws: createWorkspace({ root, rel: relTo(root) }) };
  };

  it('after edits to code, .env files, new and deleted files it reports exactly what a fresh check reports', async () => {
    const { root, ws: w } = ws(path.join(LSP_FIXTURES, 'mixed'));
    await w.scan();
    assert.strictEqual(picture(w.result()), await fresh(w, root));
    const api = path.join(root, 'api', 'db.py');
    const env = path.join(root, 'worker', '.env');
    const steps: [string, () => void][] = [
      ['a literal raised in an open buffer', () => {
        w.openFile(api, fs.readFileSync(api, 'utf8'));
        w.changeFile(api, w.text(api)!.replace('pool_size=5,', 'pool_size=45,'));
      }],
      ['a variable added to .env', () => w.openFile(env, fs.readFileSync(env, 'utf8') + 'WORKER_POOL_SIZE=1\n')],
      ['a production .env created on disk', () => {
        fs.writeFileSync(path.join(root, 'worker', '.env.production'), 'WORKER_POOL_SIZE=3\n');
        w.filesChanged([{ file: path.join(root, 'worker', '.env.production'), type: 'created' }]);
      }],
      ['a new pool file', () => {
        fs.writeFileSync(path.join(root, 'worker', 'second.py'), 'from sqlalchemy import create_engine\ne = create_engine("postgresql://a@b/c", pool_size=2)\n');
        w.filesChanged([{ file: path.join(root, 'worker', 'second.py'), type: 'created' }]);
      }],
      ['a compose file that deploys the worker four times', () => {
        fs.writeFileSync(path.join(root, 'compose.yaml'), 'services:\n  worker:\n    build: ./worker\n    deploy:\n      replicas: 4\n    environment:\n      WORKER_POOL_SIZE: "30"\n  db:\n    image: postgres:16\n    command: postgres -c max_connections=50\n');
        w.filesChanged([{ file: path.join(root, 'compose.yaml'), type: 'created' }]);
      }],
      ['the .env buffer closed (back to the disk)', () => w.closeFile(env)],
      ['a pool file deleted', () => {
        fs.rmSync(path.join(root, 'api', 'db.py'));
        w.closeFile(api);
        w.filesChanged([{ file: api, type: 'deleted' }]);
      }],
      ['settings over the configuration', () => w.setOverrides({ expectedConcurrency: 5, rules: { 'hardcoded-pool-size': 'off' } })],
    ];
    for (const [what, step] of steps) {
      step();
      await w.update();
      const expected = w.isOpen(api) || w.isOpen(env) || !what.startsWith('settings') ? await fresh(w, root) : undefined;
      if (expected) assert.strictEqual(picture(w.result()), expected, what);
    }
    // the settings step: compare with a check given the same configuration
    const r = w.result();
    assert.strictEqual(r.findings.some((f) => f.rule === 'hardcoded-pool-size'), false);
    assert.strictEqual(r.config.expectedConcurrency, 5);
    w.dispose();
  });

  it('records what each file read and re-analyses exactly the dependents of a change', async () => {
    const { root, ws: w } = ws(path.join(LSP_FIXTURES, 'mixed'));
    await w.scan();
    const py = path.join(root, 'worker', 'db.py');
    const env = path.join(root, 'worker', '.env');
    assert.ok(w.dependenciesOf(py).includes(env), w.dependenciesOf(py).join(', '));
    w.openFile(env, fs.readFileSync(env, 'utf8') + 'WORKER_POOL_SIZE=45\n');
    const r = await w.update();
    assert.deepStrictEqual(r.analysed.map(relTo(root)), ['worker/.env', 'worker/db.py']);
    assert.ok(!w.findings().some((f) => f.rule === 'undersized-pool' && f.span.file === py));
    // a one-character edit of a file nobody depends on re-analyses that file alone
    const api = path.join(root, 'api', 'db.py');
    w.openFile(api, fs.readFileSync(api, 'utf8'));
    await w.update();
    const text = w.text(api)!;
    const at = text.indexOf('pool_size=5') + 'pool_size='.length;
    const lines = text.slice(0, at).split('\n');
    const point = { row: lines.length - 1, column: lines[lines.length - 1].length };
    w.changeFile(api, text.slice(0, at) + '4' + text.slice(at), [{ startIndex: at, oldEndIndex: at, newEndIndex: at + 1, startPosition: point, oldEndPosition: point, newEndPosition: { row: point.row, column: point.column + 1 } }]);
    const r2 = await w.update();
    assert.deepStrictEqual(r2.analysed.map(relTo(root)), ['api/db.py']);
    assert.strictEqual(w.poolsIn(api)[0].profiles.development.settings.pool_size.value, 45);
    assert.strictEqual(picture(w.result()), await fresh(w, root));
    w.dispose();
  });

  it('one-character edits of an open file: kept (spans shifted) when inside a token no detector read, detected again otherwise; always what a fresh check says', async () => {
    const src = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-inc-src-'));
    dirs.push(src);
    const code = [
      '# settings for the api',
      'import os',
      'from sqlalchemy import create_engine',
      '',
      'DATABASE_URL = os.getenv("DATABASE_URL", "postgresql://app@db/app")',
      'engine = create_engine(DATABASE_URL, pool_size=5, max_overflow=10)',
      '',
      'def handler(request, limit=10):',
      '    """Serve one request."""',
      '    items = [x for x in request.items if x.id % 3 == 0]  # keep a third',
      '    return items[:limit]',
      '',
      'def pool_size_for(workers):',
      '    return workers * 2',
      '',
      'worker_engine = create_engine(DATABASE_URL, pool_size=pool_size_for(4))',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(src, 'api.py'), code);
    fs.writeFileSync(path.join(src, '.env'), 'DATABASE_URL=postgresql://app@db/app\n');
    const { root, ws: w } = ws(src);
    await w.scan();
    const file = path.join(root, 'api.py');
    w.openFile(file, fs.readFileSync(file, 'utf8'));
    await w.update();
    /** Inserts `ch` after the first `after`, told to the workspace as one incremental edit. */
    const type = async (after: string, ch: string) => {
      const text = w.text(file)!;
      const at = text.indexOf(after) + after.length;
      const before = text.slice(0, at).split('\n');
      const point = { row: before.length - 1, column: before[before.length - 1].length };
      w.changeFile(file, text.slice(0, at) + ch + text.slice(at), [{ startIndex: at, oldEndIndex: at, newEndIndex: at + ch.length, startPosition: point, oldEndPosition: point, newEndPosition: { row: point.row, column: point.column + ch.length } }]);
      const r = await w.update();
      assert.strictEqual(picture(w.result()), await fresh(w, root), `after typing ${JSON.stringify(ch)} after ${JSON.stringify(after)}`);
      return r.kept.length === 1;
    };
    /** Deletes the character after the first `after`. */
    const del = async (after: string) => {
      const text = w.text(file)!;
      const at = text.indexOf(after) + after.length;
      const before = text.slice(0, at).split('\n');
      const point = { row: before.length - 1, column: before[before.length - 1].length };
      w.changeFile(file, text.slice(0, at) + text.slice(at + 1), [{ startIndex: at, oldEndIndex: at + 1, newEndIndex: at, startPosition: point, oldEndPosition: { row: point.row, column: point.column + 1 }, newEndPosition: point }]);
      const r = await w.update();
      assert.strictEqual(picture(w.result()), await fresh(w, root), `after deleting the character after ${JSON.stringify(after)}`);
      return r.kept.length === 1;
    };
    assert.strictEqual(await type('    ite', 'm'), true, 'an identifier in a function body nobody evaluates');
    assert.strictEqual(await type('# keep a', 'n'), true, 'a comment');
    assert.strictEqual(await type('# settings', 's'), true, 'a comment above the pool: every span after it shifts');
    assert.strictEqual(w.poolsIn(file)[0].span.start, w.text(file)!.indexOf('create_engine('), 'the pool span moved with the text');
    assert.strictEqual(await type('pool_size=5', '0'), false, 'a value the detector read');
    assert.strictEqual(w.poolsIn(file)[0].profiles.development.settings.pool_size.value, 50);
    assert.strictEqual(await type('DATABASE_UR', 'x'), false, 'a name the evaluation looked up');
    assert.strictEqual(await type('def handle', 'd'), true, 'the name of a function nothing calls: indexed, never looked up');
    assert.strictEqual(await type('def pool_size_for', 'x'), false, 'the name of a function a pool setting calls');
    assert.notStrictEqual(w.poolsIn(file)[1].profiles.development.settings.pool_size.value, 8, 'pool_size_forx: the call no longer reaches it');
    assert.strictEqual(await del('def pool_size_for'), false, 'renamed back: the new name is the one looked up');
    assert.strictEqual(w.poolsIn(file)[1].profiles.development.settings.pool_size.value, 8);
    assert.strictEqual(await type('Serve one', ' more'), true, 'words typed in a docstring');
    assert.strictEqual(await type('Serve', '"'), false, 'a quote in a docstring can end the string');
    assert.strictEqual(await type('    return item', 's'), true);
    assert.strictEqual(await type('    ite', ' '), false, 'a space splits the token: the structure changes');
    w.dispose();
  });

  it('an imported Python module is a dependency: editing it re-analyses its importer', async () => {
    const src = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-inc-src-'));
    dirs.push(src);
    fs.mkdirSync(path.join(src, 'app'));
    fs.writeFileSync(path.join(src, 'app', '__init__.py'), '');
    fs.writeFileSync(path.join(src, 'app', 'settings.py'), 'POOL_SIZE = 5\n');
    fs.writeFileSync(path.join(src, 'app', 'db.py'), 'from sqlalchemy import create_engine\nfrom app.settings import POOL_SIZE\nengine = create_engine("postgresql://a@b/c", pool_size=POOL_SIZE, max_overflow=0)\n');
    const { root, ws: w } = ws(src);
    await w.scan();
    const db = path.join(root, 'app', 'db.py');
    assert.strictEqual(w.poolsIn(db)[0].profiles.development.settings.pool_size.value, 5);
    w.openFile(path.join(root, 'app', 'settings.py'), 'POOL_SIZE = 60\n');
    const r = await w.update();
    assert.deepStrictEqual(r.analysed.map(relTo(root)), ['app/db.py', 'app/settings.py']);
    assert.strictEqual(w.poolsIn(db)[0].profiles.development.settings.pool_size.value, 60);
    assert.strictEqual(picture(w.result()), await fresh(w, root));
    w.dispose();
  });

  it('a detector that throws, or runs past its time budget, loses only its own results on that file, and says so in the log', async () => {
    const root = copy(path.join(FIXTURES, 'undersized-pool', 'seed-004-env-profiles', 'input'));
    dirs.push(root);
    fs.writeFileSync(path.join(root, 'app', 'db', 'cache.py'), 'import sqlite3\nconn = sqlite3.connect("cache.db")\n');
    const spinning: Detector = { id: 'spinning', languages: ['python'], prefilter: /create_engine/, detect: () => { for (;;) checkDeadline(); } };
    const throwing: Detector = { id: 'throwing', languages: ['python'], prefilter: /sqlite3/, detect: () => { throw new Error('boom at postgresql://u:secret@h/db'); } };
    const log: string[] = [];
    const w = createWorkspace({ root, rel: relTo(root), detectors: [spinning, throwing, ...DETECTORS], detectorBudgetMs: 200, log: (m) => log.push(m) });
    const t0 = performance.now();
    await w.scan();
    assert.ok(performance.now() - t0 < 10_000, 'the spinning detector was stopped');
    const r = w.result();
    // the real detectors' pools of the same files are all there
    assert.deepStrictEqual(r.pools.map((p) => `${relTo(root)(p.file)} ${p.library}`).sort(), ['app/db/cache.py sqlite3', 'app/db/database.py sqlalchemy']);
    assert.ok(r.findings.some((f) => f.rule === 'undersized-pool'));
    const db = path.join(root, 'app', 'db', 'database.py');
    assert.ok(r.problems.some((p) => p.file === db && /the spinning detector took over 200 ms on this file and was abandoned/.test(p.message)), JSON.stringify(r.problems));
    assert.ok(r.problems.some((p) => p.file === path.join(root, 'app', 'db', 'cache.py') && /internal error in the throwing detector: boom/.test(p.message)));
    assert.ok(log.some((l) => l.startsWith(`${db}: the spinning detector took over 200 ms`)), log.join('\n'));
    assert.ok(log.some((l) => l.includes('cache.py: internal error in the throwing detector')));
    assert.ok(!log.join('\n').includes('secret'), 'the log masks passwords');
    w.dispose();
  });

  it('`// pool-lint: ignore[...]` silences a rule in TypeScript as `#` does in Python', async () => {
    const src = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-inc-src-'));
    dirs.push(src);
    fs.writeFileSync(path.join(src, 'pool.ts'), "import { Pool } from 'pg';\nexport const pool = new Pool({\n  max: 5, // pool-lint: ignore[undersized-pool]\n  connectionTimeoutMillis: 5000,\n});\npool.on('error', () => {});\n");
    const r = await check({ root: src, rel: relTo(src) });
    assert.deepStrictEqual(r.findings.map((f) => f.rule).sort(), ['hardcoded-pool-size', 'missing-recycle']);
  });
});
