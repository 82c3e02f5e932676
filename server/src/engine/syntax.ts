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
  descendantsOfType(types: string | string[], startPosition?: TS.Point, endPosition?: TS.Point): SyntaxNode[];
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
  /**
   * Names the detection looked up (an evaluator's variables, functions, classes). A definition's
   * name read only to index it is not a read of its range: renaming it matters only when the old
   * or the new name was looked up.
   */
  names?: Set<string>;
}

let readLog: ReadLog | undefined;
let instrumented = false;

/**
 * Root searches. Detectors and each profile's evaluator ask the root of a tree for nodes of a few
 * types (imports, calls, `global` statements); each such question is a walk of the whole tree,
 * which for a 5,000-line module costs milliseconds. So every type ever searched for at the root of
 * a tree of a language is remembered, the first root search of a tree walks once for all of them
 * (the union, in document order), and each question is answered by filtering it. After an edit,
 * the new tree's union is carried over from the old one: nodes outside the changed ranges and the
 * edits are found again by position, and only the changed ranges are searched.
 */
interface Union {
  nodes: SyntaxNode[];
  starts: number[];
  ends: number[];
  types: string[];
  /** The types this union holds all nodes of. */
  covers: Set<string>;
}

interface SearchMemo {
  root: number;
  found: Map<string, SyntaxNode[]>;
  union?: Union;
  /** Edits the tree was told of since its union was taken (the union's offsets are from before them). */
  edits: TreeEdit[];
}

const rootSearches = new WeakMap<Tree, SearchMemo>();
/** Per grammar, every type searched for at a root so far. */
const rootTypes = new WeakMap<object, Set<string>>();
/** How root searches were answered, for tests and the LSP benchmark. */
export const searchStats = { walks: 0, carried: 0, carryFailed: 0 };

function memoOf(tree: Tree): SearchMemo {
  let memo = rootSearches.get(tree);
  if (!memo) rootSearches.set(tree, (memo = { root: tree.rootNode.id, found: new Map(), edits: [] }));
  return memo;
}

function unionOf(nodes: SyntaxNode[], covers: Set<string>): Union {
  return { nodes, starts: nodes.map((n) => n.startIndex), ends: nodes.map((n) => n.endIndex), types: nodes.map((n) => n.type), covers };
}

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
    const types = (Array.isArray(args[0]) ? args[0] : [args[0]]) as string[];
    if (readLog && this.tree === readLog.tree) for (const t of types) readLog.types.add(t);
    // a ranged search, a search below the root, or one for ERROR nodes (no node's type names them
    // all) asks tree-sitter directly
    if (args.length > 1 || types.includes('ERROR')) return dot.apply(this, args);
    const tree = this.tree;
    const memo = memoOf(tree);
    if (this.id !== memo.root) return dot.apply(this, args);
    const key = types.join('\u0000');
    let found = memo.found.get(key);
    if (!found) {
      const language = (tree as unknown as { language: object }).language;
      let known = rootTypes.get(language);
      if (!known) rootTypes.set(language, (known = new Set()));
      for (const t of types) known.add(t);
      if (!memo.union || types.some((t) => !memo.union!.covers.has(t))) {
        const all = [...known];
        searchStats.walks++;
        memo.union = unionOf(dot.call(this, all) as SyntaxNode[], new Set(all));
      }
      const want = new Set(types);
      const u = memo.union;
      found = u.nodes.filter((_, i) => want.has(u.types[i]));
      memo.found.set(key, found);
    }
    return found.slice();
  };
}

/** Tells a tree of an edit of its text (Tree.edit), remembering it so the tree's root searches can be carried to the reparsed tree. */
export function editTree(tree: Tree, edit: TreeEdit): void {
  tree.edit(edit);
  rootSearches.get(tree)?.edits.push(edit);
}

