// Rust sqlx: pool builder chains (`PgPoolOptions::new()...connect(url)`) and option-less pools
// (`PgPool::connect(url)`) become pool models.
// Defaults: sqlx@v0.8.6 sqlx-core/src/pool/options.rs:143-166 (see pool-facts §2).
import { rethrowDeadline } from '../deadline';
import type { SyntaxNode } from '../syntax';
import { nodeSpan, parseSync, registerSource, LineIndex, type Tree } from '../syntax';
import * as fs from 'fs';
import { ProfileEnv } from '../envfiles';
import * as path from 'path';
import { parse as parseToml } from 'smol-toml';
import type { DatabaseInfo, DatabaseKind, InsertTarget, PoolModel, ProfileModel, Setting, SqliteFacts } from '../model';
import { RustEvaluator, truncate, plainPath, type CrateSources } from '../rust/evaluator';
import type { RV, RVal, SqliteOptionFacts } from '../rust/values';
import { toSetting, type SettingKind } from '../rust/settings';
import { describeSource } from '../python/settings';
import { parseDbUrl, maskUrl } from '../urls';
import { differences, evaluatorsFor, manifestsFor, type Detector, type DetectorContext } from './types';

export const SQLX_ASSUMED_VERSION = '0.8';
const CITE = 'sqlx@v0.8.6:sqlx-core/src/pool/options.rs:143-166';

export const SQLX_DEFAULTS: Record<string, { value: number | boolean | null; kind: SettingKind }> = {
  max_connections: { value: 10, kind: 'count' },
  min_connections: { value: 0, kind: 'count' },
  acquire_timeout: { value: 30, kind: 'duration' },
  idle_timeout: { value: 600, kind: 'optduration' },
  max_lifetime: { value: 1800, kind: 'optduration' },
  test_before_acquire: { value: true, kind: 'bool' },
};
export const SQLX_SETTINGS = Object.keys(SQLX_DEFAULTS);

/** Builder methods of PoolOptions (0.8), and the old name of acquire_timeout (0.5 and earlier). */
const KNOWN_METHODS = new Set([
  ...SQLX_SETTINGS,
  'connect_timeout',
  'acquire_time_level',
  'acquire_time_threshold',
  'acquire_slow_level',
  'acquire_slow_threshold',
  'fair',
  '__fair',
  'after_connect',
  'before_acquire',
  'after_release',
  'parent',
  'clone',
  'to_owned',
]);
const ALIASES: Record<string, string> = { connect_timeout: 'acquire_timeout' };

const CONNECT = new Set(['connect', 'connect_lazy', 'connect_with', 'connect_lazy_with']);
const DB_TYPES: Record<string, DatabaseKind | 'any'> = { Postgres: 'postgresql', Sqlite: 'sqlite', MySql: 'mysql', Any: 'any' };
const PREFIX_KIND: Record<string, DatabaseKind | 'any'> = { Pg: 'postgresql', Sqlite: 'sqlite', MySql: 'mysql', Any: 'any' };
const POOL_NAMES: Record<string, string> = { postgresql: 'PgPool', sqlite: 'SqlitePool', mysql: 'MySqlPool', any: 'AnyPool' };

/** `PgPoolOptions`, `PoolOptions::<Postgres>`, `sqlx::postgres::PgPoolOptions`: the kind it fixes. */
function optionsType(pathText: string): { kind: DatabaseKind | 'any' | undefined; name: string } | undefined {
  const m = /(?:^|::)\s*(Pg|Sqlite|MySql|Any)?PoolOptions\s*(?:::\s*)?(?:<\s*(?:[\w:]*::)?(\w+)\s*>)?$/.exec(pathText.replace(/\s+/g, ''));
  if (!m) return undefined;
  const kind = m[1] ? PREFIX_KIND[m[1]] : m[2] ? DB_TYPES[m[2]] : undefined;
  return { kind, name: m[0].replace(/^::/, '') };
}

