// The editor side of the probe without an editor: which Node runs the SQLite probe (the VSIX's
// better-sqlite3 addon loads only in the ABI it was built for), the poolLint.probe.* settings as
// CLI options, and the CLI from a VSIX-shaped folder (dist/ alone, no node_modules) running the
// SQLite probe with the addon the build copied.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runProbeProcess, settingsArgs, sqliteRuntime, type AddonAbi } from '../client/src/probe-run';

const REPO = path.resolve(__dirname, '..', '..');
const ABI_FILE = path.join(REPO, 'dist', 'native', 'better-sqlite3', 'abi.json');

describe('probe client: the runtime for the SQLite probe', () => {
  const abi: AddonAbi = JSON.parse(fs.readFileSync(ABI_FILE, 'utf8'));
  const here = { execPath: process.execPath, versions: process.versions as { modules: string; node: string }, platform: process.platform, arch: process.arch, pathEnv: process.env.PATH ?? '' };

  it('the build records the ABI the addon was compiled for, and it is this Node\'s', () => {
    assert.strictEqual(abi.modules, process.versions.modules);
    assert.strictEqual(abi.platform, process.platform);
    assert.strictEqual(abi.arch, process.arch);
  });

  it('a host whose own Node matches (code-server) runs the CLI with its own executable, as plain Node', () => {
    const r = sqliteRuntime(abi, here);
    assert.ok(typeof r !== 'string', String(r));
    assert.strictEqual(r.execPath, process.execPath);
    assert.strictEqual(r.electronAsNode, false);
  });

  it('an Electron host with another ABI uses its own binary only if the ABI matches, else a node on PATH that matches (asked for real)', () => {
    const electron = { ...here, execPath: '/opt/VSCode/code', versions: { modules: '132', node: '22.15.1', electron: '35.5.1' }, pathEnv: `/nonexistent-dir${path.delimiter}${path.dirname(process.execPath)}` };
    const r = sqliteRuntime(abi, electron);
    assert.ok(typeof r !== 'string', String(r));
    assert.strictEqual(fs.realpathSync(r.execPath), fs.realpathSync(process.execPath), 'the node on PATH that matches');
    assert.strictEqual(r.electronAsNode, false);
    // an Electron whose ABI matches runs itself as Node
    const same = sqliteRuntime(abi, { ...electron, versions: { modules: abi.modules, node: '20.20.0', electron: '30.0.0' } });
    assert.ok(typeof same !== 'string');
    assert.strictEqual(same.execPath, '/opt/VSCode/code');
    assert.strictEqual(same.electronAsNode, true);
  });

  it('with no matching node the message says which Node to install and how to run it instead', () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-fake-node-'));
    try {
      // a node on PATH that answers with another ABI
      fs.writeFileSync(path.join(bin, 'node'), '#!/bin/sh\necho "127 linux x64 v22.0.0"\n', { mode: 0o755 });
      const r = sqliteRuntime(abi, { ...here, execPath: '/opt/VSCode/code', versions: { modules: '132', node: '22.15.1', electron: '35.5.1' }, pathEnv: bin });
      assert.strictEqual(typeof r, 'string');
      assert.match(r as string, new RegExp(`needs Node\\.js ${abi.node.replace(/^v(\d+).*/, '$1')} \\(ABI ${abi.modules}`));
      assert.match(r as string, /Electron 35\.5\.1 with Node 22\.15\.1 \(ABI 132\)/);
      assert.match(r as string, /npx pool-lint probe --sqlite/);
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it('another platform or architecture is named, not attempted', () => {
    const r = sqliteRuntime(abi, { ...here, arch: 'arm64' });
    assert.strictEqual(typeof r, 'string');
    assert.match(r as string, new RegExp(`built for ${abi.platform}-${abi.arch}, not ${process.platform}-arm64`));
  });
});

describe('probe client: settings as CLI options', () => {
  it('duration, steps and workload become --duration, --steps and --workload; unset ones are left to the CLI defaults', () => {
    assert.deepStrictEqual(settingsArgs({ duration: '2s', steps: [1, 3, 9], workload: 'sql:q.sql', allowedHosts: ['db.local'] }, false), ['--allow-host', 'db.local', '--duration', '2s', '--steps', '1,3,9', '--workload', 'sql:q.sql']);
    assert.deepStrictEqual(settingsArgs({ duration: null, steps: [], workload: 'hold:5ms' }, false), ['--workload', 'hold:5ms']);
    assert.deepStrictEqual(settingsArgs({}, false), []);
  });

  it('the SQLite probe gets the duration only (it has its own workload and no concurrency steps)', () => {
    assert.deepStrictEqual(settingsArgs({ duration: '1s', steps: [1, 2], workload: 'hold:9ms' }, true), ['--duration', '1s']);
  });
});

describe('probe client: the CLI from the VSIX layout', function () {
  this.timeout(60000);

  it('dist/ alone (no node_modules anywhere above it) runs the SQLite probe with the copied addon, for the duration the setting asks', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-vsix-layout-'));
    try {
      fs.cpSync(path.join(REPO, 'dist'), path.join(root, 'dist'), { recursive: true });
      let up = root;
      while (path.dirname(up) !== up) {
        assert.ok(!fs.existsSync(path.join(up, 'node_modules', 'better-sqlite3')), `a better-sqlite3 above ${root} would hide the copy`);
        up = path.dirname(up);
      }
      const r = await runProbeProcess({ cli: path.join(root, 'dist', 'cli.js'), cwd: root, args: ['--sqlite', ...settingsArgs({ duration: '500ms' }, true)] });
      assert.strictEqual(r.report?.kind, 'sqlite', r.stderr);
      assert.ok(r.report.complete, JSON.stringify(r.report.errors));
      assert.strictEqual(r.report.runDurationMs, 500);
      const runs = r.report.runs as { label: string; busyRate: number; writes: number }[];
      assert.strictEqual(runs.length, 3);
      assert.ok(runs.every((x) => x.writes > 0), JSON.stringify(runs));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
