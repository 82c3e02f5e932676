// Spring Boot / HikariCP: `spring.datasource.*` and `spring.datasource.hikari.*` in application.yml,
// application.yaml and application.properties and their profile files (application-prod.yml) of one
// folder become one pool model, library 'spring-hikari'. Keys bind relaxed (maximum-pool-size,
// maximumPoolSize, maximum_pool_size), nested YAML and dotted keys alike; `${NAME}` and
// `${NAME:default}` placeholders resolve through other properties and the profile's env; an env
// variable of the property's own name (SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE) overrides the files.
// Which Spring profile a pool-lint profile runs: SPRING_PROFILES_ACTIVE in its env, else
// spring.profiles.active in the base file, else the profile file of the same name (prod for
// production, dev for development). Spring profile files no pool-lint profile runs are evaluated
// under their own name. The model is owned by the folder's first config file with datasource keys
// (application.properties, application.yml, application.yaml, then the profile files by name).
import * as path from 'path';
import * as YAML from 'yaml';
import { ProfileEnv } from '../envfiles';
import type { DatabaseInfo, DatabaseKind, InsertTarget, PoolModel, ProfileModel, Setting, Span } from '../model';
import { isSpringConfigFile, parseSpringFile, relaxedKey, type SpringDocument, type SpringEntry, type SpringFile } from '../spring-config';
import { maskSecrets, maskUrl, parseDbUrl } from '../urls';
import { activeProfiles, differences, type TextDetector, type TextDetectorContext } from './types';
import { hikariVersion } from '../versions';

const HIKARI = 'brettwooldridge/HikariCP@604d7d58 (6.0.0)';
const CONFIG = `${HIKARI}:src/main/java/com/zaxxer/hikari/HikariConfig.java`;
export const HIKARI_README = `${HIKARI}:README.md (Frequently used)`;
export const SPRING_BINDING = 'spring-projects/spring-boot@00b56686:spring-boot-autoconfigure/src/main/java/org/springframework/boot/autoconfigure/jdbc/DataSourceConfiguration.java (Hikari: @ConfigurationProperties(prefix = "spring.datasource.hikari") HikariDataSource)';
export const HIKARI_TIMEOUT_ERROR = 'SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms';

/** HikariCP's settings as Spring Boot names them, with HikariCP's defaults (minimum-idle follows maximum-pool-size). */
export const HIKARI_DEFAULTS: Record<string, { value: number; cite: string }> = {
  'maximum-pool-size': { value: 10, cite: `${CONFIG}:58,1130-1132 (DEFAULT_POOL_SIZE; a size below 1 becomes 10); README "Default: 10"` },
  'minimum-idle': { value: 10, cite: `${CONFIG}:1134-1136 (minIdle < 0 or above maxPoolSize becomes maxPoolSize); README "Default: same as maximumPoolSize"` },
  'connection-timeout': { value: 30000, cite: `${CONFIG}:52,188-199 (CONNECTION_TIMEOUT 30 s; 0 means Integer.MAX_VALUE ms, below 250 ms throws)` },
  'idle-timeout': { value: 600000, cite: `${CONFIG}:55 (IDLE_TIMEOUT 10 min)` },
  'max-lifetime': { value: 1800000, cite: `${CONFIG}:56,1096-1099 (MAX_LIFETIME 30 min; 0 = no limit, 1..29999 ms becomes 30 min)` },
  'keepalive-time': { value: 0, cite: `${CONFIG}:57,1101-1111 (DEFAULT_KEEPALIVE_TIME 0 = disabled)` },
  'validation-timeout': { value: 5000, cite: `${CONFIG}:53 (VALIDATION_TIMEOUT 5 s)` },
};
const NAMES = Object.keys(HIKARI_DEFAULTS);
const HIKARI_PREFIX = 'spring.datasource.hikari.';

/** Pool-lint profile names and the Spring profile names they are taken to run when nothing says which. */
const ALIASES: Record<string, string[]> = { production: ['production', 'prod'], development: ['development', 'dev'] };
const springNamesFor = (profile: string) => ALIASES[profile] ?? [profile];

