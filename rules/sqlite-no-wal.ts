import type { Rule } from '../server/src/engine/rule';
import type { TextEdit } from '../server/src/engine/model';
import { LineIndex } from '../server/src/engine/syntax';
import type { RuleContext } from '../server/src/engine/rule';
import { described } from './util';

/** A PRAGMA statement right after the connection is made (or first in `async with ... as db:`). */
export function pragmaEdit(ctx: RuleContext, pragma: string): TextEdit | undefined {
  const s = ctx.pool.sqlite;
  if (!s?.connection) return undefined;
  const call = `${s.awaited ? 'await ' : ''}${s.connection}.execute("${pragma}")`;
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
    thresholdSource: 'https://www.sqlite.org/wal.html (readers do not block the writer); default journal_mode DELETE and WAL persistence: https://www.sqlite.org/pragma.html#pragma_journal_mode (pool-facts §6)',
    fixable: true,
    fixDescription: 'Executes PRAGMA journal_mode=WAL right after the connection is made (awaited for aiosqlite), or first in the `async with` block.',
    appliesTo: 'sqlite3 and aiosqlite connections used by a concurrent server (aiosqlite, or a module that imports a web framework), and SQLAlchemy SQLite engines. Not in-memory databases.',
    examples: [{ bad: 'self._connection = await aiosqlite.connect(self.db_path)', good: 'self._connection = await aiosqlite.connect(self.db_path)\nawait self._connection.execute("PRAGMA journal_mode=WAL")' }],
  },
  check(ctx) {
    const s = ctx.pool.sqlite;
    const p = ctx.profile;
    if (!s || p.database.kind !== 'sqlite' || p.database.memory || !s.server.value) return [];
    if (s.journalMode.value === 'wal' || s.journalMode.value === undefined) return [];
    const edit = s.journalMode.source === 'default' ? pragmaEdit(ctx, 'PRAGMA journal_mode=WAL') : undefined;
    const bt = typeof s.busyTimeoutMs.value === 'number' ? `${s.busyTimeoutMs.value} ms` : 'the busy timeout';
    return [
      {
        message: `${described(ctx, 'journal_mode', s.journalMode)} while ${s.server.how}: a writer locks out readers and readers hold off the writer, so concurrent requests wait on the lock and fail with "database is locked" after ${bt}. Run PRAGMA journal_mode=WAL when the database is opened.`,
        span: s.journalMode.source === 'literal' && s.journalMode.span ? s.journalMode.span : ctx.pool.span,
        fix: edit ? ctx.fixes.fix('Run PRAGMA journal_mode=WAL after connecting', [edit]) : undefined,
      },
    ];
  },
};
