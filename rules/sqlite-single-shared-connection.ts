import type { Rule } from '../server/src/engine/rule';

export const sqliteSingleSharedConnection: Rule = {
  meta: {
    id: 'sqlite-single-shared-connection',
    severity: 'warning',
    summary: 'One SQLite connection, kept on self or the module, is shared by every request.',
    rationale:
      'An aiosqlite Connection runs every call on its one thread in order, so a shared connection turns concurrent requests ' +
      'into a queue: reads wait behind each other and behind writes, and WAL\'s concurrent readers never happen (seed 001). ' +
      'With sqlite3, a shared connection across threads needs check_same_thread=False and serialises the same way. Use one ' +
      'connection per request (or a small read pool plus one writer) and keep WAL.',
    thresholdSource: 'aiosqlite: one dedicated thread and a request queue per Connection (omnilib/aiosqlite@9b127cec:aiosqlite/core.py:48-90; README.rst:72-76); https://www.sqlite.org/wal.html',
    fixable: false,
    appliesTo:
      'sqlite3 and aiosqlite connections stored on `self.<attr>` or a module global in code that serves concurrent requests. ' +
      'Not better-sqlite3: its API is synchronous, so each call runs to completion on the event loop and a second connection in the same ' +
      'thread adds no concurrency; its maintainer recommends one connection per process, exported from a module ' +
      '(WiseLibs/better-sqlite3#55, #417). Not sqlx pools, which hand out connections per request.',
    examples: [
      {
        bad: 'async def _ensure_connection(self):\n    if not self._connection:\n        self._connection = await aiosqlite.connect(self.db_path)\n    return self._connection',
        note: 'Seed 001: every repository call goes through the same connection.',
      },
    ],
  },
  check(ctx) {
    const s = ctx.pool.sqlite;
    if (!s?.shared || !s.server.value || ctx.profile.database.memory) return [];
    // better-sqlite3 is synchronous: one module-level connection per process is the library's own advice
    // (a shared connection cannot queue; a slow query blocks the event loop, whatever the number of connections)
    if (ctx.pool.library === 'better-sqlite3') return [];
    const serial = ctx.pool.library === 'aiosqlite' ? 'aiosqlite runs every call on that connection\'s one thread, in order' : 'every thread takes turns on it';
    return [
      {
        message: `one connection in ${s.shared.holder} is shared by every caller while ${s.server.how}: ${serial}, so concurrent reads queue behind each other and behind writes, and WAL's parallel readers never happen. Open a connection per request (or a small read pool and one writer).`,
        span: ctx.pool.span,
      },
    ];
  },
};
