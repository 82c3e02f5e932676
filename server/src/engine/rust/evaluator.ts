// A small evaluator for the Rust expressions that configure pools: literals, Durations, env reads
// with their Option/Result chains and closures, `let` bindings in the same function, consts and
// statics of the file, config struct literals built in the file, and zero- or few-argument
// functions of the file. Pure: reads only the tree and the profile's env. Anything else is unknown
// with a reason; the work is bounded (depth and steps), so it never recurses without end.
import { checkDeadline, rethrowDeadline } from '../deadline';
import type { SyntaxNode } from '../syntax';
import type { ProfileEnv } from '../envfiles';
import type { DatabaseKind } from '../model';
import {
  type RV,
  type RVal,
  type SqliteOptionFacts,
  type Origin,
  type Ty,
  unknown,
  isKnown,
  firstEnv,
  tyOf,
  isIntTy,
  parseAs,
  intLiteral,
  floatLiteral,
  stringLiteral,
  describe,
} from './values';

export function truncate(s: string, n = 60): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

const MAX_DEPTH = 60;
const MAX_STEPS = 20000;

/** Bindings of closure and function parameters, keyed by the binding node's id and the name. */
type Scope = Map<string, RV>;

const COMMENT = new Set(['line_comment', 'block_comment']);
const STATEMENT_TYPES = new Set(['let_declaration', 'expression_statement', 'empty_statement', 'function_item', 'const_item', 'static_item', 'struct_item', 'enum_item', 'impl_item', 'use_declaration', 'mod_item', 'trait_item', 'type_item', 'macro_definition', 'attribute_item', 'line_comment', 'block_comment']);
/** Methods that pass a value through unchanged (for the values the evaluator knows). */
const IDENTITY = new Set(['clone', 'to_owned', 'into', 'as_ref', 'borrow', 'as_str', 'as_deref', 'deref', 'cloned', 'copied', 'to_string', 'as_mut', 'into_owned']);
/** Result methods that change only the error. */
const ERR_ONLY = new Set(['map_err', 'context', 'with_context', 'wrap_err', 'wrap_err_with', 'note', 'suggestion', 'inspect', 'inspect_err']);

export function connectOptionsKind(typeName: string): DatabaseKind | 'any' | undefined {
  if (/^Pg/.test(typeName)) return 'postgresql';
  if (/^Sqlite/.test(typeName)) return 'sqlite';
  if (/^MySql/.test(typeName)) return 'mysql';
  if (/^Any/.test(typeName)) return 'any';
  return undefined;
}

/** The path text of a callee without generic arguments: `PoolOptions::<Postgres>::new` -> `PoolOptions::new`. */
export function plainPath(text: string): string {
  let out = text;
  for (let i = 0; i < 5 && /<[^<>]*>/.test(out); i++) out = out.replace(/<[^<>]*>/g, '');
  return out.replace(/\s+/g, '').replace(/::::/g, '::').replace(/::$/, '');
}

function namedArgs(args: SyntaxNode | null): SyntaxNode[] {
  return (args?.namedChildren ?? []).filter((c) => !COMMENT.has(c.type) && c.type !== 'attribute_item');
}

export class RustEvaluator {
  private steps = 0;
  private depth = 0;
  private readonly active = new Set<number>();
  /** What each parsed file (this one and the crate's others) holds, found once per tree. */
  private readonly perTree = new Map<object, FileItems>();

  constructor(
    readonly root: SyntaxNode,
    readonly env: ProfileEnv,
    /** The other .rs files of the crate, for `Type::fn()` and struct literals not in this file. */
    readonly crate?: CrateSources,
  ) {}

  /** The file-level lookups of the file a node belongs to. */
  private fileOf(at: SyntaxNode): FileItems {
    const tree = at.tree as object;
    let f = this.perTree.get(tree);
    if (!f) {
      const root = at.tree.rootNode;
      f = { root, importsVar: /\buse\s+(?:::)?(?:std::env|dotenvy|dotenv)::(?:var\b|\{[^}]*\bvar\b)/.test(root.text) };
      this.perTree.set(tree, f);
    }
    return f;
  }

  /** The crate's other files (not the one `at` is in). */
  private otherFiles(at: SyntaxNode): FileItems[] {
    if (!this.crate) return [];
    const own = at.tree as object;
    return this.crate.roots().filter((r) => (r.tree as object) !== own).map((r) => this.fileOf(r));
  }

  /** The value of an expression; `expect` is the type the context wants (drives `parse()`). */
  eval(node: SyntaxNode | null | undefined, expect?: Ty, scope: Scope = new Map()): RV {
    if (!node) return unknown('no expression');
    checkDeadline();
    if (++this.steps > MAX_STEPS) return unknown('too much to evaluate');
    if (this.depth >= MAX_DEPTH) return unknown(`${truncate(node.text, 40)} is nested too deeply to follow`);
    this.depth++;
    try {
      return this.evalNode(node, expect, scope);
    } catch (e) {
      rethrowDeadline(e);
      return unknown(`${truncate(node.text, 40)} could not be evaluated (${(e as Error).message})`);
    } finally {
      this.depth--;
    }
  }

  private evalNode(node: SyntaxNode, expect: Ty | undefined, scope: Scope): RV {
    const lit = (val: RVal): RV => ({ val, origin: { k: 'literal', node } });
    switch (node.type) {
      case 'integer_literal': {
        const v = intLiteral(node.text);
        if (v === undefined) return unknown(`${node.text} is not an integer`);
        return lit(expect === 'f32' || expect === 'f64' ? { t: 'num', v, int: false } : { t: 'num', v, int: true });
      }
      case 'float_literal': {
        const v = floatLiteral(node.text);
        return v === undefined ? unknown(`${node.text} is not a number`) : lit({ t: 'num', v, int: false });
      }
      case 'string_literal':
      case 'raw_string_literal':
        return lit({ t: 'str', v: stringLiteral(node) });
      case 'boolean_literal':
        return lit({ t: 'bool', v: node.text === 'true' });
      case 'parenthesized_expression':
      case 'reference_expression': {
        const inner = node.type === 'reference_expression' ? node.childForFieldName('value') : node.namedChildren.find((c) => !COMMENT.has(c.type));
        return this.eval(inner, expect, scope);
      }
      case 'unary_expression':
        return this.unary(node, expect, scope);
      case 'type_cast_expression':
        return this.cast(node, scope);
      case 'binary_expression':
        return this.binary(node, expect, scope);
      case 'identifier':
        return this.name(node.text, node, expect, scope);
      case 'self':
        return unknown('`self` is not followed');
      case 'scoped_identifier':
        return this.pathValue(node, expect, scope);
      case 'field_expression':
        return this.field(node, expect, scope);
      case 'call_expression':
        return this.call(node, expect, scope);
      case 'try_expression':
        return this.tryOp(node, expect, scope);
      case 'await_expression':
        return this.eval(node.namedChildren[0], expect, scope);
      case 'struct_expression':
        return { val: { t: 'struct', name: node.childForFieldName('name')?.text ?? '?', node }, origin: { k: 'literal', node } };
      case 'block':
      case 'unsafe_block':
      case 'async_block': {
        const blk = node.type === 'block' ? node : node.namedChildren.find((c) => c.type === 'block');
        const tail = blk ? tailOf(blk) : undefined;
        return tail ? this.eval(tail, expect, scope) : unknown('the block has no value');
      }
      case 'if_expression':
        return this.ifExpr(node, expect, scope);
      case 'macro_invocation': {
        const name = node.childForFieldName('macro')?.text ?? 'a macro';
        return unknown(`${name}!(..) is not evaluated`);
      }
      case 'closure_expression':
        return unknown('a closure');
      case 'ERROR':
        return unknown('a syntax error');
      default:
        return unknown(`${truncate(node.text, 40)} (${node.type.replace(/_/g, ' ')}) is not evaluated`);
    }
  }

