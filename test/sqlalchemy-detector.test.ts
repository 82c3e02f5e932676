// What the SQLAlchemy detector follows in real code: import forms, keyword and ** arguments, env
// reads and their parsing, values held in names, classes, functions and branches.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { check } from '../server/src/engine';
import type { PoolModel } from '../server/src/engine/model';
import { relTo } from './helpers/fixtures';

async function pools(files: Record<string, string>, profile = 'development'): Promise<{ pools: PoolModel[]; get: (i: number, name: string) => [unknown, string] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-det-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), content);
    }
    const r = await check({ root: dir, rel: relTo(dir) });
    return {
      pools: r.pools,
      get: (i, name) => {
        const s = r.pools[i].profiles[profile].settings[name];
        return [s.value === undefined ? 'unknown' : s.value, s.source];
      },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('SQLAlchemy detector', () => {
  it('finds bare, qualified, module-aliased and name-aliased constructors, sync and async', async () => {
    const r = await pools({
      'a.py': [
        'import sqlalchemy',
        'import sqlalchemy as sa',
        'from sqlalchemy import create_engine as ce',
        'from sqlalchemy.ext.asyncio import create_async_engine',
        'import sqlalchemy.ext.asyncio',
        'e1 = sqlalchemy.create_engine("postgresql://a@h/d")',
        'e2 = sa.create_engine("postgresql://a@h/d")',
        'e3 = ce("postgresql://a@h/d")',
        'e4 = create_async_engine("postgresql+asyncpg://a@h/d")',
        'e5 = sqlalchemy.ext.asyncio.create_async_engine("postgresql+asyncpg://a@h/d")',
        'def create_engine(x):  # a local function of the same name is not SQLAlchemy',
        '    return x',
        'e6 = create_engine("postgresql://a@h/d")',
        '',
      ].join('\n'),
    });
    assert.deepStrictEqual(r.pools.map((p) => [p.span.line + 1, p.constructor, p.async]), [
      [6, 'create_engine', false],
      [7, 'create_engine', false],
      [8, 'create_engine', false],
      [9, 'create_async_engine', true],
      [10, 'create_async_engine', true],
    ]);
    assert.strictEqual(r.pools[3].profiles.development.poolClass.name, 'AsyncAdaptedQueuePool');
  });

  it('reads env values through getenv, environ.get, environ[...] and their int/float/bool parsing', async () => {
    const r = await pools({
      '.env': 'POOL=25\nOVER=5\nTIMEOUT=2.5\nRECYCLE=900\nURL=postgresql://u:pw@h/d\n',
      'db.py': [
        'import os',
        'from os import getenv, environ',
        'from sqlalchemy import create_engine',
        'engine = create_engine(',
        '    environ["URL"],',
        '    pool_size=int(getenv("POOL", 5)),',
        '    max_overflow=int(os.environ.get("OVER", "10")),',
        '    pool_timeout=float(os.getenv("TIMEOUT", "30")),',
        '    pool_recycle=int(os.environ["RECYCLE"]),',
        '    pool_use_lifo=os.getenv("LIFO", "true").lower() == "true",',
        ')',
        '',
      ].join('\n'),
    });
    assert.deepStrictEqual(r.get(0, 'pool_size'), [25, 'env']);
    assert.deepStrictEqual(r.get(0, 'max_overflow'), [5, 'env']);
    assert.deepStrictEqual(r.get(0, 'pool_timeout'), [2.5, 'env']);
    assert.deepStrictEqual(r.get(0, 'pool_recycle'), [900, 'env']);
    assert.deepStrictEqual(r.get(0, 'pool_use_lifo'), [true, 'literal']);
    assert.strictEqual(r.pools[0].profiles.development.database.kind, 'postgresql');
    assert.strictEqual(r.pools[0].profiles.development.database.url, 'postgresql://u:***@h/d');
  });

  it('follows ** dicts: literals, module constants, dict(), merged dicts, update() and item assignment', async () => {
    const r = await pools({
      'db.py': [
        'from sqlalchemy import create_engine',
        'BASE = {"pool_size": 10, "pool_pre_ping": True}',
        'OPTS = {**BASE, "max_overflow": 3}',
        'opts2 = dict(pool_size=7)',
        'opts2.update({"pool_recycle": 600})',
        'opts2["pool_timeout"] = 12',
        'e1 = create_engine("postgresql://a@h/d", **OPTS)',
        'e2 = create_engine("postgresql://a@h/d", **opts2)',
        'e3 = create_engine("postgresql://a@h/d", **{"pool_size": 4})',
        '',
      ].join('\n'),
    });
    assert.deepStrictEqual([r.get(0, 'pool_size'), r.get(0, 'max_overflow'), r.get(0, 'pool_pre_ping')], [[10, 'literal'], [3, 'literal'], [true, 'literal']]);
    assert.deepStrictEqual([r.get(1, 'pool_size'), r.get(1, 'pool_recycle'), r.get(1, 'pool_timeout')], [[7, 'literal'], [600, 'literal'], [12, 'literal']]);
    assert.deepStrictEqual(r.get(2, 'pool_size'), [4, 'literal']);
  });

  it('follows functions, methods, class attributes and the one call site of a function or class', async () => {
    const r = await pools({
      'db.py': [
        'import os',
        'from sqlalchemy import create_engine',
        'class Settings:',
        '    POOL_SIZE = int(os.getenv("POOL_SIZE", "12"))',
        'def url_for(kind):',
        '    if kind == "pg":',
        '        return "postgresql://a@h/d"',
        '    return "sqlite:///x.db"',
        'class Db:',
        '    def __init__(self, url, size):',
        '        self.url = url',
        '        self.size = size',
        '    def options(self):',
        '        return {"pool_size": self.size, "max_overflow": Settings.POOL_SIZE}',
        '    def connect(self):',
        '        return create_engine(self.url, **self.options())',
        'db = Db(url_for("pg"), size=30)',
        '',
      ].join('\n'),
    });
    assert.strictEqual(r.pools[0].profiles.development.database.kind, 'postgresql');
    assert.deepStrictEqual(r.get(0, 'pool_size'), [30, 'literal']);
    assert.deepStrictEqual(r.get(0, 'max_overflow'), [12, 'env']);
  });

  it('a condition it cannot decide keeps what both branches agree on and names the rest unknown', async () => {
    const r = await pools({
      'db.py': [
        'from sqlalchemy import create_engine',
        'import feature_flags',
        'if feature_flags.big_pool():',
        '    opts = {"pool_size": 40, "pool_pre_ping": True}',
        'else:',
        '    opts = {"pool_size": 10, "pool_pre_ping": True}',
        'engine = create_engine("postgresql://a@h/d", **opts)',
        '',
      ].join('\n'),
    });
    assert.deepStrictEqual(r.get(0, 'pool_pre_ping'), [true, 'literal']);
    assert.deepStrictEqual(r.get(0, 'pool_size'), ['unknown', 'unknown']);
    assert.match(r.pools[0].profiles.development.settings.pool_size.reason!, /differs between branches \(condition at line 3\)/);
  });

  it('a splat it cannot see into makes every setting unknown rather than defaulted', async () => {
    const r = await pools({ 'db.py': 'from sqlalchemy import create_engine\nfrom .config import engine_options\nengine = create_engine("postgresql://a@h/d", **engine_options())\n' });
    assert.deepStrictEqual(r.get(0, 'pool_size'), ['unknown', 'unknown']);
    assert.deepStrictEqual(r.get(0, 'pool_pre_ping'), ['unknown', 'unknown']);
  });

  it('URLs from f-strings with unknown parts still tell the database by their scheme', async () => {
    const r = await pools({ 'db.py': 'import os\nfrom sqlalchemy import create_engine\nhost = os.environ["HOST"]\nengine = create_engine(f"mysql+pymysql://app:{os.environ[\'PW\']}@{host}/app")\n' });
    assert.strictEqual(r.pools[0].profiles.development.database.kind, 'mysql');
  });

  it('ends on recursion and on deeply nested code', async () => {
    const deep = 'x = ' + '('.repeat(400) + '1' + ')'.repeat(400) + '\n';
    const r = await pools({
      'db.py': [
        'from sqlalchemy import create_engine',
        'def size():',
        '    return size() + 1',
        'def a():',
        '    return b()',
        'def b():',
        '    return a()',
        deep,
        'engine = create_engine("postgresql://a@h/d", pool_size=size(), max_overflow=a())',
        '',
      ].join('\n'),
    });
    assert.deepStrictEqual(r.get(0, 'pool_size'), ['unknown', 'unknown']);
    assert.deepStrictEqual(r.get(0, 'max_overflow'), ['unknown', 'unknown']);
  });

  it('a setting that differs between profiles is listed as such', async () => {
    const r = await pools({ '.env': 'POOL=5\n', '.env.production': 'POOL=30\n', 'db.py': 'import os\nfrom sqlalchemy import create_engine\ne = create_engine("postgresql://a@h/d", pool_size=int(os.getenv("POOL", "5")), pool_recycle=60)\n' });
    assert.deepStrictEqual(r.pools[0].differsBetweenProfiles, ['pool_size']);
  });
});

describe('SQLAlchemy detector on patterns seen in public code', () => {
  it('an attribute of an imported settings object is unknown, not a literal', async () => {
    const r = await pools({ 'db.py': 'from sqlalchemy import create_engine\nfrom app.config import settings\ne = create_engine(settings.DATABASE_URL, pool_size=settings.POOL_SIZE)\n' });
    assert.deepStrictEqual(r.get(0, 'pool_size'), ['unknown', 'unknown']);
    assert.match(r.pools[0].profiles.development.settings.pool_size.reason!, /app\.config\.settings\.POOL_SIZE is defined outside this file/);
    assert.match(r.pools[0].profiles.development.database.how, /settings\.DATABASE_URL comes from app\.config\.settings, outside this file/);
  });

  it('str.format() and concatenations with several unknown parts keep the scheme', async () => {
    const r = await pools({
      'db.py': [
        'import os',
        'from sqlalchemy import create_engine',
        'from src import c',
        'a = create_engine("mysql+pymysql://{}@{}/app".format(os.environ["U"], os.environ["H"]))',
        "b = create_engine('postgresql://root:' + c.pw() + c.host() + '/db')",
        'c2 = create_engine("sqlite:///{}".format("app.db"))',
        '',
      ].join('\n'),
    });
    assert.deepStrictEqual(r.pools.map((p) => p.profiles.development.database.kind), ['mysql', 'postgresql', 'sqlite']);
    assert.strictEqual(r.pools[2].profiles.development.database.url, 'sqlite:///app.db');
  });

  it('a call inside `if url.startswith("sqlite")` is a SQLite engine even when the URL is unknown', async () => {
    const r = await pools({
      'db.py': [
        'from sqlalchemy import create_engine',
        'from app.config import settings',
        'if settings.DATABASE_URI.startswith("sqlite"):',
        '    engine = create_engine(settings.DATABASE_URI, connect_args={"check_same_thread": False})',
        'else:',
        '    engine = create_engine(settings.DATABASE_URI, pool_pre_ping=True)',
        '',
      ].join('\n'),
    });
    assert.deepStrictEqual(r.pools.map((p) => p.profiles.development.database.kind), ['sqlite', 'unknown']);
  });

  it('an unknown parameter keeps its own reason through branches that do not touch it', async () => {
    const r = await pools({ 'db.py': 'from sqlalchemy import create_engine\ndef make(db_uri, flag):\n    kwargs = {}\n    if flag:\n        kwargs["connect_args"] = {"sslmode": "require"}\n    return create_engine(db_uri, **kwargs)\n' });
    assert.strictEqual(r.pools[0].profiles.development.database.how, "the URL is not known (parameter 'db_uri' of make())");
  });

  it('a module name rebound through `global` is unknown, not its initial None', async () => {
    const r = await pools({ 'db.py': 'from sqlalchemy import create_engine\nCONN = None\ndef configure():\n    global CONN\n    CONN = "postgresql://a@h/d"\ndef orm():\n    return create_engine(CONN)\n' });
    assert.match(r.pools[0].profiles.development.database.how, /CONN is reassigned by configure\(\) through `global`/);
  });

  it('sqlmodel.create_engine is SQLAlchemy\'s', async () => {
    const r = await pools({ 'db.py': 'from sqlmodel import create_engine\ne = create_engine("postgresql://a@h/d", pool_size=5)\n' });
    assert.strictEqual(r.pools.length, 1);
  });

  it('NullPool has no size: its model says so instead of listing QueuePool defaults', async () => {
    const r = await pools({ 'db.py': 'from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\ne = create_engine("postgresql://a@h/d", poolclass=NullPool)\n' });
    assert.deepStrictEqual(r.get(0, 'pool_size'), [null, 'default']);
    assert.strictEqual(r.pools[0].profiles.development.settings.pool_size.reason, 'NullPool has no pool_size');
  });
});

describe('SQLAlchemy detector across the workspace\'s own modules', () => {
  it('follows `from pkg.config import X`, relative imports and `import pkg.config` into sibling files', async () => {
    const r = await pools({
      'app/__init__.py': '',
      'app/config.py': 'import os\nDATABASE_URL = os.getenv("DATABASE_URL", "sqlite:///./dev.db")\nPOOL_SIZE = int(os.getenv("POOL_SIZE", "8"))\n',
      'app/settings.py': 'MAX_OVERFLOW = 3\n',
      'app/db.py': [
        'from sqlalchemy import create_engine',
        'from app.config import DATABASE_URL, POOL_SIZE as SIZE',
        'from . import settings',
        'import app.config',
        'e = create_engine(DATABASE_URL, pool_size=SIZE, max_overflow=settings.MAX_OVERFLOW, pool_recycle=app.config.POOL_SIZE)',
        '',
      ].join('\n'),
      '.env': 'DATABASE_URL=postgresql://u:pw@db/app\nPOOL_SIZE=30\n',
    });
    const dev = r.pools[0].profiles.development;
    assert.strictEqual(dev.database.kind, 'postgresql');
    assert.deepStrictEqual(r.get(0, 'pool_size'), [30, 'env']);
    assert.deepStrictEqual(r.get(0, 'max_overflow'), [3, 'literal']);
    assert.deepStrictEqual(r.get(0, 'pool_recycle'), [30, 'env']);
    assert.strictEqual(path.basename(dev.settings.max_overflow.span!.file), 'settings.py', 'the span points into the module that writes the value');
  });

  it('an import cycle ends in unknown', async () => {
    const r = await pools({
      'a.py': 'from b import Y\nX = Y\n',
      'b.py': 'from a import X\nY = X\n',
      'db.py': 'from sqlalchemy import create_engine\nfrom a import X\ne = create_engine("postgresql://h/d", pool_size=X)\n',
    });
    assert.deepStrictEqual(r.get(0, 'pool_size'), ['unknown', 'unknown']);
  });
});
