// What the node-postgres detector follows: import forms (ESM, CommonJS, aliases, a local module
// that re-exports pg's Pool), where the options live, process.env parsing, and pg-pool's quirks.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { check } from '../server/src/engine';
import { relTo } from './helpers/fixtures';

async function run(files: Record<string, string>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-pg-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), content);
    }
    const r = await check({ root: dir, rel: relTo(dir) });
    const pools = r.pools.map((p) => ({ file: relTo(dir)(p.file), line: p.span.line + 1, p }));
    return { r, pools, dev: (i: number, k: string) => pools[i].p.profiles.development.settings[k] };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('node-postgres detector', () => {
  it('finds pools through ESM, namespace, CommonJS, aliases and a local re-export; not other Pool classes', async () => {
    const { pools } = await run({
      'a.ts': "import { Pool } from 'pg';\nexport const a = new Pool();\n",
      'b.mjs': "import pg from 'pg';\nexport const b = new pg.Pool();\n",
      'c.ts': "import * as PG from 'pg';\nexport const c = new PG.Pool();\n",
      'd.js': "const { Pool: P } = require('pg');\nmodule.exports = new P();\n",
      'e.cjs': "const Pool = require('pg').Pool;\nmodule.exports = new Pool();\n",
      'db/pg.ts': "export { Pool as DbPool, Client } from 'pg';\n",
      'f.ts': "import { DbPool } from './db/pg';\nexport const f = new DbPool({ max: 3 });\n",
      'g.ts': "import { Pool } from 'generic-pool';\nexport const g = new Pool();\n",
      'h.tsx': "import { Pool } from 'pg';\nexport const h = new Pool({ max: 4 });\nexport const View = () => <div />;\n",
    });
    assert.deepStrictEqual(pools.map((p) => p.file).sort(), ['a.ts', 'b.mjs', 'c.ts', 'd.js', 'e.cjs', 'f.ts', 'h.tsx']);
  });

  it('reads options inline, from a module const with spreads, and from a function that returns them', async () => {
    const { dev } = await run({
      '.env': 'PG_MAX=25\nPG_IDLE=abc\n',
      'db.ts': [
        "import { Pool } from 'pg';",
        'const base = { idleTimeoutMillis: 1_000, max: 2 };',
        'function opts() { return { ...base, max: Number(process.env.PG_MAX ?? 5), connectionTimeoutMillis: 2 * 1000 }; }',
        'export const p0 = new Pool(opts());',
        "export const p1 = new Pool({ max: parseInt(process.env.MISSING || '7', 10), min: 1 });",
        'export const p2 = new Pool({ idleTimeoutMillis: Number(process.env.PG_IDLE) });',
        '',
      ].join('\n'),
    });
    assert.deepStrictEqual([dev(0, 'max').value, dev(0, 'max').source, dev(0, 'idleTimeoutMillis').value, dev(0, 'connectionTimeoutMillis').value], [25, 'env', 1000, 2000]);
    assert.deepStrictEqual([dev(1, 'max').value, dev(1, 'max').source, dev(1, 'min').value], [7, 'env', 1]);
    assert.match(dev(2, 'idleTimeoutMillis').crash ?? '', /NaN/);
  });

  it('applies pg-pool\'s own reading: max 0 or undefined means 10', async () => {
    const { dev } = await run({ 'db.js': "const pg = require('pg');\nexports.a = new pg.Pool({ max: 0 });\nexports.b = new pg.Pool({ max: undefined });\n" });
    assert.deepStrictEqual([dev(0, 'max').value, dev(1, 'max').value], [10, 10]);
    assert.match(dev(0, 'max').warning ?? '', /max 0 is falsy/);
  });

  it('sees an error listener on the variable, on this.pool, and chained on the construction', async () => {
    const { pools } = await run({
      'a.ts': "import { Pool } from 'pg';\nconst pool = new Pool();\npool.on('error', () => {});\n",
      'b.ts': "import { Pool } from 'pg';\nclass Db { pool = null as any; constructor() { this.pool = new Pool(); this.pool.on('error', console.error); } }\n",
      'c.ts': "import { Pool } from 'pg';\nexport const pool = new Pool().on('error', console.error);\n",
      'd.ts': "import { Pool } from 'pg';\nexport const pool = new Pool();\nother.on('error', console.error);\n",
    });
    assert.deepStrictEqual(pools.map((p) => [p.file, p.p.errorListener?.attached]).sort(), [['a.ts', true], ['b.ts', true], ['c.ts', true], ['d.ts', false]]);
  });
});
