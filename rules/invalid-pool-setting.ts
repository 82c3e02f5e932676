import type { Rule, RuleContext, RuleFinding } from '../server/src/engine/rule';
import { POOL_CLASS_ACCEPTS } from '../server/src/engine/detectors/sqlalchemy';
import { DJANGO_POOL, described, num, writtenAt } from './util';
import { compareVersions } from '../server/src/engine/versions';

const POOL_ARGS = ['pool_size', 'max_overflow', 'pool_timeout', 'pool_use_lifo'];

/** tarn.js validates knex's pool options when knex() is called (Vincit/tarn.js src/Pool.ts constructor). */
function tarnChecks(ctx: RuleContext): RuleFinding[] {
  const p = ctx.profile;
  const out: RuleFinding[] = [];
  const at = (n: string) => writtenAt(p.settings[n]) ?? ctx.pool.span;
  for (const n of ['min', 'max']) {
    const s = p.settings[n];
    if (s && typeof s.value === 'string') {
      out.push({ message: `${described(ctx, n, s)} is the string '${s.value}' (process.env values are strings): tarn throws "Tarn: opt.${n} must be an integer ${n === 'max' ? '> 0' : '>= 0'}" when knex() is called. Wrap the read in Number().`, span: at(n) });
    }
  }
  const hi = num(p.settings.max);
  const lo = num(p.settings.min);
  if (hi === 0) out.push({ message: `${described(ctx, 'max', p.settings.max)}: knex creates no pool when pool.max is 0, and every query fails with "Unable to acquire a connection". Use max 1 or more.`, span: at('max') });
  else if (hi !== undefined && (hi < 0 || !Number.isInteger(hi))) out.push({ message: `${described(ctx, 'max', p.settings.max)}: tarn throws "Tarn: opt.max must be an integer > 0" when knex() is called.`, span: at('max') });
  if (lo !== undefined && (lo < 0 || !Number.isInteger(lo))) out.push({ message: `${described(ctx, 'min', p.settings.min)}: tarn throws "Tarn: opt.min must be an integer >= 0" when knex() is called.`, span: at('min') });
  else if (lo !== undefined && hi !== undefined && hi > 0 && lo > hi) {
    out.push({ message: `${described(ctx, 'min', p.settings.min)} is above ${described(ctx, 'max', p.settings.max)}: tarn throws "Tarn: opt.max is smaller than opt.min" when knex() is called, so the app does not start.`, span: at('min') });
  }
  return out;
}