/** `PgPool`, `Pool::<Postgres>`, `sqlx::SqlitePool`, `Pool`. */
function poolType(pathText: string): { kind: DatabaseKind | 'any' | undefined; name: string; generic: boolean } | undefined {
  const m = /(?:^|::)(Pg|Sqlite|MySql|Any)?Pool(?:::)?(?:<(?:[\w:]*::)?(\w+)>)?$/.exec(pathText.replace(/\s+/g, ''));
  if (!m) return undefined;
  const kind = m[1] ? PREFIX_KIND[m[1]] : m[2] ? DB_TYPES[m[2]] : undefined;
  return { kind, name: m[0].replace(/^::/, ''), generic: !m[1] && !m[2] };
}

/** The kind a `let pool: PgPool = ...` or `-> Result<Pool<Postgres>>` annotation gives. */
function kindFromAnnotation(call: SyntaxNode): DatabaseKind | 'any' | undefined {
  for (let p = call.parent, i = 0; p && i < 8; p = p.parent, i++) {
    let t: string | undefined;
    if (p.type === 'let_declaration') t = p.childForFieldName('type')?.text;
    else if (p.type === 'function_item') t = p.childForFieldName('return_type')?.text;
    else if (!['try_expression', 'await_expression', 'call_expression', 'arguments', 'expression_statement', 'block', 'return_expression', 'field_expression'].includes(p.type)) break;
    if (t) {
      const m = /\b(Pg|Sqlite|MySql|Any)Pool\b|\bPool\s*<\s*(?:[\w:]*::)?(Postgres|Sqlite|MySql|Any)\s*>/.exec(t);
      if (m) return m[1] ? PREFIX_KIND[m[1]] : DB_TYPES[m[2]];
      if (p.type === 'let_declaration' || p.type === 'function_item') break;
    }
  }
  return undefined;
}

interface Step {
  name: string;
  arg?: SyntaxNode;
  node: SyntaxNode;
}

interface PoolCall {
  call: SyntaxNode;
  constructor: string;
  kind: DatabaseKind | 'any' | undefined;
  /** The type named in the code: PgPoolOptions, PoolOptions::<Postgres>, PgPool. */
  typeName: string;
  steps: Step[];
  /** The connect call's argument (URL or connect options). */
  target?: SyntaxNode;
  /** `PgPoolOptions::new()`, when there is an options chain. */
  chainStart?: SyntaxNode;
}

function firstArg(call: SyntaxNode): SyntaxNode | undefined {
  return call.childForFieldName('arguments')?.namedChildren.find((c) => c.type !== 'line_comment' && c.type !== 'block_comment' && c.type !== 'attribute_item');
}

function unwrapParens(n: SyntaxNode): SyntaxNode {
  let cur = n;
  for (let i = 0; i < 10 && cur.type === 'parenthesized_expression' && cur.namedChildren[0]; i++) cur = cur.namedChildren[0];
  return cur;
}

function calleeOf(call: SyntaxNode): SyntaxNode | undefined {
  const fn = call.childForFieldName('function');
  return fn?.type === 'generic_function' ? fn.childForFieldName('function') ?? undefined : fn ?? undefined;
}

