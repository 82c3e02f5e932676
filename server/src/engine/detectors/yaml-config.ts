// YAML application config: pool sections (`connection_pool:`, `pool:`, `database:` ... holding
// max_connections, max_writers, timeouts) become pool models, library 'yaml-config'. Parsed with
// `yaml`, keeping ranges so every setting points at its scalar. `${VAR}` / `${VAR:default}`
// placeholders are resolved through each profile's env files. The database kind comes from a
// URL, path or driver key in the section or above it, else from the code that reads the key path.
import * as YAML from 'yaml';
import type { ProfileEnv } from '../envfiles';
import type { DatabaseInfo, DatabaseKind, FileProblem, PoolModel, ProfileModel, Setting, Span } from '../model';
import { parseDbUrl, maskUrl, maskSecrets } from '../urls';
import { isAppConfigYaml, languageOf } from '../workspace';
import { isSpringYaml } from '../spring-config';
import { LineIndex, tooLargeToParse } from '../syntax';
import { parseYaml, yamlTooDeep } from '../yaml-depth';
import { differences, evaluatorsFor, type TextDetector, type TextDetectorContext } from './types';

/** Key names compared in snake case: `maxConnections` and `max-connections` are `max_connections`. */
export function normKey(k: string): string {
  return k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/-/g, '_').toLowerCase();
}

/** A mapping under one of these keys is a pool section when it holds a pool setting. */
const SECTION_NAMES = new Set(['connection_pool', 'pool', 'database', 'db', 'datasource', 'sqlalchemy']);
/** Any mapping holding two of these is a pool section, whatever its key. */
const COUNTED_KEYS = new Set(['max_connections', 'pool_size', 'max_overflow', 'min_connections', 'max_readers', 'max_writers', 'pool_timeout', 'connection_timeout', 'acquire_timeout']);
/** Pool settings: the counted keys and their usual variants. */
const POOL_KEYS = new Set([
  ...COUNTED_KEYS,
  'writers', 'readers', 'write_pool_size', 'read_pool_size', 'max_size', 'min_size', 'max_pool_size', 'min_pool_size',
  'maximum_pool_size', 'minimum_idle', 'pool_recycle', 'pool_pre_ping', 'idle_timeout', 'max_lifetime', 'max_idle_connections',
]);

/** Keys that may name the database: a URL, a DSN, a file path. */
const LOCATION_KEY = /(^|_)(path|url|uri|dsn|file|filename|database|db|connection_string)$/;
/** Keys that may name the driver or dialect. */
const DRIVER_KEY = /(^|_)(driver|adapter|engine|dialect|type|backend)$/;
const DRIVER_WORDS: [RegExp, DatabaseKind][] = [
  [/^(sqlite3?|aiosqlite|pysqlite)$/i, 'sqlite'],
  [/^(postgres(ql)?|pg|asyncpg|psycopg[23]?|pgsql)$/i, 'postgresql'],
  [/^(mysql2?|mariadb|aiomysql|pymysql|mysqldb)$/i, 'mysql'],
];

/** Imports that tell the database of the code reading a config section. */
const PY_IMPORT = /^[ \t]*(?:import|from)[ \t]+(aiosqlite|sqlite3|asyncpg|psycopg2|psycopg_pool|psycopg|aiomysql|pymysql|MySQLdb|mysql\.connector)\b/gm;
const JS_IMPORT = /(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*)['"](pg|pg-pool|postgres|mysql2|mysql|better-sqlite3|sqlite3|sqlite)(?:\/[\w/-]*)?['"]/g;
const MODULE_KINDS: Record<string, DatabaseKind> = {
  aiosqlite: 'sqlite', sqlite3: 'sqlite', 'better-sqlite3': 'sqlite', sqlite: 'sqlite',
  asyncpg: 'postgresql', psycopg2: 'postgresql', psycopg_pool: 'postgresql', psycopg: 'postgresql', pg: 'postgresql', 'pg-pool': 'postgresql', postgres: 'postgresql',
  aiomysql: 'mysql', pymysql: 'mysql', MySQLdb: 'mysql', 'mysql.connector': 'mysql', mysql2: 'mysql', mysql: 'mysql',
};
const ASYNC_MODULES = new Set(['aiosqlite', 'asyncpg', 'aiomysql', 'psycopg_pool']);

/** `${VAR}`, `${VAR:default}` (Spring, many loaders) and `${VAR:-default}` (shell, compose). */
const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_.]*)(?:(:-?)([^}]*))?\}/;

