// Helpers shared by the rules: capacity of a pool, how a value was set, where to report it.
import type { ProfileModel, Setting, Span } from '../server/src/engine/model';
import { describeSource } from '../server/src/engine/python/settings';
import type { RuleContext } from '../server/src/engine/rule';
import type { TextEdit } from '../server/src/engine/model';

export const QUEUE_POOLS = new Set(['QueuePool', 'AsyncAdaptedQueuePool', 'FallbackAsyncAdaptedQueuePool']);

export const DJANGO_POOL = 'psycopg_pool.ConnectionPool';

/**
 * Sets a Django DATABASES key where it is written: the literal, else a new key in the alias dict
 * (`"CONN_HEALTH_CHECKS": True`) or a keyword of the dj_database_url call (`conn_health_checks=True`).
 * Pool sizes go into the OPTIONS["pool"] dict.
 */
export function djangoSet(ctx: RuleContext, key: string, pyValue: string): TextEdit | undefined {
  const p = ctx.profile;
  const s = p.settings[key];
  if (!s) return undefined;
  if (s.source === 'literal' && s.span) return { file: s.span.file, start: s.span.start, end: s.span.end, newText: pyValue };
  if (s.source !== 'default') return undefined;
  if (['min_size', 'max_size', 'timeout'].includes(key)) {
    const pool = p.settings.pool;
    return pool?.source === 'literal' && pool.span && pool.text?.startsWith('{') ? ctx.fixes.insertSetting({ kind: 'dict', span: pool.span }, key, pyValue) : undefined;
  }
  const t = p.insertTarget;
  if (!t) return undefined;
  return ctx.fixes.insertSetting(t, t.kind === 'call' ? key.toLowerCase() : key, pyValue);
}

/** Libraries configured in Python: values are shown as True/False/None. */
export const PYTHON_LIBRARIES = new Set(['sqlalchemy', 'flask-sqlalchemy', 'django', 'asyncpg', 'psycopg_pool']);

/** SQLAlchemy engines, made directly or by Flask-SQLAlchemy from app config: the same settings and pool classes. */
export function isSqlalchemy(library: string): boolean {
  return library === 'sqlalchemy' || library === 'flask-sqlalchemy';
}

/** Where the pool was tied to this profile: its env files, or (Django) the settings module's name. */
export function profileKnown(p: ProfileModel): boolean {
  return p.envFiles.length > 0 || p.boundBy !== undefined;
}

export function isNetwork(p: ProfileModel): boolean {
  return p.database.kind === 'postgresql' || p.database.kind === 'mysql';
}

/** Network database, or a database the URL does not tell (most such URLs are server URLs). */
export function maybeNetwork(p: ProfileModel): boolean {
  return isNetwork(p) || p.database.kind === 'unknown';
}

export function num(s: Setting | undefined): number | undefined {
  return s && typeof s.value === 'number' ? s.value : undefined;
}

/** "pool_size 5 (the SQLAlchemy 2.0 default)" */
export function described(ctx: RuleContext, name: string, s: Setting): string {
  const lib = ctx.pool.library;
  // values in the language they are written in
  const t = PYTHON_LIBRARIES.has(lib) ? ['True', 'False', 'None'] : lib === 'sqlx' ? ['true', 'false', 'None'] : ['true', 'false', 'null'];
  const v = s.value === undefined ? '?' : s.value === null ? t[2] : typeof s.value === 'boolean' ? (s.value ? t[0] : t[1]) : String(s.value);
  return `${name} ${v} (${describeSource(s, ctx.rel)})`;
}

/** Where a setting is written: the .env line, the fallback in code, the code literal; else undefined. */
export function writtenAt(s: Setting | undefined): Span | undefined {
  if (!s) return undefined;
  if (s.source === 'env' && s.env) {
    if (!s.env.usedFallback && s.env.valueSpan) return s.env.valueSpan;
    if (s.env.fallback) return s.env.fallback.span;
    return s.env.readSpan;
  }
  if (s.source === 'literal' && s.span) return s.span;
  return undefined;
}

/** Related locations for the parts of a message: each setting that is written somewhere. */
export function relatedFor(ctx: RuleContext, names: string[]): { span: Span; message: string }[] {
  const out: { span: Span; message: string }[] = [];
  for (const n of names) {
    const s = ctx.profile.settings[n];
    const at = writtenAt(s);
    if (at) out.push({ span: at, message: `${n} = ${s.value === undefined ? '?' : String(s.value)} is set here` });
  }
  return out;
}

