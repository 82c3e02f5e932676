// composeEdits (server/src/engine/fixes.ts) turns fixes applied pass after pass into edits of the
// text the editor holds: for any sequence of edits, each of the text the previous ones left,
// applying the composed edits to the original gives the same text, and they never overlap (an
// editor applies a WorkspaceEdit's edits all against one version of the document).
import * as assert from 'assert';
import fc from 'fast-check';
import { applyEdits, composeEdits } from '../server/src/engine/fixes';
import type { TextEdit } from '../server/src/engine/model';

describe('composeEdits', () => {
  it('the composed edits of the original text give what applying the edits one after another gives', () => {
    const step = fc.record({ at: fc.nat(), remove: fc.nat({ max: 8 }), insert: fc.constantFrom('', 'x', 'pool_pre_ping=True', ',\n    pool_recycle=1800', '\n', 'DB_POOL_SIZE=20\n') });
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.array(step, { minLength: 1, maxLength: 8 }), (original, steps) => {
        let current = original;
        let done: TextEdit[] = [];
        for (const s of steps) {
          const start = s.at % (current.length + 1);
          const next: TextEdit = { file: 'f', start, end: Math.min(current.length, start + s.remove), newText: s.insert };
          current = applyEdits(current, [next]).text;
          done = composeEdits(original, done, next);
          const applied = applyEdits(original, done);
          assert.strictEqual(applied.skipped.length, 0, `overlapping composed edits ${JSON.stringify(done)}`);
          assert.strictEqual(applied.text, current, `composed ${JSON.stringify(done)} of ${JSON.stringify(original)} after ${JSON.stringify(steps)}`);
        }
      }),
      { numRuns: 2000, seed: 20261201 },
    );
  });

  it('each composed edit covers only what changed: text between two passes\' edits stays out of them', () => {
    const original = 'engine = create_engine(\n    url,\n    pool_size=5,\n)\n\nother = 1\n';
    const first: TextEdit = { file: 'f', start: original.indexOf('5'), end: original.indexOf('5') + 1, newText: '20' };
    const afterFirst = applyEdits(original, [first]).text;
    const at = afterFirst.indexOf('20,') + 3;
    const second: TextEdit = { file: 'f', start: at, end: at, newText: '\n    pool_pre_ping=True,' };
    const afterSecond = applyEdits(afterFirst, [second]).text;
    const one = afterSecond.indexOf('1\n', afterSecond.indexOf('other'));
    const tail: TextEdit = { file: 'f', start: one, end: one + 1, newText: '2' };
    let done = composeEdits(original, [], first);
    done = composeEdits(original, done, second);
    done = composeEdits(original, done, tail);
    assert.deepStrictEqual(
      done.map((e) => [original.slice(e.start, e.end), e.newText]),
      [
        ['5', '20'],
        ['', '\n    pool_pre_ping=True,'],
        ['1', '2'],
      ],
    );
    // an edit that starts where an earlier one's text ends is one edit with it
    const touching: TextEdit = { file: 'f', start: afterFirst.indexOf('20') + 2, end: afterFirst.indexOf('20') + 2, newText: '0' };
    assert.deepStrictEqual(composeEdits(original, [first], touching).map((e) => [original.slice(e.start, e.end), e.newText]), [['5', '200']]);
  });
});
