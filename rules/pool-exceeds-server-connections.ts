import type { Rule, RuleContext, RuleFinding } from '../server/src/engine/rule';
import type { Figure } from '../server/src/engine/deployment';
import { serviceFor } from '../server/src/engine/deployment';
import { capacity, described, writtenAt } from './util';

/** PostgreSQL's boot values; MySQL's max_connections default. */
const SERVER_DEFAULTS = {
  postgresql: { max: 100, reserved: 3, name: 'PostgreSQL', reservedHow: 'superuser_reserved_connections 3' },
  // mysqld admits max_connections + 1 clients, the extra one for a CONNECTION_ADMIN/SUPER account:
  // applications get max_connections
  mysql: { max: 151, reserved: 0, name: 'MySQL', reservedHow: 'nothing: the one connection mysqld admits beyond it is kept for CONNECTION_ADMIN/SUPER accounts' },
} as const;

const DEFAULT_PORTS = { postgresql: '5432', mysql: '3306' } as const;

/** The server a (masked) database URL names, as host:port with the kind's default port, when the URL tells one. */
function serverOf(url: string | undefined, kind: keyof typeof DEFAULT_PORTS): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url.trim().replace(/^jdbc:/i, ''));
    return u.hostname ? `${u.hostname.toLowerCase()}:${u.port || DEFAULT_PORTS[kind]}` : undefined;
  } catch {
    return undefined;
  }
}

interface Contribution {
  ctx: RuleContext;
  perProcess: number;
  processes: Figure;
  replicas: Figure;
  total: number;
}

