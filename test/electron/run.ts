// `npm run test:electron`: the same seed-004 scenarios as the code-server test, inside a desktop
// VS Code that @vscode/test-electron downloads (so only where its CDN is reachable; on machines
// that reach only npm, `npm run test:host` runs them in code-server instead). Mocha runs inside
// the extension host (suite/index.ts) against a copy of the seed workspace.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runTests } from '@vscode/test-electron';

const REPO = path.resolve(__dirname, '..', '..', '..');
const SEED_004 = path.join(REPO, 'test', 'fixtures', 'undersized-pool', 'seed-004-env-profiles', 'input');

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-electron-'));
  const workspace = path.join(root, 'seed-004');
  fs.cpSync(SEED_004, workspace, { recursive: true });
  try {
    await runTests({
      version: process.env.POOL_LINT_VSCODE_VERSION ?? '1.100.3',
      extensionDevelopmentPath: REPO,
      extensionTestsPath: path.join(__dirname, 'suite', 'index.js'),
      extensionTestsEnv: { POOL_LINT_TEST_WORKSPACE: workspace },
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${path.join(root, 'user-data')}`, `--extensions-dir=${path.join(root, 'extensions')}`],
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
