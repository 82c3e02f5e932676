import type { Rule, RuleFinding } from '../server/src/engine/rule';
import { normKey } from '../server/src/engine/detectors/yaml-config';
import { described, num } from './util';

/** Settings that give the number of connections allowed to write. */
const WRITER_KEYS = new Set(['max_writers', 'writers', 'write_pool_size', 'writer_pool_size', 'max_write_connections', 'max_writer_connections']);
const READER_KEYS = new Set(['max_readers', 'readers', 'read_pool_size', 'reader_pool_size']);

export const sqliteMultipleWriters: Rule = {
  meta: {
    id: 'sqlite-multiple-writers',
    severity: 'warning',
    summary: 'A pool configured for more than one concurrent writer on a SQLite database.',
    rationale:
      'SQLite lets one connection write at a time, WAL mode included: a second writer\'s `BEGIN IMMEDIATE` (or its first ' +
      'write) waits on the database lock for busy_timeout (5 s by default in Python\'s sqlite3 and aiosqlite) and then fails ' +
      'with `database is locked`. A write pool of N connections therefore gives one writer and N-1 connections queued on ' +
      'the lock; under load the queue outlasts busy_timeout and writes fail. WAL lets readers run alongside the one writer, ' +
      'so read connections help; write connections beyond one do not. Keep one writer, keep write transactions short, and ' +
      'queue writes in the application (or move to a server database).',
    thresholdSource:
      'One writer at a time: https://www.sqlite.org/wal.html (readers and the writer do not block each other; there is only one writer) and ' +
      'https://www.sqlite.org/lockingv3.html (RESERVED/PENDING/EXCLUSIVE locks: one writer per database file); ' +
      'sqlite3.connect timeout=5.0: https://docs.python.org/3/library/sqlite3.html#sqlite3.connect',
    fixable: true,
    fixDescription:
      'Sets the writer count to 1 where it is written: the YAML scalar in place (quotes and comments kept, nothing else reformatted), ' +
      'the .env line a `${VAR}` placeholder reads, or the placeholder\'s default. Totals such as max_connections are left as they are.',
    appliesTo:
      'Pool sections of YAML application config (yaml-config pools) whose database is SQLite, known from a URL, path or driver key ' +
      'in or above the section, or from the code that reads the section (aiosqlite/sqlite3 imports). Keys: max_writers, writers, write_pool_size.',
    examples: [
      {
        bad: '# src/config.yaml (seed 001)\nchat:\n  service:\n    repository:\n      connection_pool:\n        max_readers: 8\n        max_writers: 2  # one writes, one waits on the lock',
        good: 'chat:\n  service:\n    repository:\n      connection_pool:\n        max_readers: 8\n        max_writers: 1',
        note: 'The repository opens the connections with aiosqlite; the 8 readers are fine in WAL mode.',
      },
    ],
  },
  check(ctx) {
    const p = ctx.profile;
    if (ctx.pool.library !== 'yaml-config' || p.database.kind !== 'sqlite') return [];
    const out: RuleFinding[] = [];
    const readers = Object.entries(p.settings).find(([n, s]) => READER_KEYS.has(normKey(n)) && num(s) !== undefined);
    for (const [name, s] of Object.entries(p.settings)) {
      const n = num(s);
      if (!WRITER_KEYS.has(normKey(name)) || n === undefined || n <= 1 || !s.span) continue;
      const alongside = readers ? ` The readers (${readers[0]} ${String(readers[1].value)}) are not the problem: in WAL mode they read alongside the one writer.` : '';
      const edit = ctx.fixes.setNumber(s, 1);
      const related = s.source === 'env' && s.env && !s.env.usedFallback && s.env.valueSpan ? [{ span: s.env.valueSpan, message: `${s.env.name}=${s.env.raw ?? ''} is set here` }] : undefined;
      out.push({
        message:
          `${described(ctx, name, s)} on SQLite (${p.database.how}): SQLite has one writer at a time, so of ${n} writer connections 1 writes ` +
          `and ${n - 1} wait${n - 1 === 1 ? 's' : ''} on the database lock, failing with "database is locked" once busy_timeout runs out ` +
          `(5 s by default in sqlite3 and aiosqlite).${alongside} Set ${name} to 1 and queue writes in the application.`,
        span: s.span,
        related,
        fix: edit ? ctx.fixes.fix(`Set ${name} to 1`, [edit]) : undefined,
      });
    }
    return out;
  },
};
