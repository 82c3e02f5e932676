// Every Python framework pool shows in `pool-lint check --format json` with its effective values and
// where each came from (the code, an env file and its line, or the library default and its source).
import * as assert from 'assert';
import * as path from 'path';
import { cli } from './helpers/cli';
import { FIXTURES } from './helpers/fixtures';

interface JsonSetting {
  value: unknown;
  source: string;
  file?: string;
  line?: number;
  env?: { name: string; file?: string; line?: number; usedFallback: boolean };
  default?: { library: string; version: string; cite: string };
}
interface JsonPool {
  library: string;
  constructor: string;
  file: string;
  line: number;
  database: string;
  profiles: Record<string, { settings: Record<string, JsonSetting>; database: { kind: string; how: string } }>;
}

function poolsOf(fixture: string): JsonPool[] {
  const r = cli(['check', '--format', 'json'], path.join(FIXTURES, fixture, 'input'));
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  return (JSON.parse(r.stdout) as { pools: JsonPool[] }).pools;
}

describe('Python framework pools in JSON output', () => {
  it('asyncpg: sizes from .env per profile, acquire timeout and lifetime with their sources', () => {
    const [pool] = poolsOf('unbounded-acquire-wait/asyncpg-service');
    assert.deepStrictEqual([pool.library, pool.constructor, pool.file, pool.line, pool.database], ['asyncpg', 'create_pool', 'app/db.py', 11, 'postgresql']);
    const dev = pool.profiles.development.settings;
    assert.deepStrictEqual([dev.max_size.value, dev.max_size.source, dev.max_size.env?.name, dev.max_size.env?.file, dev.max_size.env?.line], [20, 'env', 'DB_POOL_MAX', '.env', 3]);
    assert.deepStrictEqual([pool.profiles.production.settings.max_size.value, pool.profiles.production.settings.max_size.env?.file], [60, '.env.production']);
    assert.deepStrictEqual([dev.acquire_timeout.value, dev.acquire_timeout.source], [null, 'default']);
    assert.match(dev.acquire_timeout.default!.cite, /asyncpg\/pool\.py:852/);
    assert.deepStrictEqual([dev.max_inactive_connection_lifetime.value, dev.max_inactive_connection_lifetime.source, dev.max_inactive_connection_lifetime.line], [0, 'literal', 15]);
    assert.deepStrictEqual([dev.max_queries.value, dev.max_queries.source], [50000, 'default']);
  });

  it('psycopg_pool: literal sizes, defaults cite psycopg_pool 3.3, check unset', () => {
    const [pool] = poolsOf('missing-pre-ping/psycopg-pool-no-check');
    assert.deepStrictEqual([pool.library, pool.constructor, pool.database], ['psycopg_pool', 'ConnectionPool', 'postgresql']);
    const s = pool.profiles.development.settings;
    assert.deepStrictEqual([s.max_size.value, s.max_size.source, s.max_size.line], [50, 'literal', 8]);
    assert.deepStrictEqual([s.timeout.value, s.timeout.source, s.timeout.default?.library], [30, 'default', 'psycopg_pool']);
    assert.match(s.timeout.default!.cite, /psycopg_pool\/pool\.py:57/);
    assert.deepStrictEqual([s.check.value, s.check.source], [null, 'default']);
    const [async_] = poolsOf('invalid-pool-setting/asyncpg-and-psycopg-size-errors').filter((p) => p.library === 'psycopg_pool');
    assert.strictEqual(async_.constructor, 'psycopg_pool.AsyncConnectionPool');
    assert.deepStrictEqual([async_.profiles.development.settings.check.value, async_.profiles.development.settings.check.source], ['AsyncConnectionPool.check_connection', 'literal']);
    assert.deepStrictEqual([async_.profiles.development.settings.max_size.value, async_.profiles.development.settings.max_size.env?.usedFallback], [4, true]);
  });

  it('pydantic settings (FastAPI): SQLAlchemy values from a BaseSettings instance per profile, defaults as fallbacks, the URL from a property', () => {
    const [pool] = poolsOf('undersized-pool/fastapi-pydantic-settings');
    assert.deepStrictEqual([pool.library, pool.constructor, pool.file, pool.database], ['sqlalchemy', 'create_async_engine', 'app/db/session.py', 'postgresql']);
    const dev = pool.profiles.development.settings;
    const prod = pool.profiles.production.settings;
    assert.deepStrictEqual([dev.pool_size.value, dev.pool_size.env?.name, dev.pool_size.env?.file, dev.pool_size.env?.line], [5, 'DB_POOL_SIZE', '.env', 2]);
    assert.deepStrictEqual([prod.pool_size.value, prod.pool_size.env?.file], [30, '.env.production']);
    const overflow = dev.max_overflow as JsonSetting & { env: { fallback?: { value: unknown; file: string; line: number } } };
    assert.deepStrictEqual([overflow.value, overflow.env.usedFallback, overflow.env.fallback?.file, overflow.env.fallback?.line], [10, true, 'app/core/config.py', 15]);
    assert.deepStrictEqual([dev.pool_pre_ping.value, prod.pool_pre_ping.value], [false, true]);
    assert.match(pool.profiles.production.database.how, /postgresql\+asyncpg/);
  });

  it('Django: one pool per settings module and alias, the profile it serves, CONN_MAX_AGE and OPTIONS["pool"] with their sources', () => {
    const pools = poolsOf('django-connection-per-request/dj-database-url-production');
    assert.deepStrictEqual(pools.map((p) => [p.library, p.constructor, p.file, Object.keys(p.profiles)]), [
      ['django', 'DATABASES["default"]', 'shop/settings/base.py', ['development']],
      ['django', 'DATABASES["default"]', 'shop/settings/production.py', ['production']],
    ]);
    const prod = pools[1].profiles.production.settings;
    assert.deepStrictEqual([prod.CONN_MAX_AGE.value, prod.CONN_MAX_AGE.source, prod.CONN_MAX_AGE.env?.name, prod.CONN_MAX_AGE.env?.usedFallback], [0, 'env', 'DB_CONN_MAX_AGE', true]);
    assert.deepStrictEqual([prod.ENGINE.value, prod.ENGINE.env?.name, prod.ENGINE.env?.file], ['django.db.backends.postgresql', 'DATABASE_URL', '.env.production']);
    const dev = pools[0].profiles.development.settings;
    assert.deepStrictEqual([dev.CONN_MAX_AGE.value, dev.CONN_MAX_AGE.source], [0, 'default']);
    assert.match(dev.CONN_MAX_AGE.default!.cite, /django\/db\/utils\.py/);
    const [pooled] = poolsOf('invalid-pool-setting/django-pool-with-persistent-connections');
    const s = pooled.profiles.development.settings;
    assert.deepStrictEqual([s.pool.value, s.max_size.value, s.max_size.source, s.timeout.value, s.timeout.source, s.max_lifetime.source], [true, 10, 'env', 10, 'literal', 'default']);
    assert.strictEqual((pooled as unknown as { libraryVersion: { version: string } }).libraryVersion.version, '5.1.4');
  });

  it('Flask-SQLAlchemy: one pool per config class with the profile its name serves, options merged from engine_options and SQLALCHEMY_ENGINE_OPTIONS, ignored legacy keys marked', () => {
    const pools = poolsOf('missing-pre-ping/flask-app-factory-config-classes');
    assert.deepStrictEqual(pools.map((p) => [p.library, p.constructor, p.file, p.line, Object.keys(p.profiles)]), [
      ['flask-sqlalchemy', 'DevelopmentConfig', 'config.py', 17, ['development']],
      ['flask-sqlalchemy', 'ProductionConfig', 'config.py', 26, ['production']],
    ]);
    const prod = pools[1].profiles.production.settings;
    assert.deepStrictEqual([prod.pool_size.value, prod.pool_size.env?.file, prod.pool_size.env?.line], [10, '.env.production', 2]);
    assert.deepStrictEqual([prod.max_overflow.value, prod.max_overflow.source, prod.max_overflow.file, prod.max_overflow.line], [5, 'literal', 'app/extensions.py', 11]);
    assert.deepStrictEqual([prod.pool_recycle.value, prod.pool_recycle.file], [1800, 'config.py']);
    assert.deepStrictEqual([prod.SQLALCHEMY_POOL_SIZE.value, prod.SQLALCHEMY_POOL_SIZE.source], [20, 'literal']);
    assert.match(String((prod.SQLALCHEMY_POOL_SIZE as unknown as { ignored: string }).ignored), /removed in 3\.0/);
    assert.strictEqual(pools[1].profiles.production.database.kind, 'postgresql');
    const [mysql] = poolsOf('missing-recycle/negative-flask-sqlalchemy-2-mysql-recycle-7200');
    const s = mysql.profiles.development.settings;
    assert.deepStrictEqual([s.pool_size.value, s.pool_size.source, s.pool_recycle.value, s.pool_recycle.source, s.pool_recycle.default?.library], [30, 'env', 7200, 'default', 'Flask-SQLAlchemy']);
  });
});