/** Where offset `i` of an edit's old text lands in its new text; undefined when the edit replaced it. */
function shiftIndex(i: number, e: TreeEdit): number | undefined {
  if (i <= e.startIndex) return i;
  if (i >= e.oldEndIndex) return i + e.newEndIndex - e.oldEndIndex;
  return undefined;
}

/** The row and column of each offset of a text (offsets sorted ascending). */
function pointsAt(text: string, offsets: number[]): TS.Point[] {
  const out: TS.Point[] = [];
  let row = 0;
  let lineStart = 0;
  for (const o of offsets) {
    for (let nl = text.indexOf('\n', lineStart); nl >= 0 && nl < o; nl = text.indexOf('\n', lineStart)) {
      row++;
      lineStart = nl + 1;
    }
    out.push({ row, column: o - lineStart });
  }
  return out;
}

/**
 * The old tree's root-search union carried to the tree reparsed from it, or undefined when it
 * cannot be (the caller then walks the new tree afresh). `changed` are the ranges whose syntax
 * changed (old.getChangedRanges(new)), in the new text's offsets.
 */
function carryUnion(prev: Union, edits: TreeEdit[], changed: { startIndex: number; endIndex: number }[], tree: Tree, text: string): Union | undefined {
  // the regions to search again, in the new text's offsets, widened by one character so a node
  // that ends or starts where text was typed is searched again too
  const regions: [number, number][] = changed.map((r) => [r.startIndex, r.endIndex]);
  edits.forEach((e, k) => {
    let a: number | undefined = e.startIndex;
    let b: number | undefined = e.newEndIndex;
    for (const later of edits.slice(k + 1)) {
      a = a === undefined ? undefined : shiftIndex(a, later) ?? later.startIndex;
      b = b === undefined ? undefined : shiftIndex(b, later) ?? later.newEndIndex;
    }
    regions.push([a ?? 0, b ?? text.length]);
  });
  const merged: [number, number][] = [];
  for (const [a, b] of regions.map(([a, b]) => [Math.max(0, a - 1), Math.min(text.length, b + 1)] as [number, number]).sort((x, y) => x[0] - y[0])) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  const inRegion = (s: number, e: number) => merged.some(([a, b]) => s < b && e > a);
  const root = tree.rootNode;
  const entries: { node: SyntaxNode; start: number; end: number; type: string }[] = [];
  for (let i = 0; i < prev.nodes.length; i++) {
    let s: number | undefined = prev.starts[i];
    let e: number | undefined = prev.ends[i];
    for (const ed of edits) {
      if (s === undefined || e === undefined) break;
      // a node the edit touches (or that holds it) is searched again
      if (s <= ed.oldEndIndex && e >= ed.startIndex) s = e = undefined;
      else {
        s = shiftIndex(s, ed);
        e = shiftIndex(e, ed);
      }
    }
    if (s === undefined || e === undefined || inRegion(s, e)) continue;
    // the same node in the new tree: the smallest node spanning the range, or an ancestor of it with the same range
    let n: SyntaxNode | null = root.descendantForIndex(s, e);
    while (n && n.startIndex === s && n.endIndex === e && n.type !== prev.types[i]) n = n.parent;
    if (!n || n.startIndex !== s || n.endIndex !== e || n.type !== prev.types[i]) return undefined;
    entries.push({ node: n, start: s, end: e, type: prev.types[i] });
  }
  const types = [...prev.covers];
  const seen = new Set<string>();
  const bounds = pointsAt(text, merged.flat());
  for (let r = 0; r < merged.length; r++) {
    const [a, b] = merged[r];
    // descendantsOfType with a range returns the nodes overlapping it, outer ones included
    for (const n of root.descendantsOfType(types, bounds[2 * r], bounds[2 * r + 1]) as SyntaxNode[]) {
      const s = n.startIndex;
      const e = n.endIndex;
      if (!(s < b && e > a) || !inRegion(s, e)) continue;
      const type = n.type;
      const k = `${s}:${e}:${type}`;
      if (seen.has(k)) continue;
      seen.add(k);
      entries.push({ node: n, start: s, end: e, type });
    }
  }
  // document order: by start, outer (longer) first; two nodes with one range (or an empty one)
  // cannot be ordered by range, so such a union is walked afresh
  entries.sort((x, y) => x.start - y.start || y.end - x.end);
  for (let i = 0; i < entries.length; i++) {
    const x = entries[i];
    if (x.start === x.end) return undefined;
    if (i > 0 && entries[i - 1].start === x.start && entries[i - 1].end === x.end) return undefined;
  }
  return { nodes: entries.map((x) => x.node), starts: entries.map((x) => x.start), ends: entries.map((x) => x.end), types: entries.map((x) => x.type), covers: prev.covers };
}