  // ---- names -------------------------------------------------------------------------------

  /** What a name means at a node: a `let`, a parameter, a pattern, or nothing in scope. */
  findBinding(name: string, at: SyntaxNode): { kind: 'let'; node: SyntaxNode; block: SyntaxNode } | { kind: 'param'; owner: SyntaxNode; type?: string } | { kind: 'pattern'; node: SyntaxNode } | undefined {
    let child: SyntaxNode = at;
    let p = at.parent;
    for (let i = 0; p && i < 400; i++) {
      if (p.type === 'block' || p.type === 'declaration_list' || p.type === 'source_file') {
        const kids = p.namedChildren;
        for (let k = kids.length - 1; k >= 0; k--) {
          const c = kids[k];
          if (c.endIndex > child.startIndex) continue;
          if (c.type !== 'let_declaration') continue;
          const pat = c.childForFieldName('pattern');
          if (!pat) continue;
          if (pat.type === 'identifier' && pat.text === name) return { kind: 'let', node: c, block: p };
          if (pat.type !== 'identifier' && containsIdentifier(pat, name)) return { kind: 'pattern', node: c };
        }
      }
      if (p.type === 'closure_expression') {
        const params = p.childForFieldName('parameters');
        for (const prm of params?.namedChildren ?? []) {
          const pat = prm.type === 'parameter' ? prm.childForFieldName('pattern') : prm;
          if (pat && containsIdentifier(pat, name)) return { kind: 'param', owner: p, type: prm.childForFieldName('type')?.text };
        }
      }
      if (p.type === 'function_item') {
        for (const prm of p.childForFieldName('parameters')?.namedChildren ?? []) {
          if (prm.type !== 'parameter') continue;
          const pat = prm.childForFieldName('pattern');
          if (pat && containsIdentifier(pat, name)) return { kind: 'param', owner: p, type: prm.childForFieldName('type')?.text };
        }
        return undefined;
      }
      if (p.type === 'match_arm' || p.type === 'for_expression') {
        const pat = p.childForFieldName('pattern');
        if (pat && pat.id !== child.id && containsIdentifier(pat, name)) return { kind: 'pattern', node: p };
      }
      if (p.type === 'if_expression' || p.type === 'while_expression') {
        const cond = p.childForFieldName('condition');
        if (cond && cond.id !== child.id) {
          for (const lc of [cond, ...cond.descendantsOfType('let_condition')]) {
            if (lc.type !== 'let_condition') continue;
            const pat = lc.childForFieldName('pattern');
            if (pat && containsIdentifier(pat, name)) return { kind: 'pattern', node: p };
          }
        }
      }
      child = p;
      p = p.parent;
    }
    return undefined;
  }

  private name(name: string, at: SyntaxNode, expect: Ty | undefined, scope: Scope): RV {
    if (name === 'None') return { val: { t: 'opt', some: false }, origin: { k: 'literal', node: at } };
    const b = this.findBinding(name, at);
    if (b?.kind === 'let') return this.letValue(name, b.node, b.block, at, expect);
    if (b?.kind === 'param') {
      const bound = scope.get(`${b.owner.id}:${name}`);
      if (bound) return bound;
      const owner = b.owner.type === 'function_item' ? `fn ${b.owner.childForFieldName('name')?.text ?? '?'}` : 'a closure';
      return unknown(`${name} is a parameter of ${owner}`);
    }
    if (b?.kind === 'pattern') return unknown(`${name} is bound by a pattern (line ${b.node.startPosition.row + 1})`);
    const item = this.item(name, at);
    if (item) return item === 'ambiguous' ? unknown(`${name} is defined more than once in this file`) : this.itemValue(item, expect);
    return unknown(`${name} is not defined in this file`);
  }

  private letValue(name: string, decl: SyntaxNode, block: SyntaxNode, use: SyntaxNode, expect: Ty | undefined): RV {
    const value = decl.childForFieldName('value');
    if (!value) return unknown(`${name} is declared without a value (line ${decl.startPosition.row + 1})`);
    const mutable = decl.namedChildren.some((c) => c.type === 'mutable_specifier');
    if (mutable) {
      const later = block.descendantsOfType(['assignment_expression', 'compound_assignment_expr']).find((a) => a.startIndex > decl.endIndex && a.startIndex < use.startIndex && a.childForFieldName('left')?.text === name);
      if (later) return unknown(`${name} is reassigned (line ${later.startPosition.row + 1})`);
    }
    if (this.active.has(decl.id)) return unknown(`${name} refers to itself`);
    this.active.add(decl.id);
    try {
      return this.eval(value, tyOf(decl.childForFieldName('type')?.text) ?? expect);
    } finally {
      this.active.delete(decl.id);
    }
  }

  /** A const or static of the file by name, 'ambiguous' when there are several. */
  private item(name: string, at: SyntaxNode): SyntaxNode | 'ambiguous' | undefined {
    const file = this.fileOf(at);
    file.items ??= file.root.descendantsOfType(['const_item', 'static_item']);
    const hits = file.items.filter((i) => i.childForFieldName('name')?.text === name);
    if (hits.length > 1) {
      const texts = new Set(hits.map((h) => h.childForFieldName('value')?.text));
      return texts.size === 1 ? hits[0] : 'ambiguous';
    }
    return hits[0];
  }

  private itemValue(item: SyntaxNode, expect: Ty | undefined): RV {
    const name = item.childForFieldName('name')?.text ?? '?';
    if (this.active.has(item.id)) return unknown(`${name} refers to itself`);
    this.active.add(item.id);
    try {
      return this.eval(item.childForFieldName('value'), tyOf(item.childForFieldName('type')?.text) ?? expect);
    } finally {
      this.active.delete(item.id);
    }
  }

  /** `u32::MAX`, `Duration::ZERO`, `config::MAX_CONNECTIONS`, `Self::POOL_SIZE`. */
  private pathValue(node: SyntaxNode, expect: Ty | undefined, _scope: Scope): RV {
    const path = plainPath(node.text);
    const segs = path.split('::');
    const last = segs[segs.length - 1];
    const prev = segs[segs.length - 2];
    const lit = (val: RVal): RV => ({ val, origin: { k: 'literal', node } });
    if (prev === 'Duration') {
      if (last === 'ZERO') return lit({ t: 'dur', secs: 0 });
      if (last === 'MAX') return lit({ t: 'dur', secs: Number.MAX_SAFE_INTEGER });
      if (last === 'SECOND') return lit({ t: 'dur', secs: 1 });
      if (last === 'MILLISECOND') return lit({ t: 'dur', secs: 0.001 });
    }
    if (prev && tyOf(prev) && isIntTy(tyOf(prev)) && (last === 'MAX' || last === 'MIN')) {
      const bits = /\d+/.exec(prev)?.[0] ?? '64';
      const n = Number(bits);
      const signed = prev.startsWith('i');
      const v = last === 'MIN' ? (signed ? -(2 ** (n - 1)) : 0) : signed ? 2 ** (n - 1) - 1 : 2 ** n - 1;
      return lit({ t: 'num', v, int: true });
    }
    if (last === 'None' && segs.length <= 3) return lit({ t: 'opt', some: false });
    const item = this.item(last, node);
    if (item && item !== 'ambiguous') return this.itemValue(item, expect);
    return unknown(`${truncate(path, 50)} is not defined in this file`);
  }

