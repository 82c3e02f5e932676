// Python SQLite usage: sqlite3.connect / aiosqlite.connect become pool models (one connection each),
// with the PRAGMAs the file executes (journal_mode, busy_timeout, synchronous), the busy timeout the
// driver sets (sqlite3's timeout=5.0 by default, which aiosqlite passes through), and whether the one
// connection is kept on self or the module and shared by every call (seed 001's _ensure_connection).
import type { SyntaxNode } from '../syntax';
import { nodeSpan } from '../syntax';
import type { PoolModel, ProfileModel, Setting, SqliteFacts } from '../model';
import { PyEvaluator } from '../python/evaluator';
import { toSetting } from '../python/settings';
import { differences, evaluatorsFor, type Detector, type DetectorContext } from './types';

const DRIVERS = new Set(['sqlite3', 'aiosqlite']);
export const WEB_FRAMEWORK = /^\s*(?:from|import)\s+(fastapi|flask|django|starlette|aiohttp|quart|sanic|litestar|tornado|falcon|bottle|uvicorn|gunicorn|socketio|websockets)\b/m;

/** Local names of sqlite3/aiosqlite modules and of their connect functions. */
function connectNames(root: SyntaxNode): { modules: Map<string, string>; direct: Map<string, string> } {
  const modules = new Map<string, string>();
  const direct = new Map<string, string>();
  for (const imp of root.descendantsOfType('import_statement')) {
    for (const n of imp.childrenForFieldName('name')) {
      const name = n.type === 'aliased_import' ? n.childForFieldName('name')?.text : n.text;
      const alias = n.type === 'aliased_import' ? n.childForFieldName('alias')?.text : n.text;
      if (name && alias && DRIVERS.has(name)) modules.set(alias, name);
    }
  }
  for (const imp of root.descendantsOfType('import_from_statement')) {
    const mod = imp.childForFieldName('module_name')?.text ?? '';
    for (const n of imp.childrenForFieldName('name')) {
      const name = n.type === 'aliased_import' ? n.childForFieldName('name')?.text : n.text;
      const alias = n.type === 'aliased_import' ? n.childForFieldName('alias')?.text : n.text;
      if (!name || !alias) continue;
      if (DRIVERS.has(mod) && name === 'connect') direct.set(alias, mod);
      // the driver module re-exported by a module of the project (datasette's `from .utils
      // import sqlite3`, which is sqlite3 or its pysqlite3 drop-in)
      else if (!DRIVERS.has(mod) && DRIVERS.has(name)) modules.set(alias, name);
    }
  }
  return { modules, direct };
}

function driverOf(call: SyntaxNode, names: ReturnType<typeof connectNames>): string | undefined {
  const fn = call.childForFieldName('function');
  if (!fn) return undefined;
  if (fn.type === 'identifier') return names.direct.get(fn.text);
  if (fn.type === 'attribute' && fn.childForFieldName('attribute')?.text === 'connect') return names.modules.get(fn.childForFieldName('object')?.text ?? '');
  return undefined;
}

