// Go database/sql: `sql.Open(driver, dsn)` (and sqlx.Open/Connect) whose *sql.DB is configured
// by `db.SetMaxOpenConns`, `SetMaxIdleConns`, `SetConnMaxLifetime` and `SetConnMaxIdleTime` calls
// on the same variable in the file, or elsewhere in its package and in the module's packages that
// import it: on the result of the function that returns it, or on the parameter of a function it is
// passed to. Defaults from golang/go@59fbc067 src/database/sql/sql.go:
// MaxOpenConns 0 = unlimited, MaxIdleConns 2 (defaultMaxIdleConns), lifetimes 0 = forever.
import * as path from 'path';
import type { SyntaxNode, Tree } from '../syntax';
import { goModule, goModVersion } from '../versions';
import { LineIndex, nodeSpan, parseSync, registerSource } from '../syntax';
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

const SETTER = /^Set(MaxOpenConns|MaxIdleConns|ConnMaxLifetime|ConnMaxIdleTime)$/;
const setterName = (c: SyntaxNode) => c.childForFieldName('function')?.childForFieldName('field')?.text ?? '';
const receiverOf = (c: SyntaxNode) => c.childForFieldName('function')?.childForFieldName('operand')?.text.replace(/\s/g, '');

function enclosingFunction(n: SyntaxNode): SyntaxNode | undefined {
  for (let p = n.parent; p; p = p.parent) if (p.type === 'function_declaration' || p.type === 'method_declaration' || p.type === 'func_literal') return p;
  return undefined;
}

/** Setter calls on `name` inside `scope` (a function body), in source order. */
function settersOn(scope: SyntaxNode, name: string): SyntaxNode[] {
  return scope.descendantsOfType('call_expression').filter((c) => SETTER.test(setterName(c)) && receiverOf(c) === name);
}

/** The package's other files (same folder, not _test.go), parsed on first use; `free` deletes the trees. */
function packageRoots(ctx: DetectorContext): { roots(): SyntaxNode[]; importers(): { alias: string; roots: SyntaxNode[] }[]; free(): void } {
  let roots: SyntaxNode[] | undefined;
  let importers: { alias: string; roots: SyntaxNode[] }[] | undefined;
  const made: Tree[] = [];
  const setterText = /\bSet(MaxOpenConns|MaxIdleConns|ConnMaxLifetime|ConnMaxIdleTime)\b/;
  const parse = (file: string, text: string) => {
    const tree = parseSync('go', text);
    if (!tree) return undefined;
    registerSource(tree, file, new LineIndex(text));
    made.push(tree);
    return tree.rootNode;
  };
  const self = path.resolve(ctx.file);
  const goFiles = (dir: string) => (ctx.sources ?? []).filter((f) => f.endsWith('.go') && path.dirname(path.resolve(f)) === dir && path.resolve(f) !== self);
  return {
    roots() {
      if (roots) return roots;
      roots = [];
      for (const file of goFiles(path.dirname(self))) {
        const text = ctx.read(file);
        const root = text !== undefined && setterText.test(text) ? parse(file, text) : undefined;
        if (root) roots.push(root);
      }
      return roots;
    },
    /** Packages of the same module that import this one (by go.mod's module path), each with the local name they import it under. */
    importers() {
      if (importers) return importers;
      importers = [];
      const mod = goModule(ctx);
      if (!mod) return importers;
      const rel = path.relative(mod.dir, path.dirname(self)).split(path.sep).join('/');
      const importPath = rel ? `${mod.module}/${rel}` : mod.module;
      const quoted = `"${importPath}"`;
      const byDir = new Map<string, { alias: string; roots: SyntaxNode[] }>();
      for (const file of ctx.sources ?? []) {
        if (!file.endsWith('.go') || path.dirname(path.resolve(file)) === path.dirname(self)) continue;
        const text = ctx.read(file);
        if (text === undefined || !text.includes(quoted) || !setterText.test(text)) continue;
        const root = parse(file, text);
        if (!root) continue;
        const alias = goImports(root).get(importPath);
        if (!alias || alias === '_' || alias === '.') continue;
        const dir = path.dirname(path.resolve(file));
        const entry = byDir.get(dir) ?? { alias, roots: [] };
        entry.roots.push(root);
        byDir.set(dir, entry);
      }
      importers = [...byDir.values()];
      return importers;
    },
    free() {
      for (const t of made.splice(0)) t.delete();
      roots = undefined;
      importers = undefined;
    },
  };
}

/**
 * Setters on the pool elsewhere in its package: where the function that returns it is called
 * (`db, err := store.Open()` then `db.SetMaxOpenConns(20)`: the same package's `Open()`), and in a
 * function it is passed to (`configure(db)` with `func configure(d *sql.DB) { d.SetMaxOpenConns(20) }`),
 * one call deep. Each with a note of where it is.
 */