  // ---- operators ---------------------------------------------------------------------------

  private unary(node: SyntaxNode, expect: Ty | undefined, scope: Scope): RV {
    const op = node.children.find((c) => !c.isNamed)?.text ?? '';
    const operand = node.namedChildren.find((c) => !COMMENT.has(c.type));
    const v = this.eval(operand, expect, scope);
    if (op === '*') return v;
    if (!isKnown(v)) return v;
    const origin = combine([v.origin], node);
    if (op === '-' && v.val.t === 'num') return { val: { ...v.val, v: -v.val.v }, origin };
    if (op === '!' && v.val.t === 'bool') return { val: { t: 'bool', v: !v.val.v }, origin };
    return unknown(`${truncate(node.text, 40)}: ${op} on ${describe(v.val)}`);
  }

  private cast(node: SyntaxNode, scope: Scope): RV {
    const ty = tyOf(node.childForFieldName('type')?.text);
    const v = this.eval(node.childForFieldName('value'), undefined, scope);
    if (!isKnown(v) || !ty) return isKnown(v) ? unknown(`${truncate(node.text, 40)}: a cast to a type not followed`) : v;
    const origin = combine([v.origin], node);
    if (v.val.t === 'num') {
      if (isIntTy(ty)) return { val: { t: 'num', v: Math.trunc(v.val.v), int: true }, origin };
      return { val: { t: 'num', v: v.val.v, int: false }, origin };
    }
    if (v.val.t === 'bool' && isIntTy(ty)) return { val: { t: 'num', v: v.val.v ? 1 : 0, int: true }, origin };
    return unknown(`${truncate(node.text, 40)}: cannot cast ${describe(v.val)}`);
  }

  private binary(node: SyntaxNode, expect: Ty | undefined, scope: Scope): RV {
    const op = node.children.find((c) => !c.isNamed && c.type !== 'ERROR')?.text ?? '';
    const comparison = ['==', '!=', '<', '>', '<=', '>='].includes(op);
    const logical = op === '&&' || op === '||';
    const sub = comparison || logical ? undefined : expect;
    const a = this.eval(node.childForFieldName('left'), logical ? 'bool' : sub, scope);
    if (a.val.t === 'error') return a;
    const b = this.eval(node.childForFieldName('right'), logical ? 'bool' : sub, scope);
    if (b.val.t === 'error') return b;
    if (a.val.t === 'unknown') return a;
    if (b.val.t === 'unknown') return b;
    const origin = combine([a.origin, b.origin], node);
    const x = a.val;
    const y = b.val;
    if (logical && x.t === 'bool' && y.t === 'bool') return { val: { t: 'bool', v: op === '&&' ? x.v && y.v : x.v || y.v }, origin };
    if (comparison) {
      const xs = x.t === 'num' || x.t === 'str' || x.t === 'bool' ? x.v : x.t === 'dur' ? x.secs : undefined;
      const ys = y.t === 'num' || y.t === 'str' || y.t === 'bool' ? y.v : y.t === 'dur' ? y.secs : undefined;
      if (xs === undefined || ys === undefined) return unknown(`${truncate(node.text, 40)} compares values not followed`);
      const r = op === '==' ? xs === ys : op === '!=' ? xs !== ys : op === '<' ? xs < ys : op === '>' ? xs > ys : op === '<=' ? xs <= ys : xs >= ys;
      return { val: { t: 'bool', v: r }, origin };
    }
    if (x.t === 'str' && y.t === 'str' && op === '+') return { val: { t: 'str', v: x.v + y.v }, origin };
    if (x.t === 'dur' && y.t === 'dur' && (op === '+' || op === '-')) {
      const secs = op === '+' ? x.secs + y.secs : x.secs - y.secs;
      if (secs < 0) return { val: { t: 'error', message: 'panics: overflow when subtracting durations' }, origin };
      return { val: { t: 'dur', secs }, origin };
    }
    if (x.t === 'dur' && y.t === 'num' && (op === '*' || op === '/')) {
      if (op === '/' && y.v === 0) return { val: { t: 'error', message: 'panics: divide by zero error when dividing duration by scalar' }, origin };
      return { val: { t: 'dur', secs: op === '*' ? x.secs * y.v : x.secs / y.v }, origin };
    }
    if (x.t === 'num' && y.t === 'num') {
      const int = x.int && y.int;
      let v: number;
      switch (op) {
        case '+':
          v = x.v + y.v;
          break;
        case '-':
          v = x.v - y.v;
          break;
        case '*':
          v = x.v * y.v;
          break;
        case '/':
          if (int && y.v === 0) return { val: { t: 'error', message: `panics: attempt to divide by zero (${truncate(node.text, 40)})` }, origin };
          v = int ? Math.trunc(x.v / y.v) : x.v / y.v;
          break;
        case '%':
          if (int && y.v === 0) return { val: { t: 'error', message: `panics: attempt to calculate the remainder with a divisor of zero (${truncate(node.text, 40)})` }, origin };
          v = x.v % y.v;
          break;
        default:
          return unknown(`${truncate(node.text, 40)}: the operator ${op} is not evaluated`);
      }
      return { val: { t: 'num', v, int }, origin };
    }
    return unknown(`${truncate(node.text, 40)}: ${op} on ${describe(x)} and ${describe(y)}`);
  }

  private ifExpr(node: SyntaxNode, expect: Ty | undefined, scope: Scope): RV {
    const cond = node.childForFieldName('condition');
    const thenB = node.childForFieldName('consequence');
    const elseB = node.childForFieldName('alternative')?.namedChildren.find((c) => !COMMENT.has(c.type));
    if (!elseB) return unknown('an `if` without `else`');
    const c = cond && cond.type !== 'let_condition' && cond.type !== 'let_chain' ? this.eval(cond, 'bool', scope) : unknown('an `if let`');
    if (c.val.t === 'bool') return this.eval(c.val.v ? thenB : elseB, expect, scope);
    if (c.val.t === 'error') return c;
    const a = this.eval(thenB, expect, scope);
    const b = this.eval(elseB, expect, scope);
    if (isKnown(a) && isKnown(b) && JSON.stringify(plain(a.val)) === JSON.stringify(plain(b.val))) return a;
    return unknown(`depends on \`${truncate(cond?.text ?? '?', 40)}\` (line ${node.startPosition.row + 1}), which is not known (${c.val.t === 'unknown' ? c.val.reason : 'not a bool'})`);
  }

  private tryOp(node: SyntaxNode, expect: Ty | undefined, scope: Scope): RV {
    const v = this.eval(node.namedChildren[0], expect, scope);
    const val = v.val;
    if (val.t === 'res') {
      if (val.ok) return val.inner ? withOrigin(val.inner, keepChain(v.origin, node) ?? val.inner.origin) : unknown('Ok(..) of an unknown value');
      return { val: { t: 'error', message: `the \`?\` in \`${truncate(node.text, 50)}\` returns Err(${val.errDebug ?? '..'}) at start-up, so the pool is never built${val.why ? ` (${val.why})` : ''}` }, origin: keepChain(v.origin, node) };
    }
    if (val.t === 'opt') {
      if (val.some) return val.inner ? withOrigin(val.inner, keepChain(v.origin, node) ?? val.inner.origin) : unknown('Some(..) of an unknown value');
      return { val: { t: 'error', message: `the \`?\` in \`${truncate(node.text, 50)}\` returns None at start-up, so the pool is never built` }, origin: keepChain(v.origin, node) };
    }
    return v;
  }

