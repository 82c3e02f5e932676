// psycopg_pool: `ConnectionPool(...)` and `AsyncConnectionPool(...)` become pool models.
// Defaults: psycopg/psycopg@pool-3.3.1 psycopg_pool/psycopg_pool/pool.py:45-63 (and pool_async.py:55-69),
// size checks in base.py:118-129 (max_size None = min_size; min_size > max_size and 0/0 raise ValueError),
// check=None: connections are handed out unchecked unless check=ConnectionPool.check_connection (pool.py:549).
import type { SyntaxNode } from '../syntax';
import { nodeSpan } from '../syntax';
import type { PoolModel, ProfileModel, Setting } from '../model';
import { PyEvaluator } from '../python/evaluator';
import { toSetting } from '../python/settings';
import type { V } from '../python/values';
import { readArgs, databaseOf } from './sqlalchemy';
import { constructorCalls } from './python-imports';
import { differences, evaluatorsFor, type Detector, type DetectorContext } from './types';

export const PSYCOPG_POOL_ASSUMED_VERSION = '3.3';
const SRC = 'psycopg/psycopg@pool-3.3.1:psycopg_pool/psycopg_pool';

export const PSYCOPG_POOL_DEFAULTS: Record<string, { value: number | boolean | null; cite: string; reason?: string }> = {
  min_size: { value: 4, cite: `${SRC}/pool.py:49` },
  max_size: { value: null, cite: `${SRC}/pool.py:50; base.py:119-120 (None = min_size)`, reason: 'None: the pool is fixed at min_size' },
  timeout: { value: 30, cite: `${SRC}/pool.py:57` },
  max_waiting: { value: 0, cite: `${SRC}/pool.py:58 (0 = no limit on queued requests)` },
  max_lifetime: { value: 3600, cite: `${SRC}/pool.py:59` },
  max_idle: { value: 600, cite: `${SRC}/pool.py:60` },
  check: { value: null, cite: `${SRC}/pool.py:53 (no check at checkout)` },
  open: { value: null, cite: `${SRC}/pool.py:51 (None: opens in the constructor, with a DeprecationWarning)` },
};
const SETTINGS = Object.keys(PSYCOPG_POOL_DEFAULTS);
const CLASSES = ['ConnectionPool', 'AsyncConnectionPool'];

/** `check=ConnectionPool.check_connection` or a function of the file: its name, as a setting value. */
function callableSetting(v: V, node: SyntaxNode, ctx: DetectorContext): Setting {
  if (v.val.t === 'ref') {
    const name = v.val.name.replace(/^<\w+>\./, '').split('.').slice(-2).join('.');
    return { value: name, source: 'literal', span: nodeSpan(ctx.file, ctx.lines, node), text: node.text };
  }
  return toSetting(v, node, ctx);
}

export const psycopgPoolDetector: Detector = {
  id: 'psycopg_pool',
  languages: ['python'],
  prefilter: /psycopg_pool/,
  detect(ctx: DetectorContext): PoolModel[] {
    const root = ctx.tree.rootNode;
    const calls = constructorCalls(root, ['psycopg_pool', 'psycopg_pool.pool', 'psycopg_pool.pool_async'], CLASSES);
    if (calls.length === 0) return [];
    const pinned = ctx.versions.get('psycopg-pool');
    const versionInfo = pinned ?? { version: `${PSYCOPG_POOL_ASSUMED_VERSION}.x (assumed: no pin found)`, source: 'assumed' };
    const perProfile = evaluatorsFor(ctx, (env) => new PyEvaluator(root, env, { file: ctx.file, loader: ctx.modules }));
    const models: PoolModel[] = [];
    for (const { call, name } of calls) {
      const span = nodeSpan(ctx.file, ctx.lines, call);
      const callee = call.childForFieldName('function')!.text;
      const profiles: Record<string, ProfileModel> = {};
      for (const { profile, envFiles, ev } of perProfile) {
        const args = readArgs(call, ev, ctx, 'conninfo');
        const db = databaseOf(args.url, ctx);
        const database = db.kind === 'postgresql' ? db : { ...db, kind: 'postgresql' as const, how: `psycopg connects to PostgreSQL only${args.url ? `; ${db.how}` : ' (no conninfo: from kwargs= or PG* variables)'}` };
        const settings: Record<string, Setting> = {};
        for (const s of SETTINGS) {
          const given = args.kwargs.get(s);
          if (given) settings[s] = s === 'check' && given.node ? callableSetting(given.v, given.node, ctx) : toSetting(given.v, given.node, ctx);
          else if (args.opaque) settings[s] = { value: undefined, source: 'unknown', reason: `may be set by ${args.opaque}`, span };
          else {
            const d = PSYCOPG_POOL_DEFAULTS[s];
            settings[s] = { value: d.value, source: 'default', default: { library: 'psycopg_pool', version: PSYCOPG_POOL_ASSUMED_VERSION, cite: d.cite }, ...(d.reason ? { reason: d.reason } : {}) };
          }
        }
        profiles[profile] = {
          profile,
          envFiles: envFiles.map((f) => f.file),
          database,
          poolClass: { name, source: 'literal', reason: `${callee}(...)` },
          settings,
          insertTarget: args.insert,
        };
      }
      models.push({
        id: `${ctx.file}:${span.line + 1}:${span.column + 1}`,
        library: 'psycopg_pool',
        constructor: callee,
        file: ctx.file,
        span,
        async: name === 'AsyncConnectionPool',
        profiles,
        differsBetweenProfiles: differences(profiles),
        libraryVersion: versionInfo,
      });
    }
    return models;
  },
};
