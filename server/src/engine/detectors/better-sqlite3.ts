// better-sqlite3: `new Database(path, { timeout })` (or `Database(path)`, `require('better-sqlite3')(path)`)
// becomes a model of one connection, with the PRAGMAs the module runs (`db.pragma('journal_mode = WAL')`,
// `db.exec("PRAGMA ...")`), the busy timeout (the `timeout` option, 5000 ms by default), whether a web
// server uses it, and whether it is kept at module level.
// Defaults: WiseLibs/better-sqlite3@dbc2ea11 lib/database.js:33 (`'timeout' in options ? options.timeout : 5000`),
// docs/api.md:37 ("options.timeout ... (default: 5000)").
import * as path from 'path';
import type { SyntaxNode } from '../syntax';
import { npmVersion } from '../versions';
import { nodeSpan } from '../syntax';
import type { DatabaseInfo, PoolModel, ProfileModel, Setting, SqliteFacts } from '../model';
import { JsEvaluator } from '../js/evaluator';
import { toSetting } from '../python/settings';
import { truncate } from '../python/evaluator';
import { differences, evaluatorsFor, manifestsFor, type Detector, type DetectorContext } from './types';

const MODULE = 'better-sqlite3';
const SRC = 'WiseLibs/better-sqlite3@dbc2ea11';
const TIMEOUT_CITE = `${SRC}:lib/database.js:33 ('timeout' in options ? options.timeout : 5000); docs/api.md:37`;

/** Web frameworks whose presence means the module serves concurrent requests. */
const WEB_MODULES = /^(?:express|fastify|koa|@koa\/[\w.-]+|@hapi\/hapi|hapi|next|next\/[\w./-]+|@nestjs\/[\w.-]+|hono|hono\/[\w./-]+|@hono\/[\w.-]+)$/;
const WEB_DEPENDENCIES = ['express', 'fastify', 'koa', '@hapi/hapi', 'hapi', 'next', '@nestjs/core', 'hono'];

/** Local names that construct a connection: the default import, a CommonJS require, a namespace. */
function databaseNames(root: SyntaxNode): Set<string> {
  const names = new Set<string>();
  const sourceOf = (n: SyntaxNode | null) => n?.namedChildren.map((c) => c.text).join('') ?? '';
  for (const imp of root.descendantsOfType('import_statement')) {
    if (/^import\s+type\b/.test(imp.text)) continue;
    const req = imp.namedChildren.find((c) => c.type === 'import_require_clause');
    if (req) {
      // TS: import Database = require('better-sqlite3')
      if (sourceOf(req.childForFieldName('source')) === MODULE) {
        const id = req.namedChildren.find((c) => c.type === 'identifier');
        if (id) names.add(id.text);
      }
      continue;
    }
    if (sourceOf(imp.childForFieldName('source')) !== MODULE) continue;
    const clause = imp.namedChildren.find((c) => c.type === 'import_clause');
    for (const c of clause?.namedChildren ?? []) {
      if (c.type === 'identifier') names.add(c.text);
      if (c.type === 'namespace_import') {
        const id = c.namedChildren[0];
        if (id) names.add(id.text);
      }
      if (c.type === 'named_imports') {
        for (const s of c.namedChildren) {
          if (s.type !== 'import_specifier' || /^type\s/.test(s.text)) continue;
          if (s.childForFieldName('name')?.text === 'default') names.add(s.childForFieldName('alias')?.text ?? 'default');
        }
      }
    }
  }
  for (const d of root.descendantsOfType('variable_declarator')) {
    const value = d.childForFieldName('value');
    const name = d.childForFieldName('name');
    if (value && name?.type === 'identifier' && isRequire(value)) names.add(name.text);
  }
  return names;
}

