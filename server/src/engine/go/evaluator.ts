// A small evaluator for Go expressions in one file: int/float/string literals, consts and vars
// (package level, or declared earlier in the same function), arithmetic, time.Duration units
// (`5 * time.Minute`, time.ParseDuration("90s")), os.Getenv, strconv.Atoi/ParseInt and numeric
// conversions. Durations are in seconds; a bare number where a Duration is expected is
// nanoseconds, and the value says whether a unit was written. It never runs user code.
import type { SyntaxNode } from '../syntax';
import type { ProfileEnv } from '../envfiles';
import { type V, unknown } from '../python/values';
import { truncate } from '../python/evaluator';

export interface GoV extends V {
  /** A time unit took part (time.Second, ParseDuration): the number is seconds, not nanoseconds. */
  unit?: boolean;
  /** How the value was reached when that is a trap (a failed Atoi returning 0). */
  note?: string;
}

const UNITS: Record<string, number> = { Nanosecond: 1e-9, Microsecond: 1e-6, Millisecond: 1e-3, Second: 1, Minute: 60, Hour: 3600 };
const MAX_DEPTH = 8;
/** Expressions nested deeper than this are unknown (see eval). */
const MAX_NESTING = 256;

/** Go's duration strings: "300ms", "1h30m", "2.5s". */
export function parseGoDuration(s: string): number | undefined {
  const t = s.trim();
  if (t === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  const per: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  let total = 0;
  let pos = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += parseFloat(m[1]) * per[m[2]];
    pos = re.lastIndex;
  }
  return pos === t.length && pos > 0 ? total : undefined;
}

function functionOf(n: SyntaxNode): SyntaxNode | undefined {
  for (let p = n.parent; p; p = p.parent) if (p.type === 'function_declaration' || p.type === 'method_declaration' || p.type === 'func_literal') return p;
  return undefined;
}

export class GoEvaluator {
  /** Package-level consts and vars: name to its value expression. */
  private readonly globals = new Map<string, SyntaxNode>();

  constructor(readonly root: SyntaxNode, readonly env: ProfileEnv) {
    for (const decl of root.namedChildren) {
      if (decl.type !== 'const_declaration' && decl.type !== 'var_declaration') continue;
      for (const spec of decl.descendantsOfType(['const_spec', 'var_spec'])) {
        const names = spec.childrenForFieldName('name');
        const values = spec.childForFieldName('value')?.namedChildren ?? [];
        names.forEach((nm, i) => values[i] && this.globals.set(nm.text, values[i]));
      }
    }
  }

  /** The expression a local name was last given before `use`, in the same function. */
  private local(name: string, use: SyntaxNode): { node: SyntaxNode; index: number; multi: boolean } | undefined {
    const fn = functionOf(use);
    if (!fn) return undefined;
    let best: { node: SyntaxNode; index: number; multi: boolean; at: number } | undefined;
    for (const d of fn.descendantsOfType(['short_var_declaration', 'assignment_statement', 'var_spec'])) {
      if (d.startIndex >= use.startIndex) continue;
      const left = d.type === 'var_spec' ? d.childrenForFieldName('name') : d.childForFieldName('left')?.namedChildren ?? [];
      const right = (d.type === 'var_spec' ? d.childForFieldName('value') : d.childForFieldName('right'))?.namedChildren ?? [];
      const i = left.findIndex((l) => l.text === name);
      if (i < 0) continue;
      // `n, err := strconv.Atoi(...)`: one call, several results
      const node = right.length === left.length ? right[i] : right[0];
      if (node && (!best || d.startIndex > best.at)) best = { node, index: i, multi: right.length !== left.length, at: d.startIndex };
    }
    return best;
  }

  evaluate(node: SyntaxNode): GoV {
    return this.eval(node, 0);
  }

  /** How deep eval() is in one expression: parentheses and operators nest without following a name. */
  private nesting = 0;

  private eval(node: SyntaxNode, depth: number): GoV {
    if (depth > MAX_DEPTH) return unknown('too deep to follow');
    // thousands of nested parentheses (generated or corrupt code) would otherwise run the recursion out of stack
    if (this.nesting >= MAX_NESTING) return unknown(`an expression nested over ${MAX_NESTING} deep`);
    this.nesting++;
    try {
      return this.evalNode(node, depth);
    } finally {
      this.nesting--;
    }
  }

