// Django: each entry of DATABASES in a settings module becomes a pool model: ENGINE, CONN_MAX_AGE
// (0 = a new connection per request, None = kept forever), CONN_HEALTH_CHECKS, and OPTIONS["pool"]
// (Django 5.1+: a psycopg_pool.ConnectionPool per process, True = its defaults). Values may come from
// dj_database_url.config()/parse(), os.environ, and `from .base import *` chains (settings/base.py +
// settings/production.py). Which profile a settings module serves: DJANGO_SETTINGS_MODULE in the
// profile's env files, else the module's name (production.py, dev.py; test settings are skipped); a
// base module serves the profiles no module built on it claims.
// Defaults: django/django@main django/db/utils.py (ConnectionHandler.configure_settings: CONN_MAX_AGE 0,
// CONN_HEALTH_CHECKS False), django/db/backends/postgresql/base.py (DatabaseWrapper.pool: no pool unless
// OPTIONS["pool"]; True means {}; check=ConnectionPool.check_connection only with CONN_HEALTH_CHECKS;
// ImproperlyConfigured "Pooling doesn't support persistent connections." when CONN_MAX_AGE != 0).
import * as path from 'path';
import type { SyntaxNode } from '../syntax';
import { nodeSpan } from '../syntax';
import type { DatabaseInfo, InsertTarget, PoolModel, ProfileModel, Setting } from '../model';
import { ProfileEnv } from '../envfiles';
import { PyEvaluator } from '../python/evaluator';
import { toSetting, describeSource } from '../python/settings';
import type { V } from '../python/values';
import { databaseOf } from './sqlalchemy';
import { PSYCOPG_POOL_DEFAULTS } from './psycopg-pool';
import { activeProfiles, differences, type Detector, type DetectorContext } from './types';

export const DJANGO_ASSUMED_VERSION = '5.2';
const UTILS = 'django/django@main:django/db/utils.py (ConnectionHandler.configure_settings)';
const PG_BASE = 'django/django@main:django/db/backends/postgresql/base.py (DatabaseWrapper.pool)';

const DJANGO_DEFAULTS: Record<string, { value: number | boolean | null; cite: string }> = {
  CONN_MAX_AGE: { value: 0, cite: `${UTILS}: conn.setdefault("CONN_MAX_AGE", 0)` },
  CONN_HEALTH_CHECKS: { value: false, cite: `${UTILS}: conn.setdefault("CONN_HEALTH_CHECKS", False)` },
  pool: { value: false, cite: `${PG_BASE}: no pool unless OPTIONS["pool"] is set (Django 5.1+, psycopg 3)` },
};
const POOL_SETTINGS = ['min_size', 'max_size', 'timeout', 'max_lifetime', 'max_idle', 'max_waiting'];

const PROD = /(^|[_.-])(prod|production|live)([_.-]|$)/i;
const DEV = /(^|[_.-])(dev|develop|development|local)([_.-]|$)/i;
const TEST = /(^|[_.-])(test|tests|testing|ci)([_.-]|$)/i;
const STAGE = /(^|[_.-])(stag|stage|staging)([_.-]|$)/i;

/** `config/settings/production.py` -> `config.settings.production`. */
function dotted(file: string, root: string): string {
  return path.relative(root, file).replace(/\.py$/, '').replace(/[\\/]__init__$/, '').split(/[\\/]/).join('.');
}

/** Top-level statements that write DATABASES (assignment, item assignment, update()); the last one anchors the pool. */
function databaseStatements(root: SyntaxNode): SyntaxNode[] {
  return root.namedChildren.filter((s) => /\bDATABASES\b/.test(s.text) && ['expression_statement', 'if_statement', 'try_statement'].includes(s.type) && !/^\s*(from|import)\b/.test(s.text));
}

