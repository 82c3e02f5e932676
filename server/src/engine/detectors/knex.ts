// knex: `knex({ client, connection, pool: { min, max, acquireTimeoutMillis, idleTimeoutMillis } })`
// calls, and knexfiles (`module.exports = { development: {...}, production: {...} }`) whose section
// per profile is the one NODE_ENV selects (the profile's own NODE_ENV, else the profile's name, else
// knex's 'development'). Defaults: knex/knex@e25d54bc (3.3.0) lib/client.js; the pool is tarn.js.
import * as path from 'path';
import type { SyntaxNode } from '../syntax';
import { nodeSpan } from '../syntax';
import type { DatabaseInfo, DatabaseKind, PoolModel, ProfileModel, Setting } from '../model';
import { JsEvaluator } from '../js/evaluator';
import type { V } from '../python/values';
import { toSetting, describeSource } from '../python/settings';
import { parseDbUrl, maskUrl } from '../urls';
import { calleeIs, entriesOf, importedNames, type ModuleNames, implicitNodeEnv, objectTarget, settingsFrom, undefinedMeansDefault, describeOpaque, maskedUrlSetting, type Default } from '../js/pools';
import { differences, evaluatorsFor, type Detector, type DetectorContext } from './types';
import { npmVersion, versionLabel } from '../versions';

const SRC = 'knex/knex@e25d54bc (3.3.0)';
const TARN = 'Vincit/tarn.js@0c79f9e3:src/Pool.ts (constructor)';
export const KNEX_DEFAULTS: Record<string, Default> = {
  min: { value: 2, cite: `${SRC}:lib/client.js:229-231 (poolDefaults)` },
  max: { value: 10, cite: `${SRC}:lib/client.js:229-231 (poolDefaults)` },
  acquireTimeoutMillis: { value: 60000, cite: `${SRC}:lib/client.js:253-265 (DEFAULT_ACQUIRE_TIMEOUT; the smaller of acquireConnectionTimeout and pool.acquireTimeoutMillis)` },
  idleTimeoutMillis: { value: 30000, cite: `${TARN}: idleTimeoutMillis || 30000` },
};
/** knex's sqlite3 and better-sqlite3 dialects hold one connection. */
const SQLITE_DEFAULTS: Record<string, Default> = {
  ...KNEX_DEFAULTS,
  min: { value: 1, cite: `${SRC}:lib/dialects/sqlite3/index.js:228-229` },
  max: { value: 1, cite: `${SRC}:lib/dialects/sqlite3/index.js:228-229` },
};
export const KNEX_ERROR = 'Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?';

const isKnex = (spec: string) => spec === 'knex';

const JS_EXTENSIONS = ['', '.js', '.cjs', '.mjs', '.ts', '.cts', '.mts', '/index.js', '/index.ts', '/index.cjs', '/index.mjs'];

/**
 * What a relative module is, to the knex detector: 'reexport' when the file it resolves to
 * requires or imports knex (a project's `db/knex.js` handing the package on); 'missing' when no
 * file of the workspace is there (knex's own scripts require its source as `../../lib`, which a
 * checkout of the scripts alone does not hold); undefined otherwise (a module that is not knex).
 */
