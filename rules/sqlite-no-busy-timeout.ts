import type { Rule } from '../server/src/engine/rule';
import { described, writtenAt } from './util';

export const sqliteNoBusyTimeout: Rule = {
  meta: {
    id: 'sqlite-no-busy-timeout',
    severity: 'warning',
    summary: 'SQLite gives up at once when the database is locked (busy timeout 0).',
    rationale:
      'With no busy handler SQLite returns SQLITE_BUSY immediately, so any write that meets another write fails with ' +
      '`database is locked` instead of waiting a few milliseconds for the lock. Python\'s sqlite3 (and aiosqlite, which passes ' +
      'its arguments through) waits 5 s by default; timeout=0 or PRAGMA busy_timeout=0 removes that.',
    thresholdSource: 'https://www.sqlite.org/c3ref/busy_handler.html ("If the busy callback is NULL, then SQLITE_BUSY is returned immediately"); sqlite3.connect timeout=5.0: https://docs.python.org/3/library/sqlite3.html#sqlite3.connect',
    fixable: true,
    fixDescription: 'Replaces a written timeout of 0 with 5 (seconds), or a PRAGMA busy_timeout of 0 with 5000 (ms).',
    appliesTo: 'sqlite3 and aiosqlite connections and SQLAlchemy SQLite engines.',
    examples: [{ bad: 'sqlite3.connect("app.db", timeout=0)', good: 'sqlite3.connect("app.db", timeout=5)' }],
  },
  check(ctx) {
    const s = ctx.pool.sqlite;
    if (!s || ctx.profile.database.kind !== 'sqlite' || s.busyTimeoutMs.value !== 0) return [];
    const bt = s.busyTimeoutMs;
    // the busy timeout is written either as the driver's timeout (seconds) or as a PRAGMA (milliseconds)
    const timeout = ctx.profile.settings.timeout;
    const fromTimeout = bt.source !== 'literal' || !bt.text?.toUpperCase().includes('PRAGMA');
    let fix;
    if (fromTimeout && timeout?.source === 'literal' && timeout.span) fix = ctx.fixes.fix('Set timeout=5', [ctx.fixes.setNumber(timeout, 5)]);
    else if (!fromTimeout && bt.span) fix = ctx.fixes.fix('Set PRAGMA busy_timeout=5000', [{ file: bt.span.file, start: bt.span.start, end: bt.span.end, newText: bt.text!.replace(/busy_timeout\s*=\s*0\b/i, 'busy_timeout=5000') }]);
    return [
      {
        message: `${described(ctx, 'busy timeout (ms)', bt)}: SQLite returns SQLITE_BUSY at once, so a write that meets another write fails with "database is locked" instead of waiting for the lock. Wait at least a few seconds (sqlite3's default is 5 s).`,
        span: (fromTimeout ? writtenAt(timeout) : bt.span) ?? ctx.pool.span,
        fix,
      },
    ];
  },
};
