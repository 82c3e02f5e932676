// A small evaluator for JavaScript/TypeScript expressions in one module: module-level bindings,
// object literals with spreads, same-file functions that return an object, process.env reads with
// ?? / || fallbacks, Number()/parseInt()/parseFloat(), template strings. It never runs user code and
// has a step budget and a depth limit.
import { checkDeadline } from '../deadline';
import type { SyntaxNode } from '../syntax';
import type { ProfileEnv } from '../envfiles';
import { V, PyVal, unknown, truthy, NONE, mergeV } from '../python/values';
import { truncate } from '../python/evaluator';

const MAX_STEPS = 20000;
const MAX_DEPTH = 6;

class BudgetExceeded extends Error {}

function unwrap(n: SyntaxNode): SyntaxNode {
  let cur = n;
  for (;;) {
    if (['parenthesized_expression', 'non_null_expression', 'as_expression', 'satisfies_expression', 'type_assertion', 'await_expression'].includes(cur.type)) {
      const inner = cur.namedChildren.find((c) => !c.type.includes('type') || c.type === 'parenthesized_expression') ?? cur.namedChildren[0];
      if (!inner || inner === cur) return cur;
      cur = inner;
    } else return cur;
  }
}

/** JS truthiness: 0, NaN, '' , null/undefined and false are falsy. */
function jsTruthy(v: PyVal): boolean | undefined {
  if (v.t === 'num') return v.v !== 0 && !Number.isNaN(v.v);
  return truthy(v);
}

export class JsEvaluator {
  private steps = 0;
  private readonly bindings = new Map<string, SyntaxNode>();
  private readonly functions = new Map<string, SyntaxNode>();

  /**
   * `implicitEnv`: values a variable has when the profile's env files do not set it (the NODE_ENV a
   * profile implies); such a read has no env origin of its own.
   */
  constructor(readonly root: SyntaxNode, readonly env: ProfileEnv, private readonly implicitEnv: Record<string, string> = {}) {
    // module-level (and exported) declarations; a later one of the same name wins
    const visit = (stmt: SyntaxNode) => {
      if (stmt.type === 'export_statement') {
        const d = stmt.childForFieldName('declaration');
        if (d) visit(d);
        return;
      }
      if (stmt.type === 'lexical_declaration' || stmt.type === 'variable_declaration') {
        for (const d of stmt.namedChildren) {
          if (d.type !== 'variable_declarator') continue;
          const name = d.childForFieldName('name');
          const value = d.childForFieldName('value');
          if (name?.type === 'identifier' && value) {
            const u = unwrap(value);
            if (u.type === 'arrow_function' || u.type === 'function_expression' || u.type === 'function') this.functions.set(name.text, u);
            else this.bindings.set(name.text, value);
          }
        }
      } else if (stmt.type === 'function_declaration') {
        const name = stmt.childForFieldName('name')?.text;
        if (name) this.functions.set(name, stmt);
      }
    };
    for (const stmt of root.namedChildren) visit(stmt);
  }

  evaluate(node: SyntaxNode): V {
    this.steps = 0;
    try {
      return this.eval(node, 0, new Map());
    } catch (e) {
      if (e instanceof BudgetExceeded) return unknown('too complex to follow');
      throw e;
    }
  }

  /** The node a module-level name is bound to, if any. */
  binding(name: string): SyntaxNode | undefined {
    return this.bindings.get(name);
  }

  /** The object literal a function returns, when it returns one. */
  returnedObject(fnName: string): SyntaxNode | undefined {
    const fn = this.functions.get(fnName);
    if (!fn) return undefined;
    const body = fn.childForFieldName('body');
    if (!body) return undefined;
    const b = unwrap(body);
    if (b.type === 'object') return b;
    const ret = b.descendantsOfType('return_statement').filter((r) => r.namedChildren[0]);
    if (ret.length === 1) {
      const e = unwrap(ret[0].namedChildren[0]);
      if (e.type === 'object') return e;
    }
    return undefined;
  }

