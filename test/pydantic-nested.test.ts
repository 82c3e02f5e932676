// pydantic-settings nested models: `db: DatabaseSettings` (a BaseModel) takes DB__POOL_SIZE with
// env_nested_delimiter="__", or the whole model as JSON in DB; the model's own defaults fill the
// rest; JSON that does not parse is the start-up error pydantic raises.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { relTo } from './helpers/fixtures';
import { check } from '../server/src/engine';

const CONFIG = (delimiter: string) => `from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import create_engine


class Pool(BaseModel):
    size: int = 5
    overflow: int = 10


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APP_"${delimiter})
    pool: Pool = Pool()


settings = Settings()
engine = create_engine("postgresql://app@db/app", pool_size=settings.pool.size, max_overflow=settings.pool.overflow)
`;

describe('pydantic nested settings models', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const run = async (files: Record<string, string>) => {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-pyd-')));
    dirs.push(dir);
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
    const r = await check({ root: dir, rel: relTo(dir) });
    return r.pools[0].profiles.development.settings;
  };

  it('env_prefix + field + delimiter + name, case-insensitive; without a delimiter only the whole-model JSON variable counts', async () => {
    const s = await run({ 'app.py': CONFIG(', env_nested_delimiter="__"'), '.env': 'app_pool__size=25\n' });
    assert.deepStrictEqual([s.pool_size.value, s.pool_size.source, s.pool_size.env?.name], [25, 'env', 'app_pool__size']);
    assert.deepStrictEqual([s.max_overflow.value, s.max_overflow.env?.usedFallback, s.max_overflow.env?.name], [10, true, 'APP_POOL__OVERFLOW']);
    const flat = await run({ 'app.py': CONFIG(''), '.env': 'APP_POOL__SIZE=25\nAPP_POOL={"overflow": 3}\n' });
    assert.deepStrictEqual([flat.pool_size.value, flat.max_overflow.value, flat.max_overflow.env?.name], [5, 3, 'APP_POOL']);
  });

  it('JSON that does not parse is a start-up error, reported on the setting', async () => {
    const s = await run({ 'app.py': CONFIG(''), '.env': 'APP_POOL={size: 3}\n' });
    assert.strictEqual(s.pool_size.value, undefined);
    assert.match(s.pool_size.crash ?? s.pool_size.reason ?? '', /APP_POOL is not JSON for the nested model/);
  });
});
