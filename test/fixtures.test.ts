// Every fixture folder is a test: its findings must match expected.json exactly (rule, severity,
// position, profile) and mention the values and sources listed; a fixed/ folder is the tree --fix
// must produce, and a second --fix must change nothing.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cases, run, actualFindings, copyTree, listTree, fixCopy, relTo } from './helpers/fixtures';
import { check } from '../server/src/engine';

describe('fixtures', () => {
  for (const c of cases()) {
    describe(`${c.rule}/${c.name}`, () => {
      it('reports exactly the expected findings', async () => {
        const result = await run(c.input);
        const actual = actualFindings(result, c.input);
        const expected = c.expected.findings.map(({ messageIncludes: _m, ...f }) => f);
        assert.deepStrictEqual(actual, expected);
        c.expected.findings.forEach((f, i) => {
          for (const s of f.messageIncludes ?? []) assert.ok(result.findings[i].message.includes(s), `message of ${f.rule} at ${f.file}:${f.line} lacks "${s}":\n${result.findings[i].message}`);
        });
        if (!c.expected.problems) assert.deepStrictEqual(result.problems, [], 'unexpected file problems');
        else {
          const rel = relTo(c.input);
          assert.strictEqual(result.problems.length, c.expected.problems.length, JSON.stringify(result.problems));
          c.expected.problems.forEach((p, i) => {
            const a = result.problems[i];
            assert.strictEqual(rel(a.file), p.file);
            if (p.line !== undefined) assert.strictEqual((a.line ?? -1) + 1, p.line);
            assert.ok(a.message.includes(p.messageIncludes), a.message);
          });
        }
        for (const ep of c.expected.pools ?? []) {
          const pool = result.pools.find((p) => relTo(c.input)(p.file) === ep.file && p.span.line + 1 === ep.line);
          assert.ok(pool, `no pool at ${ep.file}:${ep.line}`);
          for (const [profile, kind] of Object.entries(ep.database ?? {})) assert.strictEqual(pool.profiles[profile].database.kind, kind, `database in ${profile}`);
          for (const [profile, settings] of Object.entries(ep.settings ?? {})) {
            for (const [name, [value, source]] of Object.entries(settings)) {
              const s: import("../server/src/engine/model").Setting = pool.profiles[profile].settings[name];
              assert.deepStrictEqual([s.value ?? null, s.source], [value, source], `${name} in ${profile}`);
            }
          }
        }
      });
      if (c.fixed) {
        it('--fix produces the fixed tree, parses, and is idempotent', async () => {
          const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-fix-'));
          try {
            copyTree(c.input, tmp);
            const first = await fixCopy(c.input, tmp);
            assert.ok(first.applied > 0, 'no fix was applied');
            assert.deepStrictEqual(listTree(tmp), listTree(c.fixed!));
            for (const f of listTree(c.fixed!)) {
              assert.strictEqual(fs.readFileSync(path.join(tmp, f), 'utf8'), fs.readFileSync(path.join(c.fixed!, f), 'utf8'), `${f} differs from fixed/${f}`);
            }
            const after = await check({ root: tmp, rel: relTo(tmp) });
            assert.deepStrictEqual(after.problems.filter((p) => p.message.includes('syntax error')), [], 'fixed code does not parse');
            assert.ok(after.findings.every((f) => !f.fix), `fixable findings remain: ${after.findings.filter((f) => f.fix).map((f) => f.rule)}`);
            const second = await fixCopy(c.input, tmp);
            assert.strictEqual(second.applied, 0, 'a second --fix changed something');
            for (const f of listTree(c.fixed!)) assert.strictEqual(fs.readFileSync(path.join(tmp, f), 'utf8'), fs.readFileSync(path.join(c.fixed!, f), 'utf8'));
          } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
          }
        });
      }
    });
  }
});
