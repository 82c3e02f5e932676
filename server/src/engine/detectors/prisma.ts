// Prisma: the `datasource` block of schema.prisma (`url = env("DATABASE_URL")` or a literal URL)
// becomes a pool model whose settings are the query engine's URL parameters, `connection_limit`
// and `pool_timeout`, resolved per profile through the .env files. Prisma ORM up to 6 pools in its
// query engine: connection_limit defaults to num_physical_cpus * 2 + 1 and pool_timeout to 10 s
// (0 = no timeout). Prisma 7's driver adapters take their pool from the driver instead.
import type { DatabaseInfo, DatabaseKind, InsertTarget, PoolModel, ProfileModel, Setting, Span } from '../model';
import type { EnvEntry, ProfileEnv } from '../envfiles';
import { LineIndex } from '../syntax';
import { maskSecrets, maskUrl, parseDbUrl } from '../urls';
import { differences, evaluatorsFor, type TextDetector, type TextDetectorContext } from './types';
import { npmVersion } from '../versions';

export const PRISMA_DOCS = 'https://www.prisma.io/docs/orm/prisma-client/setup-and-configuration/databases-connections/connection-pool';
/** The physical CPU count the default is shown for: pool-lint cannot see the production host. */
export const PRISMA_ASSUMED_CPUS = 4;
export const PRISMA_DEFAULTS = {
  connection_limit: { value: PRISMA_ASSUMED_CPUS * 2 + 1, cite: `${PRISMA_DOCS} (num_physical_cpus * 2 + 1; prisma/prisma-engines quaint/src/pooled.rs)` },
  pool_timeout: { value: 10, cite: `${PRISMA_DOCS} (pool_timeout 10 s; 0 = no timeout)` },
};
export const PRISMA_ERROR = 'Timed out fetching a new connection from the connection pool (P2024)';

const PROVIDERS: Record<string, DatabaseKind> = { postgresql: 'postgresql', postgres: 'postgresql', cockroachdb: 'postgresql', mysql: 'mysql', sqlite: 'sqlite' };

interface Datasource {
  name: string;
  nameSpan: Span;
  provider?: string;
  /** `env("NAME")` */
  envName?: string;
  /** A literal URL: its text without quotes and where that text is. */
  literal?: { value: string; start: number };
  urlSpan?: Span;
}

/** Blocks `datasource <name> { ... }` with their provider and url (comments stripped, positions kept). */
function datasources(text: string, lines: LineIndex, file: string): Datasource[] {
  const code = text.replace(/\/\/[^\n]*/g, (m) => ' '.repeat(m.length));
  const out: Datasource[] = [];
  for (const m of code.matchAll(/\bdatasource\s+(\w+)\s*\{([^}]*)\}/g)) {
    const bodyStart = m.index! + m[0].indexOf('{') + 1;
    const nameAt = m.index! + m[0].indexOf(m[1], 'datasource'.length);
    const ds: Datasource = { name: m[1], nameSpan: lines.span(file, nameAt, nameAt + m[1].length) };
    const provider = /\bprovider\s*=\s*"([^"]*)"/.exec(m[2]);
    if (provider) ds.provider = provider[1];
    const url = /\burl\s*=\s*(env\(\s*"([^"]+)"\s*\)|"([^"]*)")/.exec(m[2]);
    if (url) {
      const at = bodyStart + url.index! + url[0].indexOf(url[1]);
      ds.urlSpan = lines.span(file, at, at + url[1].length);
      if (url[2] !== undefined) ds.envName = url[2];
      else ds.literal = { value: url[3], start: at + 1 };
    }
    out.push(ds);
  }
  return out;
}

/** The value of a query parameter and its offset within the URL text. */
function param(url: string, name: string): { value: string; at: number } | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const re = new RegExp(`[?&]${name}=([^&#]*)`);
  const m = re.exec(url.slice(q));
  return m ? { value: decodeURIComponent(m[1]), at: q + m.index + m[0].length - m[1].length } : undefined;
}

/** @prisma/client (the query engine ships with it), else the prisma CLI, from the package.json nearest the schema. */
function prismaVersion(ctx: TextDetectorContext): { version: string; source: string } {
  return (ctx.root !== undefined ? npmVersion({ ...ctx, root: ctx.root }, ['@prisma/client', 'prisma']) : undefined) ?? { version: '5/6 (assumed)', source: 'assumed' };
}

