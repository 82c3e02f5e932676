import type { Rule } from '../server/src/engine/rule';
import { isProductionProfile } from './sqlite-in-production';
import { DJANGO_POOL, described, djangoSet, isNetwork, profileKnown, profileLabel, writtenAt } from './util';

/** The lifetime the fix gives persistent connections (Django's docs use 60 s as the example bound). */
export const CONN_MAX_AGE_SECONDS = 60;

export const djangoConnectionPerRequest: Rule = {
  meta: {
    id: 'django-connection-per-request',
    severity: 'warning',
    summary: 'Django opens a new database connection for every request in production (CONN_MAX_AGE 0 and no OPTIONS["pool"]).',
    rationale:
      'CONN_MAX_AGE 0, the default, is Django\'s form of "no pool": every request opens a connection (TCP, TLS, authentication, ' +
      'and on PostgreSQL a new server process) and closes it at the end. Under load that costs milliseconds per request and a ' +
      'connection storm at every traffic spike, which proxies and managed databases meet with `too many clients` or refused ' +
      'connections. Persistent connections (CONN_MAX_AGE above 0, with CONN_HEALTH_CHECKS so a dropped one is replaced) or, from ' +
      'Django 5.1 on PostgreSQL, OPTIONS["pool"] keep connections across requests. Under ASGI, where each request runs in its ' +
      'own context and persistent connections are not reused, use OPTIONS["pool"] instead. Only production profiles are judged.',
    thresholdSource:
      'django/django@main:django/db/utils.py (ConnectionHandler.configure_settings: CONN_MAX_AGE defaults to 0); ' +
      'https://docs.djangoproject.com/en/5.1/ref/databases/#persistent-connections (CONN_MAX_AGE, CONN_HEALTH_CHECKS) and #connection-pool; ' +
      'dj_database_url.config(conn_max_age=0) (jazzband/dj-database-url dj_database_url/__init__.py).',
    fixable: true,
    fixDescription: `Sets CONN_MAX_AGE to ${CONN_MAX_AGE_SECONDS} where it is written (the literal, the .env line or the fallback in code; a new key in the database dict, or conn_max_age= in a dj_database_url call) and turns on CONN_HEALTH_CHECKS the same way.`,
    appliesTo: 'Django databases on PostgreSQL or MySQL in profiles named production/prod whose env files or settings module tie them to production. Not SQLite, not development profiles, not databases with OPTIONS["pool"]. Other libraries have their own pools and are not judged by this rule.',
    examples: [
      {
        bad: 'DATABASES = {"default": dj_database_url.config()}  # CONN_MAX_AGE 0: a connection per request',
        good: `DATABASES = {"default": dj_database_url.config(conn_max_age=${CONN_MAX_AGE_SECONDS}, conn_health_checks=True)}`,
      },
    ],
  },
  check(ctx) {
    const p = ctx.profile;
    if (ctx.pool.library !== 'django' || !isProductionProfile(p.profile) || !profileKnown(p) || !isNetwork(p) || p.poolClass.name === DJANGO_POOL) return [];
    const s = p.settings.CONN_MAX_AGE;
    if (!s || s.value !== 0) return [];
    const hc = p.settings.CONN_HEALTH_CHECKS;
    const edits = [
      ctx.fixes.setNumber(s, CONN_MAX_AGE_SECONDS) ?? (s.source === 'default' ? djangoSet(ctx, 'CONN_MAX_AGE', String(CONN_MAX_AGE_SECONDS)) : undefined),
      hc && hc.value !== true ? djangoSet(ctx, 'CONN_HEALTH_CHECKS', 'True') ?? ctx.fixes.setEnvTrue(hc) : undefined,
    ];
    return [
      {
        message:
          `in ${profileLabel(p, ctx.rel)} ${described(ctx, 'CONN_MAX_AGE', s)} and no OPTIONS["pool"]: Django opens a new connection to ${p.database.kind === 'mysql' ? 'MySQL' : 'PostgreSQL'} ` +
          `for every request and closes it at the end (${p.database.how}). Keep connections with CONN_MAX_AGE ${CONN_MAX_AGE_SECONDS} and CONN_HEALTH_CHECKS True, or (Django 5.1+, PostgreSQL, ASGI) OPTIONS["pool"].`,
        span: writtenAt(s) ?? ctx.pool.span,
        fix: ctx.fixes.fix(`Set CONN_MAX_AGE to ${CONN_MAX_AGE_SECONDS} with CONN_HEALTH_CHECKS`, edits),
      },
    ];
  },
};
