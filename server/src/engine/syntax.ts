// Tree-sitter from @vscode/tree-sitter-wasm: the runtime is initialised once and each grammar is
// loaded once, lazily, the first time a file of its language is parsed.
import * as path from 'path';
import type * as TS from '@vscode/tree-sitter-wasm';
import type { Span } from './model';

// The package is a UMD bundle; require keeps esbuild and tsc agreeing on its shape.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const treeSitter: typeof TS = require('@vscode/tree-sitter-wasm');

/**
 * The part of web-tree-sitter's Node the engine uses. The library types child arrays as
 * (Node | null)[]; at run time they hold nodes only, so the engine sees them as such.
 */
export interface SyntaxNode {
  readonly id: number;
  readonly type: string;
  readonly text: string;
  readonly startIndex: number;
  readonly endIndex: number;
  readonly startPosition: TS.Point;
  readonly endPosition: TS.Point;
  readonly isNamed: boolean;
  readonly isError: boolean;
  readonly isMissing: boolean;
  readonly hasError: boolean;
  readonly parent: SyntaxNode | null;
  readonly nextNamedSibling: SyntaxNode | null;
  readonly tree: Tree;
  readonly children: SyntaxNode[];
  readonly childCount: number;
  descendantForIndex(start: number, end?: number): SyntaxNode | null;
  readonly namedChildren: SyntaxNode[];
  child(index: number): SyntaxNode | null;
  childForFieldName(field: string): SyntaxNode | null;
  childrenForFieldName(field: string): SyntaxNode[];
  descendantsOfType(types: string | string[]): SyntaxNode[];
  toString(): string;
}
export interface Tree {
  readonly rootNode: SyntaxNode;
  /** Tells the tree about an edit of its text, so the next parse can reuse what did not change. */
  edit(edit: TS.Edit): void;
  delete(): void;
}
/** An edit of a parsed text, for `Tree.edit`: UTF-16 offsets, and rows/columns as LSP positions are. */
export type TreeEdit = TS.Edit;
export type LanguageId = 'python' | 'rust' | 'typescript' | 'tsx' | 'javascript' | 'go';

const grammarFile: Record<LanguageId, string> = {
  python: 'tree-sitter-python.wasm',
  rust: 'tree-sitter-rust.wasm',
  typescript: 'tree-sitter-typescript.wasm',
  tsx: 'tree-sitter-tsx.wasm',
  javascript: 'tree-sitter-javascript.wasm',
  go: 'tree-sitter-go.wasm',
};

/** Where the .wasm files are: next to the bundle in dist/wasm, else in node_modules. */
function wasmDir(): string {
  const candidates = [
    path.join(__dirname, 'wasm'),
    path.join(__dirname, '..', 'wasm'),
  ];
  const fs = require('fs') as typeof import('fs');
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, 'tree-sitter.wasm'))) return dir;
  }
  // createRequire: resolved at run time from node_modules (tests run the tsc output this way)
  const { createRequire } = require('module') as typeof import('module');
  return path.dirname(createRequire(__filename).resolve('@vscode/tree-sitter-wasm'));
}

let runtime: Promise<void> | undefined;
const languages = new Map<LanguageId, Promise<TS.Language>>();
const parsers = new Map<LanguageId, TS.Parser>();

function init(): Promise<void> {
  if (!runtime) {
    const dir = wasmDir();
    runtime = treeSitter.Parser.init({ locateFile: (file: string) => path.join(dir, file) });
  }
  return runtime;
}

async function language(id: LanguageId): Promise<TS.Language> {
  let lang = languages.get(id);
  if (!lang) {
    lang = init().then(() => treeSitter.Language.load(path.join(wasmDir(), grammarFile[id])));
    languages.set(id, lang);
  }
  return lang;
}

/** A parser for the language, created once and reused (parsing is synchronous per call). */
export async function getParser(id: LanguageId): Promise<TS.Parser> {
  let parser = parsers.get(id);
  if (!parser) {
    const lang = await language(id);
    parser = parsers.get(id);
    if (!parser) {
      parser = new treeSitter.Parser();
      parser.setLanguage(lang);
      parsers.set(id, parser);
      const probe = parser.parse('');
      if (probe) {
        instrument(Object.getPrototypeOf(probe.rootNode) as object);
        probe.delete();
      }
    }
  }
  return parser;
}