/** The pool a call builds, when it is a sqlx connect call. */
function poolCallOf(call: SyntaxNode, ev: RustEvaluator, mentionsSqlx: boolean): PoolCall | undefined {
  const fn = calleeOf(call);
  if (!fn) return undefined;
  if (fn.type === 'scoped_identifier') {
    const name = fn.childForFieldName('name')?.text ?? '';
    const path = fn.childForFieldName('path');
    if (!CONNECT.has(name) || !path) return undefined;
    const pt = poolType(path.text);
    if (!pt || (pt.generic && !mentionsSqlx)) return undefined;
    return { call, constructor: `${pt.name}::${name}`, kind: pt.kind, typeName: pt.name, steps: [], target: firstArg(call) };
  }
  if (fn.type !== 'field_expression') return undefined;
  const ctor = fn.childForFieldName('field')?.text ?? '';
  if (!CONNECT.has(ctor)) return undefined;
  const steps: Step[] = [];
  let cur: SyntaxNode | null = fn.childForFieldName('value');
  for (let hops = 0, i = 0; cur && i < 200; i++) {
    cur = unwrapParens(cur);
    if (cur.type === 'call_expression') {
      const f = calleeOf(cur);
      if (f?.type === 'field_expression') {
        steps.unshift({ name: f.childForFieldName('field')?.text ?? '', arg: firstArg(cur), node: cur });
        cur = f.childForFieldName('value');
        continue;
      }
      if (f?.type === 'scoped_identifier') {
        const name = f.childForFieldName('name')?.text;
        const path = f.childForFieldName('path');
        const ot = path && (name === 'new' || name === 'default') ? optionsType(path.text) : undefined;
        if (!ot) return undefined;
        return { call, constructor: ctor, kind: ot.kind, typeName: ot.name, steps, target: firstArg(call), chainStart: cur };
      }
      return undefined;
    }
    if (cur.type === 'identifier' && hops < 4) {
      // `let opts = PgPoolOptions::new().max_connections(5); opts.connect(url)`
      hops++;
      const b = ev.findBinding(cur.text, cur);
      if (b?.kind !== 'let') return undefined;
      if (b.node.namedChildren.some((c) => c.type === 'mutable_specifier')) return undefined;
      cur = b.node.childForFieldName('value');
      continue;
    }
    return undefined;
  }
  return undefined;
}

function defaultSetting(name: string, reason?: string): Setting {
  const d = SQLX_DEFAULTS[name];
  const s: Setting = { value: d.value, source: 'default', default: { library: 'sqlx', version: SQLX_ASSUMED_VERSION, cite: CITE } };
  if (reason) s.reason = reason;
  return s;
}

