import type { Rule, RuleFinding } from '../server/src/engine/rule';
import { freeEnvName, maybeNetwork, num } from './util';
import { POOL_CLASS_ACCEPTS } from '../server/src/engine/detectors/sqlalchemy';

const ENV_NAMES: Record<string, string> = { pool_size: 'DB_POOL_SIZE', max_overflow: 'DB_MAX_OVERFLOW', min_size: 'DB_POOL_MIN_SIZE', max_size: 'DB_POOL_MAX_SIZE' };
/** JS/TS pools: the size setting and the env name it moves to. */
const JS_SIZES: Record<string, [string, string]> = { 'node-postgres': ['max', 'PG_POOL_MAX'], knex: ['max', 'DB_POOL_MAX'], sequelize: ['max', 'DB_POOL_MAX'], mysql2: ['connectionLimit', 'DB_CONNECTION_LIMIT'] };

/** The size settings of the Python libraries whose sizes are plain keyword arguments. */
const PY_SIZES: Record<string, string[]> = { sqlalchemy: ['pool_size', 'max_overflow'], 'flask-sqlalchemy': ['pool_size', 'max_overflow'], asyncpg: ['min_size', 'max_size'], psycopg_pool: ['min_size', 'max_size'], django: ['min_size', 'max_size'] };

