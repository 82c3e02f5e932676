import type { Rule } from '../server/src/engine/rule';
import { expectedConcurrency } from '../server/src/engine/config';
import { described, maybeNetwork, num, writtenAt } from './util';

export const unlimitedOpenConnections: Rule = {
  meta: {
    id: 'unlimited-open-connections',
    severity: 'warning',
    summary: 'A Go database/sql pool without SetMaxOpenConns (or with 0): it opens a new connection for every concurrent query, without limit.',
    rationale:
      'database/sql opens connections on demand and, unless SetMaxOpenConns is given a positive number, never refuses to open one more. ' +
      'Under a burst every goroutine running a query gets its own connection, and the server refuses them once its max_connections ' +
      'is used up: PostgreSQL with `FATAL: sorry, too many clients already`, MySQL with `Error 1040: Too many connections`. With only ' +
      'MaxIdleConns 2 kept idle by default, the connections opened for the burst are closed again right after it, so the next burst ' +
      'pays the connection set-up again. SetMaxOpenConns turns the burst into a queue in the process (bounded by each request\'s ' +
      'context) instead of a failure at the database. A value read from the environment with strconv.Atoi that is unset or not a ' +
      'number comes out as 0, which is the same unlimited pool.',
    thresholdSource:
      'golang/go@59fbc067:src/database/sql/sql.go (SetMaxOpenConns: "If n <= 0, then there is no limit on the number of open connections. The default is 0 (unlimited)."; defaultMaxIdleConns = 2); ' +
      'strconv.Atoi returns 0 with an error for "" (https://pkg.go.dev/strconv#Atoi); the size the fix writes is the expected concurrency (see undersized-pool).',
    fixable: true,
    fixDescription: 'Adds `db.SetMaxOpenConns(N)` after the statement that opens the pool (after its `if err != nil { ... }`), N being the expected concurrency; replaces a written 0.',
    appliesTo: 'Go database/sql pools (sql.Open, sql.OpenDB, sqlx.Open/Connect) on PostgreSQL, MySQL or a database the driver name does not tell; setters count on the pool\'s variable in its function, on the result of the function that returns it wherever its package (the folder\'s non-test files) calls it, and on the parameter of a function it is passed to, one call deep, and in other packages of the same Go module that import the pool\'s package by its import path (cmd/api calling store.Open() then db.SetMaxOpenConns). Not followed: a module without go.mod, a pool passed further than one call, or stored in a struct field. Not SQLite. pgxpool always has a limit (MaxConns, the greater of 4 and the CPU count). The fleet budget over every process is pool-exceeds-server-connections\'s.',
    examples: [
      {
        bad: 'db, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))\nif err != nil {\n\treturn nil, err\n}\nreturn db, nil',
        good: 'db, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))\nif err != nil {\n\treturn nil, err\n}\ndb.SetMaxOpenConns(50)\nreturn db, nil',
      },
    ],
  },
  check(ctx) {
    const p = ctx.profile;
    if (ctx.pool.library !== 'go-database-sql' || !maybeNetwork(p)) return [];
    const s = p.settings.MaxOpenConns;
    const v = num(s);
    if (!s || s.source === 'unknown' || v === undefined || v > 0) return [];
    const need = expectedConcurrency(ctx.config);
    const edit = ctx.fixes.setNumber(s, need.value) ?? (s.source === 'default' ? ctx.fixes.setSetting(p, 'MaxOpenConns', String(need.value)) : undefined);
    const how = s.source === 'default' ? 'SetMaxOpenConns is never called on it (not in its function, not where its package calls the function that returns it, not in a function it is passed to)' : `${described(ctx, 'MaxOpenConns', s)}${s.reason ? ` (${s.reason})` : ''}`;
    const server = p.database.kind === 'mysql' ? 'MySQL refuses them with "Error 1040: Too many connections"' : p.database.kind === 'postgresql' ? 'PostgreSQL refuses them with "sorry, too many clients already"' : 'the server refuses them';
    return [
      {
        message:
          `this database/sql pool has no limit on open connections: ${how}, and 0 means unlimited. Every concurrent query opens its own connection until ${server}. ` +
          `Call SetMaxOpenConns(${need.value}) (the expected concurrency: ${need.how}) so a burst waits in the pool instead.`,
        span: writtenAt(s) ?? ctx.pool.span,
        fix: edit ? ctx.fixes.fix(`Call SetMaxOpenConns(${need.value})`, [edit]) : undefined,
      },
    ];
  },
};
