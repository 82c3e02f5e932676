// The dotenv TextMate grammar (syntaxes/dotenv.tmLanguage.json) against the scope assertions in
// test/grammar/*.env, through vscode-tmgrammar-test (vscode-textmate + oniguruma, as VS Code
// tokenizes). A control case with a wrong assertion must fail, so a broken runner cannot pass.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO } from './helpers/fixtures';

const BIN = path.join(REPO, 'node_modules', '.bin', 'vscode-tmgrammar-test');
const GRAMMAR = path.join(REPO, 'syntaxes', 'dotenv.tmLanguage.json');

function runGrammarTest(glob: string, cwd = REPO): { status: number | null; out: string } {
  const r = spawnSync(BIN, ['-g', GRAMMAR, glob], { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('dotenv grammar', () => {
  it('passes every scope assertion in test/grammar/*.env', () => {
    const files = fs.readdirSync(path.join(REPO, 'test', 'grammar')).filter((f) => f.endsWith('.env'));
    assert.ok(files.length >= 3, 'the grammar test files are missing');
    const r = runGrammarTest('test/grammar/*.env');
    assert.strictEqual(r.status, 0, r.out);
    for (const f of files) assert.match(r.out, new RegExp(`test/grammar/${f.replace('.', '\\.')} run successfuly`), r.out);
  });

  it('fails on a wrong assertion and names the scope it missed (control)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-grammar-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'wrong.env'),
        '# SYNTAX TEST "source.dotenv" "a key is not a comment"\nDB_POOL_SIZE=5\n# <------------ comment.line.number-sign.dotenv\n',
      );
      const r = runGrammarTest('wrong.env', dir);
      assert.notStrictEqual(r.status, 0, r.out);
      assert.match(r.out, /missing required scopes: comment\.line\.number-sign\.dotenv/);
      assert.match(r.out, /variable\.other\.key\.dotenv/, 'the report shows the actual scopes');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is the grammar package.json contributes for the dotenv language', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    const grammar = JSON.parse(fs.readFileSync(GRAMMAR, 'utf8'));
    const g = pkg.contributes.grammars.find((x: { language: string }) => x.language === 'dotenv');
    assert.ok(g, 'no grammar contributed for dotenv');
    assert.strictEqual(path.resolve(REPO, g.path), GRAMMAR);
    assert.strictEqual(g.scopeName, grammar.scopeName);
  });
});
