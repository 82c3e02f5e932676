import type { Rule } from '../server/src/engine/rule';
import { writtenAt, profileLabel, profileKnown } from './util';
import { describeSource } from '../server/src/engine/python/settings';

/** Profiles that stand for production: the built-in one and any configured profile named like it. */
export function isProductionProfile(name: string): boolean {
  return /^(prod|production)([-_.].*)?$/i.test(name);
}

export const sqliteInProduction: Rule = {
  meta: {
    id: 'sqlite-in-production',
    severity: 'warning',
    summary: 'The production profile resolves the database URL to SQLite.',
    rationale:
      'SQLite allows one writer at a time: concurrent writes from several workers queue on the database lock and fail with ' +
      '`database is locked` once busy_timeout runs out, and WAL mode does not work over a network filesystem. A production ' +
      'profile that falls back to a SQLite URL (a variable missing from .env.production, say) silently runs the service on a ' +
      'local file. The rule fires only when the production profile has env files, so a project without them is not judged.',
    thresholdSource: 'https://www.sqlite.org/wal.html (one writer; not over a network filesystem); https://www.sqlite.org/lockingv3.html',
    fixable: false,
    appliesTo: 'Every SQLAlchemy engine (Flask-SQLAlchemy configs included) and Django database, in profiles named production/prod (or prod-*), when that profile has at least one env file, or when a Flask config class is named for production (ProductionConfig), or (Django) when a settings module named for production (settings/production.py, or one DJANGO_SETTINGS_MODULE names) gets the database, its own or one it inherits with `from .base import *`.',
    examples: [{ bad: '# .env.production has no DATABASE_URL\nengine = create_engine(os.getenv("DATABASE_URL", "sqlite:///./app.db"))', note: 'Set DATABASE_URL in .env.production to the server database.' }],
  },
  check(ctx) {
    const p = ctx.profile;
    if (!isProductionProfile(p.profile) || !profileKnown(p) || p.database.kind !== 'sqlite') return [];
    const src = p.database.source;
    const var_ = src?.env?.name;
    const how = src ? describeSource(src, ctx.rel) : p.database.how;
    const advice = var_ ? `Set ${var_}${p.envFiles.length ? ` in ${ctx.rel(p.envFiles[p.envFiles.length - 1])}` : ' in the production environment'} to the production server's URL.` : 'Point the production profile at a server database.';
    return [
      {
        message:
          `in ${profileLabel(p, ctx.rel)} the database is SQLite: ${p.database.url ?? p.database.scheme} (${how}). ` +
          `SQLite has one writer at a time: concurrent writes fail with "database is locked". ${advice}`,
        span: writtenAt(src) ?? ctx.pool.span,
      },
    ];
  },
};
