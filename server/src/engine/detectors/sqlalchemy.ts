// SQLAlchemy: create_engine / create_async_engine calls become pool models.
// Defaults: sqlalchemy rel_2_0 lib/sqlalchemy/engine/create.py and pool/impl.py (see pool-facts §1).
import type { SyntaxNode } from '../syntax';
import { nodeSpan } from '../syntax';
import type { InsertTarget, PoolModel, ProfileModel, Setting, DatabaseInfo, SqliteFacts } from '../model';
import { pragmaSettings, WEB_FRAMEWORK } from './sqlite-python';
import { PyEvaluator, truncate } from '../python/evaluator';
import type { V } from '../python/values';
import { toSetting, describeSource } from '../python/settings';
import { parseDbUrl, maskUrl } from '../urls';
import { differences, evaluatorsFor, type Detector, type DetectorContext } from './types';
import { compareVersions } from '../versions';

export const SQLALCHEMY_ASSUMED_VERSION = '2.0';

/**
 * The SQLAlchemy release a pool default is labelled with: the pinned one (major.minor) from 1.3,
 * since when create_engine's pool defaults are the ones cited (pool_size 5, max_overflow 10,
 * pool_timeout 30, pool_recycle -1, pool_pre_ping and pool_use_lifo False; pool_use_lifo came in
 * 1.3), else the assumed 2.0.
 */
export function sqlalchemyDefaultsLabel(pinned: string | undefined): string {
  const m = pinned ? /^(\d+)\.(\d+)/.exec(pinned) : null;
  if (!m || compareVersions(`${m[1]}.${m[2]}`, '1.3') < 0) return SQLALCHEMY_ASSUMED_VERSION;
  return `${m[1]}.${m[2]}`;
}

const SRC = 'sqlalchemy@rel_2_0:lib/sqlalchemy';
export const SQLALCHEMY_DEFAULTS: Record<string, { value: number | boolean | null; cite: string }> = {
  pool_size: { value: 5, cite: `${SRC}/engine/create.py:441; pool/impl.py:75` },
  max_overflow: { value: 10, cite: `${SRC}/engine/create.py:382; pool/impl.py:76` },
  pool_timeout: { value: 30, cite: `${SRC}/engine/create.py:474; pool/impl.py:77` },
  pool_recycle: { value: -1, cite: `${SRC}/engine/create.py:449; pool/base.py:171` },
  pool_pre_ping: { value: false, cite: `${SRC}/engine/create.py:431; pool/base.py:177` },
  poolclass: { value: null, cite: `${SRC}/engine/create.py:414,671-673 (the dialect picks)` },
  pool_use_lifo: { value: false, cite: `${SRC}/engine/create.py:482; pool/impl.py:78` },
};
export const SQLALCHEMY_SETTINGS = Object.keys(SQLALCHEMY_DEFAULTS);

/** Which create_engine pool arguments each pool class accepts (create.py:674-681, verified by running). */
export const POOL_CLASS_ACCEPTS: Record<string, string[]> = {
  QueuePool: ['pool_size', 'max_overflow', 'pool_timeout', 'pool_use_lifo'],
  AsyncAdaptedQueuePool: ['pool_size', 'max_overflow', 'pool_timeout', 'pool_use_lifo'],
  FallbackAsyncAdaptedQueuePool: ['pool_size', 'max_overflow', 'pool_timeout', 'pool_use_lifo'],
  SingletonThreadPool: ['pool_size'],
  NullPool: [],
  StaticPool: [],
  AssertionPool: [],
};

const CONSTRUCTORS = new Set(['create_engine', 'create_async_engine']);
// sqlmodel re-exports SQLAlchemy's create_engine with the same arguments
const MODULES = ['sqlalchemy', 'sqlalchemy.ext.asyncio', 'sqlalchemy.engine', 'sqlalchemy.engine.create', 'sqlalchemy.ext.asyncio.engine', 'sqlmodel'];

/** Local names that mean create_engine/create_async_engine, from the file's imports. */
function constructorNames(root: SyntaxNode): { direct: Map<string, string>; modules: Set<string> } {
  const direct = new Map<string, string>();
  const modules = new Set<string>();
  for (const imp of root.descendantsOfType('import_from_statement')) {
    const mod = imp.childForFieldName('module_name')?.text ?? '';
    if (!MODULES.includes(mod)) continue;
    for (const n of imp.childrenForFieldName('name')) {
      const name = n.type === 'aliased_import' ? n.childForFieldName('name')?.text : n.text;
      const alias = n.type === 'aliased_import' ? n.childForFieldName('alias')?.text : n.text;
      if (name && alias && CONSTRUCTORS.has(name)) direct.set(alias, name);
    }
  }
  for (const imp of root.descendantsOfType('import_statement')) {
    for (const n of imp.childrenForFieldName('name')) {
      const name = n.type === 'aliased_import' ? n.childForFieldName('name')?.text : n.text;
      const alias = n.type === 'aliased_import' ? n.childForFieldName('alias')?.text : n.text;
      if (name && alias && MODULES.includes(name)) modules.add(alias);
    }
  }
  return { direct, modules };
}

