import type { Rule } from '../server/src/engine/rule';
import { DJANGO_POOL, described, djangoSet, isNetwork, isSqlalchemy, maybeNetwork, writtenAt } from './util';

export const missingPrePing: Rule = {
  meta: {
    id: 'missing-pre-ping',
    severity: 'warning',
    summary: 'Connections are handed out without checking they are still alive.',
    rationale:
      'Without pool_pre_ping the pool returns a connection that the server, a proxy, a failover or a firewall has already ' +
      'closed, and the first statement on it fails (`server closed the connection unexpectedly`, `MySQL server has gone away`). ' +
      'pool_pre_ping=True tests the connection at checkout (a cheap round trip) and replaces it transparently.',
    thresholdSource: 'SQLAlchemy default pool_pre_ping=False (sqlalchemy@rel_2_0:lib/sqlalchemy/engine/create.py:431; pool/base.py:177); HikariCP tests a connection idle longer than aliveBypassWindowMs (500 ms) before handing it out (brettwooldridge/HikariCP@604d7d58:src/main/java/com/zaxxer/hikari/pool/HikariPool.java:65,169); https://docs.sqlalchemy.org/en/20/core/pooling.html#disconnect-handling-pessimistic; sqlx test_before_acquire default true (sqlx@v0.8.6:sqlx-core/src/pool/options.rs:313); psycopg_pool check=None, ConnectionPool.check_connection (psycopg/psycopg@pool-3.3.1:psycopg_pool/psycopg_pool/pool.py:53,549); Django CONN_HEALTH_CHECKS False (django/django@main:django/db/utils.py ConnectionHandler.configure_settings), passed to the pool as check= (django/db/backends/postgresql/base.py DatabaseWrapper.pool).',
    fixable: true,
    fixDescription: 'Adds pool_pre_ping=True to the call (or to the options dict it splats), or turns a written False into True (in code, in the .env line, or in the settings-class default it falls back to); sqlx: test_before_acquire(false) becomes true; psycopg_pool: adds check=ConnectionPool.check_connection (the class as the file names it); Django: adds "CONN_HEALTH_CHECKS": True to the database dict (conn_health_checks=True to a dj_database_url call).',
    appliesTo: 'SQLAlchemy engines (Flask-SQLAlchemy configs included) on PostgreSQL, MySQL, or a database the URL does not tell, and sqlx pools that turn test_before_acquire off (it is on by default). Not SQLite (a local file) and not NullPool (a new connection for every checkout). node-postgres has no pre-ping option: it drops a client on its error event (see missing-error-listener). knex and Sequelize validate a connection on acquire themselves (the dialect\'s validateConnection, Sequelize\'s pool.validate), with no option to turn off. mysql2 has no pre-ping option (it drops a connection on its end/error event). Pre-ping has no meaning for Prisma: the query engine has no such setting and reconnects a connection it finds closed. Not Go: database/sql retries a query on a connection the driver reports dead (driver.ErrBadConn), and pgxpool checks idle connections every HealthCheckPeriod (1 min). psycopg_pool pools without check= (psycopg_pool 3.2+). Django databases that keep connections (CONN_MAX_AGE above 0 or None, or OPTIONS["pool"]) without CONN_HEALTH_CHECKS; with CONN_MAX_AGE 0 and no pool each request opens a new connection and the rule does not apply. Not asyncpg: it has no checkout test, only max_inactive_connection_lifetime (see missing-recycle). Not Spring Boot/HikariCP: HikariCP tests a connection idle for more than 500 ms before it hands it out (Connection.isValid(), or connectionTestQuery) and has no option to turn that off.',
    examples: [{ bad: 'engine = create_engine(url, pool_size=10)', good: 'engine = create_engine(url, pool_size=10, pool_pre_ping=True)' }],
  },
  check(ctx) {
    const p = ctx.profile;
    if (ctx.pool.library === 'sqlx') {
      const s = p.settings.test_before_acquire;
      if (!s || s.value !== false || s.source === 'default' || p.database.kind === 'sqlite') return [];
      const edit = s.source === 'literal' && s.span ? { file: s.span.file, start: s.span.start, end: s.span.end, newText: 'true' } : undefined;
      return [
        {
          message: `${described(ctx, 'test_before_acquire', s)}: idle connections are handed out without the liveness check sqlx does by default, so one closed by the server, a proxy or a failover fails the query that gets it. Remove .test_before_acquire(false) or set it to true.`,
          span: writtenAt(s) ?? ctx.pool.span,
          fix: edit ? ctx.fixes.fix('Set test_before_acquire(true)', [edit]) : undefined,
        },
      ];
    }
    if (ctx.pool.library === 'django') {
      const pooled = p.poolClass.name === DJANGO_POOL;
      const cma = p.settings.CONN_MAX_AGE;
      // CONN_MAX_AGE 0 without a pool: every request opens a fresh connection, nothing goes stale
      if (!isNetwork(p) || (!pooled && (cma?.value === 0 || cma?.value === undefined))) return [];
      const s = p.settings.CONN_HEALTH_CHECKS;
      if (!s || s.source === 'unknown' || s.value !== false) return [];
      const how = pooled ? 'the pool hands out connections with check=None' : `connections kept for ${cma.value === null ? 'ever (CONN_MAX_AGE None)' : `${String(cma.value)} s (CONN_MAX_AGE)`} are reused unchecked`;
      const edit = djangoSet(ctx, 'CONN_HEALTH_CHECKS', 'True') ?? ctx.fixes.setEnvTrue(s);
      return [
        {
          message: `${described(ctx, 'CONN_HEALTH_CHECKS', s)}: ${how}, so one closed by the server, a proxy or a failover fails the request that gets it. Set "CONN_HEALTH_CHECKS": True.`,
          span: writtenAt(s) ?? writtenAt(cma) ?? ctx.pool.span,
          fix: edit ? ctx.fixes.fix('Set CONN_HEALTH_CHECKS to True', [edit]) : undefined,
        },
      ];
    }
    if (ctx.pool.library === 'psycopg_pool') {
      const s = p.settings.check;
      if (!s || s.source === 'unknown' || s.value !== null) return [];
      const cls = ctx.pool.constructor;
      const edit = ctx.fixes.setSetting(p, 'check', `${cls}.check_connection`);
      return [
        {
          message: `${described(ctx, 'check', s)}: connections are handed out without a check, so one closed by the server, a proxy or a failover fails the query that gets it. Pass check=${cls}.check_connection.`,
          span: writtenAt(s) ?? ctx.pool.span,
          fix: edit ? ctx.fixes.fix(`Add check=${cls}.check_connection`, [edit]) : undefined,
        },
      ];
    }
    if (!isSqlalchemy(ctx.pool.library) || !maybeNetwork(p) || p.poolClass.name === 'NullPool' || p.poolClass.name === 'unknown') return [];
    const s = p.settings.pool_pre_ping;
    if (!s || s.source === 'unknown' || s.value === undefined) return [];
    // SQLAlchemy tests the value's truth: 1 and any non-empty string ping too
    if (s.value === true || (typeof s.value === 'number' && s.value !== 0) || (typeof s.value === 'string' && s.value !== '')) return [];
    const assumed = p.database.kind === 'unknown' ? ` (the database is not known: ${p.database.how}; assuming a server database)` : '';
    const edit = ctx.fixes.setSetting(p, 'pool_pre_ping', 'True') ?? ctx.fixes.setEnvTrue(s);
    return [
      {
        message: `${described(ctx, 'pool_pre_ping', s)}: a connection closed by the server, a proxy or a failover is handed out as if alive, and the request using it fails${assumed}. Set pool_pre_ping=True.`,
        span: writtenAt(s) ?? ctx.pool.span,
        fix: edit ? ctx.fixes.fix('Add pool_pre_ping=True', [edit]) : undefined,
      },
    ];
  },
};