function relativeKnex(ctx: DetectorContext, spec: string): 'reexport' | 'missing' | undefined {
  if (!spec.startsWith('./') && !spec.startsWith('../')) return undefined;
  const base = path.resolve(path.dirname(ctx.file), spec);
  for (const ext of JS_EXTENSIONS) {
    const text = ctx.read(base + ext);
    if (text !== undefined) return /\brequire\(\s*['"]knex['"]\s*\)|\bfrom\s*['"]knex['"]/.test(text) ? 'reexport' : undefined;
  }
  return 'missing';
}

/**
 * The local names bound to knex: from the package, from a project module that re-exports it, and
 * from a relative module not in the workspace when the binding is named knex (`const Knex =
 * require('../../lib')`); calls of the last kind count only with a knex config (a `client` key).
 */
function knexNames(ctx: DetectorContext, root: SyntaxNode): { names: ModuleNames; byNameOnly: Set<string> } {
  const names = importedNames(root, isKnex);
  const kinds = new Map<string, 'reexport' | 'missing' | undefined>();
  const kindOf = (spec: string) => {
    if (!kinds.has(spec)) kinds.set(spec, relativeKnex(ctx, spec));
    return kinds.get(spec);
  };
  const reexported = importedNames(root, (spec) => kindOf(spec) === 'reexport');
  for (const n of reexported.module) names.module.add(n);
  for (const [local, exported] of reexported.named) names.named.set(local, exported);
  const byNameOnly = new Set<string>();
  const missing = importedNames(root, (spec) => kindOf(spec) === 'missing');
  for (const n of missing.module) if (/^knex$/i.test(n) && !names.module.has(n)) byNameOnly.add(n);
  for (const [local, exported] of missing.named) if (/^knex$/i.test(local) && exported === '' && !names.module.has(local)) byNameOnly.add(local);
  for (const n of byNameOnly) names.module.add(n);
  return { names, byNameOnly };
}

/** Database kind of a knex `client` name (knex lib/constants.js CLIENT_ALIASES and dialects). */
export function knexClientKind(client: string): DatabaseKind {
  if (/^(pg|postgres(ql)?|pgnative|cockroachdb|redshift)$/i.test(client)) return 'postgresql';
  if (/^(mysql2?|mariadb)$/i.test(client)) return 'mysql';
  if (/^(sqlite3?|better-sqlite3)$/i.test(client)) return 'sqlite';
  return 'unknown';
}

/** `module.exports = X`, `export default X`, `export = X`, or the named exports as one object. */
export function exportedValue(root: SyntaxNode, ev: JsEvaluator): { value: V; node: SyntaxNode } | undefined {
  const named = new Map<string, V>();
  let first: SyntaxNode | undefined;
  for (const stmt of root.namedChildren) {
    if (stmt.type === 'expression_statement') {
      const e = stmt.namedChildren[0];
      if (e?.type === 'assignment_expression' && e.childForFieldName('left')?.text.replace(/\s/g, '') === 'module.exports') {
        const right = e.childForFieldName('right')!;
        return { value: ev.evaluate(right), node: right };
      }
    }
    if (stmt.type === 'export_statement') {
      const value = stmt.childForFieldName('value') ?? (stmt.children.some((c) => c.type === 'default') ? stmt.namedChildren.find((c) => c.type !== 'comment') : undefined);
      if (value && stmt.children.some((c) => c.type === 'default' || c.type === '=')) return { value: ev.evaluate(value), node: value };
      const decl = stmt.childForFieldName('declaration');
      for (const d of decl?.descendantsOfType('variable_declarator') ?? []) {
        const name = d.childForFieldName('name');
        const v = d.childForFieldName('value');
        if (name?.type === 'identifier' && v) {
          named.set(name.text, ev.evaluate(v));
          first ??= v;
        }
      }
    }
  }
  if (named.size && first) return { value: { val: { t: 'dict', entries: named, nodes: [] } }, node: first };
  return undefined;
}

function str(v: V | undefined): string | undefined {
  return v?.val.t === 'str' ? v.val.v : undefined;
}

function databaseOf(ctx: DetectorContext, cfg: Map<string, V>): DatabaseInfo {
  const clientV = cfg.get('client');
  const client = str(clientV);
  const conn = cfg.get('connection');
  const url = str(conn) ?? str(conn?.val.t === 'dict' ? conn.val.entries.get('connectionString') : undefined);
  const parsed = url ? parseDbUrl(url) : undefined;
  const connSource = conn && url ? toSetting(conn.val.t === 'dict' ? conn.val.entries.get('connectionString')! : conn, undefined, ctx) : undefined;
  const source = connSource ? maskedUrlSetting(connSource) : undefined;
  if (client) {
    const kind = knexClientKind(client);
    const s = toSetting(clientV!, undefined, ctx);
    return { kind, how: `knex client '${client}' (${describeSource(s, ctx.rel)})${kind === 'unknown' ? ': not a database pool-lint models' : ''}`, scheme: parsed?.scheme, url: url ? maskUrl(url) : undefined, source };
  }
  if (parsed) return { kind: parsed.kind, how: `connection URL scheme '${parsed.scheme}'`, scheme: parsed.scheme, url: maskUrl(url!), source };
  return { kind: 'unknown', how: clientV ? `knex client ${clientV.val.t === 'unknown' ? `not known: ${clientV.val.reason}` : 'is not a name'}` : 'the knex config names no client' };
}

/** One profile's model of a knex config object (already evaluated in that profile). */
/** knex's version for this file: the nearest package.json's dependency, installed or locked, else the workspace pin. */
function knexVersion(ctx: DetectorContext): { version: string; source: string } {
  return npmVersion(ctx, ['knex']) ?? ctx.versions.get('knex') ?? { version: '3.x (assumed: no pin found)', source: 'assumed' };
}

function profileOf(ctx: DetectorContext, profile: string, envFiles: string[], cfgV: V, argNode: SyntaxNode | undefined, span: import('../model').Span): ProfileModel {
  const cfg = entriesOf(cfgV, 'the knex config');
  const entries = cfg.entries ?? new Map<string, V>();
  const database = cfg.entries ? databaseOf(ctx, entries) : { kind: 'unknown' as DatabaseKind, how: argNode ? describeOpaque(argNode, cfgV) : 'knex() without a config' };
  const poolV = entries.get('pool');
  const pool = entriesOf(poolV, 'the pool options');
  const opaque = cfg.opaque ?? pool.opaque;
  const defaults = database.kind === 'sqlite' ? SQLITE_DEFAULTS : KNEX_DEFAULTS;
  const settings = settingsFrom(ctx, pool.entries, opaque, defaults, { library: 'knex', version: versionLabel(knexVersion(ctx), '3.x') }, span);
  undefinedMeansDefault(settings, defaults);
  // knex takes the smaller of acquireConnectionTimeout (config) and pool.acquireTimeoutMillis
  const conf = entries.get('acquireConnectionTimeout');
  if (conf) {
    const c = toSetting(conf, undefined, ctx);
    const p = settings.acquireTimeoutMillis;
    if (p.source === 'default' || (typeof c.value === 'number' && typeof p.value === 'number' && c.value < p.value)) settings.acquireTimeoutMillis = { ...c, reason: 'acquireConnectionTimeout: knex uses the smaller of it and pool.acquireTimeoutMillis' };
  }
  return {
    profile,
    envFiles,
    database,
    poolClass: { name: 'tarn.Pool', source: 'default', reason: 'knex pools connections with tarn.js' },
    settings,
    insertTarget: objectTarget(ctx, poolV) ?? objectTarget(ctx, cfgV, 'pool'),
  };
}

function model(ctx: DetectorContext, node: SyntaxNode, constructor: string, profiles: Record<string, ProfileModel>): PoolModel {
  const span = nodeSpan(ctx.file, ctx.lines, node);
  return {
    id: `${ctx.file}:${span.line + 1}:${span.column + 1}`,
    library: 'knex',
    constructor,
    file: ctx.file,
    span,
    async: true,
    profiles,
    differsBetweenProfiles: differences(profiles),
    libraryVersion: knexVersion(ctx),
  };
}

export const knexDetector: Detector = {
  id: 'knex',
  languages: ['typescript', 'tsx', 'javascript'],
  prefilter: /['"]knex['"]|\bclient\s*:/,
  detect(ctx) {
    const root = ctx.tree.rootNode;
    if (/\b(jest|vi)\.mock\(\s*['"]knex['"]/.test(ctx.text)) return [];
    const { names, byNameOnly } = knexNames(ctx, root);
    const perProfile = evaluatorsFor(ctx, (env) => new JsEvaluator(root, env, implicitNodeEnv(env.name)));
    const models: PoolModel[] = [];
    const calls = root.descendantsOfType('call_expression').filter((c) => calleeIs(c.childForFieldName('function'), names, ['knex'], true, isKnex));
    for (const call of calls) {
      const arg = call.childForFieldName('arguments')?.namedChildren[0];
      const profiles: Record<string, ProfileModel> = {};
      let opaque = true;
      let client = false;
      for (const { profile, envFiles, ev } of perProfile) {
        const v = arg ? ev.evaluate(arg) : { val: { t: 'none' as const } };
        if (v.val.t === 'dict') {
          opaque = false;
          if (v.val.entries.has('client')) client = true;
        }
        profiles[profile] = profileOf(ctx, profile, envFiles.map((f) => f.file), v, arg, nodeSpan(ctx.file, ctx.lines, call));
      }
      // a function named knex from a module pool-lint cannot read is knex only when given a knex config
      const callee = call.childForFieldName('function');
      if (callee?.type === 'identifier' && byNameOnly.has(callee.text) && !client) continue;
      // `knex(require('./knexfile')[env])`: the knexfile's own model holds the values
      if (opaque && /knexfile/i.test(ctx.text)) continue;
      models.push(model(ctx, call, 'knex()', profiles));
    }
    if (calls.length === 0 && /^knexfile\.[cm]?[jt]s$/i.test(path.basename(ctx.file))) models.push(...knexfile(ctx, perProfile));
    return models;
  },
};

/** A knexfile: one config for every profile, or a section per environment. */
function knexfile(ctx: DetectorContext, perProfile: ReturnType<typeof evaluatorsFor<JsEvaluator>>): PoolModel[] {
  const profiles: Record<string, ProfileModel> = {};
  let node: SyntaxNode | undefined;
  for (const { profile, envFiles, ev } of perProfile) {
    const exp = exportedValue(ctx.tree.rootNode, ev);
    if (!exp || exp.value.val.t !== 'dict') continue;
    node ??= exp.node;
    const top = exp.value.val.entries;
    let cfg: V | undefined;
    if (top.has('client') || top.has('connection')) cfg = exp.value;
    else {
      const env = ev.env.get('NODE_ENV');
      const wanted = env?.value ?? implicitNodeEnv(profile).NODE_ENV;
      cfg = (wanted !== undefined ? top.get(wanted) : undefined) ?? (env ? undefined : top.get('development'));
      if (!cfg || cfg.val.t !== 'dict') continue;
    }
    const span = nodeSpan(ctx.file, ctx.lines, exp.node);
    profiles[profile] = profileOf(ctx, profile, envFiles.map((f) => f.file), cfg, undefined, span);
  }
  if (!node || Object.keys(profiles).length === 0) return [];
  return [model(ctx, node, 'knexfile', profiles)];
}

export type { Setting };
