// mysql2: `mysql.createPool({...})` / `createPool(url)` from 'mysql2' or 'mysql2/promise' (and
// `.promise()` on it) become pool models. Defaults: sidorares/node-mysql2@928c3c51 (3.23.4)
// lib/pool_config.js:11-26 and lib/connection_config.js:115-117. The pool has no acquire timeout:
// with waitForConnections (default true) a request queues until a connection is released, and
// queueLimit 0 (default) lets the queue grow without bound (lib/base/pool.js:106-118).
import { npmVersion, versionLabel } from '../versions';
import { nodeSpan } from '../syntax';
import type { DatabaseInfo, InsertTarget, PoolModel, ProfileModel, Setting } from '../model';
import { JsEvaluator } from '../js/evaluator';
import { toSetting, describeSource } from '../python/settings';
import { parseDbUrl, maskUrl } from '../urls';
import { calleeIs, entriesOf, importedNames, implicitNodeEnv, objectTarget, settingsFrom, describeOpaque, maskedUrlSetting, type Default } from '../js/pools';
import { differences, evaluatorsFor, type Detector } from './types';

const SRC = 'sidorares/node-mysql2@928c3c51 (3.23.4)';
export const MYSQL2_DEFAULTS: Record<string, Default> = {
  connectionLimit: { value: 10, cite: `${SRC}:lib/pool_config.js:15-17` },
  waitForConnections: { value: true, cite: `${SRC}:lib/pool_config.js:11-14` },
  queueLimit: { value: 0, cite: `${SRC}:lib/pool_config.js:24-26 (0 = no limit)` },
  maxIdle: { value: null, cite: `${SRC}:lib/pool_config.js:18-20 (defaults to connectionLimit)` },
  idleTimeout: { value: 60000, cite: `${SRC}:lib/pool_config.js:21-23` },
  connectTimeout: { value: 10000, cite: `${SRC}:lib/connection_config.js:115-117` },
};

const isMysql2 = (spec: string) => spec === 'mysql2' || spec === 'mysql2/promise';

/** mysql2 reads numbers with `isNaN(x) ? default : Number(x)`: a string from process.env is converted, a non-numeric one means the default. */
function numberLike(settings: Record<string, Setting>): void {
  for (const name of ['connectionLimit', 'queueLimit', 'maxIdle', 'idleTimeout', 'connectTimeout']) {
    const s = settings[name];
    if (s.source === 'default' || s.source === 'unknown') continue;
    if (s.value === null) settings[name] = { ...s, value: MYSQL2_DEFAULTS[name].value, reason: 'undefined: the default applies' };
    else if (typeof s.value === 'number' && Number.isNaN(s.value)) settings[name] = { ...s, value: MYSQL2_DEFAULTS[name].value, warning: `NaN (Number() of a non-numeric string) is not a number, and mysql2 then silently uses its default ${MYSQL2_DEFAULTS[name].value ?? 'value'}` };
    else if (typeof s.value === 'string') {
      const n = Number(s.value);
      settings[name] = Number.isNaN(n) || s.value.trim() === ''
        ? { ...s, value: MYSQL2_DEFAULTS[name].value, warning: `'${s.value}' is not a number, and mysql2 then silently uses its default ${MYSQL2_DEFAULTS[name].value ?? 'value'}` }
        : { ...s, value: n };
    }
  }
  const w = settings.waitForConnections;
  // Boolean(x): the string 'false' is true
  if (typeof w.value === 'string') settings.waitForConnections = { ...w, value: w.value !== '', warning: w.value.trim().toLowerCase() === 'false' || w.value.trim() === '0' ? `waitForConnections is the string '${w.value}', and mysql2 reads Boolean('${w.value}'), which is true` : undefined };
  if (settings.maxIdle.value === null && settings.maxIdle.source === 'default') settings.maxIdle = { ...settings.maxIdle, value: settings.connectionLimit.value, reason: 'defaults to connectionLimit' };
}

export const mysql2Detector: Detector = {
  id: 'mysql2',
  languages: ['typescript', 'tsx', 'javascript'],
  prefilter: /['"]mysql2(\/promise)?['"]/,
  detect(ctx) {
    const root = ctx.tree.rootNode;
    if (/\b(jest|vi)\.mock\(\s*['"]mysql2/.test(ctx.text)) return [];
    const names = importedNames(root, isMysql2);
    const calls = root.descendantsOfType('call_expression').filter((c) => calleeIs(c.childForFieldName('function'), names, ['createPool'], false, isMysql2));
    const perProfile = evaluatorsFor(ctx, (env) => new JsEvaluator(root, env, implicitNodeEnv(env.name)));
    const models: PoolModel[] = [];
    const version = npmVersion(ctx, ['mysql2']) ?? ctx.versions.get('mysql2') ?? { version: '3.x (assumed: no pin found)', source: 'assumed' };
    for (const call of calls) {
      const span = nodeSpan(ctx.file, ctx.lines, call);
      const argsNode = call.childForFieldName('arguments');
      const arg = argsNode?.namedChildren[0];
      const profiles: Record<string, ProfileModel> = {};
      for (const { profile, envFiles, ev } of perProfile) {
        const v = arg ? ev.evaluate(arg) : undefined;
        const isUrl = v?.val.t === 'str';
        const o = isUrl ? {} : entriesOf(v, 'the pool options');
        const opaque = o.opaque ?? (arg && v && !isUrl && !o.entries ? describeOpaque(arg, v) : undefined);
        const settings = settingsFrom(ctx, o.entries, opaque, MYSQL2_DEFAULTS, { library: 'mysql2', version: versionLabel(version, '3.x') }, span);
        numberLike(settings);
        let database: DatabaseInfo = { kind: 'mysql', how: 'mysql2 speaks only MySQL and MariaDB' };
        const urlV = isUrl ? v : o.entries?.get('uri');
        if (urlV?.val.t === 'str') {
          const parsed = parseDbUrl(urlV.val.v);
          const source = maskedUrlSetting(toSetting(urlV, undefined, ctx));
          database = { kind: 'mysql', how: `mysql2 speaks only MySQL and MariaDB; URL ${describeSource(source, ctx.rel)}`, scheme: parsed?.scheme, url: maskUrl(urlV.val.v), source };
        }
        let insertTarget: InsertTarget | undefined = objectTarget(ctx, v);
        if (!insertTarget && argsNode && !arg) insertTarget = { kind: 'object', span: nodeSpan(ctx.file, ctx.lines, argsNode) };
        profiles[profile] = {
          profile,
          envFiles: envFiles.map((f) => f.file),
          database,
          poolClass: { name: 'mysql2.Pool', source: 'default', reason: 'mysql2 createPool' },
          settings,
          insertTarget,
        };
      }
      models.push({
        id: `${ctx.file}:${span.line + 1}:${span.column + 1}`,
        library: 'mysql2',
        constructor: 'createPool',
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
