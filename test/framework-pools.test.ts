// Pools behind frameworks and ORMs beyond the core four: which forms each detector follows, how
// per-environment config maps to profiles, and that every library's pools reach
// `pool-lint check --format json` with effective values and their sources.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { check } from '../server/src/engine';
import type { PoolModel } from '../server/src/engine/model';
import { relTo } from './helpers/fixtures';
import { cli } from './helpers/cli';

function write(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
}

async function run(files: Record<string, string>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-fw-'));
  try {
    write(dir, files);
    const r = await check({ root: dir, rel: relTo(dir) });
    const rel = relTo(dir);
    const at = (file: string): PoolModel[] => r.pools.filter((p) => rel(p.file) === file);
    const value = (p: PoolModel, profile: string, name: string) => [p.profiles[profile].settings[name].value, p.profiles[profile].settings[name].source];
    return { r, rel, at, value };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('knex detector', () => {
  it('finds knex() through default, named, CommonJS and require()() forms; not other functions named knex', async () => {
    const { r, rel } = await run({
      'a.ts': "import knex from 'knex';\nexport const a = knex({ client: 'pg', connection: process.env.DATABASE_URL, pool: { max: 7 } });\n",
      'b.ts': "import { knex as makeKnex } from 'knex';\nexport const b = makeKnex({ client: 'mysql2', connection: 'mysql://app@db/app' });\n",
      'c.js': "const Knex = require('knex');\nmodule.exports = Knex({ client: 'postgresql', connection: {} });\n",
      'd.js': "module.exports = require('knex')({ client: 'sqlite3', connection: { filename: ':memory:' } });\n",
      'e.js': "const { knex } = require('./not-knex');\nmodule.exports = knex({ client: 'pg' });\n",
    });
    assert.deepStrictEqual(r.pools.map((p) => rel(p.file)).sort(), ['a.ts', 'b.ts', 'c.js', 'd.js']);
    const kinds = Object.fromEntries(r.pools.map((p) => [rel(p.file), p.profiles.development.database.kind]));
    assert.deepStrictEqual(kinds, { 'a.ts': 'postgresql', 'b.ts': 'mysql', 'c.js': 'postgresql', 'd.js': 'sqlite' });
    const d = r.pools.find((p) => rel(p.file) === 'd.js')!;
    // knex's sqlite3 dialect holds one connection
    assert.deepStrictEqual([d.profiles.development.settings.max.value, d.profiles.development.settings.min.value], [1, 1]);
  });

  it('maps knexfile sections to profiles by NODE_ENV (the profile\'s own, else its name), and does not count knex(require("./knexfile")[env]) twice', async () => {
    const { r, at, value } = await run({
      'knexfile.ts': [
        "import type { Knex } from 'knex';",
        'const config: { [key: string]: Knex.Config } = {',
        "  development: { client: 'pg', connection: process.env.DATABASE_URL, pool: { max: 4 } },",
        "  staging: { client: 'pg', connection: process.env.DATABASE_URL, pool: { max: 12 }, acquireConnectionTimeout: 5000 },",
        "  production: { client: 'pg', connection: process.env.DATABASE_URL, pool: { min: 2, max: Number(process.env.DB_POOL_MAX ?? 30) } },",
        '};',
        'module.exports = config;',
        '',
      ].join('\n'),
      'src/db.ts': "import knex from 'knex';\nimport config from '../knexfile';\nexport const db = knex(config[process.env.NODE_ENV || 'development']);\n",
      '.env': 'DATABASE_URL=postgres://app@localhost/app\n',
      '.env.production': 'DATABASE_URL=postgres://app@db/app\nDB_POOL_MAX=40\n',
      '.env.staging': 'NODE_ENV=staging\nDATABASE_URL=postgres://app@db/app\n',
      'poollint.config.json': JSON.stringify({ profiles: { development: ['.env'], production: ['.env.production'], staging: ['.env.staging'] } }),
    });
    assert.strictEqual(r.pools.length, 1, r.pools.map((p) => p.file).join(', '));
    const [p] = at('knexfile.ts');
    assert.deepStrictEqual(value(p, 'development', 'max'), [4, 'literal']);
    assert.deepStrictEqual(value(p, 'production', 'max'), [40, 'env']);
    assert.deepStrictEqual(value(p, 'staging', 'max'), [12, 'literal']);
    // the smaller of acquireConnectionTimeout and pool.acquireTimeoutMillis
    assert.deepStrictEqual(value(p, 'staging', 'acquireTimeoutMillis'), [5000, 'literal']);
    assert.deepStrictEqual(value(p, 'production', 'acquireTimeoutMillis'), [60000, 'default']);
  });
});

describe('Sequelize detector', () => {
  it('reads the options from each constructor form and the database from dialect or URL', async () => {
    const { r, rel } = await run({
      'a.ts': "import { Sequelize } from 'sequelize';\nexport const a = new Sequelize('postgres://app@db/app', { pool: { max: 20, acquire: 30000 } });\n",
      'b.js': "const Sequelize = require('sequelize');\nmodule.exports = new Sequelize('app', 'app', 'secret', { dialect: 'mariadb', pool: { max: 9 } });\n",
      'c.ts': "import { Sequelize } from 'sequelize-typescript';\nexport const c = new Sequelize({ dialect: 'sqlite', storage: ':memory:' });\n",
      'd.js': "const { Sequelize } = require('sequelize');\nmodule.exports = new Sequelize(process.env.DATABASE_URL);\n",
      '.env': 'DATABASE_URL=mysql://app:secret@db/app\n',
    });
    const by = Object.fromEntries(r.pools.map((p) => [rel(p.file), p.profiles.development]));
    assert.deepStrictEqual(Object.keys(by).sort(), ['a.ts', 'b.js', 'c.ts', 'd.js']);
    assert.deepStrictEqual(Object.fromEntries(Object.entries(by).map(([f, p]) => [f, [p.database.kind, p.settings.max.value, p.settings.max.source]])), {
      'a.ts': ['postgresql', 20, 'literal'],
      'b.js': ['mysql', 9, 'literal'],
      'c.ts': ['sqlite', 5, 'default'],
      'd.js': ['mysql', 5, 'default'],
    });
    assert.deepStrictEqual([by['a.ts'].settings.acquire.value, by['d.js'].settings.acquire.value], [30000, 60000]);
    // the URL's password never reaches the model
    assert.ok(!JSON.stringify(r.pools).includes('secret@'), 'a password leaked into the pool model');
  });
});

describe('mysql2 detector', () => {
  it('finds createPool from mysql2 and mysql2/promise in every import form, with mysql2\'s own reading of values', async () => {
    const { r, rel } = await run({
      'a.ts': "import mysql from 'mysql2/promise';\nexport const a = mysql.createPool({ uri: process.env.DATABASE_URL, connectionLimit: 20 });\n",
      'b.ts': "import { createPool } from 'mysql2';\nexport const b = createPool({ connectionLimit: process.env.LIMIT, waitForConnections: false }).promise();\n",
      'c.js': "const mysql = require('mysql2');\nmodule.exports = mysql.createPool('mysql://app:Pq9-url@db/app');\n",
      'd.js': "const { createPool } = require('generic-pool');\nmodule.exports = createPool({ create() {}, destroy() {} }, { max: 3 });\n",
      '.env': 'DATABASE_URL=mysql://app:Pq9-env@db/app\nLIMIT=15\n',
    });
    const by = Object.fromEntries(r.pools.map((p) => [rel(p.file), p.profiles.development]));
    assert.deepStrictEqual(Object.keys(by).sort(), ['a.ts', 'b.ts', 'c.js']);
    // process.env values are strings; mysql2 applies Number() itself
    assert.deepStrictEqual([by['a.ts'].settings.connectionLimit.value, by['b.ts'].settings.connectionLimit.value, by['b.ts'].settings.connectionLimit.source, by['c.js'].settings.connectionLimit.value], [20, 15, 'env', 10]);
    assert.deepStrictEqual([by['b.ts'].settings.waitForConnections.value, by['a.ts'].settings.queueLimit.value, by['a.ts'].settings.maxIdle.value], [false, 0, 20]);
    assert.ok(Object.values(by).every((p) => p.database.kind === 'mysql'));
    assert.strictEqual(by['c.js'].database.url, 'mysql://app:***@db/app');
    assert.ok(!JSON.stringify(r.pools).includes('Pq9-'), 'a password leaked into the pool model');
  });
});

describe('Go detectors (database/sql, sqlx, pgxpool)', () => {
  it('reads setters on the opened *sql.DB, env values through strconv.Atoi, Duration units, pgxpool config fields and URL parameters; skips _test.go', async () => {
    const { r, rel } = await run({
      'store/a.go': 'package store\n\nimport (\n\tdbsql "database/sql"\n\t"os"\n\t"strconv"\n\t"time"\n)\n\nconst idle = 8\n\nfunc A() *dbsql.DB {\n\tdb, _ := dbsql.Open("mysql", os.Getenv("DSN"))\n\tn, _ := strconv.Atoi(os.Getenv("MAX_OPEN"))\n\tdb.SetMaxOpenConns(n)\n\tdb.SetMaxIdleConns(idle)\n\tdb.SetConnMaxLifetime(time.Duration(3) * time.Minute)\n\treturn db\n}\n',
      'store/b.go': 'package store\n\nimport "github.com/jmoiron/sqlx"\n\nfunc B() *sqlx.DB {\n\treturn sqlx.MustConnect("postgres", "postgres://app@db/app")\n}\n',
      'store/c.go': 'package store\n\nimport (\n\t"context"\n\t"time"\n\n\t"github.com/jackc/pgx/v5/pgxpool"\n)\n\nfunc C(ctx context.Context) (*pgxpool.Pool, error) {\n\tcfg, err := pgxpool.ParseConfig("postgres://app@db/app?pool_max_conns=12&pool_max_conn_lifetime=90s")\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\tcfg.MinConns = 2\n\tcfg.HealthCheckPeriod = 30 * time.Second\n\treturn pgxpool.NewWithConfig(ctx, cfg)\n}\n',
      'store/a_test.go': 'package store\n\nimport "database/sql"\n\nfunc T() { sql.Open("postgres", "") }\n',
      '.env': 'DSN=app:Gq4-go@tcp(db)/app\nMAX_OPEN=30\n',
    });
    const by = Object.fromEntries(r.pools.map((p) => [rel(p.file), p]));
    assert.deepStrictEqual(Object.keys(by).sort(), ['store/a.go', 'store/b.go', 'store/c.go']);
    const a = by['store/a.go'].profiles.development;
    assert.deepStrictEqual([a.database.kind, a.settings.MaxOpenConns.value, a.settings.MaxOpenConns.source, a.settings.MaxOpenConns.env?.name, a.settings.MaxIdleConns.value, a.settings.ConnMaxLifetime.value], ['mysql', 30, 'env', 'MAX_OPEN', 8, 180]);
    const b = by['store/b.go'].profiles.development;
    assert.deepStrictEqual([b.database.kind, b.settings.MaxOpenConns.value, b.settings.MaxOpenConns.source, b.settings.MaxIdleConns.value], ['postgresql', 0, 'default', 2]);
    const c = by['store/c.go'].profiles.development;
    assert.deepStrictEqual([c.settings.MaxConns.value, c.settings.MaxConnLifetime.value, c.settings.MinConns.value, c.settings.HealthCheckPeriod.value, c.settings.MaxConnIdleTime.value], [12, 90, 2, 30, 1800]);
    assert.ok(!JSON.stringify(r.pools).includes('Gq4-go'), 'a password leaked into the pool model');
  });
});

describe('pool-lint check --format json: every framework library', () => {
  it('lists each library\'s pools with effective values and where each came from', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-fw-json-'));
    try {
      write(dir, {
        'knexfile.js': "module.exports = {\n  development: { client: 'pg', connection: process.env.DATABASE_URL },\n  production: { client: 'pg', connection: process.env.DATABASE_URL, pool: { max: Number(process.env.DB_POOL_MAX ?? 10) } },\n};\n",
        'orm/index.js': "const { Sequelize } = require('sequelize');\nmodule.exports = new Sequelize(process.env.DATABASE_URL, { pool: { max: 15 } });\n",
        'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n',
        'svc/db.go': 'package svc\n\nimport (\n\t"database/sql"\n\t"os"\n)\n\nfunc Open() (*sql.DB, error) {\n\tdb, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\tdb.SetMaxIdleConns(5)\n\treturn db, nil\n}\n',
        'svc/pool.go': 'package svc\n\nimport (\n\t"context"\n\t"os"\n\n\t"github.com/jackc/pgx/v5/pgxpool"\n)\n\nfunc Pool(ctx context.Context) (*pgxpool.Pool, error) {\n\treturn pgxpool.New(ctx, os.Getenv("DATABASE_URL"))\n}\n',
        'legacy/db.js': "const mysql = require('mysql2');\nmodule.exports = mysql.createPool({ host: 'mysql', connectionLimit: Number(process.env.LEGACY_LIMIT ?? 8) });\n",
        '.env': 'DATABASE_URL=postgres://app:pw@localhost/app\n',
        '.env.production': 'DATABASE_URL=postgres://app:pw@db/app?connection_limit=12&pool_timeout=20\nDB_POOL_MAX=25\n',
      });
      const j = JSON.parse(cli(['check', '--format', 'json'], dir).stdout);
      type S = { value: unknown; source: string; env?: { name: string; file?: string }; default?: { library: string; cite: string }; line?: number };
      const pool = (lib: string) => {
        const p = j.pools.find((x: { library: string }) => x.library === lib);
        assert.ok(p, `no ${lib} pool in the JSON`);
        return p as { file: string; profiles: Record<string, { settings: Record<string, S>; database: { kind: string } }> };
      };
      const knex = pool('knex');
      assert.strictEqual(knex.file, 'knexfile.js');
      assert.deepStrictEqual([knex.profiles.development.settings.max.value, knex.profiles.development.settings.max.source], [10, 'default']);
      assert.match(knex.profiles.development.settings.max.default!.cite, /knex\/knex@e25d54bc.*lib\/client\.js/);
      const prodMax = knex.profiles.production.settings.max;
      assert.deepStrictEqual([prodMax.value, prodMax.source, prodMax.env?.name, prodMax.env?.file], [25, 'env', 'DB_POOL_MAX', '.env.production']);
      const seq = pool('sequelize');
      assert.deepStrictEqual([seq.profiles.development.settings.max.value, seq.profiles.development.settings.max.source, seq.profiles.development.settings.max.line], [15, 'literal', 2]);
      assert.deepStrictEqual([seq.profiles.development.settings.acquire.value, seq.profiles.development.settings.acquire.source], [60000, 'default']);
      assert.strictEqual(seq.profiles.production.database.kind, 'postgresql');
      const my = pool('mysql2');
      const limit = my.profiles.development.settings.connectionLimit as S & { env?: { fallback?: { value: unknown } } };
      assert.deepStrictEqual([limit.value, limit.source, limit.env?.name, limit.env?.fallback?.value], [8, 'env', 'LEGACY_LIMIT', 8]);
      assert.deepStrictEqual([my.profiles.development.settings.queueLimit.value, my.profiles.development.settings.queueLimit.source], [0, 'default']);
      assert.match(my.profiles.development.settings.queueLimit.default!.cite, /node-mysql2@928c3c51.*pool_config\.js/);
      assert.strictEqual(my.profiles.development.database.kind, 'mysql');
      const prisma = pool('prisma');
      assert.strictEqual(prisma.file, 'prisma/schema.prisma');
      const dev = prisma.profiles.development.settings;
      const prod = prisma.profiles.production.settings;
      assert.deepStrictEqual([dev.connection_limit.value, dev.connection_limit.source, dev.pool_timeout.value], [9, 'default', 10]);
      assert.match(dev.connection_limit.default!.cite, /prisma\.io\/docs/);
      assert.deepStrictEqual([prod.connection_limit.value, prod.connection_limit.source, prod.connection_limit.env?.name, prod.connection_limit.env?.file, prod.pool_timeout.value], [12, 'env', 'DATABASE_URL', '.env.production', 20]);
      const go = pool('go-database-sql').profiles.development.settings;
      assert.deepStrictEqual([go.MaxOpenConns.value, go.MaxOpenConns.source, go.MaxIdleConns.value, go.MaxIdleConns.source, go.MaxIdleConns.line], [0, 'default', 5, 'literal', 13]);
      assert.match(go.MaxOpenConns.default!.cite, /golang\/go@59fbc067:src\/database\/sql\/sql\.go/);
      const pgx = pool('pgxpool').profiles.production.settings;
      assert.deepStrictEqual([pgx.MaxConns.value, pgx.MaxConns.source, pgx.MaxConnLifetime.value], [4, 'default', 3600]);
      assert.match(pgx.MaxConns.default!.cite, /jackc\/pgx@728cefa8:pgxpool\/pool\.go/);
      assert.ok(!cli(['check', '--format', 'json'], dir).stdout.includes(':pw@'), 'a password was printed');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