/** Settings modules of the workspace that `from <this> import *`. */
function children(ctx: DetectorContext): string[] {
  const me = dotted(ctx.file, ctx.root);
  const stem = me.split('.').pop()!;
  const dir = path.dirname(ctx.file);
  return (ctx.sources ?? []).filter((f) => {
    if (f === ctx.file || !f.endsWith('.py')) return false;
    const text = ctx.read(f);
    if (!text || !/import\s+\*/.test(text)) return false;
    const rel = path.dirname(f) === dir ? new RegExp(`^\\s*from\\s+\\.${stem}\\s+import\\s+\\*`, 'm').test(text) : false;
    return rel || new RegExp(`^\\s*from\\s+${me.replace(/\./g, '\\.')}\\s+import\\s+\\*`, 'm').test(text);
  });
}

function profilesByName(stem: string, all: string[]): string[] | undefined {
  if (TEST.test(stem)) return [];
  if (PROD.test(stem)) return all.filter((p) => /^(prod|production)([-_.].*)?$/i.test(p));
  if (STAGE.test(stem)) return all.filter((p) => /stag/i.test(p));
  if (DEV.test(stem)) return all.filter((p) => /^(dev|development|local)$/i.test(p));
  return undefined;
}

/** The profiles this settings module serves, each with why. */
function bindProfiles(ctx: DetectorContext, hasOwnDatabases: boolean): { profile: string; boundBy?: string }[] {
  const me = dotted(ctx.file, ctx.root);
  const kids = children(ctx);
  // DJANGO_SETTINGS_MODULE in a profile's env files names the module outright
  const byEnv = new Map<string, { value: string; file: string }>();
  for (const p of ctx.profiles) {
    const env = new ProfileEnv(p, ctx.env.filesFor(ctx.file, p));
    const e = env.get('DJANGO_SETTINGS_MODULE');
    if (e) byEnv.set(p, { value: e.value.trim(), file: e.file });
  }
  if (byEnv.size > 0) {
    const names = (m: string) => m === me || me.endsWith(`.${m}`);
    const kidNames = kids.filter((k) => !/\bDATABASES\b/.test(ctx.read(k) ?? '')).map((k) => dotted(k, ctx.root));
    return [...byEnv]
      .filter(([, v]) => names(v.value) || kidNames.some((k) => k === v.value || k.endsWith(`.${v.value}`)))
      .map(([profile, v]) => ({ profile, boundBy: `DJANGO_SETTINGS_MODULE=${v.value} in ${ctx.rel(v.file)}` }));
  }
  const stem = me.split('.').pop()!;
  const named = profilesByName(stem, ctx.profiles);
  if (named) return named.map((profile) => ({ profile, boundBy: `the settings module ${ctx.rel(ctx.file)} is named for ${profile}` }));
  if (!hasOwnDatabases) return [];
  // a base module: a module built on it that leaves DATABASES alone runs with this module's
  // DATABASES in its profiles; one that changes DATABASES is a pool of its own and claims them
  const out: { profile: string; boundBy?: string }[] = [];
  const claimed = new Set<string>();
  for (const k of kids) {
    const ps = profilesByName(path.basename(k, '.py'), ctx.profiles) ?? [];
    if (/\bDATABASES\b/.test(ctx.read(k) ?? '')) ps.forEach((p) => claimed.add(p));
    else for (const p of ps) if (!out.some((o) => o.profile === p)) out.push({ profile: p, boundBy: `${ctx.rel(k)} imports * from this module and keeps its DATABASES` });
  }
  for (const p of activeProfiles(ctx)) if (!claimed.has(p) && !out.some((o) => o.profile === p)) out.push({ profile: p });
  return out.filter((o) => !claimed.has(o.profile));
}

let djangoVersion = DJANGO_ASSUMED_VERSION;

function dflt(name: string): Setting {
  const d = DJANGO_DEFAULTS[name];
  return { value: d.value, source: 'default', default: { library: 'Django', version: djangoVersion, cite: d.cite } };
}

