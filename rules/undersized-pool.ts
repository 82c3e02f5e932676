import type { Rule } from '../server/src/engine/rule';
import { expectedConcurrency } from '../server/src/engine/config';
import { capacity, described, djangoSet, isNetwork, relatedFor, writtenAt } from './util';

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
      'pool/impl.py:75-77); QueuePool error text pool/impl.py:166-172; sqlx max_connections=10, acquire_timeout=30 s (sqlx@v0.8.6:sqlx-core/src/pool/options.rs:143-166), ' +
      'PoolTimedOut text sqlx-core/src/error.rs:103-104; knex max=10 (min 1/max 1 on sqlite3), acquire 60000 ms, KnexTimeoutError text (knex/knex@e25d54bc:lib/client.js:229-231,253-265,493-496); ' +
      'pgxpool MaxConns default max(4, runtime.NumCPU()) (jackc/pgx@728cefa8:pgxpool/pool.go:19,176,384-388); Go database/sql waits for a connection until the context is done (golang/go src/database/sql/sql.go conn()); Prisma connection_limit num_physical_cpus * 2 + 1, pool_timeout 10 s, P2024 (https://www.prisma.io/docs/orm/prisma-client/setup-and-configuration/databases-connections/connection-pool); mysql2 connectionLimit=10, waitForConnections=true, queueLimit=0 (sidorares/node-mysql2@928c3c51:lib/pool_config.js:11-26); Sequelize max=5, acquire=60000 (sequelize/sequelize@v6.37.8:src/dialects/abstract/connection-manager.js:33-40), ConnectionAcquireTimeoutError (l.294); pg-pool max=10, connectionTimeoutMillis 0 = no timeout (brianc/node-postgres@c9e57617:packages/pg-pool/index.js:89,206-225); ' +
      'asyncpg create_pool max_size=10, acquire(timeout=None) (MagicStack/asyncpg@v0.31.0:asyncpg/pool.py:1077,852); psycopg_pool min_size=4, max_size=None (= min_size), timeout=30 (psycopg/psycopg@pool-3.3.1:psycopg_pool/psycopg_pool/pool.py:49-57; base.py:119-120); ' +
      'HikariCP maximumPoolSize 10, connectionTimeout 30000 ms, "Connection is not available, request timed out after Nms" (brettwooldridge/HikariCP@604d7d58:src/main/java/com/zaxxer/hikari/HikariConfig.java:52,58; pool/HikariPool.java:704-706), bound by Spring Boot from spring.datasource.hikari.* (spring-projects/spring-boot DataSourceConfiguration.Hikari); ' +
      'Little\'s law L = λW (Little 1961); default expected concurrency 50 (pool-lint).',
    fixable: true,
    fixDescription: 'Raises pool_size where it is written (the code literal, the .env line, or the fallback in code) so that pool_size + max_overflow reaches the expected concurrency; adds pool_size to the call when it is not written. knex and Sequelize: raises pool.max, or adds `pool: { max: N }` to the config (a knexfile\'s section of that profile, or the NODE_ENV section of sequelize-cli\'s config/config.json). Prisma: sets connection_limit in the datasource URL where it is written (the .env line, or the schema), adding the parameter when the URL lacks it. Spring Boot/HikariCP: sets maximum-pool-size where it is written (application.yml or .properties, a placeholder\'s .env line or default), or adds it under spring.datasource.hikari in the file of the profile that runs, in that file\'s layout and key style.',
    appliesTo: 'SQLAlchemy QueuePool / AsyncAdaptedQueuePool engines, made directly or by Flask-SQLAlchemy from app config (pool_size + max_overflow), sqlx pools (max_connections), node-postgres, knex and Sequelize pools (max) mysql2 pools (connectionLimit), Go database/sql (MaxOpenConns above 0; 0 is unlimited-open-connections\') and pgxpool pools (MaxConns, the greater of 4 and the CPU count by default, 4 shown) and Prisma datasources (connection_limit in the URL; the default num_physical_cpus * 2 + 1 is taken for 4 physical CPUs, since pool-lint cannot see the production host), asyncpg pools (max_size), psycopg_pool pools and Django OPTIONS["pool"] (max_size, or min_size when max_size is None) on PostgreSQL and MySQL, and Spring Boot HikariCP datasources (spring.datasource.hikari.maximum-pool-size, 10 by default, per Spring profile). Not SQLite (see sqlite-pool-sizing), not NullPool (no limit).',
    examples: [
      { bad: 'engine = create_engine("postgresql://app@db/app")  # 5 + 10 = 15 connections', good: 'engine = create_engine("postgresql://app@db/app", pool_size=40)' },
      { bad: "const sequelize = new Sequelize(process.env.DATABASE_URL, { logging: false }); // pool.max 5", good: "const sequelize = new Sequelize(process.env.DATABASE_URL, { logging: false, pool: { max: 50 } });" },
    ],
  },
  check(ctx) {
    const p = ctx.profile;
    if (!isNetwork(p)) return [];
    const cap = capacity(ctx);
    if (!cap) return [];
    const need = expectedConcurrency(ctx.config);
    if (cap.total >= need.value) return [];
    const target = cap.raise.to(need.value);
    const size = p.settings[cap.raise.name];
    const at = cap.parts.map((n) => writtenAt(p.settings[n])).find((s) => s) ?? ctx.pool.span;
    const edit = ctx.fixes.setNumber(size, target) ?? (size.source === 'default' ? (ctx.pool.library === 'django' ? djangoSet(ctx, cap.raise.name, String(target)) : ctx.fixes.setSetting(p, cap.raise.name, String(target))) : undefined);
    return [
      {
        message:
          `pool holds at most ${cap.total} connections: ${cap.parts.map((n) => described(ctx, n, p.settings[n])).join(' + ')}; ` +
          `expected concurrency is ${need.value} (${need.how}). Request ${cap.total + 1} waits ${cap.wait}` +
          `${cap.error ? ` and then fails with "${cap.error}"` : ', hanging instead of failing'}. Needs ${cap.raise.name} ${target}${cap.parts.length > 1 ? ` with ${cap.parts.filter((n) => n !== cap.raise.name).map((n) => `${n} ${String(p.settings[n].value)}`).join(', ')}` : ''}.`,
        span: at,
        related: relatedFor(ctx, cap.parts),
        fix: edit ? ctx.fixes.fix(`Set ${cap.raise.name} to ${target}`, [edit]) : undefined,
      },
    ];
  },
};