export const poolExceedsServerConnections: Rule = {
  meta: {
    id: 'pool-exceeds-server-connections',
    severity: 'error',
    summary: 'The pools of every process and replica add up to more connections than the database server accepts.',
    rationale:
      'Each process holds its own pool, so the server sees capacity x processes x replicas from every service that talks to it. ' +
      'PostgreSQL refuses connections past max_connections (100 by default) minus the slots reserved for superusers (3), ' +
      'with `FATAL: sorry, too many clients already`; MySQL past max_connections (151) with `Too many connections`. The sum is ' +
      'per profile: development may fit while production, with bigger pools and more replicas, does not. Process counts come ' +
      'from docker-compose (gunicorn/uvicorn --workers, WEB_CONCURRENCY, deploy.replicas) and gunicorn.conf.py; the server limit ' +
      'from a postgres service\'s `-c max_connections=N`, a mysql/mariadb service\'s `--max-connections=N`, or the `serverMaxConnections` setting.',
    thresholdSource:
      'PostgreSQL max_connections boot_val 100, superuser_reserved_connections 3, reserved_connections 0 (postgres/postgres@011bbdb4:src/backend/utils/misc/guc_parameters.dat); ' +
      'error text src/backend/tcop/backend_startup.c (CAC_TOOMANY); MySQL max_connections default 151, and mysqld permits max_connections + 1 clients, the extra one for CONNECTION_ADMIN/SUPER (https://dev.mysql.com/doc/refman/8.0/en/server-system-variables.html#sysvar_max_connections, https://dev.mysql.com/doc/refman/8.0/en/too-many-connections.html); MariaDB max_connections default 151 (https://mariadb.com/kb/en/server-system-variables/#max_connections); ' +
      'node-postgres pool sizing guide (https://node-postgres.com/guides/pool-sizing).',
    fixable: false,
    appliesTo: 'All pools with a limit (SQLAlchemy QueuePool, sqlx, node-postgres, knex, Sequelize, mysql2, Prisma, Go database/sql and pgxpool, HikariCP, asyncpg, psycopg_pool, Django OPTIONS["pool"]) on PostgreSQL or MySQL/MariaDB, summed per profile and per database kind. Pools without a limit (NullPool, max_overflow=-1) are named but cannot be summed; a Go database/sql pool without SetMaxOpenConns (unlimited) fires on its own, whatever the sum.',
    examples: [
      {
        bad: '# .env.production\nDB_POOL_SIZE=50\nDB_MAX_OVERFLOW=100\n# one process already asks for 150 of PostgreSQL\'s 97 application slots',
        note: 'Seed 004\'s production figures.',
      },
    ],
  },
  check: () => [],
  checkAll(fleet) {
    const out: (RuleFinding & { poolId: string })[] = [];
    const reported = new Set<RuleContext>();
    for (const kind of ['postgresql', 'mysql'] as const) {
      // pools that open connections themselves; app config sections are read by one of these
      const all = fleet.pools.filter((c) => c.profile.database.kind === kind && c.pool.library !== 'yaml-config');
      if (all.length === 0) continue;
      // pools whose URLs name different servers (host and port) do not share one max_connections;
      // a pool whose URL does not tell may talk to any of them, so it counts towards each
      const address = new Map(all.map((c) => [c, serverOf(c.profile.database.url, kind)]));
      const known = [...new Set([...address.values()].filter((a): a is string => a !== undefined))];
      const groups = known.length <= 1 ? [{ pools: all, at: '' }] : known.map((a) => ({ pools: all.filter((c) => address.get(c) === a || address.get(c) === undefined), at: ` at ${a}` }));
      for (const { pools, at: serverAt } of groups) {
        const d = SERVER_DEFAULTS[kind];
        const server = fleet.deployment?.servers.find((s) => s.kind === kind);
        const max: Figure = fleet.config.serverMaxConnections !== undefined
          ? { value: fleet.config.serverMaxConnections, how: `serverMaxConnections = ${fleet.config.serverMaxConnections} in ${fleet.config.source ? fleet.rel(fleet.config.source) : 'the settings'}` }
          : server?.maxConnections ?? { value: d.max, how: `the ${d.name} default` };
        const available = max.value - d.reserved;
        const contributions: Contribution[] = [];
        const unbounded: RuleContext[] = [];
        for (const ctx of pools) {
          const cap = capacity(ctx);
          if (!cap) {
            unbounded.push(ctx);
            continue;
          }
          const service = fleet.deployment ? serviceFor(ctx.pool.file, fleet.deployment.services) : undefined;
          const processes = service?.processes ?? { value: 1, how: 'no compose service runs this file' };
          const replicas = service?.replicas ?? { value: 1, how: 'not replicated' };
          contributions.push({ ctx, perProcess: cap.total, processes, replicas, total: cap.total * processes.value * replicas.value });
        }
        // a Go database/sql pool without SetMaxOpenConns has no limit at all: whatever the others add up to, it can take every slot
        for (const ctx of unbounded.filter((c) => c.pool.library === 'go-database-sql' && (c.profile.settings.MaxOpenConns?.value ?? 1) === 0)) {
          if (reported.has(ctx)) continue;
          reported.add(ctx);
          const service = fleet.deployment ? serviceFor(ctx.pool.file, fleet.deployment.services) : undefined;
          const procs = (service?.processes.value ?? 1) * (service?.replicas.value ?? 1);
          out.push({
            poolId: ctx.pool.id,
            message:
              `the database/sql pool at ${fleet.rel(ctx.pool.file)}:${ctx.pool.span.line + 1} has no limit (MaxOpenConns 0: unlimited)${procs > 1 ? ` in each of ${procs} processes` : ''}, so under load it alone can open all ${available} connections the ${d.name} server accepts from applications ` +
              `(max_connections ${max.value} from ${max.how}), and every pool and process sharing the server then fails with "${kind === 'postgresql' ? 'FATAL: sorry, too many clients already' : 'Too many connections'}". ` +
              `Give it a limit with SetMaxOpenConns so the total over every process fits.`,
            span: writtenAt(ctx.profile.settings.MaxOpenConns) ?? ctx.pool.span,
            related: max.span ? [{ span: max.span, message: `max_connections ${max.value}` }] : undefined,
          });
        }
        const sum = contributions.reduce((a, c) => a + c.total, 0);
        if (sum <= available || contributions.length === 0) continue;
        contributions.sort((a, b) => b.total - a.total);
        const top = contributions[0];
        const topCap = capacity(top.ctx)!;
        const at = topCap.parts.map((n) => writtenAt(top.ctx.profile.settings[n])).find((s) => s) ?? top.ctx.pool.span;
        const lines = contributions.map((c) => {
          const cap = capacity(c.ctx)!;
          const parts = cap.parts.map((n) => described(c.ctx, n, c.ctx.profile.settings[n])).join(' + ');
          return `${fleet.rel(c.ctx.pool.file)}:${c.ctx.pool.span.line + 1} ${c.perProcess} (${parts}) x ${c.processes.value} process${c.processes.value === 1 ? '' : 'es'} (${c.processes.how}) x ${c.replicas.value} replica${c.replicas.value === 1 ? '' : 's'} (${c.replicas.how}) = ${c.total}`;
        });
        const extra = unbounded.length ? ` Not counted, having no limit: ${unbounded.map((c) => `${fleet.rel(c.pool.file)}:${c.pool.span.line + 1}`).join(', ')}.` : '';
        const error = kind === 'postgresql' ? 'FATAL: sorry, too many clients already' : 'Too many connections';
        out.push({
          poolId: top.ctx.pool.id,
          message:
            `the pools can open ${sum} connections to the ${d.name} server${serverAt}, above the ${available} it accepts from applications ` +
            `(max_connections ${max.value} from ${max.how}, minus ${d.reservedHow}): ${lines.join('; ')}. ` +
            `Connections past ${available} fail with "${error}". Shrink the pools (or the process count) so the total fits, or raise max_connections on the server.${extra}`,
          span: at,
          related: [
            ...contributions.slice(1).map((c) => ({ span: c.ctx.pool.span, message: `${c.total} connections from this pool` })),
            ...(max.span ? [{ span: max.span, message: `max_connections ${max.value}` }] : []),
          ],
        });
      }
    }
    return out;
  },
};
