// SQLite outside Python: better-sqlite3 connections in TS/JS and sqlx SQLite pools in Rust become
// models with the journal mode and busy timeout the code sets (or the library's default), whether a
// web server uses them, and where a WAL fix goes; the three SQLite rules read those facts.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { check, type CheckResult } from '../server/src/engine';
import type { Finding, PoolModel, Span } from '../server/src/engine/model';
import { fixAll } from '../server/src/engine/fixall';
import { relTo } from './helpers/fixtures';

interface Run {
  result: CheckResult;
  pools: PoolModel[];
  findings(rule?: string): Finding[];
  text(span: Span | undefined): string;
  /** The files after --fix. */
  fixed: Record<string, string>;
}

async function run(files: Record<string, string>, library: string): Promise<Run> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-sqlite-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), content);
    }
    const result = await check({ root: dir, rel: relTo(dir) });
    await fixAll({ root: dir, rel: relTo(dir) }, (file, text) => fs.writeFileSync(file, text));
    const fixed: Record<string, string> = {};
    for (const name of Object.keys(files)) fixed[name] = fs.readFileSync(path.join(dir, name), 'utf8');
    return {
      result,
      pools: result.pools.filter((p) => p.library === library),
      findings: (rule) => result.findings.filter((f) => !rule || f.rule === rule),
      text: (span) => {
        assert.ok(span, 'a span');
        return files[path.relative(dir, span.file).split(path.sep).join('/')].slice(span.start, span.end);
      },
      fixed,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const EXPRESS = '{ "dependencies": { "express": "^4.21.0", "better-sqlite3": "^11.0.0" } }\n';

describe('better-sqlite3 detector', () => {
  it('finds new Database(..), Database(..) and require(..)(..) in ESM, CommonJS and TS import = require; not type imports or mocks', async () => {
    const r = await run(
      {
        'a.ts': "import Database from 'better-sqlite3';\nexport const db = new Database('a.db');\n",
        'b.js': "const Sqlite = require('better-sqlite3');\nconst db = Sqlite('b.db', { readonly: true });\nmodule.exports = db;\n",
        'c.js': "const db = require('better-sqlite3')('c.db');\n",
        'd.ts': "import DB = require('better-sqlite3');\nconst db = new DB(':memory:');\n",
        'e.ts': "import type { Database } from 'better-sqlite3';\nexport function use(db: Database) { return db.prepare('SELECT 1').get(); }\nconst Database = class {};\nnew Database();\n",
        'f.test.ts': "import Database from 'better-sqlite3';\njest.mock('better-sqlite3');\nconst db = new Database('f.db');\n",
        'g.tsx': "import Database from 'better-sqlite3';\nconst db = new Database();\nexport const App = () => <div>{String(db.open)}</div>;\n",
      },
      'better-sqlite3',
    );
    const byFile = r.pools.map((p) => [path.basename(p.file), p.constructor]).sort();
    assert.deepStrictEqual(byFile, [
      ['a.ts', 'new Database'],
      ['b.js', 'Database'],
      ['c.js', 'Database'],
      ['d.ts', 'new Database'],
      ['g.tsx', 'new Database'],
    ]);
    const at = (f: string) => r.pools.find((p) => path.basename(p.file) === f)!.profiles.development;
    assert.deepStrictEqual([at('a.ts').database.kind, at('a.ts').database.url, at('a.ts').database.memory], ['sqlite', 'a.db', false]);
    assert.deepStrictEqual([at('b.js').settings.readonly.value, at('b.js').settings.readonly.source], [true, 'literal']);
    assert.strictEqual(at('d.ts').database.memory, true, ':memory:');
    assert.strictEqual(at('g.tsx').database.memory, true, 'no path: a temporary database, private to the connection');
  });

  it('timeout: the option in ms (literal or from the env), else 5000 with its source; a value better-sqlite3 rejects is a crash', async () => {
    const r = await run(
      {
        '.env': 'DB_TIMEOUT=2500\n',
        'a.ts': "import Database from 'better-sqlite3';\nexport const db = new Database('a.db');\n",
        'b.ts': "import Database from 'better-sqlite3';\nexport const db = new Database('b.db', { timeout: Number(process.env.DB_TIMEOUT ?? 8000) });\n",
        'c.ts': "import Database from 'better-sqlite3';\nexport const db = new Database('c.db', { timeout: process.env.DB_TIMEOUT });\n",
        'd.ts': "import Database from 'better-sqlite3';\nexport const db = new Database('d.db', { timeout: 0 });\ndb.pragma('busy_timeout = 3000');\n",
      },
      'better-sqlite3',
    );
    const pool = (f: string) => r.pools.find((p) => path.basename(p.file) === f)!;
    const a = pool('a.ts').profiles.development.settings.timeout;
    assert.deepStrictEqual([a.value, a.source], [5000, 'default']);
    assert.match(a.default!.cite, /WiseLibs\/better-sqlite3@\w+:lib\/database\.js:33/);
    assert.deepStrictEqual([pool('a.ts').sqlite!.busyTimeoutMs.value, pool('a.ts').sqlite!.busyTimeoutMs.source], [5000, 'default']);
    const b = pool('b.ts').profiles.development.settings.timeout;
    assert.deepStrictEqual([b.value, b.source, b.env?.name], [2500, 'env', 'DB_TIMEOUT']);
    assert.strictEqual(b.env?.fallback?.value, 8000, 'the fallback written in code');
    const c = pool('c.ts').profiles.development.settings.timeout;
    assert.strictEqual(c.value, undefined);
    assert.match(c.crash ?? '', /TypeError: Expected the "timeout" option to be a positive integer/);
    // the PRAGMA runs after the constructor, so it wins over the option
    assert.deepStrictEqual([pool('d.ts').sqlite!.busyTimeoutMs.value, pool('d.ts').sqlite!.busyTimeoutMs.source], [3000, 'literal']);
    assert.deepStrictEqual(r.findings('sqlite-no-busy-timeout'), []);
  });

  it('journal mode from db.pragma(..) or a PRAGMA string in exec(..); reading the mode is not setting it', async () => {
    const r = await run(
      {
        'a.ts': "import Database from 'better-sqlite3';\nconst db = new Database('a.db');\ndb.pragma('journal_mode = WAL');\n",
        'b.js': "const Database = require('better-sqlite3');\nconst db = new Database('b.db');\ndb.exec(\"PRAGMA journal_mode=wal; PRAGMA foreign_keys=ON;\");\n",
        'c.ts': "import Database from 'better-sqlite3';\nconst db = new Database('c.db');\nconsole.log(db.pragma('journal_mode', { simple: true }));\n",
      },
      'better-sqlite3',
    );
    const jm = (f: string) => r.pools.find((p) => path.basename(p.file) === f)!.sqlite!.journalMode;
    assert.deepStrictEqual([jm('a.ts').value, jm('a.ts').source, r.text(jm('a.ts').span)], ['wal', 'literal', "db.pragma('journal_mode = WAL')"]);
    assert.deepStrictEqual([jm('b.js').value, jm('b.js').source], ['wal', 'literal']);
    assert.deepStrictEqual([jm('c.ts').value, jm('c.ts').source], ['delete', 'default']);
  });

  it('server: a web framework imported or required by the module, or in package.json dependencies; else none', async () => {
    const r = await run(
      {
        'imp/db.ts': "import Database from 'better-sqlite3';\nimport { Hono } from 'hono';\nexport const db = new Database('x.db');\n",
        'req/db.js': "const Database = require('better-sqlite3');\nconst Koa = require('koa');\nconst db = new Database('x.db');\n",
        'pkg/package.json': '{ "dependencies": { "@nestjs/core": "^10.0.0" } }\n',
        'pkg/src/db.ts': "import Database from 'better-sqlite3';\nexport const db = new Database('x.db');\n",
        'dev/package.json': '{ "devDependencies": { "express": "^4.0.0" } }\n',
        'dev/tool.ts': "import Database from 'better-sqlite3';\nconst db = new Database('x.db');\n",
      },
      'better-sqlite3',
    );
    const server = (dir: string) => r.pools.find((p) => p.file.includes(`${path.sep}${dir}${path.sep}`))!.sqlite!.server;
    assert.deepStrictEqual(server('imp'), { value: true, how: 'this module imports hono' });
    assert.deepStrictEqual(server('req'), { value: true, how: 'this module requires koa' });
    assert.deepStrictEqual(server('pkg'), { value: true, how: 'pkg/package.json depends on @nestjs/core' });
    assert.strictEqual(server('dev').value, false, 'devDependencies are not what the app runs');
    assert.deepStrictEqual(r.findings('sqlite-no-wal').map((f) => path.relative(r.result.root, f.span.file).split(path.sep)[0]).sort(), ['imp', 'pkg', 'req']);
  });

  it('where the connection is kept: module level (shared), this.x (shared), or a local in a function (not shared)', async () => {
    const r = await run(
      {
        'package.json': EXPRESS,
        'a.ts': "import Database from 'better-sqlite3';\nexport const db = new Database('a.db');\n",
        'b.ts': "import Database from 'better-sqlite3';\nlet db: Database.Database | undefined;\nexport function get() {\n  if (!db) db = new Database('b.db');\n  return db;\n}\n",
        'c.ts': "import Database from 'better-sqlite3';\nexport class Repo {\n  db: Database.Database;\n  constructor() {\n    this.db = new Database('c.db');\n  }\n}\n",
        'd.ts': "import Database from 'better-sqlite3';\nexport function handle() {\n  const db = new Database('d.db');\n  try { return db.prepare('SELECT 1').get(); } finally { db.close(); }\n}\n",
      },
      'better-sqlite3',
    );
    const facts = (f: string) => r.pools.find((p) => path.basename(p.file) === f)!.sqlite!;
    assert.deepStrictEqual(facts('a.ts').shared, { holder: 'db', kind: 'module' });
    assert.strictEqual(r.text(facts('a.ts').insertAfter), "export const db = new Database('a.db');");
    assert.deepStrictEqual(facts('b.ts').shared, { holder: 'db', kind: 'module' });
    assert.deepStrictEqual(facts('c.ts').shared, { holder: 'this.db', kind: 'self' });
    assert.strictEqual(facts('d.ts').shared, undefined);
    assert.strictEqual(facts('d.ts').connection, 'db');
    assert.strictEqual(facts('a.ts').awaited, false);
    // better-sqlite3 is synchronous and its maintainer advises one connection per process: not flagged
    assert.deepStrictEqual(r.findings('sqlite-single-shared-connection'), []);
    assert.strictEqual(r.findings('sqlite-no-wal').length, 4);
  });

  it('the WAL fix follows the file: no semicolons and double quotes stay so; readonly and in-memory databases get none', async () => {
    const r = await run(
      {
        'package.json': EXPRESS,
        'a.js': 'const Database = require("better-sqlite3")\nconst db = new Database("a.db")\nmodule.exports = { db }\n',
        'b.ts': "import Database from 'better-sqlite3';\nexport const db = new Database('b.db', { readonly: true });\n",
        'c.ts': "import Database from 'better-sqlite3';\nexport const db = new Database(':memory:');\n",
      },
      'better-sqlite3',
    );
    assert.strictEqual(r.fixed['a.js'], 'const Database = require("better-sqlite3")\nconst db = new Database("a.db")\ndb.pragma("journal_mode = WAL")\nmodule.exports = { db }\n');
    const wal = r.findings('sqlite-no-wal');
    assert.deepStrictEqual(wal.map((f) => [path.basename(f.span.file), !!f.fix]), [['a.js', true], ['b.ts', false]]);
    assert.strictEqual(r.fixed['b.ts'].includes('pragma'), false);
  });

  it('busy_timeout = 0 in a PRAGMA is reported there and fixed to 5000', async () => {
    const r = await run(
      {
        'package.json': EXPRESS,
        'a.ts': "import Database from 'better-sqlite3';\nexport const db = new Database('a.db');\ndb.pragma('journal_mode = WAL');\ndb.pragma('busy_timeout = 0');\n",
      },
      'better-sqlite3',
    );
    const [f] = r.findings('sqlite-no-busy-timeout');
    assert.strictEqual(r.text(f.span), "db.pragma('busy_timeout = 0')");
    assert.match(f.message, /better-sqlite3's default is 5000 ms/);
    assert.match(r.fixed['a.ts'], /db\.pragma\('busy_timeout = 5000'\);/);
  });
});

const CARGO_AXUM = '[package]\nname = "svc"\nversion = "0.1.0"\n\n[dependencies]\naxum = "0.8"\nsqlx = { version = "0.8", features = ["sqlite"] }\n';

describe('sqlx SQLite facts', () => {
  it('a pool that connects with a URL: journal mode not set (DELETE), busy timeout 5 s by default, and a WAL finding without a fix', async () => {
    const r = await run(
      {
        'src/main.rs': [
          'use axum::Router;',
          'use sqlx::sqlite::SqlitePoolOptions;',
          '',
          '#[tokio::main]',
          'async fn main() {',
          '    let pool = SqlitePoolOptions::new().max_connections(4).connect("sqlite:app.db").await.unwrap();',
          '    let _app: Router = Router::new().with_state(pool);',
          '}',
          '',
        ].join('\n'),
      },
      'sqlx',
    );
    const s = r.pools[0].sqlite!;
    assert.deepStrictEqual([s.journalMode.value, s.journalMode.source], ['delete', 'default']);
    assert.match(s.journalMode.default!.cite, /sqlx-sqlite\/src\/options\/mod\.rs:177-181/);
    assert.deepStrictEqual([s.busyTimeoutMs.value, s.busyTimeoutMs.source], [5000, 'default']);
    assert.match(s.busyTimeoutMs.default!.cite, /sqlx@v0\.8\.6:sqlx-sqlite\/src\/options\/mod\.rs:201/);
    assert.deepStrictEqual(s.server, { value: true, how: 'this file uses axum' });
    assert.strictEqual(s.insertAfter, undefined);
    const [f] = r.findings('sqlite-no-wal');
    assert.ok(f, 'a WAL finding');
    assert.strictEqual(f.fix, undefined, 'no connect options to add .journal_mode(..) to');
    assert.match(f.message, /Set \.journal_mode\(SqliteJournalMode::Wal\)/);
  });

  it('reads .journal_mode(..), .pragma("journal_mode", ..), .busy_timeout(..) on the SqliteConnectOptions the pool connects with', async () => {
    const r = await run(
      {
        'Cargo.toml': CARGO_AXUM,
        'src/db.rs': [
          'use std::{str::FromStr, time::Duration};',
          'use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};',
          '',
          'pub async fn wal() -> sqlx::Result<sqlx::SqlitePool> {',
          '    let opts = SqliteConnectOptions::from_str("sqlite:a.db")?.journal_mode(SqliteJournalMode::Wal).busy_timeout(Duration::from_millis(250));',
          '    SqlitePoolOptions::new().connect_with(opts).await',
          '}',
          '',
          'pub async fn pragma() -> sqlx::Result<sqlx::SqlitePool> {',
          '    SqlitePoolOptions::new().connect_with(SqliteConnectOptions::new().filename("b.db").pragma("journal_mode", "wal")).await',
          '}',
          '',
          'pub async fn delete() -> sqlx::Result<sqlx::SqlitePool> {',
          '    let opts = SqliteConnectOptions::new().filename("c.db").journal_mode(sqlx::sqlite::SqliteJournalMode::Delete).busy_timeout(Duration::ZERO);',
          '    SqlitePoolOptions::new().connect_with(opts).await',
          '}',
          '',
        ].join('\n'),
      },
      'sqlx',
    );
    assert.strictEqual(r.pools.length, 3);
    const [a, b, c] = r.pools.map((p) => p.sqlite!);
    assert.deepStrictEqual([a.journalMode.value, a.journalMode.source, a.busyTimeoutMs.value], ['wal', 'literal', 250]);
    assert.strictEqual(r.pools[0].profiles.development.database.url, 'sqlite:a.db');
    assert.deepStrictEqual([b.journalMode.value, b.busyTimeoutMs.value, b.busyTimeoutMs.source], ['wal', 5000, 'default']);
    assert.deepStrictEqual([c.journalMode.value, c.journalMode.source, c.busyTimeoutMs.value], ['delete', 'literal', 0]);
    assert.deepStrictEqual(c.server, { value: true, how: 'Cargo.toml depends on axum' });
    // DELETE written in code is reported where it is written, and not rewritten
    const wal = r.findings('sqlite-no-wal');
    assert.strictEqual(wal.length, 1);
    assert.strictEqual(r.text(wal[0].span), '.journal_mode(sqlx::sqlite::SqliteJournalMode::Delete)');
    assert.match(wal[0].message, /journal_mode delete \(written at src\/db\.rs:14\)/);
    assert.strictEqual(wal[0].fix, undefined);
    const bt = r.findings('sqlite-no-busy-timeout');
    assert.strictEqual(bt.length, 1);
    assert.strictEqual(r.text(bt[0].span), 'Duration::ZERO');
    assert.match(bt[0].message, /sqlx's default is 5 s/);
  });

  it('fixes: .journal_mode(..) inline after from_str(..)?, and busy_timeout(Duration::from_secs(0)) to 5 s', async () => {
    const r = await run(
      {
        'Cargo.toml': CARGO_AXUM,
        'src/db.rs': [
          'use std::{str::FromStr, time::Duration};',
          'use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};',
          '',
          'pub async fn pool(url: &str) -> Result<sqlx::SqlitePool, sqlx::Error> {',
          '    let opts = SqliteConnectOptions::from_str("sqlite:data.db").unwrap().busy_timeout(Duration::from_secs(0));',
          '    SqlitePoolOptions::new().connect_with(opts).await',
          '}',
          '',
        ].join('\n'),
      },
      'sqlx',
    );
    assert.deepStrictEqual(r.findings().map((f) => f.rule).sort(), ['sqlite-no-busy-timeout', 'sqlite-no-wal']);
    assert.ok(r.findings().every((f) => f.fix));
    assert.ok(
      r.fixed['src/db.rs'].includes('SqliteConnectOptions::from_str("sqlite:data.db").unwrap().journal_mode(sqlx::sqlite::SqliteJournalMode::Wal).busy_timeout(Duration::from_secs(5));'),
      r.fixed['src/db.rs'],
    );
  });

  it('PRAGMA strings run by the code count; an options value not followed to the pool uses the one chain of the file, without a fix', async () => {
    const r = await run(
      {
        'Cargo.toml': '[workspace]\nmembers = ["api"]\n\n[workspace.dependencies]\nactix-web = "4"\n',
        'api/Cargo.toml': '[package]\nname = "api"\nversion = "0.1.0"\n\n[dependencies]\nsqlx = "0.8"\n',
        'api/src/a.rs': [
          'use sqlx::sqlite::SqlitePool;',
          'pub async fn open() -> sqlx::Result<SqlitePool> {',
          '    let pool = SqlitePool::connect("sqlite:a.db").await?;',
          '    sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;',
          '    Ok(pool)',
          '}',
          '',
        ].join('\n'),
        'api/src/b.rs': [
          'use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};',
          'pub fn options() -> SqliteConnectOptions {',
          '    SqliteConnectOptions::new().filename("b.db").journal_mode(SqliteJournalMode::Truncate)',
          '}',
          'pub async fn open(opts: SqliteConnectOptions) -> sqlx::Result<sqlx::SqlitePool> {',
          '    SqlitePoolOptions::new().connect_with(opts).await',
          '}',
          '',
        ].join('\n'),
      },
      'sqlx',
    );
    const facts = (f: string) => r.pools.find((p) => path.basename(p.file) === f)!.sqlite!;
    assert.deepStrictEqual([facts('a.rs').journalMode.value, r.text(facts('a.rs').journalMode.span)], ['wal', '"PRAGMA journal_mode = WAL"']);
    assert.deepStrictEqual(facts('a.rs').server, { value: true, how: 'Cargo.toml depends on actix-web' });
    assert.deepStrictEqual([facts('b.rs').journalMode.value, facts('b.rs').insertAfter], ['truncate', undefined]);
    assert.deepStrictEqual(r.findings('sqlite-no-wal').map((f) => path.basename(f.span.file)), ['b.rs']);
  });

  it('no web framework: no finding; Any pools on a sqlite URL get the facts, Postgres pools none', async () => {
    const r = await run(
      {
        'src/main.rs': [
          'use sqlx::{any::AnyPoolOptions, postgres::PgPoolOptions, sqlite::SqlitePoolOptions};',
          'async fn run() -> sqlx::Result<()> {',
          '    let a = AnyPoolOptions::new().connect("sqlite:any.db").await?;',
          '    let p = PgPoolOptions::new().connect("postgres://u@h/db").await?;',
          '    let s = SqlitePoolOptions::new().connect("sqlite:batch.db").await?;',
          '    Ok(())',
          '}',
          '',
        ].join('\n'),
      },
      'sqlx',
    );
    assert.deepStrictEqual(r.pools.map((p) => [p.profiles.development.database.kind, !!p.sqlite]), [['sqlite', true], ['postgresql', false], ['sqlite', true]]);
    assert.deepStrictEqual(r.pools[2].sqlite!.server, { value: false, how: 'no sign of a web server in this file or its Cargo.toml' });
    assert.deepStrictEqual(r.findings().filter((f) => f.rule.startsWith('sqlite-')), []);
  });
});