  // ---- fields and struct literals ----------------------------------------------------------

  private field(node: SyntaxNode, expect: Ty | undefined, scope: Scope): RV {
    const field = node.childForFieldName('field')?.text ?? '';
    const objNode = node.childForFieldName('value');
    if (!objNode || /^\d+$/.test(field)) return unknown(`${truncate(node.text, 40)}: tuple fields are not followed`);
    const obj = this.eval(objNode, undefined, scope);
    if (obj.val.t === 'error') return obj;
    if (obj.val.t === 'struct') return this.readField(obj.val.node, field, expect, scope, 0);
    // the object is not known: a struct literal of this file that sets the field, when just one does
    const typeName = this.typeHint(objNode);
    const candidates = this.literalsWithField(field, typeName, node);
    if (candidates.length === 1) return this.readField(candidates[0], field, expect, scope, 0);
    // none in this file: the one literal of that type in the crate's other files
    if (candidates.length === 0 && typeName) {
      const elsewhere = this.otherFiles(node).flatMap((f) => this.literalsIn(f, field, typeName, node));
      if (elsewhere.length === 1) return this.readField(elsewhere[0], field, expect, scope, 0);
      if (elsewhere.length > 1) return unknown(`${truncate(node.text, 50)}: ${elsewhere.length} ${typeName} literals in the crate set ${field} and ${truncate(objNode.text, 30)} is not known`);
    }
    const why = obj.val.t === 'unknown' ? obj.val.reason : `it is ${describe(obj.val)}`;
    if (candidates.length > 1) return unknown(`${truncate(node.text, 50)}: ${candidates.length} struct literals in this file set ${field} and ${truncate(objNode.text, 30)} is not known (${why})`);
    return unknown(`${truncate(node.text, 50)} is not known: ${why}, and no struct literal in this file sets ${field}`);
  }

  private readField(lit: SyntaxNode, field: string, expect: Ty | undefined, scope: Scope, hops: number): RV {
    const body = lit.childForFieldName('body');
    const name = lit.childForFieldName('name')?.text ?? 'the struct';
    for (const c of body?.namedChildren ?? []) {
      if (c.type === 'field_initializer' && c.childForFieldName('field')?.text === field) {
        return this.eval(c.childForFieldName('value'), expect, scope);
      }
      if (c.type === 'shorthand_field_initializer' && c.namedChildren[0]?.text === field) {
        return this.name(field, c.namedChildren[0], expect, scope);
      }
    }
    const base = body?.namedChildren.find((c) => c.type === 'base_field_initializer');
    if (base && hops < 5) {
      const b = this.eval(base.namedChildren[0], undefined, scope);
      if (b.val.t === 'struct') return this.readField(b.val.node, field, expect, scope, hops + 1);
      return unknown(`${name}.${field} comes from \`..${truncate(base.namedChildren[0]?.text ?? '', 30)}\`, which is not followed`);
    }
    return unknown(`the ${name} literal (line ${lit.startPosition.row + 1}) does not set ${field}`);
  }

  /** The struct type a receiver has, when its parameter or `self` says so. */
  private typeHint(obj: SyntaxNode): string | undefined {
    if (obj.type === 'self') return this.implType(obj);
    if (obj.type === 'identifier') {
      const b = this.findBinding(obj.text, obj);
      if (b?.kind === 'param' && b.type) return lastTypeName(b.type);
      if (b?.kind === 'let') {
        const t = b.node.childForFieldName('type')?.text;
        if (t) return lastTypeName(t);
      }
    }
    return undefined;
  }

  private implType(at: SyntaxNode): string | undefined {
    for (let p = at.parent, i = 0; p && i < 400; p = p.parent, i++) {
      if (p.type === 'impl_item') return lastTypeName(p.childForFieldName('type')?.text ?? '');
    }
    return undefined;
  }

  private literalsWithField(field: string, typeName: string | undefined, at: SyntaxNode): SyntaxNode[] {
    return this.literalsIn(this.fileOf(at), field, typeName, at);
  }

  private literalsIn(file: FileItems, field: string, typeName: string | undefined, at: SyntaxNode): SyntaxNode[] {
    file.structLiterals ??= file.root.descendantsOfType('struct_expression');
    // test code builds configs of its own: those are not what the application runs with
    const inTest = isTestCode(at);
    return file.structLiterals.filter((s) => {
      if (!inTest && isTestCode(s)) return false;
      const body = s.childForFieldName('body');
      const sets = (body?.namedChildren ?? []).some((c) => (c.type === 'field_initializer' && c.childForFieldName('field')?.text === field) || (c.type === 'shorthand_field_initializer' && c.namedChildren[0]?.text === field));
      if (!sets) return false;
      if (!typeName) return true;
      const n = lastTypeName(s.childForFieldName('name')?.text ?? '');
      return n === typeName || (n === 'Self' && this.implType(s) === typeName);
    });
  }

  // ---- calls -------------------------------------------------------------------------------

  private call(node: SyntaxNode, expect: Ty | undefined, scope: Scope): RV {
    let fn = node.childForFieldName('function');
    let typeArgs: string | undefined;
    if (fn?.type === 'generic_function') {
      typeArgs = fn.childForFieldName('type_arguments')?.text;
      fn = fn.childForFieldName('function');
    }
    const args = namedArgs(node.childForFieldName('arguments'));
    if (!fn) return unknown('a call');
    if (fn.type === 'field_expression') {
      const method = fn.childForFieldName('field')?.text ?? '';
      const recvNode = fn.childForFieldName('value');
      const recvExpect = method === 'parse' ? 'str' : method === 'map' || method === 'and_then' || method === 'filter' || method === 'is_ok' || method === 'is_some' || method === 'is_err' || method === 'is_none' ? undefined : expect;
      const recv = this.eval(recvNode, recvExpect, scope);
      return this.method(recv, method, args, node, expect, scope, typeArgs);
    }
    if (fn.type === 'identifier' || fn.type === 'scoped_identifier') return this.pathCall(fn, args, node, expect, scope, typeArgs);
    if (fn.type === 'parenthesized_expression' && fn.namedChildren[0]?.type === 'closure_expression') {
      return this.apply(fn.namedChildren[0], args[0] ? this.eval(args[0], undefined, scope) : undefined, expect, scope);
    }
    return unknown(`${truncate(node.text, 40)} is not evaluated`);
  }