/** After a reparse of `old` into `tree`, gives `tree` the old tree's root searches, carried over. */
function carrySearches(old: Tree, tree: Tree, text: string): void {
  const prev = rootSearches.get(old);
  if (!prev?.union || prev.edits.length === 0) return;
  const changed = (old as unknown as TS.Tree).getChangedRanges(tree as unknown as TS.Tree);
  const union = carryUnion(prev.union, prev.edits, changed, tree, text);
  if (!union) {
    searchStats.carryFailed++;
    return;
  }
  searchStats.carried++;
  memoOf(tree).union = union;
}

/** Drops the remembered root searches of a tree about to be deleted. */
export function forgetSearches(tree: Tree): void {
  rootSearches.delete(tree);
}

/** Runs `fn` without noting its reads (a definition's name taken to index it); see ReadLog.names. */
export function unlogged<T>(fn: () => T): T {
  const saved = readLog;
  readLog = undefined;
  try {
    return fn();
  } finally {
    readLog = saved;
  }
}

/** Notes that the detection under way looked a name up. */
export function noteName(name: string): void {
  if (readLog) (readLog.names ??= new Set()).add(name);
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
 * for 64 KB). The parser reports an error only while its current stack holds one, so once one is
 * seen the budget holds for the rest of the parse (a Go import list of 3,634 `max: 1,` and 8,431
 * `*args, **kw,` reported one in 37 of its 2,539 progress calls and parsed for 12 s).
 */
export const PARSE_ERROR_BUDGET_MS = 500;

/**
 * CPU time any parse may spend, errors seen or not: a 256 KB file (the largest parsed) takes
 * tree-sitter well under a tenth of it, so only a file the parser cannot read quickly is stopped.
 */
export const PARSE_BUDGET_MS = 1000;

/**
 * CPU time spent inside tree-sitter's parse since the process started, for the fuzz run: the
 * parser's error recovery can run long inside one step that no callback interrupts, and the fuzz
 * reports that time apart from the engine's own.
 */
export const parseClock = { ms: 0 };

/** Parses `text`; a parse stopped in error recovery gives a reason (with the line it reached) instead of a tree. */
function parseWithBudget(parser: TS.Parser, text: string): { tree?: Tree; stopped?: string; stoppedAt?: ParseStopped } {
  const start = process.cpuUsage();
  try {
    return parseWithin(parser, text, start);
  } finally {
    const used = process.cpuUsage(start);
    parseClock.ms += (used.user + used.system) / 1000;
  }
}

/** A progress callback that stops a parse past its budget (see PARSE_ERROR_BUDGET_MS, PARSE_BUDGET_MS), and what it saw. */
function budgetCallback(start: NodeJS.CpuUsage): { progressCallback: (state: TS.ParseState) => boolean; stop: { at: number; error: boolean } } {
  const stop = { at: -1, error: false };
  // The parse's CPU time cannot pass its wall time, so the clock of CPU time (a getrusage call,
  // which was 4% of a warm scan when read at every callback) is read only once the wall clock is past
  // the smaller budget.
  const wallStart = performance.now();
  const progressCallback = (state: TS.ParseState): boolean => {
    if (state.hasError) stop.error = true;
    if (performance.now() - wallStart <= PARSE_ERROR_BUDGET_MS) return false;
    const used = process.cpuUsage(start);
    const ms = (used.user + used.system) / 1000;
    if (ms <= (stop.error ? PARSE_ERROR_BUDGET_MS : PARSE_BUDGET_MS)) return false;
    stop.at = state.currentOffset;
    return true;
  };
  return { progressCallback, stop };
}

