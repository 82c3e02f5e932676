import type { Rule } from '../server/src/engine/rule';
import { expectedConcurrency } from '../server/src/engine/config';
import { QUEUE_POOLS, described, isNetwork, num, relatedFor, writtenAt } from './util';

export const undersizedPool: Rule = {
  meta: {
    id: 'undersized-pool',
    severity: 'warning',
    summary: 'The pool holds fewer connections than the requests expected at once in one process.',
    rationale:
      'A QueuePool hands out at most pool_size + max_overflow connections. The next request waits up to pool_timeout ' +
      '(30 s by default) and then fails with `QueuePool limit of size N overflow M reached, connection timed out`. ' +
      'Expected concurrency per process comes from the `expectedConcurrency` setting, else from Little\'s law ' +
      '(busy connections = peakRequestsPerSecond x avgConnectionHoldMs / 1000), else a default of 50. ' +
      'The total over every process must still fit the server\'s max_connections (100 by default in PostgreSQL, ' +
      '97 usable by applications), so raise the size only as far as the expected concurrency.',
    thresholdSource:
      'SQLAlchemy defaults pool_size=5, max_overflow=10, pool_timeout=30 (sqlalchemy@rel_2_0:lib/sqlalchemy/engine/create.py:382,441,474; ' +
      'pool/impl.py:75-77); QueuePool error text pool/impl.py:166-172; Little\'s law L = λW (Little 1961); default expected concurrency 50 (pool-lint).',
    fixable: true,
    fixDescription: 'Raises pool_size where it is written (the code literal, the .env line, or the fallback in code) so that pool_size + max_overflow reaches the expected concurrency; adds pool_size to the call when it is not written.',
    appliesTo: 'SQLAlchemy QueuePool / AsyncAdaptedQueuePool engines on PostgreSQL and MySQL. Not SQLite (see sqlite-pool-sizing), not NullPool (no limit).',
    examples: [
      { bad: 'engine = create_engine("postgresql://app@db/app")  # 5 + 10 = 15 connections', good: 'engine = create_engine("postgresql://app@db/app", pool_size=40)' },
    ],
  },
  check(ctx) {
    const p = ctx.profile;
    if (!isNetwork(p) || !QUEUE_POOLS.has(p.poolClass.name)) return [];
    const size = p.settings.pool_size;
    const over = p.settings.max_overflow;
    const ps = num(size);
    const mo = num(over);
    if (ps === undefined || mo === undefined) return [];
    if (ps <= 0 || mo === -1 || ps < 0 || mo < -1) return []; // 0 = no limit; -1 = unlimited overflow; negatives: invalid-pool-setting
    const cap = ps + mo;
    const need = expectedConcurrency(ctx.config);
    if (cap >= need.value) return [];
    const newSize = need.value - mo;
    const timeout = num(p.settings.pool_timeout);
    const at = writtenAt(size) ?? writtenAt(over) ?? ctx.pool.span;
    const edit = ctx.fixes.setNumber(size, newSize) ?? (size.source === 'default' ? ctx.fixes.setSetting(p, 'pool_size', String(newSize)) : undefined);
    return [
      {
        message:
          `pool holds at most ${cap} connections: ${described(ctx, 'pool_size', size)} + ${described(ctx, 'max_overflow', over)}; ` +
          `expected concurrency is ${need.value} (${need.how}). Request ${cap + 1} waits ${timeout !== undefined ? `${timeout} s` : 'pool_timeout'} ` +
          `and then fails with "QueuePool limit of size ${ps} overflow ${mo} reached". Needs pool_size ${newSize} with max_overflow ${mo}.`,
        span: at,
        related: relatedFor(ctx, ['pool_size', 'max_overflow']),
        fix: edit ? ctx.fixes.fix(`Set pool_size to ${newSize}`, [edit]) : undefined,
      },
    ];
  },
};