function packageSetters(ctx: DetectorContext, root: SyntaxNode, call: SyntaxNode, holder: string, pkg: ReturnType<typeof packageRoots>): { node: SyntaxNode; via: string }[] {
  const fn = enclosingFunction(call);
  if (!fn) return [];
  const out: { node: SyntaxNode; via: string }[] = [];
  const all = () => [root, ...pkg.roots()];
  const passedTo = (scope: SyntaxNode, name: string, via: string, roots: () => SyntaxNode[] = all) => {
    for (const c of scope.descendantsOfType('call_expression')) {
      const f = c.childForFieldName('function');
      if (f?.type !== 'identifier') continue;
      const args = c.childForFieldName('arguments')?.namedChildren ?? [];
      const i = args.findIndex((a) => a.text.replace(/\s/g, '') === name);
      if (i < 0) continue;
      for (const r of roots()) {
        for (const decl of r.namedChildren.filter((d) => d.type === 'function_declaration' && d.childForFieldName('name')?.text === f.text)) {
          const params = (decl.childForFieldName('parameters')?.namedChildren ?? []).filter((p) => p.type === 'parameter_declaration').flatMap((p) => p.childrenForFieldName('name').map((n) => n.text));
          const body = decl.childForFieldName('body');
          if (params[i] && body) for (const node of settersOn(body, params[i])) out.push({ node, via: `${via}, passed to ${f.text}()` });
        }
      }
    }
  };
  passedTo(fn, holder, 'in this function');
  const name = fn.type === 'func_literal' ? undefined : fn.childForFieldName('name')?.text;
  const returned = fn.descendantsOfType('return_statement').some((r) => r.namedChildren[0]?.namedChildren.some((e) => e.text.replace(/\s/g, '') === holder) || r.namedChildren[0]?.text.replace(/\s/g, '') === holder);
  if (name && returned && fn.type === 'function_declaration') {
    for (const r of all()) {
      for (const c of r.descendantsOfType('call_expression')) {
        if (c.childForFieldName('function')?.type !== 'identifier' || c.childForFieldName('function')!.text !== name) continue;
        const v = holderOf(c).holder;
        const scope = enclosingFunction(c);
        if (!v || !scope) continue;
        const via = `on the result of ${name}() in ${scope.childForFieldName('name')?.text ?? 'a function literal'}()`;
        for (const node of settersOn(scope, v)) out.push({ node, via });
        passedTo(scope, v, via);
      }
    }
    // another package of the module that imports this one: `db, err := store.Open()` then `db.SetMaxOpenConns(20)`
    if (/^[A-Z]/.test(name)) {
      for (const imp of pkg.importers()) {
        for (const r of imp.roots) {
          for (const c of r.descendantsOfType('call_expression')) {
            const f = c.childForFieldName('function');
            if (f?.type !== 'selector_expression' || f.childForFieldName('operand')?.text !== imp.alias || f.childForFieldName('field')?.text !== name) continue;
            const v = holderOf(c).holder;
            const scope = enclosingFunction(c);
            if (!v || !scope) continue;
            const via = `on the result of ${imp.alias}.${name}() in ${scope.childForFieldName('name')?.text ?? 'a function literal'}() (${ctx.rel(nodeSpan(ctx.file, ctx.lines, c).file)})`;
            for (const node of settersOn(scope, v)) out.push({ node, via });
            passedTo(scope, v, via, () => imp.roots);
          }
        }
      }
    }
  }
  return out;
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
    const setters = root.descendantsOfType('call_expression').filter((c) => SETTER.test(setterName(c)));
    const models: PoolModel[] = [];
    const pkg = packageRoots(ctx);
    try {
    for (const call of calls) {
      const span = nodeSpan(ctx.file, ctx.lines, call);
      const { holder, statement } = holderOf(call);
      const args = call.childForFieldName('arguments')?.namedChildren ?? [];
      const ctxArg = /Context$/.test(call.childForFieldName('function')!.text) ? 1 : 0;
      const isOpenDB = call.childForFieldName('function')!.text.endsWith('OpenDB');
      const mine = setters.filter((s) => holder && receiverOf(s) === holder);
      const elsewhere = holder ? packageSetters(ctx, root, call, holder, pkg) : [];
      // an evaluator per tree: a setter in another file reads that file's constants
      const evaluators = new Map<SyntaxNode, Map<string, GoEvaluator>>();
      const evalFor = (node: SyntaxNode, profile: string, own: GoEvaluator) => {
        let top = node;
        while (top.parent) top = top.parent;
        if (top.tree === root.tree) return own;
        let byProfile = evaluators.get(top);
        if (!byProfile) evaluators.set(top, (byProfile = new Map()));
        let e = byProfile.get(profile);
        if (!e) byProfile.set(profile, (e = new GoEvaluator(top, own.env)));
        return e;
      };
      const profiles: Record<string, ProfileModel> = {};
      for (const { profile, envFiles, ev } of perProfile) {
        const settings: Record<string, Setting> = {};
        for (const [name, d] of Object.entries(GO_SQL_DEFAULTS)) {
          // the last call before the pool is used wins; calls are in source order
          const last = mine.filter((s) => setterName(s) === `Set${name}`).pop();
          const other = last ? undefined : elsewhere.filter((s) => setterName(s.node) === `Set${name}`).pop();
          const found = last ?? other?.node;
          const arg = found?.childForFieldName('arguments')?.namedChildren[0];
          const s = arg ? setting(ctx, name, evalFor(arg, profile, ev).evaluate(arg), arg) : undefined;
          if (s && other) s.reason = s.reason ? `${s.reason}; ${other.via}` : other.via;
          settings[name] = s ? s : { value: d.value, source: 'default', default: { library: 'database/sql', version: goVersion.source === 'assumed' ? 'Go' : goVersion.version, cite: d.cite } };
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
    } finally {
      pkg.free();
    }
    return models;
  },
};