export function profileLabel(p: ProfileModel, rel: (f: string) => string): string {
  if (p.envFiles.length) return `the ${p.profile} profile (${p.envFiles.map(rel).join(', ')})`;
  return p.boundBy ? `the ${p.profile} profile (${p.boundBy})` : `the ${p.profile} profile`;
}

/** A pool's hard limit on open connections, the setting a fix raises, and how exhaustion shows. */
export interface Capacity {
  total: number;
  /** The settings that add up to the total, in order. */
  parts: string[];
  /** The setting to raise, and its value for a wanted total. */
  raise: { name: string; to(total: number): number };
  /** How long the next request waits once the pool is exhausted, in words. */
  wait: string;
  /** The error text the library raises then; undefined when the request hangs instead. */
  error?: string;
}

export function capacity(ctx: RuleContext): Capacity | undefined {
  const p = ctx.profile;
  switch (ctx.pool.library) {
    case 'flask-sqlalchemy':
    case 'sqlalchemy': {
      if (!QUEUE_POOLS.has(p.poolClass.name)) return undefined;
      const ps = num(p.settings.pool_size);
      const mo = num(p.settings.max_overflow);
      // 0 = no limit; -1 = unlimited overflow; negatives are invalid-pool-setting's
      if (ps === undefined || mo === undefined || ps <= 0 || mo < 0) return undefined;
      const t = num(p.settings.pool_timeout);
      return {
        total: ps + mo,
        parts: ['pool_size', 'max_overflow'],
        raise: { name: 'pool_size', to: (total) => total - mo },
        wait: p.settings.pool_timeout?.value === null ? 'forever (pool_timeout=None)' : t !== undefined ? `${t} s (pool_timeout)` : 'pool_timeout',
        error: `QueuePool limit of size ${ps} overflow ${mo} reached, connection timed out`,
      };
    }
    case 'sqlx': {
      const max = num(p.settings.max_connections);
      if (max === undefined || max <= 0) return undefined;
      const t = num(p.settings.acquire_timeout);
      return {
        total: max,
        parts: ['max_connections'],
        raise: { name: 'max_connections', to: (total) => total },
        wait: t !== undefined ? `${t} s (acquire_timeout)` : 'acquire_timeout',
        error: 'pool timed out while waiting for an open connection',
      };
    }
    case 'knex':
    case 'sequelize': {
      const max = num(p.settings.max);
      if (max === undefined || max <= 0) return undefined;
      const knex = ctx.pool.library === 'knex';
      const name = knex ? 'acquireTimeoutMillis' : 'acquire';
      const t = num(p.settings[name]);
      return {
        total: max,
        parts: ['max'],
        raise: { name: 'max', to: (total) => total },
        wait: t !== undefined ? `${t} ms (${name})` : name,
        error: knex ? 'Knex: Timeout acquiring a connection. The pool is probably full.' : 'SequelizeConnectionAcquireTimeoutError: Operation timeout',
      };
    }
    case 'mysql2': {
      const max = num(p.settings.connectionLimit);
      if (max === undefined || max <= 0) return undefined;
      const wait = p.settings.waitForConnections?.value !== false;
      const q = num(p.settings.queueLimit);
      return {
        total: max,
        parts: ['connectionLimit'],
        raise: { name: 'connectionLimit', to: (total) => total },
        wait: wait ? `in mysql2's queue with no time limit (waitForConnections true, and mysql2 has no acquire timeout${q ? `; past ${q} waiting, new requests fail at once with "Queue limit reached."` : ''})` : 'no time at all (waitForConnections false)',
        error: !wait ? 'No connections available.' : undefined,
      };
    }
    case 'prisma': {
      const max = num(p.settings.connection_limit);
      if (max === undefined || max <= 0) return undefined;
      const t = num(p.settings.pool_timeout);
      return {
        total: max,
        parts: ['connection_limit'],
        raise: { name: 'connection_limit', to: (total) => total },
        wait: t === 0 ? 'forever (pool_timeout=0)' : t !== undefined ? `${t} s (pool_timeout)` : 'pool_timeout',
        error: t === 0 ? undefined : 'Timed out fetching a new connection from the connection pool (P2024)',
      };
    }
    case 'go-database-sql':
    case 'pgxpool': {
      const name = ctx.pool.library === 'pgxpool' ? 'MaxConns' : 'MaxOpenConns';
      const max = num(p.settings[name]);
      // MaxOpenConns 0 is no limit (unlimited-open-connections)
      if (max === undefined || max <= 0) return undefined;
      return {
        total: max,
        parts: [name],
        raise: { name, to: (total) => total },
        wait: `until the request's context is done (${ctx.pool.library === 'pgxpool' ? 'pgxpool.Acquire' : 'database/sql'} has no acquire timeout of its own)`,
        error: 'context deadline exceeded',
      };
    }
    case 'asyncpg': {
      const max = num(p.settings.max_size);
      if (max === undefined || max <= 0) return undefined;
      const t = p.settings.acquire_timeout;
      const secs = num(t);
      return {
        total: max,
        parts: ['max_size'],
        raise: { name: 'max_size', to: (total) => total },
        wait: secs !== undefined ? `${secs} s (acquire timeout)` : 'forever (acquire() without a timeout)',
        error: secs !== undefined ? 'asyncio.TimeoutError' : undefined,
      };
    }
    case 'django':
    case 'psycopg_pool': {
      // Django: only OPTIONS["pool"] (a psycopg_pool.ConnectionPool) limits connections; without it each worker thread holds its own
      if (ctx.pool.library === 'django' && p.poolClass.name !== DJANGO_POOL) return undefined;
      // max_size None means a fixed pool of min_size (psycopg_pool base.py:119-120)
      const max = p.settings.max_size?.value === null ? num(p.settings.min_size) : num(p.settings.max_size);
      if (max === undefined || max <= 0) return undefined;
      const t = num(p.settings.timeout);
      return {
        total: max,
        parts: p.settings.max_size?.value === null ? ['min_size'] : ['max_size'],
        raise: { name: 'max_size', to: (total) => total },
        wait: t !== undefined ? `${t} s (timeout)` : 'timeout',
        error: `PoolTimeout: couldn't get a connection after ${t !== undefined ? t.toFixed(2) : '?'} sec`,
      };
    }
    case 'spring-hikari': {
      const max = num(p.settings['maximum-pool-size']);
      // below 1 Hikari refuses to start (invalid-pool-setting)
      if (max === undefined || max < 1) return undefined;
      const t = num(p.settings['connection-timeout']);
      return {
        total: max,
        parts: ['maximum-pool-size'],
        raise: { name: 'maximum-pool-size', to: (total) => total },
        wait: t === 0 ? 'forever (connection-timeout 0 is Integer.MAX_VALUE ms, about 24.8 days)' : t !== undefined ? `${t} ms (connection-timeout)` : 'connection-timeout',
        error: t === 0 ? undefined : `SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after ${t ?? 30000}ms`,
      };
    }
    case 'node-postgres': {
      const max = num(p.settings.max);
      if (max === undefined || max <= 0) return undefined;
      const t = num(p.settings.connectionTimeoutMillis);
      return {
        total: max,
        parts: ['max'],
        raise: { name: 'max', to: (total) => total },
        wait: t ? `${t} ms (connectionTimeoutMillis)` : 'forever (connectionTimeoutMillis is 0)',
        error: t ? 'timeout exceeded when trying to connect' : undefined,
      };
    }
  }
  return undefined;
}