/** Files with `apiVersion:` and `kind:` at top level are Kubernetes manifests, not app config. */
export function isKubernetesManifest(text: string): boolean {
  return /^apiVersion:[ \t]*\S/m.test(text) && /^kind:[ \t]*\S/m.test(text);
}

interface Section {
  keys: string[];
  keyNode: YAML.Node;
  map: YAML.YAMLMap;
  /** The mappings that hold it, nearest first. */
  ancestors: YAML.YAMLMap[];
}

function keyText(n: unknown): string | undefined {
  return YAML.isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number') ? String(n.value) : undefined;
}

function isSection(key: string, map: YAML.YAMLMap): boolean {
  const own = map.items.map((p) => keyText(p.key)).filter((k): k is string => k !== undefined).map(normKey);
  if (own.filter((k) => COUNTED_KEYS.has(k)).length >= 2) return true;
  return SECTION_NAMES.has(normKey(key)) && own.some((k) => POOL_KEYS.has(k));
}

function findSections(node: unknown, keys: string[], ancestors: YAML.YAMLMap[], out: Section[]): void {
  if (!YAML.isMap(node)) return;
  const inner = [node, ...ancestors];
  for (const pair of node.items) {
    const k = keyText(pair.key);
    if (k === undefined || !YAML.isNode(pair.key)) continue;
    const v = pair.value;
    if (YAML.isMap(v)) {
      if (isSection(k, v)) out.push({ keys: [...keys, k], keyNode: pair.key, map: v, ancestors: inner });
      findSections(v, [...keys, k], inner, out);
    } else if (YAML.isSeq(v)) {
      v.items.forEach((item, i) => {
        if (!YAML.isMap(item)) return;
        const first = item.items[0]?.key;
        if (isSection(k, item) && YAML.isNode(first)) out.push({ keys: [...keys, `${k}[${i}]`], keyNode: first, map: item, ancestors: inner });
        findSections(item, [...keys, `${k}[${i}]`], inner, out);
      });
    }
  }
}

/** A string as YAML would read it after substitution: a number or boolean, else undefined. */
function coerce(raw: string): number | boolean | undefined {
  try {
    const v: unknown = YAML.parse(raw);
    return (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' ? v : undefined;
  } catch {
    return undefined;
  }
}

interface Scalar {
  node: YAML.Scalar;
  /** Source text of the scalar (quotes included) and where it starts. */
  source: string;
  start: number;
}

function scalarOf(n: unknown, text: string): Scalar | undefined {
  if (!YAML.isScalar(n) || !n.range) return undefined;
  return { node: n, source: text.slice(n.range[0], n.range[1]), start: n.range[0] };
}

/** The placeholder at `m` (a match in the scalar's value) as an env setting for one profile. */
function placeholderSetting(m: RegExpExecArray, sc: Scalar, ctx: TextDetectorContext, env: ProfileEnv): Setting {
  const [whole, name, sep, def] = m;
  const at = sc.start + Math.max(0, sc.source.indexOf(whole));
  const readSpan = ctx.lines.span(ctx.file, at, at + whole.length);
  const entry = env.get(name);
  const s: Setting = { value: undefined, source: 'env', span: readSpan, text: sc.source, env: { name, readSpan, usedFallback: !entry } };
  if (entry) Object.assign(s.env!, { file: entry.file, line: entry.line, raw: entry.raw, valueSpan: entry.valueSpan });
  if (sep !== undefined) {
    const defAt = at + 2 + name.length + sep.length;
    s.env!.fallback = { value: coerce(def) ?? def, text: def, span: ctx.lines.span(ctx.file, defAt, defAt + def.length) };
  }
  const raw = entry ? entry.value : sep !== undefined ? def : undefined;
  if (raw === undefined) s.reason = `${name} is not set in this profile and the placeholder has no default`;
  else {
    s.value = coerce(raw);
    if (s.value === undefined) s.reason = `'${raw}' is not a number or boolean`;
  }
  return s;
}

/** A section's numeric and boolean settings, placeholders resolved in `env`. */
function settingsOf(sec: Section, ctx: TextDetectorContext, env: ProfileEnv): Record<string, Setting> {
  const out: Record<string, Setting> = {};
  for (const pair of sec.map.items) {
    const k = keyText(pair.key);
    const sc = scalarOf(pair.value, ctx.text);
    if (k === undefined || !sc) continue;
    const v = sc.node.value;
    const span = ctx.lines.span(ctx.file, sc.node.range![0], sc.node.range![1]);
    if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') {
      out[k] = { value: v, source: 'literal', span, text: sc.source };
    } else if (typeof v === 'string') {
      const m = PLACEHOLDER.exec(v);
      if (!m || m[0] !== v.trim()) continue;
      const s = placeholderSetting(m, sc, ctx, env);
      // a placeholder for a log level or a name is no pool setting
      if (s.value !== undefined || POOL_KEYS.has(normKey(k))) out[k] = s;
    }
  }
  return out;
}

