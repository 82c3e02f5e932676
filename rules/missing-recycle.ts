import type { Rule } from '../server/src/engine/rule';
import { DJANGO_POOL, described, isNetwork, isSqlalchemy, maybeNetwork, num, writtenAt } from './util';

export const RECYCLE_SECONDS = 1800;
/** MySQL's wait_timeout default (28800 s), in HikariCP's milliseconds. */
export const MYSQL_WAIT_TIMEOUT_MS = 28800 * 1000;

export const missingRecycle: Rule = {
  meta: {
    id: 'missing-recycle',
    severity: 'info',
    summary: 'Connections are kept open forever (SQLAlchemy pool_recycle unset or -1, node-postgres maxLifetimeSeconds 0).',
    rationale:
      'MySQL closes connections idle longer than wait_timeout (8 hours by default), which is the case the SQLAlchemy docs give ' +
      'for pool_recycle: a warning there. PostgreSQL closes no idle session by default (idle_session_timeout = 0), so on ' +
      'PostgreSQL a recycle only guards against proxies, load balancers and firewalls that drop idle TCP connections: ' +
      'information. pool_pre_ping covers the same failures at checkout; a recycle also bounds how long a connection lives.',
    thresholdSource:
      'SQLAlchemy default pool_recycle=-1 (sqlalchemy@rel_2_0:lib/sqlalchemy/engine/create.py:449-457; pool/base.py:171); ' +
      'pg-pool maxLifetimeSeconds=0 disables it (brianc/node-postgres@c9e57617:packages/pg-pool/index.js:93,312-328); ' +
      'asyncpg max_inactive_connection_lifetime=300, 0 disables it (MagicStack/asyncpg@v0.31.0:asyncpg/pool.py:1079,388-391); ' +
      'PostgreSQL idle_session_timeout boot_val 0 (postgres/postgres src/backend/utils/misc/guc_parameters.dat); Go database/sql ConnMaxLifetime 0 = reused forever (golang/go@59fbc067:src/database/sql/sql.go SetConnMaxLifetime); go-sql-driver/mysql README "db.SetConnMaxLifetime() is required to ensure connections are closed by the driver safely before connection is closed by MySQL server"; recycle value 1800 s is pool-lint\'s choice, below MySQL\'s 8 h and common proxy idle limits; HikariCP maxLifetime 1800000 ms by default, 0 = no maximum lifetime, and the README asks for it "several seconds shorter than any database or infrastructure imposed connection time limit" (brettwooldridge/HikariCP@604d7d58:src/main/java/com/zaxxer/hikari/HikariConfig.java:56; README.md maxLifetime); MySQL wait_timeout default 28800 s (https://dev.mysql.com/doc/refman/8.0/en/server-system-variables.html#sysvar_wait_timeout).',
    fixable: true,
    fixDescription: `Adds pool_recycle=${RECYCLE_SECONDS} (or replaces a written -1); Django: a written CONN_MAX_AGE None becomes 600; adds maxLifetimeSeconds: ${RECYCLE_SECONDS} to a node-postgres pool; asyncpg: a written max_inactive_connection_lifetime=0 becomes 300 (the default); Spring Boot/HikariCP: max-lifetime becomes 1800000 (the default) where it is written.`,
    appliesTo: 'SQLAlchemy engines (Flask-SQLAlchemy configs included, where MySQL gets pool_recycle 7200 from Flask-SQLAlchemy itself) on PostgreSQL (info), MySQL (warning), or an unknown database (info); node-postgres pools (info); sqlx pools that set max_lifetime(None) (the default is 30 min); asyncpg pools that set max_inactive_connection_lifetime=0 (the default closes connections idle for 300 s); Django databases with CONN_MAX_AGE None (kept forever). Not SQLite, not NullPool, not psycopg_pool (max_lifetime 1 h and max_idle 10 min by default). Not knex or Sequelize: their pools close idle connections above min (tarn idleTimeoutMillis 30 s, Sequelize idle 10 s) and drop a connection whose socket errors, and neither had a lifetime option before knex 3.3 (maxConnectionLifetimeMillis). Not mysql2: it drops a connection the server closed (its end/error event) and has no lifetime option; maxIdle and idleTimeout (60 s) retire idle ones above maxIdle. Not Prisma: its URL has no connection lifetime parameter. Go database/sql pools without SetConnMaxLifetime (0 = forever): warning on MySQL, information on PostgreSQL; the fix is offered where the file imports "time". Not pgxpool (MaxConnLifetime 1 h by default). Spring Boot HikariCP datasources with max-lifetime 0 (no limit; warning on MySQL, information on PostgreSQL) or, on MySQL, at or above wait_timeout\'s 8 h default (the server closes the connection first); the default 30 min is fine. HikariCP keeps idle connections alive only with keepalive-time, which is not required.',
    examples: [{ bad: 'create_engine("mysql+pymysql://app@db/app")', good: `create_engine("mysql+pymysql://app@db/app", pool_recycle=${RECYCLE_SECONDS})` }],
  },
  check(ctx) {
    const p = ctx.profile;
    if (ctx.pool.library === 'node-postgres') {
      const s = p.settings.maxLifetimeSeconds;
      if (!s || s.source === 'unknown' || s.value !== 0) return [];
      const edit = ctx.fixes.setSetting(p, 'maxLifetimeSeconds', String(RECYCLE_SECONDS));
      return [
        {
          message: `${described(ctx, 'maxLifetimeSeconds', s)}: clients live until an error removes them; a proxy, load balancer or firewall that drops idle TCP connections leaves dead ones in the pool (PostgreSQL itself closes no idle session by default). Set maxLifetimeSeconds: ${RECYCLE_SECONDS}.`,
          span: writtenAt(s) ?? ctx.pool.span,
          fix: edit ? ctx.fixes.fix(`Add maxLifetimeSeconds: ${RECYCLE_SECONDS}`, [edit]) : undefined,
        },
      ];
    }
    if (ctx.pool.library === 'django') {
      const s = p.settings.CONN_MAX_AGE;
      if (!s || s.source === 'unknown' || s.value !== null || p.poolClass.name === DJANGO_POOL || !isNetwork(p)) return [];
      const edit = s.source === 'literal' && s.span ? { file: s.span.file, start: s.span.start, end: s.span.end, newText: '600' } : undefined;
      return [
        {
          message: `${described(ctx, 'CONN_MAX_AGE', s)}: each thread keeps its connection forever; a proxy, load balancer or firewall that drops long-lived TCP connections leaves it dead (CONN_HEALTH_CHECKS replaces it only when set). Set CONN_MAX_AGE to a bound such as 600.`,
          span: writtenAt(s) ?? ctx.pool.span,
          severity: p.database.kind === 'mysql' ? 'warning' : 'info',
          fix: edit ? ctx.fixes.fix('Set CONN_MAX_AGE to 600', [edit]) : undefined,
        },
      ];
    }
    if (ctx.pool.library === 'spring-hikari') {
      const s = p.settings['max-lifetime'];
      const v = num(s);
      if (!s || s.source === 'default' || v === undefined || !isNetwork(p)) return [];
      const mysql = p.database.kind === 'mysql';
      // 1..29999 ms is raised to 30 min by Hikari itself (invalid-pool-setting says so)
      const forever = v === 0;
      if (!forever && !(mysql && v >= MYSQL_WAIT_TIMEOUT_MS)) return [];
      const edit = ctx.fixes.setNumber(s, 1800000);
      const why = forever
        ? mysql
          ? 'HikariCP never retires a connection, and MySQL closes one idle longer than wait_timeout (8 h by default): the next checkout gets "Communications link failure" or "No operations allowed after connection closed"'
          : 'HikariCP never retires a connection; a proxy, load balancer or firewall that drops long-lived TCP connections leaves dead ones in the pool (PostgreSQL itself closes no idle session by default)'
        : `MySQL closes a connection idle longer than wait_timeout (${MYSQL_WAIT_TIMEOUT_MS / 1000} s by default) before HikariCP retires it; HikariCP asks for a lifetime several seconds shorter than any limit the database imposes`;
      return [
        {
          message: `${described(ctx, 'max-lifetime', s)}: ${why}. Set max-lifetime to 1800000 (the default, 30 min).`,
          span: writtenAt(s) ?? ctx.pool.span,
          severity: mysql ? 'warning' : 'info',
          fix: edit ? ctx.fixes.fix('Set max-lifetime to 1800000', [edit]) : undefined,
        },
      ];
    }
    if (ctx.pool.library === 'asyncpg') {
      const s = p.settings.max_inactive_connection_lifetime;
      if (!s || s.source === 'default' || s.source === 'unknown' || s.value !== 0) return [];
      const edit = ctx.fixes.setNumber(s, 300);
      return [
        {
          message: `${described(ctx, 'max_inactive_connection_lifetime', s)}: idle connections are never closed, so a proxy, load balancer or firewall that drops idle TCP connections leaves dead ones in the pool. Keep the default of 300 s.`,
          span: writtenAt(s) ?? ctx.pool.span,
          fix: edit ? ctx.fixes.fix('Set max_inactive_connection_lifetime to 300', [edit]) : undefined,
        },
      ];
    }
    if (ctx.pool.library === 'sqlx') {
      const s = p.settings.max_lifetime;
      if (!s || s.source === 'default' || s.source === 'unknown' || s.value !== null || p.database.kind === 'sqlite') return [];
      const edit = s.source === 'literal' && s.span ? { file: s.span.file, start: s.span.start, end: s.span.end, newText: `Some(std::time::Duration::from_secs(${RECYCLE_SECONDS}))` } : undefined;
      return [
        {
          message: `${described(ctx, 'max_lifetime', s)}: connections are never retired (sqlx retires them after 30 min by default); a proxy, load balancer or firewall that drops long-lived TCP connections leaves dead ones in the pool. Keep the default or set a lifetime.`,
          span: writtenAt(s) ?? ctx.pool.span,
          severity: p.database.kind === 'mysql' ? 'warning' : 'info',
          fix: edit ? ctx.fixes.fix(`Set max_lifetime to ${RECYCLE_SECONDS} s`, [edit]) : undefined,
        },
      ];
    }
    if (ctx.pool.library === 'go-database-sql') {
      const s = p.settings.ConnMaxLifetime;
      if (!s || s.source === 'unknown' || (s.value !== 0 && !(typeof s.value === 'number' && s.value < 0)) || !maybeNetwork(p)) return [];
      const mysql = p.database.kind === 'mysql';
      // the fix writes time.Minute, so only where the file already imports "time"
      const imports = /"time"/.test(ctx.fixes.source(ctx.pool.file));
      const edit = imports ? ctx.fixes.setSetting(p, 'ConnMaxLifetime', '30 * time.Minute') : undefined;
      const why = mysql
        ? 'MySQL closes connections idle longer than wait_timeout (8 h by default), and the go-sql-driver/mysql README asks for SetConnMaxLifetime below any such limit (3 minutes is its example), else queries hit "invalid connection"'
        : 'a proxy, load balancer or firewall that drops idle TCP connections leaves dead ones in the pool (PostgreSQL itself closes no idle session by default)';
      return [
        {
          message: `${s.source === 'default' ? 'SetConnMaxLifetime is never called on this database/sql pool, so ConnMaxLifetime is 0' : described(ctx, 'ConnMaxLifetime', s)}: connections are reused forever; ${why}. Call SetConnMaxLifetime(30 * time.Minute)${mysql ? ' or less than the server\'s wait_timeout' : ''}.`,
          span: writtenAt(s) ?? ctx.pool.span,
          severity: mysql ? 'warning' : 'info',
          fix: edit ? ctx.fixes.fix('Call SetConnMaxLifetime(30 * time.Minute)', [edit]) : undefined,
        },
      ];
    }
    if (!isSqlalchemy(ctx.pool.library) || !maybeNetwork(p) || p.poolClass.name === 'NullPool' || p.poolClass.name === 'unknown') return [];
    const s = p.settings.pool_recycle;
    if (!s || s.source === 'unknown') return [];
    const v = num(s);
    if (s.value !== null && (v === undefined || v >= 0)) return [];
    const mysql = p.database.kind === 'mysql';
    const why = mysql
      ? 'MySQL closes connections idle longer than wait_timeout (8 h by default), and the next checkout gets "MySQL server has gone away"'
      : 'connections live forever; a proxy, load balancer or firewall that drops idle TCP connections leaves dead ones in the pool (PostgreSQL itself closes no idle session by default)';
    const edit = ctx.fixes.setSetting(p, 'pool_recycle', String(RECYCLE_SECONDS));
    return [
      {
        message: `${described(ctx, 'pool_recycle', s)}: ${why}. Set pool_recycle=${RECYCLE_SECONDS}.`,
        span: writtenAt(s) ?? ctx.pool.span,
        severity: mysql ? 'warning' : 'info',
        fix: edit ? ctx.fixes.fix(`Add pool_recycle=${RECYCLE_SECONDS}`, [edit]) : undefined,
      },
    ];
  },
};
