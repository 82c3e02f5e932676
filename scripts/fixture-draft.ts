// Prints a draft expected.json for a fixture input (and writes fixed/ when --fixed is given), for a
// human to review before committing. Tests never call this.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { run, actualFindings, copyTree, fixCopy } from '../test/helpers/fixtures';

async function main() {
  const dir = path.resolve(process.argv[2]);
  const input = path.join(dir, 'input');
  const result = await run(input);
  const findings = actualFindings(result, input);
  result.findings.forEach((f, i) => process.stderr.write(`${findings[i].file}:${findings[i].line} ${f.rule}: ${f.message}\n`));
  for (const p of result.problems) process.stderr.write(`problem ${p.file}:${p.line}: ${p.message}\n`);
  process.stdout.write(JSON.stringify({ findings }, null, 2) + '\n');
  if (process.argv.includes('--fixed')) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-draft-'));
    copyTree(input, tmp);
    await fixCopy(input, tmp);
    fs.rmSync(path.join(dir, 'fixed'), { recursive: true, force: true });
    copyTree(tmp, path.join(dir, 'fixed'));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
void main();
