// asyncpg: `asyncpg.create_pool(...)` (awaited, or used as `async with create_pool(...) as pool`) and
// `asyncpg.Pool(...)` become pool models. Defaults: MagicStack/asyncpg@v0.31.0 asyncpg/pool.py:1075-1079
// (create_pool), :852 (acquire(timeout=None) waits forever), :374-391 (argument checks),
// connection.py:2090 (connect timeout 60 s). The pool opens min_size connections at start-up.
import type { SyntaxNode } from '../syntax';
import { nodeSpan } from '../syntax';
import type { PoolModel, ProfileModel, Setting, Span } from '../model';
import { PyEvaluator } from '../python/evaluator';
import { toSetting } from '../python/settings';
import { readArgs, databaseOf } from './sqlalchemy';
import { constructorCalls } from './python-imports';
import { differences, evaluatorsFor, type Detector, type DetectorContext } from './types';

export const ASYNCPG_ASSUMED_VERSION = '0.31';
const SRC = 'MagicStack/asyncpg@v0.31.0:asyncpg';

export const ASYNCPG_DEFAULTS: Record<string, { value: number | null; cite: string }> = {
  min_size: { value: 10, cite: `${SRC}/pool.py:1076 (opened at start-up)` },
  max_size: { value: 10, cite: `${SRC}/pool.py:1077` },
  max_queries: { value: 50000, cite: `${SRC}/pool.py:1078` },
  max_inactive_connection_lifetime: { value: 300, cite: `${SRC}/pool.py:1079` },
  timeout: { value: 60, cite: `${SRC}/connection.py:2090 (connect timeout)` },
  command_timeout: { value: null, cite: `${SRC}/connection.py:2090 (no statement timeout)` },
};
const SETTINGS = Object.keys(ASYNCPG_DEFAULTS);

/** Where the pool is kept: `pool = await create_pool(..)`, `self.pool = ..`, `app.state.pool = ..`. */
function holderOf(call: SyntaxNode): string | undefined {
  let n: SyntaxNode = call;
  while (n.parent && (n.parent.type === 'await' || n.parent.type === 'parenthesized_expression')) n = n.parent;
  const p = n.parent;
  if (p?.type === 'assignment') return p.childForFieldName('left')?.text;
  if (p?.type === 'as_pattern') return p.childForFieldName('alias')?.text;
  return undefined;
}

/** `.acquire(...)` calls on the pool (its holder, or anything named like a pool) in this file. */
function acquireCalls(root: SyntaxNode, holder: string | undefined): SyntaxNode[] {
  return root.descendantsOfType('call').filter((c) => {
    const fn = c.childForFieldName('function');
    if (fn?.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== 'acquire') return false;
    const obj = fn.childForFieldName('object')?.text ?? '';
    return (holder !== undefined && obj === holder) || /pool/i.test(obj);
  });
}

function keyword(call: SyntaxNode, name: string): SyntaxNode | undefined {
  for (const a of call.childForFieldName('arguments')?.namedChildren ?? []) {
    if (a.type === 'keyword_argument' && a.childForFieldName('name')?.text === name) return a.childForFieldName('value') ?? undefined;
  }
  return undefined;
}

function dflt(name: string): Setting {
  const d = ASYNCPG_DEFAULTS[name];
  return { value: d.value, source: 'default', default: { library: 'asyncpg', version: ASYNCPG_ASSUMED_VERSION, cite: d.cite } };
}

export const asyncpgDetector: Detector = {
  id: 'asyncpg',
  languages: ['python'],
  prefilter: /asyncpg/,
  detect(ctx: DetectorContext): PoolModel[] {
    const root = ctx.tree.rootNode;
    const calls = constructorCalls(root, ['asyncpg', 'asyncpg.pool'], ['create_pool', 'Pool']);
    if (calls.length === 0) return [];
    const pinned = ctx.versions.get('asyncpg');
    const versionInfo = pinned ?? { version: `${ASYNCPG_ASSUMED_VERSION}.x (assumed: no pin found)`, source: 'assumed' };
    const perProfile = evaluatorsFor(ctx, (env) => new PyEvaluator(root, env, { file: ctx.file, loader: ctx.modules }));
    const models: PoolModel[] = [];
    for (const { call, name } of calls) {
      const span = nodeSpan(ctx.file, ctx.lines, call);
      const holder = holderOf(call);
      const acquires = acquireCalls(root, holder);
      const untimed = acquires.filter((a) => !keyword(a, 'timeout'));
      const timed = acquires.find((a) => keyword(a, 'timeout'));
      const profiles: Record<string, ProfileModel> = {};
      for (const { profile, envFiles, ev } of perProfile) {
        const args = readArgs(call, ev, ctx, 'dsn');
        const db = databaseOf(args.url, ctx);
        // asyncpg speaks only the PostgreSQL protocol: the kind is known even without a DSN (PG* variables)
        const database = db.kind === 'postgresql' ? db : { ...db, kind: 'postgresql' as const, how: `asyncpg connects to PostgreSQL only${args.url ? `; ${db.how}` : ' (no DSN: host and credentials from keywords or PG* variables)'}` };
        const settings: Record<string, Setting> = {};
        for (const s of SETTINGS) {
          const given = args.kwargs.get(s);
          if (given) settings[s] = toSetting(given.v, given.node, ctx);
          else if (args.opaque) settings[s] = { value: undefined, source: 'unknown', reason: `may be set by ${args.opaque}`, span };
          else settings[s] = dflt(s);
        }
        if (timed) {
          const node = keyword(timed, 'timeout')!;
          settings.acquire_timeout = toSetting(ev.evalIn(node, ev.frameAt(node)), node, ctx);
          if (untimed.length) settings.acquire_timeout.reason = `${untimed.length} other acquire() call${untimed.length === 1 ? '' : 's'} in this file pass${untimed.length === 1 ? 'es' : ''} no timeout`;
        } else {
          settings.acquire_timeout = {
            value: null,
            source: 'default',
            default: { library: 'asyncpg', version: ASYNCPG_ASSUMED_VERSION, cite: `${SRC}/pool.py:852 (acquire(timeout=None)); pool.fetch/execute acquire without a timeout (pool.py:591-628)` },
            reason: acquires.length ? `no acquire() call in this file passes timeout=` : 'pool.acquire() is not called in this file; asyncpg waits forever unless a call passes timeout=',
          };
        }
        profiles[profile] = {
          profile,
          envFiles: envFiles.map((f) => f.file),
          database,
          poolClass: { name: 'asyncpg.Pool', source: 'default', reason: `${name}() returns an asyncpg.pool.Pool` },
          settings,
          insertTarget: args.insert,
        };
      }
      const acquireSpans: Span[] = untimed.map((a) => nodeSpan(ctx.file, ctx.lines, a.childForFieldName('arguments')!));
      models.push({
        id: `${ctx.file}:${span.line + 1}:${span.column + 1}`,
        library: 'asyncpg',
        constructor: name,
        file: ctx.file,
        span,
        async: true,
        profiles,
        differsBetweenProfiles: differences(profiles),
        libraryVersion: versionInfo,
        acquireCalls: acquireSpans,
      });
    }
    return models;
  },
};
