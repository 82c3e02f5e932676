// The pool-lint CLI as users run it: the bundled dist/cli.js in a child process.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli } from './helpers/cli';
import { FIXTURES, REPO, cases, copyTree } from './helpers/fixtures';

const SEED_003 = path.join(FIXTURES, 'sqlite-in-production', 'seed-003-models-before');

describe('CLI', () => {
  it('text output: path:line:col, severity[rule], profile, summary; no colour off a terminal', () => {
    const r = cli(['check', 'input'], SEED_003);
    assert.strictEqual(r.code, 1, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.ok(lines.includes('input/backend/models.py:21:38: warning[sqlite-in-production] ' + lines.find((l) => l.includes('[sqlite-in-production]'))!.split('[sqlite-in-production] ')[1]));
    assert.match(r.stdout, /^input\/backend\/models\.py:25:10: warning\[undersized-pool\] pool holds at most 15 connections.* \[development\] \(fixable\)$/m);
    assert.match(lines[lines.length - 1], /^Found 4 findings \(0 errors, 3 warnings, 1 info\) in 1 pool; 3 files checked, profiles: development, production\. 3 fixable with --fix\.$/);
    assert.ok(!r.stdout.includes('\u001b['), 'colour codes in piped output');
  });

  it('JSON output: version 1, pools with settings and sources, 1-based diagnostics with relative paths', () => {
    const r = cli(['check', '--format', 'json'], path.join(SEED_003, 'input'));
    assert.strictEqual(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.strictEqual(j.version, 1);
    assert.strictEqual(j.pools.length, 1);
    const pool = j.pools[0];
    assert.deepStrictEqual([pool.library, pool.file, pool.line, pool.column], ['sqlalchemy', 'backend/models.py', 25, 10]);
    assert.deepStrictEqual(Object.keys(pool.settings), ['pool_size', 'max_overflow', 'pool_timeout', 'pool_recycle', 'pool_pre_ping', 'poolclass', 'pool_use_lifo']);
    assert.deepStrictEqual(pool.settings.pool_size, { value: 5, source: 'default', default: { library: 'SQLAlchemy', version: '2.0', cite: 'sqlalchemy@rel_2_0:lib/sqlalchemy/engine/create.py:441; pool/impl.py:75' } });
    assert.strictEqual(pool.profiles.production.database.kind, 'sqlite');
    assert.strictEqual(pool.profiles.development.database.kind, 'postgresql');
    assert.deepStrictEqual(pool.differsBetweenProfiles, ['database']);
    const d = j.diagnostics.find((x: { rule: string }) => x.rule === 'sqlite-in-production');
    assert.deepStrictEqual(Object.keys(d).slice(0, 11), ['rule', 'severity', 'message', 'file', 'line', 'column', 'endLine', 'endColumn', 'profile', 'fix']);
    assert.deepStrictEqual([d.file, d.line, d.column, d.profile, d.fix], ['backend/models.py', 21, 38, 'production', null]);
    const u = j.diagnostics.find((x: { rule: string }) => x.rule === 'undersized-pool');
    assert.strictEqual(u.fix.edits[0].file, 'backend/models.py');
  });

  it('env-sourced settings name the variable, the .env file and line, and the code fallback', () => {
    const dir = path.join(FIXTURES, 'undersized-pool', 'seed-004-env-profiles', 'input');
    const j = JSON.parse(cli(['check', '--format', 'json'], dir).stdout);
    const prod = j.pools[0].profiles.production.settings.pool_size;
    assert.deepStrictEqual(prod.env, { name: 'DB_POOL_SIZE', file: '.env.production', line: 4, raw: '50', usedFallback: false, fallback: { value: '20', text: '"20"', file: 'app/db/database.py', line: 11, column: 45 } });
    assert.strictEqual(prod.value, 50);
    assert.deepStrictEqual(j.pools[0].differsBetweenProfiles, ['database', 'pool_size', 'max_overflow']);
    assert.deepStrictEqual(j.profiles, ['development', 'production', 'staging']);
  });

  it('--profile evaluates one profile only', () => {
    const r = cli(['check', '--profile', 'production', '--format', 'json'], path.join(SEED_003, 'input'));
    const j = JSON.parse(r.stdout);
    assert.deepStrictEqual(j.diagnostics.map((d: { rule: string }) => d.rule), ['sqlite-in-production']);
    assert.deepStrictEqual(Object.keys(j.pools[0].profiles), ['production']);
  });

  it('exit codes: 0 when nothing at warning or above, 1 with findings, 2 on usage errors', () => {
    assert.strictEqual(cli(['check'], path.join(FIXTURES, 'sqlite-pool-sizing', 'seed-000-as-found', 'input')).code, 0);
    assert.strictEqual(cli(['check'], path.join(FIXTURES, 'hardcoded-pool-size', 'module-constant-with-env-example', 'input')).code, 0, 'info findings alone exit 0');
    assert.strictEqual(cli(['check'], path.join(SEED_003, 'input')).code, 1);
    for (const bad of [['check', '--format', 'xml'], ['check', '--nope'], ['lint'], [], ['check', 'no/such/dir']]) {
      const r = cli(bad, SEED_003);
      assert.strictEqual(r.code, 2, `pool-lint ${bad.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, /^pool-lint: /);
    }
    assert.strictEqual(cli(['--help'], SEED_003).code, 0);
  });

  it('--fix applies every fix, writes only the files it fixes, and a second run changes nothing', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-cli-fix-'));
    try {
      copyTree(path.join(SEED_003, 'input'), tmp);
      const envBefore = fs.readFileSync(path.join(tmp, '.env.production'), 'utf8');
      const r = cli(['check', '--fix'], tmp);
      assert.strictEqual(r.code, 1, 'sqlite-in-production has no fix and remains');
      assert.match(r.stderr, /Fixed 4 findings in 1 file: backend\/models\.py\./);
      assert.strictEqual(fs.readFileSync(path.join(tmp, '.env.production'), 'utf8'), envBefore);
      assert.strictEqual(fs.readFileSync(path.join(tmp, 'backend', 'models.py'), 'utf8'), fs.readFileSync(path.join(SEED_003, 'fixed', 'backend', 'models.py'), 'utf8'));
      const again = cli(['check', '--fix'], tmp);
      assert.strictEqual(again.stderr, '');
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('--fix keeps a byte-order mark and CRLF line endings', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-crlf-'));
    try {
      const src = ['from sqlalchemy import create_engine', 'engine = create_engine(', '    "postgresql://app@db/app",', '    pool_size=40,', ')', ''].join('\r\n');
      fs.writeFileSync(path.join(tmp, 'db.py'), '\ufeff' + src);
      cli(['check', '--fix'], tmp);
      const out = fs.readFileSync(path.join(tmp, 'db.py'), 'utf8');
      assert.ok(out.startsWith('\ufeffimport os\r\n') || out.startsWith('\ufefffrom sqlalchemy'), JSON.stringify(out.slice(0, 40)));
      assert.ok(!/[^\r]\n/.test(out), `a bare LF was added: ${JSON.stringify(out)}`);
      assert.match(out, /pool_pre_ping=True,?\r\n/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  describe('never prints a password from any URL it read, in any format', () => {
    const secrets = new Set<string>();
    for (const c of cases()) {
      const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          const f = path.join(d, e.name);
          if (e.isDirectory()) walk(f);
          else for (const m of fs.readFileSync(f, 'utf8').matchAll(/:\/\/[^:/@\s"']+:([^@\s"']+)@/g)) if (!m[1].includes('{')) secrets.add(m[1]);
        }
      };
      walk(c.input);
    }
    it('the fixtures hold enough passwords for this to mean something', () => {
      assert.ok(secrets.size >= 5, `${[...secrets]}`);
    });
    for (const c of cases()) {
      it(`${c.rule}/${c.name}`, () => {
        for (const format of ['text', 'json', 'sarif']) {
          const r = cli(['check', '--format', format], c.input);
          for (const s of secrets) assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), `--format ${format} printed the password ${s}`);
        }
      });
    }
  });

  it('the examples/ workspace shows every rule, as the README says', () => {
    const r = cli(['check', 'examples/', '--format', 'json'], REPO);
    const rules = new Set(JSON.parse(r.stdout).diagnostics.map((d: { rule: string }) => d.rule));
    const { RULE_IDS } = require('../rules') as typeof import('../rules');
    assert.deepStrictEqual([...rules].sort(), [...RULE_IDS].sort());
  });

  it('ships a pre-commit hook that runs `pool-lint check`', () => {
    const YAML = require('yaml') as typeof import('yaml');
    const hooks = YAML.parse(fs.readFileSync(path.join(REPO, '.pre-commit-hooks.yaml'), 'utf8'));
    assert.ok(Array.isArray(hooks));
    const hook = hooks.find((h: { id: string }) => h.id === 'pool-lint');
    assert.ok(hook, 'no hook with id pool-lint');
    assert.match(hook.entry, /^pool-lint check/);
    assert.strictEqual(hook.language, 'node');
  });
});
