// The test:electron suite (the same seed-004 scenarios through the VS Code API) run inside
// code-server's extension host, so it is exercised here too, where no desktop VS Code can be
// downloaded. The extension loads from this checkout (dist/ as `npm run build` left it).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { HostSession, installCodeServer, REPO, waitUntil } from './code-server';

const SEED_004 = path.join(REPO, 'test', 'fixtures', 'undersized-pool', 'seed-004-env-profiles', 'input');
const SUITE = path.join(REPO, 'out', 'test', 'electron', 'suite', 'index.js');

interface SuiteResult {
  passes: number;
  failures: number;
  tests: { title: string; state: string; error?: string }[];
}

describe('the test:electron suite (VS Code API) in code-server 4.100.3\'s extension host', function () {
  let host: HostSession | undefined;
  let resultFile = '';
  let failed = false;

  before(async function () {
    this.timeout(15 * 60_000);
    host = await HostSession.start(installCodeServer(), {
      workspace: SEED_004,
      name: 'api-suite',
      develop: {
        testsPath: SUITE,
        env: (workspace, root) => ((resultFile = path.join(root, 'suite-result.json')), { POOL_LINT_TEST_WORKSPACE: workspace, POOL_LINT_TEST_RESULT: resultFile }),
      },
    });
  });

  after(async function () {
    if (host) await host.stop(failed);
  });

  it('passes every scenario: diagnostics with rule ids, hover table, quick fix on disk, .env edit', async () => {
    try {
      const result = await waitUntil<SuiteResult>('the suite to finish', async () => (fs.existsSync(resultFile) ? JSON.parse(fs.readFileSync(resultFile, 'utf8')) : undefined), 180_000);
      for (const t of result.tests) console.log(`      ${t.state === 'passed' ? '✔' : '✘'} ${t.title}${t.error ? `: ${t.error}` : ''}`);
      assert.strictEqual(result.failures, 0, result.tests.filter((t) => t.error).map((t) => `${t.title}: ${t.error}`).join('\n'));
      assert.strictEqual(result.passes, 4, 'the suite has four scenarios');
    } catch (err) {
      failed = true;
      throw err;
    }
  });
});