export const invalidPoolSetting: Rule = {
  meta: {
    id: 'invalid-pool-setting',
    severity: 'error',
    summary: 'A pool setting the library rejects or ignores, or a value that crashes at start-up.',
    rationale:
      'create_engine raises TypeError for pool arguments the chosen pool class does not take (pool_size with NullPool or ' +
      'StaticPool, max_overflow with SingletonThreadPool), async engines reject sync-only pool classes, negative sizes ' +
      'are meaningless, and int() on a non-numeric .env value raises ValueError when the module is imported. ' +
      'bool() on a string is True for any non-empty string, "false" included.',
    thresholdSource:
      'sqlalchemy@rel_2_0:lib/sqlalchemy/engine/create.py:674-681,719-732 (leftover pool kwargs raise TypeError), 689-698 (pcls); ' +
      'pool/impl.py:52,295,345,465 (async compatibility); Python int()/bool(): https://docs.python.org/3/library/functions.html; ' +
      'mysql2 reads numbers with isNaN(x) ? default : Number(x) and waitForConnections with Boolean() (sidorares/node-mysql2@928c3c51:lib/pool_config.js:11-26), opens connections while fewer than connectionLimit are open (lib/base/pool.js); ' +
      'knex skips the pool when pool.max is 0 (knex/knex@e25d54bc:lib/client.js:106) and throws "Unable to acquire a connection" (lib/client.js:462); tarn validation (Vincit/tarn.js@0c79f9e3:src/Pool.ts constructor); ' +
      'pg-pool `max || poolSize || 10` (brianc/node-postgres@c9e57617:packages/pg-pool/index.js:89); sqlx clamps min_connections to max without an error (sqlx@v0.8.6:sqlx-core/src/pool/options.rs:185-203); ' +
      'asyncpg raises ValueError for max_size <= 0, min_size < 0, min_size > max_size, max_queries <= 0, max_inactive_connection_lifetime < 0 (MagicStack/asyncpg@v0.31.0:asyncpg/pool.py:374-391); ' +
      'Django: "Pooling doesn\'t support persistent connections." and OPTIONS["pool"] from 5.1 (django/django@main:django/db/backends/postgresql/base.py DatabaseWrapper.pool); ' +
      'Flask-SQLAlchemy 3.0 removed SQLALCHEMY_POOL_SIZE/_MAX_OVERFLOW/_POOL_RECYCLE/_POOL_TIMEOUT (pallets-eco/flask-sqlalchemy CHANGES.rst, 2.4.0 and 3.0.0) and calls _apply_driver_defaults, not apply_pool_defaults (src/flask_sqlalchemy/extension.py@3.1.1); ' +
      'psycopg_pool raises ValueError for min_size < 0, max_size < min_size, min_size = max_size = 0 (psycopg/psycopg@pool-3.3.1:psycopg_pool/psycopg_pool/base.py:118-129); ' +
      'HikariCP setters throw IllegalArgumentException for connectionTimeout 1..249 ms or negative, idleTimeout < 0, maxPoolSize < 1, minimumIdle < 0, validationTimeout < 250 ms, and validateNumerics replaces maxLifetime 1..29999 ms with 30 min, disables keepaliveTime below 30 s or at/above maxLifetime, clamps minimumIdle to maxPoolSize, and disables or resets idleTimeout (brettwooldridge/HikariCP@604d7d58:src/main/java/com/zaxxer/hikari/HikariConfig.java:188-199,211-217,256-262,273-279,351-357,1094-1148); Spring Boot binds spring.datasource.hikari.* through those setters (spring-projects/spring-boot DataSourceConfiguration.Hikari), so a throw stops the application at start-up.',
    fixable: false,
    appliesTo: 'SQLAlchemy engines on any database; node-postgres (max 0 or NaN silently means 10, min above max, negative max), sqlx (min_connections above max_connections) and knex pools (tarn rejects min above max, a negative or non-integer size, and a size read from process.env without Number(); max 0 means no pool at all). Sequelize: values that crash at start-up only. mysql2: connectionLimit 0 or below (no connection is ever opened), a non-numeric size from the environment (mysql2 silently uses 10) and waitForConnections from a string (Boolean(\'false\') is true). Go: a Duration written without a unit (SetConnMaxLifetime(300) is 300 ns). Prisma: a URL parameter that is not a number. Flask-SQLAlchemy: the checks of SQLAlchemy, plus config it ignores (SQLALCHEMY_POOL_SIZE and the other legacy keys, and apply_pool_defaults overrides, under 3.x) and pool sizes engine_from_config cannot turn into int. asyncpg and psycopg_pool pools (the ValueError checks of their constructors; sizes read as strings); Django databases (OPTIONS["pool"] with CONN_MAX_AGE other than 0, on a backend other than PostgreSQL, or before Django 5.1; CONN_MAX_AGE read as a string; the pool\'s size checks). Spring Boot/HikariCP datasources: values HikariCP rejects when Spring binds them (the application does not start), values it silently replaces or ignores (warnings), and values that are not whole numbers (\'30s\' cannot bind to a millisecond setter).',
    examples: [
      { bad: 'create_engine("sqlite:///app.db", poolclass=NullPool, pool_size=10)', note: 'TypeError: Invalid argument(s) \'pool_size\' sent to create_engine()' },
      { bad: 'pool_size=int(os.getenv("DB_POOL_SIZE", "5"))  # with DB_POOL_SIZE=twenty in .env', note: 'ValueError at import' },
    ],
  },
  check(ctx) {
    if (!['sqlalchemy', 'sqlx', 'node-postgres', 'knex', 'sequelize', 'mysql2', 'prisma', 'go-database-sql', 'pgxpool', 'asyncpg', 'psycopg_pool', 'django', 'flask-sqlalchemy', 'spring-hikari'].includes(ctx.pool.library)) return [];
    const p = ctx.profile;
    const out: RuleFinding[] = [];
    const at = (n: string) => writtenAt(p.settings[n]) ?? ctx.pool.span;
    // values that crash or mislead at start-up
    for (const [name, s] of Object.entries(p.settings)) {
      if (s.crash) out.push({ message: `${name}: ${s.crash} at start-up${s.env?.file !== undefined ? ` (${s.env.name} is set in ${ctx.rel(s.env.file)}:${(s.env.line ?? 0) + 1})` : ''}.`, span: at(name) });
      if (s.warning && s.warning.startsWith('bool(')) out.push({ message: `${name}: ${s.warning}, so ${name} is ${s.value === true ? 'True' : 'False'}. Compare the string instead: os.getenv(...).lower() in ("1", "true", "yes").`, span: at(name), severity: 'warning' });
      else if (s.warning) out.push({ message: `${name}: ${s.warning}. ${/nanoseconds/.test(s.warning) ? 'Write the duration with its unit.' : /(size|limit|connections|^max|^min)$/i.test(name) ? 'Write the size you mean (1 or more).' : 'Write the value you mean.'}`, span: at(name), severity: 'warning' });
      if (s.ignored) out.push({ message: `${s.text ?? name}${s.span ? ` (${ctx.rel(s.span.file)}:${s.span.line + 1})` : ''} is ignored: ${s.ignored}.`, span: at(name), tags: s.deprecated ? ['unnecessary', 'deprecated'] : ['unnecessary'], severity: 'warning' });
    }
    if (ctx.pool.library === 'knex') return [...out, ...tarnChecks(ctx)];
    if (['sequelize', 'prisma', 'go-database-sql', 'pgxpool'].includes(ctx.pool.library)) return out;
    if (ctx.pool.library === 'asyncpg' || ctx.pool.library === 'psycopg_pool') return [...out, ...sizeChecks(ctx)];
    if (ctx.pool.library === 'django') return [...out, ...djangoChecks(ctx)];
    if (ctx.pool.library === 'spring-hikari') return [...out, ...hikariChecks(ctx)];
    if (ctx.pool.library === 'mysql2') {
      const n = num(p.settings.connectionLimit);
      if (n !== undefined && n <= 0) out.push({ message: `${described(ctx, 'connectionLimit', p.settings.connectionLimit)}: mysql2 opens a connection only while fewer than connectionLimit are open, so it never opens one, and every query waits forever. Use 1 or more.`, span: at('connectionLimit') });
      return out;
    }
    const minMax = ctx.pool.library === 'node-postgres' ? ['min', 'max'] : ctx.pool.library === 'sqlx' ? ['min_connections', 'max_connections'] : undefined;
    if (minMax) {
      const [lo, hi] = minMax.map((n) => num(p.settings[n]));
      if (lo !== undefined && hi !== undefined && lo > hi) {
        out.push({ message: `${described(ctx, minMax[0], p.settings[minMax[0]])} is above ${described(ctx, minMax[1], p.settings[minMax[1]])}: the library does not reject it, and the minimum is never reached as written.`, span: at(minMax[0]), severity: 'warning' });
      }
      if (hi !== undefined && hi < 0) out.push({ message: `${described(ctx, minMax[1], p.settings[minMax[1]])} is negative: no connection can ever be opened and every request waits.`, span: at(minMax[1]) });
      return out;
    }
    // strings where SQLAlchemy does arithmetic or comparisons: os.getenv() without int()
    for (const name of ['pool_size', 'max_overflow', 'pool_timeout', 'pool_recycle']) {
      const s = p.settings[name];
      if (s && typeof s.value === 'string') {
        const when = name === 'pool_size' || name === 'max_overflow' ? 'at start-up' : 'on the first checkout';
        out.push({ message: `${described(ctx, name, s)} is the string '${s.value}', not a number: SQLAlchemy raises TypeError ${when}. Wrap the read in int()${name === 'pool_timeout' ? ' or float()' : ''}.`, span: at(name) });
      }
    }
    for (const name of ['pool_pre_ping', 'pool_use_lifo']) {
      const s = p.settings[name];
      // only a string that reads as "off" is a bug: 'true' is truthy as intended
      if (s && typeof s.value === 'string' && !s.warning && /^(false|0|no|off|n|f|)$/i.test(s.value.trim())) {
        out.push({ message: `${described(ctx, name, s)} is the string '${s.value}': any non-empty string is true, so ${name} is ${s.value === '' ? 'False' : 'True'}. Compare the string instead: os.getenv(...).lower() in ("1", "true", "yes").`, span: at(name), severity: 'warning' });
      }
    }
    // pool arguments the pool class does not accept
    const accepts = POOL_CLASS_ACCEPTS[p.poolClass.name];
    if (accepts) {
      for (const name of POOL_ARGS) {
        const s = p.settings[name];
        // a value that already crashes at start-up is reported once, above
        if (!s || s.source === 'default' || s.crash || accepts.includes(name)) continue;
        out.push({
          message:
            `${described(ctx, name, s)} is not accepted by ${p.poolClass.name} (${p.poolClass.reason}): create_engine() raises ` +
            `TypeError "Invalid argument(s) '${name}' sent to create_engine()" at start-up. Remove it, or use a pool class that takes it.`,
          span: at(name),
        });
      }
    }
    if (ctx.pool.async && (p.poolClass.name === 'QueuePool' || p.poolClass.name === 'SingletonThreadPool') && p.poolClass.source !== 'default') {
      out.push({
        message: `poolclass ${p.poolClass.name} cannot be used with an async engine: create_async_engine() raises ArgumentError "Pool class ${p.poolClass.name} cannot be used with asyncio engine". Use AsyncAdaptedQueuePool or NullPool.`,
        span: at('poolclass'),
      });
    }
    const ps = num(p.settings.pool_size);
    const mo = num(p.settings.max_overflow);
    const to = num(p.settings.pool_timeout);
    if (ps !== undefined && ps < 0) out.push({ message: `${described(ctx, 'pool_size', p.settings.pool_size)} is negative; use a positive size (0 means no limit).`, span: at('pool_size') });
    if (mo !== undefined && mo < -1) out.push({ message: `${described(ctx, 'max_overflow', p.settings.max_overflow)} is below -1 (-1 means unlimited overflow).`, span: at('max_overflow') });
    if (to !== undefined && to < 0) out.push({ message: `${described(ctx, 'pool_timeout', p.settings.pool_timeout)} is negative: the checkout wait cannot be negative.`, span: at('pool_timeout') });
    return out;
  },
};