/** The kind a sqlx URL names: `postgres://`, `mysql://`, and SQLite's `sqlite:x.db`, `sqlite::memory:`. */
function urlKind(url: string): { kind: DatabaseKind; scheme: string; memory: boolean } | undefined {
  const parsed = parseDbUrl(url);
  if (parsed && parsed.kind !== 'sqlite') return { kind: parsed.kind, scheme: parsed.scheme, memory: false };
  const m = /^\s*(sqlite):/i.exec(url);
  if (!m) return parsed ? { kind: parsed.kind, scheme: parsed.scheme, memory: parsed.memory } : undefined;
  const rest = url.trim().slice(m[0].length).replace(/^\/\//, '');
  const memory = rest === '' || /^:memory:/.test(rest) || /[?&]mode=memory\b/.test(rest);
  return { kind: 'sqlite', scheme: 'sqlite', memory };
}

function maskSetting(s: Setting): Setting {
  const env = s.env
    ? {
        ...s.env,
        raw: s.env.raw !== undefined ? maskUrl(s.env.raw) : undefined,
        fallback: s.env.fallback ? { ...s.env.fallback, value: typeof s.env.fallback.value === 'string' ? maskUrl(s.env.fallback.value) : s.env.fallback.value, text: maskUrl(s.env.fallback.text) } : undefined,
      }
    : undefined;
  return { ...s, value: typeof s.value === 'string' ? maskUrl(s.value) : s.value, env, text: s.text ? maskUrl(s.text) : undefined };
}

function databaseOf(pc: PoolCall, ev: RustEvaluator, ctx: DetectorContext): DatabaseInfo {
  const declared = pc.kind ?? kindFromAnnotation(pc.call);
  const typed = declared && declared !== 'any' ? declared : undefined;
  const typeWords = !typed ? undefined : pc.kind ? `the pool type ${pc.typeName}` : `the pool's type annotation (${pc.typeName} itself names no database)`;
  let url: RV | undefined;
  let urlNode = pc.target;
  let optsWords: string | undefined;
  if (pc.target) {
    const v = ev.eval(pc.target, 'str');
    if (v.val.t === 'connopts') {
      optsWords = v.val.typeName;
      url = v.val.url;
      if (!typed && v.val.kind !== 'unknown' && !url) {
        return { kind: v.val.kind, how: `the connect options type ${v.val.typeName}` };
      }
    } else url = v;
  } else urlNode = undefined;
  if (!url) {
    const why = !pc.target ? 'the call passes no URL' : optsWords ? `the ${optsWords} are built in code, not from a URL` : 'the URL is not known';
    return typed ? { kind: typed, how: `${typeWords} (${why})` } : { kind: 'unknown', how: `${pc.typeName}: the database comes from the URL, and ${why}` };
  }
  const source = toSetting(url, urlNode, ctx, 'str');
  const text = url.val.t === 'str' ? url.val.v : undefined;
  if (text === undefined) {
    const reason = url.val.t === 'unknown' ? url.val.reason : url.val.t === 'error' ? url.val.message : 'it is not a string';
    const how = `the URL ${truncate(urlNode?.text ?? '', 40)} is not known (${reason})`;
    const masked = maskSetting({ ...source, value: undefined });
    return typed ? { kind: typed, how: `${typeWords}; ${how}`, source: masked } : { kind: 'unknown', how, source: masked };
  }
  const masked = maskUrl(text);
  const maskedSource = maskSetting(source);
  const parsed = urlKind(text);
  const from = describeSource(source, ctx.rel);
  if (typed) {
    const mismatch = parsed && parsed.kind !== 'unknown' && parsed.kind !== typed ? `; the URL scheme '${parsed.scheme}' does not match, so connecting fails` : '';
    return { kind: typed, how: `${typeWords} (URL: ${from})${mismatch}`, scheme: parsed?.scheme, url: masked, source: maskedSource, memory: typed === 'sqlite' ? parsed?.memory : undefined };
  }
  if (!parsed) return { kind: 'unknown', how: `'${truncate(masked, 40)}' has no URL scheme`, url: masked, source: maskedSource };
  return { kind: parsed.kind, how: `URL scheme '${parsed.scheme}' (${from})`, scheme: parsed.scheme, url: masked, source: maskedSource, memory: parsed.kind === 'sqlite' ? parsed.memory : undefined };
}

function settingsOf(pc: PoolCall, ev: RustEvaluator, ctx: DetectorContext): Record<string, Setting> {
  const settings: Record<string, Setting> = {};
  const unknownSteps = pc.steps.filter((s) => !KNOWN_METHODS.has(s.name));
  const opaque = unknownSteps.length > 0 ? `\`.${unknownSteps[0].name}(..)\` (line ${unknownSteps[0].node.startPosition.row + 1}) is not a PoolOptions method this linter knows; it may set anything` : undefined;
  for (const name of SQLX_SETTINGS) {
    const written = [...pc.steps].reverse().find((s) => (ALIASES[s.name] ?? s.name) === name);
    try {
      if (written) {
        const kind = SQLX_DEFAULTS[name].kind;
        const v = written.arg ? ev.eval(written.arg, kind === 'count' ? 'u32' : kind === 'bool' ? 'bool' : undefined) : undefined;
        settings[name] = v ? toSetting(v, written.arg, ctx, kind) : { value: undefined, source: 'unknown', reason: `.${written.name}() has no argument`, span: nodeSpan(ctx.file, ctx.lines, written.node) };
        if (written.name !== name && !settings[name].reason) settings[name].reason = `.${written.name}() is the sqlx 0.5 name of .${name}()`;
      } else if (opaque) {
        settings[name] = { value: undefined, source: 'unknown', reason: opaque, span: nodeSpan(ctx.file, ctx.lines, unknownSteps[0].node) };
      } else settings[name] = defaultSetting(name);
    } catch (e) {
      rethrowDeadline(e);
      settings[name] = { value: undefined, source: 'unknown', reason: `not evaluated (${(e as Error).message})` };
    }
  }
  return settings;
}

// ---- SQLite: journal mode, busy timeout, and whether a web server uses the pool ----------------

const SQLITE_OPTS_CITE = 'sqlx@v0.8.6:sqlx-sqlite/src/options/mod.rs';
const WEB_CRATES = ['axum', 'actix-web', 'rocket', 'warp', 'poem', 'tide'];
const WEB_USE = /\b(axum|actix_web|rocket|warp|poem|tide)::|\buse\s+(axum|actix_web|rocket|warp|poem|tide)\b|\bextern\s+crate\s+(axum|actix_web|rocket|warp|poem|tide)\b/;

/** The Cargo.toml files that govern a source file: its crate's, up to the workspace root's. */
function cargoManifests(ctx: DetectorContext): { file: string; text: string }[] {
  return manifestsFor(ctx, 'Cargo.toml');
}

function cargoDependencies(text: string): string[] {
  try {
    const t = parseToml(text) as Record<string, unknown>;
    const tables = [t.dependencies, (t.workspace as Record<string, unknown> | undefined)?.dependencies];
    return tables.flatMap((d) => (d && typeof d === 'object' ? Object.keys(d as object) : []));
  } catch {
    // a malformed manifest says nothing; the rest of the run does not depend on it
    const m = text.match(/^\s*([\w-]+)\s*=|^\[(?:workspace\.)?dependencies\.([\w-]+)\]/gm) ?? [];
    return m.map((x) => x.replace(/^\s*\[(?:workspace\.)?dependencies\.|[\]=\s]/g, ''));
  }
}

/** A web framework in this file's `use` lines, else in its crate's (or the workspace's) Cargo.toml. */
function rustServer(ctx: DetectorContext): { value: boolean; how: string } {
  const m = WEB_USE.exec(ctx.text.replace(/\/\/[^\n]*/g, ''));
  if (m) return { value: true, how: `this file uses ${(m[1] ?? m[2] ?? m[3]).replace(/_/g, '-')}` };
  for (const man of cargoManifests(ctx)) {
    const hit = WEB_CRATES.find((c) => cargoDependencies(man.text).includes(c));
    if (hit) return { value: true, how: `${ctx.rel(man.file)} depends on ${hit}` };
  }
  return { value: false, how: 'no sign of a web server in this file or its Cargo.toml' };
}

/** `PRAGMA journal_mode=WAL` / `PRAGMA busy_timeout = N` in any string of the file (`sqlx::query(..)`, `after_connect`). */
function rustPragmas(root: SyntaxNode): Map<string, { value: string; node: SyntaxNode }> {
  const out = new Map<string, { value: string; node: SyntaxNode }>();
  for (const s of root.descendantsOfType(['string_literal', 'raw_string_literal'])) {
    const m = /PRAGMA\s+(?:main\.)?(journal_mode|busy_timeout)\s*=\s*['"]?(\w+)/i.exec(s.text);
    if (m) out.set(m[1].toLowerCase(), { value: m[2].toLowerCase(), node: s });
  }
  return out;
}

/** The top of each `SqliteConnectOptions::new()/from_str(..)?/..` builder chain in the file. */
function sqliteOptionChains(root: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (const call of root.descendantsOfType('call_expression')) {
    const fn = calleeOf(call);
    if (fn?.type !== 'scoped_identifier') continue;
    const name = fn.childForFieldName('name')?.text ?? '';
    if (!/(?:^|::)SqliteConnectOptions$/.test(plainPath(fn.childForFieldName('path')?.text ?? '')) || !['new', 'default', 'from_str', 'from_url'].includes(name)) continue;
    let top: SyntaxNode = call;
    for (let i = 0; i < 100; i++) {
      const p = top.parent;
      if (p?.type === 'try_expression' || p?.type === 'await_expression' || p?.type === 'parenthesized_expression') top = p;
      else if (p?.type === 'field_expression' && p.parent?.type === 'call_expression' && p.parent.childForFieldName('function')?.id === p.id) top = p.parent;
      else break;
    }
    out.push(top);
  }
  return out;
}

/** The connect options a pool connects with, when they are SqliteConnectOptions. */
function sqliteOptionsOf(pc: PoolCall, ev: RustEvaluator, root: SyntaxNode): { opts?: Extract<RVal, { t: 'connopts' }>; linked: boolean } {
  const asOpts = (v: RV | undefined) => {
    const val = v?.val.t === 'res' && v.val.ok ? v.val.inner?.val : v?.val;
    return val?.t === 'connopts' && val.kind === 'sqlite' ? val : undefined;
  };
  if (pc.target) {
    const direct = asOpts(ev.eval(pc.target, 'str'));
    if (direct) return { opts: direct, linked: true };
  }
  // the options are not followed to the pool (a URL unset in this profile, a struct field): the
  // file's one SqliteConnectOptions chain, when it has just one, without a fix (not known to be this pool's)
  const chains = sqliteOptionChains(root);
  if (chains.length === 1) {
    const v = asOpts(ev.eval(chains[0]));
    if (v) return { opts: v, linked: false };
  }
  return { linked: false };
}

/** The expression a `.journal_mode(..)` call may follow: the options value itself, not a Result. */
function optionsValueNode(ctor: SyntaxNode): SyntaxNode | undefined {
  const p = ctor.parent;
  const name = calleeOf(ctor)?.childForFieldName('name')?.text;
  if (name === 'new' || name === 'default') return ctor;
  if (p?.type === 'try_expression') return p;
  if (p?.type === 'field_expression' && /^(?:unwrap|expect)$/.test(p.childForFieldName('field')?.text ?? '') && p.parent?.type === 'call_expression') return p.parent;
  return undefined;
}

function sqliteFactsOf(pc: PoolCall, ev: RustEvaluator, ctx: DetectorContext, server: { value: boolean; how: string }, pragmas: ReturnType<typeof rustPragmas>): SqliteFacts {
  const root = ctx.tree.rootNode;
  const span = (n: SyntaxNode) => nodeSpan(ctx.file, ctx.lines, n);
  // `.journal_mode(..)` itself, not the chain before it
  const methodSpan = (call: SyntaxNode) => {
    const fe = calleeOf(call);
    const dot = fe?.type === 'field_expression' ? fe.children.find((c) => c.type === '.') : undefined;
    return dot ? ctx.lines.span(ctx.file, dot.startIndex, call.endIndex) : span(call);
  };
  const { opts, linked } = sqliteOptionsOf(pc, ev, root);
  const chain: SqliteOptionFacts = opts?.sqlite ?? {};
  const via = opts ? (linked ? `the pool's ${opts.typeName}` : `the ${opts.typeName} chain of this file`) : undefined;
  const jm = pragmas.get('journal_mode');
  let journalMode: Setting;
  if (chain.journalMode) {
    journalMode = chain.journalMode.mode
      ? { value: chain.journalMode.mode, source: 'literal', span: methodSpan(chain.journalMode.node), text: truncate(chain.journalMode.text, 80), reason: `set by ${via}` }
      : { value: undefined, source: 'unknown', span: methodSpan(chain.journalMode.node), text: truncate(chain.journalMode.text, 80), reason: `the journal mode in \`${truncate(chain.journalMode.text, 50)}\` is not known` };
  } else if (jm) {
    journalMode = { value: jm.value, source: 'literal', span: span(jm.node), text: jm.node.text };
  } else {
    journalMode = {
      value: 'delete',
      source: 'default',
      reason: 'sqlx sets no journal_mode unless asked, so the database keeps its own (DELETE, unless the file was already made WAL)',
      default: { library: 'SQLite', version: '3', cite: `SQLite default journal_mode=DELETE (pool-facts §6); sqlx sets none unless asked: ${SQLITE_OPTS_CITE}:177-181` },
    };
  }
  const bt = pragmas.get('busy_timeout');
  let busyTimeoutMs: Setting;
  if (chain.busyTimeout) {
    const s = toSetting(chain.busyTimeout.v, chain.busyTimeout.arg ?? chain.busyTimeout.node, ctx, 'duration');
    busyTimeoutMs = { ...s, value: typeof s.value === 'number' ? Math.round(s.value * 1000) : s.value, reason: s.reason ?? `set by ${via}` };
  } else if (bt) {
    busyTimeoutMs = { value: Number(bt.value), source: 'literal', span: span(bt.node), text: bt.node.text };
  } else {
    busyTimeoutMs = { value: 5000, source: 'default', default: { library: 'sqlx', version: SQLX_ASSUMED_VERSION, cite: `${SQLITE_OPTS_CITE}:201 (busy_timeout: Duration::from_secs(5))` } };
  }
  // a fix appends `.journal_mode(..)` to the pool's own options chain, right after the options are made
  const valueNode = linked && opts?.ctor ? optionsValueNode(opts.ctor) : undefined;
  return {
    journalMode,
    busyTimeoutMs,
    server,
    insertAfter: valueNode ? span(valueNode) : undefined,
    awaited: true,
  };
}

// ---- the crate's other files: `impl Config { fn from_env() }` and `Config { .. }` written elsewhere --

const MAX_CRATE_FILES = 200;
const MAX_CRATE_FILE_BYTES = 512 * 1024;
const SKIP_DIRS = new Set(['target', 'node_modules', '.git']);

/** The folder of the nearest Cargo.toml above the file (within the workspace root). */
function crateDir(ctx: DetectorContext): string | undefined {
  const root = path.resolve(ctx.root);
  let dir = path.dirname(path.resolve(ctx.file));
  if (path.relative(root, dir).startsWith('..')) return undefined;
  for (let i = 0; i < 100; i++) {
    if (ctx.read(path.join(dir, 'Cargo.toml')) !== undefined) return dir;
    const up = path.dirname(dir);
    if (dir === root || up === dir) return undefined;
    dir = up;
  }
  return undefined;
}

/**
 * The .rs files of the crate's src/ tree (not those of crates nested in it, nor in hidden
 * folders), at most MAX_CRATE_FILES. From the walk's list of sources when the scan gives one (so
 * .gitignore holds, and a file added to the crate is a change in the walked files, which the
 * analysis cache keys on); a nested crate is known by the Cargo.toml its analysis reads.
 */
function crateFiles(dir: string, ctx: DetectorContext): string[] {
  if (ctx.sources) {
    const srcDir = path.join(dir, 'src');
    const nested = new Map<string, boolean>();
    const inNestedCrate = (file: string): boolean => {
      for (let d = path.dirname(file); d === srcDir || d.startsWith(srcDir + path.sep); d = path.dirname(d)) {
        let has = nested.get(d);
        if (has === undefined) nested.set(d, (has = ctx.read(path.join(d, 'Cargo.toml')) !== undefined));
        if (has) return true;
      }
      return false;
    };
    const depthOf = (file: string) => path.relative(srcDir, file).split(path.sep).length;
    return ctx.sources
      .filter((f) => f.endsWith('.rs') && f.startsWith(srcDir + path.sep) && depthOf(f) <= 13 && !path.relative(srcDir, f).split(path.sep).slice(0, -1).some((p) => p.startsWith('.')) && !inNestedCrate(f))
      .slice(0, MAX_CRATE_FILES);
  }
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (out.length >= MAX_CRATE_FILES || depth > 12) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return; // an unreadable folder holds nothing we can use
    }
    if (depth > 0 && entries.some((e) => e.isFile() && e.name === 'Cargo.toml')) return; // another crate
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (out.length >= MAX_CRATE_FILES) return;
      if (e.isDirectory() && !SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) walk(path.join(d, e.name), depth + 1);
      else if (e.isFile() && e.name.endsWith('.rs')) out.push(path.join(d, e.name));
    }
  };
  walk(path.join(dir, 'src'), 1);
  return out;
}