function constructorOf(call: SyntaxNode, names: ReturnType<typeof constructorNames>): string | undefined {
  const fn = call.childForFieldName('function');
  if (!fn) return undefined;
  if (fn.type === 'identifier') return names.direct.get(fn.text);
  if (fn.type === 'attribute') {
    const attr = fn.childForFieldName('attribute')?.text ?? '';
    const obj = fn.childForFieldName('object')?.text ?? '';
    if (CONSTRUCTORS.has(attr) && names.modules.has(obj)) return attr;
    // sqlalchemy.ext.asyncio.create_async_engine with `import sqlalchemy`
    if (CONSTRUCTORS.has(attr) && [...names.modules].some((m) => obj.startsWith(`${m}.`) && MODULES.includes(obj.replace(m, 'sqlalchemy')))) return attr;
  }
  return undefined;
}

export interface CallArgs {
  url?: { v: V; node: SyntaxNode };
  kwargs: Map<string, { v: V; node?: SyntaxNode }>;
  insert?: InsertTarget;
  /** A splat whose keys are not known: settings may hide in it. */
  opaque?: string;
}

/** A Python call's arguments under one profile: the URL (first positional or `urlName=`), keywords, ** dicts. */
export function readArgs(call: SyntaxNode, ev: PyEvaluator, ctx: DetectorContext, urlName = 'url'): CallArgs {
  const frame = ev.frameAt(call);
  const argList = call.childForFieldName('arguments');
  const out: CallArgs = { kwargs: new Map() };
  let positional = 0;
  let lastDict: SyntaxNode | undefined;
  let hasKeywords = false;
  for (const a of argList?.namedChildren ?? []) {
    if (a.type === 'comment') continue;
    if (a.type === 'keyword_argument') {
      const name = a.childForFieldName('name')?.text;
      const value = a.childForFieldName('value');
      if (!name || !value) continue;
      hasKeywords = true;
      const v = ev.evalIn(value, frame);
      if (name === urlName) out.url = { v, node: value };
      else out.kwargs.set(name, { v, node: value });
    } else if (a.type === 'dictionary_splat') {
      const inner = a.namedChildren[0];
      const d = ev.evalIn(inner, frame);
      if (d.val.t === 'dict') {
        for (const [k, v] of d.val.entries) {
          if (k === '*') out.opaque = `**${truncate(inner.text, 40)}, whose keys are not all known (${v.val.t === 'unknown' ? v.val.reason : 'a computed key'})`;
          else out.kwargs.set(k, { v });
        }
        const dictNodes = d.val.nodes.filter((n) => n.type === 'dictionary');
        lastDict = dictNodes[dictNodes.length - 1];
      } else {
        out.opaque = `**${truncate(inner.text, 40)}, which is not known (${d.val.t === 'unknown' ? d.val.reason : d.val.t === 'error' ? d.val.message : 'not a dict'})`;
      }
    } else if (a.type !== 'list_splat') {
      if (positional === 0) out.url = { v: ev.evalIn(a, frame), node: a };
      positional++;
    }
  }
  // New settings go where the file already writes them: into the splatted dict literal when the
  // call passes its options that way, else into the call itself.
  if (lastDict && !hasKeywords) out.insert = { kind: 'dict', span: nodeSpan(ctx.file, ctx.lines, lastDict) };
  else if (argList) out.insert = { kind: 'call', span: nodeSpan(ctx.file, ctx.lines, argList) };
  return out;
}