  /** Applies a closure (or a function path like `String::from`) to one value. */
  private apply(fnNode: SyntaxNode | undefined, arg: RV | undefined, expect: Ty | undefined, scope: Scope): RV {
    if (!fnNode) return unknown('no function');
    if (fnNode.type === 'closure_expression') {
      const params = fnNode.childForFieldName('parameters')?.namedChildren ?? [];
      const inner = new Map(scope);
      const first = params[0];
      const pat = first?.type === 'parameter' ? first.childForFieldName('pattern') : first;
      if (pat?.type === 'identifier' && arg) inner.set(`${fnNode.id}:${pat.text}`, arg);
      return this.eval(fnNode.childForFieldName('body'), expect, inner);
    }
    const path = plainPath(fnNode.text);
    if (arg && /^(?:String::from|ToString::to_string|ToOwned::to_owned|Into::into|str::to_string|str::to_owned)$/.test(path)) return arg;
    if (arg && /^(?:str::parse|(\w+)::from_str)$/.test(path)) {
      const ty = tyOf(/^(\w+)::from_str$/.exec(path)?.[1]) ?? expect;
      return this.parse(arg, ty, fnNode);
    }
    return unknown(`${truncate(fnNode.text, 40)} is not followed`);
  }

  private pathCall(fn: SyntaxNode, args: SyntaxNode[], node: SyntaxNode, expect: Ty | undefined, scope: Scope, typeArgs?: string): RV {
    const path = plainPath(fn.text);
    const segs = path.split('::').filter((s) => s !== '');
    const last = segs[segs.length - 1] ?? '';
    const prev = segs[segs.length - 2];
    // environment reads
    if (last === 'var' && ((prev === 'env' && (segs.length === 2 || segs[segs.length - 3] === 'std')) || prev === 'dotenvy' || prev === 'dotenv' || (segs.length === 1 && this.fileOf(node).importsVar))) {
      return this.envRead(args[0], node, scope);
    }
    // std::time::Duration
    if (prev === 'Duration') return this.duration(last, args, node, scope);
    if (segs.length === 1 && (last === 'Some' || last === 'Ok' || last === 'Err')) {
      const inner = args[0] ? this.eval(args[0], expect, scope) : unknown('no value');
      if (last === 'Err') return { val: { t: 'res', ok: false, errDebug: truncate(args[0]?.text ?? '..', 40) }, origin: { k: 'literal', node } };
      if (inner.val.t === 'error') return inner;
      const val: RVal = last === 'Some' ? { t: 'opt', some: true, inner } : { t: 'res', ok: true, inner };
      return { val, origin: inner.origin?.k === 'literal' ? { k: 'literal', node } : inner.origin };
    }
    if (prev === 'String' && last === 'from') return this.eval(args[0], 'str', scope);
    if (prev && tyOf(prev) && prev !== 'str' && last === 'from') return this.eval(args[0], tyOf(prev), scope);
    if (prev && tyOf(prev) && last === 'from_str') return this.parse(this.eval(args[0], 'str', scope), tyOf(prev), node);
    if (prev && /ConnectOptions$/.test(prev)) {
      const kind = connectOptionsKind(prev);
      const url = last === 'from_str' || last === 'from_url' ? this.eval(args[0], 'str', scope) : undefined;
      const opts: RV = { val: { t: 'connopts', kind: kind === 'any' || !kind ? 'unknown' : kind, typeName: prev, url, ctor: node }, origin: url?.origin };
      if (url?.val.t === 'error') return url;
      if (last === 'from_str' || last === 'from_url') return { val: { t: 'res', ok: true, inner: opts }, origin: url?.origin };
      if (last === 'new' || last === 'default') return opts;
      return unknown(`${truncate(path, 40)}(..) is not followed`);
    }
    if ((prev === 'Lazy' || prev === 'LazyLock' || prev === 'LazyCell') && last === 'new') return this.apply(args[0], undefined, expect, scope);
    if ((path === 'std::cmp::max' || path === 'cmp::max' || path === 'max' || path === 'std::cmp::min' || path === 'cmp::min' || path === 'min') && args.length === 2) {
      return this.minMax(last, this.eval(args[0], expect, scope), this.eval(args[1], expect, scope), node);
    }
    if (path === 'num_cpus::get' || path === 'num_cpus::get_physical' || last === 'available_parallelism') return unknown('the number of CPUs, known only at run time');
    // a function of this file
    const f = this.localFunction(segs, fn);
    if (f === 'ambiguous') return unknown(`${path} is defined more than once in this file`);
    if (f) return this.callLocal(f, args, node, expect, scope);
    // `Type::fn()` of an `impl Type` in another file of the crate
    const owner = segs.length >= 2 ? segs[segs.length - 2] : undefined;
    if (owner && /^[A-Z]/.test(owner) && owner !== 'Self') {
      const hits = this.otherFiles(node).flatMap((file) => this.functionsIn(file, [owner, last], node)).filter((f) => !isTestCode(f));
      if (hits.length > 1) return unknown(`${owner}::${last} is defined more than once in the crate`);
      if (hits.length === 1) return this.callLocal(hits[0], args, node, expect, scope);
    }
    return unknown(`${truncate(path, 50)}(..) is not evaluated`);
  }

  private localFunction(segs: string[], at: SyntaxNode): SyntaxNode | 'ambiguous' | undefined {
    const hits = this.functionsIn(this.fileOf(at), segs, at);
    if (hits.length > 1) return 'ambiguous';
    return hits[0];
  }

  private functionsIn(file: FileItems, segs: string[], at: SyntaxNode): SyntaxNode[] {
    file.functions ??= file.root.descendantsOfType('function_item');
    const name = segs[segs.length - 1];
    let owner = segs.length >= 2 ? segs[segs.length - 2] : undefined;
    if (owner === 'Self') owner = this.implType(at);
    return file.functions.filter((f) => {
      if (f.childForFieldName('name')?.text !== name) return false;
      const impl = f.parent?.parent?.type === 'impl_item' ? f.parent.parent : undefined;
      if (owner === undefined) return !impl;
      if (!impl) return segs.length >= 2 && !/^[A-Z]/.test(owner); // module::function
      return lastTypeName(impl.childForFieldName('type')?.text ?? '') === owner;
    });
  }

  private callLocal(f: SyntaxNode, args: SyntaxNode[], node: SyntaxNode, expect: Ty | undefined, scope: Scope): RV {
    const name = f.childForFieldName('name')?.text ?? '?';
    if (this.active.has(f.id)) return unknown(`${name} calls itself`);
    const body = f.childForFieldName('body');
    const tail = body ? tailOf(body) : undefined;
    if (!tail) return unknown(`fn ${name} has no tail expression to follow`);
    const inner: Scope = new Map(scope);
    const params = (f.childForFieldName('parameters')?.namedChildren ?? []).filter((p) => p.type === 'parameter');
    params.forEach((p, i) => {
      const pat = p.childForFieldName('pattern');
      if (pat?.type === 'identifier' && args[i]) inner.set(`${f.id}:${pat.text}`, this.eval(args[i], tyOf(p.childForFieldName('type')?.text), scope));
    });
    const ret = f.childForFieldName('return_type')?.text;
    this.active.add(f.id);
    try {
      return this.eval(tail, tyOf(ret) ?? expect, inner);
    } finally {
      this.active.delete(f.id);
    }
  }

  private minMax(which: string, a: RV, b: RV, node: SyntaxNode): RV {
    if (a.val.t === 'error' || a.val.t === 'unknown') return a;
    if (b.val.t === 'error' || b.val.t === 'unknown') return b;
    if (a.val.t === 'num' && b.val.t === 'num') {
      const v = which === 'max' ? Math.max(a.val.v, b.val.v) : Math.min(a.val.v, b.val.v);
      return { val: { t: 'num', v, int: a.val.int && b.val.int }, origin: combine([a.origin, b.origin], node) };
    }
    return unknown(`${which} of ${describe(a.val)} and ${describe(b.val)}`);
  }