  private eval(node: SyntaxNode, depth: number, locals: Map<string, V>): V {
    checkDeadline();
    if (++this.steps > MAX_STEPS) throw new BudgetExceeded();
    const n = unwrap(node);
    switch (n.type) {
      case 'number': {
        const t = n.text.replace(/_/g, '');
        const v = /^0[xob]/i.test(t) ? Number(t) : parseFloat(t);
        return { val: { t: 'num', v, int: Number.isInteger(v) }, origin: { k: 'literal', node: n } };
      }
      case 'string': {
        const frag = n.namedChildren.map((c) => (c.type === 'escape_sequence' ? JSON.parse(`"${c.text.replace(/"/g, '\\"')}"`) : c.text)).join('');
        return { val: { t: 'str', v: frag }, origin: { k: 'literal', node: n } };
      }
      case 'template_string': {
        let out = '';
        for (const c of n.namedChildren) {
          if (c.type === 'string_fragment') out += c.text;
          else if (c.type === 'template_substitution') {
            const v = this.eval(c.namedChildren[0], depth, locals);
            if (v.val.t === 'str' || v.val.t === 'num' || v.val.t === 'bool') out += String(v.val.v);
            else return unknown(`${truncate(n.text)} has parts that are not known`, out || undefined);
          }
        }
        return { val: { t: 'str', v: out }, origin: { k: 'literal', node: n } };
      }
      case 'true':
        return { val: { t: 'bool', v: true }, origin: { k: 'literal', node: n } };
      case 'false':
        return { val: { t: 'bool', v: false }, origin: { k: 'literal', node: n } };
      case 'null':
      case 'undefined':
        return { val: NONE, origin: { k: 'literal', node: n } };
      case 'identifier': {
        if (n.text === 'undefined') return { val: NONE, origin: { k: 'literal', node: n } };
        const local = locals.get(n.text);
        if (local) return local;
        const b = this.bindings.get(n.text);
        if (b && depth < MAX_DEPTH) return this.eval(b, depth + 1, new Map());
        return unknown(`'${n.text}' is not defined in this module`);
      }
      case 'member_expression':
      case 'subscript_expression':
        return this.evalMember(n, depth, locals);
      case 'object':
        return this.evalObject(n, depth, locals);
      case 'unary_expression': {
        const op = n.childForFieldName('operator')?.text ?? n.child(0)?.text;
        const arg = this.eval(n.childForFieldName('argument')!, depth, locals);
        if (op === '-' && arg.val.t === 'num') return { val: { ...arg.val, v: -arg.val.v }, origin: arg.origin?.k === 'literal' ? { k: 'literal', node: n } : arg.origin };
        if (op === '+') return this.toNumber(arg, 'Number');
        if (op === '!') {
          const t = jsTruthy(arg.val);
          return t === undefined ? unknown(`cannot evaluate ${truncate(n.text)}`) : { val: { t: 'bool', v: !t } };
        }
        return unknown(`cannot evaluate ${truncate(n.text)}`);
      }
      case 'binary_expression':
        return this.evalBinary(n, depth, locals);
      case 'ternary_expression': {
        const c = jsTruthy(this.eval(n.childForFieldName('condition')!, depth, locals).val);
        const a = n.childForFieldName('consequence')!;
        const b = n.childForFieldName('alternative')!;
        if (c === true) return this.eval(a, depth, locals);
        if (c === false) return this.eval(b, depth, locals);
        return mergeV([this.eval(a, depth, locals), this.eval(b, depth, locals)], `condition ${truncate(n.childForFieldName('condition')!.text)}`);
      }
      case 'call_expression':
        return this.evalCall(n, depth, locals);
      default:
        return unknown(`cannot evaluate ${n.type.replace(/_/g, ' ')}`);
    }
  }

