// The YAML application-config detector: pool sections become models with their key path, settings
// and spans, the database kind from the YAML or from the code that reads the section, placeholders
// resolved per profile; malformed files are named with their line and the run goes on.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { check, createWorkspace } from '../server/src/engine';
import type { PoolModel } from '../server/src/engine/model';
import { isAppConfigYaml } from '../server/src/engine/workspace';
import { isKubernetesManifest, normKey } from '../server/src/engine/detectors/yaml-config';
import { FIXTURES, relTo } from './helpers/fixtures';

function workspace(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-yaml-'));
  for (const [name, content] of Object.entries(files)) {
    const f = path.join(dir, name);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, content);
  }
  return dir;
}

const yamlPools = (pools: PoolModel[]) => pools.filter((p) => p.library === 'yaml-config');

describe('yaml-config detector', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const ws = (files: Record<string, string>) => {
    const d = workspace(files);
    dirs.push(d);
    return d;
  };

  it('seed 001: chat.service.repository.connection_pool with its settings, spans, and SQLite from the aiosqlite code that reads it', async () => {
    const input = path.join(FIXTURES, 'sqlite-multiple-writers', 'seed-001-pooled-repo', 'input');
    const r = await check({ root: input, rel: relTo(input) });
    const pools = yamlPools(r.pools);
    assert.strictEqual(pools.length, 1, 'chat.websocket (one counted key) is not a pool section');
    const pool = pools[0];
    assert.strictEqual(pool.constructor, 'chat.service.repository.connection_pool');
    assert.strictEqual(relTo(input)(pool.file), 'src/config.yaml');
    // the span is the key `connection_pool` on line 16 (1-based), column 7
    assert.deepStrictEqual([pool.span.line + 1, pool.span.column + 1, pool.span.endColumn + 1], [16, 7, 22]);
    assert.strictEqual(pool.async, true, 'aiosqlite is an async driver');
    assert.deepStrictEqual(Object.keys(pool.profiles), ['development', 'production']);
    const p = pool.profiles.development;
    assert.deepStrictEqual(
      Object.fromEntries(Object.entries(p.settings).map(([k, s]) => [k, [s.value, s.source, s.text, s.span!.line + 1, s.span!.column + 1]])),
      {
        enable_pooling: [true, 'literal', 'true', 17, 25],
        max_connections: [10, 'literal', '10', 18, 26],
        max_readers: [8, 'literal', '8', 19, 22],
        max_writers: [2, 'literal', '2', 20, 22],
        connection_timeout: [30, 'literal', '30.0', 21, 29],
        health_check_interval: [60, 'literal', '60.0', 22, 32],
      },
    );
    // the value span covers the scalar only, not the comment after it
    const mw = p.settings.max_writers.span!;
    assert.strictEqual(fs.readFileSync(pool.file, 'utf8').slice(mw.start, mw.end), '2');
    assert.strictEqual(p.database.kind, 'sqlite');
    assert.match(p.database.how, /chat\.service\.repository\.connection_pool is read by src\/history\/repositories\/pooled_sql_repo\.py, which imports aiosqlite/);
    assert.deepStrictEqual(p.poolClass, { name: 'config', source: 'default', reason: 'pool settings in src/config.yaml' });
    assert.deepStrictEqual(pool.differsBetweenProfiles, []);
    assert.deepStrictEqual(r.problems, []);
  });

  it('the database kind from a URL, a path, a driver key or the code, nearest first; unknown says why', async () => {
    const dir = ws({
      'config.yaml': [
        'orders:',
        '  database:',
        '    url: postgresql+asyncpg://orders:pw@db/orders',
        '    pool_size: 5',
        '    max_overflow: 0',
        'billing:',
        '  dsn: mysql://billing@db/billing',
        '  pool:',
        '    max_connections: 4',
        '    pool_timeout: 3',
        'jobs:',
        '  driver: sqlite',
        '  pool: {max_readers: 2, max_writers: 1}',
        'scratch:',
        '  db:',
        '    path: ":memory:"',
        '    max_connections: 1',
        'metrics:',
        '  store:',
        '    max_connections: 8',
        '    acquire_timeout: 2',
        'queues:',
        '  - name: mail',
        '    path: ./mail.sqlite3',
        '    max_readers: 2',
        '    max_writers: 1',
        '',
      ].join('\n'),
      'web/db.ts': "import { Pool } from 'pg';\nconst cfg = load();\nexport const pool = new Pool({ max: cfg['metrics']['store'].max_connections });\n",
    });
    const r = await check({ root: dir, rel: relTo(dir) });
    const got = Object.fromEntries(yamlPools(r.pools).map((p) => [p.constructor, [p.profiles.development.database.kind, p.profiles.development.database.how]]));
    assert.deepStrictEqual(Object.keys(got), ['orders.database', 'billing.pool', 'jobs.pool', 'scratch.db', 'metrics.store', 'queues[0]']);
    assert.strictEqual(got['orders.database'][0], 'postgresql');
    assert.match(got['orders.database'][1], /^URL scheme 'postgresql\+asyncpg' \(url at config\.yaml:3\)$/);
    assert.deepStrictEqual(got['billing.pool'], ['mysql', "URL scheme 'mysql' (dsn at config.yaml:7)"]);
    assert.deepStrictEqual(got['jobs.pool'], ['sqlite', "driver 'sqlite' (config.yaml:12)"]);
    assert.strictEqual(got['scratch.db'][0], 'sqlite');
    assert.strictEqual(yamlPools(r.pools).find((p) => p.constructor === 'scratch.db')!.profiles.development.database.memory, true);
    assert.deepStrictEqual(got['metrics.store'], ['postgresql', 'metrics.store is read by web/db.ts, which imports pg']);
    assert.deepStrictEqual(got['queues[0]'], ['sqlite', "path './mail.sqlite3' is a SQLite database (config.yaml:24)"]);
    // the password never reaches the model
    const orders = yamlPools(r.pools).find((p) => p.constructor === 'orders.database')!.profiles.development.database;
    assert.strictEqual(orders.url, 'postgresql+asyncpg://orders:***@db/orders');
    assert.ok(!JSON.stringify(r.pools).includes(':pw@'));
  });

  it('the code reading a section is found by its quoted key in one read of each source during a scan, and by reading the sources again after an edit', async () => {
    const dir = ws({
      'config.yaml': 'metrics:\n  store:\n    max_connections: 8\n    acquire_timeout: 2\njobs:\n  queue:\n    max_connections: 4\n    pool_timeout: 3\n',
      // `'store'queue'` quotes both keys (the closing quote of one opens the other), and a backtick is a quote too
      'web/db.ts': "import { Pool } from 'pg';\n// cfg['metrics']['store'queue'] and cfg.jobs[`tasks`]\nexport const pool = new Pool({ max: 10 });\n",
      'web/other.ts': "export const store = 'storehouse';\n",
    });
    const kinds = (pools: PoolModel[]) => Object.fromEntries(yamlPools(pools).map((p) => [p.constructor, `${p.profiles.development.database.kind}: ${p.profiles.development.database.how}`]));
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.deepStrictEqual(kinds(r.pools), {
      'metrics.store': 'postgresql: metrics.store is read by web/db.ts, which imports pg',
      'jobs.queue': 'postgresql: jobs.queue is read by web/db.ts, which imports pg',
    });
    // an edit renames a section: the key the scan did not look for is found by reading the sources
    const w = createWorkspace({ root: dir, rel: relTo(dir) });
    try {
      await w.scan();
      const config = path.join(dir, 'config.yaml');
      w.openFile(config, fs.readFileSync(config, 'utf8'));
      w.changeFile(config, w.text(config)!.replace('  queue:', '  tasks:'));
      await w.update();
      assert.deepStrictEqual(kinds(w.pools()), {
        'metrics.store': 'postgresql: metrics.store is read by web/db.ts, which imports pg',
        'jobs.tasks': 'postgresql: jobs.tasks is read by web/db.ts, which imports pg',
      });
    } finally {
      w.dispose();
    }
  });

  it('a section nobody reads and that names no database is unknown, in words', async () => {
    const dir = ws({ 'settings.yml': 'worker:\n  pool:\n    max_connections: 12\n    pool_timeout: 5\n' });
    const r = await check({ root: dir, rel: relTo(dir) });
    const db = yamlPools(r.pools)[0].profiles.development.database;
    assert.deepStrictEqual(db, { kind: 'unknown', how: 'no database URL, path or driver in worker.pool or the keys above it, and no source file reads this key path' });
  });

  it('${VAR:default}, ${VAR:-default} and ${VAR} resolve through each profile\'s env files, with the env origin', async () => {
    const dir = ws({
      'app/config.yaml': 'store:\n  db_path: ./data/app.db\n  pool:\n    max_readers: ${READERS:-4}\n    max_writers: ${WRITERS:1}\n    pool_timeout: ${POOL_TIMEOUT}\n    log_level: ${LOG_LEVEL:info}\n',
      '.env': 'READERS=2\n',
      '.env.production': 'WRITERS=3\nPOOL_TIMEOUT=7.5\n',
    });
    const r = await check({ root: dir, rel: relTo(dir) });
    const pool = yamlPools(r.pools)[0];
    const dev = pool.profiles.development.settings;
    const prod = pool.profiles.production.settings;
    assert.deepStrictEqual(Object.keys(dev), ['max_readers', 'max_writers', 'pool_timeout'], 'a placeholder for a log level is no pool setting');
    assert.deepStrictEqual([dev.max_readers.value, dev.max_readers.source, dev.max_readers.env!.usedFallback, relTo(dir)(dev.max_readers.env!.file!)], [2, 'env', false, '.env']);
    assert.deepStrictEqual([prod.max_readers.value, prod.max_readers.env!.usedFallback, prod.max_readers.env!.fallback!.text], [4, true, '4']);
    assert.deepStrictEqual([dev.max_writers.value, prod.max_writers.value, prod.max_writers.env!.line, prod.max_writers.env!.raw], [1, 3, 0, '3']);
    assert.deepStrictEqual([dev.pool_timeout.value, dev.pool_timeout.reason], [undefined, 'POOL_TIMEOUT is not set in this profile and the placeholder has no default']);
    assert.strictEqual(prod.pool_timeout.value, 7.5);
    // spans: the placeholder in the YAML, and its default inside it
    const text = fs.readFileSync(pool.file, 'utf8');
    const w = prod.max_writers;
    assert.strictEqual(text.slice(w.span!.start, w.span!.end), '${WRITERS:1}');
    assert.strictEqual(text.slice(w.env!.fallback!.span.start, w.env!.fallback!.span.end), '1');
    assert.strictEqual(text.slice(prod.max_readers.env!.fallback!.span.start, prod.max_readers.env!.fallback!.span.end), '4');
    assert.deepStrictEqual(pool.differsBetweenProfiles.sort(), ['max_readers', 'max_writers', 'pool_timeout']);
    // the rule fires in production only, on the YAML line, and points at the .env line
    const f = r.findings.filter((x) => x.rule === 'sqlite-multiple-writers');
    assert.deepStrictEqual(f.map((x) => [relTo(dir)(x.span.file), x.span.line + 1, x.profile]), [['app/config.yaml', 5, 'production']]);
    assert.deepStrictEqual(f[0].related?.map((x) => [relTo(dir)(x.span.file), x.span.line + 1]), [['.env.production', 1]]);
    assert.deepStrictEqual(f[0].fix?.edits.map((e) => [relTo(dir)(e.file), e.newText]), [['.env.production', '1']]);
  });

  it('a writer count from a placeholder default is fixed in the default, in place', async () => {
    const dir = ws({ 'config.yaml': 'db:\n  url: "sqlite+aiosqlite:///./app.db"\n  max_readers: 4\n  max_writers: "${DB_WRITERS:3}"   # keep\n' });
    const r = await check({ root: dir, rel: relTo(dir) });
    const f = r.findings.find((x) => x.rule === 'sqlite-multiple-writers')!;
    assert.ok(f.fix);
    const e = f.fix.edits[0];
    const text = fs.readFileSync(path.join(dir, 'config.yaml'), 'utf8');
    assert.strictEqual(text.slice(0, e.start) + e.newText + text.slice(e.end), 'db:\n  url: "sqlite+aiosqlite:///./app.db"\n  max_readers: 4\n  max_writers: "${DB_WRITERS:1}"   # keep\n');
  });

  it('a malformed YAML file is named with its line and column; its other documents and other files are still read', async () => {
    const dir = ws({
      'a/broken.yaml': 'pool:\n  max_connections: 5\n  pool_timeout: [1, 2\n',
      'b/multi.yaml': 'db:\n  max_connections: [\n---\ndb:\n  path: ./x.db\n  max_connections: 2\n  max_writers: 2\n',
      'c/good.yaml': 'db:\n  path: ./y.db\n  max_readers: 3\n  max_writers: 3\n',
    });
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.deepStrictEqual(r.problems.map((p) => [relTo(dir)(p.file), p.line! + 1, typeof p.column]), [['a/broken.yaml', 4, 'number'], ['b/multi.yaml', 3, 'number']]);
    assert.ok(r.problems.every((p) => p.message.startsWith('YAML: ') && p.message.includes('other files are still checked')), JSON.stringify(r.problems));
    assert.deepStrictEqual(yamlPools(r.pools).map((p) => [relTo(dir)(p.file), p.span.line + 1]), [['b/multi.yaml', 4], ['c/good.yaml', 1]]);
    assert.deepStrictEqual(r.findings.map((f) => [f.rule, relTo(dir)(f.span.file), f.span.line + 1]), [['sqlite-multiple-writers', 'b/multi.yaml', 7], ['sqlite-multiple-writers', 'c/good.yaml', 4]]);
  });

  it('compose files, .github/, Kubernetes manifests and YAML without pool keys are not read as app config', async () => {
    const section = 'db:\n  path: ./z.db\n  max_connections: 4\n  max_writers: 2\n';
    const dir = ws({
      'docker-compose.yml': `services:\n  app:\n    image: app\n${section.replace(/^/gm, '    ').replace('    db:', '    x-db:')}`,
      '.github/workflows/ci.yml': `on: push\n${section}`,
      'deploy/app.yaml': `apiVersion: v1\nkind: ConfigMap\n${section}`,
      'mkdocs.yml': 'site_name: docs\nnav:\n  - index.md\n',
      'conf/app.yml': section,
    });
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.deepStrictEqual(yamlPools(r.pools).map((p) => relTo(dir)(p.file)), ['conf/app.yml']);
    assert.strictEqual(r.stats.parsed, 1, 'only conf/app.yml passes the routing and the prefilter');
    assert.ok(isAppConfigYaml('/w/config/settings.yaml'));
    assert.ok(!isAppConfigYaml('/w/docker-compose.prod.yml'));
    assert.ok(!isAppConfigYaml('/w/.github/workflows/ci.yml'));
    assert.ok(isKubernetesManifest('apiVersion: apps/v1\nkind: Deployment\n'));
    assert.ok(!isKubernetesManifest('app:\n  kind: worker\n'));
    assert.strictEqual(normKey('maxWriters'), 'max_writers');
    assert.strictEqual(normKey('max-writers'), 'max_writers');
  });

  it('no rule but sqlite-multiple-writers reads a yaml-config pool, whatever its sizes and profiles; no password reaches the model', async () => {
    const dir = ws({
      'config.yaml': [
        'primary:',
        '  database:',
        '    url: ${DATABASE_URL:postgresql://app:fallback-secret@db/app}',
        '    pool_size: 1',
        '    max_overflow: 0',
        '    pool_timeout: 0',
        '    pool_pre_ping: false',
        '    pool_recycle: -1',
        '    max_connections: 500',
        '    min_connections: 50',
        'local:',
        '  sqlalchemy:',
        '    url: ${LOCAL_DB_URL:sqlite:///./local.db}',
        '    pool_size: 50',
        '    max_overflow: 100',
        '    max_connections: 200',
        '',
      ].join('\n'),
      '.env': 'DATABASE_URL=postgresql://app:env-secret@localhost/app\n',
      '.env.production': 'LOCAL_DB_URL=sqlite:////var/lib/app/local.db\n',
    });
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.strictEqual(yamlPools(r.pools).length, 2);
    assert.deepStrictEqual(yamlPools(r.pools).map((p) => p.profiles.production.database.kind), ['postgresql', 'sqlite']);
    assert.deepStrictEqual(r.findings, []);
    assert.deepStrictEqual(r.problems, []);
    // passwords in a placeholder's default and in the .env value stay out of the model
    const json = JSON.stringify(r.pools);
    assert.ok(!json.includes('fallback-secret') && !json.includes('env-secret'), json);
    assert.strictEqual(yamlPools(r.pools)[0].profiles.development.database.url, 'postgresql://app:***@localhost/app');
  });
});
