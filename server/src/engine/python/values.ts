// Values of the small Python evaluator: what a expression is known to be, and where it came from.
import type { SyntaxNode } from '../syntax';
import type { EnvEntry } from '../envfiles';

export type PyVal =
  | { t: 'num'; v: number; int: boolean }
  | { t: 'str'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'none' }
  | { t: 'dict'; entries: Map<string, V>; nodes: SyntaxNode[]; obj?: PyObject }
  | { t: 'ref'; name: string; call?: () => V }
  | { t: 'unknown'; reason: string; prefix?: string }
  | { t: 'error'; message: string };

/**
 * A class, or an instance of one, seen as its attributes (the dict's entries): a config class, a
 * pydantic BaseSettings instance. `instantiate` builds an instance with the given keyword arguments,
 * evaluated by the module that defines the class.
 */
export interface PyObject {
  name: string;
  instantiate?: (kwargs: Map<string, V>) => V;
}

export type Origin =
  | { k: 'literal'; node: SyntaxNode }
  | {
      k: 'env';
      name: string;
      entry?: EnvEntry;
      fallback?: V;
      readNode: SyntaxNode;
      /** int/float/bool applied to the raw string */
      conversion?: string;
    }
  | { k: 'derived'; parts: Origin[] };

export interface V {
  val: PyVal;
  origin?: Origin;
}

export const NONE: PyVal = { t: 'none' };

export function unknown(reason: string, prefix?: string): V {
  return { val: prefix ? { t: 'unknown', reason, prefix } : { t: 'unknown', reason } };
}

export function isKnown(v: V): boolean {
  return v.val.t !== 'unknown' && v.val.t !== 'error';
}

/** Python truthiness, or undefined when not known. */
export function truthy(v: PyVal): boolean | undefined {
  switch (v.t) {
    case 'num':
      return v.v !== 0;
    case 'str':
      return v.v.length > 0;
    case 'bool':
      return v.v;
    case 'none':
      return false;
    case 'dict':
      return v.entries.size > 0;
    case 'ref':
      return true;
    case 'unknown':
      if (v.prefix) return true;
      return undefined;
    case 'error':
      return undefined;
  }
}

export function sameVal(a: PyVal, b: PyVal): boolean {
  if (a.t !== b.t) {
    // 1 == 1.0 == True in Python, but for settings a differing type is a difference worth keeping
    return false;
  }
  switch (a.t) {
    case 'num':
      return a.v === (b as typeof a).v;
    case 'str':
      return a.v === (b as typeof a).v;
    case 'bool':
      return a.v === (b as typeof a).v;
    case 'none':
      return true;
    case 'ref':
      return a.name === (b as typeof a).name;
    case 'dict': {
      const bd = b as typeof a;
      if (a.entries.size !== bd.entries.size) return false;
      for (const [k, v] of a.entries) {
        const o = bd.entries.get(k);
        if (!o || !sameVal(v.val, o.val)) return false;
      }
      return true;
    }
    case 'unknown':
    case 'error':
      return false;
  }
}

export function cloneV(v: V): V {
  if (v.val.t === 'dict') {
    const entries = new Map<string, V>();
    for (const [k, e] of v.val.entries) entries.set(k, cloneV(e));
    return { val: { t: 'dict', entries, nodes: [...v.val.nodes], obj: v.val.obj }, origin: v.origin };
  }
  return v;
}

/** Python's repr-ish text of a value, for messages. */
export function showVal(v: PyVal): string {
  switch (v.t) {
    case 'num':
      return String(v.v);
    case 'str':
      return JSON.stringify(v.v).replace(/^"|"$/g, "'");
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'dict':
      return `{${[...v.entries.keys()].map((k) => `'${k}': ...`).join(', ')}}`;
    case 'ref':
      return v.name;
    case 'unknown':
      return '?';
    case 'error':
      return '<error>';
  }
}

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}

function prefixOf(v: PyVal): string | undefined {
  if (v.t === 'str') return v.v;
  if (v.t === 'unknown') return v.prefix;
  return undefined;
}

/**
 * Merges the values one name may hold after branches whose condition is not known.
 * Equal values stay known; dicts merge key by key; anything else becomes unknown with the reason.
 */
export function mergeV(values: V[], reason: string): V {
  if (values.length === 0) return unknown(reason);
  if (values.length === 1) return values[0];
  const first = values[0];
  // the same value object on every path (a parameter no branch touched) keeps its own reason
  if (values.every((v) => v === first)) return first;
  if (values.every((v) => sameVal(v.val, first.val))) return first;
  if (values.every((v) => v.val.t === 'dict')) {
    const keys = new Set<string>();
    for (const v of values) for (const k of (v.val as { entries: Map<string, V> }).entries.keys()) keys.add(k);
    const entries = new Map<string, V>();
    for (const k of keys) {
      const vs = values.map((v) => (v.val as { entries: Map<string, V> }).entries.get(k));
      if (vs.some((x) => x === undefined)) entries.set(k, unknown(`'${k}' is set on only some branches (${reason})`));
      else entries.set(k, mergeV(vs as V[], reason));
    }
    // a fix can add a key to a dict literal only when every path built the dict from the same ones
    const lists = values.map((v) => (v.val as { nodes: SyntaxNode[] }).nodes);
    const same = lists.every((l) => l.length === lists[0].length && l.every((n, i) => n.id === lists[0][i].id));
    return { val: { t: 'dict', entries, nodes: same ? lists[0] : [] } };
  }
  let prefix = prefixOf(first.val);
  for (const v of values.slice(1)) {
    const p = prefixOf(v.val);
    prefix = prefix !== undefined && p !== undefined ? commonPrefix(prefix, p) : undefined;
  }
  return unknown(`differs between branches (${reason})`, prefix || undefined);
}
