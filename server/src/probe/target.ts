// From a pool model (engine check()) to what the probe needs: the database URL as the code would
// see it, and the pool's effective limits with the error text its library raises at the limit.
import * as fs from 'fs';
import * as path from 'path';
import type { PoolModel, ProfileModel, Setting } from '../engine/model';

export interface PoolLimits {
  /** Most connections the pool opens at once. */
  capacity: number;
  /** How the capacity was known, e.g. "pool_size 5 + max_overflow 10 (SQLAlchemy defaults)". */
  capacityHow: string;
  /** Longest wait for a connection before the library gives up; null = waits forever. */
  acquireTimeoutMs: number | null;
  acquireTimeoutHow: string;
  /** Connections older than this are closed and replaced (SQLAlchemy pool_recycle, sqlx max_lifetime, pg maxLifetimeSeconds). */
  lifetimeS: number | null;
  /** The library whose behaviour is modelled, and the text it raises when the acquire wait runs out. */
  library: string;
  timeoutError: string | null;
}

/** node-postgres defaults (pg-pool 3.x: max 10, connectionTimeoutMillis 0 = no bound) with the common 30 s bound, for a bare --url. */
export function defaultLimits(): PoolLimits {
  return {
    capacity: 10,
    capacityHow: 'no pool model given: 10, node-postgres\'s default max',
    acquireTimeoutMs: 30000,
    acquireTimeoutHow: 'no pool model given: 30 s (SQLAlchemy, sqlx and psycopg_pool\'s default)',
    lifetimeS: null,
    library: 'node-postgres',
    timeoutError: 'timeout exceeded when trying to connect',
  };
}

/** mysql2's pool defaults (connectionLimit 10, waitForConnections true: no acquire bound), for a bare MySQL --url. */
export function mysqlDefaultLimits(): PoolLimits {
  return {
    capacity: 10,
    capacityHow: "no pool model given: 10, mysql2's default connectionLimit",
    acquireTimeoutMs: 30000,
    acquireTimeoutHow: "no pool model given: 30 s (SQLAlchemy's default; mysql2 itself waits forever)",
    lifetimeS: null,
    library: 'mysql2',
    timeoutError: 'timed out waiting for a connection',
  };
}

function num(s: Setting | undefined): number | undefined {
  return s && typeof s.value === 'number' && Number.isFinite(s.value) ? s.value : undefined;
}

function how(name: string, s: Setting | undefined): string {
  if (!s) return `${name} unset`;
  const v = s.value === null ? 'None' : String(s.value);
  const src = s.source === 'default' ? 'default' : s.source === 'env' && s.env ? `${s.env.name}${s.env.usedFallback ? ' unset, fallback' : ''}` : s.source;
  return `${name} ${v} (${src})`;
}

const QUEUE_POOLS = new Set(['QueuePool', 'AsyncAdaptedQueuePool', 'FallbackAsyncAdaptedQueuePool']);

