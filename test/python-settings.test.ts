// Settings objects as the source of pool values: pydantic BaseSettings fields (env_prefix, aliases,
// case-insensitive names, v1 `class Config`, conversion errors, required fields, properties) and
// plain config classes (class attributes read from os.getenv, inheritance, __init__), in the same
// module or imported from another one (an instance, the class, or a get_settings() function).
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { check } from '../server/src/engine';
import type { Setting } from '../server/src/engine/model';
import { relTo } from './helpers/fixtures';

async function settingsOf(files: Record<string, string>, profile = 'development'): Promise<Record<string, Setting>[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-settings-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), content);
    }
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.deepStrictEqual(r.problems, []);
    return r.pools.sort((a, b) => a.span.start - b.span.start).map((p) => p.profiles[profile].settings);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const pair = (s: Setting) => [s.value ?? null, s.source];

describe('settings objects as pool values', () => {
  it('pydantic: env_prefix, case-insensitive names, Field(alias=...), defaults as fallbacks, init keywords win', async () => {
    const [a, b] = await settingsOf({
      'app/config.py': [
        'from pydantic import Field',
        'from pydantic_settings import BaseSettings, SettingsConfigDict',
        '',
        'class Settings(BaseSettings):',
        '    model_config = SettingsConfigDict(env_prefix="BILLING_", env_file=".env")',
        '    pool_size: int = 5',
        '    max_overflow: int = Field(10, alias="DB_OVERFLOW")',
        '    pool_timeout: float = Field(default=30.0)',
        '    pool_pre_ping: bool = False',
        '',
        'settings = Settings()',
        'small = Settings(pool_size=2)',
        '',
      ].join('\n'),
      'app/db.py': [
        'from sqlalchemy import create_engine',
        'from app.config import settings, small',
        'a = create_engine("postgresql://x@h/d", pool_size=settings.pool_size, max_overflow=settings.max_overflow, pool_timeout=settings.pool_timeout, pool_pre_ping=settings.pool_pre_ping)',
        'b = create_engine("postgresql://x@h/d", pool_size=small.pool_size)',
        '',
      ].join('\n'),
      '.env': 'billing_pool_size=12\nDB_OVERFLOW=3\nBILLING_POOL_PRE_PING=yes\n',
    });
    assert.deepStrictEqual(pair(a.pool_size), [12, 'env']);
    assert.deepStrictEqual([a.pool_size.env?.name, a.pool_size.env?.line], ['billing_pool_size', 0]);
    assert.deepStrictEqual(pair(a.max_overflow), [3, 'env']);
    assert.deepStrictEqual(pair(a.pool_timeout), [30, 'env']);
    assert.deepStrictEqual([a.pool_timeout.env?.name, a.pool_timeout.env?.usedFallback, a.pool_timeout.env?.fallback?.text], ['BILLING_POOL_TIMEOUT', true, '30.0']);
    // pydantic reads "yes" as True (bool("no") would be True too, pydantic's words are not)
    assert.deepStrictEqual([pair(a.pool_pre_ping), a.pool_pre_ping.warning], [[true, 'env'], undefined]);
    assert.deepStrictEqual(pair(b.pool_size), [2, 'literal']);
  });

  it('pydantic: case_sensitive=True, v1 class Config, a value that does not convert, a required field that is unset', async () => {
    const [a, b] = await settingsOf({
      'settings.py': [
        'from pydantic import BaseSettings',
        'from sqlalchemy import create_engine',
        '',
        'class Strict(BaseSettings):',
        '    pool_size: int = 5',
        '    class Config:',
        '        case_sensitive = True',
        '        env_prefix = "APP_"',
        '',
        'class Broken(BaseSettings):',
        '    POOL_SIZE: int = 5',
        '    MAX_OVERFLOW: int',
        '',
        's = Strict()',
        'k = Broken()',
        'a = create_engine("postgresql://x@h/d", pool_size=s.pool_size)',
        'b = create_engine("postgresql://x@h/d", pool_size=k.POOL_SIZE, max_overflow=k.MAX_OVERFLOW)',
        '',
      ].join('\n'),
      '.env': 'app_pool_size=40\nPOOL_SIZE=twenty\n',
    });
    // case-sensitive: app_pool_size is not APP_pool_size
    assert.deepStrictEqual([pair(a.pool_size), a.pool_size.env?.usedFallback], [[5, 'env'], true]);
    assert.match(b.pool_size.crash ?? '', /'twenty' is not a valid integer/);
    assert.match(b.max_overflow.crash ?? '', /field 'MAX_OVERFLOW' is required and MAX_OVERFLOW is not set in the development profile/);
  });

  it('plain config classes: os.getenv class attributes, inheritance, __init__, imported class and get_settings()', async () => {
    const [a, b, c] = await settingsOf({
      'config.py': [
        'import os',
        '',
        'class Config:',
        '    POOL_SIZE = int(os.getenv("POOL_SIZE", "5"))',
        '    MAX_OVERFLOW = 10',
        '',
        'class ProductionConfig(Config):',
        '    MAX_OVERFLOW = 20',
        '',
        'class Runtime:',
        '    def __init__(self, timeout=15):',
        '        self.timeout = timeout',
        '        self.recycle = int(os.environ.get("RECYCLE", "900"))',
        '',
        'def get_config():',
        '    return ProductionConfig()',
        '',
      ].join('\n'),
      'db.py': [
        'from sqlalchemy import create_engine',
        'from config import Config, get_config, Runtime',
        'rt = Runtime(timeout=45)',
        'a = create_engine("postgresql://x@h/d", pool_size=Config.POOL_SIZE, max_overflow=Config.MAX_OVERFLOW)',
        'b = create_engine("postgresql://x@h/d", max_overflow=get_config().MAX_OVERFLOW, pool_size=get_config().POOL_SIZE)',
        'c = create_engine("postgresql://x@h/d", pool_timeout=rt.timeout, pool_recycle=rt.recycle)',
        '',
      ].join('\n'),
      '.env': 'POOL_SIZE=8\nRECYCLE=600\n',
    });
    assert.deepStrictEqual([pair(a.pool_size), a.pool_size.env?.name, pair(a.max_overflow)], [[8, 'env'], 'POOL_SIZE', [10, 'literal']]);
    assert.deepStrictEqual([pair(b.max_overflow), pair(b.pool_size)], [[20, 'literal'], [8, 'env']]);
    assert.deepStrictEqual([pair(c.pool_timeout), pair(c.pool_recycle)], [[45, 'literal'], [600, 'env']]);
  });
});