export function databaseOf(url: { v: V; node: SyntaxNode } | undefined, ctx: DetectorContext): DatabaseInfo {
  if (!url) return { kind: 'unknown', how: 'the call passes no URL' };
  const source = toSetting(url.v, url.node, ctx);
  const text = url.v.val.t === 'str' ? url.v.val.v : url.v.val.t === 'unknown' ? url.v.val.prefix : undefined;
  if (text === undefined) {
    const v = url.v.val;
    const reason =
      v.t === 'unknown' ? v.reason : v.t === 'error' ? v.message : v.t === 'ref' ? `${truncate(url.node.text, 50)} comes from ${v.name.replace(/^<\w+>\./, '').split('.').slice(0, -1).join('.') || 'elsewhere'}, outside this file` : `the URL is ${v.t === 'none' ? 'None' : `a ${v.t}`}, not a string`;
    return { kind: 'unknown', how: `the URL is not known (${reason})`, source: { ...source, value: undefined } };
  }
  const parsed = parseDbUrl(text);
  const masked = url.v.val.t === 'str' ? maskUrl(text) : undefined;
  const maskedSource: Setting = { ...source, value: masked, env: source.env ? { ...source.env, raw: source.env.raw !== undefined ? maskUrl(source.env.raw) : undefined, fallback: source.env.fallback ? { ...source.env.fallback, value: typeof source.env.fallback.value === 'string' ? maskUrl(source.env.fallback.value) : source.env.fallback.value, text: maskUrl(source.env.fallback.text) } : undefined } : undefined, text: source.text ? maskUrl(source.text) : undefined };
  if (!parsed) return { kind: 'unknown', how: `'${truncate(maskUrl(text), 40)}' has no URL scheme`, url: masked, source: maskedSource };
  const from = describeSource(source, ctx.rel);
  return {
    kind: parsed.kind,
    how: `URL scheme '${parsed.scheme}' (${from})`,
    scheme: parsed.scheme,
    url: masked,
    source: maskedSource,
    memory: parsed.memory,
  };
}

const KIND_WORDS: [RegExp, DatabaseInfo['kind']][] = [
  [/sqlite/i, 'sqlite'],
  [/postgres|psycopg|asyncpg/i, 'postgresql'],
  [/mysql|mariadb/i, 'mysql'],
];

/**
 * A call inside `if url.startswith("sqlite"):` (or `if is_sqlite:`, `if db_type == "sqlite":`)
 * runs only for that database even when the URL itself is not known.
 */
function kindFromConditions(call: SyntaxNode, unknownDb: DatabaseInfo): DatabaseInfo {
  for (let n: SyntaxNode = call; n.parent; n = n.parent) {
    const p = n.parent;
    const inConsequence = (p.type === 'if_statement' || p.type === 'elif_clause') && p.childForFieldName('consequence')?.id === n.id;
    if (!inConsequence) continue;
    const cond = p.childForFieldName('condition');
    if (!cond) continue;
    const text = cond.text;
    if (/^\s*not\b|!=|\bnot\s+in\b/.test(text) || /\bor\b/.test(text)) continue;
    const kinds = KIND_WORDS.filter(([re]) => re.test(text)).map(([, k]) => k);
    if (kinds.length === 1) {
      return { ...unknownDb, kind: kinds[0], how: `the call runs only when \`${truncate(text, 50)}\` (line ${cond.startPosition.row + 1}); ${unknownDb.how}` };
    }
  }
  return unknownDb;
}

/** The pool class SQLAlchemy picks when none is given (pool-facts §1, get_pool_class). */
export function defaultPoolClass(db: DatabaseInfo, isAsync: boolean, version: string): { name: string; reason: string } {
  const scheme = db.scheme ?? '';
  if (db.kind === 'sqlite') {
    const driver = scheme.split('+')[1] ?? 'pysqlite';
    if (driver === 'aiosqlite') {
      if (db.memory) return { name: 'StaticPool', reason: 'sqlite+aiosqlite in-memory databases use StaticPool (dialects/sqlite/aiosqlite.py:65-68)' };
      if (compareVersions(version, '2.0.38') < 0) return { name: 'NullPool', reason: `sqlite+aiosqlite file databases use NullPool before SQLAlchemy 2.0.38 (this project: ${version})` };
      return { name: 'AsyncAdaptedQueuePool', reason: 'sqlite+aiosqlite file databases use AsyncAdaptedQueuePool since SQLAlchemy 2.0.38 (dialects/sqlite/aiosqlite.py:69-77)' };
    }
    if (db.memory) return { name: 'SingletonThreadPool', reason: 'pysqlite in-memory databases use SingletonThreadPool (dialects/sqlite/pysqlite.py:230-235)' };
    if (compareVersions(version, '2.0') < 0) return { name: 'NullPool', reason: `pysqlite file databases use NullPool before SQLAlchemy 2.0 (this project pins ${version})` };
    return { name: 'QueuePool', reason: 'pysqlite file databases use QueuePool since SQLAlchemy 2.0 (dialects/sqlite/pysqlite.py:236-245)' };
  }
  if (isAsync) return { name: 'AsyncAdaptedQueuePool', reason: 'async engines use AsyncAdaptedQueuePool (engine/default.py; dialects/postgresql/asyncpg.py:1168-1174)' };
  return { name: 'QueuePool', reason: 'the dialect default is QueuePool (engine/default.py:500-501)' };
}

