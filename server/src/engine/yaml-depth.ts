// A pre-scan run before the `yaml` library parses a file: flow collections nested thousands deep
// (`[[[[...]]]]`, `{a: {a: ...}}`, one bracket per line) take the library's recursive parser
// seconds on a file well under the 256 KB parse limit (1.7 s CPU for `[\n` repeated 64,000 times)
// and end in a stack overflow it reports as "Maximum call stack size exceeded". Such a file is
// refused with the place where the nesting passed the limit; the run goes on with the other files.
import * as YAML from 'yaml';
import type { LineIndex } from './syntax';

/** Deepest flow nesting read; real configuration stays in single digits. */
export const MAX_YAML_FLOW_DEPTH = 128;

/**
 * Most block mapping indicators (`key: ` outside [...] and {...}) read on one line. Each opens a
 * mapping inside the last (`a: b: c: ...`, never valid YAML past the first), and the parser recurses
 * once per key: thousands of them ran it out of stack, in a process that had run for a while after
 * seconds of CPU (10 s for 6,204 `max: 1, ` in a fresh-clone test run, 0.2 s alone).
 */
export const MAX_YAML_KEYS_PER_LINE = 128;

/** The first line with more than MAX_YAML_KEYS_PER_LINE block mapping indicators, as a problem, or undefined. */
function tooManyKeysOnALine(text: string, lines: LineIndex, consequence: string): { message: string; line: number; column: number } | undefined {
  // a count of ':' per line rules out nearly every file without lexing it
  let most = 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) n = 0;
    else if (c === 0x3a && ++n > most) most = n;
  }
  if (most <= MAX_YAML_KEYS_PER_LINE) return undefined;
  let offset = 0;
  let depth = 0;
  let line = -1;
  let keys = 0;
  for (const token of new YAML.Lexer().lex(text)) {
    if (token === '\x02' || token === '\x1f' || token === '\x18') continue;
    if (token === '[' || token === '{') depth++;
    else if (token === ']' || token === '}') depth = Math.max(0, depth - 1);
    else if (token === ':' && depth === 0) {
      const at = lines.position(offset).line;
      if (at !== line) [line, keys] = [at, 0];
      if (++keys > MAX_YAML_KEYS_PER_LINE) {
        let count = 0;
        for (const m of text.slice(lines.lineStart(at), lines.lineEnd(at)).matchAll(/:(\s|$)/g)) if (m) count++;
        return { line: at, column: 0, message: `not read: line ${at + 1} nests a YAML block mapping per key (${count} \`key: \` on one line; the YAML parser recurses once per key and runs out of stack on thousands; generated?); ${consequence}, other files are still checked` };
      }
    }
    offset += token.length;
  }
  return undefined;
}

/**
 * Where a line opens more than MAX_YAML_KEYS_PER_LINE block mappings, or flow collections first
 * nest deeper than MAX_YAML_FLOW_DEPTH, as a message and its position
 * (0-based line and column), or undefined. A file with no more `[` and `{` than the limit is
 * passed at the cost of one character count; otherwise the `yaml` library's own lexer (linear,
 * not recursive) tells brackets from quoted and block scalars and comments, and it stops at the
 * first bracket past the limit.
 */
export function yamlTooDeep(text: string, lines: LineIndex, kind: string, consequence: string): { message: string; line: number; column: number } | undefined {
  const keys = tooManyKeysOnALine(text, lines, consequence);
  if (keys) return keys;
  let openers = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) openers++;
  }
  if (openers <= MAX_YAML_FLOW_DEPTH) return undefined;
  let offset = 0;
  let depth = 0;
  for (const token of new YAML.Lexer().lex(text)) {
    // the lexer's control tokens (document start, scalar marker, flow end after an error) are not
    // source text. A flow collection the lexer ends for its indentation (`[` at the start of every
    // line) is still counted as open: the parser's error recovery is what takes seconds there
    if (token === '\x02' || token === '\x1f' || token === '\x18') continue;
    if (token === '[' || token === '{') {
      if (++depth > MAX_YAML_FLOW_DEPTH) {
        const pos = lines.position(offset);
        return {
          ...pos,
          message: `not read: flow collections ([...] and {...}) nested more than ${MAX_YAML_FLOW_DEPTH} deep at line ${pos.line + 1}, column ${pos.column + 1} (the YAML parser takes seconds on thousands of levels; generated?); ${consequence}, other files are still checked`,
        };
      }
    } else if (token === ']' || token === '}') depth = Math.max(0, depth - 1);
    offset += token.length;
  }
  return undefined;
}

/**
 * Runs a parse by the `yaml` library. Its parser recurses once per block mapping opened on a line
 * (`a: b: c: ...`), so a few thousand `key: ` on one line (3,000 in a 24 KB compose file) overflow
 * the stack and the RangeError escapes the parse; that becomes a problem naming the line with the
 * most keys on it, and the run goes on. Other errors are rethrown.
 */
export function parseYaml<T>(text: string, lines: LineIndex, kind: string, consequence: string, parse: () => T): { value: T } | { problem: { message: string; line: number; column: number } } {
  try {
    return { value: parse() };
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const line = busiestLine(text, lines);
    return { problem: { line, column: 0, message: `not read: the YAML parser ran out of stack on this ${kind} (thousands of keys nested on line ${line + 1}?); ${consequence}, other files are still checked` } };
  }
}

/** The 0-based line holding the most mapping `:` indicators, by the library's own (linear) lexer. */
function busiestLine(text: string, lines: LineIndex): number {
  const perLine = new Map<number, number>();
  let offset = 0;
  for (const token of new YAML.Lexer().lex(text)) {
    if (token === '\x02' || token === '\x1f' || token === '\x18') continue;
    if (token === ':') {
      const line = lines.position(offset).line;
      perLine.set(line, (perLine.get(line) ?? 0) + 1);
    }
    offset += token.length;
  }
  let best = 0;
  let most = -1;
  for (const [line, n] of perLine) if (n > most) [best, most] = [line, n];
  return best;
}