/** asyncpg and psycopg_pool check their sizes in the constructor and raise ValueError (or TypeError on a string). */
function sizeChecks(ctx: RuleContext): RuleFinding[] {
  const p = ctx.profile;
  const lib = ctx.pool.library;
  const out: RuleFinding[] = [];
  const at = (n: string) => writtenAt(p.settings[n]) ?? ctx.pool.span;
  const d = (n: string) => described(ctx, n, p.settings[n]);
  const numeric = lib === 'asyncpg' ? ['min_size', 'max_size', 'max_queries', 'max_inactive_connection_lifetime'] : ['min_size', 'max_size', 'timeout', 'max_lifetime', 'max_idle'];
  for (const n of numeric) {
    const s = p.settings[n];
    if (s && typeof s.value === 'string') out.push({ message: `${d(n)} is the string '${s.value}', not a number: the pool constructor raises TypeError comparing it. Wrap the read in int()${n.includes('size') ? '' : ' or float()'}.`, span: at(n) });
  }
  const lo = num(p.settings.min_size);
  const written = p.settings.max_size;
  const hi = written?.value === null && lib === 'psycopg_pool' ? lo : num(written);
  const raise = (cond: boolean, msg: string, n: string) => cond && out.push({ message: `${msg}: ${lib === 'asyncpg' ? 'asyncpg.create_pool()' : lib === 'django' ? 'the psycopg_pool.ConnectionPool Django builds from OPTIONS["pool"]' : `${ctx.pool.constructor}()`} raises ValueError ${lib === 'django' ? 'on the first connection' : 'at start-up'}.`, span: at(n) });
  if (lib === 'asyncpg') {
    raise(hi !== undefined && hi <= 0, `${d('max_size')} is not above zero`, 'max_size');
    raise(lo !== undefined && lo < 0, `${d('min_size')} is negative`, 'min_size');
    raise(lo !== undefined && hi !== undefined && hi > 0 && lo > hi, `${d('min_size')} is above ${d('max_size')} ("min_size is greater than max_size")`, 'min_size');
    const mq = num(p.settings.max_queries);
    raise(mq !== undefined && mq <= 0, `${d('max_queries')} is not above zero`, 'max_queries');
    const life = num(p.settings.max_inactive_connection_lifetime);
    raise(life !== undefined && life < 0, `${d('max_inactive_connection_lifetime')} is negative`, 'max_inactive_connection_lifetime');
  } else {
    raise(lo !== undefined && lo < 0, `${d('min_size')} is negative ("min_size cannot be negative")`, 'min_size');
    raise(lo !== undefined && hi !== undefined && lo >= 0 && hi < lo, `${d('max_size')} is below ${d('min_size')} ("max_size must be greater or equal than min_size")`, 'max_size');
    raise(lo === 0 && hi === 0, `${d('min_size')} and ${d('max_size')} are both 0 ("if min_size is 0 max_size must be greater than 0")`, 'min_size');
  }
  return out;
}

