// The workspace walk and bad input: every problem names its file (and line where there is one),
// and the run goes on with the other files.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { check, RULE_IDS } from '../server/src/engine';
import { relTo } from './helpers/fixtures';
import { cli } from './helpers/cli';

function workspace(files: Record<string, string | Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-ws-'));
  for (const [name, content] of Object.entries(files)) {
    const f = path.join(dir, name);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, content);
  }
  return dir;
}

const POOL = 'from sqlalchemy import create_engine\nengine = create_engine("postgresql://app@db/app")\n';

describe('workspace walk and bad input', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const ws = (files: Record<string, string | Buffer>) => {
    const d = workspace(files);
    dirs.push(d);
    return d;
  };

  it('respects .gitignore (nested too) and skips node_modules, .venv and target', async () => {
    const dir = ws({
      '.gitignore': 'generated/\n',
      'app/db.py': POOL,
      'generated/db.py': POOL,
      'node_modules/pkg/db.py': POOL,
      '.venv/lib/db.py': POOL,
      'target/db.py': POOL,
      'svc/.gitignore': 'legacy.py\n',
      'svc/legacy.py': POOL,
      'svc/main.py': POOL,
    });
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.deepStrictEqual(r.pools.map((p) => relTo(dir)(p.file)).sort(), ['app/db.py', 'svc/main.py']);
  });

  it('counts files over 2 MB and binaries in the summary instead of reading them', async () => {
    const big = '# padding\n'.repeat(220_000) + POOL;
    const dir = ws({ 'big.py': big, 'blob.py': Buffer.from([0x63, 0x72, 0x65, 0x61, 0x74, 0x65, 0x00, 0x01]), 'ok.py': POOL });
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.deepStrictEqual(r.stats.skippedLarge.map(relTo(dir)), ['big.py']);
    assert.deepStrictEqual(r.stats.skippedBinary.map(relTo(dir)), ['blob.py']);
    assert.strictEqual(r.pools.length, 1);
    const text = cli(['check'], dir).stdout;
    assert.match(text, /Skipped: 1 over 2 MB, 1 binary\./);
  });

  it('a file with a syntax error is named with its line, and its pools and other files are still checked', async () => {
    const dir = ws({
      'broken.py': 'from sqlalchemy import create_engine\nengine = create_engine("postgresql://app@db/app")\n\ndef oops(:\n    pass\n',
      'good.py': POOL,
    });
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.strictEqual(r.pools.length, 2);
    assert.deepStrictEqual(r.problems.map((p) => [relTo(dir)(p.file), (p.line ?? -1) + 1]), [['broken.py', 4]]);
    assert.match(r.problems[0].message, /syntax error/);
  });

  it('a malformed .env line is reported with file and line; the other variables still resolve', async () => {
    const dir = ws({
      '.env': 'DB_POOL_SIZE=40\nthis line is not an assignment\nDB_MAX_OVERFLOW=10\n',
      'db.py': 'import os\nfrom sqlalchemy import create_engine\nengine = create_engine("postgresql://app@db/app", pool_size=int(os.getenv("DB_POOL_SIZE", "5")), max_overflow=int(os.getenv("DB_MAX_OVERFLOW", "0")))\n',
    });
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.deepStrictEqual(r.problems.map((p) => [relTo(dir)(p.file), (p.line ?? -1) + 1, p.message]), [['.env', 2, 'line is not a KEY=VALUE assignment; dotenv ignores it']]);
    const dev = r.pools[0].profiles.development.settings;
    assert.deepStrictEqual([dev.pool_size.value, dev.max_overflow.value], [40, 10]);
  });

  it('a broken config file is named, and the run goes on with defaults', async () => {
    const dir = ws({ 'poollint.config.json': '{ "rules": { "missing-pre-ping": "loud" }, "expectedConcurency": 10, ', 'db.py': POOL });
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.strictEqual(r.problems.length, 1);
    assert.match(r.problems[0].message, /^cannot parse poollint\.config\.json: /);
    assert.ok(r.findings.some((f) => f.rule === 'undersized-pool'));
    fs.writeFileSync(path.join(dir, 'poollint.config.json'), '{ "rules": { "missing-pre-ping": "loud", "no-such-rule": "off" }, "expectedConcurency": 10 }');
    const r2 = await check({ root: dir, rel: relTo(dir) });
    assert.deepStrictEqual(r2.problems.map((p) => p.message), [
      "unknown key 'expectedConcurency' (known: rules, expectedConcurrency, peakRequestsPerSecond, avgConnectionHoldMs, serverMaxConnections, profiles, exclude, probe)",
      "rule 'missing-pre-ping': severity must be one of off/info/warning/error, not \"loud\"",
      `unknown rule 'no-such-rule' in 'rules' (known: ${RULE_IDS.join(', ')})`,
    ]);
  });

  it('config from package.json "poolLint" and .poollintrc.json', async () => {
    const a = ws({ 'package.json': JSON.stringify({ name: 'x', poolLint: { rules: { 'undersized-pool': 'off', 'missing-pre-ping': 'error' } } }), 'db.py': POOL });
    const ra = await check({ root: a, rel: relTo(a) });
    assert.ok(!ra.findings.some((f) => f.rule === 'undersized-pool'));
    assert.strictEqual(ra.findings.find((f) => f.rule === 'missing-pre-ping')?.severity, 'error');
    const b = ws({ '.poollintrc.json': JSON.stringify({ expectedConcurrency: 10 }), 'db.py': POOL });
    const rb = await check({ root: b, rel: relTo(b) });
    assert.ok(!rb.findings.some((f) => f.rule === 'undersized-pool'), '15 connections cover 10');
  });

  it('ignore comments: a rule list silences only those rules; a bare ignore silences all on the line', async () => {
    const dir = ws({
      'a.py': 'from sqlalchemy import create_engine\nengine = create_engine("postgresql://app@db/app")  # pool-lint: ignore[missing-pre-ping, missing-recycle]\n',
      'b.py': 'from sqlalchemy import create_engine\nengine = create_engine("postgresql://app@db/app")  # pool-lint: ignore\n',
    });
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.deepStrictEqual(r.findings.map((f) => `${relTo(dir)(f.span.file)}:${f.rule}`), ['a.py:undersized-pool']);
  });

  it('paths with spaces and non-ASCII names, CRLF line endings and a BOM', async () => {
    const dir = ws({ 'my app/dátabase.py': '\ufeff' + POOL.replace(/\n/g, '\r\n'), 'my app/.env': 'X=1\r\n' });
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.strictEqual(r.pools.length, 1);
    assert.deepStrictEqual(r.problems, []);
    assert.strictEqual(r.pools[0].span.line, 1);
    assert.strictEqual(relTo(dir)(r.pools[0].file), 'my app/dátabase.py');
  });

  it('a symlink loop in the workspace does not hang the walk', async () => {
    const dir = ws({ 'db.py': POOL });
    fs.symlinkSync(dir, path.join(dir, 'loop'));
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.strictEqual(r.pools.length, 1);
  });
});