/** A URL's password masked, also where the URL sits inside other text (`${DB_URL:postgresql://...}`). */
function mask(text: string): string {
  return maskSecrets(maskUrl(text));
}

/** A string value with its placeholders substituted; the setting says where it came from. */
function resolvedString(sc: Scalar, ctx: TextDetectorContext, env: ProfileEnv): { value: string; setting: Setting; unresolved: boolean } | undefined {
  const v = sc.node.value;
  if (typeof v !== 'string') return undefined;
  const span = ctx.lines.span(ctx.file, sc.node.range![0], sc.node.range![1]);
  let first: Setting | undefined;
  let unresolved = false;
  let value = '';
  let pos = 0;
  for (const m of v.matchAll(new RegExp(PLACEHOLDER, 'g'))) {
    const s = placeholderSetting(m, sc, ctx, env);
    first ??= s;
    const raw = s.env!.usedFallback ? s.env!.fallback?.text : env.get(s.env!.name)?.value;
    if (raw === undefined) unresolved = true;
    value += v.slice(pos, m.index) + (raw ?? '');
    pos = m.index + m[0].length;
  }
  value += v.slice(pos);
  // a URL's password stays out of the model, wherever it was written
  let setting: Setting = { value: mask(value), source: 'literal', span, text: mask(sc.source) };
  if (first?.env) {
    const e = first.env;
    const fallback = e.fallback && { ...e.fallback, value: typeof e.fallback.value === 'string' ? mask(e.fallback.value) : e.fallback.value, text: mask(e.fallback.text) };
    setting = { ...setting, source: 'env', span: first.span, env: { ...e, raw: e.raw !== undefined ? mask(e.raw) : undefined, fallback } };
  }
  return { value, setting, unresolved };
}

function where(ctx: TextDetectorContext, s: Setting): string {
  const at = s.span ? `${ctx.rel(s.span.file)}:${s.span.line + 1}` : ctx.rel(ctx.file);
  const e = s.env;
  if (!e) return at;
  if (!e.usedFallback && e.file !== undefined) return `${at}, ${e.name} in ${ctx.rel(e.file)}:${(e.line ?? 0) + 1}`;
  return `${at}, ${e.name} unset: its default`;
}

/** The database named in the section or in a mapping above it, nearest first. */
function databaseFromYaml(sec: Section, ctx: TextDetectorContext, env: ProfileEnv): DatabaseInfo | undefined {
  for (const map of [sec.map, ...sec.ancestors]) {
    for (const pair of map.items) {
      const k = keyText(pair.key);
      const sc = scalarOf(pair.value, ctx.text);
      if (k === undefined || !sc) continue;
      const nk = normKey(k);
      const isDriver = DRIVER_KEY.test(nk);
      if (!isDriver && !LOCATION_KEY.test(nk)) continue;
      const r = resolvedString(sc, ctx, env);
      if (!r || r.unresolved) continue;
      const value = r.value.trim();
      if (isDriver) {
        const kind = DRIVER_WORDS.find(([re]) => re.test(value))?.[1];
        if (kind) return { kind, how: `${k} '${value}' (${where(ctx, r.setting)})`, source: r.setting };
        continue;
      }
      const url = value.replace(/^jdbc:/i, '');
      const parsed = parseDbUrl(url);
      if (parsed && parsed.kind !== 'unknown') {
        return { kind: parsed.kind, how: `URL scheme '${parsed.scheme}' (${k} at ${where(ctx, r.setting)})`, scheme: parsed.scheme, url: mask(value), source: r.setting, memory: parsed.memory };
      }
      if (/^sqlite/i.test(url) || /\.(db|sqlite3?)$/i.test(value) || value === ':memory:') {
        return { kind: 'sqlite', how: `${k} '${mask(value)}' is a SQLite database (${where(ctx, r.setting)})`, source: r.setting, memory: value === ':memory:' || undefined };
      }
    }
  }
  return undefined;
}