  private evalNode(node: SyntaxNode, depth: number): GoV {
    switch (node.type) {
      case 'int_literal':
      case 'float_literal': {
        const t = node.text.replace(/_/g, '');
        const v = /^0[xob]/i.test(t) ? Number(t) : /^0\d+$/.test(t) ? parseInt(t, 8) : parseFloat(t);
        return { val: { t: 'num', v, int: Number.isInteger(v) }, origin: { k: 'literal', node } };
      }
      case 'interpreted_string_literal':
      case 'raw_string_literal': {
        const inner = node.namedChildren.filter((c) => c.type.endsWith('_content') || c.type === 'escape_sequence').map((c) => (c.type === 'escape_sequence' ? JSON.parse(`"${c.text}"`) : c.text)).join('');
        return { val: { t: 'str', v: inner }, origin: { k: 'literal', node } };
      }
      case 'true':
      case 'false':
        return { val: { t: 'bool', v: node.type === 'true' }, origin: { k: 'literal', node } };
      case 'parenthesized_expression':
        return node.namedChildren[0] ? this.eval(node.namedChildren[0], depth) : unknown('empty parentheses');
      case 'identifier': {
        const l = this.local(node.text, node);
        if (l) {
          const v = this.eval(l.node, depth + 1);
          return l.multi && l.index > 0 ? unknown(`the ${l.index + 1}th result of ${truncate(l.node.text)}`) : v;
        }
        const g = this.globals.get(node.text);
        if (g) return this.eval(g, depth + 1);
        return unknown(`'${node.text}' is not defined in this file`);
      }
      case 'unary_expression': {
        const op = node.childForFieldName('operator')?.text;
        const a = this.eval(node.childForFieldName('operand')!, depth);
        if (op === '-' && a.val.t === 'num') return { ...a, val: { ...a.val, v: -a.val.v }, origin: a.origin?.k === 'literal' ? { k: 'literal', node } : a.origin };
        return unknown(`cannot evaluate ${truncate(node.text)}`);
      }
      case 'binary_expression': {
        const op = node.childForFieldName('operator')?.text;
        const l = this.eval(node.childForFieldName('left')!, depth);
        const r = this.eval(node.childForFieldName('right')!, depth);
        if (l.val.t === 'num' && r.val.t === 'num') {
          const a = l.val.v;
          const b = r.val.v;
          const unit = !!(l.unit || r.unit);
          // `time.Duration(n) * time.Second`: the bare side counts units, not nanoseconds
          const res = op === '*' ? a * b : op === '+' ? a + b : op === '-' ? a - b : op === '/' ? a / b : undefined;
          if (res !== undefined) return { val: { t: 'num', v: res, int: Number.isInteger(res) }, unit, note: l.note ?? r.note, origin: l.origin?.k === 'env' ? l.origin : r.origin?.k === 'env' ? r.origin : undefined };
        }
        if (op === '+' && l.val.t === 'str' && r.val.t === 'str') return { val: { t: 'str', v: l.val.v + r.val.v } };
        return unknown(`cannot evaluate ${truncate(node.text)}`);
      }
      case 'selector_expression': {
        const operand = node.childForFieldName('operand')?.text;
        const field = node.childForFieldName('field')?.text ?? '';
        if (operand === 'time' && UNITS[field] !== undefined) return { val: { t: 'num', v: UNITS[field], int: UNITS[field] >= 1 }, unit: true, origin: { k: 'literal', node } };
        return unknown(`${truncate(node.text)} is not known`);
      }
      case 'call_expression':
        return this.evalCall(node, depth);
      default:
        return unknown(`cannot evaluate ${node.type.replace(/_/g, ' ')}`);
    }
  }

  private evalCall(node: SyntaxNode, depth: number): GoV {
    const fn = node.childForFieldName('function')?.text.replace(/\s/g, '') ?? '';
    const args = node.childForFieldName('arguments')?.namedChildren ?? [];
    if (fn === 'os.Getenv' && args[0]) {
      const k = this.eval(args[0], depth);
      if (k.val.t !== 'str') return unknown('os.Getenv of a name that is not known');
      const entry = this.env.get(k.val.v);
      // Getenv returns "" for an unset variable
      return { val: { t: 'str', v: entry?.value ?? '' }, origin: { k: 'env', name: k.val.v, entry, readNode: node } };
    }
    if ((fn === 'strconv.Atoi' || fn === 'strconv.ParseInt' || fn === 'strconv.ParseUint' || fn === 'strconv.ParseFloat') && args[0]) {
      const s = this.eval(args[0], depth);
      if (s.val.t !== 'str') return s.val.t === 'unknown' ? s : unknown(`${fn} of a value that is not a string`);
      const t = s.val.v.trim();
      const n = fn === 'strconv.ParseFloat' ? parseFloat(t) : /^[-+]?\d+$/.test(t) ? parseInt(t, 10) : NaN;
      const origin = s.origin?.k === 'env' ? { ...s.origin, conversion: fn } : s.origin;
      // a failed parse returns 0 (and an error the code may ignore)
      if (Number.isNaN(n)) return { val: { t: 'num', v: 0, int: true }, origin, note: `${fn}(${JSON.stringify(s.val.v)}) fails and returns 0` };
      return { val: { t: 'num', v: n, int: Number.isInteger(n) }, origin };
    }
    if (fn === 'time.ParseDuration' && args[0]) {
      const s = this.eval(args[0], depth);
      if (s.val.t !== 'str') return s;
      const d = parseGoDuration(s.val.v);
      return d === undefined ? { val: { t: 'num', v: 0, int: true }, unit: true, origin: s.origin } : { val: { t: 'num', v: d, int: Number.isInteger(d) }, unit: true, origin: s.origin };
    }
    // conversions keep the value: int(n), int32(n), time.Duration(n)
    if (/^(u?int(8|16|32|64)?|float(32|64)|time\.Duration)$/.test(fn) && args[0]) return this.eval(args[0], depth);
    return unknown(`the result of ${truncate(node.text)} is not known`);
  }
}