describe('a polyglot workspace is one picture', () => {
  it('JSON lists every pool of the mixed stack (Python, TypeScript, Rust, YAML) with per-profile settings', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-mixed-'));
    try {
      const files: Record<string, string> = {
        '.env': 'DATABASE_URL=postgresql://app:devpw@localhost:5432/app\nDB_POOL_SIZE=10\nPG_POOL_MAX=10\nDATABASE_MAX_CONNECTIONS=10\n',
        '.env.production': 'DATABASE_URL=postgresql://app:prodpw@db:5432/app\nDB_POOL_SIZE=30\nPG_POOL_MAX=40\nDATABASE_MAX_CONNECTIONS=25\n',
        'api/db.py': 'import os\nfrom sqlalchemy import create_engine\nengine = create_engine(os.environ["DATABASE_URL"], pool_size=int(os.getenv("DB_POOL_SIZE", "5")))\n',
        'web/db.ts': "import { Pool } from 'pg';\nexport const pool = new Pool({ max: Number(process.env.PG_POOL_MAX ?? 10) });\n",
        'ledger/src/main.rs': 'use sqlx::postgres::PgPoolOptions;\nasync fn pool(url: &str) {\n    let p = PgPoolOptions::new()\n        .max_connections(std::env::var("DATABASE_MAX_CONNECTIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(5))\n        .connect(url)\n        .await;\n}\n',
        'chat/config.yaml': 'chat:\n  repository:\n    connection_pool:\n      max_connections: 10\n      max_writers: 1\n',
        'broken.ts': "import { Pool } from 'pg';\nexport const p = new Pool({ max: 5, \n",
        'broken.rs': 'use sqlx::postgres::PgPoolOptions;\nfn f( {\n',
      };
      for (const [name, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), content);
      }
      const j = JSON.parse(cli(['check', '--format', 'json'], dir).stdout);
      const byFile = (f: string) => j.pools.find((p: { file: string }) => p.file === f);
      const size = (f: string, setting: string, profile: string) => byFile(f).profiles[profile].settings[setting].value;
      assert.deepStrictEqual(
        [size('api/db.py', 'pool_size', 'development'), size('api/db.py', 'pool_size', 'production')],
        [10, 30],
      );
      assert.deepStrictEqual([size('web/db.ts', 'max', 'development'), size('web/db.ts', 'max', 'production')], [10, 40]);
      assert.deepStrictEqual([size('ledger/src/main.rs', 'max_connections', 'development'), size('ledger/src/main.rs', 'max_connections', 'production')], [10, 25]);
      assert.strictEqual(size('chat/config.yaml', 'max_writers', 'development'), 1);
      // the pool inside broken.ts's unterminated call is lost to the syntax error; every other file's pool is there
      assert.deepStrictEqual(j.pools.map((p: { library: string }) => p.library).sort(), ['node-postgres', 'sqlalchemy', 'sqlx', 'yaml-config']);
      // malformed TypeScript and Rust are named with their line; their neighbours are still read
      const problems = j.problems.map((p: { file: string; line: number; message: string }) => `${p.file}:${p.line}:${p.message.split(';')[0]}`);
      assert.ok(problems.includes('broken.ts:2:syntax error'), JSON.stringify(problems));
      assert.ok(problems.some((p: string) => p.startsWith('broken.rs:2:syntax error')), JSON.stringify(problems));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
