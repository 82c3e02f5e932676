// SARIF output checked by Microsoft's SARIF validator (@microsoft/sarif-multitool) and against the
// SARIF 2.1.0 JSON schema shipped with it (the validator itself does not check the schema).
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli } from './helpers/cli';
import { FIXTURES, cases } from './helpers/fixtures';
import { RULES } from '../rules';

const MULTITOOL = path.dirname(require.resolve('@microsoft/sarif-multitool-linux/package.json'));
const BIN = path.join(MULTITOOL, 'Sarif.Multitool');

function schemaValidator() {
  const Ajv2020 = require('ajv/dist/2020').default;
  const addFormats = require('ajv-formats');
  const schema = JSON.parse(fs.readFileSync(path.join(MULTITOOL, 'sarif-2.1.0.json'), 'utf8'));
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

describe('SARIF', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-sarif-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe('every fixture\'s SARIF matches the 2.1.0 schema and carries rule metadata with help', () => {
    const validate = schemaValidator();
    for (const c of cases()) {
      it(`${c.rule}/${c.name}`, () => {
        const r = cli(['check', '--format', 'sarif'], c.input);
        const sarif = JSON.parse(r.stdout);
        assert.ok(validate(sarif), JSON.stringify(validate.errors));
        const driver = sarif.runs[0].tool.driver;
        assert.strictEqual(driver.rules.length, RULES.length);
        for (const rule of driver.rules) {
          assert.match(rule.helpUri, /^https:\/\/.*\/docs\/rules\/[a-z-]+\.md$/);
          assert.ok(rule.help.text.length > 40);
        }
        for (const res of sarif.runs[0].results) assert.strictEqual(driver.rules[res.ruleIndex].id, res.ruleId);
      });
    }
  });

  it('the SARIF validator reports no error and no warning (GitHub rules included)', function () {
    fs.chmodSync(BIN, 0o755);
    const dir = path.join(FIXTURES, 'sqlite-in-production', 'seed-003-models-before', 'input');
    const file = path.join(tmp, 'seed-003.sarif');
    const r = cli(['check', '--format', 'sarif'], dir);
    fs.writeFileSync(file, r.stdout);
    assert.ok(JSON.parse(r.stdout).runs[0].results.length >= 4, 'the sample should hold results');
    const v = spawnSync(BIN, ['validate', file, '--rule-kind', 'Sarif;Gh'], { encoding: 'utf8', env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1' } });
    assert.strictEqual(v.status, 0, v.stderr + v.stdout);
    const bad = v.stdout.split('\n').filter((l) => /: (error|warning) /.test(l));
    assert.deepStrictEqual(bad, []);
    // the validator does run its rules: a broken file is reported
    const broken = path.join(tmp, 'broken.sarif');
    fs.writeFileSync(broken, r.stdout.replace('"version": "2.1.0"', '"version": "2.1.0",,'));
    const vb = spawnSync(BIN, ['validate', broken], { encoding: 'utf8', env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1' } });
    assert.match(vb.stdout, /: error /);
  });
});
