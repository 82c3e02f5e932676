// node-postgres: `new Pool({...})` from 'pg' (or 'pg-pool') becomes a pool model.
// Defaults: brianc/node-postgres@c9e57617 packages/pg-pool/index.js (pool-facts §3).
import type { SyntaxNode } from '../syntax';
import { npmVersion } from '../versions';
import { nodeSpan } from '../syntax';
import * as path from 'path';
import type { ReadFile } from '../envfiles';
import type { PoolModel, ProfileModel, Setting, DatabaseInfo, InsertTarget } from '../model';
import { JsEvaluator } from '../js/evaluator';
import type { V } from '../python/values';
import { toSetting, describeSource } from '../python/settings';
import { parseDbUrl, maskUrl } from '../urls';
import { truncate } from '../python/evaluator';
import { differences, evaluatorsFor, type Detector, type DetectorContext } from './types';

const SRC = 'brianc/node-postgres@c9e57617:packages/pg-pool/index.js';
export const PG_DEFAULTS: Record<string, { value: number | boolean | null; cite: string }> = {
  max: { value: 10, cite: `${SRC}:89 (max || poolSize || 10)` },
  min: { value: 0, cite: `${SRC}:90` },
  idleTimeoutMillis: { value: 10000, cite: `${SRC}:98-100` },
  connectionTimeoutMillis: { value: 0, cite: `${SRC}:206-208,250 (0 = no timeout)` },
  maxLifetimeSeconds: { value: 0, cite: `${SRC}:93 (0 = disabled)` },
  maxUses: { value: null, cite: `${SRC}:91 (Infinity)` },
  allowExitOnIdle: { value: false, cite: `${SRC}:92` },
};
export const PG_SETTINGS = Object.keys(PG_DEFAULTS);

const PG_MODULES = new Set(['pg', 'pg-pool']);

/** Local names that mean pg's Pool class, and names that mean the pg module itself. */
/**
 * The name under which a workspace module re-exports pg's Pool (`export { Pool } from 'pg'`,
 * `export { Pool as DbPool } from 'pg'`, `export * from 'pg'`), if it does.
 */
