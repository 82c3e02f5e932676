// sequelize-cli's config/config.json: one section per NODE_ENV (`development`, `test`, `production`)
// with `dialect`, `use_env_variable` (the env variable holding the URL) or host/database, and
// `pool: { max, min, idle, acquire, evict }`. The section a profile gets is the one its NODE_ENV
// names (its own NODE_ENV, else the profile's name, else sequelize-cli's 'development'), as the
// generated models/index.js reads it. JSON is parsed with `yaml` (JSON is YAML 1.2), keeping the
// range of every value for messages and edits. Defaults: those of new Sequelize (sequelize.ts).
import * as YAML from 'yaml';
import type { DatabaseInfo, DatabaseKind, InsertTarget, PoolModel, ProfileModel, Setting, Span } from '../model';
import { tooLargeToParse } from '../syntax';
import { parseYaml, yamlTooDeep } from '../yaml-depth';
import { maskSecrets, maskUrl, parseDbUrl } from '../urls';
import { implicitNodeEnv, maskedUrlSetting } from '../js/pools';
import { npmVersion, versionLabel } from '../versions';
import { SEQUELIZE_DEFAULTS } from './sequelize';
import { differences, evaluatorsFor, type TextDetector, type TextDetectorContext } from './types';

/** sequelize-cli's default config path (`.sequelizerc` can move it; that file is not read). */
export function isSequelizeConfig(file: string): boolean {
  return /(^|[\\/])config[\\/]config\.json$/i.test(file);
}

function dialectKind(d: string): DatabaseKind {
  if (/^postgres(ql)?$/i.test(d)) return 'postgresql';
  if (/^(mysql|mariadb)$/i.test(d)) return 'mysql';
  if (/^sqlite$/i.test(d)) return 'sqlite';
  return 'unknown';
}

function scalar(map: YAML.YAMLMap, key: string): YAML.Scalar | undefined {
  const v = map.get(key, true);
  return YAML.isScalar(v) ? v : undefined;
}

function spanOf(ctx: TextDetectorContext, n: YAML.Node): Span {
  return ctx.lines.span(ctx.file, n.range![0], n.range![1]);
}

function databaseOf(ctx: TextDetectorContext, section: YAML.YAMLMap, env: ReturnType<typeof evaluatorsFor<import('../envfiles').ProfileEnv>>[number]['ev'], name: string): DatabaseInfo {
  const dialect = scalar(section, 'dialect');
  const useEnv = scalar(section, 'use_env_variable');
  let url: string | undefined;
  let source: Setting | undefined;
  if (useEnv && typeof useEnv.value === 'string') {
    const varName = useEnv.value;
    const e = env.get(varName);
    const readSpan = spanOf(ctx, useEnv);
    url = e?.value;
    source = maskedUrlSetting({
      value: url,
      source: 'env',
      span: readSpan,
      text: `process.env.${varName}`,
      env: { name: varName, readSpan, usedFallback: !e, ...(e ? { file: e.file, line: e.line, raw: e.raw, valueSpan: e.valueSpan } : {}) },
      reason: e ? undefined : `${varName} is not set in this profile`,
    });
  }
  const parsed = url ? parseDbUrl(url) : undefined;
  const at = (n?: YAML.Node) => `the ${name} section of ${ctx.rel(ctx.file)}${n?.range ? `:${ctx.lines.position(n.range[0]).line + 1}` : ''}`;
  if (dialect && typeof dialect.value === 'string') {
    const kind = dialectKind(dialect.value);
    return { kind, how: `dialect '${dialect.value}' in ${at(dialect)}`, scheme: parsed?.scheme, url: url ? maskSecrets(maskUrl(url)) : undefined, source };
  }
  if (parsed) return { kind: parsed.kind, how: `URL scheme '${parsed.scheme}' from ${(useEnv?.value as string) ?? 'the URL'} (use_env_variable in ${at(useEnv)})`, scheme: parsed.scheme, url: maskSecrets(maskUrl(url!)), source };
  return { kind: 'unknown', how: useEnv ? `${String(useEnv.value)} (use_env_variable in ${at(useEnv)}) is not set in this profile and the section names no dialect` : `the ${name} section of ${ctx.rel(ctx.file)} names no dialect` };
}