/** Parses the crate's other files on first use; `free` deletes the trees it made. */
function crateSources(ctx: DetectorContext): CrateSources & { free(): void } {
  let roots: SyntaxNode[] | undefined;
  const made: Tree[] = [];
  return {
    roots() {
      if (roots) return roots;
      roots = [];
      const dir = crateDir(ctx);
      if (!dir) return roots;
      const self = path.resolve(ctx.file);
      for (const file of crateFiles(dir, ctx)) {
        if (path.resolve(file) === self) continue;
        const text = ctx.read(file);
        if (text === undefined || text.length > MAX_CRATE_FILE_BYTES) continue;
        const tree = parseSync('rust', text);
        if (!tree) continue;
        registerSource(tree, file, new LineIndex(text));
        made.push(tree);
        roots.push(tree.rootNode);
      }
      return roots;
    },
    free() {
      for (const t of made.splice(0)) t.delete();
      roots = undefined;
    },
  };
}

export const sqlxDetector: Detector = {
  id: 'sqlx',
  languages: ['rust'],
  prefilter: /PoolOptions|Pool\s*(?:::\s*<[^>]*>\s*)?::\s*connect|PgPool|SqlitePool|MySqlPool|AnyPool/,
  detect(ctx: DetectorContext): PoolModel[] {
    const root = ctx.tree.rootNode;
    const mentionsSqlx = /\bsqlx\b/.test(ctx.text);
    const finder = new RustEvaluator(root, new ProfileEnv('', []));
    const found: PoolCall[] = [];
    for (const call of root.descendantsOfType('call_expression')) {
      try {
        const pc = poolCallOf(call, finder, mentionsSqlx);
        if (pc) found.push(pc);
      } catch (e) {
        rethrowDeadline(e); // an unexpected shape is no pool
      }
    }
    if (found.length === 0) return [];
    const versionInfo = ctx.versions.get('sqlx') ?? { version: `${SQLX_ASSUMED_VERSION}.x (assumed: no pin found)`, source: 'assumed' };
    const crate = crateSources(ctx);
    try {
      return detectPools(ctx, found, versionInfo, crate);
    } finally {
      crate.free();
    }
  },
};