/** The env variable Spring binds over a property: dots to `_`, dashes removed, upper case. */
export function springEnvName(key: string): string {
  return relaxedKey(key).replace(/\[(\d+)\]/g, '_$1').replace(/\./g, '_').toUpperCase();
}

interface Found {
  entry: SpringEntry;
  sf: SpringFile;
}

interface Resolved {
  /** The value after substitution, undefined when a placeholder has no value and no default. */
  value: string | undefined;
  setting: Setting;
}

/** The end of the placeholder that starts at `at` (`${`), nested placeholders included, and where its name ends. */
function placeholderAt(s: string, at: number): { end: number; colon: number } | undefined {
  let depth = 0;
  let colon = -1;
  for (let i = at; i < s.length; i++) {
    if (s.startsWith('${', i)) {
      depth++;
      i++;
      continue;
    }
    if (s[i] === ':' && depth === 1 && colon < 0) colon = i;
    if (s[i] === '}') {
      depth--;
      if (depth === 0) return { end: i + 1, colon };
    }
  }
  return undefined;
}

class Resolver {
  constructor(
    private readonly ctx: TextDetectorContext,
    private readonly merged: Map<string, Found>,
    readonly env: ProfileEnv,
  ) {}

  get(norm: string): Found | undefined {
    return this.merged.get(norm);
  }

  private span(sf: SpringFile, start: number, end: number): Span {
    return sf.lines.span(sf.file, start, end);
  }

  /** A string with every placeholder substituted, or undefined when one has no value. */
  substitute(s: string, depth = 0): string | undefined {
    let out = '';
    let pos = 0;
    for (let at = s.indexOf('${'); at >= 0; at = s.indexOf('${', pos)) {
      const ph = placeholderAt(s, at);
      if (!ph) break;
      const name = s.slice(at + 2, ph.colon >= 0 ? ph.colon : ph.end - 1).trim();
      const def = ph.colon >= 0 ? s.slice(ph.colon + 1, ph.end - 1) : undefined;
      const v = this.lookup(name, depth) ?? (def !== undefined ? this.substitute(def, depth + 1) : undefined);
      if (v === undefined) return undefined;
      out += s.slice(pos, at) + v;
      pos = ph.end;
    }
    return out + s.slice(pos);
  }

  /** A placeholder name: another property first, then the env (as written, then in env form). */
  private lookup(name: string, depth: number): string | undefined {
    if (depth > 8) return undefined;
    const prop = this.merged.get(relaxedKey(name));
    if (prop) return this.substitute(prop.entry.value, depth + 1);
    return (this.env.get(name) ?? this.env.get(springEnvName(name)))?.value;
  }

  /** The setting for one entry: a literal, or where its placeholder's value came from. */
  resolve(f: Found, depth = 0): Resolved {
    const { entry, sf } = f;
    const raw = sf.text.slice(entry.start, entry.end);
    const span = this.span(sf, entry.start, entry.end);
    const v = entry.value;
    const at = v.indexOf('${');
    if (at < 0) return { value: v, setting: { value: v, source: 'literal', span, text: raw } };
    const ph = placeholderAt(v, at);
    if (!ph) return { value: v, setting: { value: v, source: 'literal', span, text: raw } };
    const whole = v.trim() === v.slice(at, ph.end);
    const name = v.slice(at + 2, ph.colon >= 0 ? ph.colon : ph.end - 1).trim();
    const def = ph.colon >= 0 ? v.slice(ph.colon + 1, ph.end - 1) : undefined;
    // the placeholder's text as written (positions hold where the value has no escapes or quotes inside)
    const inRaw = raw.indexOf(v.slice(at, ph.end));
    const readSpan = inRaw >= 0 ? this.span(sf, entry.start + inRaw, entry.start + inRaw + ph.end - at) : span;
    const prop = depth < 8 ? this.merged.get(relaxedKey(name)) : undefined;
    if (whole && prop && prop.entry !== entry) {
      const r = this.resolve(prop, depth + 1);
      return { value: r.value, setting: { ...r.setting, reason: `through \${${name}} at ${this.ctx.rel(sf.file)}:${span.line + 1}` } };
    }
    const envEntry = prop ? undefined : this.env.get(name) ?? this.env.get(springEnvName(name));
    const value = this.substitute(v, depth);
    const setting: Setting = {
      value,
      source: 'env',
      span: readSpan,
      text: raw,
      env: { name: envEntry?.name ?? name, readSpan, usedFallback: !envEntry },
    };
    if (envEntry) Object.assign(setting.env!, { file: envEntry.file, line: envEntry.line, raw: envEntry.raw, valueSpan: envEntry.valueSpan });
    if (def !== undefined) {
      const defAt = inRaw >= 0 ? entry.start + inRaw + (ph.colon - at) + 1 : entry.start;
      setting.env!.fallback = { value: def, text: def, span: this.span(sf, defAt, defAt + def.length) };
    }
    if (value === undefined) setting.reason = `${name} is not set in this profile and the placeholder has no default`;
    if (!whole) setting.reason = `${raw} with its placeholders substituted`;
    return { value, setting };
  }
}

