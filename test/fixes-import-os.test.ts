// ensureImportOs must always return an edit inside the file (the fuzzer found one past its end).
import * as assert from 'assert';
import { FixBuilder } from '../server/src/engine/fixes';

function importEdit(text: string) {
  return new FixBuilder((f) => (f === '/w/settings.py' ? text : undefined)).ensureImportOs('/w/settings.py');
}

describe('import os insertion', () => {
  it('goes on a line of its own when the last import ends the file without a newline', () => {
    const text = 'import sys';
    const e = importEdit(text)!;
    assert.ok(e.start <= text.length);
    assert.strictEqual(text.slice(0, e.start) + e.newText + text.slice(e.end), 'import sys\nimport os');
  });
  it('is not offered inside a docstring that never closes', () => {
    assert.strictEqual(importEdit("'''settings\nPOOL = 5\n"), undefined);
  });
  it('goes after the last import otherwise', () => {
    const text = '"""doc"""\nimport sys\nPOOL = 5\n';
    const e = importEdit(text)!;
    assert.strictEqual(text.slice(0, e.start) + e.newText + text.slice(e.end), '"""doc"""\nimport sys\nimport os\nPOOL = 5\n');
  });
});
