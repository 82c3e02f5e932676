import type { Rule, RuleContext, RuleFinding } from '../server/src/engine/rule';
import { described, writtenAt } from './util';

const BETTER_SQLITE3_TIMEOUT = 'better-sqlite3 new Database(path, { timeout }) in ms, default 5000: WiseLibs/better-sqlite3@dbc2ea11:lib/database.js:33, docs/api.md:37';
const SQLX_BUSY_TIMEOUT = 'sqlx SqliteConnectOptions::busy_timeout, default 5 s: sqlx@v0.8.6:sqlx-sqlite/src/options/mod.rs:201';

/** better-sqlite3's `timeout` option (ms) and sqlx's `.busy_timeout(Duration)`: the fix writes their defaults back. */
function otherDriver(ctx: RuleContext): RuleFinding {
  const s = ctx.pool.sqlite!;
  const bt = s.busyTimeoutMs;
  // a PRAGMA written in code (`db.pragma('busy_timeout = 0')`, "PRAGMA busy_timeout=0")
  const pragma = bt.source === 'literal' && /busy_timeout\s*=\s*0\b/i.test(bt.text ?? '');
  let fix;
  let span = writtenAt(bt) ?? bt.span;
  if (pragma && bt.span) {
    const text = ctx.fixes.source(bt.span.file).slice(bt.span.start, bt.span.end);
    const newText = text.replace(/(busy_timeout\s*=\s*)0\b/i, (_m, head: string) => `${head}5000`);
    if (newText !== text) fix = ctx.fixes.fix('Set busy_timeout = 5000', [{ file: bt.span.file, start: bt.span.start, end: bt.span.end, newText }]);
  } else if (ctx.pool.library === 'better-sqlite3') {
    const timeout = ctx.profile.settings.timeout;
    span = writtenAt(timeout) ?? span;
    const edit = timeout ? ctx.fixes.setNumber(timeout, 5000) : undefined;
    if (edit) fix = ctx.fixes.fix('Set timeout: 5000', [edit]);
  } else if (bt.source === 'literal' && bt.span) {
    // `Duration::from_secs(0)` / `Duration::from_millis(0)`: the argument, in the same unit
    const text = ctx.fixes.source(bt.span.file).slice(bt.span.start, bt.span.end);
    const m = /^((?:[\w:]*::)?Duration::from_(secs|millis)\(\s*)0(?:u64)?(\s*\))$/.exec(text);
    if (m) fix = ctx.fixes.fix(`Set busy_timeout to ${m[2] === 'secs' ? '5 s' : '5000 ms'}`, [{ file: bt.span.file, start: bt.span.start, end: bt.span.end, newText: `${m[1]}${m[2] === 'secs' ? '5' : '5000'}${m[3]}` }]);
  }
  const dflt = ctx.pool.library === 'sqlx' ? "sqlx's default is 5 s" : "better-sqlite3's default is 5000 ms";
  return {
    message: `${described(ctx, 'busy timeout (ms)', bt)}: SQLite returns SQLITE_BUSY at once, so a write that meets another write fails with "database is locked" instead of waiting for the lock. Wait at least a few seconds (${dflt}).`,
    span: span ?? ctx.pool.span,
    fix,
  };
}

export const sqliteNoBusyTimeout: Rule = {
  meta: {
    id: 'sqlite-no-busy-timeout',
    severity: 'warning',
    summary: 'SQLite gives up at once when the database is locked (busy timeout 0).',
    rationale:
      'With no busy handler SQLite returns SQLITE_BUSY immediately, so any write that meets another write fails with ' +
      '`database is locked` instead of waiting a few milliseconds for the lock. Python\'s sqlite3 (and aiosqlite, which passes ' +
      'its arguments through) waits 5 s by default; timeout=0 or PRAGMA busy_timeout=0 removes that. better-sqlite3 waits 5000 ms ' +
      'and sqlx\'s SqliteConnectOptions 5 s by default; `timeout: 0` or `.busy_timeout(Duration::ZERO)` removes that too.',
    thresholdSource: `https://www.sqlite.org/c3ref/busy_handler.html ("If the busy callback is NULL, then SQLITE_BUSY is returned immediately"); sqlite3.connect timeout=5.0: https://docs.python.org/3/library/sqlite3.html#sqlite3.connect; ${BETTER_SQLITE3_TIMEOUT}; ${SQLX_BUSY_TIMEOUT}`,
    fixable: true,
    fixDescription:
      'Replaces a written timeout of 0 with 5 (seconds), or a PRAGMA busy_timeout of 0 with 5000 (ms); for better-sqlite3 a `timeout: 0` option with 5000 (ms); for sqlx `Duration::from_secs(0)` / `from_millis(0)` in `.busy_timeout(..)` with 5 s.',
    appliesTo: 'sqlite3 and aiosqlite connections, SQLAlchemy SQLite engines, better-sqlite3 connections, and sqlx SQLite pools (SqliteConnectOptions::busy_timeout).',
    examples: [{ bad: 'sqlite3.connect("app.db", timeout=0)', good: 'sqlite3.connect("app.db", timeout=5)' }],
  },
  check(ctx) {
    const s = ctx.pool.sqlite;
    if (!s || ctx.profile.database.kind !== 'sqlite' || s.busyTimeoutMs.value !== 0) return [];
    const bt = s.busyTimeoutMs;
    if (ctx.pool.library === 'better-sqlite3' || ctx.pool.library === 'sqlx') return [otherDriver(ctx)];
    // the busy timeout is written either as the driver's timeout (seconds) or as a PRAGMA (milliseconds)
    const timeout = ctx.profile.settings.timeout;
    const fromTimeout = bt.source !== 'literal' || !bt.text?.toUpperCase().includes('PRAGMA');
    let fix;
    if (fromTimeout && timeout?.source === 'literal' && timeout.span) fix = ctx.fixes.fix('Set timeout=5', [ctx.fixes.setNumber(timeout, 5)]);
    else if (!fromTimeout && bt.span) {
      // from the file's own text at the span (the model's text may be shortened for messages, or masked in a cache)
      const text = ctx.fixes.source(bt.span.file).slice(bt.span.start, bt.span.end);
      const newText = text.replace(/busy_timeout\s*=\s*0\b/i, 'busy_timeout=5000');
      if (newText !== text) fix = ctx.fixes.fix('Set PRAGMA busy_timeout=5000', [{ file: bt.span.file, start: bt.span.start, end: bt.span.end, newText }]);
    }
    return [
      {
        message: `${described(ctx, 'busy timeout (ms)', bt)}: SQLite returns SQLITE_BUSY at once, so a write that meets another write fails with "database is locked" instead of waiting for the lock. Wait at least a few seconds (sqlite3's default is 5 s).`,
        span: (fromTimeout ? writtenAt(timeout) : bt.span) ?? ctx.pool.span,
        fix,
      },
    ];
  },
};
