// Root searches carried across an incremental reparse (server/src/engine/syntax.ts): after any
// sequence of edits, the nodes the carried union answers with are exactly those a fresh walk of
// the reparsed tree finds (same types, same ranges, same order). The edits are random (fast-check)
// over the fixture sources of every grammar, so brackets, quotes and newlines are typed and deleted
// in the middle of real pool code, syntax errors included.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { getParser, editTree, reparseSync, searchStats, type LanguageId, type SyntaxNode, type Tree, type TreeEdit } from '../server/src/engine/syntax';
import { FIXTURES } from './helpers/fixtures';

/** The types the detectors search for at the root, per grammar (what the engine's union holds). */
const ROOT_TYPES: Partial<Record<LanguageId, string[][]>> = {
  python: [['import_statement'], ['import_from_statement'], ['call'], ['global_statement'], ['import_statement', 'import_from_statement']],
  typescript: [['call_expression'], ['new_expression'], ['import_statement'], ['variable_declarator']],
  rust: [['call_expression'], ['use_declaration'], ['let_declaration']],
  go: [['call_expression'], ['import_spec']],
};
const EXT: Record<string, LanguageId> = { '.py': 'python', '.ts': 'typescript', '.rs': 'rust', '.go': 'go' };

function sources(): { file: string; language: LanguageId; text: string }[] {
  const out: { file: string; language: LanguageId; text: string }[] = [];
  const visit = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) visit(p);
      else if (EXT[path.extname(e.name)] && ROOT_TYPES[EXT[path.extname(e.name)]]) out.push({ file: p, language: EXT[path.extname(e.name)], text: fs.readFileSync(p, 'utf8') });
    }
  };
  visit(FIXTURES);
  return out.filter((s) => s.text.length < 20_000);
}

/** An edit of `text` as tree-sitter takes it, and the text after it. */
function applyEdit(text: string, at: number, remove: number, insert: string): { text: string; edit: TreeEdit } {
  const point = (s: string, i: number) => {
    const before = s.slice(0, i);
    const row = before.split('\n').length - 1;
    return { row, column: i - (before.lastIndexOf('\n') + 1) };
  };
  const start = Math.min(at, text.length);
  const end = Math.min(text.length, start + remove);
  const after = text.slice(0, start) + insert + text.slice(end);
  return {
    text: after,
    edit: { startIndex: start, oldEndIndex: end, newEndIndex: start + insert.length, startPosition: point(text, start), oldEndPosition: point(text, end), newEndPosition: point(after, start + insert.length) },
  };
}

const picture = (nodes: SyntaxNode[]) => nodes.map((n) => `${n.type}@${n.startIndex}-${n.endIndex}`).join(' ');

describe('root searches carried across incremental reparses', () => {
  const files = sources();
  const ZERO = { row: 0, column: 0 };
  const parsersByLanguage = new Map<LanguageId, { parse(text: string): unknown }>();
  before(async () => {
    for (const language of Object.keys(ROOT_TYPES) as LanguageId[]) parsersByLanguage.set(language, (await getParser(language)) as unknown as { parse(text: string): unknown });
  });

  it('the fixtures hold sources of every grammar searched', () => {
    for (const language of Object.keys(ROOT_TYPES)) assert.ok(files.some((f) => f.language === language), `no ${language} fixture source`);
  });

  it('after random edits (brackets, quotes, newlines, deletions) the carried answers equal a fresh walk of the new tree', async function () {
    this.timeout(120_000);
    const before = { ...searchStats };
    const edit = fc.record({ at: fc.nat(), remove: fc.nat({ max: 6 }), insert: fc.constantFrom('', 'x', '(', ')', '"', "'", '\n', ':', ',', '#', '{', '}', '[', ']', ' ', 'import os\n', 'f(1)', 'new Pool()', '\n    ', '//', '/*') });
    fc.assert(
      fc.property(fc.nat({ max: files.length - 1 }), fc.array(fc.array(edit, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }), (which, rounds) => {
        const src = files[which];
        const parser = parsersByLanguage.get(src.language)!;
        let text = src.text;
        let tree = parser.parse(text) as unknown as Tree;
        try {
          for (const round of rounds) {
            // the root searches a detection makes, so the tree has a union to carry
            for (const types of ROOT_TYPES[src.language]!) tree.rootNode.descendantsOfType(types);
            for (const e of round) {
              const next = applyEdit(text, e.at % (text.length + 1), e.remove, e.insert);
              text = next.text;
              editTree(tree, next.edit);
            }
            const old = tree;
            tree = reparseSync(src.language, text, old)!;
            old.delete();
            for (const types of ROOT_TYPES[src.language]!) {
              const carried = picture(tree.rootNode.descendantsOfType(types));
              // with a range argument the search goes to tree-sitter directly, past every memo
              const walked = picture(tree.rootNode.descendantsOfType(types, ZERO, ZERO));
              assert.strictEqual(carried, walked, `${path.relative(FIXTURES, src.file)} after edits ${JSON.stringify(rounds)}: ${types.join(',')}`);
            }
          }
        } finally {
          tree.delete();
        }
      }),
      { numRuns: 300, seed: 20261201 },
    );
    // the property says nothing unless most reparses really carried their union over
    const carried = searchStats.carried - before.carried;
    const failed = searchStats.carryFailed - before.carryFailed;
    assert.ok(carried > 200, `only ${carried} carried unions (${failed} could not be carried)`);
  });
});