interface Reader {
  file: string;
  modules: string[];
}

/**
 * Source files that read the section: they hold its last key as a string literal and its parent
 * key as a literal or inside a name (`config["repository"]["connection_pool"]`,
 * `get_repository_config().get("connection_pool")`). A top-level key must come with YAML loading.
 */
const quotingCache = new WeakMap<string[], Map<string, string[]>>();

/**
 * The sources (in `ctx.sources` order) that write `key` between quotes, found once per key and
 * check (the cache is keyed by the check's list of sources): a workspace with many config files
 * naming the same section scans its sources once, not once per section.
 */
function sourcesQuoting(ctx: TextDetectorContext, key: string, quoted: RegExp): string[] {
  let byKey = quotingCache.get(ctx.sources);
  if (!byKey) quotingCache.set(ctx.sources, (byKey = new Map()));
  let files = byKey.get(key);
  if (!files) {
    files =
      ctx.quoting?.(key) ??
      ctx.sources.filter((file) => {
        const text = ctx.read(file);
        return text !== undefined && quoted.test(text);
      });
    byKey.set(key, files);
  }
  return files;
}

function readersOf(sec: Section, ctx: TextDetectorContext, cache: Map<string, Reader | null>): Reader[] {
  const keys = sec.keys.map((k) => k.replace(/\[\d+\]$/, ''));
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const last = new RegExp(`['"\`]${esc(keys[keys.length - 1])}['"\`]`);
  const parent = keys.length > 1 ? new RegExp(`(^|[^A-Za-z0-9])${esc(keys[keys.length - 2])}([^A-Za-z0-9]|$)`, 'i') : /\byaml\b|\.ya?ml['"]/i;
  const out: Reader[] = [];
  for (const file of sourcesQuoting(ctx, keys[keys.length - 1], last)) {
    const text = ctx.read(file);
    if (text === undefined || !parent.test(text)) continue;
    let r = cache.get(file);
    if (r === undefined) {
      const modules = new Set<string>();
      const re = languageOf(file) === 'python' ? PY_IMPORT : JS_IMPORT;
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) modules.add(m[1]);
      r = { file, modules: [...modules] };
      cache.set(file, r);
    }
    if (r) out.push(r);
  }
  return out;
}

function databaseFromCode(readers: Reader[], ctx: TextDetectorContext, path: string): DatabaseInfo | undefined {
  if (readers.length === 0) return undefined;
  const said = readers.map((r) => `${ctx.rel(r.file)}${r.modules.length ? `, which imports ${r.modules.join(', ')}` : ', which imports no database driver'}`);
  const kinds = new Set(readers.flatMap((r) => r.modules.map((m) => MODULE_KINDS[m])).filter((k) => k));
  if (kinds.size === 1) return { kind: [...kinds][0], how: `${path} is read by ${said.join('; ')}` };
  return { kind: 'unknown', how: `${path} is read by ${said.join('; ')}${kinds.size > 1 ? ': the drivers disagree' : ''}` };
}

