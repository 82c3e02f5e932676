// Sequelize: `new Sequelize(url, options)`, `new Sequelize(database, user, password, options)` and
// `new Sequelize(options)` (from 'sequelize' or 'sequelize-typescript') become pool models with
// `pool: { max, min, idle, acquire, evict }`. Defaults: sequelize@v6.37.8 (cb7f99ad)
// src/dialects/abstract/connection-manager.js:29-40.
import type { SyntaxNode } from '../syntax';
import { npmVersion, versionLabel } from '../versions';
import { nodeSpan } from '../syntax';
import type { DatabaseInfo, DatabaseKind, InsertTarget, PoolModel, ProfileModel } from '../model';
import { JsEvaluator } from '../js/evaluator';
import type { V } from '../python/values';
import { toSetting, describeSource } from '../python/settings';
import { parseDbUrl, maskUrl } from '../urls';
import { calleeIs, entriesOf, importedNames, implicitNodeEnv, objectTarget, settingsFrom, undefinedMeansDefault, describeOpaque, maskedUrlSetting, type Default } from '../js/pools';
import { differences, evaluatorsFor, type Detector, type DetectorContext } from './types';

const SRC = 'sequelize/sequelize@v6.37.8:src/dialects/abstract/connection-manager.js:33-40';
export const SEQUELIZE_DEFAULTS: Record<string, Default> = {
  max: { value: 5, cite: SRC },
  min: { value: 0, cite: SRC },
  idle: { value: 10000, cite: SRC },
  acquire: { value: 60000, cite: SRC },
  evict: { value: 1000, cite: SRC },
};
export const SEQUELIZE_ERROR = 'SequelizeConnectionAcquireTimeoutError: Operation timeout';

/** A module that loads sequelize-cli's config/config.json (`require(__dirname + '/../config/config.json')[env]`). */
const READS_CLI_CONFIG = /\bconfig[\\/]config\.json['"`]|config\.json['"`]\s*\)\s*\[/;

const isSequelize = (spec: string) => spec === 'sequelize' || spec === 'sequelize-typescript';

function dialectKind(d: string): DatabaseKind {
  if (/^postgres(ql)?$/i.test(d)) return 'postgresql';
  if (/^(mysql|mariadb)$/i.test(d)) return 'mysql';
  if (/^sqlite$/i.test(d)) return 'sqlite';
  return 'unknown';
}

/** Which argument is the options object and which the URL, by Sequelize's own reading of its arguments. */
function argumentRoles(args: SyntaxNode[]): { url?: SyntaxNode; options?: SyntaxNode } {
  if (args.length === 1) return args[0].type === 'object' || args[0].type === 'identifier' && !/url|uri|dsn/i.test(args[0].text) ? { options: args[0] } : { url: args[0] };
  if (args.length === 2) return { url: args[0], options: args[1] };
  if (args.length >= 4) return { options: args[3] };
  return {};
}

function databaseOf(ctx: DetectorContext, urlV: V | undefined, opts: Map<string, V> | undefined): DatabaseInfo {
  const dialectV = opts?.get('dialect');
  const dialect = dialectV?.val.t === 'str' ? dialectV.val.v : undefined;
  const url = urlV?.val.t === 'str' ? urlV.val.v : undefined;
  const parsed = url ? parseDbUrl(url) : undefined;
  const source = urlV && url ? maskedUrlSetting(toSetting(urlV, undefined, ctx)) : undefined;
  if (dialect) {
    const kind = dialectKind(dialect);
    return { kind, how: `dialect '${dialect}' (${describeSource(toSetting(dialectV!, undefined, ctx), ctx.rel)})`, scheme: parsed?.scheme, url: url ? maskUrl(url) : undefined, source };
  }
  if (parsed) return { kind: parsed.kind, how: `URL scheme '${parsed.scheme}' (${describeSource(source!, ctx.rel)})`, scheme: parsed.scheme, url: maskUrl(url!), source };
  return { kind: 'unknown', how: urlV ? `the URL is not known${urlV.val.t === 'unknown' ? `: ${urlV.val.reason}` : ''}` : 'no dialect and no URL' };
}

export const sequelizeDetector: Detector = {
  id: 'sequelize',
  languages: ['typescript', 'tsx', 'javascript'],
  prefilter: /['"]sequelize(-typescript)?['"]/,
  detect(ctx) {
    const root = ctx.tree.rootNode;
    if (/\b(jest|vi)\.mock\(\s*['"]sequelize['"]/.test(ctx.text)) return [];
    const names = importedNames(root, isSequelize);
    // `const Sequelize = require('sequelize')` is the class itself (and `.Sequelize` on it)
    const news = root.descendantsOfType('new_expression').filter((n) => calleeIs(n.childForFieldName('constructor'), names, ['Sequelize'], true, isSequelize));
    const perProfile = evaluatorsFor(ctx, (env) => new JsEvaluator(root, env, implicitNodeEnv(env.name)));
    const models: PoolModel[] = [];
    const version = npmVersion(ctx, ['sequelize', 'sequelize-typescript']) ?? ctx.versions.get('sequelize') ?? ctx.versions.get('sequelize-typescript') ?? { version: '6.x (assumed: no pin found)', source: 'assumed' };
    for (const n of news) {
      const span = nodeSpan(ctx.file, ctx.lines, n);
      const argsNode = n.childForFieldName('arguments');
      const args = argsNode?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
      const roles = argumentRoles(args);
      const profiles: Record<string, ProfileModel> = {};
      let anyOpaque = false;
      for (const { profile, envFiles, ev } of perProfile) {
        const optsV = roles.options ? ev.evaluate(roles.options) : undefined;
        const urlV = roles.url ? ev.evaluate(roles.url) : undefined;
        const o = entriesOf(optsV, 'the options');
        const opaque = o.opaque ?? (roles.options && !o.entries && optsV ? describeOpaque(roles.options, optsV) : undefined);
        if (opaque) anyOpaque = true;
        const poolV = o.entries?.get('pool');
        const p = entriesOf(poolV, 'the pool options');
        const settings = settingsFrom(ctx, p.entries, opaque ?? p.opaque, SEQUELIZE_DEFAULTS, { library: 'sequelize', version: versionLabel(version, '6.x') }, span);
        undefinedMeansDefault(settings, SEQUELIZE_DEFAULTS);
        let insertTarget: InsertTarget | undefined = objectTarget(ctx, poolV) ?? objectTarget(ctx, optsV, 'pool');
        if (!insertTarget && !roles.options && argsNode && (args.length === 1 || args.length === 3)) insertTarget = { kind: 'args', span: nodeSpan(ctx.file, ctx.lines, argsNode), within: 'pool' };
        profiles[profile] = {
          profile,
          envFiles: envFiles.map((f) => f.file),
          database: databaseOf(ctx, urlV ?? o.entries?.get('url'), o.entries),
          poolClass: { name: 'sequelize-pool', source: 'default', reason: 'Sequelize pools connections with sequelize-pool' },
          settings,
          insertTarget,
        };
      }
      // sequelize-cli's models/index.js: `new Sequelize(..., config)` with config from config/config.json[env]; that file's own model holds the values
      if (anyOpaque && READS_CLI_CONFIG.test(ctx.text)) continue;
      models.push({
        id: `${ctx.file}:${span.line + 1}:${span.column + 1}`,
        library: 'sequelize',
        constructor: 'new Sequelize',
        file: ctx.file,
        span,
        async: true,
        profiles,
        differsBetweenProfiles: differences(profiles),
        libraryVersion: version,
      });
    }
    return models;
  },
};
