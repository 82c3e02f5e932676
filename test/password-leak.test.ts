// No output of the CLI holds a password from a URL it read: every fixture of the suite (and the
// corpus of real code) goes through `pool-lint check` in text, JSON and SARIF, and through its error
// paths, and each output is searched for every password written in a URL in those files.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FIXTURES, REPO } from './helpers/fixtures';
import { passwordsIn } from './helpers/passwords';
import { cli } from './helpers/cli';
import { check } from '../server/src/engine';
import { toText } from '../server/src/report/text';
import { toJson } from '../server/src/report/json';
import { toSarif } from '../server/src/report/sarif';

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.isFile()) out.push(f);
    }
  };
  walk(dir);
  return out;
}

function leaks(output: string, passwords: Map<string, string[]>): string[] {
  const found: string[] = [];
  for (const [pw, needles] of passwords) {
    for (const n of needles) {
      const i = output.indexOf(n);
      if (i >= 0) found.push(`${pw} in ...${output.slice(Math.max(0, i - 80), i + n.length + 20)}...`);
    }
  }
  return found;
}

/** URLs a careless masker gets wrong, in every kind of file the engine reads. */
const HOSTILE: Record<string, string> = {
  '.env': [
    'DATABASE_URL=postgresql://app:Sl4sh/In-Pw@db.internal:5432/app',
    'REPLICA_URL="postgresql://app:p%40ss-Enc0ded@replica:5432/app?sslmode=require"',
    'JDBC_URL=jdbc:postgresql://db:5432/app?user=app&password=Jdbc-Qu3ry-Pw',
    'MYSQL_URL=mysql://shop:Hash#In-Pw9@mysql:3306/shop',
    'DB_POOL_SIZE=not-a-number',
  ].join('\n') + '\n',
  '.env.production': 'DATABASE_URL=postgresql://app:Pr0d-Only-Pw@db.prod:5432/app\nDB_POOL_SIZE=40\n',
  'app/db.py': [
    'import os',
    'from sqlalchemy import create_engine',
    'engine = create_engine(os.getenv("DATABASE_URL", "postgresql://app:Fallb4ck-In-Code@localhost/app"), pool_size=int(os.getenv("DB_POOL_SIZE", "5")))',
    'replica = create_engine("postgresql+psycopg2://ro:L1teral-Ro-Pw@replica/app", pool_timeout=None)',
    'broken = create_engine("postgresql://x:Synt4x-Err-Pw@h/d", pool_size=',
  ].join('\n') + '\n',
  'web/db.ts': "import { Pool } from 'pg';\nexport const pool = new Pool({ connectionString: 'postgres://web:Ts-L1teral-Pw@db/web', max: 0 });\n",
  'src/db.rs': 'use sqlx::postgres::PgPoolOptions;\npub async fn c() { PgPoolOptions::new().max_connections(0).connect("postgres://rs:Rust-L1teral-Pw@db/app").await.unwrap(); }\n',
  'config/app.yaml': 'database:\n  url: postgresql://cfg:Yaml-Cfg-Pw7@db:5432/app\n  pool_size: 0\n  max_overflow: -1\n',
  'docker-compose.yml': 'services:\n  api:\n    build: ./app\n    environment:\n      DATABASE_URL: postgresql://api:C0mpose-Env-Pw@db:5432/app\n    deploy:\n      replicas: 40\n  db:\n    image: postgres:16\n    command: postgres -c max_connections=20\n',
  'poollint.config.json': '{ "rules": { "postgresql://cfg:C0nfig-Err-Pw@db/app": "error" }, "expectedConcurrency": "postgres://x:C0nfig-Val-Pw@h/d" }\n',
};

