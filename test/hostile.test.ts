// Hostile configuration and workspaces: YAML alias bombs, 1 MB lines, every .env quoting form
// dotenv accepts, files nobody can read (a named pipe, dangling and looping links, a folder named
// .env), paths with spaces and non-ASCII names. Each is named in a clear message and the run goes on.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import * as dotenv from 'dotenv';
import { check } from '../server/src/engine';
import { parseEnvFile } from '../server/src/engine/envfiles';
import { relTo } from './helpers/fixtures';
import { cli } from './helpers/cli';

const POOL = 'from sqlalchemy import create_engine\nengine = create_engine("postgresql://app@db/app", pool_pre_ping=True)\n';

/** The billion laughs: nine levels of nine aliases, 9^9 strings when expanded. */
function aliasBomb(prefix = ''): string {
  let s = `${prefix}a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n`;
  for (let i = 1; i < 9; i++) {
    const name = String.fromCharCode(97 + i);
    const prev = String.fromCharCode(96 + i);
    s += `${prefix}${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
  }
  return s;
}

describe('hostile configuration and workspaces', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const ws = (files: Record<string, string>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-hostile-'));
    dirs.push(dir);
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), content);
    }
    return dir;
  };
  const problems = (dir: string, r: Awaited<ReturnType<typeof check>>) => r.problems.map((p) => ({ file: relTo(dir)(p.file), line: p.line === undefined ? undefined : p.line + 1, message: p.message }));

  it('YAML alias bombs in app config and compose files are never expanded; the sections around them are read', async () => {
    const bomb = aliasBomb();
    // the bomb is real: expanding it is what the yaml library's maxAliasCount (100) refuses
    assert.throws(() => YAML.parse(bomb + 'x: *i\n'), /Excessive alias count/);
    const dir = ws({
      'config/app.yaml': `${bomb}database:\n  pool_size: *i\n  max_overflow: 10\n`,
      'docker-compose.yml': `${aliasBomb('x-')}services:\n  api:\n    build: ./app\n    environment: *x-i\n    deploy:\n      replicas: 2\n`.replace(/x-([a-i]): &([a-i])/g, 'x-$1: &x-$2').replace(/\*([a-h])\b/g, '*x-$1'),
      'app/db.py': POOL,
    });
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.deepStrictEqual(problems(dir, r).filter((p) => /internal error/.test(p.message)), []);
    const yamlPool = r.pools.find((p) => p.library === 'yaml-config');
    assert.ok(yamlPool, 'the database section is still a pool');
    const settings = Object.values(yamlPool!.profiles)[0].settings;
    assert.strictEqual(settings.max_overflow.value, 10);
    assert.ok(settings.pool_size === undefined || typeof settings.pool_size.value !== 'number', 'an alias to a list is no pool size');
    assert.ok(r.pools.some((p) => p.library === 'sqlalchemy'));
    assert.strictEqual(r.deployment.profiles[r.profiles[0]]?.services.find((s) => s.name === 'api')?.replicas.value, 2, 'the compose service is read around the alias');
  });

  it('1 MB lines: a source line, an .env value and a YAML scalar; each file is named and the rest is checked', async () => {
    const mb = 1_000_000;
    const dir = ws({
      'gen/one_line.py': `${POOL.trim()}; x = "${'y'.repeat(mb)}"\n`,
      'svc/.env': `DB_POOL_SIZE=${'9'.repeat(mb)}\n`,
      'svc/db.py': 'import os\nfrom sqlalchemy import create_engine\nengine = create_engine("postgresql://app@db/app", pool_size=int(os.getenv("DB_POOL_SIZE", "5")), pool_pre_ping=True)\n',
      'config/app.yaml': `note: ${'z'.repeat(mb)}\ndatabase:\n  pool_size: 5\n`,
      'app.py': POOL,
    });
    const r = await check({ root: dir, rel: relTo(dir) });
    const ps = problems(dir, r);
    assert.match(ps.find((p) => p.file === 'gen/one_line.py')?.message ?? '', /^cannot parse: \d+ KB is over the 256 KB/);
    assert.match(ps.find((p) => p.file === 'config/app.yaml')?.message ?? '', /^not read: \d+ KB is over the 256 KB/);
    // CPython 3.11+ refuses int() of more than 4300 digits: the 1 MB value is a start-up crash
    const crash = r.findings.find((f) => f.rule === 'invalid-pool-setting' && relTo(dir)(f.span.file) === 'svc/.env');
    assert.ok(crash, JSON.stringify(r.findings.map((f) => [f.rule, f.span.file])));
    assert.match(crash!.message, /int\(\) of a 1000000-digit string raises ValueError: Exceeds the limit \(4300 digits\)/);
    assert.ok(crash!.message.length < 1000, 'the message does not quote the value');
    assert.deepStrictEqual(r.pools.map((p) => relTo(dir)(p.file)).sort(), ['app.py', 'svc/db.py']);
  });

  it('YAML flow collections nested thousands deep (app config and compose) are refused at the line and column the nesting passed 128; the other files are checked', async () => {
    // one bracket per line is the shape the yaml library's parser is slowest on (1.7 s for 128 KB)
    const oneBracketPerLine = `${'[\n'.repeat(60_000)}${']\n'.repeat(60_000)}`;
    const dir = ws({
      'config/deep.yaml': `database:\n  pool_size: 5\n  opts: ${oneBracketPerLine}`,
      'config/maps.yml': `database:\n  pool_size: 7\n  opts: ${'{a: '.repeat(40_000)}1${'}'.repeat(40_000)}\n`,
      // brackets in quoted, block and plain scalars and comments are not nesting: this file is read
      'config/app.yaml': `# ${'['.repeat(300)}\nnote: "${'{'.repeat(300)}"\nscript: |\n  ${'['.repeat(300)}\ndatabase:\n  pool_size: 9\n  tags: [[a, b], {c: [d]}]\n`,
      'docker-compose.yml': `services:\n  api:\n    build: .\n    labels: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n    deploy:\n      replicas: 2\n`,
      'app.py': POOL,
    });
    const r = await check({ root: dir, rel: relTo(dir) });
    const ps = problems(dir, r);
    const deep = (file: string) => ps.filter((p) => p.file === file);
    // deep.yaml: the 129th `[` opens line 131 (line 3 holds `opts: [`, each later line one more)
    assert.deepStrictEqual(deep('config/deep.yaml'), [{ file: 'config/deep.yaml', line: 131, message: 'not read: flow collections ([...] and {...}) nested more than 128 deep at line 131, column 1 (the YAML parser takes seconds on thousands of levels; generated?); its pool sections are not read, other files are still checked' }]);
    // maps.yml: `  opts: ` then 128 times `{a: `, so the 129th `{` is column 8 + 512 + 1
    assert.deepStrictEqual(deep('config/maps.yml').map((p) => [p.line, r.problems.find((q) => q.message === p.message)?.column]), [[3, 520]]);
    assert.match(deep('config/maps.yml')[0].message, /nested more than 128 deep at line 3, column 521 /);
    assert.deepStrictEqual(deep('docker-compose.yml').map((p) => [p.line, p.message.replace(/ \(the YAML.*/, '')]), [[4, 'not read: flow collections ([...] and {...}) nested more than 128 deep at line 4, column 141']]);
    assert.match(deep('docker-compose.yml')[0].message, /its services are not counted, other files are still checked$/);
    assert.deepStrictEqual(deep('config/app.yaml'), []);
    // the other files are still read: the shallow YAML section and the Python pool
    const yamlPools = r.pools.filter((p) => p.library === 'yaml-config').map((p) => [relTo(dir)(p.file), Object.values(p.profiles)[0].settings.pool_size?.value]);
    assert.deepStrictEqual(yamlPools, [['config/app.yaml', 9]]);
    assert.ok(r.pools.some((p) => p.library === 'sqlalchemy' && relTo(dir)(p.file) === 'app.py'));
    assert.deepStrictEqual(ps.filter((p) => /internal error|call stack/i.test(p.message)), []);
  });

  it('.env files in every quoting form dotenv accepts: the values dotenv reads, no false "not an assignment" lines, settings resolved', async () => {
    const env = [
      '# every quoting form dotenv accepts',
      'export DB_POOL_SIZE=21',
      'DB_MAX_OVERFLOW="7" # inline comment after a quoted value',
      "DB_POOL_TIMEOUT='12'",
      'DATABASE_URL=`postgresql://app:Back-T1ck-Pw@db/app`',
      'MULTI="line one',
      'line two with = sign',
      '# not a comment inside quotes',
      'last line"',
      'HASH_IN_QUOTES="value#not-a-comment"',
      'HASH_UNQUOTED=value #a comment',
      "SINGLE_MULTI='a",
      "b'",
      'SPACES =  spaced',
      'EMPTY=',
      'EQUALS_IN=a=b=c',
      'ESCAPED="tab\\tnew\\nline"',
      'COLON_STYLE: colon',
      '',
    ].join('\r\n'); // CRLF too
    const dir = ws({
      '.env': env,
      'db.py': 'import os\nfrom sqlalchemy import create_engine\nengine = create_engine(os.environ["DATABASE_URL"], pool_size=int(os.getenv("DB_POOL_SIZE", "5")), max_overflow=int(os.getenv("DB_MAX_OVERFLOW", "0")), pool_timeout=int(os.getenv("DB_POOL_TIMEOUT", "30")), pool_pre_ping=True)\n',
    });
    const parsed = parseEnvFile(path.join(dir, '.env'), env);
    assert.deepStrictEqual(parsed.problems, []);
    const expected = dotenv.parse(env);
    assert.deepStrictEqual(Object.fromEntries([...parsed.env.entries].map(([k, e]) => [k, e.value])), expected);
    assert.strictEqual(expected.MULTI, 'line one\r\nline two with = sign\r\n# not a comment inside quotes\r\nlast line'.replace(/\r\n/g, '\n'));
    assert.strictEqual(expected.HASH_IN_QUOTES, 'value#not-a-comment');
    // each value's span is the value as written, quotes included (edits replace exactly that)
    for (const [k, raw] of [['DB_MAX_OVERFLOW', '"7"'], ['DB_POOL_TIMEOUT', "'12'"], ['DB_POOL_SIZE', '21']] as const) {
      const e = parsed.env.entries.get(k)!;
      assert.strictEqual(env.slice(e.valueSpan.start, e.valueSpan.end), raw, k);
    }
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.deepStrictEqual(r.problems, []);
    const s = r.pools[0].profiles.development.settings;
    assert.deepStrictEqual([s.pool_size.value, s.max_overflow.value, s.pool_timeout.value], [21, 7, 12]);
    assert.strictEqual(r.pools[0].profiles.development.database.url, 'postgresql://app:***@db/app');
  });

  it('unreadable entries in the walk: a named pipe, a dangling link, a link loop, a folder named .env, each named; the run goes on', async function () {
    if (process.platform === 'win32') this.skip();
    const dir = ws({ 'app.py': POOL, 'svc/db.py': POOL });
    // root reads any file whatever its mode, so chmod 000 proves nothing here: a named pipe would
    // block a read forever, a dangling link and a loop fail stat, a folder fails read with EISDIR
    assert.strictEqual(spawnSync('mkfifo', [path.join(dir, 'svc', 'pipe.py')]).status, 0, 'mkfifo');
    fs.symlinkSync('nowhere.py', path.join(dir, 'svc', 'dangling.py'));
    fs.symlinkSync('loop-b.py', path.join(dir, 'svc', 'loop-a.py'));
    fs.symlinkSync('loop-a.py', path.join(dir, 'svc', 'loop-b.py'));
    fs.symlinkSync('pipe.py', path.join(dir, 'svc', 'to-pipe.py'));
    fs.mkdirSync(path.join(dir, 'svc', '.env'));
    fs.symlinkSync('..', path.join(dir, 'svc', 'up')); // a folder loop, not followed
    const r = await check({ root: dir, rel: relTo(dir) });
    const ps = problems(dir, r).sort((a, b) => (a.file < b.file ? -1 : 1));
    assert.deepStrictEqual(
      ps.map((p) => [p.file, p.message.replace(/: (ENOENT|ELOOP).*/, ': $1')]),
      [
        ['svc/.env', 'is a folder where pool-lint expects a file: not read as one'],
        ['svc/dangling.py', 'broken symbolic link: ENOENT'],
        ['svc/loop-a.py', 'broken symbolic link: ELOOP'],
        ['svc/loop-b.py', 'broken symbolic link: ELOOP'],
        ['svc/pipe.py', 'not a regular file (a named pipe): not read'],
        ['svc/to-pipe.py', 'links to something that is not a regular file (a named pipe): not read'],
      ],
    );
    assert.deepStrictEqual(r.pools.map((p) => relTo(dir)(p.file)).sort(), ['app.py', 'svc/db.py']);
    // named on the command line, the pipe is not opened either (it would hang the CLI)
    const run = cli(['check', path.join('svc', 'pipe.py')], dir);
    assert.notStrictEqual(run.code, null, 'the CLI returned');
    assert.match(run.stdout, /svc\/pipe\.py: problem not a regular file \(a named pipe\): not read/);
  });

  it('paths with spaces and non-ASCII names in text, JSON and SARIF (URIs percent-encoded)', () => {
    const dir = ws({ 'dir with space/ünï/café.py': 'import os\nfrom sqlalchemy import create_engine\nengine = create_engine("postgresql://app@db/app")\n', '.env': 'X=1\n' });
    const text = cli(['check', '--format', 'text'], dir);
    assert.match(text.stdout, /^dir with space\/ünï\/café\.py:3:\d+: warning\[missing-pre-ping\]/m);
    const json = JSON.parse(cli(['check', '--format', 'json'], dir).stdout) as { pools: { file: string }[] };
    assert.deepStrictEqual(json.pools.map((p) => p.file), ['dir with space/ünï/café.py']);
    const sarif = cli(['check', '--format', 'sarif'], dir).stdout;
    assert.ok(sarif.includes('"uri": "dir%20with%20space/%C3%BCn%C3%AF/caf%C3%A9.py"'), sarif.slice(0, 400));
  });
});
