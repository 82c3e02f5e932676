// What the JS/TS pool detectors share (knex, Sequelize, mysql2): which local names a module is
// imported under, settings read from an evaluated options object with the library's defaults, and
// the profile's implicit NODE_ENV.
import type { SyntaxNode } from '../syntax';
import { nodeSpan } from '../syntax';
import type { InsertTarget, Setting, Span } from '../model';
import type { V } from '../python/values';
import { toSetting } from '../python/settings';
import { truncate } from '../python/evaluator';
import type { DetectorContext } from '../detectors/types';
import { maskSecrets, maskUrl } from '../urls';

export interface ModuleNames {
  /** Local names bound to the module's default export or the module object itself. */
  module: Set<string>;
  /** Local name to the exported name it binds (`import { knex as k }` gives k -> knex). */
  named: Map<string, string>;
}

const stringOf = (n: SyntaxNode | null | undefined): string | undefined => {
  if (!n || (n.type !== 'string' && n.type !== 'template_string')) return undefined;
  return n.namedChildren.map((c) => c.text).join('');
};

/** `require('x')` (possibly `require('x').Name`): the module and the property, if any. */
export function requireOf(n: SyntaxNode): { spec: string; prop?: string } | undefined {
  let cur = n;
  let prop: string | undefined;
  if (cur.type === 'member_expression') {
    prop = cur.childForFieldName('property')?.text;
    cur = cur.childForFieldName('object')!;
  }
  if (cur?.type !== 'call_expression' || cur.childForFieldName('function')?.text !== 'require') return undefined;
  const spec = stringOf(cur.childForFieldName('arguments')?.namedChildren[0]);
  return spec === undefined ? undefined : { spec, prop };
}

/** The names under which a file imports any of `modules` (ESM imports and CommonJS requires). */
export function importedNames(root: SyntaxNode, modules: (spec: string) => boolean): ModuleNames {
  const out: ModuleNames = { module: new Set(), named: new Map() };
  for (const imp of root.descendantsOfType('import_statement')) {
    const from = stringOf(imp.childForFieldName('source'));
    if (from === undefined || !modules(from)) continue;
    const clause = imp.namedChildren.find((c) => c.type === 'import_clause');
    for (const c of clause?.namedChildren ?? []) {
      if (c.type === 'identifier') out.module.add(c.text);
      if (c.type === 'namespace_import') out.module.add(c.namedChildren[0]?.text ?? '');
      if (c.type === 'named_imports') {
        for (const s of c.namedChildren) {
          if (s.type !== 'import_specifier') continue;
          const name = s.childForFieldName('name')?.text;
          const alias = s.childForFieldName('alias')?.text ?? name;
          if (name && alias) out.named.set(alias, name === 'default' ? '' : name);
        }
      }
    }
  }
  for (const d of root.descendantsOfType('variable_declarator')) {
    const value = d.childForFieldName('value');
    const name = d.childForFieldName('name');
    if (!value || !name) continue;
    const req = requireOf(value);
    if (!req || !modules(req.spec)) continue;
    if (name.type === 'identifier') {
      if (req.prop) out.named.set(name.text, req.prop);
      else out.module.add(name.text);
    }
    if (name.type === 'object_pattern') {
      for (const p of name.namedChildren) {
        if (p.type === 'shorthand_property_identifier_pattern') out.named.set(p.text, p.text);
        if (p.type === 'pair_pattern') {
          const key = p.childForFieldName('key')?.text;
          const v = p.childForFieldName('value');
          if (key && v?.type === 'identifier') out.named.set(v.text, key);
        }
      }
    }
  }
  return out;
}

/**
 * Whether `callee` (a call's function or a `new` expression's constructor) is one of `exports` of
 * the module: `name(...)` imported by name, `mod.name(...)`, `require('m').name(...)`, or, when
 * `callable`, the module itself (`knex(...)`, `require('knex')(...)`).
 */
