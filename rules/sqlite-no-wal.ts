import type { Rule } from '../server/src/engine/rule';
import type { TextEdit } from '../server/src/engine/model';
import { LineIndex } from '../server/src/engine/syntax';
import type { RuleContext } from '../server/src/engine/rule';
import { described } from './util';

/**
 * A PRAGMA statement right after the connection is made (or first in `async with ... as db:`):
 * Python `db.execute("PRAGMA ...")`, better-sqlite3 `db.pragma('...');` (quotes and semicolons as
 * the file writes them).
 */
export function pragmaEdit(ctx: RuleContext, pragma: string): TextEdit | undefined {
  const s = ctx.pool.sqlite;
  if (!s?.connection) return undefined;
  let call = `${s.awaited ? 'await ' : ''}${s.connection}.execute("${pragma}")`;
  if (ctx.pool.library === 'better-sqlite3') {
    if (!s.insertAfter) return undefined;
    const text = ctx.fixes.source(s.insertAfter.file);
    const stmt = text.slice(s.insertAfter.start, s.insertAfter.end);
    const single = (text.match(/'[^'\n]*'/g) ?? []).length;
    const double = (text.match(/"[^"\n]*"/g) ?? []).length;
    const q = double > single ? '"' : "'";
    const body = pragma.replace(/^\s*PRAGMA\s+/i, '').replace(/\s*=\s*/, ' = ');
    call = `${s.connection}.pragma(${q}${body}${q})${stmt.trimEnd().endsWith(';') ? ';' : ''}`;
  }
  if (s.insertAfter) {
    const text = ctx.fixes.source(s.insertAfter.file);
    const lines = new LineIndex(text);
    const indent = /^[ \t]*/.exec(text.slice(lines.lineStart(s.insertAfter.line)))![0];
    const nl = text.includes('\r\n') ? '\r\n' : '\n';
    return { file: s.insertAfter.file, start: s.insertAfter.end, end: s.insertAfter.end, newText: `${nl}${indent}${call}` };
  }
  if (s.insertInto) {
    const text = ctx.fixes.source(s.insertInto.file);
    const lines = new LineIndex(text);
    const start = lines.lineStart(s.insertInto.line);
    const indent = /^[ \t]*/.exec(text.slice(start))![0];
    const nl = text.includes('\r\n') ? '\r\n' : '\n';
    return { file: s.insertInto.file, start: s.insertInto.start, end: s.insertInto.start, newText: `${call}${nl}${indent}` };
  }
  return undefined;
}

export const sqliteNoWal: Rule = {
  meta: {
    id: 'sqlite-no-wal',
    severity: 'warning',
    summary: 'SQLite serves concurrent requests in rollback-journal mode (no PRAGMA journal_mode=WAL).',
    rationale:
      'In the default rollback-journal mode a writer locks out readers and readers hold off the writer, so under concurrent ' +
      'requests statements wait on the database lock and fail with `database is locked` once the busy timeout runs out. WAL ' +
      'lets readers proceed beside the one writer. WAL is persistent in the database file, so a database set to WAL elsewhere ' +
      'stays WAL; the rule looks for the PRAGMA in the code that opens the database.',
    thresholdSource:
      'https://www.sqlite.org/wal.html (readers do not block the writer); default journal_mode DELETE and WAL persistence: https://www.sqlite.org/pragma.html#pragma_journal_mode (pool-facts §6); ' +
      'better-sqlite3 recommends WAL for web applications (WiseLibs/better-sqlite3@dbc2ea11:docs/performance.md:3-7); sqlx sets no journal_mode unless asked (sqlx@v0.8.6:sqlx-sqlite/src/options/mod.rs:177-181)',
    fixable: true,
    fixDescription:
      'Executes PRAGMA journal_mode=WAL right after the connection is made (awaited for aiosqlite; `db.pragma(\'journal_mode = WAL\')` for better-sqlite3), or first in the `async with` block. ' +
      'For sqlx, adds `.journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)` to the pool\'s own SqliteConnectOptions chain; a pool that connects with a URL only gets no fix.',
    appliesTo:
      'sqlite3 and aiosqlite connections used by a concurrent server (aiosqlite, or a module that imports a web framework), SQLAlchemy SQLite engines, better-sqlite3 connections in a web app ' +
      '(the module imports express/fastify/koa/hapi/next/nest/hono, or its package.json depends on one), and sqlx SQLite pools in a crate that uses axum/actix-web/rocket/warp/poem/tide. Not in-memory databases.',
    examples: [
      { bad: 'self._connection = await aiosqlite.connect(self.db_path)', good: 'self._connection = await aiosqlite.connect(self.db_path)\nawait self._connection.execute("PRAGMA journal_mode=WAL")' },
      { bad: "const db = new Database('data/app.db');", good: "const db = new Database('data/app.db');\ndb.pragma('journal_mode = WAL');" },
      {
        bad: 'let opts = SqliteConnectOptions::from_str(&url)?.create_if_missing(true);',
        good: 'let opts = SqliteConnectOptions::from_str(&url)?\n    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)\n    .create_if_missing(true);',
      },
    ],
  },
  check(ctx) {
    const s = ctx.pool.sqlite;
    const p = ctx.profile;
    if (!s || p.database.kind !== 'sqlite' || p.database.memory || !s.server.value) return [];
    if (s.journalMode.value === 'wal' || s.journalMode.value === undefined) return [];
    const lib = ctx.pool.library;
    let fix;
    if (s.journalMode.source === 'default') {
      if (lib === 'sqlx') {
        // only on the pool's own SqliteConnectOptions chain: `.journal_mode(..)` right after the options are made
        if (s.insertAfter) fix = ctx.fixes.fix('Set .journal_mode(SqliteJournalMode::Wal) on the connect options', [ctx.fixes.insertSetting({ kind: 'chain', span: s.insertAfter }, 'journal_mode', 'sqlx::sqlite::SqliteJournalMode::Wal')]);
      } else if (!(lib === 'better-sqlite3' && p.settings.readonly?.value !== false)) {
        // a readonly better-sqlite3 connection cannot change the journal mode
        const edit = pragmaEdit(ctx, 'PRAGMA journal_mode=WAL');
        fix = edit ? ctx.fixes.fix('Run PRAGMA journal_mode=WAL after connecting', [edit]) : undefined;
      }
    }
    const bt = typeof s.busyTimeoutMs.value === 'number' ? `${s.busyTimeoutMs.value} ms` : 'the busy timeout';
    const advice =
      lib === 'sqlx'
        ? 'Set .journal_mode(SqliteJournalMode::Wal) on the SqliteConnectOptions the pool connects with (sqlx leaves the journal mode alone unless asked).'
        : lib === 'better-sqlite3'
          ? `Run ${s.connection ?? 'db'}.pragma('journal_mode = WAL') once the database is opened (better-sqlite3's docs recommend WAL for web applications).`
          : 'Run PRAGMA journal_mode=WAL when the database is opened.';
    return [
      {
        message: `${described(ctx, 'journal_mode', s.journalMode)} while ${s.server.how}: a writer locks out readers and readers hold off the writer, so concurrent requests wait on the lock and fail with "database is locked" after ${bt}. ${advice}`,
        span: s.journalMode.source === 'literal' && s.journalMode.span ? s.journalMode.span : ctx.pool.span,
        fix,
      },
    ];
  },
};
