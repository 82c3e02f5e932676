// Rule docs are generated from rule metadata; a stale or missing page fails here.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { allPages, DOCS_DIR } from '../scripts/rule-docs';
import { RULES } from '../rules';

describe('rule catalogue', () => {
  it('docs/rules matches the rule metadata (run `npm run docs` after changing a rule)', () => {
    const pages = allPages();
    const onDisk = fs.readdirSync(DOCS_DIR).filter((f) => f.endsWith('.md')).sort();
    assert.deepStrictEqual(onDisk, [...pages.keys()].sort(), 'pages on disk differ from the rules');
    for (const [name, text] of pages) assert.strictEqual(fs.readFileSync(path.join(DOCS_DIR, name), 'utf8'), text, `docs/rules/${name} is stale`);
  });

  it('the README lists every rule with a link to its page', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    for (const r of RULES) assert.ok(readme.includes(`[${r.meta.id}](docs/rules/${r.meta.id}.md)`), `README.md does not list ${r.meta.id}`);
  });

  it('every rule has complete metadata and a fixture folder', () => {
    const ids = new Set<string>();
    for (const r of RULES) {
      const m = r.meta;
      assert.match(m.id, /^[a-z]+(-[a-z]+)*$/);
      assert.ok(!ids.has(m.id), `duplicate id ${m.id}`);
      ids.add(m.id);
      for (const k of ['summary', 'rationale', 'thresholdSource', 'appliesTo'] as const) assert.ok(m[k].length > 20, `${m.id}.${k} is too thin`);
      assert.ok(['info', 'warning', 'error'].includes(m.severity));
      if (m.fixable) assert.ok(m.fixDescription, `${m.id} is fixable but says not how`);
      assert.ok(fs.existsSync(path.join(__dirname, '..', '..', 'test', 'fixtures', m.id)), `no test/fixtures/${m.id}`);
    }
  });
});