describe('no password from a URL reaches any output of the CLI', function () {
  this.timeout(300_000);
  let hostile: string;
  let passwords: Map<string, string[]>;
  const fixtureFiles = listFiles(FIXTURES).filter((f) => f.includes(`${path.sep}input${path.sep}`));
  const corpus = path.join(REPO, 'test', 'corpus');

  before(() => {
    hostile = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-leak-'));
    for (const [name, content] of Object.entries(HOSTILE)) {
      fs.mkdirSync(path.dirname(path.join(hostile, name)), { recursive: true });
      fs.writeFileSync(path.join(hostile, name), content);
    }
    const files = [...fixtureFiles, ...listFiles(hostile), ...(fs.existsSync(corpus) ? listFiles(corpus) : [])];
    passwords = passwordsIn(files);
  });
  after(() => fs.rmSync(hostile, { recursive: true, force: true }));

  it('finds the passwords to look for (fixtures, corpus and the hostile URLs)', () => {
    for (const pw of ['Sl4sh/In-Pw', 'p%40ss-Enc0ded', 'Jdbc-Qu3ry-Pw', 'Hash#In-Pw9', 'Fallb4ck-In-Code', 'Yaml-Cfg-Pw7', 'C0mpose-Env-Pw', 'compose-pw', 's3cr3t-orders']) {
      assert.ok(passwords.has(pw), `${pw} not collected`);
    }
    assert.ok(passwords.size >= 25, `only ${passwords.size} passwords`);
  });

  for (const format of ['text', 'json', 'sarif']) {
    it(`${format}: every fixture input, the corpus, and the hostile workspace`, () => {
      // one run over all fixtures (each input is a folder of its own under the fixtures root) and
      // one over the hostile workspace as its own root
      const inputs = fs.readdirSync(FIXTURES).flatMap((r) => (fs.statSync(path.join(FIXTURES, r)).isDirectory() ? fs.readdirSync(path.join(FIXTURES, r)).map((c) => path.join(FIXTURES, r, c, 'input')) : [])).filter((d) => fs.existsSync(d));
      const runs = [
        cli(['check', ...inputs, '--root', FIXTURES, '--format', format], REPO),
        cli(['check', '--format', format], hostile),
        cli(['check', '--format', format, '--profile', 'production'], hostile),
        ...(fs.existsSync(corpus) ? [cli(['check', corpus, '--format', format], REPO)] : []),
      ];
      for (const r of runs) {
        assert.ok(r.code === 0 || r.code === 1, `exit ${r.code} (null: killed, or over the output buffer): ${r.stderr.slice(0, 500)}`);
        assert.deepStrictEqual(leaks(r.stdout + r.stderr, passwords), []);
      }
      // the hostile workspace produced findings and problems whose messages quote those URLs' surroundings
      assert.ok(runs[1].stdout.length > 200);
    });
  }

  it('each fixture as its own workspace, through the formatters the CLI uses, before the CLI masks its output', async () => {
    // in-process and stricter than the CLI: its last maskSecrets over the whole output is left out
    const inputs = fs.readdirSync(FIXTURES).flatMap((r) => fs.readdirSync(path.join(FIXTURES, r)).map((c) => path.join(FIXTURES, r, c, 'input'))).filter((d) => fs.existsSync(d));
    for (const input of inputs) {
      const rel = (f: string) => path.relative(input, f).split(path.sep).join('/') || '.';
      const result = await check({ root: input, rel });
      const outputs = [toText(result, rel, false), toJson(result, rel), toSarif(result, rel, input, '0.0.0-test'), ...result.problems.map((p) => p.message)];
      for (const out of outputs) assert.deepStrictEqual(leaks(out, passwords), [], input);
    }
  });

  it('error paths: an unknown profile, a missing path, a usage error, --fix on a copy', () => {
    const runs = [
      cli(['check', '--profile', 'postgres://u:Us4ge-Err-Pw@h/d'], hostile),
      cli(['check', 'postgres://u:Missing-P4th-Pw@h/d'], hostile),
      cli(['check', '--format', 'postgres://u:F0rmat-Err-Pw@h/d'], hostile),
    ];
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-leak-fix-'));
    try {
      fs.cpSync(hostile, copy, { recursive: true });
      runs.push(cli(['check', '--fix'], copy), cli(['check', '--fix', '--format', 'sarif'], copy));
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
    const withArgs = new Map(passwords);
    for (const pw of ['Us4ge-Err-Pw', 'Missing-P4th-Pw', 'F0rmat-Err-Pw']) withArgs.set(pw, [pw]);
    for (const r of runs) assert.deepStrictEqual(leaks(r.stdout + r.stderr, withArgs), []);
    assert.match(runs[0].stdout, /unknown profile/, 'the unknown profile is reported');
    assert.ok(runs.slice(1, 3).every((r) => r.code === 2 && r.stderr.length > 0), 'the usage errors were taken');
  });
});