/** Spring converts the text to int/long (decimal or 0x hex, surrounding blanks trimmed). */
function springNumber(text: string): number | undefined {
  const t = text.trim();
  if (/^[-+]?\d+$/.test(t)) return parseInt(t, 10);
  if (/^[-+]?0[xX][0-9a-fA-F]+$/.test(t)) return parseInt(t, 16);
  return undefined;
}

function numericSetting(r: Resolved, name: string): Setting {
  const s = r.setting;
  if (r.value === undefined) return { ...s, value: undefined, source: s.source === 'literal' ? 'unknown' : s.source };
  const n = springNumber(r.value);
  if (n === undefined) {
    const ms = name === 'maximum-pool-size' || name === 'minimum-idle' ? 'a whole number' : 'a whole number of milliseconds';
    return { ...s, value: r.value, crash: `'${r.value}' is not ${ms}${ms.includes('milli') ? ' (the HikariCP setter takes a long, not a Duration)' : ''}: Spring Boot fails to bind ${HIKARI_PREFIX}${name} to HikariDataSource` };
  }
  return { ...s, value: n };
}

function jdbcDatabase(url: string, how: string): Pick<DatabaseInfo, 'kind' | 'how' | 'scheme' | 'memory'> {
  const u = url.trim();
  const sub = /^jdbc:([a-z0-9]+)[:/]/i.exec(u)?.[1]?.toLowerCase();
  if (sub === 'sqlite') {
    const rest = u.slice('jdbc:sqlite:'.length);
    return { kind: 'sqlite', how: `JDBC URL jdbc:sqlite (${how})`, scheme: 'jdbc:sqlite', memory: rest === '' || /(^|file:):memory:/.test(rest) || /[?&]mode=memory\b/.test(rest) };
  }
  if (sub === 'h2' || sub === 'hsqldb' || sub === 'derby') return { kind: 'unknown', how: `JDBC URL jdbc:${sub} (${how}): an embedded Java database, no server connection limit applies`, scheme: `jdbc:${sub}` };
  const parsed = parseDbUrl(u);
  if (parsed && parsed.kind !== 'unknown') return { kind: parsed.kind, how: `JDBC URL jdbc:${parsed.scheme} (${how})`, scheme: `jdbc:${parsed.scheme}` };
  return { kind: 'unknown', how: `JDBC URL ${sub ? `jdbc:${sub}` : maskSecrets(maskUrl(u))} (${how}): not a database pool-lint models`, scheme: sub ? `jdbc:${sub}` : undefined };
}

const DRIVERS: [RegExp, DatabaseKind][] = [
  [/^org\.postgresql\./, 'postgresql'],
  [/^(com\.mysql\.|org\.mariadb\.)/, 'mysql'],
  [/^org\.sqlite\./, 'sqlite'],
];

function masked(s: Setting): Setting {
  const m = (t: string) => maskSecrets(maskUrl(t));
  const e = s.env;
  return {
    ...s,
    value: typeof s.value === 'string' ? m(s.value) : s.value,
    text: s.text !== undefined ? m(s.text) : undefined,
    env: e && { ...e, raw: e.raw !== undefined ? m(e.raw) : undefined, fallback: e.fallback && { ...e.fallback, value: typeof e.fallback.value === 'string' ? m(e.fallback.value) : e.fallback.value, text: m(e.fallback.text) } },
  };
}

