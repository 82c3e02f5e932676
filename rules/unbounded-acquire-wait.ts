import type { Rule } from '../server/src/engine/rule';
import { QUEUE_POOLS, described, writtenAt, isSqlalchemy } from './util';

/** The bound pool-lint adds to a node-postgres pool: the 30 s SQLAlchemy, sqlx and psycopg_pool use by default. */
export const PG_TIMEOUT_MS = 30000;

export const unboundedAcquireWait: Rule = {
  meta: {
    id: 'unbounded-acquire-wait',
    severity: 'warning',
    summary: 'A request waits forever for a free connection (SQLAlchemy pool_timeout=None, node-postgres connectionTimeoutMillis 0 or unset, mysql2 by default).',
    rationale:
      'With pool_timeout=None a checkout from a full QueuePool blocks until a connection is returned. A leaked session or a ' +
      'slow query then hangs every later request instead of failing fast with a clear error, and the worker never recovers. ' +
      'SQLAlchemy\'s default is 30 s. node-postgres has no bound by default: connectionTimeoutMillis unset or 0 means pool.connect() ' +
      'waits forever once max clients are out. asyncpg\'s Pool.acquire() waits forever unless the call passes timeout= (and pool.fetch()/execute() ' +
      'acquire without one), so a leaked connection or a slow query stalls every coroutine that needs the pool.',
    thresholdSource:
      'SQLAlchemy default pool_timeout=30 (sqlalchemy@rel_2_0:lib/sqlalchemy/engine/create.py:474; pool/impl.py:77); QueuePool waits on queue.get(timeout) (pool/impl.py:166-172); ' +
      'Prisma pool_timeout 10 s, 0 = no timeout (https://www.prisma.io/docs/orm/prisma-client/setup-and-configuration/databases-connections/connection-pool); ' +
      'mysql2 waitForConnections true, queueLimit 0, no acquire timeout (sidorares/node-mysql2@928c3c51:lib/pool_config.js:11-26; lib/base/pool.js:106-118); ' +
      'pg-pool connectionTimeoutMillis undefined/0 = no timeout (brianc/node-postgres@c9e57617:packages/pg-pool/index.js:206-208,250; docs/pages/apis/pool.mdx:22-24); ' +
      'asyncpg Pool.acquire(*, timeout=None) (MagicStack/asyncpg@v0.31.0:asyncpg/pool.py:852), Pool.fetch/execute use `async with self.acquire()` (pool.py:591-628); ' +
      'HikariCP setConnectionTimeout(0) sets Integer.MAX_VALUE ms (brettwooldridge/HikariCP@604d7d58:src/main/java/com/zaxxer/hikari/HikariConfig.java:188-199), default 30000 ms (l.52).',
    fixable: true,
    fixDescription: 'Replaces pool_timeout=None with pool_timeout=30; Prisma: pool_timeout=0 becomes pool_timeout=10 in the URL (the .env line or the schema); adds connectionTimeoutMillis: 30000 to a node-postgres pool (or replaces a written 0); adds timeout=30 to each asyncpg pool.acquire() in the pool\'s file that has none; Spring Boot/HikariCP: connection-timeout 0 becomes 30000 where it is written.',
    appliesTo: 'SQLAlchemy QueuePool / AsyncAdaptedQueuePool engines (Flask-SQLAlchemy configs included), node-postgres pools and asyncpg pools (the acquire() calls in the pool\'s own file are read; calls in other modules are not) on any database. sqlx always bounds acquire() (acquire_timeout, 30 s by default); so do knex (60 s: the smaller of acquireConnectionTimeout and pool.acquireTimeoutMillis, and tarn treats 0 as 30 s) Sequelize (pool.acquire, 60 s) and psycopg_pool (timeout, 30 s). mysql2 pools with waitForConnections true and queueLimit 0 (both defaults): mysql2 has no acquire timeout at all (no fix: there is no setting to write; the message says what bounds it). Prisma datasource URLs with pool_timeout=0 (fixed in the URL where it is written). Not Go (database/sql, pgxpool): neither has an acquire timeout; a request waits until its context is done, a deadline pool-lint cannot see per query. Spring Boot HikariCP datasources with connection-timeout 0 (HikariCP makes it Integer.MAX_VALUE ms, about 24.8 days); any other value bounds the wait (below 250 ms is invalid-pool-setting\'s).',
    examples: [
      { bad: 'create_engine(url, pool_timeout=None)', good: 'create_engine(url, pool_timeout=30)' },
      { bad: 'const pool = new Pool({ max: 20 })', good: 'const pool = new Pool({ max: 20, connectionTimeoutMillis: 30000 })' },
      { bad: 'async with pool.acquire() as conn:', good: 'async with pool.acquire(timeout=30) as conn:' },
    ],
  },
  check(ctx) {
    const p = ctx.profile;
    if (ctx.pool.library === 'node-postgres') {
      const s = p.settings.connectionTimeoutMillis;
      if (!s || s.source === 'unknown' || (s.value !== 0 && s.value !== null)) return [];
      const edit = ctx.fixes.setSetting(p, 'connectionTimeoutMillis', String(PG_TIMEOUT_MS));
      return [
        {
          message: `${described(ctx, 'connectionTimeoutMillis', s)}: with every client checked out, pool.connect() waits forever, and a leaked client or a slow query hangs every later request. Set connectionTimeoutMillis: ${PG_TIMEOUT_MS}.`,
          span: writtenAt(s) ?? ctx.pool.span,
          fix: edit ? ctx.fixes.fix(`Add connectionTimeoutMillis: ${PG_TIMEOUT_MS}`, [edit]) : undefined,
        },
      ];
    }
    if (ctx.pool.library === 'prisma') {
      const s = p.settings.pool_timeout;
      if (!s || s.source === 'default' || s.source === 'unknown' || s.value !== 0) return [];
      const edit = ctx.fixes.setNumber(s, 10);
      return [
        {
          message: `${described(ctx, 'pool_timeout', s)}: pool_timeout=0 turns the timeout off, so with connection_limit connections busy a query waits in the query engine's queue forever instead of failing with P2024 after 10 s (the default). Set pool_timeout=10.`,
          span: writtenAt(s) ?? ctx.pool.span,
          fix: edit ? ctx.fixes.fix('Set pool_timeout=10', [edit]) : undefined,
        },
      ];
    }
    if (ctx.pool.library === 'mysql2') {
      const w = p.settings.waitForConnections;
      const q = p.settings.queueLimit;
      if (!w || !q || w.source === 'unknown' || q.source === 'unknown' || w.value === false || q.value !== 0) return [];
      return [
        {
          message:
            `${described(ctx, 'waitForConnections', w)} with ${described(ctx, 'queueLimit', q)}: mysql2 has no acquire timeout, so once connectionLimit connections are out every ` +
            `request queues until one is released, and the queue grows without bound; a leaked connection or a slow query hangs every later request. ` +
            `Set queueLimit so a burst fails fast with "Queue limit reached.", and bound each request (a query timeout, or a deadline around pool.getConnection()).`,
          span: writtenAt(q) ?? writtenAt(w) ?? ctx.pool.span,
        },
      ];
    }
    if (ctx.pool.library === 'spring-hikari') {
      const s = p.settings['connection-timeout'];
      if (!s || s.source === 'default' || s.source === 'unknown' || s.value !== 0) return [];
      const edit = ctx.fixes.setNumber(s, 30000);
      return [
        {
          message: `${described(ctx, 'connection-timeout', s)}: HikariCP takes 0 as Integer.MAX_VALUE ms (about 24.8 days), so with all maximum-pool-size connections out getConnection() blocks a request thread for good, and a leaked connection or a slow query hangs every later request instead of failing with "Connection is not available, request timed out". Set connection-timeout to 30000 (the default).`,
          span: writtenAt(s) ?? ctx.pool.span,
          fix: edit ? ctx.fixes.fix('Set connection-timeout to 30000', [edit]) : undefined,
        },
      ];
    }
    if (ctx.pool.library === 'asyncpg') {
      const s = p.settings.acquire_timeout;
      if (!s || s.source === 'unknown' || s.value !== null) return [];
      const calls = ctx.pool.acquireCalls ?? [];
      const edits = calls.map((span) => ctx.fixes.insertSetting({ kind: 'call', span }, 'timeout', '30'));
      const where = calls.length ? ` (${calls.map((c) => `line ${c.line + 1}`).join(', ')})` : '';
      return [
        {
          message: `${described(ctx, 'acquire_timeout', s)}: ${s.reason ?? 'acquire() passes no timeout'}${where}. With all max_size connections out, pool.acquire() and pool.fetch()/execute() wait forever, and a leaked connection or a slow query stalls every later request. Pass timeout=30 to acquire().`,
          span: writtenAt(s) ?? ctx.pool.span,
          fix: ctx.fixes.fix('Add timeout=30 to pool.acquire()', edits),
        },
      ];
    }
    if (!isSqlalchemy(ctx.pool.library) || !QUEUE_POOLS.has(p.poolClass.name)) return [];

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