function profileOf(ctx: TextDetectorContext, ds: Datasource, profile: string, env: ProfileEnv, version: { version: string; source: string }): ProfileModel {
  const settings: Record<string, Setting> = {};
  const kind: DatabaseKind = PROVIDERS[ds.provider ?? ''] ?? 'unknown';
  let url: string | undefined;
  /** Maps an offset in the URL text to a span in the file that holds it. */
  let spanAt: ((start: number, end: number) => Span) | undefined;
  let entry: EnvEntry | undefined;
  let urlSetting: Setting | undefined;
  if (ds.envName) {
    entry = env.get(ds.envName);
    const readSpan = ds.urlSpan!;
    if (entry) {
      url = entry.value;
      const envFile = env.files.find((f) => f.file === entry!.file);
      const quoted = /^['"`]/.test(entry.raw) ? 1 : 0;
      const base = entry.valueSpan.start + quoted;
      const li = envFile?.lines ?? new LineIndex(ctx.read(entry.file) ?? '');
      // positions inside the raw text hold for a URL without escapes (the usual case)
      if (entry.raw.slice(quoted, quoted + url.length) === url) spanAt = (s, e) => li.span(entry!.file, base + s, base + e);
    }
    urlSetting = {
      value: url !== undefined ? maskUrl(url) : undefined,
      source: 'env',
      span: readSpan,
      text: `env("${ds.envName}")`,
      env: { name: ds.envName, readSpan, usedFallback: !entry, ...(entry ? { file: entry.file, line: entry.line, raw: maskSecrets(maskUrl(entry.raw)), valueSpan: entry.valueSpan } : {}) },
      reason: entry ? undefined : `${ds.envName} is not set in this profile`,
    };
  } else if (ds.literal) {
    url = ds.literal.value;
    const start = ds.literal.start;
    spanAt = (s, e) => ctx.lines.span(ctx.file, start + s, start + e);
    urlSetting = { value: maskUrl(url), source: 'literal', span: ds.urlSpan, text: maskUrl(`"${url}"`) };
  }
  for (const name of ['connection_limit', 'pool_timeout'] as const) {
    const p = url !== undefined ? param(url, name) : undefined;
    const d = PRISMA_DEFAULTS[name];
    if (p) {
      const n = Number(p.value);
      const span = spanAt?.(p.at, p.at + p.value.length);
      const value = p.value.trim() !== '' && Number.isFinite(n) ? n : undefined;
      const base: Setting = { value, source: entry ? 'env' : 'literal', span: entry ? urlSetting!.span : span, text: `${name}=${p.value}`, crash: value === undefined ? `${name}=${p.value} is not a number: Prisma rejects the URL` : undefined };
      if (entry) base.env = { name: ds.envName!, file: entry.file, line: entry.line, raw: `${name}=${p.value}`, valueSpan: span, readSpan: urlSetting!.span!, usedFallback: false };
      settings[name] = base;
    } else if (url === undefined) {
      settings[name] = { value: undefined, source: 'unknown', reason: ds.envName ? `${ds.envName} is not set in this profile` : 'the datasource has no url', span: ds.urlSpan };
    } else {
      settings[name] = { value: d.value, source: 'default', default: { library: 'Prisma', version: `${version.source === 'assumed' ? '5/6' : version.version}${name === 'connection_limit' ? ` (num_physical_cpus * 2 + 1, ${d.value} on ${PRISMA_ASSUMED_CPUS} physical CPUs)` : ''}`, cite: d.cite } };
    }
  }
  let insertTarget: InsertTarget | undefined;
  if (url !== undefined && spanAt) {
    const s = spanAt(0, url.length);
    insertTarget = { kind: 'query', span: s };
  }
  const parsed = url ? parseDbUrl(url) : undefined;
  const database: DatabaseInfo = {
    kind: kind !== 'unknown' ? kind : parsed?.kind ?? 'unknown',
    how: `datasource ${ds.name} provider "${ds.provider ?? '?'}" in ${ctx.rel(ctx.file)}:${ds.nameSpan.line + 1}${ds.envName ? `, url from ${ds.envName}${entry ? ` in ${ctx.rel(entry.file)}:${entry.line + 1}` : ' (not set in this profile)'}` : ''}`,
    scheme: parsed?.scheme,
    url: url ? maskUrl(url) : undefined,
    source: urlSetting,
  };
  return { profile, envFiles: env.files.map((f) => f.file), database, poolClass: { name: 'prisma-query-engine', source: 'default', reason: 'Prisma query engine pool' }, settings, insertTarget };
}

export const prismaDetector: TextDetector = {
  id: 'prisma',
  matches: (file) => /\.prisma$/i.test(file),
  prefilter: /\bdatasource\s+\w+\s*\{/,
  detect(ctx) {
    const models: PoolModel[] = [];
    const profiles = evaluatorsFor(ctx, (env) => env);
    const version = prismaVersion(ctx);
    for (const ds of datasources(ctx.text, ctx.lines, ctx.file)) {
      // MongoDB uses the MongoDB driver's pool, not these URL parameters
      if (ds.provider === 'mongodb') continue;
      const byProfile: Record<string, ProfileModel> = {};
      for (const { profile, ev } of profiles) byProfile[profile] = profileOf(ctx, ds, profile, ev, version);
      models.push({
        id: `${ctx.file}:${ds.nameSpan.line + 1}:${ds.nameSpan.column + 1}`,
        library: 'prisma',
        constructor: `datasource ${ds.name}`,
        file: ctx.file,
        span: ds.nameSpan,
        async: true,
        profiles: byProfile,
        differsBetweenProfiles: differences(byProfile),
        libraryVersion: version,
      });
    }
    return models;
  },
};
