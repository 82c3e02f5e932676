// pgx's pgxpool: `pgxpool.New(ctx, url)` / `pgxpool.Connect` and `pgxpool.NewWithConfig(ctx, cfg)`
// with `cfg, err := pgxpool.ParseConfig(url)` and `cfg.MaxConns = ...` assignments. URL parameters
// pool_max_conns, pool_min_conns, pool_max_conn_lifetime and pool_max_conn_idle_time count too
// (assignments after ParseConfig win). Defaults: jackc/pgx@728cefa8 pgxpool/pool.go:19-24,176,384-388.
import type { SyntaxNode } from '../syntax';
import { nodeSpan } from '../syntax';
import type { DatabaseInfo, InsertTarget, PoolModel, ProfileModel, Setting } from '../model';
import { GoEvaluator, parseGoDuration, type GoV } from '../go/evaluator';
import { toSetting } from '../python/settings';
import { maskUrl } from '../urls';
import { maskedUrlSetting } from '../js/pools';
import { goImports, holderOf, insertAfter } from './go-sql';
import { differences, evaluatorsFor, type Detector, type DetectorContext } from './types';
import { goModVersion } from '../versions';

const POOL_GO = 'jackc/pgx@728cefa8:pgxpool/pool.go';
export const PGXPOOL_DEFAULTS: Record<string, { value: number; cite: string; param: string; duration?: boolean }> = {
  MaxConns: { value: 4, cite: `${POOL_GO}:19,176,384-388 (the greater of 4 and runtime.NumCPU(); 4 shown)`, param: 'pool_max_conns' },
  MinConns: { value: 0, cite: `${POOL_GO}:20`, param: 'pool_min_conns' },
  MaxConnLifetime: { value: 3600, cite: `${POOL_GO}:22 (1 h)`, param: 'pool_max_conn_lifetime', duration: true },
  MaxConnIdleTime: { value: 1800, cite: `${POOL_GO}:23 (30 min)`, param: 'pool_max_conn_idle_time', duration: true },
  HealthCheckPeriod: { value: 60, cite: `${POOL_GO}:24 (1 min)`, param: 'pool_health_check_period', duration: true },
};

function fromUrl(url: string, name: string): string | undefined {
  // URL query (`?pool_max_conns=10`) or keyword/value DSN (`pool_max_conns=10`)
  const m = new RegExp(`(?:^|[?&\\s])${name}=([^&\\s]*)`).exec(url);
  return m ? decodeURIComponent(m[1]) : undefined;
}

