// Runs inside the VS Code extension host (see ../run.ts, and test/host/ which runs it in
// code-server): mocha over the *.electron.js suites. With POOL_LINT_TEST_RESULT set, also writes
// {passes, failures, tests} there, for a runner that cannot read the extension host's exit code.
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, color: false });
  for (const f of fs.readdirSync(__dirname)) if (f.endsWith('.electron.js')) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    const tests: { title: string; state: string; error?: string }[] = [];
    const runner = mocha.run((failures) => {
      const out = process.env.POOL_LINT_TEST_RESULT;
      if (out) fs.writeFileSync(out, JSON.stringify({ passes: tests.filter((t) => t.state === 'passed').length, failures, tests }, null, 2));
      if (failures) reject(new Error(`${failures} test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => tests.push({ title: t.fullTitle(), state: 'passed' }));
    runner.on('fail', (t, err: Error) => tests.push({ title: t.fullTitle(), state: 'failed', error: err.message }));
  });
}