/** The pool's limits in one profile; undefined with a reason when they cannot be known. */
export function limitsOf(pool: PoolModel, profile: ProfileModel): PoolLimits | { error: string } {
  const s = profile.settings;
  switch (pool.library) {
    case 'sqlalchemy': {
      if (!QUEUE_POOLS.has(profile.poolClass.name)) return { error: `the pool class is ${profile.poolClass.name}, which has no size limit to probe` };
      const ps = num(s.pool_size);
      const mo = num(s.max_overflow);
      if (ps === undefined || mo === undefined) return { error: `pool_size or max_overflow is not known in the ${profile.profile} profile (${how('pool_size', s.pool_size)}, ${how('max_overflow', s.max_overflow)})` };
      if (ps <= 0 || mo < 0) return { error: `pool_size ${ps} / max_overflow ${mo} mean no limit; the probe needs a bounded pool (pass --capacity N)` };
      const t = s.pool_timeout?.value;
      const timeout = t === null ? null : typeof t === 'number' ? t * 1000 : 30000;
      const recycle = num(s.pool_recycle);
      return {
        capacity: ps + mo,
        capacityHow: `${how('pool_size', s.pool_size)} + ${how('max_overflow', s.max_overflow)}`,
        acquireTimeoutMs: timeout,
        acquireTimeoutHow: how('pool_timeout', s.pool_timeout),
        lifetimeS: recycle !== undefined && recycle > 0 ? recycle : null,
        library: 'SQLAlchemy',
        // sqlalchemy/pool/impl.py:166-172
        timeoutError: timeout === null ? null : `QueuePool limit of size ${ps} overflow ${mo} reached, connection timed out, timeout ${(timeout / 1000).toFixed(2)}`,
      };
    }
    case 'sqlx': {
      const max = num(s.max_connections);
      if (max === undefined || max <= 0) return { error: `max_connections is not known in the ${profile.profile} profile (${how('max_connections', s.max_connections)})` };
      const t = num(s.acquire_timeout);
      const life = s.max_lifetime?.value;
      return {
        capacity: max,
        capacityHow: how('max_connections', s.max_connections),
        acquireTimeoutMs: t !== undefined ? t * 1000 : 30000,
        acquireTimeoutHow: how('acquire_timeout', s.acquire_timeout),
        lifetimeS: typeof life === 'number' && life > 0 ? life : null,
        library: 'sqlx',
        timeoutError: 'pool timed out while waiting for an open connection', // sqlx-core/src/error.rs:103-104
      };
    }
    case 'node-postgres': {
      const max = num(s.max);
      if (max === undefined || max <= 0) return { error: `max is not known in the ${profile.profile} profile (${how('max', s.max)})` };
      const t = num(s.connectionTimeoutMillis);
      const life = num(s.maxLifetimeSeconds);
      return {
        capacity: max,
        capacityHow: how('max', s.max),
        acquireTimeoutMs: t ? t : null,
        acquireTimeoutHow: how('connectionTimeoutMillis', s.connectionTimeoutMillis),
        lifetimeS: life ? life : null,
        library: 'node-postgres',
        timeoutError: t ? 'timeout exceeded when trying to connect' : null, // pg-pool index.js:217-225
      };
    }
    case 'mysql2': {
      const max = num(s.connectionLimit);
      if (max === undefined || max <= 0) return { error: `connectionLimit is not known in the ${profile.profile} profile (${how('connectionLimit', s.connectionLimit)})` };
      const wait = s.waitForConnections?.value;
      const noWait = wait === false;
      return {
        capacity: max,
        capacityHow: how('connectionLimit', s.connectionLimit),
        // waitForConnections true (the default) queues without a bound; false fails at once (lib/base/pool.js)
        acquireTimeoutMs: noWait ? 0 : null,
        acquireTimeoutHow: how('waitForConnections', s.waitForConnections),
        lifetimeS: null,
        library: 'mysql2',
        timeoutError: noWait ? 'No connections available.' : null,
      };
    }
    default: {
      // pool sections of YAML config and other libraries: the first size-like key
      for (const key of ['max_connections', 'maxConnections', 'max_size', 'maxsize', 'pool_size', 'max', 'maximumPoolSize']) {
        const v = num(s[key]);
        if (v !== undefined && v > 0) {
          const ov = num(s.max_overflow) ?? 0;
          return {
            capacity: v + ov,
            capacityHow: ov ? `${how(key, s[key])} + ${how('max_overflow', s.max_overflow)}` : how(key, s[key]),
            acquireTimeoutMs: 30000,
            acquireTimeoutHow: `not modelled for ${pool.library}: 30 s assumed`,
            lifetimeS: null,
            library: pool.library,
            timeoutError: 'timed out waiting for a connection',
          };
        }
      }
      return { error: `no pool size is known for this ${pool.library} pool in the ${profile.profile} profile` };
    }
  }
}