function where(ctx: TextDetectorContext, s: Setting): string {
  const at = s.span ? `${ctx.rel(s.span.file)}:${s.span.line + 1}` : '';
  const e = s.env;
  if (!e) return at;
  if (!e.usedFallback && e.file !== undefined) return `${at ? `${at}, ` : ''}${e.name} in ${ctx.rel(e.file)}:${(e.line ?? 0) + 1}`;
  return `${at}, ${e.name} unset: its default`;
}

/** An env variable set in the profile that Spring binds over a property. */
function envOverride(env: ProfileEnv, key: string): Setting | undefined {
  const e = env.get(springEnvName(key));
  if (!e) return undefined;
  return { value: e.value, source: 'env', span: e.valueSpan, text: e.raw, env: { name: e.name, file: e.file, line: e.line, raw: e.raw, valueSpan: e.valueSpan, readSpan: e.valueSpan, usedFallback: false }, reason: `${e.name} overrides ${key} in the config files` };
}

/** The documents that apply, lowest precedence first: base files, then each active profile's files (YAML before .properties). */
function layersFor(files: SpringFile[], active: string[]): { sf: SpringFile; doc: SpringDocument }[] {
  const order = (list: SpringFile[]) => [...list].sort((a, b) => (a.format === b.format ? 0 : a.format === 'yaml' ? -1 : 1));
  const on = (doc: SpringDocument) => !doc.onProfile || doc.onProfile.some((p) => (p.startsWith('!') ? !active.includes(p.slice(1)) : active.includes(p)));
  const out: { sf: SpringFile; doc: SpringDocument }[] = [];
  for (const sf of order(files.filter((f) => !f.profile))) for (const doc of sf.docs) if (on(doc)) out.push({ sf, doc });
  for (const p of active) for (const sf of order(files.filter((f) => f.profile === p))) for (const doc of sf.docs) if (on(doc)) out.push({ sf, doc });
  return out;
}

function merge(layers: { sf: SpringFile; doc: SpringDocument }[]): Map<string, Found> {
  const m = new Map<string, Found>();
  for (const { sf, doc } of layers) for (const entry of doc.entries) m.set(entry.norm, { entry, sf });
  return m;
}

const hasDatasource = (doc: SpringDocument) => doc.entries.some((e) => e.norm.startsWith('spring.datasource.'));

/** The YAML map a new key goes into, and the key path still to write under it. */
function yamlInsert(sf: SpringFile, contents: YAML.Node | null | undefined, target: string[]): InsertTarget | undefined {
  if (!YAML.isMap(contents) || contents.flow) return undefined;
  let map: YAML.YAMLMap = contents;
  let parentIndent: number | undefined;
  let matched = 0;
  for (;;) {
    let next: { map: YAML.YAMLMap; n: number } | undefined;
    for (const pair of map.items) {
      if (!YAML.isScalar(pair.key) || !YAML.isMap(pair.value) || pair.value.flow) continue;
      const segs = relaxedKey(String(pair.key.value)).split('.');
      if (segs.every((s, i) => target[matched + i] === relaxedKey(s)) && matched + segs.length < target.length) next = { map: pair.value, n: segs.length };
    }
    if (!next) break;
    parentIndent = indentOf(sf, map);
    map = next.map;
    matched += next.n;
  }
  const last = map.items[map.items.length - 1];
  const end = (YAML.isNode(last?.value) ? last.value.range?.[1] : undefined) ?? (YAML.isNode(last?.key) ? last.key.range?.[1] : undefined);
  const indent = indentOf(sf, map);
  if (end === undefined || indent === undefined) return undefined;
  const child = map.items.map((p) => (YAML.isMap(p.value) && !p.value.flow ? indentOf(sf, p.value) : undefined)).find((i) => i !== undefined);
  const step = child !== undefined && child > indent ? child - indent : parentIndent !== undefined && indent > parentIndent ? indent - parentIndent : 2;
  const line = sf.lines.position(end > 0 && sf.text[end - 1] === '\n' ? end - 1 : end).line;
  const at = sf.lines.lineEnd(line);
  const rest = target.slice(matched, -1);
  let prefix = ' '.repeat(indent);
  rest.forEach((seg, i) => (prefix += `${seg}:\n${' '.repeat(indent + step * (i + 1))}`));
  return { kind: 'line', span: sf.lines.span(sf.file, at, at), prefix, separator: ': ' };
}

