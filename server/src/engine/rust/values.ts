// Values of the small Rust evaluator: what an expression is known to be, and where it came from.
// Only what pool settings need: numbers, strings, booleans, Durations, Option/Result wrappers
// (env reads and parsing), struct literals (config structs) and sqlx connect options.
import type { SyntaxNode } from '../syntax';
import type { EnvEntry } from '../envfiles';
import type { DatabaseKind } from '../model';

export type RVal =
  | { t: 'num'; v: number; int: boolean }
  | { t: 'str'; v: string }
  | { t: 'bool'; v: boolean }
  /** std::time::Duration, in seconds. */
  | { t: 'dur'; secs: number }
  | { t: 'opt'; some: boolean; inner?: RV }
  /** `errDebug` is the error's Debug form (what unwrap prints); `why` says it in words. */
  | { t: 'res'; ok: boolean; inner?: RV; errDebug?: string; why?: string; parse?: boolean }
  /**
   * PgConnectOptions and friends; `url` when built from a URL string. `ctor` is the call that made
   * them (`SqliteConnectOptions::from_str(..)`), and `sqlite` what a SqliteConnectOptions chain sets.
   */
  | { t: 'connopts'; kind: DatabaseKind; typeName: string; url?: RV; ctor?: SyntaxNode; sqlite?: SqliteOptionFacts }
  /** A struct literal (`Config { .. }`, `Self { .. }`), read field by field. */
  | { t: 'struct'; name: string; node: SyntaxNode }
  | { t: 'unknown'; reason: string }
  /** Evaluating this panics or returns early at start-up. */
  | { t: 'error'; message: string };

/** What a SqliteConnectOptions chain sets: `.journal_mode(..)`, `.busy_timeout(..)`, `.pragma(..)`. */
export interface SqliteOptionFacts {
  /** The journal mode, lower-case ('wal'); undefined when the argument is not known. `node` is the call. */
  journalMode?: { mode: string | undefined; node: SyntaxNode; text: string };
  /** The busy timeout (a Duration value), with the call that sets it. */
  busyTimeout?: { v: RV; node: SyntaxNode; arg?: SyntaxNode };
}

export interface EnvOriginR {
  k: 'env';
  name: string;
  entry?: EnvEntry;
  /** The `env::var("X")` call. */
  readNode: SyntaxNode;
  /** The outermost expression of the chain that turns the variable into the value. */
  chainNode: SyntaxNode;
  /** The fallback written in code (`unwrap_or(50)`), with the node to edit. */
  fallback?: { v: RV; node: SyntaxNode };
  /** Set once an `unwrap_or` took its fallback (the variable unset, or not parsing). */
  usedFallback?: boolean;
}

export type Origin =
  | { k: 'literal'; node: SyntaxNode }
  | EnvOriginR
  /** Computed from other values (arithmetic, a unit conversion). */
  | { k: 'derived'; parts: Origin[]; node: SyntaxNode };

export interface RV {
  val: RVal;
  origin?: Origin;
}

export function unknown(reason: string): RV {
  return { val: { t: 'unknown', reason } };
}

export function isKnown(v: RV): boolean {
  return v.val.t !== 'unknown' && v.val.t !== 'error';
}

export function firstEnv(o: Origin | undefined, depth = 0): EnvOriginR | undefined {
  if (!o || depth > 20) return undefined;
  if (o.k === 'env') return o;
  if (o.k === 'derived') {
    for (const p of o.parts) {
      const e = firstEnv(p, depth + 1);
      if (e) return e;
    }
  }
  return undefined;
}

/** Rust's primitive types the evaluator parses into. */
export type NumTy = 'u8' | 'u16' | 'u32' | 'u64' | 'u128' | 'usize' | 'i8' | 'i16' | 'i32' | 'i64' | 'i128' | 'isize' | 'f32' | 'f64';
export type Ty = NumTy | 'bool' | 'str';

const INT_RANGES: Record<string, [bigint, bigint]> = {
  u8: [0n, 255n],
  u16: [0n, 65535n],
  u32: [0n, 4294967295n],
  u64: [0n, 18446744073709551615n],
  u128: [0n, (1n << 128n) - 1n],
  usize: [0n, 18446744073709551615n],
  i8: [-128n, 127n],
  i16: [-32768n, 32767n],
  i32: [-2147483648n, 2147483647n],
  i64: [-9223372036854775808n, 9223372036854775807n],
  i128: [-(1n << 127n), (1n << 127n) - 1n],
  isize: [-9223372036854775808n, 9223372036854775807n],
};