  private envName(n: SyntaxNode, depth: number, locals: Map<string, V>): string | undefined {
    // process.env.X, process.env['X'], process.env["X"]
    const obj = n.childForFieldName('object');
    if (obj?.text.replace(/\s/g, '') !== 'process.env') return undefined;
    if (n.type === 'member_expression') return n.childForFieldName('property')?.text;
    const idx = n.childForFieldName('index');
    if (!idx) return undefined;
    const k = this.eval(idx, depth, locals);
    return k.val.t === 'str' ? k.val.v : undefined;
  }

  private evalMember(n: SyntaxNode, depth: number, locals: Map<string, V>): V {
    const envName = this.envName(n, depth, locals);
    if (envName) {
      const entry = this.env.get(envName);
      if (entry) return { val: { t: 'str', v: entry.value }, origin: { k: 'env', name: envName, entry, readNode: n } };
      if (Object.prototype.hasOwnProperty.call(this.implicitEnv, envName)) return { val: { t: 'str', v: this.implicitEnv[envName] } };
      return { val: NONE, origin: { k: 'env', name: envName, readNode: n } };
    }
    const obj = this.eval(n.childForFieldName('object')!, depth, locals);
    const key = n.type === 'member_expression' ? n.childForFieldName('property')?.text : (() => {
      const k = this.eval(n.childForFieldName('index')!, depth, locals);
      return k.val.t === 'str' ? k.val.v : undefined;
    })();
    if (obj.val.t === 'dict' && key !== undefined) {
      const hit = obj.val.entries.get(key);
      if (hit) return hit;
      if (!obj.val.entries.has('*')) return { val: NONE };
    }
    return unknown(`${truncate(n.text)} is not known`);
  }

  private evalObject(n: SyntaxNode, depth: number, locals: Map<string, V>): V {
    const entries = new Map<string, V>();
    for (const c of n.namedChildren) {
      if (c.type === 'pair') {
        const k = c.childForFieldName('key')!;
        const key = k.type === 'property_identifier' ? k.text : k.type === 'string' ? k.namedChildren.map((x) => x.text).join('') : k.type === 'number' ? k.text : undefined;
        const v = this.eval(c.childForFieldName('value')!, depth, locals);
        if (key !== undefined) entries.set(key, v);
        else entries.set('*', unknown(`a computed key ${truncate(k.text)}`));
      } else if (c.type === 'shorthand_property_identifier') {
        entries.set(c.text, this.eval(c, depth, locals));
      } else if (c.type === 'spread_element') {
        const d = this.eval(c.namedChildren[0], depth, locals);
        if (d.val.t === 'dict') for (const [k, v] of d.val.entries) entries.set(k, v);
        else entries.set('*', unknown(`keys spread from ${truncate(c.namedChildren[0].text)} are not known`));
      }
    }
    return { val: { t: 'dict', entries, nodes: [n] }, origin: { k: 'literal', node: n } };
  }