/**
 * What a detection read of one tree: the ranges of the nodes whose text it took, and the node
 * types it searched for. An edit inside one token that lies in none of those ranges, is of none of
 * those types and leaves the token's kind alone cannot change what the detection saw, so the
 * workspace can keep its result (shifted) instead of detecting again.
 */
export interface ReadLog {
  tree: Tree;
  /** start, end pairs. */
  ranges: number[];
  types: Set<string>;
  /** The detection read the whole text (a regex over the file): no edit can be ruled out. */
  wholeText: boolean;
}

let readLog: ReadLog | undefined;
const rootSearches = new WeakMap<Tree, { root: number; found: Map<string, SyntaxNode[]> }>();
let instrumented = false;

/** Wraps Node's `text` and `descendantsOfType` once, to note reads while a ReadLog is active (a branch otherwise). */
function instrument(proto: object): void {
  if (instrumented) return;
  instrumented = true;
  const text = Object.getOwnPropertyDescriptor(proto, 'text');
  const dot = (proto as { descendantsOfType?: (...a: unknown[]) => unknown }).descendantsOfType;
  if (!text?.get || !dot) return;
  const get = text.get;
  Object.defineProperty(proto, 'text', {
    configurable: true,
    get(this: SyntaxNode) {
      if (readLog && this.tree === readLog.tree) readLog.ranges.push(this.startIndex, this.endIndex);
      return get.call(this);
    },
  });
  (proto as { descendantsOfType: (...a: unknown[]) => unknown }).descendantsOfType = function (this: SyntaxNode, ...args: unknown[]) {
    const types = args[0] as string | string[];
    if (readLog && this.tree === readLog.tree) for (const t of Array.isArray(types) ? types : [types]) readLog.types.add(t);
    // the whole tree is searched once per type list: detectors and each profile's evaluator ask
    // the same questions of the root (imports, calls, global statements), and a tree never changes
    if (args.length > 1) return dot.apply(this, args);
    let memo = rootSearches.get(this.tree);
    if (!memo) rootSearches.set(this.tree, (memo = { root: this.tree.rootNode.id, found: new Map() }));
    if (this.id !== memo.root) return dot.apply(this, args);
    const key = Array.isArray(types) ? types.join('\u0000') : types;
    let found = memo.found.get(key);
    if (!found) memo.found.set(key, (found = dot.apply(this, args) as SyntaxNode[]));
    return found.slice();
  };
}

/** Drops the remembered root searches of a tree about to be deleted. */
export function forgetSearches(tree: Tree): void {
  rootSearches.delete(tree);
}

/** Runs `fn` noting what it reads of `log.tree`. */
export function withReadLog<T>(log: ReadLog, fn: () => T): T {
  const saved = readLog;
  readLog = log;
  try {
    return fn();
  } finally {
    readLog = saved;
  }
}

/**
 * The largest source file parsed, in UTF-16 units. Parsing and reading a tree costs about 1 us a
 * byte for ordinary code and several times that for deeply nested code, so this keeps every file
 * under a second; hand-written modules that build pools are far smaller, larger ones are generated
 * or bundled code. A larger file is reported by name and the run goes on.
 */
export const MAX_PARSE_CHARS = 256 * 1024;

/** Why a file is not parsed (too large), in words, or undefined; the same limit holds for YAML. */
export function tooLargeToParse(text: string, kind = 'source file', consequence = 'its pools are not checked'): string | undefined {
  if (text.length <= MAX_PARSE_CHARS) return undefined;
  return `${Math.round(text.length / 1024)} KB is over the ${MAX_PARSE_CHARS / 1024} KB pool-lint parses in one ${kind} (generated or bundled?); ${consequence}, other files are still checked`;
}

/**
 * CPU time a parse may spend once it has met a syntax error. Tree-sitter's error recovery is
 * quadratic on some inputs (thousands of `key: value,` pairs where Rust expects arguments took 2 s
 * for 64 KB); files without errors are never stopped, so ordinary results do not depend on load.
 */
export const PARSE_ERROR_BUDGET_MS = 500;

/**
 * CPU time spent inside tree-sitter's parse since the process started, for the fuzz run: the
 * parser's error recovery can run long inside one step that no callback interrupts, and the fuzz
 * reports that time apart from the engine's own.
 */
export const parseClock = { ms: 0 };

/** Parses `text`; a parse stopped in error recovery gives a reason (with the line it reached) instead of a tree. */
function parseWithBudget(parser: TS.Parser, text: string): { tree?: Tree; stopped?: string } {
  const start = process.cpuUsage();
  try {
    return parseWithin(parser, text, start);
  } finally {
    const used = process.cpuUsage(start);
    parseClock.ms += (used.user + used.system) / 1000;
  }
}