  private duration(ctor: string, args: SyntaxNode[], node: SyntaxNode, scope: Scope): RV {
    const units: Record<string, [Ty, number]> = {
      from_secs: ['u64', 1],
      from_millis: ['u64', 1e-3],
      from_micros: ['u64', 1e-6],
      from_nanos: ['u64', 1e-9],
      from_secs_f64: ['f64', 1],
      from_secs_f32: ['f32', 1],
      from_mins: ['u64', 60],
      from_hours: ['u64', 3600],
      new: ['u64', 1],
    };
    const u = units[ctor];
    if (!u) return unknown(`Duration::${ctor} is not evaluated`);
    const a = this.eval(args[0], u[0], scope);
    if (!isKnown(a)) return a;
    if (a.val.t !== 'num') return unknown(`Duration::${ctor} of ${describe(a.val)}`);
    let secs = a.val.v * u[1];
    const parts = [a.origin];
    if (ctor === 'new') {
      const n = this.eval(args[1], 'u32', scope);
      if (!isKnown(n)) return n;
      if (n.val.t !== 'num') return unknown(`Duration::new with ${describe(n.val)} nanoseconds`);
      secs += n.val.v * 1e-9;
      parts.push(n.origin);
    }
    if (u[0] !== 'f64' && u[0] !== 'f32' && a.val.v < 0) return unknown('a negative Duration does not compile');
    if ((ctor === 'from_secs_f64' || ctor === 'from_secs_f32') && (a.val.v < 0 || !Number.isFinite(a.val.v))) {
      return { val: { t: 'error', message: `panics: Duration::${ctor}(${a.val.v}): cannot convert float seconds to Duration: value is ${a.val.v < 0 ? 'negative' : 'either too big or NaN'}` }, origin: a.origin };
    }
    // from_secs keeps the env variable's unit: the variable is the value; other units are a conversion
    const env = a.origin?.k === 'env' && (ctor === 'from_secs' || ctor === 'from_secs_f64' || ctor === 'from_secs_f32') && parts.length === 1;
    const origin = env ? keepChain(a.origin, node) : combine(parts, node);
    return { val: { t: 'dur', secs: Math.round(secs * 1e9) / 1e9 }, origin };
  }

  private envRead(arg: SyntaxNode | undefined, node: SyntaxNode, scope: Scope): RV {
    const n = this.eval(arg, 'str', scope);
    if (n.val.t !== 'str') return unknown(`the variable name in ${truncate(node.text, 40)} is not known`);
    const name = n.val.v;
    const entry = this.env.get(name);
    const origin: Origin = { k: 'env', name, entry, readNode: node, chainNode: node };
    if (entry) return { val: { t: 'res', ok: true, inner: { val: { t: 'str', v: entry.value }, origin } }, origin };
    return { val: { t: 'res', ok: false, errDebug: 'NotPresent', why: `${name} is not set in the ${this.env.name} profile` }, origin };
  }

  private parse(recv: RV, ty: Ty | undefined, node: SyntaxNode): RV {
    if (!isKnown(recv)) return recv;
    if (recv.val.t === 'connopts') return { val: { t: 'res', ok: true, inner: recv }, origin: recv.origin };
    if (recv.val.t !== 'str') return unknown(`parse() of ${describe(recv.val)}`);
    const r = parseAs(recv.val.v, ty);
    const origin = chainOf(recv.origin, node);
    if (r.ok) return { val: { t: 'res', ok: true, inner: { val: r.val, origin }, parse: true }, origin };
    return { val: { t: 'res', ok: false, errDebug: r.errDebug, why: r.why, parse: true }, origin };
  }

  // ---- methods -----------------------------------------------------------------------------

  private method(recv: RV, m: string, args: SyntaxNode[], node: SyntaxNode, expect: Ty | undefined, scope: Scope, typeArgs?: string): RV {
    const v = recv.val;
    if (v.t === 'error') return recv;
    if (v.t === 'unknown') return recv;
    const chained = chainOf(recv.origin, node);
    const same = (val: RVal): RV => ({ val, origin: chained });
    if (m === 'parse') {
      const t = typeArgs ? tyOf(typeArgs.replace(/^::/, '').replace(/^<|>$/g, '')) : undefined;
      if (typeArgs && /ConnectOptions/.test(typeArgs) && v.t === 'str') {
        const tn = /(\w*ConnectOptions)/.exec(typeArgs)?.[1] ?? 'ConnectOptions';
        const kind = connectOptionsKind(tn);
        return { val: { t: 'res', ok: true, inner: { val: { t: 'connopts', kind: kind === 'any' || !kind ? 'unknown' : kind, typeName: tn, url: recv }, origin: recv.origin } }, origin: recv.origin };
      }
      if (typeArgs && !t) return unknown(`parse::${typeArgs} is not followed`);
      return this.parse(recv, t ?? expect, node);
    }
    if (IDENTITY.has(m)) {
      if (m === 'to_string' && v.t === 'num') return same({ t: 'str', v: String(v.v) });
      if (m === 'to_string' && v.t === 'bool') return same({ t: 'str', v: String(v.v) });
      if (m === 'into' && v.t === 'num' && (expect === 'f32' || expect === 'f64')) return { val: { t: 'num', v: v.v, int: false }, origin: recv.origin };
      return recv; // keeps the literal's own node, so a fix edits the literal
    }
    if (v.t === 'res' || v.t === 'opt') return this.wrapperMethod(recv, v, m, args, node, expect, scope);
    if (v.t === 'str') {
      if (m === 'trim' || m === 'trim_start' || m === 'trim_end') return same({ t: 'str', v: m === 'trim' ? v.v.trim() : m === 'trim_start' ? v.v.trimStart() : v.v.trimEnd() });
      if (m === 'to_lowercase' || m === 'to_ascii_lowercase') return same({ t: 'str', v: v.v.toLowerCase() });
      if (m === 'to_uppercase' || m === 'to_ascii_uppercase') return same({ t: 'str', v: v.v.toUpperCase() });
      if (m === 'is_empty') return same({ t: 'bool', v: v.v.length === 0 });
      if (m === 'len') return same({ t: 'num', v: v.v.length, int: true });
      if (m === 'eq' || m === 'eq_ignore_ascii_case') {
        const o = this.eval(args[0], 'str', scope);
        if (o.val.t !== 'str') return isKnown(o) ? unknown('a comparison not followed') : o;
        return { val: { t: 'bool', v: m === 'eq' ? v.v === o.val.v : v.v.toLowerCase() === o.val.v.toLowerCase() }, origin: combine([recv.origin, o.origin], node) };
      }
    }
    if (v.t === 'num') {
      if ((m === 'max' || m === 'min') && args[0]) return this.minMax(m, recv, this.eval(args[0], expect, scope), node);
      if (m === 'clamp' && args.length === 2) return this.minMax('min', this.minMax('max', recv, this.eval(args[0], expect, scope), node), this.eval(args[1], expect, scope), node);
      if (m === 'saturating_sub' || m === 'saturating_add' || m === 'saturating_mul') {
        const o = this.eval(args[0], expect, scope);
        if (o.val.t !== 'num') return isKnown(o) ? unknown('arithmetic on values not followed') : o;
        let r = m === 'saturating_sub' ? v.v - o.val.v : m === 'saturating_add' ? v.v + o.val.v : v.v * o.val.v;
        if (m === 'saturating_sub' && r < 0 && (expect === undefined || expect.startsWith('u'))) r = 0;
        return { val: { t: 'num', v: r, int: v.int && o.val.int }, origin: combine([recv.origin, o.origin], node) };
      }
    }
    if (v.t === 'dur') {
      if (m === 'as_secs') return { val: { t: 'num', v: Math.floor(v.secs), int: true }, origin: combine([recv.origin], node) };
      if (m === 'as_millis') return { val: { t: 'num', v: Math.floor(v.secs * 1000), int: true }, origin: combine([recv.origin], node) };
      if (m === 'as_secs_f64' || m === 'as_secs_f32') return { val: { t: 'num', v: v.secs, int: false }, origin: combine([recv.origin], node) };
    }
    if (v.t === 'connopts') {
      if (m === 'filename' && v.kind === 'sqlite') {
        const f = this.eval(args[0], 'str', scope);
        if (f.val.t === 'str') return { val: { ...v, url: { val: { t: 'str', v: `sqlite:${f.val.v}` }, origin: f.origin } }, origin: recv.origin };
        return { val: { ...v, url: unknown(`the SQLite file name ${truncate(args[0]?.text ?? '', 30)} is not known`) }, origin: recv.origin };
      }
      if (v.kind === 'sqlite') {
        const facts = this.sqliteOption(m, args, node, scope);
        if (facts) return { val: { ...v, sqlite: { ...v.sqlite, ...facts } }, origin: recv.origin };
      }
      // builder methods of connect options keep what is known of them
      return recv;
    }
    return unknown(`.${m}(..) on ${describe(v)} is not followed`);
  }

