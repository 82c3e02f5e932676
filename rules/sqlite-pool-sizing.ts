import type { Rule } from '../server/src/engine/rule';
import { SQLALCHEMY_DEFAULTS } from '../server/src/engine/detectors/sqlalchemy';
import { QUEUE_POOLS, described, num, relatedFor, writtenAt } from './util';

export const sqlitePoolSizing: Rule = {
  meta: {
    id: 'sqlite-pool-sizing',
    severity: 'warning',
    summary: 'pool_size or max_overflow raised above the default on a SQLite database.',
    rationale:
      'SQLite has a single writer. More pooled connections add no write concurrency: they wait on the database lock ' +
      '(busy_timeout, 5 s in Python\'s sqlite3 and aiosqlite) and then fail with `database is locked`. A ' +
      '`QueuePool limit of size 5 overflow 10 reached` error on SQLite means connections are held while waiting for the ' +
      'write lock; a bigger pool moves the failure, it does not remove it. Shorten write transactions, use WAL with a ' +
      'busy_timeout, route writes through one connection, or move to a server database.',
    thresholdSource:
      'SQLAlchemy defaults pool_size=5, max_overflow=10 (sqlalchemy@rel_2_0:lib/sqlalchemy/engine/create.py:382,441); one writer: https://www.sqlite.org/wal.html; ' +
      'sqlite3.connect timeout=5.0: https://docs.python.org/3/library/sqlite3.html#sqlite3.connect',
    fixable: false,
    appliesTo: 'SQLAlchemy engines whose URL is SQLite (sqlite://, sqlite+pysqlite://, sqlite+aiosqlite://).',
    examples: [{ bad: 'create_async_engine("sqlite+aiosqlite:///./app.db", pool_size=20, max_overflow=30)', note: 'Seed 000\'s proposed fix: 50 connections to a database with one writer.' }],
  },
  check(ctx) {
    const p = ctx.profile;
    // NullPool/StaticPool take no size at all: invalid-pool-setting reports that
    if (p.database.kind !== 'sqlite' || !QUEUE_POOLS.has(p.poolClass.name)) return [];
    const raised = ['pool_size', 'max_overflow'].filter((n) => {
      const s = p.settings[n];
      const v = num(s);
      const d = SQLALCHEMY_DEFAULTS[n].value as number;
      return s && s.source !== 'default' && v !== undefined && (v > d || (n === 'max_overflow' && v === -1));
    });
    if (raised.length === 0) return [];
    const ps = num(p.settings.pool_size);
    const mo = num(p.settings.max_overflow);
    const total = ps !== undefined && mo !== undefined ? (mo === -1 ? 'unlimited' : String(ps + mo)) : 'more';
    const first = p.settings[raised[0]];
    return [
      {
        message:
          `${raised.map((n) => described(ctx, n, p.settings[n])).join(' and ')} on SQLite (${p.database.url ?? p.database.scheme}): ` +
          `${total} connections share one writer, so writes gain no concurrency; they queue on the database lock and fail with "database is locked" ` +
          `once busy_timeout runs out. Keep the default size; shorten write transactions, use WAL with busy_timeout, or use a server database.`,
        span: writtenAt(first) ?? ctx.pool.span,
        related: relatedFor(ctx, raised.slice(1)),
      },
    ];
  },
};
