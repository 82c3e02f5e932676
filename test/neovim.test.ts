// Neovim's own LSP client (vim.lsp.start_client, Neovim 0.7.2 as Debian 12 ships it) against the
// built server on a copy of seed 004's workspace: test/neovim/lsp.lua opens .env headless, waits
// for the diagnostics, asks for code actions, applies the quick fix with Neovim's own
// apply_workspace_edit and saves; this test reads back what it wrote and the file on disk.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FIXTURES, REPO } from './helpers/fixtures';
import { SERVER } from './helpers/lsp';

const SEED_004 = path.join(FIXTURES, 'undersized-pool', 'seed-004-env-profiles', 'input');

interface NvimResult {
  errors: string[];
  logs: string[];
  diagnostics: { lnum: number; col: number; message: string; source: string; code: string; severity: number; href: string }[];
  actions: { title: string; kind: string; isPreferred?: boolean }[];
  applied: string;
  after: { lnum: number; code: string }[];
}

describe('Neovim (headless, its built-in LSP client)', function () {
  this.timeout(90000);
  let tmp: string;
  before(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-nvim-')));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('shows seed 004\'s diagnostics in .env and applies the quick fix to the file', () => {
    const version = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
    assert.strictEqual(version.status, 0, 'nvim is not installed (.ci/run installs Debian\'s neovim)');
    const root = path.join(tmp, 'seed-004');
    fs.cpSync(SEED_004, root, { recursive: true });
    const out = path.join(tmp, 'result.json');
    // a private HOME and XDG folders: Neovim writes its LSP log and state there, nowhere else
    const home = path.join(tmp, 'home');
    fs.mkdirSync(home);
    const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local/share'), XDG_STATE_HOME: path.join(home, '.local/state'), XDG_CACHE_HOME: path.join(home, '.cache'), POOL_LINT_SERVER: SERVER, POOL_LINT_ROOT: root, POOL_LINT_FILE: '.env', POOL_LINT_OUT: out };
    const r = spawnSync('nvim', ['--headless', '--clean', '-u', 'NONE', '-c', `luafile ${path.join(REPO, 'test', 'neovim', 'lsp.lua')}`], { env, encoding: 'utf8', timeout: 80000 });
    assert.ok(fs.existsSync(out), `nvim wrote no result (status ${r.status}): ${r.stderr}`);
    const res = JSON.parse(fs.readFileSync(out, 'utf8')) as NvimResult;
    assert.deepStrictEqual(res.errors, [], res.logs.join('\n'));
    const d = res.diagnostics.find((x) => x.code === 'undersized-pool');
    assert.ok(d, JSON.stringify(res.diagnostics));
    assert.deepStrictEqual([d.lnum, d.col, d.source, d.severity], [2, 13, 'pool-lint', 2]); // .env:3:14, a warning
    assert.strictEqual(d.href, 'https://github.com/pool-lint/pool-lint/blob/main/docs/rules/undersized-pool.md');
    assert.match(d.message, /at most 15 connections: pool_size 5 \(DB_POOL_SIZE in \.env:3\)/);
    assert.deepStrictEqual(res.actions.map((a) => `${a.kind}: ${a.title}`), ['quickfix: Set pool_size to 40', 'quickfix: Ignore undersized-pool on this line', 'source.fixAll.poolLint: Fix all pool-lint findings (1)']);
    assert.strictEqual(res.applied, 'Set pool_size to 40');
    // Neovim applied the edit and saved: the file on disk changed and nothing else in it did
    const before = fs.readFileSync(path.join(SEED_004, '.env'), 'utf8');
    assert.strictEqual(fs.readFileSync(path.join(root, '.env'), 'utf8'), before.replace('DB_POOL_SIZE=5\n', 'DB_POOL_SIZE=40\n'));
    assert.ok(!res.after.some((x) => x.code === 'undersized-pool'), 'the server re-diagnosed the saved buffer');
  });
});