  /**
   * What a SqliteConnectOptions method sets: `.journal_mode(SqliteJournalMode::Wal)`,
   * `.busy_timeout(Duration::from_secs(N))`, `.pragma("journal_mode", "WAL")`, `.pragma("busy_timeout", "N")`.
   */
  private sqliteOption(m: string, args: SyntaxNode[], node: SyntaxNode, scope: Scope): SqliteOptionFacts | undefined {
    const own = `.${m}(${args.map((a) => a.text).join(', ')})`;
    if (m === 'journal_mode') return { journalMode: { mode: this.journalMode(args[0], scope), node, text: own } };
    if (m === 'busy_timeout') return { busyTimeout: { v: this.eval(args[0], undefined, scope), node, arg: args[0] } };
    if (m !== 'pragma' || args.length < 2) return undefined;
    const key = this.eval(args[0], 'str', scope);
    if (key.val.t !== 'str') return undefined;
    const k = key.val.v.trim().toLowerCase();
    const value = this.eval(args[1], 'str', scope);
    if (k === 'journal_mode') return { journalMode: { mode: value.val.t === 'str' ? value.val.v.trim().toLowerCase() : undefined, node, text: own } };
    if (k === 'busy_timeout') {
      const ms = value.val.t === 'str' ? parseAs(value.val.v.trim(), 'u64') : undefined;
      const v: RV = ms?.ok && ms.val.t === 'num' ? { val: { t: 'dur', secs: ms.val.v / 1000 }, origin: value.origin } : unknown(`the busy_timeout ${truncate(args[1].text, 30)} is not known`);
      return { busyTimeout: { v, node, arg: args[1] } };
    }
    return undefined;
  }

  /** `SqliteJournalMode::Wal` (any path to it), `SqliteJournalMode::default()` (Wal), or a parsed string. */
  private journalMode(arg: SyntaxNode | undefined, scope: Scope): string | undefined {
    if (!arg) return undefined;
    const path = plainPath(arg.text);
    const m = /(?:^|::)SqliteJournalMode::(Delete|Truncate|Persist|Memory|Wal|Off)$/.exec(path) ?? /^(Delete|Truncate|Persist|Memory|Wal|Off)$/.exec(path);
    if (m) return m[1].toLowerCase();
    if (/(?:^|::)SqliteJournalMode::default\(\)$/.test(path)) return 'wal'; // #[default] Wal (sqlx-sqlite/src/options/journal_mode.rs)
    // SqliteJournalMode::from_str(s)? / s.parse::<SqliteJournalMode>().unwrap(): the string s
    let n = arg;
    for (let i = 0; i < 4; i++) {
      if (n.type === 'try_expression' && n.namedChildren[0]) n = n.namedChildren[0];
      else if (n.type === 'call_expression' && /^(?:unwrap|expect)$/.test(n.childForFieldName('function')?.childForFieldName('field')?.text ?? '')) n = n.childForFieldName('function')!.childForFieldName('value')!;
      else break;
    }
    let strNode: SyntaxNode | undefined;
    if (n.type === 'call_expression') {
      const fn = n.childForFieldName('function');
      if (fn && /(?:^|::)SqliteJournalMode::from_str$/.test(plainPath(fn.text))) strNode = namedArgs(n.childForFieldName('arguments'))[0];
      else if (fn?.type === 'generic_function' && /SqliteJournalMode/.test(fn.childForFieldName('type_arguments')?.text ?? '') && fn.childForFieldName('function')?.childForFieldName('field')?.text === 'parse') {
        strNode = fn.childForFieldName('function')?.childForFieldName('value') ?? undefined;
      }
    }
    const v = strNode ? this.eval(strNode, 'str', scope) : undefined;
    if (v?.val.t === 'str' && /^(delete|truncate|persist|memory|wal|off)$/i.test(v.val.v.trim())) return v.val.v.trim().toLowerCase();
    return undefined;
  }

