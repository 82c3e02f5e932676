// Regression cases the fuzzer found (test/helpers/fuzz.ts), each reduced to its input: the engine
// names the file, says what it did not read, and goes on with the other files.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { check, createWorkspace } from '../server/src/engine';
import { MAX_PARSE_CHARS } from '../server/src/engine/syntax';
import { FIXTURES, relTo } from './helpers/fixtures';

const POOL = 'from sqlalchemy import create_engine\nengine = create_engine("postgresql://app@db/app")\n';

describe('robustness: inputs the fuzzer found', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const ws = (files: Record<string, string | Buffer>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-robust-'));
    dirs.push(dir);
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), content);
    }
    return dir;
  };
  const problemsOf = async (dir: string) => (await check({ root: dir, rel: relTo(dir) })).problems.map((p) => ({ file: relTo(dir)(p.file), line: p.line === undefined ? undefined : p.line + 1, message: p.message }));

  it('a syntax error deep in thousands of nested arguments is named with its line (the error search overflowed the stack)', async () => {
    // fuzz: manyArgs form 3 in lib/db.js of missing-error-listener/negative-commonjs-listener-mock-and-string
    const dir = ws({ 'lib/db.js': `const { Pool } = require('pg');\nconst pool = new Pool(${'*args, **kw, '.repeat(3659)}{ max: 5 });\n`, 'app.py': POOL });
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.ok(r.problems.some((p) => relTo(dir)(p.file) === 'lib/db.js' && p.line === 1 && /syntax error/.test(p.message)), JSON.stringify(r.problems));
    assert.ok(r.pools.some((p) => relTo(dir)(p.file) === 'app.py'), 'the other file is still checked');
  });

  it('a pool setting written inside thousands of nested parentheses is unknown, not an internal error (the Python and Go evaluators recursed per level until the stack gave out)', async () => {
    // fuzz seed 944793551: a nest mutation 4,994 deep in flask-sqlalchemy's app.py; CPython itself
    // refuses more than 200, and 200 (valid Python) is still evaluated
    for (const depth of [150, 200, 5000]) {
      const dir = ws({ 'app/db.py': `from sqlalchemy import create_engine\nengine = create_engine("postgresql://app@db/app", pool_size=${'('.repeat(depth)}7${')'.repeat(depth)})\n` });
      const r = await check({ root: dir, rel: relTo(dir) });
      assert.deepStrictEqual(r.problems.map((p) => p.message), [], `depth ${depth}`);
      const size = Object.values(r.pools[0].profiles)[0].settings.pool_size;
      if (depth <= 200) assert.strictEqual(size.value, 7, `depth ${depth}`);
      else assert.match(`${size.source} ${size.reason}`, /unknown .*nested over 256 deep/);
    }
    // the Go evaluator had the same recursion (SetMaxOpenConns((((...)))))
    for (const depth of [150, 5000]) {
      const dir = ws({ 'main.go': `package main\n\nimport "database/sql"\n\nfunc main() {\n\tdb, _ := sql.Open("postgres", "postgres://app@db/app")\n\tdb.SetMaxOpenConns(${'('.repeat(depth)}7${')'.repeat(depth)})\n}\n` });
      const r = await check({ root: dir, rel: relTo(dir) });
      assert.deepStrictEqual(r.problems.map((p) => p.message), [], `Go, depth ${depth}`);
      const open = Object.values(r.pools[0].profiles)[0].settings.MaxOpenConns;
      assert.ok(open, JSON.stringify(Object.keys(Object.values(r.pools[0].profiles)[0].settings)));
      if (depth === 150) assert.strictEqual(open.value, 7);
      else assert.match(`${open.source} ${open.reason}`, /unknown .*nested over 256 deep/);
    }
  });

  it('a size that converts to NaN (Number() of an .env value with a stray byte) is an unknown value that says why, not NaN in the model', async () => {
    // fuzz seed 920075932: a byte flip in undersized-pool/negative-knex-sqlite-and-sized-sequelize/.env
    const dir = ws({
      'db.js': "const { Sequelize } = require('sequelize');\nconst sequelize = new Sequelize(process.env.DATABASE_URL, { dialect: 'mysql', pool: { max: Number(process.env.DB_POOL_MAX ?? 60) } });\nmodule.exports = { sequelize };\n",
      '.env': 'DATABASE_URL=mysql://app@localhost:3306/shop\nDB_POOL_MAX=64\uFFFD\n',
    });
    const r = await check({ root: dir, rel: relTo(dir) });
    const max = Object.values(r.pools[0].profiles)[0].settings.max;
    assert.strictEqual(max.value, undefined, JSON.stringify(max));
    assert.match(max.reason ?? '', /is NaN \('64\uFFFD' in DB_POOL_MAX is not a number\)/);
    assert.deepStrictEqual(r.problems.map((p) => p.message), []);
  });

  it(`a source file over ${MAX_PARSE_CHARS / 1024} KB is named as not parsed, the rest is checked`, async () => {
    // fuzz: 184 duplicated lines of 746 nested calls made a 418 KB module take 1.5 s of CPU
    const big = POOL + `x = ${'f('.repeat(746)}${')'.repeat(746)}\n`.repeat(184);
    const dir = ws({ 'gen/big.py': big, 'app.py': POOL });
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.deepStrictEqual(r.pools.map((p) => relTo(dir)(p.file)), ['app.py']);
    const ps = await problemsOf(dir);
    assert.strictEqual(ps.length, 1, JSON.stringify(ps));
    assert.strictEqual(ps[0].file, 'gen/big.py');
    assert.match(ps[0].message, /^cannot parse: \d+ KB is over the 256 KB pool-lint parses in one source file .*its pools are not checked, other files are still checked$/);
  });

  it('a compose file with a thousand YAML errors on one line gives one problem with the count, at its position', async () => {
    // fuzz: manyArgs form 2 (a call of `max: 1, ` x 3000 put before services:) gave 974 problems;
    // a line of thousands of keys is now refused before parsing (below), so the errors are spread
    // over 30 lines of 100 keys here
    const dir = ws({ 'compose.yaml': `\n${`create_engine(${'max: 1, '.repeat(100)})\n`.repeat(30)}services:\n  api:\n    image: x\n`, 'app.py': POOL });
    const ps = await problemsOf(dir);
    assert.strictEqual(ps.length, 1, JSON.stringify(ps.slice(0, 3)));
    assert.strictEqual(ps[0].file, 'compose.yaml');
    assert.strictEqual(ps[0].line, 2);
    assert.match(ps[0].message, /^YAML: .* \(and \d+ more errors\)$/);
  });

  it('YAML config and compose files over the limit are named as not read; the run goes on', async () => {
    // fuzz: a 1.9 MB compose file took 1.8 s of CPU in the YAML parser
    const filler = '# padding\n'.repeat(30_000);
    const dir = ws({ 'config/app.yaml': `database:\n  pool_size: 5\n  max_overflow: 10\n${filler}`, 'docker-compose.yml': `services:\n  api:\n    image: x\n${filler}`, 'app.py': POOL });
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.deepStrictEqual(r.pools.map((p) => relTo(dir)(p.file)), ['app.py']);
    const ps = await problemsOf(dir);
    assert.deepStrictEqual(ps.map((p) => p.file).sort(), ['config/app.yaml', 'docker-compose.yml']);
    assert.ok(ps.find((p) => p.file === 'config/app.yaml')!.message.match(/^not read: \d+ KB is over the 256 KB pool-lint parses in one YAML file .*its pool sections are not read/));
    assert.ok(ps.find((p) => p.file === 'docker-compose.yml')!.message.match(/^not read: \d+ KB is over the 256 KB pool-lint parses in one compose file .*its services are not counted/));
  });

  it('a compose file of 130 flow sequences each nested 724 deep on one line is named as not read at the column the nesting passed 128', async () => {
    // fuzz (npm run fuzz -- --runs 100000, seed 150841501, compose case 3634): the mutations
    // truncate, nest form 1 depth 724, duplicateLine x129, crlf on docker-compose.yml of
    // pool-exceeds-server-connections/mysql-compose-max-connections took 1.7 s of CPU in the YAML parser
    const deep = `${'['.repeat(724)}${']'.repeat(724)}`.repeat(130);
    const dir = ws({ 'docker-compose.yml': deep, 'app.py': POOL });
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.deepStrictEqual(r.pools.map((p) => relTo(dir)(p.file)), ['app.py']);
    const ps = await problemsOf(dir);
    assert.deepStrictEqual(ps, [{ file: 'docker-compose.yml', line: 1, message: 'not read: flow collections ([...] and {...}) nested more than 128 deep at line 1, column 129 (the YAML parser takes seconds on thousands of levels; generated?); its services are not counted, other files are still checked' }]);
  });

  it('a Go import list of thousands of `max: 1,` and `*args, **kw,` is named as not parsed when the scan meets it and when an edit makes it', async () => {
    // fuzz (npm run fuzz -- --runs 100000, seed 538886736, go-database-sql case 115): manyArgs
    // forms 2 (x3634) and 3 (x8431) in main.go of unlimited-open-connections/negative-sqlite-and-limited
    // took tree-sitter 12 s: the parser reported its error in 37 of 2,539 progress calls, and
    // only those were held to the error-recovery budget
    const go = (list: string) => `package main\n\nimport (${list}\n\t"database/sql"\n)\n\nfunc main() {\n\tdb, _ := sql.Open("pgx", "postgres://app@db/app")\n\tdb.SetMaxOpenConns(10)\n}\n`;
    const hostile = go(`${'max: 1, '.repeat(3634)}${'*args, **kw, '.repeat(8431)}`);
    const stopped = /^cannot parse: parsing stopped after 500 ms of CPU in error recovery, near line 3 \(a syntax error the parser cannot get past quickly\); its pools are not checked, other files are still checked$/;
    const dir = ws({ 'cmd/main.go': hostile, 'app.py': POOL });
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.deepStrictEqual(r.pools.map((p) => relTo(dir)(p.file)), ['app.py']);
    const ps = (await problemsOf(dir)).filter((p) => p.file === 'cmd/main.go');
    assert.strictEqual(ps.length, 1, JSON.stringify(ps));
    assert.match(ps[0].message, stopped);
    assert.strictEqual(ps[0].line, 3, 'the problem carries the line the message names');
    // the language server's path: an open file's tree is reparsed from its edit, under the same budget
    const clean = go('');
    const gdir = ws({ 'cmd/main.go': clean, 'app.py': POOL });
    const file = path.join(gdir, 'cmd', 'main.go');
    const w = createWorkspace({ root: gdir, rel: relTo(gdir) });
    try {
      w.openFile(file, clean);
      await w.scan();
      assert.strictEqual(w.poolsIn(file).length, 1, 'the clean file has its pool');
      const at = clean.indexOf('(') + 1;
      const inserted = hostile.length - clean.length;
      const point = { row: 2, column: at - clean.lastIndexOf('\n', at) - 1 };
      w.changeFile(file, hostile, [{ startIndex: at, oldEndIndex: at, newEndIndex: at + inserted, startPosition: point, oldEndPosition: point, newEndPosition: { row: 2, column: point.column + inserted } }]);
      await w.update();
      assert.deepStrictEqual(w.poolsIn(file), []);
      assert.match(w.problemsIn(file).map((p) => p.message).join('\n'), stopped);
      assert.deepStrictEqual(w.problemsIn(file).filter((p) => stopped.test(p.message)).map((p) => p.line), [2]);
      assert.strictEqual(w.poolsIn(path.join(gdir, 'app.py')).length, 1, 'the other file is still checked');
    } finally {
      w.dispose();
    }
  });

  it('the fuzz suite\'s case of 6,204 `max: 1, ` before a malformed app config is refused at once, and flow mappings with many keys on one line are still read', async () => {
    // npm test in a fresh clone (seed 682225276, yaml-config case 2): manyArgs form 2 x6204 at the top
    // of sqlite-multiple-writers/malformed-yaml-rest-still-checked's conf/broken.yaml took 10 s of
    // CPU in the YAML parser inside the long mocha run (0.2 s when replayed alone)
    const broken = fs.readFileSync(path.join(FIXTURES, 'sqlite-multiple-writers', 'malformed-yaml-rest-still-checked', 'input', 'conf', 'broken.yaml'), 'utf8');
    const flow = `database: {${Array.from({ length: 300 }, (_, i) => `k${i}: ${i}`).join(', ')}, pool_size: 5}\n`;
    const dir = ws({ 'conf/broken.yaml': `create_engine(${'max: 1, '.repeat(6204)})${broken}`, 'conf/flow.yaml': flow, 'app.py': POOL });
    const ps = await problemsOf(dir);
    assert.deepStrictEqual(ps.filter((p) => p.file === 'conf/broken.yaml').map((p) => [p.line, /^not read: line 1 nests a YAML block mapping per key \(6204 `key: `/.test(p.message)]), [[1, true]]);
    assert.deepStrictEqual(ps.filter((p) => p.file === 'conf/flow.yaml'), [], '300 keys in a flow mapping are not nested mappings');
  });

  it('a YAML line of thousands of `key: ` (the yaml parser recurses once per key and overflows the stack) is named with its line in compose, app config, Spring and sequelize-cli files; the run goes on', async () => {
    // fuzz (npm run fuzz -- --runs 100000, seed 1658572838, compose case 4070): insert "]Dm" and
    // manyArgs form 2 x5391 in docker-compose.prod.yml of undersized-pool/spring-boot-yaml-profiles:
    // the RangeError escaped YAML.parseDocument and check() threw (the CLI: "internal error")
    // after a blank line at the top the parser nests a block mapping per `max: ` (under a mapping
    // it reports "Nested mappings are not allowed" instead)
    const keys = `\ncreate_engine(${'max: 1, '.repeat(5391)})\n]Dm\n`;
    const dir = ws({
      'docker-compose.yml': `${keys}services:\n  api:\n    image: x\n`,
      'config/app.yaml': `${keys}database:\n  pool_size: 5\n`,
      'src/main/resources/application.yml': `${keys}spring:\n  datasource:\n    hikari:\n      maximum-pool-size: 5\n`,
      'config/config.json': `${keys}{"development": {"dialect": "postgres", "pool": {"max": 5}}}\n`,
      'app.py': POOL,
    });
    const r = await check({ root: dir, rel: relTo(dir) });
    assert.deepStrictEqual(r.pools.map((p) => relTo(dir)(p.file)), ['app.py']);
    const ps = await problemsOf(dir);
    // refused before the parser sees it (the line's keys counted by the yaml lexer), so the parse
    // never recurses 5,391 deep: in a long test run that recursion took seconds before it overflowed
    const refused = (consequence: string, line: number) => `not read: line ${line} nests a YAML block mapping per key (5391 \`key: \` on one line; the YAML parser recurses once per key and runs out of stack on thousands; generated?); ${consequence}, other files are still checked`;
    assert.deepStrictEqual(ps.filter((p) => /nests a YAML block mapping per key/.test(p.message)).sort((a, b) => a.file.localeCompare(b.file)), [
      { file: 'config/app.yaml', line: 2, message: refused('its pool sections are not read', 2) },
      { file: 'config/config.json', line: 2, message: refused('its pool settings are not read', 2) },
      { file: 'docker-compose.yml', line: 2, message: refused('its services are not counted', 2) },
      { file: 'src/main/resources/application.yml', line: 2, message: refused('its datasource settings are not read', 2) },
    ]);
    assert.deepStrictEqual(ps.filter((p) => /internal error|call stack/i.test(p.message)), []);
  });
});