function kindOfEngine(engine: string): DatabaseInfo['kind'] {
  if (/postgres|postgis|psycopg|cockroach|timescale/i.test(engine)) return 'postgresql';
  if (/mysql/i.test(engine)) return 'mysql';
  if (/sqlite|spatialite/i.test(engine)) return 'sqlite';
  return 'unknown';
}

function dictOf(v: V | undefined): Map<string, V> | undefined {
  return v?.val.t === 'dict' ? v.val.entries : undefined;
}

function insertTargetOf(v: V, ctx: DetectorContext): InsertTarget | undefined {
  if (v.val.t !== 'dict') return undefined;
  // the dict literal may be in a module this one star-imports: the edit goes where it is written
  const last = v.val.nodes[v.val.nodes.length - 1];
  if (!last) return undefined;
  if (last.type === 'dictionary') return { kind: 'dict', span: nodeSpan(ctx.file, ctx.lines, last) };
  if (last.type === 'argument_list') return { kind: 'call', span: nodeSpan(ctx.file, ctx.lines, last) };
  return undefined;
}

function profileModel(ctx: DetectorContext, profile: string, envFiles: string[], alias: V, anchor: SyntaxNode, boundBy: string | undefined): ProfileModel {
  const entries = dictOf(alias) ?? new Map<string, V>();
  const get = (k: string) => entries.get(k);
  const settings: Record<string, Setting> = {};
  const engineV = get('ENGINE');
  settings.ENGINE = engineV ? toSetting(engineV, anchor, ctx) : { value: 'django.db.backends.dummy', source: 'default', default: { library: 'Django', version: djangoVersion, cite: `${UTILS}: ENGINE defaults to django.db.backends.dummy` } };
  for (const k of ['CONN_MAX_AGE', 'CONN_HEALTH_CHECKS']) {
    const v = get(k);
    settings[k] = v ? toSetting(v, anchor, ctx) : dflt(k);
  }
  const options = dictOf(get('OPTIONS'));
  const poolV = options?.get('pool');
  const poolOpts = dictOf(poolV);
  if (poolV) {
    const s = toSetting(poolV, anchor, ctx);
    settings.pool = poolOpts ? { ...s, value: true, text: s.text } : s;
  } else settings.pool = dflt('pool');
  const pooled = poolOpts !== undefined || settings.pool.value === true;
  if (pooled) {
    for (const k of POOL_SETTINGS) {
      const v = poolOpts?.get(k);
      const d = PSYCOPG_POOL_DEFAULTS[k];
      settings[k] = v ? toSetting(v, anchor, ctx) : { value: d.value, source: 'default', default: { library: 'psycopg_pool', version: '3.3', cite: d.cite } };
    }
    const hc = settings.CONN_HEALTH_CHECKS;
    settings.check = hc.value === true ? { value: 'ConnectionPool.check_connection', source: hc.source, span: hc.span, text: hc.text, reason: `CONN_HEALTH_CHECKS ${describeSource(hc, ctx.rel)} (${PG_BASE})` } : { value: null, source: hc.source === 'default' ? 'default' : hc.source, span: hc.span, reason: `CONN_HEALTH_CHECKS is not True, so Django passes check=None (${PG_BASE})` };
  }
  // the database: the URL dj_database_url read, else ENGINE (and NAME for SQLite)
  const urlV = get('@url');
  const engine = typeof settings.ENGINE.value === 'string' ? settings.ENGINE.value : undefined;
  let database: DatabaseInfo;
  if (urlV) {
    database = databaseOf({ v: urlV, node: anchor }, ctx);
    if (engine && kindOfEngine(engine) !== 'unknown') database = { ...database, kind: kindOfEngine(engine) };
    if (urlV.val.t === 'none') database = { ...database, how: `${database.how}; dj_database_url returns {} and Django has no database` };
  } else {
    const nameV = get('NAME');
    const name = nameV?.val.t === 'str' ? nameV.val.v : undefined;
    const kind = engine ? kindOfEngine(engine) : 'unknown';
    database = {
      kind,
      how: engine ? `ENGINE '${engine}' (${describeSource(settings.ENGINE, ctx.rel)})` : `ENGINE is not known (${settings.ENGINE.reason ?? 'not a string'})`,
      url: kind === 'sqlite' && name ? name : undefined,
      source: kind === 'sqlite' && nameV ? toSetting(nameV, anchor, ctx) : settings.ENGINE,
      memory: kind === 'sqlite' && (name === ':memory:' || name === ''),
    };
  }
  const cma = settings.CONN_MAX_AGE;
  const poolClass = pooled
    ? { name: 'psycopg_pool.ConnectionPool', source: settings.pool.source, reason: `OPTIONS["pool"] (Django 5.1+): one pool per process (${PG_BASE})` }
    : cma.value === 0
      ? { name: 'none', source: cma.source, reason: 'CONN_MAX_AGE 0: a new connection for every request, closed at its end' }
      : cma.value === null
        ? { name: 'persistent', source: cma.source, reason: 'CONN_MAX_AGE None: one connection per thread, kept forever' }
        : { name: 'persistent', source: cma.source, reason: cma.value === undefined ? 'CONN_MAX_AGE is not known' : `CONN_MAX_AGE ${String(cma.value)}: one connection per thread, reused for ${String(cma.value)} s` };
  return { profile, envFiles, database, poolClass, settings, insertTarget: insertTargetOf(alias, ctx), ...(boundBy ? { boundBy } : {}) };
}