export const sqlalchemyDetector: Detector = {
  id: 'sqlalchemy',
  languages: ['python'],
  prefilter: /create(_async)?_engine/,
  detect(ctx: DetectorContext): PoolModel[] {
    const root = ctx.tree.rootNode;
    const names = constructorNames(root);
    if (names.direct.size === 0 && names.modules.size === 0) return [];
    const calls = root.descendantsOfType('call').filter((c) => constructorOf(c, names));
    if (calls.length === 0) return [];
    const pinned = ctx.versions.get('sqlalchemy');
    const version = pinned?.version ?? SQLALCHEMY_ASSUMED_VERSION + '.38';
    const versionInfo = pinned ?? { version: `${SQLALCHEMY_ASSUMED_VERSION}.x (assumed: no pin found)`, source: 'assumed' };
    const perProfile = evaluatorsFor(ctx, (env) => new PyEvaluator(root, env, { file: ctx.file, loader: ctx.modules }));
    const models: PoolModel[] = [];
    let pragma: ReturnType<typeof pragmaSettings> | undefined; // read once, when a SQLite engine needs it
    for (const call of calls) {
      const ctor = constructorOf(call, names)!;
      const isAsync = ctor === 'create_async_engine';
      const span = nodeSpan(ctx.file, ctx.lines, call);
      const profiles: Record<string, ProfileModel> = {};
      for (const { profile, envFiles, ev } of perProfile) {
        const args = readArgs(call, ev, ctx);
        let database = databaseOf(args.url, ctx);
        if (database.kind === 'unknown') database = kindFromConditions(call, database);
        const settings: Record<string, Setting> = {};
        for (const name of SQLALCHEMY_SETTINGS) {
          const given = args.kwargs.get(name);
          if (given) settings[name] = toSetting(given.v, given.node, ctx);
          else if (args.opaque) settings[name] = { value: undefined, source: 'unknown', reason: `may be set by ${args.opaque}`, span };
          else {
            const d = SQLALCHEMY_DEFAULTS[name];
            settings[name] = { value: d.value, source: 'default', default: { library: 'SQLAlchemy', version: sqlalchemyDefaultsLabel(pinned?.version), cite: d.cite } };
          }
        }
        const pc = settings.poolclass;
        const fallback = defaultPoolClass(database, isAsync, version);
        const poolClass =
          pc.source !== 'default' && typeof pc.value === 'string'
            ? { name: pc.value, source: pc.source, reason: `poolclass=${pc.text ?? pc.value}` }
            : pc.source !== 'default' && pc.value === null
              ? { name: fallback.name, source: 'default' as const, reason: fallback.reason }
              : pc.source === 'unknown' || (pc.source === 'env' && pc.value === undefined)
                ? { name: 'unknown', source: 'unknown' as const, reason: pc.reason ?? 'poolclass is not known' }
                : { name: fallback.name, source: 'default' as const, reason: fallback.reason };
        // settings the pool class does not have are no defaults of it (NullPool has no size)
        const accepts = POOL_CLASS_ACCEPTS[poolClass.name];
        if (accepts) {
          for (const name of ['pool_size', 'max_overflow', 'pool_timeout', 'pool_use_lifo']) {
            if (!accepts.includes(name) && settings[name].source === 'default') {
              settings[name] = { value: null, source: 'default', reason: `${poolClass.name} has no ${name}`, default: settings[name].default };
            }
          }
        }
        profiles[profile] = {
          profile,
          envFiles: envFiles.map((f) => f.file),
          database,
          poolClass,
          settings,
          insertTarget: args.insert,
        };
      }
      // SQLite engines: the PRAGMAs the file runs (often in a connect event listener) and the busy timeout
      let sqlite: SqliteFacts | undefined;
      const sqliteProfile = Object.values(profiles).find((p) => p.database.kind === 'sqlite');
      if (sqliteProfile) {
        pragma ??= pragmaSettings(root, ctx);
        sqlite = {
          journalMode: pragma.journalMode,
          busyTimeoutMs: pragma.busyTimeoutMs ?? { value: 5000, source: 'default', default: { library: 'sqlite3', version: 'CPython 3', cite: 'sqlite3.connect timeout=5.0, which pysqlite and aiosqlite use (https://docs.python.org/3/library/sqlite3.html#sqlite3.connect)' } },
          server: isAsync
            ? { value: true, how: 'an async engine serves concurrent requests' }
            : WEB_FRAMEWORK.test(ctx.text)
              ? { value: true, how: 'this module imports a web framework' }
              : { value: false, how: 'no sign of a concurrent server in this module' },
          awaited: isAsync,
        };
      }
      models.push({
        sqlite,
        id: `${ctx.file}:${span.line + 1}:${span.column + 1}`,
        library: 'sqlalchemy',
        constructor: ctor,
        file: ctx.file,
        span,
        async: isAsync,
        profiles,
        differsBetweenProfiles: differences(profiles),
        libraryVersion: versionInfo,
      });
    }
    return models;
  },
};