/** Django refuses a pool with persistent connections, reads OPTIONS["pool"] only on PostgreSQL from 5.1, and compares CONN_MAX_AGE as a number. */
function djangoChecks(ctx: RuleContext): RuleFinding[] {
  const p = ctx.profile;
  const out: RuleFinding[] = [];
  const at = (n: string) => writtenAt(p.settings[n]) ?? ctx.pool.span;
  const cma = p.settings.CONN_MAX_AGE;
  if (cma && typeof cma.value === 'string') out.push({ message: `${described(ctx, 'CONN_MAX_AGE', cma)} is the string '${cma.value}', not a number: Django raises TypeError adding it to the clock on the first request. Wrap the read in int().`, span: at('CONN_MAX_AGE') });
  if (p.poolClass.name !== DJANGO_POOL) return out;
  if (cma && cma.value !== 0 && cma.value !== undefined && typeof cma.value !== 'string') {
    out.push({ message: `OPTIONS["pool"] is set with ${described(ctx, 'CONN_MAX_AGE', cma)}: Django raises ImproperlyConfigured "Pooling doesn't support persistent connections." on the first connection. Set CONN_MAX_AGE to 0 (the pool keeps the connections).`, span: at('CONN_MAX_AGE') });
  }
  if (p.database.kind === 'mysql' || p.database.kind === 'sqlite') {
    out.push({ message: `OPTIONS["pool"] is read only by Django's PostgreSQL backend (psycopg 3); ${p.database.how}, whose driver gets pool= as a connection argument and fails.`, span: at('pool') });
  }
  const v = ctx.pool.libraryVersion;
  if (v.source !== 'assumed' && compareVersions(v.version, '5.1') < 0) {
    out.push({ message: `OPTIONS["pool"] needs Django 5.1 or later; this project pins Django ${v.version} (${v.source}), which passes pool= to psycopg as a connection parameter and fails to connect.`, span: at('pool') });
  }
  return [...out, ...sizeChecks(ctx)];
}

