// The engine is pure: the CLI, the language server and the tests call the same functions, so
// nothing under server/src/engine may import editor APIs or the probe.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { REPO } from './helpers/fixtures';

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const f = path.join(dir, e.name);
    return e.isDirectory() ? sources(f) : f.endsWith('.ts') ? [f] : [];
  });
}

describe('architecture', () => {
  it('server/src/engine and rules/ import nothing from vscode, vscode-languageserver or the probe', () => {
    const files = [...sources(path.join(REPO, 'server', 'src', 'engine')), ...sources(path.join(REPO, 'rules'))];
    assert.ok(files.length > 10);
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      for (const m of text.matchAll(/(?:from\s+|require\()\s*['"]([^'"]+)['"]/g)) {
        const spec = m[1];
        assert.ok(!/^vscode($|-languageserver|-languageclient)/.test(spec), `${path.relative(REPO, f)} imports ${spec}`);
        assert.ok(!/(^|\/)probe(\/|$)/.test(spec), `${path.relative(REPO, f)} imports the probe (${spec})`);
      }
    }
  });

  it('each detector is one file under server/src/engine/detectors and returns models only', () => {
    const dir = path.join(REPO, 'server', 'src', 'engine', 'detectors');
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.ts') && x !== 'types.ts')) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      assert.ok(!/from ['"]\.\.\/rule['"]|Finding\b/.test(text), `${f} touches findings: detectors produce pool models only`);
    }
  });
});
