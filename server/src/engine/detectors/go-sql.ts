// Go database/sql: `sql.Open(driver, dsn)` (and sqlx.Open/Connect) whose *sql.DB is configured
// by `db.SetMaxOpenConns`, `SetMaxIdleConns`, `SetConnMaxLifetime` and `SetConnMaxIdleTime` calls
// on the same variable in the file. Defaults from golang/go@59fbc067 src/database/sql/sql.go:
// MaxOpenConns 0 = unlimited, MaxIdleConns 2 (defaultMaxIdleConns), lifetimes 0 = forever.
import type { SyntaxNode } from '../syntax';
import { goModVersion } from '../versions';
import { nodeSpan } from '../syntax';
import type { DatabaseInfo, DatabaseKind, InsertTarget, PoolModel, ProfileModel, Setting } from '../model';
import { GoEvaluator, type GoV } from '../go/evaluator';
import { toSetting, describeSource } from '../python/settings';
import { maskUrl, parseDbUrl } from '../urls';
import { maskedUrlSetting } from '../js/pools';
import { differences, evaluatorsFor, type Detector, type DetectorContext } from './types';

const SQL_GO = 'golang/go@59fbc067:src/database/sql/sql.go';
export const GO_SQL_DEFAULTS: Record<string, { value: number; cite: string }> = {
  MaxOpenConns: { value: 0, cite: `${SQL_GO} (SetMaxOpenConns: "The default is 0 (unlimited)")` },
  MaxIdleConns: { value: 2, cite: `${SQL_GO} (defaultMaxIdleConns = 2)` },
  ConnMaxLifetime: { value: 0, cite: `${SQL_GO} (SetConnMaxLifetime: d <= 0 means connections are never closed for their age)` },
  ConnMaxIdleTime: { value: 0, cite: `${SQL_GO} (SetConnMaxIdleTime: d <= 0 means connections are never closed for idling)` },
};
const DURATIONS = new Set(['ConnMaxLifetime', 'ConnMaxIdleTime']);