/**
 * An environment variable name for a value moved out of code that changes nothing today: the
 * plain name when no env file of the pool (or .env.example, or the file itself) uses it, else one
 * prefixed with the module's folder (`WORKER_DB_POOL_SIZE`), else numbered.
 */
export function freeEnvName(ctx: RuleContext, base: string): string {
  const files = new Set<string>([ctx.pool.file, ...Object.values(ctx.pool.profiles).flatMap((p) => p.envFiles)]);
  if (ctx.envExample) files.add(ctx.envExample);
  const taken = (name: string) => [...files].some((f) => new RegExp(`(^|[^A-Za-z0-9_])${name}([^A-Za-z0-9_]|$)`, 'm').test(ctx.fixes.source(f)));
  if (!taken(base)) return base;
  const dir = ctx.pool.file.split(/[\\/]/).slice(-2, -1)[0] ?? '';
  const stem = ctx.pool.file.split(/[\\/]/).pop()!.replace(/\.\w+$/, '');
  for (const prefix of [dir, stem]) {
    const slug = prefix.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_|_$/g, '');
    if (slug && !/^\d/.test(slug) && !taken(`${slug}_${base}`)) return `${slug}_${base}`;
  }
  for (let i = 2; ; i++) if (!taken(`${base}_${i}`)) return `${base}_${i}`;
}