export const sequelizeConfigDetector: TextDetector = {
  id: 'sequelize-config',
  matches: (file) => isSequelizeConfig(file),
  prefilter: /"(dialect|use_env_variable)"\s*:/,
  detect(ctx) {
    const tooLarge = tooLargeToParse(ctx.text, 'config file', 'its pool settings are not read');
    const tooDeep = tooLarge ? undefined : yamlTooDeep(ctx.text, ctx.lines, 'config file', 'its pool settings are not read');
    if (tooLarge || tooDeep) {
      ctx.problem({ file: ctx.file, ...(tooDeep ?? { message: `not read: ${tooLarge}` }) });
      return [];
    }
    const parsed = parseYaml(ctx.text, ctx.lines, 'config file', 'its pool settings are not read', () => YAML.parseDocument(ctx.text, { prettyErrors: false, uniqueKeys: false }));
    if ('problem' in parsed) {
      ctx.problem({ file: ctx.file, ...parsed.problem });
      return [];
    }
    const doc = parsed.value;
    if (doc.errors.length) {
      const pos = ctx.lines.position(doc.errors[0].pos[0]);
      ctx.problem({ file: ctx.file, line: pos.line, column: pos.column, message: `JSON: ${doc.errors[0].message.split('\n')[0]}; the sequelize-cli config is not read, other files are still checked` });
      return [];
    }
    const top = doc.contents;
    if (!YAML.isMap(top)) return [];
    const sections = new Map<string, { key: YAML.Scalar; map: YAML.YAMLMap }>();
    for (const pair of top.items) {
      if (YAML.isScalar(pair.key) && YAML.isMap(pair.value)) sections.set(String(pair.key.value), { key: pair.key, map: pair.value });
    }
    if (sections.size === 0) return [];
    const version = (ctx.root !== undefined ? npmVersion({ ...ctx, root: ctx.root }, ['sequelize', 'sequelize-typescript']) : undefined) ?? { version: '6.x (assumed: no pin found)', source: 'assumed' };
    const profiles: Record<string, ProfileModel> = {};
    let first: YAML.Scalar | undefined;
    for (const { profile, envFiles, ev } of evaluatorsFor(ctx, (env) => env)) {
      const nodeEnv = ev.get('NODE_ENV');
      const wanted = nodeEnv?.value ?? implicitNodeEnv(profile).NODE_ENV;
      const name = wanted !== undefined && sections.has(wanted) ? wanted : !nodeEnv && sections.has('development') ? 'development' : undefined;
      if (!name) continue;
      const { key, map } = sections.get(name)!;
      first ??= key;
      const poolNode = map.get('pool', true);
      const pool = YAML.isMap(poolNode) ? poolNode : undefined;
      const settings: Record<string, Setting> = {};
      for (const [n, d] of Object.entries(SEQUELIZE_DEFAULTS)) {
        const v = pool ? scalar(pool, n) : undefined;
        if (v && v.range) {
          const value = v.value;
          const span = spanOf(ctx, v);
          settings[n] = typeof value === 'number' ? { value, source: 'literal', span, text: ctx.text.slice(v.range[0], v.range[1]) } : { value: value === null ? null : String(value), source: 'literal', span, text: ctx.text.slice(v.range[0], v.range[1]), warning: typeof value === 'string' ? `pool.${n} is the string "${value}" in JSON: sequelize-pool compares it as a string` : undefined };
          if (value === null) settings[n] = { value: d.value, source: 'default', default: { library: 'sequelize', version: versionLabel(version, '6.x'), cite: d.cite }, reason: 'null: the default applies' };
        } else settings[n] = { value: d.value, source: 'default', default: { library: 'sequelize', version: versionLabel(version, '6.x'), cite: d.cite } };
      }
      // JSON objects: keys in double quotes, as in a Python dict
      const target: InsertTarget | undefined = pool?.range ? { kind: 'dict', span: spanOf(ctx, pool) } : map.range ? { kind: 'dict', span: spanOf(ctx, map), within: 'pool' } : undefined;
      profiles[profile] = {
        profile,
        envFiles: envFiles.map((f) => f.file),
        database: databaseOf(ctx, map, ev, name),
        poolClass: { name: 'sequelize-pool', source: 'default', reason: `the ${name} section of ${ctx.rel(ctx.file)}, read by sequelize-cli and the generated models/index.js` },
        settings,
        insertTarget: target,
        boundBy: nodeEnv ? `NODE_ENV=${nodeEnv.value} in ${ctx.rel(nodeEnv.file)}:${nodeEnv.line + 1}` : `the ${name} section of ${ctx.rel(ctx.file)} (NODE_ENV ${wanted ?? 'unset'}${wanted === profile ? ', the profile\'s name' : ''})`,
      };
    }
    if (!first || Object.keys(profiles).length === 0) return [];
    const span = spanOf(ctx, first);
    const model: PoolModel = {
      id: `${ctx.file}:${span.line + 1}:${span.column + 1}`,
      library: 'sequelize',
      constructor: 'config.json',
      file: ctx.file,
      span,
      async: true,
      profiles,
      differsBetweenProfiles: differences(profiles),
      libraryVersion: version,
    };
    return [model];
  },
};