/** A parse stopped past its budget: why, and the line (0-based) it had reached. */
export class ParseStopped extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
  }
}

/** Why a parse was stopped, with the line it reached. */
function stoppedAt(text: string, stop: { at: number; error: boolean }): ParseStopped {
  // offsets count bytes of the UTF-16 input the parser reads
  const line = new LineIndex(text.slice(0, Math.min(text.length, Math.floor(stop.at / 2)))).lineCount;
  if (!stop.error) return new ParseStopped(`parsing stopped after ${PARSE_BUDGET_MS} ms of CPU, near line ${line} (the parser cannot read this file quickly); its pools are not checked, other files are still checked`, line - 1);
  return new ParseStopped(`parsing stopped after ${PARSE_ERROR_BUDGET_MS} ms of CPU in error recovery, near line ${line} (a syntax error the parser cannot get past quickly); its pools are not checked, other files are still checked`, line - 1);
}

function parseWithin(parser: TS.Parser, text: string, start: NodeJS.CpuUsage): { tree?: Tree; stopped?: string; stoppedAt?: ParseStopped } {
  const { progressCallback, stop } = budgetCallback(start);
  const tree = parser.parse(text, null, { progressCallback } as unknown as TS.ParseOptions);
  if (tree) return { tree: tree as unknown as Tree };
  parser.reset(); // a stopped parse would otherwise resume on the next file
  if (stop.at < 0) return { stopped: 'tree-sitter returned no tree' };
  const e = stoppedAt(text, stop);
  return { stopped: e.message, stoppedAt: e };
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
  const { tree, stopped, stoppedAt: at } = parseWithBudget(parser, text);
  if (!tree) throw at ?? new Error(stopped ?? `tree-sitter returned no tree for a ${id} file`);
  return tree;
}

/**
 * Parses with a loaded parser, reusing `old` (already told about the edits with `Tree.edit`) so
 * only the changed region is re-parsed. Undefined when the grammar is not loaded yet; throws, saying
 * why, when the parse is stopped past its budget (as parseSyncOrThrow).
 */
export function reparseSync(id: LanguageId, text: string, old: Tree): Tree | undefined {
  const parser = parsers.get(id);
  if (!parser) return undefined;
  // the same budget as a first parse: an edit of an open file never holds the server longer
  const start = process.cpuUsage();
  const { progressCallback, stop } = budgetCallback(start);
  let tree: Tree | undefined;
  try {
    tree = (parser.parse(text, old as unknown as TS.Tree, { progressCallback } as unknown as TS.ParseOptions) ?? undefined) as unknown as Tree | undefined;
  } finally {
    const used = process.cpuUsage(start);
    parseClock.ms += (used.user + used.system) / 1000;
  }
  if (!tree) {
    parser.reset();
    throw stop.at < 0 ? new Error(`tree-sitter returned no tree for a ${id} file`) : stoppedAt(text, stop);
  }
  carrySearches(old, tree, text);
  return tree;
}

export async function parse(id: LanguageId, text: string): Promise<Tree> {
  const tooLarge = tooLargeToParse(text);
  if (tooLarge) throw new Error(tooLarge);
  const parser = await getParser(id);
  const { tree, stopped, stoppedAt: at } = parseWithBudget(parser, text);
  if (!tree) throw at ?? new Error(stopped ?? `tree-sitter returned no tree for a ${id} file`);
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