  private wrapperMethod(recv: RV, v: Extract<RVal, { t: 'res' | 'opt' }>, m: string, args: SyntaxNode[], node: SyntaxNode, expect: Ty | undefined, scope: Scope): RV {
    const good = v.t === 'res' ? v.ok : v.some;
    const chained = chainOf(recv.origin, node);
    const inner = v.inner;
    const kindName = v.t === 'res' ? 'Result' : 'Option';
    const why = v.t === 'res' && v.why ? ` (${v.why})` : '';
    const innerOut = (): RV => (inner ? { val: inner.val, origin: chained ?? inner.origin } : unknown(`${kindName} of an unknown value`));
    const crash = (message: string): RV => ({ val: { t: 'error', message }, origin: chained });
    switch (m) {
      case 'ok':
        if (v.t === 'res') return { val: { t: 'opt', some: v.ok, inner }, origin: chained };
        break;
      case 'ok_or':
      case 'ok_or_else':
        if (v.t === 'opt') return { val: { t: 'res', ok: v.some, inner, errDebug: truncate(args[0]?.text ?? '..', 40) }, origin: chained };
        break;
      case 'is_ok':
      case 'is_some':
        return { val: { t: 'bool', v: good }, origin: chained };
      case 'is_err':
      case 'is_none':
        return { val: { t: 'bool', v: !good }, origin: chained };
      case 'unwrap':
        if (good) return innerOut();
        return crash(v.t === 'res' ? `panics: called \`Result::unwrap()\` on an \`Err\` value: ${v.errDebug ?? '..'}${why}` : 'panics: called `Option::unwrap()` on a `None` value');
      case 'expect': {
        if (good) return innerOut();
        const msg = this.eval(args[0], 'str', scope);
        const text = msg.val.t === 'str' ? msg.val.v : truncate(args[0]?.text ?? '', 40);
        return crash(v.t === 'res' ? `panics: ${text}: ${v.errDebug ?? '..'}${why}` : `panics: ${text}`);
      }
      case 'unwrap_or':
      case 'unwrap_or_else':
      case 'unwrap_or_default': {
        let fb: RV;
        let fbNode: SyntaxNode | undefined;
        if (m === 'unwrap_or') {
          fb = this.eval(args[0], expect, scope);
          fbNode = args[0];
        } else if (m === 'unwrap_or_else') {
          fb = this.apply(args[0], unknown('the error'), expect, scope);
          fbNode = args[0]?.type === 'closure_expression' ? args[0].childForFieldName('body') ?? args[0] : args[0];
        } else {
          const d: RVal | undefined = expect === 'str' || (!expect && !(v.t === 'res' && v.parse) && inner?.val.t === 'str') ? { t: 'str', v: '' } : expect === 'bool' ? { t: 'bool', v: false } : expect || (v.t === 'res' && v.parse) ? { t: 'num', v: 0, int: true } : undefined;
          fb = d ? { val: d, origin: { k: 'literal', node } } : unknown("the type's default value");
          fbNode = node;
        }
        const env = chained?.k === 'env' ? chained : undefined;
        const fbLiteral = fb.origin?.k === 'literal' ? fb.origin.node : fbNode;
        if (env) {
          // the fallback that matters is the one taken, else the first one written (for an unset variable)
          const keep = env.fallback && (env.usedFallback || good);
          const origin: Origin = { ...env, fallback: keep ? env.fallback : fbLiteral ? { v: fb, node: fbLiteral } : undefined, usedFallback: env.usedFallback === true || !good };
          if (good) return inner ? { val: inner.val, origin } : unknown('an unknown value');
          return { val: fb.val, origin };
        }
        if (good) return innerOut();
        return { val: fb.val, origin: fb.origin ?? chained };
      }
      case 'map':
      case 'and_then': {
        if (!good) return { val: v, origin: chained };
        const r = this.apply(args[0], inner, m === 'map' ? expect : expect, scope);
        if (r.val.t === 'error' || r.val.t === 'unknown') return { val: r.val, origin: chained ?? r.origin };
        if (m === 'map') return { val: v.t === 'res' ? { t: 'res', ok: true, inner: r } : { t: 'opt', some: true, inner: r }, origin: chained ?? r.origin };
        return { val: r.val, origin: chained ?? r.origin };
      }
      case 'filter': {
        if (!good) return { val: v, origin: chained };
        const r = this.apply(args[0], inner, 'bool', scope);
        if (r.val.t !== 'bool') return isKnown(r) ? unknown('a filter not followed') : { val: r.val, origin: chained };
        return { val: r.val.v ? v : { t: 'opt', some: false }, origin: chained };
      }
      case 'or':
      case 'or_else': {
        if (good) return { val: v, origin: chained };
        const r = m === 'or' ? this.eval(args[0], expect, scope) : this.apply(args[0], unknown('the error'), expect, scope);
        return { val: r.val, origin: chained ?? r.origin };
      }
      default:
        if (ERR_ONLY.has(m)) return { val: v, origin: chained };
    }
    return unknown(`.${m}(..) on ${v.t === 'res' ? 'a Result' : 'an Option'} is not followed`);
  }
}

/** The trees of a crate's other source files (parsed and registered by the caller). */
export interface CrateSources {
  roots(): SyntaxNode[];
}

interface FileItems {
  root: SyntaxNode;
  importsVar: boolean;
  structLiterals?: SyntaxNode[];
  items?: SyntaxNode[];
  functions?: SyntaxNode[];
}

/** Inside a `#[cfg(test)]` module or a `#[test]`-like function. */
export function isTestCode(n: SyntaxNode): boolean {
  for (let p: SyntaxNode | null = n, i = 0; p && i < 400; p = p.parent, i++) {
    if (p.type !== 'mod_item' && p.type !== 'function_item') continue;
    const siblings = p.parent?.namedChildren ?? [];
    const idx = siblings.findIndex((c) => c.id === p!.id);
    for (let k = idx - 1; k >= 0 && (siblings[k].type === 'attribute_item' || siblings[k].type === 'line_comment' || siblings[k].type === 'block_comment'); k--) {
      if (siblings[k].type === 'attribute_item' && /^#\[\s*(?:cfg\s*\(\s*test\s*\)|(?:[\w:]+::)?test\b)/.test(siblings[k].text)) return true;
    }
  }
  return false;
}

function containsIdentifier(n: SyntaxNode, name: string): boolean {
  if (n.type === 'identifier' && n.text === name) return true;
  return n.descendantsOfType('identifier').some((i) => i.text === name && !(i.parent?.type === 'tuple_struct_pattern' && i.parent.childForFieldName('type')?.id === i.id));
}

/** The value of a block: its last expression when it is not a statement. */
export function tailOf(block: SyntaxNode): SyntaxNode | undefined {
  const kids = block.namedChildren.filter((c) => !COMMENT.has(c.type));
  const last = kids[kids.length - 1];
  if (!last || STATEMENT_TYPES.has(last.type)) {
    // `return x;` as the last statement
    const ret = last?.type === 'expression_statement' ? last.namedChildren[0] : undefined;
    if (ret?.type === 'return_expression') return ret.namedChildren[0];
    return undefined;
  }
  if (last.type === 'return_expression') return last.namedChildren[0];
  return last;
}

export function lastTypeName(t: string): string {
  const plain = t.replace(/^&\s*(?:'\w+\s+)?(?:mut\s+)?/, '');
  // Arc<Config>, Box<Config>, Rc<Config> hold the struct itself
  const inner = /^(?:[\w:]*::)?(?:Arc|Rc|Box)\s*<\s*(.+)>$/.exec(plain);
  const base = plainPath(inner ? inner[1] : plain);
  const segs = base.split('::');
  return segs[segs.length - 1];
}

function plain(v: RVal): unknown {
  switch (v.t) {
    case 'num':
    case 'str':
    case 'bool':
      return [v.t, v.v];
    case 'dur':
      return ['dur', v.secs];
    case 'opt':
      return ['opt', v.some, v.inner ? plain(v.inner.val) : null];
    default:
      return [v.t, Math.random()];
  }
}

function withOrigin(v: RV, origin: Origin | undefined): RV {
  return { val: v.val, origin: origin ?? v.origin };
}

/** The origin after a method call: an env read's chain grows; a literal becomes the whole call. */
function chainOf(o: Origin | undefined, node: SyntaxNode): Origin | undefined {
  if (!o) return undefined;
  if (o.k === 'env') return { ...o, chainNode: node };
  if (o.k === 'literal') return { k: 'literal', node };
  return { k: 'derived', parts: o.parts, node };
}

/** Like chainOf, but a literal keeps its own node (`?` on a literal does not move it). */
function keepChain(o: Origin | undefined, node: SyntaxNode): Origin | undefined {
  if (!o) return undefined;
  if (o.k === 'env') return { ...o, chainNode: node };
  return o;
}

/** The origin of a value computed from parts: literal when all parts are, else derived. */
function combine(parts: (Origin | undefined)[], node: SyntaxNode): Origin | undefined {
  const defined = parts.filter((p): p is Origin => p !== undefined);
  if (defined.length === 0) return undefined;
  if (defined.length === parts.length && defined.every((p) => p.k === 'literal')) return { k: 'literal', node };
  if (defined.some((p) => firstEnv(p))) return { k: 'derived', parts: defined, node };
  return { k: 'derived', parts: defined, node };
}