function indentOf(sf: SpringFile, map: YAML.YAMLMap): number | undefined {
  const k = map.items[0]?.key;
  return YAML.isNode(k) && k.range ? sf.lines.position(k.range[0]).column : undefined;
}

/** Where a Hikari setting not yet written for this profile goes: the highest-precedence file of the profile that has datasource keys. */
function insertTargetFor(layers: { sf: SpringFile; doc: SpringDocument }[]): InsertTarget | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    const { sf, doc } = layers[i];
    if (!hasDatasource(doc)) continue;
    const hikari = doc.entries.filter((e) => e.norm.startsWith(HIKARI_PREFIX));
    const camelCase = hikari.length > 0 && hikari.every((e) => /[A-Z]/.test(e.key.slice(e.key.lastIndexOf('.') + 1)) && !/[-_]/.test(e.key.slice(e.key.lastIndexOf('.') + 1)));
    if (sf.format === 'yaml') {
      const t = yamlInsert(sf, doc.yaml, relaxedKey(`${HIKARI_PREFIX}x`).split('.'));
      return t && { ...t, camelCase };
    }
    const last = [...doc.entries].reverse().find((e) => e.norm.startsWith('spring.datasource.'))!;
    const at = sf.lines.lineEnd(sf.lines.position(last.end).line);
    const sample = hikari[hikari.length - 1] ?? last;
    const prefix = hikari.length ? sample.key.slice(0, sample.key.lastIndexOf('.') + 1) : HIKARI_PREFIX;
    const separator = sf.text.slice(sample.keyEnd, sample.start) || '=';
    return { kind: 'line', span: sf.lines.span(sf.file, at, at), prefix, separator, camelCase };
  }
  return undefined;
}

/** The span of the `datasource` key (nested YAML) or of the first `spring.datasource.` key. */
function poolSpan(sf: SpringFile): Span | undefined {
  for (const doc of sf.docs) {
    if (!hasDatasource(doc)) continue;
    if (sf.format === 'yaml' && YAML.isMap(doc.yaml)) {
      const find = (map: YAML.YAMLMap, prefix: string): Span | undefined => {
        for (const pair of map.items) {
          if (!YAML.isScalar(pair.key) || !pair.key.range) continue;
          const full = relaxedKey(prefix ? `${prefix}.${String(pair.key.value)}` : String(pair.key.value));
          if (full === 'spring.datasource' || full.startsWith('spring.datasource.')) return sf.lines.span(sf.file, pair.key.range[0], pair.key.range[1]);
          if ('spring.datasource'.startsWith(`${full}.`) && YAML.isMap(pair.value)) {
            const s = find(pair.value, full);
            if (s) return s;
          }
        }
        return undefined;
      };
      const s = find(doc.yaml, '');
      if (s) return s;
    }
    const e = doc.entries.find((x) => x.norm.startsWith('spring.datasource.'))!;
    return sf.lines.span(sf.file, e.keyStart, e.keyEnd);
  }
  return undefined;
}

/**
 * The active profiles with spring.profiles.include (added first) and spring.profiles.group.<name>
 * (each group's members right after its name), as Spring Boot 2.4+ expands them; a profile listed
 * twice counts once, where it first appears.
 */
function expandProfiles(active: string[], base: Map<string, Found>, r: Resolver): string[] {
  const list = (key: string) => {
    const f = base.get(relaxedKey(key));
    const v = f ? r.substitute(f.entry.value) : undefined;
    return v ? v.split(',').map((s) => s.trim()).filter((s) => s) : [];
  };
  const out: string[] = [];
  const add = (p: string, depth: number) => {
    if (out.includes(p) || depth > 8) return;
    out.push(p);
    for (const m of list(`spring.profiles.group.${p}`)) add(m, depth + 1);
  };
  for (const p of [...list('spring.profiles.include'), ...active]) add(p, 0);
  return out;
}