/**
 * HikariCP: setters that throw while Spring Boot binds spring.datasource.hikari (the application
 * does not start), and values validateNumerics replaces, clamps or disables at pool start (warnings).
 */
function hikariChecks(ctx: RuleContext): RuleFinding[] {
  const p = ctx.profile;
  const out: RuleFinding[] = [];
  const at = (n: string) => writtenAt(p.settings[n]) ?? ctx.pool.span;
  const d = (n: string) => described(ctx, n, p.settings[n]);
  /** A written value (a crash is already reported). */
  const written = (n: string) => {
    const s = p.settings[n];
    return s && s.source !== 'default' && !s.crash ? num(s) : undefined;
  };
  const rejects = (n: string, what: string, setter: string, exception: string) =>
    out.push({ message: `${d(n)} ${what}: HikariDataSource.${setter}() throws IllegalArgumentException "${exception}" when Spring Boot binds spring.datasource.hikari, and the application does not start.`, span: at(n) });
  const replaced = (n: string, message: string) => out.push({ message: `${d(n)} ${message}`, span: at(n), severity: 'warning' });
  const max = written('maximum-pool-size');
  if (max !== undefined && max < 1) rejects('maximum-pool-size', 'is below 1', 'setMaximumPoolSize', 'maxPoolSize cannot be less than 1');
  const min = written('minimum-idle');
  if (min !== undefined && min < 0) rejects('minimum-idle', 'is negative', 'setMinimumIdle', 'minimumIdle cannot be negative');
  const ct = written('connection-timeout');
  if (ct !== undefined && ct !== 0 && ct < 250) rejects('connection-timeout', 'is below 250 ms (0 alone means no timeout)', 'setConnectionTimeout', 'connectionTimeout cannot be less than 250ms');
  const vt = written('validation-timeout');
  if (vt !== undefined && vt < 250) rejects('validation-timeout', 'is below 250 ms', 'setValidationTimeout', 'validationTimeout cannot be less than 250ms');
  const it = written('idle-timeout');
  if (it !== undefined && it < 0) rejects('idle-timeout', 'is negative', 'setIdleTimeout', 'idleTimeout cannot be negative');
  // what the pool runs with after validateNumerics
  const effMax = num(p.settings['maximum-pool-size']) ?? 10;
  if (min !== undefined && min >= 0 && effMax >= 1 && min > effMax) {
    replaced('minimum-idle', `is above ${d('maximum-pool-size')}: HikariCP sets minimumIdle to maximumPoolSize (${effMax}) without a word, so the pool is a fixed pool of ${effMax}. Write the minimum you mean, or leave it unset for a fixed pool.`);
  }
  const ml = written('max-lifetime');
  if (ml !== undefined && ml > 0 && ml < 30000) {
    replaced('max-lifetime', 'is below 30000 ms: HikariCP logs "maxLifetime is less than 30000ms, setting to default 1800000ms." and retires connections after 30 min instead. Write 30000 or more (or 0 for no limit).');
  }
  const lifetime = ml !== undefined && ml > 0 && ml < 30000 ? 1800000 : num(p.settings['max-lifetime']) ?? 1800000;
  const ka = written('keepalive-time');
  if (ka !== undefined && ka > 0 && ka < 30000) replaced('keepalive-time', 'is below 30000 ms: HikariCP logs "keepaliveTime is less than 30000ms, disabling it." and sends no keepalive at all. Write 30000 or more.');
  else if (ka !== undefined && ka > 0 && lifetime > 0 && ka >= lifetime) replaced('keepalive-time', `is not below max-lifetime (${lifetime} ms): HikariCP logs "keepaliveTime is greater than or equal to maxLifetime, disabling it." Write a keepalive shorter than the lifetime.`);
  const effMin = min !== undefined && min >= 0 && min <= effMax ? min : effMax;
  if (it !== undefined && it >= 0 && effMin < effMax) {
    if (lifetime > 0 && it + 1000 > lifetime) replaced('idle-timeout', `is within 1 s of or above max-lifetime (${lifetime} ms): HikariCP logs "idleTimeout is close to or more than maxLifetime, disabling it." and never retires idle connections. Write an idle timeout well below the lifetime.`);
    else if (it !== 0 && it < 10000) replaced('idle-timeout', 'is below 10000 ms: HikariCP logs "idleTimeout is less than 10000ms, setting to default 600000ms." and retires idle connections after 10 min instead. Write 10000 or more.');
  }
  return out;
}