export function calleeIs(callee: SyntaxNode | null, names: ModuleNames, exports: string[], callable: boolean, modules: (spec: string) => boolean): boolean {
  if (!callee) return false;
  if (callee.type === 'identifier') {
    if (callable && names.module.has(callee.text)) return true;
    const e = names.named.get(callee.text);
    return e !== undefined && (exports.includes(e) || (callable && e === ''));
  }
  if (callee.type === 'parenthesized_expression' && callee.namedChildren[0]) return calleeIs(callee.namedChildren[0], names, exports, callable, modules);
  const req = requireOf(callee);
  if (req && modules(req.spec)) return req.prop ? exports.includes(req.prop) : callable;
  if (callee.type === 'member_expression') {
    const obj = callee.childForFieldName('object');
    const prop = callee.childForFieldName('property')?.text ?? '';
    if (!exports.includes(prop) || !obj) return false;
    if (obj.type === 'identifier') return names.module.has(obj.text);
    const r = requireOf(obj);
    return !!r && modules(r.spec) && !r.prop;
  }
  return false;
}

export interface Default {
  value: number | boolean | null;
  cite: string;
}

/** The evaluated entries of an object value, or why they are not known. */
export function entriesOf(v: V | undefined, what: string): { entries?: Map<string, V>; opaque?: string } {
  if (!v) return {};
  if (v.val.t === 'dict') return { entries: v.val.entries, opaque: v.val.entries.has('*') ? `a spread or computed key in ${what}` : undefined };
  if (v.val.t === 'none') return {};
  return { opaque: `${what} ${v.val.t === 'unknown' ? `(${v.val.reason})` : 'is not an object'}` };
}

/**
 * Settings for the names in `defaults`: from the evaluated options where written, else unknown
 * when the options may set them unseen, else the library's default.
 */
export function settingsFrom(
  ctx: DetectorContext,
  entries: Map<string, V> | undefined,
  opaque: string | undefined,
  defaults: Record<string, Default>,
  library: { library: string; version: string },
  span: Span,
): Record<string, Setting> {
  const settings: Record<string, Setting> = {};
  for (const [name, d] of Object.entries(defaults)) {
    const v = entries?.get(name);
    if (v) settings[name] = toSetting(v, undefined, ctx);
    else if (opaque) settings[name] = { value: undefined, source: 'unknown', reason: `may be set by ${opaque}`, span };
    else settings[name] = { value: d.value, source: 'default', default: { ...library, cite: d.cite } };
  }
  return settings;
}

/** JS reads a setting: `undefined`/`null` written (or an unset env var with no fallback) means the default. */
export function undefinedMeansDefault(settings: Record<string, Setting>, defaults: Record<string, Default>): void {
  for (const [name, s] of Object.entries(settings)) {
    if (s.source !== 'default' && s.source !== 'unknown' && s.value === null && defaults[name]) {
      settings[name] = { ...s, value: defaults[name].value, reason: 'undefined: the default applies' };
    }
  }
}

/** The object literal node a value was built from, as an insert target (`{...}` in this file). */
export function objectTarget(ctx: DetectorContext, v: V | undefined, within?: string): InsertTarget | undefined {
  if (!v || v.val.t !== 'dict') return undefined;
  const node = v.val.nodes[0];
  if (!node || node.type !== 'object') return undefined;
  return { kind: 'object', span: nodeSpan(ctx.file, ctx.lines, node), within };
}

/**
 * NODE_ENV a profile implies when its env files do not set it: `production` for the production
 * profile, `development` for development (knexfile sections and `process.env.NODE_ENV === ...`
 * branches then follow the profile, as the user expects). Compose profiles imply nothing.
 */
export function implicitNodeEnv(profile: string): Record<string, string> {
  return /compose/i.test(profile) ? {} : { NODE_ENV: profile };
}

/** A URL setting with every copy of the URL (value, source text, the .env line, the fallback) masked. */
export function maskedUrlSetting(s: Setting): Setting {
  const m = (t: string | undefined) => (t === undefined ? undefined : maskSecrets(maskUrl(t)));
  return {
    ...s,
    value: typeof s.value === 'string' ? m(s.value) : s.value,
    text: m(s.text),
    env: s.env && {
      ...s.env,
      raw: m(s.env.raw),
      fallback: s.env.fallback && { ...s.env.fallback, value: typeof s.env.fallback.value === 'string' ? m(s.env.fallback.value) : s.env.fallback.value, text: m(s.env.fallback.text)! },
    },
  };
}

export function describeOpaque(arg: SyntaxNode, v: V): string {
  return `the options ${truncate(arg.text, 40)} are not known (${v.val.t === 'unknown' ? v.val.reason : 'not an object'})`;
}