/** `require('better-sqlite3')`, possibly in parentheses. */
function isRequire(n: SyntaxNode): boolean {
  let cur = n;
  while (cur.type === 'parenthesized_expression' && cur.namedChildren[0]) cur = cur.namedChildren[0];
  return /^require\(\s*['"]better-sqlite3['"]\s*\)$/.test(cur.text.replace(/\s/g, ''));
}

/** The connections made in the module: `new Database(..)`, `Database(..)`, `require('better-sqlite3')(..)`. */
function constructions(root: SyntaxNode, names: Set<string>): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (const n of root.descendantsOfType(['new_expression', 'call_expression'])) {
    const callee = n.type === 'new_expression' ? n.childForFieldName('constructor') : n.childForFieldName('function');
    if (!callee) continue;
    if ((callee.type === 'identifier' && names.has(callee.text)) || isRequire(callee)) out.push(n);
  }
  return out;
}

/** Where the connection goes: a variable (module-level or local), `this.x`, or nowhere. */
function holderOf(n: SyntaxNode): { kind: 'module' | 'self' | 'local' | 'none'; name?: string; statement?: SyntaxNode } {
  let p = n.parent;
  while (p && ['parenthesized_expression', 'as_expression', 'satisfies_expression', 'non_null_expression'].includes(p.type)) p = p.parent;
  if (p?.type === 'variable_declarator') {
    const name = p.childForFieldName('name');
    let stmt: SyntaxNode | null = p.parent;
    const moduleLevel = stmt?.parent?.type === 'program' || stmt?.parent?.type === 'export_statement';
    if (stmt?.parent?.type === 'export_statement') stmt = stmt.parent;
    if (name?.type !== 'identifier') return { kind: 'none' };
    return { kind: moduleLevel ? 'module' : 'local', name: name.text, statement: stmt ?? undefined };
  }
  if (p?.type === 'assignment_expression') {
    const left = p.childForFieldName('left');
    const statement = p.parent?.type === 'expression_statement' ? p.parent : undefined;
    if (!left) return { kind: 'none' };
    if (left.type === 'member_expression' && left.childForFieldName('object')?.type === 'this') return { kind: 'self', name: left.text.replace(/\s/g, ''), statement };
    if (left.type === 'identifier') return { kind: declaredInFunction(left.text, p) ? 'local' : 'module', name: left.text, statement };
  }
  return { kind: 'none' };
}

const FUNCTIONS = ['function_declaration', 'function_expression', 'function', 'arrow_function', 'method_definition', 'generator_function_declaration'];

/** Whether `name` is declared (let/const/var or a parameter) in a function that encloses `at`. */
function declaredInFunction(name: string, at: SyntaxNode): boolean {
  for (let f = at.parent; f; f = f.parent) {
    if (!FUNCTIONS.includes(f.type)) continue;
    const params = f.childForFieldName('parameters') ?? f.childForFieldName('parameter');
    if (params && (params.text === name || params.descendantsOfType('identifier').some((i) => i.text === name))) return true;
    const body = f.childForFieldName('body');
    for (const d of body?.descendantsOfType('variable_declarator') ?? []) {
      if (d.childForFieldName('name')?.text === name) return true;
    }
  }
  return false;
}

/** The text of a string or a template without substitutions. */
function stringValue(n: SyntaxNode | undefined): string | undefined {
  if (!n) return undefined;
  if (n.type === 'string') return n.namedChildren.map((c) => c.text).join('');
  if (n.type === 'template_string' && !n.namedChildren.some((c) => c.type === 'template_substitution')) return n.namedChildren.map((c) => c.text).join('');
  return undefined;
}

/**
 * The journal_mode and busy_timeout PRAGMAs the module runs: `x.pragma('journal_mode = WAL')` (the
 * PRAGMA keyword optional), and `PRAGMA journal_mode=WAL` in any string (`x.exec(..)`, `x.prepare(..)`).
 * journal_mode=WAL is persistent in the database file, so any connection of the module setting it counts.
 */
function pragmasIn(root: SyntaxNode): Map<string, { value: string; node: SyntaxNode }> {
  const out = new Map<string, { value: string; node: SyntaxNode }>();
  for (const s of root.descendantsOfType(['string', 'template_string'])) {
    const text = stringValue(s);
    if (text === undefined) continue;
    const args = s.parent?.type === 'arguments' ? s.parent : undefined;
    const fn = args?.parent?.type === 'call_expression' ? args.parent.childForFieldName('function') : undefined;
    const isPragmaCall = fn?.type === 'member_expression' && fn.childForFieldName('property')?.text === 'pragma' && args!.namedChildren[0]?.id === s.id;
    const re = isPragmaCall ? /^\s*(?:PRAGMA\s+)?(?:main\.)?(journal_mode|busy_timeout)\s*=\s*['"]?(\w+)/i : /PRAGMA\s+(?:main\.)?(journal_mode|busy_timeout)\s*=\s*['"]?(\w+)/i;
    const m = re.exec(text);
    if (m) out.set(m[1].toLowerCase(), { value: m[2].toLowerCase(), node: isPragmaCall ? args!.parent! : s });
  }
  return out;
}


function dependencies(text: string): Record<string, string> {
  try {
    const j = JSON.parse(text) as { dependencies?: Record<string, string> };
    return j.dependencies && typeof j.dependencies === 'object' ? j.dependencies : {};
  } catch {
    return {};
  }
}

/** Whether a web server uses the module: its own imports, else a dependency of its package. */
function serverOf(root: SyntaxNode, ctx: DetectorContext): { value: boolean; how: string } {
  for (const imp of root.descendantsOfType('import_statement')) {
    const src = imp.childForFieldName('source')?.namedChildren.map((c) => c.text).join('');
    if (src && WEB_MODULES.test(src) && !/^import\s+type\b/.test(imp.text)) return { value: true, how: `this module imports ${src}` };
  }
  for (const call of root.descendantsOfType('call_expression')) {
    if (call.childForFieldName('function')?.text !== 'require') continue;
    const src = stringValue(call.childForFieldName('arguments')?.namedChildren[0]);
    if (src && WEB_MODULES.test(src)) return { value: true, how: `this module requires ${src}` };
  }
  for (const m of manifestsFor(ctx, 'package.json')) {
    const deps = dependencies(m.text);
    const hit = WEB_DEPENDENCIES.find((d) => d in deps);
    if (hit) return { value: true, how: `${ctx.rel(m.file)} depends on ${hit}` };
  }
  return { value: false, how: 'no sign of a web server in this module or its package.json' };
}

function libraryVersion(ctx: DetectorContext): { version: string; source: string } {
  return npmVersion(ctx, [MODULE]) ?? { version: '13.x (assumed: no pin found)', source: 'assumed' };
}

/** better-sqlite3 rejects a timeout that is not a non-negative integer (lib/database.js:39-40). */
function checkTimeout(s: Setting): Setting {
  if (s.source === 'default' || s.value === undefined) return s;
  const v = s.value;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff) return s;
  // `'timeout' in options` is true for a written undefined too, so it is not the default
  const shown = typeof v === 'string' ? `the string '${v}' (wrap process.env values in Number())` : v === null ? 'undefined or null' : String(v);
  const error = typeof v === 'number' && Number.isInteger(v) && v > 0x7fffffff ? 'RangeError: Option "timeout" cannot be greater than 2147483647' : 'TypeError: Expected the "timeout" option to be a positive integer';
  return { ...s, value: undefined, crash: `timeout is ${shown}: new Database() throws ${error} (${SRC}:lib/database.js:39-40)` };
}

export const betterSqlite3Detector: Detector = {
  id: 'better-sqlite3',
  languages: ['typescript', 'tsx', 'javascript'],
  prefilter: /['"]better-sqlite3['"]/,
  detect: (ctx) => detectBetterSqlite3(ctx),
};

function detectBetterSqlite3(ctx: DetectorContext): PoolModel[] {
  const root = ctx.tree.rootNode;
  // a test that mocks the library opens no database
  if (/\b(jest|vi)\.mock\(\s*['"]better-sqlite3['"]/.test(ctx.text)) return [];
  const names = databaseNames(root);
  const made = constructions(root, names);
  if (made.length === 0) return [];
  const pragmas = pragmasIn(root);
  const server = serverOf(root, ctx);
  const version = libraryVersion(ctx);
  const perProfile = evaluatorsFor(ctx, (env) => new JsEvaluator(root, env));
  const models: PoolModel[] = [];
  for (const n of made) {
    const span = nodeSpan(ctx.file, ctx.lines, n);
    const args = (n.childForFieldName('arguments')?.namedChildren ?? []).filter((a) => a.type !== 'comment');
    const profiles: Record<string, ProfileModel> = {};
    for (const { profile, envFiles, ev } of perProfile) {
      const optsV = args[1] ? ev.evaluate(args[1]) : undefined;
      const opts = optsV?.val.t === 'dict' ? optsV.val.entries : undefined;
      const opaque = args[1] && !opts ? `the options ${truncate(args[1].text, 40)} are not known (${optsV?.val.t === 'unknown' ? optsV.val.reason : 'not an object'})` : opts?.has('*') ? 'a spread or computed key in the options' : undefined;
      const option = (name: string, def: Setting): Setting => {
        const v = opts?.get(name);
        if (v) return toSetting(v, undefined, ctx);
        if (opaque) return { value: undefined, source: 'unknown', reason: `may be set by ${opaque}`, span };
        return def;
      };
      const filename: Setting = args[0]
        ? toSetting(ev.evaluate(args[0]), args[0], ctx)
        : { value: '', source: 'default', reason: 'no path: a temporary database', default: { library: MODULE, version: version.version, cite: `${SRC}:lib/database.js:19` } };
      const settings: Record<string, Setting> = {
        filename,
        timeout: checkTimeout(option('timeout', { value: 5000, source: 'default', default: { library: MODULE, version: version.version, cite: TIMEOUT_CITE } })),
        readonly: option('readonly', { value: false, source: 'default', default: { library: MODULE, version: version.version, cite: `${SRC}:docs/api.md:33` } }),
      };
      const file = typeof filename.value === 'string' ? filename.value.trim() : undefined;
      const buffer = args[0] && /^Buffer\.|serialize\(\)/.test(args[0].text);
      const database: DatabaseInfo = {
        kind: 'sqlite',
        how: 'better-sqlite3 opens SQLite databases only',
        url: buffer ? ':memory:' : file,
        source: args[0] ? filename : undefined,
        // '' and ':memory:' are private to the connection (lib/database.js:30: anonymous)
        memory: buffer || file === '' || file === ':memory:' ? true : file === undefined ? undefined : false,
      };
      profiles[profile] = {
        profile,
        envFiles: envFiles.map((f) => f.file),
        database,
        poolClass: { name: 'Database', source: 'default', reason: 'one better-sqlite3 connection; its calls are synchronous and run on the calling thread' },
        settings,
      };
    }
    const first = Object.values(profiles)[0];
    const timeout = first.settings.timeout;
    const jm = pragmas.get('journal_mode');
    const bt = pragmas.get('busy_timeout');
    const holder = holderOf(n);
    const sqlite: SqliteFacts = {
      journalMode: jm
        ? { value: jm.value, source: 'literal', span: nodeSpan(ctx.file, ctx.lines, jm.node), text: jm.node.text }
        : { value: 'delete', source: 'default', default: { library: 'SQLite', version: '3', cite: 'SQLite default journal_mode=DELETE (pool-facts §6); better-sqlite3 sets no journal mode; WAL persists in the database file once set' } },
      busyTimeoutMs: bt
        ? { value: Number(bt.value), source: 'literal', span: nodeSpan(ctx.file, ctx.lines, bt.node), text: bt.node.text }
        : typeof timeout.value === 'number'
          ? { ...timeout, reason: timeout.reason ?? 'the timeout option sets the busy timeout' }
          : { value: undefined, source: 'unknown', reason: timeout.crash ?? timeout.reason ?? 'timeout is not known' },
      server,
      shared: holder.kind === 'module' || holder.kind === 'self' ? { holder: holder.name!, kind: holder.kind } : undefined,
      insertAfter: holder.statement ? nodeSpan(ctx.file, ctx.lines, holder.statement) : undefined,
      connection: holder.name,
      awaited: false,
    };
    models.push({
      id: `${ctx.file}:${span.line + 1}:${span.column + 1}`,
      library: MODULE,
      constructor: n.type === 'new_expression' ? 'new Database' : 'Database',
      file: ctx.file,
      span,
      async: false,
      profiles,
      differsBetweenProfiles: differences(profiles),
      libraryVersion: version,
      sqlite,
    });
  }
  return models;
}