  private evalBinary(n: SyntaxNode, depth: number, locals: Map<string, V>): V {
    const op = n.childForFieldName('operator')?.text ?? n.child(1)?.text;
    const l = this.eval(n.childForFieldName('left')!, depth, locals);
    if (op === '??') {
      if (l.val.t === 'none') return this.withFallback(l, this.eval(n.childForFieldName('right')!, depth, locals));
      if (l.val.t === 'unknown' || l.val.t === 'error') return l;
      return this.withFallback(l, this.eval(n.childForFieldName('right')!, depth, locals), true);
    }
    if (op === '||') {
      const t = jsTruthy(l.val);
      const r = this.eval(n.childForFieldName('right')!, depth, locals);
      if (t === true) return this.withFallback(l, r, true);
      if (t === false) return this.withFallback(l, r);
      return mergeV([l, r], truncate(n.text));
    }
    if (op === '&&') {
      const t = jsTruthy(l.val);
      if (t === false) return l;
      if (t === true) return this.eval(n.childForFieldName('right')!, depth, locals);
      return unknown(`cannot evaluate ${truncate(n.text)}`);
    }
    const r = this.eval(n.childForFieldName('right')!, depth, locals);
    if (l.val.t === 'num' && r.val.t === 'num') {
      const a = l.val.v;
      const b = r.val.v;
      const res = op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : op === '/' ? a / b : op === '%' ? a % b : undefined;
      if (res !== undefined) return { val: { t: 'num', v: res, int: Number.isInteger(res) } };
    }
    if (op === '+' && (l.val.t === 'str' || r.val.t === 'str')) {
      const s = (v: PyVal) => (v.t === 'str' || v.t === 'num' || v.t === 'bool' ? String(v.v) : undefined);
      const a = s(l.val);
      const b = s(r.val);
      if (a !== undefined && b !== undefined) return { val: { t: 'str', v: a + b } };
      if (a !== undefined) return unknown(`${truncate(n.text)} has parts that are not known`, a);
    }
    return unknown(`cannot evaluate ${truncate(n.text)}`);
  }

  /**
   * `process.env.X ?? 20`: the value keeps its env origin and records the fallback written in code
   * (used when X is unset, for messages and fixes). `used` says the left side won.
   */
  private withFallback(left: V, right: V, leftWins = false): V {
    if (left.origin?.k === 'env') {
      const origin = { ...left.origin, fallback: right };
      return leftWins ? { val: left.val, origin } : { val: right.val, origin };
    }
    return leftWins ? left : right;
  }

  private toNumber(v: V, fn: string): V {
    const origin = v.origin?.k === 'env' ? { ...v.origin, conversion: fn } : v.origin;
    if (v.val.t === 'num') return { val: v.val, origin };
    if (v.val.t === 'none') return { val: { t: 'num', v: fn === 'Number' && v.val.t === 'none' ? NaN : NaN, int: false }, origin };
    if (v.val.t === 'bool') return { val: { t: 'num', v: v.val.v ? 1 : 0, int: true }, origin };
    if (v.val.t === 'str') {
      const s = v.val.v.trim();
      let x: number;
      if (fn === 'parseInt') x = parseInt(s, 10);
      else if (fn === 'parseFloat') x = parseFloat(s);
      else x = s === '' ? 0 : Number(s);
      return { val: { t: 'num', v: x, int: Number.isInteger(x) }, origin };
    }
    return { val: v.val, origin };
  }

  private evalCall(n: SyntaxNode, depth: number, locals: Map<string, V>): V {
    const fn = n.childForFieldName('function');
    const args = n.childForFieldName('arguments')?.namedChildren ?? [];
    if (!fn) return unknown('call');
    const name = fn.text.replace(/\s/g, '');
    if (['Number', 'parseInt', 'parseFloat', 'Number.parseInt', 'Number.parseFloat'].includes(name)) {
      if (!args[0]) return { val: { t: 'num', v: 0, int: true } };
      return this.toNumber(this.eval(args[0], depth, locals), name.replace('Number.', '').replace(/^Number$/, 'Number'));
    }
    if (name === 'String' && args[0]) {
      const v = this.eval(args[0], depth, locals);
      return v.val.t === 'num' || v.val.t === 'bool' || v.val.t === 'str' ? { val: { t: 'str', v: String(v.val.v) }, origin: v.origin } : v;
    }
    if (name === 'Boolean' && args[0]) {
      const v = this.eval(args[0], depth, locals);
      const t = jsTruthy(v.val);
      return t === undefined ? v : { val: { t: 'bool', v: t }, origin: v.origin };
    }
    if (fn.type === 'identifier' && depth < MAX_DEPTH) {
      const obj = this.returnedObject(fn.text);
      if (obj) return this.eval(obj, depth + 1, new Map());
    }
    return unknown(`the result of ${truncate(n.text)} is not known`);
  }
}