export function tyOf(text: string | undefined): Ty | undefined {
  if (!text) return undefined;
  const t = text.replace(/^&\s*(?:'\w+\s+)?(?:mut\s+)?/, '').trim();
  if (t in INT_RANGES || t === 'f32' || t === 'f64' || t === 'bool') return t as Ty;
  if (t === 'str' || t === 'String') return 'str';
  return undefined;
}

export function isIntTy(t: Ty | undefined): boolean {
  return t !== undefined && t in INT_RANGES;
}

/** `str::parse::<T>()` as Rust does it: Ok(value) or Err with the error's Debug form. */
export function parseAs(s: string, ty: Ty | undefined): { ok: true; val: RVal } | { ok: false; errDebug: string; why: string } {
  const shown = JSON.stringify(s);
  if (ty === 'bool') {
    if (s === 'true' || s === 'false') return { ok: true, val: { t: 'bool', v: s === 'true' } };
    return { ok: false, errDebug: 'ParseBoolError', why: `${shown} is not \`true\` or \`false\`` };
  }
  if (ty === 'str') return { ok: true, val: { t: 'str', v: s } };
  if (ty === 'f32' || ty === 'f64') {
    if (s === '') return { ok: false, errDebug: 'ParseFloatError { kind: Empty }', why: `the value is empty` };
    if (!/^[+-]?(?:inf|infinity|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/i.test(s)) {
      return { ok: false, errDebug: 'ParseFloatError { kind: Invalid }', why: `${shown} is not a number` };
    }
    const v = /^[+-]?inf/i.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : /nan/i.test(s) ? NaN : Number(s);
    return { ok: true, val: { t: 'num', v, int: false } };
  }
  if (ty === undefined) {
    // the type is not known here: an integer when it reads as one, else a float
    const asInt = parseAs(s, 'i64');
    if (asInt.ok) return asInt;
    const asFloat = parseAs(s, 'f64');
    return asFloat.ok ? asFloat : asInt;
  }
  const range = INT_RANGES[ty];
  if (s === '') return { ok: false, errDebug: 'ParseIntError { kind: Empty }', why: 'the value is empty' };
  const unsigned = range[0] === 0n;
  const m = /^([+-]?)(\d+)$/.exec(s);
  if (!m || (unsigned && m[1] === '-')) return { ok: false, errDebug: 'ParseIntError { kind: InvalidDigit }', why: `${shown} is not a${unsigned ? 'n unsigned' : 'n'} integer (${ty})` };
  const big = BigInt(m[1] === '-' ? `-${m[2]}` : m[2]);
  if (big > range[1]) return { ok: false, errDebug: 'ParseIntError { kind: PosOverflow }', why: `${shown} is too large for ${ty}` };
  if (big < range[0]) return { ok: false, errDebug: 'ParseIntError { kind: NegOverflow }', why: `${shown} is too small for ${ty}` };
  return { ok: true, val: { t: 'num', v: Number(big), int: true } };
}

/** The value of an integer literal (`1_000`, `10u32`, `0x10`), or undefined. */
export function intLiteral(text: string): number | undefined {
  const t = text.replace(/_/g, '').replace(/(?:[ui](?:8|16|32|64|128|size))$/, '');
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t.slice(2), 16);
  if (/^0o[0-7]+$/i.test(t)) return parseInt(t.slice(2), 8);
  if (/^0b[01]+$/i.test(t)) return parseInt(t.slice(2), 2);
  if (/^\d+$/.test(t)) return Number(t);
  return undefined;
}

export function floatLiteral(text: string): number | undefined {
  const t = text.replace(/_/g, '').replace(/f(?:32|64)$/, '');
  const v = Number(t);
  return /^\d/.test(t) && !Number.isNaN(v) ? v : undefined;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '0': '\0', "'": "'", '"': '"' };

/** The value of a (raw) string literal node. */
export function stringLiteral(node: SyntaxNode): string {
  if (node.type === 'raw_string_literal') {
    return node.namedChildren.filter((c) => c.type === 'string_content').map((c) => c.text).join('');
  }
  let out = '';
  for (const c of node.namedChildren) {
    if (c.type === 'string_content') out += c.text;
    else if (c.type === 'escape_sequence') {
      const e = c.text.slice(1);
      if (e in ESCAPES) out += ESCAPES[e];
      else if (/^x[0-9a-f]{2}$/i.test(e)) out += String.fromCharCode(parseInt(e.slice(1), 16));
      else if (/^u\{[0-9a-f]+\}$/i.test(e)) out += String.fromCodePoint(parseInt(e.slice(2, -1), 16));
      else if (e.startsWith('\n') || e.startsWith('\r')) out += ''; // line continuation
      else out += c.text;
    }
  }
  // a continuation (`\` at a line end) also drops the next line's leading whitespace
  return out;
}

/** The value as a JSON value for a setting, or undefined when it is none of those. */
export function jsonOf(v: RVal): number | string | boolean | null | undefined {
  switch (v.t) {
    case 'num':
      return Number.isFinite(v.v) ? v.v : undefined;
    case 'str':
    case 'bool':
      return v.v;
    case 'dur':
      return v.secs;
    case 'opt':
      return v.some ? (v.inner ? jsonOf(v.inner.val) : undefined) : null;
    default:
      return undefined;
  }
}

/** A short description of a value's kind, for reasons. */
export function describe(v: RVal): string {
  switch (v.t) {
    case 'num':
      return v.int ? 'an integer' : 'a float';
    case 'str':
      return 'a string';
    case 'bool':
      return 'a bool';
    case 'dur':
      return 'a Duration';
    case 'opt':
      return v.some ? 'Some(..)' : 'None';
    case 'res':
      return v.ok ? 'Ok(..)' : 'an Err';
    case 'connopts':
      return v.typeName;
    case 'struct':
      return `a ${v.name} value`;
    case 'unknown':
      return 'not known';
    case 'error':
      return 'an error';
  }
}