function parseWithin(parser: TS.Parser, text: string, start: NodeJS.CpuUsage): { tree?: Tree; stopped?: string } {
  let at = -1;
  const progressCallback = (state: TS.ParseState): boolean => {
    if (!state.hasError) return false;
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 <= PARSE_ERROR_BUDGET_MS) return false;
    at = state.currentOffset;
    return true;
  };
  const tree = parser.parse(text, null, { progressCallback } as unknown as TS.ParseOptions);
  if (tree) return { tree: tree as unknown as Tree };
  parser.reset(); // a stopped parse would otherwise resume on the next file
  if (at < 0) return { stopped: 'tree-sitter returned no tree' };
  // offsets count bytes of the UTF-16 input the parser reads
  const line = new LineIndex(text.slice(0, Math.min(text.length, Math.floor(at / 2)))).lineCount;
  return { stopped: `parsing stopped after ${PARSE_ERROR_BUDGET_MS} ms of CPU in error recovery, near line ${line} (a syntax error the parser cannot get past quickly); its pools are not checked, other files are still checked` };
}

/** Parses with a parser already loaded by `getParser` (for code that cannot await); undefined for a file too large or too broken to parse. */
export function parseSync(id: LanguageId, text: string): Tree | undefined {
  const parser = parsers.get(id);
  if (!parser || tooLargeToParse(text)) return undefined;
  return parseWithBudget(parser, text).tree;
}

/**
 * Like parseSync, but a file the grammar cannot give a tree for (too large, or stopped in error
 * recovery) throws an error that says why; undefined only when the grammar is not loaded yet.
 */
export function parseSyncOrThrow(id: LanguageId, text: string): Tree | undefined {
  const parser = parsers.get(id);
  if (!parser) return undefined;
  const tooLarge = tooLargeToParse(text);
  if (tooLarge) throw new Error(tooLarge);
  const { tree, stopped } = parseWithBudget(parser, text);
  if (!tree) throw new Error(stopped ?? `tree-sitter returned no tree for a ${id} file`);
  return tree;
}

/**
 * Parses with a loaded parser, reusing `old` (already told about the edits with `Tree.edit`) so
 * only the changed region is re-parsed. Undefined when the grammar is not loaded yet.
 */
export function reparseSync(id: LanguageId, text: string, old: Tree): Tree | undefined {
  const parser = parsers.get(id);
  return parser ? ((parser.parse(text, old as unknown as TS.Tree) ?? undefined) as unknown as Tree | undefined) : undefined;
}

export async function parse(id: LanguageId, text: string): Promise<Tree> {
  const tooLarge = tooLargeToParse(text);
  if (tooLarge) throw new Error(tooLarge);
  const parser = await getParser(id);
  const { tree, stopped } = parseWithBudget(parser, text);
  if (!tree) throw new Error(stopped ?? `tree-sitter returned no tree for a ${id} file`);
  return tree;
}

/** Line starts of a text, for turning offsets into line/column. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
    }
  }
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, column: offset - this.starts[lo] };
  }
  lineStart(line: number): number {
    return this.starts[Math.min(line, this.starts.length - 1)];
  }
  lineEnd(line: number): number {
    const next = line + 1 < this.starts.length ? this.starts[line + 1] - 1 : this.text.length;
    return next > 0 && this.text.charCodeAt(next - 1) === 13 ? next - 1 : next;
  }
  get lineCount(): number {
    return this.starts.length;
  }
  span(file: string, start: number, end: number): Span {
    const s = this.position(start);
    const e = this.position(end);
    return { file, start, end, line: s.line, column: s.column, endLine: e.line, endColumn: e.column };
  }
}

/** Which file each parsed tree is, so a node from an imported module maps to its own file. */
const sources = new WeakMap<object, { file: string; lines: LineIndex }>();

export function registerSource(tree: Tree, file: string, lines: LineIndex): void {
  sources.set(tree, { file, lines });
}

/**
 * The span of a node. Offsets come from startIndex/endIndex, which are UTF-16 indices here. A node
 * of another registered tree (an imported module) gets that tree's file and lines.
 */
export function nodeSpan(file: string, lines: LineIndex, node: SyntaxNode): Span {
  const own = sources.get(node.tree);
  if (own && own.file !== file) return own.lines.span(own.file, node.startIndex, node.endIndex);
  return lines.span(file, node.startIndex, node.endIndex);
}