export const pgxpoolDetector: Detector = {
  id: 'pgxpool',
  languages: ['go'],
  prefilter: /"github\.com\/jackc\/pgx\/v\d\/pgxpool"/,
  detect(ctx: DetectorContext): PoolModel[] {
    const root = ctx.tree.rootNode;
    const imports = goImports(root);
    const imported = [...imports].find(([p]) => /^github\.com\/jackc\/pgx\/v\d\/pgxpool$/.test(p));
    const alias = imported?.[1];
    if (!alias) return [];
    // the module the file imports pgxpool from (github.com/jackc/pgx/v5), as go.mod requires it
    const module = imported![0].replace(/\/pgxpool$/, '');
    const version = goModVersion(ctx, module) ?? { version: `pgx ${module.split('/').pop()} (assumed: not in go.mod)`, source: 'assumed' };
    const field = (c: SyntaxNode) => (c.childForFieldName('function')?.childForFieldName('operand')?.text === alias ? c.childForFieldName('function')?.childForFieldName('field')?.text : undefined);
    const all = root.descendantsOfType('call_expression');
    const creates = all.filter((c) => ['New', 'Connect', 'NewWithConfig', 'ConnectConfig'].includes(field(c) ?? ''));
    const perProfile = evaluatorsFor(ctx, (env) => new GoEvaluator(root, env));
    const models: PoolModel[] = [];
    for (const call of creates) {
      const span = nodeSpan(ctx.file, ctx.lines, call);
      const args = call.childForFieldName('arguments')?.namedChildren ?? [];
      const withConfig = /Config$/.test(field(call)!);
      // NewWithConfig(ctx, cfg): the ParseConfig call that made cfg, and the assignments to its fields
      const cfgName = withConfig ? args[1]?.text.replace(/\s/g, '') : undefined;
      const parse = cfgName ? all.find((c) => field(c) === 'ParseConfig' && holderOf(c).holder === cfgName) : undefined;
      const urlArg = withConfig ? parse?.childForFieldName('arguments')?.namedChildren[0] : args[1];
      const assigns = cfgName ? root.descendantsOfType('assignment_statement').filter((a) => /^(\w+)\.(\w+)$/.exec(a.childForFieldName('left')?.text.replace(/\s/g, '') ?? '')?.[1] === cfgName) : [];
      const profiles: Record<string, ProfileModel> = {};
      for (const { profile, envFiles, ev } of perProfile) {
        const urlV = urlArg ? ev.evaluate(urlArg) : undefined;
        const url = urlV?.val.t === 'str' ? urlV.val.v : undefined;
        const settings: Record<string, Setting> = {};
        for (const [name, d] of Object.entries(PGXPOOL_DEFAULTS)) {
          const a = assigns.filter((x) => x.childForFieldName('left')!.text.replace(/\s/g, '').endsWith(`.${name}`)).pop();
          const right = a?.childForFieldName('right')?.namedChildren[0];
          const p = url !== undefined ? fromUrl(url, d.param) : undefined;
          if (right) {
            const v: GoV = ev.evaluate(right);
            const s = toSetting(v, right, ctx);
            if (d.duration && typeof s.value === 'number' && !v.unit && s.value !== 0) {
              s.warning = `${right.text} is ${s.value} nanoseconds (time.Duration counts nanoseconds)`;
              s.value = s.value / 1e9;
            }
            settings[name] = s;
          } else if (p !== undefined) {
            const n = d.duration ? parseGoDuration(p) : Number(p);
            const s = maskedUrlSetting(toSetting(urlV!, urlArg, ctx));
            settings[name] = { ...s, value: n, text: `${d.param}=${p}`, reason: `${d.param} in the connection string`, crash: n === undefined || Number.isNaN(n) ? `${d.param}=${p} is not valid: ParseConfig fails` : undefined };
          } else if (urlArg && urlV?.val.t === 'unknown') {
            settings[name] = { value: undefined, source: 'unknown', reason: `may be set by ${d.param} in a connection string that is not known`, span };
          } else settings[name] = { value: d.value, source: 'default', default: { library: 'pgx', version: `${version.source === 'assumed' ? 'v5' : version.version}${name === 'MaxConns' ? ' (the greater of 4 and the CPU count; 4 shown)' : ''}`, cite: d.cite } };
        }
        const database: DatabaseInfo = { kind: 'postgresql', how: 'pgx speaks only PostgreSQL', url: url ? maskUrl(url) : undefined, source: url ? maskedUrlSetting(toSetting(urlV!, urlArg, ctx)) : undefined };
        let insertTarget: InsertTarget | undefined;
        if (parse && cfgName) {
          const st = holderOf(parse).statement;
          if (st) insertTarget = { kind: 'statement', span: nodeSpan(ctx.file, ctx.lines, insertAfter(st)), receiver: cfgName, assign: true };
        }
        profiles[profile] = { profile, envFiles: envFiles.map((f) => f.file), database, poolClass: { name: 'pgxpool.Pool', source: 'default', reason: 'pgx connection pool' }, settings, insertTarget };
      }
      models.push({
        id: `${ctx.file}:${span.line + 1}:${span.column + 1}`,
        library: 'pgxpool',
        constructor: `pgxpool.${field(call)}`,
        file: ctx.file,
        span,
        async: false,
        profiles,
        differsBetweenProfiles: differences(profiles),
        libraryVersion: version,
      });
    }
    return models;
  },
};
