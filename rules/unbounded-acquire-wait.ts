import type { Rule } from '../server/src/engine/rule';
import { QUEUE_POOLS, described, writtenAt } from './util';

export const unboundedAcquireWait: Rule = {
  meta: {
    id: 'unbounded-acquire-wait',
    severity: 'warning',
    summary: 'A request waits forever for a free connection (pool_timeout=None).',
    rationale:
      'With pool_timeout=None a checkout from a full QueuePool blocks until a connection is returned. A leaked session or a ' +
      'slow query then hangs every later request instead of failing fast with a clear error, and the worker never recovers. ' +
      'SQLAlchemy\'s default is 30 s.',
    thresholdSource: 'SQLAlchemy default pool_timeout=30 (sqlalchemy@rel_2_0:lib/sqlalchemy/engine/create.py:474; pool/impl.py:77); QueuePool waits on queue.get(timeout) (pool/impl.py:166-172).',
    fixable: true,
    fixDescription: 'Replaces pool_timeout=None with pool_timeout=30.',
    appliesTo: 'SQLAlchemy QueuePool / AsyncAdaptedQueuePool engines on any database.',
    examples: [{ bad: 'create_engine(url, pool_timeout=None)', good: 'create_engine(url, pool_timeout=30)' }],
  },
  check(ctx) {
    const p = ctx.profile;
    if (!QUEUE_POOLS.has(p.poolClass.name)) return [];
    const s = p.settings.pool_timeout;
    if (!s || s.source === 'default' || s.source === 'unknown' || s.value !== null) return [];
    const edit = s.source === 'literal' ? ctx.fixes.setSetting(p, 'pool_timeout', '30') : undefined;
    return [
      {
        message: `${described(ctx, 'pool_timeout', s)}: when every connection is checked out, the next request waits forever instead of failing after a bounded time. Set pool_timeout=30 (the default).`,
        span: writtenAt(s) ?? ctx.pool.span,
        fix: edit ? ctx.fixes.fix('Set pool_timeout=30', [edit]) : undefined,
      },
    ];
  },
};
