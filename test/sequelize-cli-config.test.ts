// sequelize-cli's config/config.json: one Sequelize pool whose section per profile is the one
// NODE_ENV names, with values and their JSON positions, the URL from use_env_variable, and the
// generated models/index.js not counted a second time.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli } from './helpers/cli';
import { FIXTURES, relTo } from './helpers/fixtures';
import { check } from '../server/src/engine';

const CONFIG = JSON.stringify(
  {
    development: { dialect: 'sqlite', storage: './dev.sqlite3' },
    staging: { use_env_variable: 'DATABASE_URL', pool: { max: 12, min: '2' } },
    production: { use_env_variable: 'DATABASE_URL', dialect: 'mysql', pool: {} },
  },
  null,
  2,
);

describe('sequelize-cli config/config.json', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const tree = (files: Record<string, string>) => {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-seqcfg-')));
    dirs.push(dir);
    for (const [f, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), text);
    }
    return dir;
  };

  it('JSON: the generated models/index.js is not a second pool; values per NODE_ENV section with their lines; the URL masked; no password from the file', () => {
    const r = cli(['check', '--format', 'json'], path.join(FIXTURES, 'undersized-pool/sequelize-cli-config-json/input'));
    const out = JSON.parse(r.stdout) as { pools: { library: string; constructor: string; file: string; line: number; libraryVersion: { version: string }; profiles: Record<string, { boundBy?: string; database: { kind: string; url?: string; how: string }; settings: Record<string, { value: unknown; source: string; line?: number }> }> }[] };
    assert.deepStrictEqual(out.pools.map((p) => [p.library, p.constructor, p.file, p.line]), [['sequelize', 'config.json', 'config/config.json', 2]]);
    const [pool] = out.pools;
    assert.strictEqual(pool.libraryVersion.version, '^6.37.3');
    const prod = pool.profiles.production;
    assert.deepStrictEqual([prod.settings.max.value, prod.settings.max.source, prod.settings.max.line], [8, 'literal', 21]);
    assert.deepStrictEqual([prod.database.kind, prod.database.url], ['postgresql', 'postgres://shop:***@db:5432/shop']);
    assert.match(prod.boundBy!, /NODE_ENV=production in \.env\.production:1/);
    assert.match(pool.profiles.development.database.how, /dialect 'postgres' in the development section of config\/config\.json:7/);
    for (const secret of ['Seq-Dev-Pw-55', 'Seq-Prod-Pw-66']) assert.ok(!r.stdout.includes(secret), secret);
  });

  it('a profile gets the section its NODE_ENV names, its own name, else development; a string size is flagged; use_env_variable unset is said', async () => {
    const root = tree({
      'config/config.json': CONFIG,
      '.env': 'X=1\n',
      '.env.staging': 'DATABASE_URL=postgres://app@db/app\n',
      'poollint.config.json': JSON.stringify({ profiles: { staging: ['.env.staging'], production: ['.env.production'] } }),
      '.env.production': 'NODE_ENV=production\n',
    });
    const r = await check({ root, rel: relTo(root) });
    assert.strictEqual(r.pools.length, 1);
    const p = r.pools[0].profiles;
    assert.deepStrictEqual([p.development.database.kind, p.development.settings.max.source], ['sqlite', 'default']);
    assert.deepStrictEqual([p.staging.database.kind, p.staging.settings.max.value, p.staging.settings.max.source], ['postgresql', 12, 'literal']);
    assert.match(p.staging.settings.min.warning!, /pool\.min is the string "2"/);
    assert.deepStrictEqual([p.production.database.kind, p.production.database.source?.env?.usedFallback], ['mysql', true]);
    assert.match(p.production.database.source!.reason!, /DATABASE_URL is not set in this profile/);
    // an empty pool object is where a fix adds the size
    assert.strictEqual(p.production.insertTarget?.kind, 'dict');
    const inv = r.findings.filter((f) => f.rule === 'invalid-pool-setting').map((f) => f.profile);
    assert.deepStrictEqual(inv, ['staging']);
  });

  it('a new Sequelize with its own options next to a config.json is still its own pool; broken JSON is named with its position', async () => {
    const root = tree({
      'config/config.json': '{\n  "development": {\n    "dialect": "postgres",\n    "pool": { "max": 5, }\n  }\n',
      'src/db.js': "const { Sequelize } = require('sequelize');\nmodule.exports = new Sequelize(process.env.DATABASE_URL, { pool: { max: 30 } });\n",
    });
    const r = await check({ root, rel: relTo(root) });
    assert.deepStrictEqual(r.pools.map((p) => [relTo(root)(p.file), p.constructor]), [['src/db.js', 'new Sequelize']]);
    const problem = r.problems.find((x) => relTo(root)(x.file) === 'config/config.json');
    assert.ok(problem && problem.line !== undefined, JSON.stringify(r.problems));
    assert.match(problem.message, /^JSON: .*the sequelize-cli config is not read/);
  });
});