export const hardcodedPoolSize: Rule = {
  meta: {
    id: 'hardcoded-pool-size',
    severity: 'info',
    summary: 'A pool size is a literal in code, so it cannot differ between environments or be tuned without a release.',
    rationale:
      'The right pool size depends on the deployment: worker count, replicas and the server\'s max_connections. A size written ' +
      'in code is the same in development, staging and production, and changing it needs a code change. Reading it from an ' +
      'environment variable with the current value as fallback keeps today\'s behaviour and makes it tunable per environment.',
    thresholdSource: 'https://12factor.net/config; SQLAlchemy pool_size/max_overflow (sqlalchemy@rel_2_0:lib/sqlalchemy/engine/create.py:382,441)',
    fixable: true,
    fixDescription: 'SQLAlchemy: replaces the literal with int(os.getenv("DB_POOL_SIZE", "<current>")) (DB_MAX_OVERFLOW for max_overflow) and adds `import os` when missing; asyncpg and psycopg_pool the same with DB_POOL_MIN_SIZE / DB_POOL_MAX_SIZE; node-postgres: Number(process.env.PG_POOL_MAX ?? <current>); knex and Sequelize: Number(process.env.DB_POOL_MAX ?? <current>); mysql2: Number(process.env.DB_CONNECTION_LIMIT ?? <current>); sqlx: std::env::var("DATABASE_MAX_CONNECTIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(<current>), with .acquire_timeout(Duration::from_secs(30)) written out when it was implicit (seed 002\'s fix); all add the key to .env.example when the project has one. When an env file of the pool already uses that name (another service\'s pool, say), the name gets the module\'s folder as a prefix (WORKER_DB_POOL_SIZE), so the fix changes no value today.',
    appliesTo: 'SQLAlchemy engines (Flask-SQLAlchemy SQLALCHEMY_ENGINE_OPTIONS and engine_options included) on a server database (or one the URL does not tell), sqlx pools (max_connections), node-postgres, knex and Sequelize pools (max) mysql2 pools (connectionLimit), asyncpg and psycopg_pool pools and Django OPTIONS["pool"] (min_size, max_size). Not SQLite, where sizing is the wrong lever (see sqlite-pool-sizing). Not Prisma (the size sits in the URL, already in the environment), not Spring/HikariCP (application.yml is configuration, and Spring binds SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE over it), not Go (a literal SetMaxOpenConns is the usual form there), not sequelize-cli\'s config/config.json (JSON reads no env variable: its sections per NODE_ENV are how the size differs between environments).',
    examples: [
      { bad: 'create_engine(url, pool_size=20)', good: 'create_engine(url, pool_size=int(os.getenv("DB_POOL_SIZE", "20")))' },
      { bad: 'new Pool({ max: 20 })', good: 'new Pool({ max: Number(process.env.PG_POOL_MAX ?? 20) })' },
      { bad: 'PgPoolOptions::new().max_connections(10)', good: 'PgPoolOptions::new()\n    .acquire_timeout(std::time::Duration::from_secs(30))\n    .max_connections(std::env::var("DATABASE_MAX_CONNECTIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(10))' },
    ],
  },
  check(ctx) {
    const p = ctx.profile;
    // sequelize-cli's config/config.json is JSON: it cannot read the env (use_env_variable is its one env form)
    if (ctx.pool.constructor === 'config.json') return [];
    const js = JS_SIZES[ctx.pool.library];
    if (js) {
      const [name, base] = js;
      const s = p.settings[name];
      const v = num(s);
      // max 0 means 10 (invalid-pool-setting says so): not a value to carry into the env
      if (!s || s.source !== 'literal' || s.warning || v === undefined || v <= 0 || !s.span || !/^\d[\d_]*$/.test(s.text ?? '') || p.database.kind === 'sqlite') return [];
      const envName = freeEnvName(ctx, base);
      return [
        {
          message: `${name} ${v} is written in code at ${ctx.rel(s.span.file)}:${s.span.line + 1}: the same in every environment and changed only by a release. Read it from ${envName} with ${v} as the fallback.`,
          span: s.span,
          fix: ctx.fixes.fix(`Read ${name} from ${envName}`, [
            { file: s.span.file, start: s.span.start, end: s.span.end, newText: `Number(process.env.${envName} ?? ${v})` },
            ctx.envExample ? ctx.fixes.appendEnvExample(ctx.envExample, envName, String(v)) : undefined,
          ]),
        },
      ];
    }
    if (ctx.pool.library === 'sqlx') {
      const s = p.settings.max_connections;
      const v = num(s);
      if (!s || s.source !== 'literal' || v === undefined || v <= 0 || !s.span || !/^\d[\d_]*(u32)?$/.test(s.text ?? '') || p.database.kind === 'sqlite') return [];
      const envName = freeEnvName(ctx, 'DATABASE_MAX_CONNECTIONS');
      // seed 002's fix: the size from the environment, and the acquire bound written out where it is implicit
      const timeout = p.settings.acquire_timeout;
      return [
        {
          message: `max_connections ${v} is written in code at ${ctx.rel(s.span.file)}:${s.span.line + 1}: the same in every environment and changed only by a release. Read it from ${envName} with ${v} as the fallback.`,
          span: s.span,
          fix: ctx.fixes.fix(`Read max_connections from ${envName}`, [
            { file: s.span.file, start: s.span.start, end: s.span.end, newText: `std::env::var("${envName}").ok().and_then(|s| s.parse().ok()).unwrap_or(${v})` },
            timeout?.source === 'default' ? ctx.fixes.setSetting(p, 'acquire_timeout', 'std::time::Duration::from_secs(30)') : undefined,
            ctx.envExample ? ctx.fixes.appendEnvExample(ctx.envExample, envName, String(v)) : undefined,
          ]),
        },
      ];
    }
    const sizes = PY_SIZES[ctx.pool.library];
    if (!sizes || !maybeNetwork(p)) return [];
    const accepts = ctx.pool.library === 'sqlalchemy' || ctx.pool.library === 'flask-sqlalchemy' ? POOL_CLASS_ACCEPTS[p.poolClass.name] : undefined;
    const out: RuleFinding[] = [];
    for (const name of sizes) {
      const s = p.settings[name];
      const v = num(s);
      // a negative size is invalid-pool-setting's business, not a value to carry into the env
      if (!s || s.source !== 'literal' || v === undefined || v < 0 || !s.span || !/^\d+$/.test(s.text ?? '')) continue;
      // an argument the pool class rejects is invalid-pool-setting's: not a value to make tunable
      if (accepts && !accepts.includes(name)) continue;
      // a name no env file sets yet, so moving the value out of code changes nothing today
      const envName = freeEnvName(ctx, ENV_NAMES[name]);
      const edits = [
        { file: s.span.file, start: s.span.start, end: s.span.end, newText: `int(os.getenv("${envName}", "${v}"))` },
        ctx.fixes.ensureImportOs(s.span.file),
        ctx.envExample ? ctx.fixes.appendEnvExample(ctx.envExample, envName, String(v)) : undefined,
      ];
      out.push({
        message: `${name} ${v} is written in code at ${ctx.rel(s.span.file)}:${s.span.line + 1}: the same in every environment and changed only by a release. Read it from ${envName} with ${v} as the fallback.`,
        span: s.span,
        fix: ctx.fixes.fix(`Read ${name} from ${envName}`, edits),
      });
    }
    return out;
  },
};