function reexportedPool(fromFile: string, spec: string, read: ReadFile | undefined): Set<string> {
  const out = new Set<string>();
  if (!read || !spec.startsWith('.')) return out;
  const base = path.resolve(path.dirname(fromFile), spec);
  const candidates = [base, ...['.ts', '.tsx', '.js', '.mjs', '.cjs', '.mts', '.cts'].map((e) => base.replace(/\.(js|mjs|cjs)$/, '') + e), ...['index.ts', 'index.js'].map((i) => path.join(base, i))];
  for (const c of candidates) {
    const text = read(c);
    if (text === undefined) continue;
    for (const m of text.matchAll(/export\s*\{([^}]*)\}\s*from\s*['"](pg|pg-pool)['"]/g)) {
      for (const part of m[1].split(',')) {
        const [name, alias] = part.trim().split(/\s+as\s+/);
        if ((m[2] === 'pg' && name === 'Pool') || (m[2] === 'pg-pool' && name === 'default')) out.add(alias ?? name);
      }
    }
    if (/export\s*\*\s*from\s*['"]pg['"]/.test(text)) out.add('Pool');
    break;
  }
  return out;
}

function poolNames(root: SyntaxNode, file: string, read: ReadFile | undefined): { classes: Set<string>; modules: Set<string> } {
  const classes = new Set<string>();
  const modules = new Set<string>();
  const source = (n: SyntaxNode | null) => n?.namedChildren.map((c) => c.text).join('') ?? '';
  for (const imp of root.descendantsOfType('import_statement')) {
    const from = source(imp.childForFieldName('source'));
    if (!PG_MODULES.has(from)) {
      // a workspace module that re-exports pg's Pool
      const names = reexportedPool(file, from, read);
      if (names.size === 0) continue;
      const clause = imp.namedChildren.find((c) => c.type === 'import_clause');
      for (const s of clause?.descendantsOfType('import_specifier') ?? []) {
        const name = s.childForFieldName('name')?.text;
        const alias = s.childForFieldName('alias')?.text ?? name;
        if (name && alias && names.has(name)) classes.add(alias);
      }
      continue;
    }
    const clause = imp.namedChildren.find((c) => c.type === 'import_clause');
    for (const c of clause?.namedChildren ?? []) {
      if (c.type === 'identifier') (from === 'pg-pool' ? classes : modules).add(c.text); // default import
      if (c.type === 'namespace_import') modules.add(c.namedChildren[0]?.text ?? '');
      if (c.type === 'named_imports') {
        for (const s of c.namedChildren) {
          if (s.type !== 'import_specifier') continue;
          const name = s.childForFieldName('name')?.text;
          const alias = s.childForFieldName('alias')?.text ?? name;
          if (name === 'Pool' && alias) classes.add(alias);
        }
      }
    }
  }
  // CommonJS: const pg = require('pg'); const { Pool } = require('pg'); const Pool = require('pg').Pool
  for (const d of root.descendantsOfType('variable_declarator')) {
    const value = d.childForFieldName('value');
    const name = d.childForFieldName('name');
    if (!value || !name) continue;
    const req = /^require\(\s*['"]([^'"]+)['"]\s*\)(\.Pool)?$/.exec(value.text.replace(/\s/g, ''));
    if (!req || !PG_MODULES.has(req[1])) continue;
    if (name.type === 'identifier') (req[2] || req[1] === 'pg-pool' ? classes : modules).add(name.text);
    if (name.type === 'object_pattern') {
      for (const p of name.namedChildren) {
        if (p.type === 'shorthand_property_identifier_pattern' && p.text === 'Pool') classes.add('Pool');
        if (p.type === 'pair_pattern' && p.childForFieldName('key')?.text === 'Pool') {
          const v = p.childForFieldName('value');
          if (v) classes.add(v.text);
        }
      }
    }
  }
  return { classes, modules };
}

function isPoolConstruction(n: SyntaxNode, names: ReturnType<typeof poolNames>): boolean {
  const ctor = n.childForFieldName('constructor');
  if (!ctor) return false;
  if (ctor.type === 'identifier') return names.classes.has(ctor.text);
  if (ctor.type === 'member_expression') {
    return ctor.childForFieldName('property')?.text === 'Pool' && names.modules.has(ctor.childForFieldName('object')?.text ?? '');
  }
  return false;
}

/** The variable (or `this.x`) a pool is stored in, and the statement to insert a listener after. */
function holder(n: SyntaxNode): { variable?: string; statement?: SyntaxNode } {
  let p = n.parent;
  while (p && ['parenthesized_expression', 'as_expression', 'await_expression'].includes(p.type)) p = p.parent;
  if (p?.type === 'variable_declarator') {
    const name = p.childForFieldName('name');
    let stmt: SyntaxNode | null = p.parent;
    if (stmt?.parent?.type === 'export_statement') stmt = stmt.parent;
    return { variable: name?.type === 'identifier' ? name.text : undefined, statement: stmt ?? undefined };
  }
  if (p?.type === 'assignment_expression') {
    const left = p.childForFieldName('left');
    return { variable: left?.text.replace(/\s/g, ''), statement: p.parent?.type === 'expression_statement' ? p.parent : undefined };
  }
  return {};
}

function hasErrorListener(root: SyntaxNode, variable: string | undefined, poolNode: SyntaxNode): boolean {
  for (const call of root.descendantsOfType('call_expression')) {
    const fn = call.childForFieldName('function');
    if (fn?.type !== 'member_expression') continue;
    const method = fn.childForFieldName('property')?.text;
    if (method !== 'on' && method !== 'once' && method !== 'addListener' && method !== 'prependListener') continue;
    const first = call.childForFieldName('arguments')?.namedChildren[0];
    if (!first || !/^['"`]error['"`]$/.test(first.text)) continue;
    const obj = fn.childForFieldName('object');
    if (!obj) continue;
    // `new Pool().on('error', ...)` chained, or `<variable>.on('error', ...)`
    if (obj.id === poolNode.id) return true;
    if (variable && obj.text.replace(/\s/g, '') === variable) return true;
  }
  return false;
}

/** The object literal whose keys are the pool's options: inline, a module const, or a function's return. */
function optionsObject(arg: SyntaxNode | undefined, ev: JsEvaluator): SyntaxNode | undefined {
  if (!arg) return undefined;
  let n = arg;
  while (['parenthesized_expression', 'as_expression', 'satisfies_expression'].includes(n.type) && n.namedChildren[0]) n = n.namedChildren[0];
  if (n.type === 'object') return n;
  if (n.type === 'identifier') {
    const b = ev.binding(n.text);
    return b ? optionsObject(b, ev) : undefined;
  }
  if (n.type === 'call_expression') {
    const fn = n.childForFieldName('function');
    if (fn?.type === 'identifier') return ev.returnedObject(fn.text);
  }
  return undefined;
}

function databaseOf(opts: Map<string, V> | undefined, ctx: DetectorContext): DatabaseInfo {
  const cs = opts?.get('connectionString');
  if (cs && cs.val.t === 'str') {
    const parsed = parseDbUrl(cs.val.v);
    const source = toSetting(cs, undefined, ctx);
    const masked = maskUrl(cs.val.v);
    const how = `connectionString${parsed ? ` scheme '${parsed.scheme}'` : ''} (${describeSource(source, ctx.rel)}); node-postgres speaks only PostgreSQL`;
    return { kind: 'postgresql', how, scheme: parsed?.scheme, url: masked, source: { ...source, value: masked, text: source.text ? maskUrl(source.text) : undefined } };
  }
  return { kind: 'postgresql', how: 'node-postgres speaks only PostgreSQL' };
}

/** pg-pool's own reading of a value: `max || poolSize || 10`, idleTimeoutMillis only when undefined. */
function applyQuirks(settings: Record<string, Setting>): void {
  const max = settings.max;
  if (max.source !== 'default' && max.source !== 'unknown' && (max.value === 0 || max.value === null || (typeof max.value === 'number' && Number.isNaN(max.value)) || max.value === '')) {
    const shown = max.value === null ? 'undefined' : typeof max.value === 'number' && Number.isNaN(max.value) ? 'NaN' : JSON.stringify(max.value);
    settings.max = { ...max, value: 10, warning: `max ${shown} is falsy, and pg-pool reads \`max || poolSize || 10\`: the pool holds 10` };
  }
  if (typeof max.value === 'string') {
    const n = Number(max.value);
    settings.max = { ...max, value: Number.isNaN(n) || n === 0 ? 10 : n, warning: `max is the string '${max.value}' (process.env values are strings; wrap it in Number())` };
  }
  for (const name of ['idleTimeoutMillis', 'connectionTimeoutMillis', 'maxLifetimeSeconds', 'min', 'maxUses']) {
    const s = settings[name];
    if (s.source !== 'default' && s.source !== 'unknown' && s.value === null && name !== 'maxUses') {
      settings[name] = { ...s, value: PG_DEFAULTS[name].value as number, reason: 'undefined: the default applies' };
    }
    if (typeof s.value === 'number' && Number.isNaN(s.value)) settings[name] = { ...s, value: undefined, crash: `${name} is NaN (Number() of a non-numeric string)` };
  }
}

export const nodePostgresDetector: Detector = {
  id: 'node-postgres',
  languages: ['typescript', 'tsx', 'javascript'],
  // pg itself, or a local module that may re-export its Pool
  prefilter: /['"]pg(-pool)?['"]|new\s+\w*Pool\b/,
  detect: (ctx) => detectPg(ctx),
};


function detectPg(ctx: DetectorContext): PoolModel[] {
  const root = ctx.tree.rootNode;
  // a test that mocks pg constructs no real pool
  if (/\b(jest|vi)\.mock\(\s*['"]pg['"]/.test(ctx.text)) return [];
  const names = poolNames(root, ctx.file, ctx.read);
  if (names.classes.size === 0 && names.modules.size === 0) return [];
  const news = root.descendantsOfType('new_expression').filter((n) => isPoolConstruction(n, names));
  const models: PoolModel[] = [];
  const perProfile = evaluatorsFor(ctx, (env) => new JsEvaluator(root, env));
  const version = npmVersion(ctx, ['pg', 'pg-pool']) ?? ctx.versions.get('pg') ?? { version: '8.x (assumed: no pin found)', source: 'assumed' };
  for (const n of news) {
    const span = nodeSpan(ctx.file, ctx.lines, n);
    const argsNode = n.childForFieldName('arguments');
    const arg = argsNode?.namedChildren[0];
    const profiles: Record<string, ProfileModel> = {};
    for (const { profile, envFiles, ev } of perProfile) {
      const optsV = arg ? ev.evaluate(arg) : undefined;
      const opts = optsV?.val.t === 'dict' ? optsV.val.entries : undefined;
      const opaque = arg && !opts ? `the options ${truncate(arg.text, 40)} are not known (${optsV?.val.t === 'unknown' ? optsV.val.reason : 'not an object'})` : opts?.has('*') ? `a spread or computed key in the options` : undefined;
      const settings: Record<string, Setting> = {};
      for (const name of PG_SETTINGS) {
        const v = opts?.get(name);
        if (v) settings[name] = toSetting(v, undefined, ctx);
        else if (opaque) settings[name] = { value: undefined, source: 'unknown', reason: `may be set by ${opaque}`, span };
        else settings[name] = { value: PG_DEFAULTS[name].value, source: 'default', default: { library: 'pg-pool', version: version.source === 'assumed' ? '3.x' : `3.x (pg ${version.version})`, cite: PG_DEFAULTS[name].cite } };
      }
      applyQuirks(settings);
      const obj = optionsObject(arg, ev);
      let insertTarget: InsertTarget | undefined;
      if (obj) insertTarget = { kind: 'object', span: nodeSpan(ctx.file, ctx.lines, obj) };
      else if (argsNode && !arg) insertTarget = { kind: 'object', span: nodeSpan(ctx.file, ctx.lines, argsNode) };
      profiles[profile] = {
        profile,
        envFiles: envFiles.map((f) => f.file),
        database: databaseOf(opts, ctx),
        poolClass: { name: 'pg.Pool', source: 'default', reason: 'node-postgres Pool (pg-pool)' },
        settings,
        insertTarget,
      };
    }
    const h = holder(n);
    models.push({
      id: `${ctx.file}:${span.line + 1}:${span.column + 1}`,
      library: 'node-postgres',
      constructor: 'new Pool',
      file: ctx.file,
      span,
      async: true,
      profiles,
      differsBetweenProfiles: differences(profiles),
      libraryVersion: version,
      errorListener: {
        attached: hasErrorListener(root, h.variable, n),
        variable: h.variable,
        insertAfter: h.statement ? nodeSpan(ctx.file, ctx.lines, h.statement) : undefined,
      },
    });
  }
  return models;
}