function detectPools(ctx: DetectorContext, found: PoolCall[], versionInfo: { version: string; source: string }, crate: CrateSources): PoolModel[] {
  const root = ctx.tree.rootNode;
  const perProfile = evaluatorsFor(ctx, (env) => new RustEvaluator(root, env, crate));
  const evaluators = new Map(perProfile.map((p) => [p.profile, p.ev]));
  const models: PoolModel[] = [];
  let server: { value: boolean; how: string } | undefined;
  let pragmas: ReturnType<typeof rustPragmas> | undefined;
  for (const pc of found) {
    const span = nodeSpan(ctx.file, ctx.lines, pc.call);
    const profiles: Record<string, ProfileModel> = {};
    for (const { profile, envFiles, ev } of perProfile) {
      let database: DatabaseInfo;
      try {
        database = databaseOf(pc, ev, ctx);
      } catch (e) {
        rethrowDeadline(e);
        database = { kind: pc.kind && pc.kind !== 'any' ? pc.kind : 'unknown', how: `not evaluated (${(e as Error).message})` };
      }
      const settings = settingsOf(pc, ev, ctx);
      const declared = pc.kind ?? kindFromAnnotation(pc.call);
      const poolName = declared ? POOL_NAMES[declared] : 'Pool';
      const insertTarget: InsertTarget | undefined = pc.chainStart ? { kind: 'chain', span: nodeSpan(ctx.file, ctx.lines, pc.chainStart) } : undefined;
      profiles[profile] = {
        profile,
        envFiles: envFiles.map((f) => f.file),
        database,
        poolClass: { name: poolName, source: 'default', reason: 'sqlx Pool' },
        settings,
        insertTarget,
      };
    }
    let sqlite: SqliteFacts | undefined;
    const firstSqlite = Object.values(profiles).find((p) => p.database.kind === 'sqlite');
    if (firstSqlite) {
      server ??= rustServer(ctx);
      pragmas ??= rustPragmas(root);
      try {
        sqlite = sqliteFactsOf(pc, evaluators.get(firstSqlite.profile)!, ctx, server, pragmas);
      } catch (e) {
        rethrowDeadline(e);
        sqlite = undefined; // an unexpected shape: no SQLite facts, the pool itself stays
      }
    }
    models.push({
      id: `${ctx.file}:${span.line + 1}:${span.column + 1}`,
      library: 'sqlx',
      constructor: pc.constructor,
      file: ctx.file,
      span,
      async: true,
      profiles,
      differsBetweenProfiles: differences(profiles),
      libraryVersion: versionInfo,
      ...(sqlite ? { sqlite } : {}),
    });
  }
  return models;
}