/** Local names of imported packages, by import path (`sql` for "database/sql", or its alias). */
export function goImports(root: SyntaxNode): Map<string, string> {
  const out = new Map<string, string>();
  for (const spec of root.descendantsOfType('import_spec')) {
    const p = spec.childForFieldName('path')?.text.replace(/^["`]|["`]$/g, '');
    if (!p) continue;
    const name = spec.childForFieldName('name')?.text;
    out.set(p, name ?? p.split('/').filter((x) => !/^v\d+$/.test(x)).pop()!);
  }
  return out;
}

export function goDriverKind(driver: string): DatabaseKind {
  if (/^(postgres|postgresql|pgx(\/v\d)?|cloudsqlpostgres|nrpostgres|pq)$/i.test(driver)) return 'postgresql';
  if (/^(mysql|nrmysql|cloudsqlmysql)$/i.test(driver)) return 'mysql';
  if (/^(sqlite3?|libsql)$/i.test(driver)) return 'sqlite';
  return 'unknown';
}

/** `x := call` / `x, err = call` / `var x = call`: the expression the call's result is stored in. */
export function holderOf(call: SyntaxNode): { holder?: string; statement?: SyntaxNode } {
  let p = call.parent;
  if (p?.type === 'expression_list') p = p.parent;
  if (p && (p.type === 'short_var_declaration' || p.type === 'assignment_statement')) {
    const first = p.childForFieldName('left')?.namedChildren[0];
    return { holder: first && first.type !== 'blank_identifier' ? first.text.replace(/\s/g, '') : undefined, statement: p };
  }
  if (p?.type === 'var_spec') return { holder: p.childrenForFieldName('name')[0]?.text, statement: p.parent ?? p };
  return {};
}

/** The statement a new setter goes after: the `if err != nil { ... }` that follows the assignment, else the assignment. */
export function insertAfter(statement: SyntaxNode): SyntaxNode {
  const next = statement.nextNamedSibling;
  if (next?.type === 'if_statement' && /\berr\s*!=\s*nil\b/.test(next.childForFieldName('condition')?.text ?? '')) return next;
  return statement;
}

function setting(ctx: DetectorContext, name: string, v: GoV, arg: SyntaxNode): Setting {
  const s = toSetting(v, arg, ctx);
  if (DURATIONS.has(name) && typeof s.value === 'number' && !v.unit && s.value !== 0) {
    // time.Duration counts nanoseconds: SetConnMaxLifetime(300) is 300 ns
    s.warning = `${arg.text} is ${s.value} nanoseconds (time.Duration counts nanoseconds; write ${s.value} * time.Second for seconds)`;
    s.value = s.value / 1e9;
  }
  if (v.note) s.reason = v.note;
  return s;
}

export const goSqlDetector: Detector = {
  id: 'go-database-sql',
  languages: ['go'],
  prefilter: /"database\/sql"|"github\.com\/jmoiron\/sqlx"/,
  detect(ctx) {
    const root = ctx.tree.rootNode;
    const imports = goImports(root);
    // database/sql is the toolchain's: the go.mod's go (or toolchain) line says which
    const goVersion = goModVersion(ctx) ?? { version: 'Go standard library (version assumed: no go.mod)', source: 'assumed' };
    const opens: Record<string, string[]> = {};
    if (imports.has('database/sql')) opens[imports.get('database/sql')!] = ['Open', 'OpenDB'];
    if (imports.has('github.com/jmoiron/sqlx')) opens[imports.get('github.com/jmoiron/sqlx')!] = ['Open', 'Connect', 'MustConnect', 'MustOpen', 'ConnectContext'];
    const calls = root.descendantsOfType('call_expression').filter((c) => {
      const f = c.childForFieldName('function');
      if (f?.type !== 'selector_expression') return false;
      return opens[f.childForFieldName('operand')?.text ?? '']?.includes(f.childForFieldName('field')?.text ?? '') ?? false;
    });
    if (calls.length === 0) return [];
    const perProfile = evaluatorsFor(ctx, (env) => new GoEvaluator(root, env));
    const setters = root.descendantsOfType('call_expression').filter((c) => /^Set(MaxOpenConns|MaxIdleConns|ConnMaxLifetime|ConnMaxIdleTime)$/.test(c.childForFieldName('function')?.childForFieldName('field')?.text ?? ''));
    const models: PoolModel[] = [];
    for (const call of calls) {
      const span = nodeSpan(ctx.file, ctx.lines, call);
      const { holder, statement } = holderOf(call);
      const args = call.childForFieldName('arguments')?.namedChildren ?? [];
      const ctxArg = /Context$/.test(call.childForFieldName('function')!.text) ? 1 : 0;
      const isOpenDB = call.childForFieldName('function')!.text.endsWith('OpenDB');
      const mine = setters.filter((s) => holder && s.childForFieldName('function')?.childForFieldName('operand')?.text.replace(/\s/g, '') === holder);
      const profiles: Record<string, ProfileModel> = {};
      for (const { profile, envFiles, ev } of perProfile) {
        const settings: Record<string, Setting> = {};
        for (const [name, d] of Object.entries(GO_SQL_DEFAULTS)) {
          // the last call before the pool is used wins; calls are in source order
          const last = mine.filter((s) => s.childForFieldName('function')?.childForFieldName('field')?.text === `Set${name}`).pop();
          const arg = last?.childForFieldName('arguments')?.namedChildren[0];
          settings[name] = arg ? setting(ctx, name, ev.evaluate(arg), arg) : { value: d.value, source: 'default', default: { library: 'database/sql', version: goVersion.source === 'assumed' ? 'Go' : goVersion.version, cite: d.cite } };
        }
        let database: DatabaseInfo = { kind: 'unknown', how: isOpenDB ? 'sql.OpenDB(connector): the driver is not named here' : 'the driver name is not known' };
        const driverV = !isOpenDB && args[ctxArg] ? ev.evaluate(args[ctxArg]) : undefined;
        const dsnV = !isOpenDB && args[ctxArg + 1] ? ev.evaluate(args[ctxArg + 1]) : undefined;
        const dsn = dsnV?.val.t === 'str' && dsnV.val.v ? dsnV.val.v : undefined;
        const parsed = dsn ? parseDbUrl(dsn) : undefined;
        const source = dsnV && dsn ? maskedUrlSetting(toSetting(dsnV, args[ctxArg + 1], ctx)) : undefined;
        if (driverV?.val.t === 'str') {
          const kind = goDriverKind(driverV.val.v);
          database = { kind: kind !== 'unknown' ? kind : parsed?.kind ?? 'unknown', how: `driver "${driverV.val.v}" (${describeSource(toSetting(driverV, args[ctxArg], ctx), ctx.rel)})`, scheme: parsed?.scheme, url: dsn ? maskUrl(dsn) : undefined, source };
        } else if (parsed) database = { kind: parsed.kind, how: `DSN scheme '${parsed.scheme}'`, scheme: parsed.scheme, url: maskUrl(dsn!), source };
        let insertTarget: InsertTarget | undefined;
        if (holder && statement) insertTarget = { kind: 'statement', span: nodeSpan(ctx.file, ctx.lines, insertAfter(statement)), receiver: holder };
        profiles[profile] = {
          profile,
          envFiles: envFiles.map((f) => f.file),
          database,
          poolClass: { name: 'sql.DB', source: 'default', reason: 'database/sql connection pool' },
          settings,
          insertTarget,
        };
      }
      models.push({
        id: `${ctx.file}:${span.line + 1}:${span.column + 1}`,
        library: 'go-database-sql',
        constructor: call.childForFieldName('function')!.text,
        file: ctx.file,
        span,
        async: false,
        profiles,
        differsBetweenProfiles: differences(profiles),
        libraryVersion: goVersion,
      });
    }
    return models;
  },
};