const PRIORITY = (f: SpringFile) => (f.profile ? 3 : f.format === 'properties' ? 0 : /\.yml$/i.test(f.file) ? 1 : 2);

export const springHikariDetector: TextDetector = {
  id: 'spring-hikari',
  matches: (file) => isSpringConfigFile(file),
  prefilter: /datasource/i,
  detect(ctx) {
    const dir = path.dirname(ctx.file);
    const names = (ctx.files ?? [ctx.file]).filter((f) => path.dirname(f) === dir && isSpringConfigFile(f));
    if (!names.includes(ctx.file)) names.push(ctx.file);
    const files: SpringFile[] = [];
    for (const f of names) {
      const text = f === ctx.file ? ctx.text : ctx.read(f);
      if (text === undefined) continue;
      const sf = parseSpringFile(f, text);
      if (f === ctx.file) for (const p of sf.problems) ctx.problem(p);
      files.push(sf);
    }
    files.sort((a, b) => PRIORITY(a) - PRIORITY(b) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    const owner = files.find((f) => f.docs.some(hasDatasource));
    if (!owner || owner.file !== ctx.file) return [];
    const span = poolSpan(owner)!;
    const springProfiles = [...new Set(files.map((f) => f.profile).filter((p): p is string => !!p))];
    const baseMerged = merge(layersFor(files, []));
    const type = baseMerged.get('spring.datasource.type');
    // another pool class (Tomcat, DBCP2, Oracle UCP) takes none of the hikari settings
    if (type && !/HikariDataSource/.test(type.entry.value)) return [];

    // the pool-lint profiles evaluated: those with env files, and those a Spring profile file is named for
    const withFiles = activeProfiles(ctx);
    const evaluated = ctx.profiles.filter((p) => withFiles.includes(p) || springNamesFor(p).some((n) => springProfiles.includes(n)));
    const runs: { profile: string; env: ProfileEnv; active: string[]; how: string; byName: boolean }[] = [];
    for (const profile of evaluated) {
      const env = new ProfileEnv(profile, ctx.env.filesFor(ctx.file, profile));
      const spa = env.get('SPRING_PROFILES_ACTIVE');
      const fromFile = baseMerged.get('spring.profiles.active');
      if (spa) {
        runs.push({ profile, env, active: spa.value.split(',').map((s) => s.trim()).filter((s) => s), how: `SPRING_PROFILES_ACTIVE=${spa.value} in ${ctx.rel(spa.file)}:${spa.line + 1}`, byName: false });
      } else if (fromFile) {
        const v = new Resolver(ctx, baseMerged, env).substitute(fromFile.entry.value) ?? '';
        runs.push({ profile, env, active: v.split(',').map((s) => s.trim()).filter((s) => s), how: `spring.profiles.active ${v} at ${ctx.rel(fromFile.sf.file)}:${fromFile.sf.lines.position(fromFile.entry.start).line + 1}`, byName: false });
      } else {
        const name = springNamesFor(profile).find((n) => springProfiles.includes(n));
        const file = name && files.find((f) => f.profile === name);
        runs.push({ profile, env, active: name ? [name] : [], how: file ? `${ctx.rel(file.file)}, taken for the ${profile} profile by its name (SPRING_PROFILES_ACTIVE in the profile's env would say otherwise)` : 'no Spring profile active (the default profile)', byName: !!file });
      }
    }
    for (const run of runs) {
      const named = run.active;
      run.active = expandProfiles(named, baseMerged, new Resolver(ctx, baseMerged, run.env));
      if (run.active.join(',') !== named.join(',')) run.how += ` (with spring.profiles.include and groups: ${run.active.join(', ')})`;
    }
    // Spring profile files that no evaluated profile runs: under their own name, with no env of their own
    if (ctx.profiles.length > 1) {
      for (const sp of springProfiles) {
        if (runs.some((r) => r.active.includes(sp)) || ctx.profiles.includes(sp)) continue;
        const file = files.find((f) => f.profile === sp)!;
        runs.push({ profile: sp, env: new ProfileEnv(sp, []), active: [sp], how: `${ctx.rel(file.file)} (Spring profile ${sp}, which no pool-lint profile runs: no env files, placeholders take their defaults)`, byName: true });
      }
    }

    const version = (ctx.root !== undefined ? hikariVersion({ ...ctx, root: ctx.root }) : undefined) ?? { version: '5/6 (assumed: the version Spring Boot 3 manages)', source: 'assumed' };
    // a default is labelled with an explicit HikariCP version; one managed by Spring Boot keeps 5/6
    const label = /^\d/.test(version.version) ? version.version : '5/6';
    const profiles: Record<string, ProfileModel> = {};
    for (const run of runs) {
      const layers = layersFor(files, run.active);
      const merged = merge(layers);
      const r = new Resolver(ctx, merged, run.env);
      const settings: Record<string, Setting> = {};
      for (const name of NAMES) {
        const key = `${HIKARI_PREFIX}${name}`;
        const over = envOverride(run.env, key);
        const found = r.get(relaxedKey(key));
        if (over) settings[name] = numericSetting({ value: over.value as string, setting: over }, name);
        else if (found) settings[name] = numericSetting(r.resolve(found), name);
        else if (name === 'minimum-idle') {
          const max = settings['maximum-pool-size'];
          const v = typeof max.value === 'number' && max.value >= 1 ? max.value : 10;
          settings[name] = { value: v, source: 'default', default: { library: 'HikariCP', version: label, cite: HIKARI_DEFAULTS[name].cite }, reason: 'HikariCP sets minimum-idle to maximum-pool-size when it is not set' };
        } else settings[name] = { value: HIKARI_DEFAULTS[name].value, source: 'default', default: { library: 'HikariCP', version: label, cite: HIKARI_DEFAULTS[name].cite } };
      }
      profiles[run.profile] = {
        profile: run.profile,
        envFiles: run.env.files.map((f) => f.file),
        database: databaseOf(ctx, r, run.env),
        poolClass: { name: 'HikariDataSource', source: type ? 'literal' : 'default', reason: type ? `spring.datasource.type ${type.entry.value}` : 'Spring Boot picks HikariCP when it is on the classpath (spring-boot-starter-jdbc and -data-jpa bring it)' },
        settings,
        insertTarget: insertTargetFor(layers),
        boundBy: run.active.length ? `Spring profile ${run.active.join(',')}: ${run.how}` : undefined,
      };
    }
    if (Object.keys(profiles).length === 0) return [];
    return [
      {
        id: `${ctx.file}:${span.line + 1}:${span.column + 1}`,
        library: 'spring-hikari',
        constructor: 'spring.datasource',
        file: ctx.file,
        span,
        async: false,
        profiles,
        differsBetweenProfiles: differences(profiles),
        libraryVersion: version,
      },
    ];
  },
};

function databaseOf(ctx: TextDetectorContext, r: Resolver, env: ProfileEnv): DatabaseInfo {
  for (const key of ['spring.datasource.url', 'spring.datasource.hikari.jdbc-url']) {
    const over = envOverride(env, key);
    const found = r.get(relaxedKey(key));
    if (!over && !found) continue;
    const res: Resolved = over ? { value: over.value as string, setting: over } : r.resolve(found!);
    const source = masked(res.setting);
    if (res.value === undefined) return { kind: 'unknown', how: `${key} is not known in this profile: ${res.setting.reason ?? 'a placeholder has no value'}`, source };
    const db = jdbcDatabase(res.value, `${key} at ${where(ctx, res.setting)}`);
    return { ...db, url: maskSecrets(maskUrl(res.value)), source };
  }
  const driver = r.get(relaxedKey('spring.datasource.driver-class-name'));
  if (driver) {
    const kind = DRIVERS.find(([re]) => re.test(driver.entry.value.trim()))?.[1] ?? 'unknown';
    return { kind, how: `spring.datasource.driver-class-name ${driver.entry.value.trim()} (no spring.datasource.url)` };
  }
  return { kind: 'unknown', how: 'no spring.datasource.url in this profile (Spring Boot then looks for an embedded database on the classpath)' };
}