/** PRAGMA statements written as string literals anywhere in the file (execute calls, lists of PRAGMAs). */
export function pragmasIn(root: SyntaxNode): Map<string, { value: string; node: SyntaxNode }> {
  const out = new Map<string, { value: string; node: SyntaxNode }>();
  for (const s of root.descendantsOfType('string')) {
    const m = /PRAGMA\s+(journal_mode|busy_timeout|synchronous)\s*=\s*['"]?(\w+)/i.exec(s.text);
    if (m) out.set(m[1].toLowerCase(), { value: m[2].toLowerCase(), node: s });
  }
  return out;
}

/** The journal mode and busy-timeout PRAGMAs a Python file runs, as settings (the default mode when none). */
export function pragmaSettings(root: SyntaxNode, ctx: DetectorContext): { journalMode: Setting; busyTimeoutMs?: Setting } {
  const pragmas = pragmasIn(root);
  const jm = pragmas.get('journal_mode');
  const bt = pragmas.get('busy_timeout');
  return {
    journalMode: jm
      ? { value: jm.value, source: 'literal', span: nodeSpan(ctx.file, ctx.lines, jm.node), text: jm.node.text }
      : { value: 'delete', source: 'default', default: { library: 'SQLite', version: '3', cite: 'SQLite default journal_mode=DELETE (pool-facts §6); WAL persists in the database file once set' } },
    busyTimeoutMs: bt ? { value: Number(bt.value), source: 'literal', span: nodeSpan(ctx.file, ctx.lines, bt.node), text: bt.node.text } : undefined,
  };
}

/** Where the connection goes: `self.x = ...`, a module global, a local name, or `async with ... as db`. */
function holderOf(call: SyntaxNode): { kind: 'self' | 'module' | 'local' | 'with' | 'none'; name?: string; statement?: SyntaxNode; body?: SyntaxNode } {
  let n: SyntaxNode = call;
  while (n.parent && (n.parent.type === 'await' || n.parent.type === 'parenthesized_expression')) n = n.parent;
  const p = n.parent;
  if (p?.type === 'assignment') {
    const left = p.childForFieldName('left');
    const stmt = p.parent?.type === 'expression_statement' ? p.parent : undefined;
    if (left?.type === 'attribute' && left.childForFieldName('object')?.text === 'self') return { kind: 'self', name: left.text, statement: stmt };
    if (left?.type === 'identifier') {
      let fn: SyntaxNode | null = p.parent;
      while (fn && fn.type !== 'function_definition') fn = fn.parent;
      const isGlobal = !fn || fn.descendantsOfType('global_statement').some((g) => g.namedChildren.some((id) => id.text === left.text));
      return { kind: isGlobal ? 'module' : 'local', name: left.text, statement: stmt };
    }
  }
  if (p?.type === 'as_pattern') {
    const alias = p.childForFieldName('alias')?.namedChildren[0];
    let w: SyntaxNode | null = p.parent;
    while (w && w.type !== 'with_statement') w = w.parent;
    return { kind: 'with', name: alias?.text, body: w?.childForFieldName('body') ?? undefined };
  }
  return { kind: 'none' };
}

export const sqlitePythonDetector: Detector = {
  id: 'sqlite-python',
  languages: ['python'],
  prefilter: /\b(aiosqlite|sqlite3)\b/,
  detect(ctx: DetectorContext): PoolModel[] {
    const root = ctx.tree.rootNode;
    const names = connectNames(root);
    if (names.modules.size === 0 && names.direct.size === 0) return [];
    const calls = root.descendantsOfType('call').filter((c) => driverOf(c, names));
    if (calls.length === 0) return [];
    const webFile = WEB_FRAMEWORK.test(ctx.text);
    const pragma = pragmaSettings(root, ctx); // the file's PRAGMAs, read once for all its connections
    const models: PoolModel[] = [];
    const perProfile = evaluatorsFor(ctx, (env) => new PyEvaluator(root, env, { file: ctx.file, loader: ctx.modules }));
    for (const call of calls) {
      const driver = driverOf(call, names)!;
      const span = nodeSpan(ctx.file, ctx.lines, call);
      const holder = holderOf(call);
      const profiles: Record<string, ProfileModel> = {};
      for (const { profile, envFiles, ev } of perProfile) {
        const frame = ev.frameAt(call);
        const args = call.childForFieldName('arguments')?.namedChildren.filter((a) => a.type !== 'comment') ?? [];
        const positional = args.filter((a) => a.type !== 'keyword_argument' && a.type !== 'dictionary_splat' && a.type !== 'list_splat');
        const kw = (n: string) => args.find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === n)?.childForFieldName('value') ?? undefined;
        const setting = (node: SyntaxNode | undefined, def: Setting): Setting => (node ? toSetting(ev!.evalIn(node, frame), node, ctx) : def);
        const dbNode = positional[0] ?? kw('database');
        const settings: Record<string, Setting> = {
          database: setting(dbNode, { value: undefined, source: 'unknown', reason: 'no database argument' }),
          timeout: setting(positional[1] ?? kw('timeout'), { value: 5, source: 'default', default: { library: 'sqlite3', version: 'CPython 3', cite: 'https://docs.python.org/3/library/sqlite3.html#sqlite3.connect (timeout=5.0)' } }),
          check_same_thread: setting(kw('check_same_thread'), { value: true, source: 'default', default: { library: 'sqlite3', version: 'CPython 3', cite: 'https://docs.python.org/3/library/sqlite3.html#sqlite3.connect' } }),
          isolation_level: setting(kw('isolation_level'), { value: '', source: 'default', default: { library: 'sqlite3', version: 'CPython 3', cite: 'https://docs.python.org/3/library/sqlite3.html#sqlite3.connect' } }),
        };
        const path = typeof settings.database.value === 'string' ? settings.database.value : undefined;
        profiles[profile] = {
          profile,
          envFiles: envFiles.map((f) => f.file),
          database: { kind: 'sqlite', how: `${driver}.connect`, url: path, memory: path === ':memory:' },
          poolClass: { name: driver === 'aiosqlite' ? 'aiosqlite.Connection' : 'sqlite3.Connection', source: 'default', reason: driver === 'aiosqlite' ? 'one connection, served by one thread: every call on it is serialized (aiosqlite core.py)' : 'one connection' },
          settings,
        };
      }
      const first = Object.values(profiles)[0];
      const timeout = first.settings.timeout;
      const sqlite: SqliteFacts = {
        journalMode: pragma.journalMode,
        busyTimeoutMs:
          pragma.busyTimeoutMs ??
          (typeof timeout.value === 'number'
            ? { ...timeout, value: Math.round(timeout.value * 1000), reason: `${driver}.connect(timeout=${timeout.value}) sets the busy handler` }
            : { value: undefined, source: 'unknown', reason: timeout.reason ?? 'timeout is not known' }),
        server: driver === 'aiosqlite'
          ? { value: true, how: 'aiosqlite serves an async application' }
          : webFile
            ? { value: true, how: 'this module imports a web framework' }
            : { value: false, how: 'no sign of a concurrent server in this module' },
        shared: holder.kind === 'self' || holder.kind === 'module' ? { holder: holder.name!, kind: holder.kind } : undefined,
        insertAfter: holder.statement ? nodeSpan(ctx.file, ctx.lines, holder.statement) : undefined,
        insertInto: holder.kind === 'with' && holder.body ? nodeSpan(ctx.file, ctx.lines, holder.body) : undefined,
        connection: holder.name,
        awaited: driver === 'aiosqlite',
      };
      models.push({
        id: `${ctx.file}:${span.line + 1}:${span.column + 1}`,
        library: driver,
        constructor: `${driver}.connect`,
        file: ctx.file,
        span,
        async: driver === 'aiosqlite',
        profiles,
        differsBetweenProfiles: differences(profiles),
        libraryVersion: { version: driver === 'aiosqlite' ? '0.x' : 'CPython 3', source: 'assumed' },
        sqlite,
      });
    }
    return models;
  },
};