function unquote(t: string): string {
  const s = t.trim().replace(/^[rbuf]+(?=['"])/i, '');
  const m = /^(['"`])([\s\S]*)\1$/.exec(s);
  return m ? m[2] : s;
}

/**
 * The database URL with its real password: the model carries it masked, so it is read again from
 * where it is written (the .env line, the fallback or literal in code). Undefined when not known.
 */
export function rawUrl(profile: ProfileModel, read: (file: string) => string | undefined = (f) => fs.readFileSync(f, 'utf8')): string | undefined {
  const src = profile.database.source;
  if (!src) return profile.database.url;
  const slice = (file: string | undefined, start: number, end: number) => {
    if (!file) return undefined;
    try {
      const text = read(file);
      return text === undefined ? undefined : text.slice(start, end);
    } catch {
      return undefined;
    }
  };
  let text: string | undefined;
  if (src.source === 'env' && src.env) {
    if (!src.env.usedFallback && src.env.valueSpan) text = slice(src.env.valueSpan.file ?? src.env.file, src.env.valueSpan.start, src.env.valueSpan.end);
    else if (src.env.fallback) text = slice(src.env.fallback.span.file, src.env.fallback.span.start, src.env.fallback.span.end);
  } else if (src.source === 'literal' && src.span) text = slice(src.span.file, src.span.start, src.span.end);
  const url = text !== undefined ? unquote(text) : typeof src.value === 'string' ? src.value : profile.database.url;
  return url;
}

/** `FILE:LINE` (1-based line) to the pool whose construction covers that line. */
export function findPool(pools: PoolModel[], spec: string, cwd: string): PoolModel | { error: string } {
  const m = /^(.*):(\d+)(?::\d+)?$/.exec(spec);
  if (!m) return { error: `--pool wants FILE:LINE, not '${spec}'` };
  const file = path.resolve(cwd, m[1]);
  const line = Number(m[2]) - 1;
  const inFile = pools.filter((p) => p.file === file);
  if (inFile.length === 0) return { error: `no pool found in ${m[1]}${pools.length ? ` (pools: ${pools.map((p) => `${path.relative(cwd, p.file)}:${p.span.line + 1}`).join(', ')})` : ''}` };
  const hit = inFile.find((p) => p.span.line <= line && line <= p.span.endLine) ?? inFile.find((p) => p.span.line === line);
  if (!hit) return { error: `no pool at ${m[1]}:${m[2]} (pools in that file start at line ${inFile.map((p) => p.span.line + 1).join(', ')})` };
  return hit;
}

/** SQLite settings for the probe's "as configured" run, read from the model (and, for a config section, from the connections the code opens). */
export interface SqliteSettingsFound {
  journalMode: string;
  busyTimeoutMs: number;
  writers: number;
  readers: number;
  how: string;
  /** The database file, absolute, when the URL or path names one. */
  file?: string;
}

const WRITER_KEYS = ['max_writers', 'writers', 'write_pool_size', 'writer_pool_size', 'max_write_connections', 'max_writer_connections'];
const READER_KEYS = ['max_readers', 'readers', 'read_pool_size', 'reader_pool_size'];

export function sqliteFileOf(profile: ProfileModel, pool: PoolModel, root: string): string | undefined {
  const db = profile.database;
  if (db.memory) return undefined;
  let p = typeof db.source?.value === 'string' ? db.source.value : db.url;
  if (!p) return undefined;
  // sqlite:///relative.db and sqlite:////absolute.db (SQLAlchemy's forms)
  const m = /^sqlite(\+\w+)?:\/\/\/?(.*)$/i.exec(p);
  if (m) p = m[2].split('?')[0];
  if (!p || p === ':memory:') return undefined;
  if (path.isAbsolute(p)) return p;
  // a relative path is relative to the process's folder: the workspace root, else the module's folder
  const fromRoot = path.resolve(root, p);
  const fromFile = path.resolve(path.dirname(pool.file), p);
  return fs.existsSync(fromRoot) ? fromRoot : fs.existsSync(fromFile) ? fromFile : fromRoot;
}

export function sqliteSettingsOf(pool: PoolModel, profile: ProfileModel, all: PoolModel[], rel: (f: string) => string, root: string): SqliteSettingsFound {
  const notes: string[] = [];
  let facts = pool.sqlite;
  if (!facts) {
    // a config section sizes connections the code opens: take their PRAGMAs
    const near = all.filter((p) => p.sqlite && p !== pool).sort((a, b) => commonPrefix(b.file, pool.file) - commonPrefix(a.file, pool.file))[0];
    if (near?.sqlite) {
      facts = near.sqlite;
      notes.push(`journal mode and busy timeout from the connection at ${rel(near.file)}:${near.span.line + 1}`);
    }
  }
  const journal = typeof facts?.journalMode.value === 'string' ? facts.journalMode.value.toLowerCase() : 'delete';
  const busy = typeof facts?.busyTimeoutMs.value === 'number' ? facts.busyTimeoutMs.value : 0;
  if (!facts) notes.push("no PRAGMA found: SQLite's defaults (journal_mode=delete, no busy timeout)");
  const s = profile.settings;
  const writerKey = Object.keys(s).find((k) => WRITER_KEYS.includes(k.toLowerCase()) && typeof s[k].value === 'number');
  const readerKey = Object.keys(s).find((k) => READER_KEYS.includes(k.toLowerCase()) && typeof s[k].value === 'number');
  let writers: number;
  if (writerKey) {
    writers = s[writerKey].value as number;
    notes.push(`${writerKey} ${writers}`);
  } else {
    const lim = limitsOf(pool, profile);
    if ('capacity' in lim && lim.capacity > 1) {
      writers = Math.min(lim.capacity, 4);
      notes.push(`${writers} writers: any of the pool's ${lim.capacity} connections may write (${lim.capacityHow}); the probe runs at most 4`);
    } else {
      writers = 2;
      notes.push('2 writers: one connection per process, two processes writing');
    }
  }
  const readers = readerKey ? Math.min(s[readerKey].value as number, 8) : 4;
  notes.push(readerKey ? `${readerKey} ${s[readerKey].value}${(s[readerKey].value as number) > 8 ? ' (the probe runs 8)' : ''}` : '4 readers');
  writers = Math.max(1, Math.min(writers, 8));
  return { journalMode: journal, busyTimeoutMs: busy, writers, readers, how: `journal_mode=${journal}, busy_timeout ${busy} ms; ${notes.join('; ')}`, file: sqliteFileOf(profile, pool, root) };
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i;
}