/** The pool sections of a YAML file; a file too large or nested too deep, and a document with errors, are reported and not read. */
function readSections(text: string, lines: LineIndex, problem: (p: FileProblem) => void = () => undefined, file = ''): Section[] {
  const sections: Section[] = [];
  const tooLarge = tooLargeToParse(text, 'YAML file', 'its pool sections are not read');
  if (tooLarge) {
    problem({ file, message: `not read: ${tooLarge}` });
    return [];
  }
  const tooDeep = yamlTooDeep(text, lines, 'YAML file', 'its pool sections are not read');
  if (tooDeep) {
    problem({ file, ...tooDeep });
    return [];
  }
  const parsed = parseYaml(text, lines, 'YAML file', 'its pool sections are not read', () => YAML.parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false }) as YAML.Document[]);
  if ('problem' in parsed) {
    problem({ file, ...parsed.problem });
    return [];
  }
  for (const doc of parsed.value) {
    // a document the parser had to recover is not read: its keys may be shifted (a merge
    // conflict's markers become part of a key); the file's other documents and other files are
    const errors = doc.errors ?? [];
    if (errors.length > 0) {
      const pos = lines.position(errors[0].pos[0]);
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
      problem({ file, line: pos.line, column: pos.column, message: `YAML: ${errors[0].message.split('\n')[0]}${more}; pool sections in this document are not read, other files are still checked` });
      continue;
    }
    findSections(doc.contents, [], [], sections);
  }
  return sections;
}

/** The key code quotes to read a section: its last key, without a list index. */
const lastKey = (keys: string[]) => keys[keys.length - 1].replace(/\[\d+\]$/, '');

export const yamlConfigDetector: TextDetector = {
  id: 'yaml-config',
  // a Spring Boot application.yml is spring-hikari's: its datasource is one pool, not a section per map
  matches: (file, text) => isAppConfigYaml(file) && !isKubernetesManifest(text) && !isSpringYaml(file, text),
  prefilter: /^[ \t-]*["']?(connection[_-]?pool|pool|database|db|datasource|sqlalchemy|max[_-]?connections|pool[_-]?size|max[_-]?overflow|min[_-]?connections|max[_-]?readers|max[_-]?writers|(pool|connection|acquire)[_-]?timeout)["']?[ \t]*:/im,
  quotedKeys(file: string, text: string): string[] {
    return [...new Set(readSections(text, new LineIndex(text)).map((sec) => lastKey(sec.keys)))];
  },
  detect(ctx: TextDetectorContext): PoolModel[] {
    const sections = readSections(ctx.text, ctx.lines, ctx.problem.bind(ctx), ctx.file);
    if (sections.length === 0) return [];
    const envs = new Map(evaluatorsFor(ctx, (env) => env).map((p) => [p.profile, p.ev]));
    const profileNames = [...envs.keys()];
    const cache = new Map<string, Reader | null>();
    const models: PoolModel[] = [];
    for (const sec of sections) {
      const keyPath = sec.keys.join('.');
      const span: Span = ctx.lines.span(ctx.file, sec.keyNode.range![0], sec.keyNode.range![1]);
      const readers = readersOf(sec, ctx, cache);
      const fromCode = databaseFromCode(readers, ctx, keyPath);
      const profiles: Record<string, ProfileModel> = {};
      for (const profile of profileNames) {
        const env = envs.get(profile)!;
        const fromYaml = databaseFromYaml(sec, ctx, env);
        const database: DatabaseInfo = fromYaml
          ? { ...fromYaml, how: fromCode ? `${fromYaml.how}; ${fromCode.how}` : fromYaml.how }
          : fromCode ?? { kind: 'unknown', how: `no database URL, path or driver in ${keyPath} or the keys above it, and no source file reads this key path` };
        profiles[profile] = {
          profile,
          // The profile's env files reach a YAML section only through its placeholders, and each
          // setting names the file its value came from. The list stays empty so that rules judging a
          // profile's database URL by its env files (sqlite-in-production) keep to the code pools.
          envFiles: [],
          database,
          poolClass: { name: 'config', source: 'default', reason: `pool settings in ${ctx.rel(ctx.file)}` },
          settings: settingsOf(sec, ctx, env),
        };
      }
      models.push({
        id: `${ctx.file}:${span.line + 1}:${span.column + 1}`,
        library: 'yaml-config',
        constructor: keyPath,
        file: ctx.file,
        span,
        async: readers.some((r) => r.modules.some((m) => ASYNC_MODULES.has(m))),
        profiles,
        differsBetweenProfiles: differences(profiles),
        libraryVersion: { version: 'n/a', source: 'application config: no library version applies' },
      });
    }
    return models;
  },
};
