// The extension's manifest (package.json) against what the client and the server implement:
// the settings the server pulls, the rule ids, the commands the client registers, activation,
// Restricted Mode, the engine the code-server host runs (VS Code 1.100.3), and what the VSIX and
// the npm package carry.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { REPO } from './helpers/fixtures';
import { RULE_IDS } from '../rules';

const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
const clientSources = fs
  .readdirSync(path.join(REPO, 'client', 'src'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => fs.readFileSync(path.join(REPO, 'client', 'src', f), 'utf8'))
  .join('\n');

/** Does a caret range like ^1.100.0 admit version v? (the only form the manifest uses) */
function caretAdmits(range: string, v: string): boolean {
  const m = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
  assert.ok(m, `engines.vscode '${range}' is not a caret range`);
  const [maj, min, pat] = m.slice(1).map(Number);
  const [a, b, c] = v.split('.').map(Number);
  return a === maj && (b > min || (b === min && c >= pat));
}

describe('extension manifest', () => {
  it('contributes exactly the poolLint.* settings the server and the probe read', () => {
    const props = Object.keys(pkg.contributes.configuration.properties).sort();
    assert.deepStrictEqual(props, [
      'poolLint.avgConnectionHoldMs',
      'poolLint.enable',
      'poolLint.expectedConcurrency',
      'poolLint.peakRequestsPerSecond',
      'poolLint.probe.allowedHosts',
      'poolLint.probe.duration',
      'poolLint.probe.steps',
      'poolLint.probe.workload',
      'poolLint.profiles',
      'poolLint.rules',
      'poolLint.serverMaxConnections',
      'poolLint.trace.server',
    ]);
  });

  it('the probe settings describe themselves, check their form, and the client reads each one', () => {
    const props = pkg.contributes.configuration.properties;
    const probeSource = fs.readFileSync(path.join(REPO, 'client', 'src', 'probe.ts'), 'utf8');
    for (const key of ['poolLint.probe.duration', 'poolLint.probe.steps', 'poolLint.probe.workload']) {
      assert.ok(String(props[key].markdownDescription ?? props[key].description).length > 40, `${key} has a description`);
      assert.strictEqual(props[key].scope, 'resource', key);
      assert.ok(probeSource.includes(`config.get<`) && new RegExp(`config\\.get<[^>]+>\\('${key.slice('poolLint.'.length).replace('.', '\\.')}'\\)`).test(probeSource), `client/src/probe.ts reads ${key}`);
    }
    const duration = new RegExp(props['poolLint.probe.duration'].pattern);
    for (const ok of ['10s', '500ms', '2m', '1.5s', '3']) assert.match(ok, duration);
    for (const bad of ['10 sec', 'fast', '-1s']) assert.doesNotMatch(bad, duration);
    const workload = new RegExp(props['poolLint.probe.workload'].pattern);
    for (const ok of ['hold:5ms', 'hold:0.5s', 'sql:queries/top.sql']) assert.match(ok, workload);
    for (const bad of ['hold:', 'sleep:5ms', 'sql:']) assert.doesNotMatch(bad, workload);
    assert.strictEqual(props['poolLint.probe.workload'].default, 'hold:5ms');
    assert.deepStrictEqual(props['poolLint.probe.steps'].items, { type: 'integer', minimum: 1 });
  });

  it('poolLint.rules offers every rule id with the four levels (update package.json when a rule is added)', () => {
    const rules = pkg.contributes.configuration.properties['poolLint.rules'];
    assert.deepStrictEqual(Object.keys(rules.properties).sort(), [...RULE_IDS].sort());
    for (const id of RULE_IDS) assert.deepStrictEqual(rules.properties[id].enum, ['off', 'info', 'warning', 'error'], id);
  });

  it('every contributed command is registered by the client, and every menu names a contributed command', () => {
    const commands: string[] = pkg.contributes.commands.map((c: { command: string }) => c.command);
    for (const c of commands) assert.ok(clientSources.includes(`registerCommand('${c}'`), `${c} is contributed but never registered`);
    for (const [menu, entries] of Object.entries(pkg.contributes.menus) as [string, { command: string }[]][]) {
      for (const e of entries) assert.ok(commands.includes(e.command), `${menu} names ${e.command}, which is not contributed`);
    }
    for (const m of clientSources.matchAll(/registerCommand\('([^']+)'/g)) assert.ok(commands.includes(m[1]), `${m[1]} is registered but not contributed`);
  });

  it('the probe command is disabled in Restricted Mode, and the client checks trust before it runs', () => {
    assert.strictEqual(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.ok(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('poolLint.probe.allowedHosts'));
    const probe = pkg.contributes.commands.find((c: { command: string }) => c.command === 'poolLint.runProbe');
    assert.strictEqual(probe.enablement, 'isWorkspaceTrusted');
    const palette = pkg.contributes.menus.commandPalette.find((m: { command: string }) => m.command === 'poolLint.runProbe');
    assert.match(palette.when, /\bisWorkspaceTrusted\b/);
    const probeSource = fs.readFileSync(path.join(REPO, 'client', 'src', 'probe.ts'), 'utf8');
    assert.match(probeSource, /if \(!vscode\.workspace\.isTrusted\) \{[^}]*return false;/s);
  });

  it('activates on the languages the server reads and on workspaces with .env files, Spring config, Prisma schemas and Go modules', () => {
    for (const l of ['python', 'rust', 'typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'go', 'yaml', 'properties', 'prisma', 'dotenv']) {
      assert.ok(pkg.activationEvents.includes(`onLanguage:${l}`), l);
      assert.ok(clientSources.includes(`'${l}'`), `the client's document selector lacks ${l}`);
    }
    for (const w of ['**/.env*', '**/application*.properties', '**/application*.{yml,yaml}', '**/*.prisma', '**/go.mod']) assert.ok(pkg.activationEvents.includes(`workspaceContains:${w}`), w);
    // without the Prisma extension a schema is plain text: the selector names the files by pattern too
    for (const p of ['**/*.prisma', '**/application*.properties']) assert.ok(clientSources.includes(`'${p}'`), `the client's document selector lacks ${p}`);
    const server = fs.readFileSync(path.join(REPO, 'server', 'src', 'lsp', 'server.ts'), 'utf8');
    for (const ext of ['go', 'prisma', 'properties']) assert.match(server, new RegExp(`globPattern: '\\*\\*/\\*\\.\\{[^']*\\b${ext}\\b`), `the server does not watch .${ext} files`);
    const dotenv = pkg.contributes.languages.find((l: { id: string }) => l.id === 'dotenv');
    assert.deepStrictEqual(dotenv.filenames, ['.env']);
    assert.deepStrictEqual(dotenv.filenamePatterns, ['.env.*', '*.env']);
    assert.ok(fs.existsSync(path.join(REPO, dotenv.configuration)));
  });

  it('engines.vscode admits VS Code 1.100.3 (code-server 4.100.3) and @types/vscode does not promise newer APIs', () => {
    assert.ok(caretAdmits(pkg.engines.vscode, '1.100.3'), pkg.engines.vscode);
    const types = JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', '@types', 'vscode', 'package.json'), 'utf8')).version;
    assert.ok(caretAdmits(pkg.engines.vscode, types), `@types/vscode ${types} is newer than engines.vscode ${pkg.engines.vscode}`);
    assert.strictEqual(pkg.main, './dist/extension.js');
  });

  it('the VSIX carries the bundles, the WASM grammars, the dotenv grammar, the icon, README, LICENSE and rule docs, and nothing else', () => {
    const r = spawnSync(path.join(REPO, 'node_modules', '.bin', 'vsce'), ['ls', '--no-dependencies'], { cwd: REPO, encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    const files = r.stdout.split('\n').filter(Boolean);
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/extension.js', 'dist/cli.js', 'dist/probe-cli.js', 'dist/pg-load.js', 'dist/native/better-sqlite3/lib/index.js', 'dist/native/better-sqlite3/build/Release/better_sqlite3.node', 'dist/native/better-sqlite3/abi.json', 'dist/wasm/tree-sitter.wasm', 'dist/wasm/tree-sitter-python.wasm', 'syntaxes/dotenv.tmLanguage.json', 'syntaxes/dotenv.language-configuration.json', pkg.icon, 'docs/rules/undersized-pool.md'])
      assert.ok(files.includes(f), `the VSIX lacks ${f}`);
    for (const f of files) assert.match(f, /^(package\.json|README\.md|LICENSE|dist\/(extension|server|cli|probe-cli|pg-load)\.js|dist\/native\/better-sqlite3\/(package\.json|abi\.json|lib\/[\w/-]+\.js|build\/Release\/better_sqlite3\.node)|dist\/wasm\/[\w-]+\.wasm|syntaxes\/[\w.-]+\.json|client\/images\/[\w.]+|docs\/rules\/[\w-]+\.md)$/, `the VSIX should not carry ${f}`);
    assert.ok(pkg.icon.endsWith('.png') && fs.readFileSync(path.join(REPO, pkg.icon)).subarray(1, 4).toString() === 'PNG', 'the icon is a PNG');
  });

  it('the npm package carries the CLI bundle, the rule docs, README and LICENSE, not the client or the tests', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO, encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    const files: string[] = JSON.parse(r.stdout)[0].files.map((f: { path: string }) => f.path);
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/cli.js', 'dist/probe-cli.js', 'dist/wasm/tree-sitter-python.wasm', 'docs/rules/undersized-pool.md']) assert.ok(files.includes(f), `npm pack lacks ${f}`);
    for (const f of files) assert.match(f, /^(package\.json|README\.md|LICENSE|dist\/(?!extension|native\/)[\w./-]+|docs\/rules\/[\w-]+\.md)$/, `npm pack should not carry ${f}`);
  });
});