export const djangoDetector: Detector = {
  id: 'django',
  languages: ['python'],
  prefilter: /\bDATABASES\b/,
  detect(ctx: DetectorContext): PoolModel[] {
    const root = ctx.tree.rootNode;
    const statements = databaseStatements(root);
    if (statements.length === 0) return [];
    const anchor = statements[statements.length - 1];
    const bound = bindProfiles(ctx, true);
    if (bound.length === 0) return [];
    const pinned = ctx.versions.get('django');
    const versionInfo = pinned ?? { version: `${DJANGO_ASSUMED_VERSION}.x (assumed: no pin found)`, source: 'assumed' };
    djangoVersion = pinned?.version ?? DJANGO_ASSUMED_VERSION;
    // per alias ('default', 'replica', ...), per profile
    const byAlias = new Map<string, { profiles: Record<string, ProfileModel>; node?: SyntaxNode }>();
    for (const { profile, boundBy } of bound) {
      const files = ctx.env.filesFor(ctx.file, profile);
      const ev = new PyEvaluator(root, new ProfileEnv(profile, files), { file: ctx.file, loader: ctx.modules });
      const dbs = ev.exported('DATABASES');
      const aliases = dictOf(dbs);
      if (!aliases) continue;
      for (const [alias, v] of aliases) {
        if (alias === '*') continue;
        let slot = byAlias.get(alias);
        if (!slot) byAlias.set(alias, (slot = { profiles: {} }));
        const own = v.val.t === 'dict' ? v.val.nodes.find((n) => n.type === 'dictionary' && n.tree === ctx.tree) : undefined;
        slot.node ??= own;
        slot.profiles[profile] = profileModel(ctx, profile, files.map((f) => f.file), v, anchor, boundBy);
      }
    }
    const models: PoolModel[] = [];
    for (const [alias, { profiles, node }] of byAlias) {
      const span = nodeSpan(ctx.file, ctx.lines, node ?? anchor);
      models.push({
        id: `${ctx.file}:${span.line + 1}:${span.column + 1}:${alias}`,
        library: 'django',
        constructor: `DATABASES["${alias}"]`,
        file: ctx.file,
        span,
        async: false,
        profiles,
        differsBetweenProfiles: differences(profiles),
        libraryVersion: versionInfo,
      });
    }
    return models;
  },
};
