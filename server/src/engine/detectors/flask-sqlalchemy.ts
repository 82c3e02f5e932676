// Flask-SQLAlchemy: the engine is built from app config, so each place that writes it is a pool
// model: a config class (SQLALCHEMY_DATABASE_URI / SQLALCHEMY_ENGINE_OPTIONS / the legacy
// SQLALCHEMY_POOL_* keys, inherited within the file; ProductionConfig serves the production profile,
// TestingConfig none, an unnamed base class with no subclasses every profile) and app.config[...] /
// app.config.update(...) / from_mapping(...) writes (with a from_object() of a config class before
// them). The workspace's SQLAlchemy(engine_options=...) and apply_pool_defaults overrides merge in.
//
// Flask-SQLAlchemy 3.x (pallets-eco/flask-sqlalchemy@3.1.1 src/flask_sqlalchemy/extension.py):
// init_app copies engine_options and updates it with SQLALCHEMY_ENGINE_OPTIONS (config wins), then
// _apply_driver_defaults: in-memory SQLite gets poolclass=StaticPool, MySQL gets pool_recycle 7200 by
// setdefault; the engine is made with sa.engine_from_config, which coerces pool_size, max_overflow,
// pool_timeout and pool_recycle with int(). The SQLALCHEMY_POOL_* keys were deprecated in 2.4 and
// removed in 3.0 (CHANGES.rst), and apply_pool_defaults is no longer called.
// Flask-SQLAlchemy 2.x (2.5.1 flask_sqlalchemy/__init__.py:902-961, 607-618): apply_pool_defaults
// reads the legacy keys, apply_driver_hacks sets MySQL pool_size 10 / pool_recycle 7200 and NullPool
// for file SQLite without pool_size, then SQLALCHEMY_ENGINE_OPTIONS and engine_options (which wins).
// SQLALCHEMY_BINDS: one engine, so one pool model, per bind key written as a literal dict. In 3.x
// (extension.py@3.1.1:338-345) a bind gets a copy of SQLAlchemy(engine_options=...) updated with its
// own value (a URL, or a dict of create_engine arguments with "url"): SQLALCHEMY_ENGINE_OPTIONS is the
// default engine's alone. In 2.x binds are URLs and every engine gets the same options.
import * as path from 'path';
import type { SyntaxNode } from '../syntax';
import { nodeSpan } from '../syntax';
import type { InsertTarget, PoolModel, ProfileModel, Setting } from '../model';
import { ProfileEnv } from '../envfiles';
import { PyEvaluator } from '../python/evaluator';
import { toSetting } from '../python/settings';
import type { V } from '../python/values';
import { compareVersions } from '../versions';
import { databaseOf, defaultPoolClass, POOL_CLASS_ACCEPTS, SQLALCHEMY_ASSUMED_VERSION, SQLALCHEMY_DEFAULTS, SQLALCHEMY_SETTINGS, sqlalchemyDefaultsLabel } from './sqlalchemy';
import { activeProfiles, differences, type Detector, type DetectorContext } from './types';

export const FLASK_SQLALCHEMY_ASSUMED_VERSION = '3.1';
const SRC3 = 'pallets-eco/flask-sqlalchemy@3.1.1:src/flask_sqlalchemy/extension.py';
const SRC2 = 'pallets-eco/flask-sqlalchemy@2.5.1:flask_sqlalchemy/__init__.py';
const KEY = /\bSQLALCHEMY_(DATABASE_URI|ENGINE_OPTIONS|BINDS|POOL_SIZE|MAX_OVERFLOW|POOL_RECYCLE|POOL_TIMEOUT)\b/;
const LEGACY: Record<string, string> = { SQLALCHEMY_POOL_SIZE: 'pool_size', SQLALCHEMY_MAX_OVERFLOW: 'max_overflow', SQLALCHEMY_POOL_RECYCLE: 'pool_recycle', SQLALCHEMY_POOL_TIMEOUT: 'pool_timeout' };
/** sa.engine_from_config coerces these with int() (sqlalchemy engine/default.py engine_config_types). */
const COERCED = new Set(['pool_size', 'max_overflow', 'pool_timeout', 'pool_recycle']);

const NO_URI = 'SQLALCHEMY_DATABASE_URI is not set in this config';
const PROD = /prod|live/i;
const DEV = /dev|local/i;
const TEST = /test/i;
const STAGE = /stag/i;

interface Extension {
  /** `SQLAlchemy(engine_options={...})` calls of flask_sqlalchemy in the workspace. */
  ctors: { file: string; root: SyntaxNode; call: SyntaxNode }[];
  /** `def apply_pool_defaults(self, app, options)` overrides in SQLAlchemy subclasses. */
  overrides: { file: string; root: SyntaxNode; cls: string; method: SyntaxNode }[];
}

/** The workspace's flask_sqlalchemy.SQLAlchemy constructions and apply_pool_defaults overrides. */
function extensionOf(ctx: DetectorContext): Extension {
  const out: Extension = { ctors: [], overrides: [] };
  for (const file of [ctx.file, ...(ctx.sources ?? []).filter((f) => f !== ctx.file && f.endsWith('.py'))]) {
    const text = file === ctx.file ? ctx.text : ctx.read(file);
    if (!text || !/flask_sqlalchemy/.test(text) || !/engine_options|apply_pool_defaults/.test(text)) continue;
    const root = file === ctx.file ? ctx.tree.rootNode : ctx.modules?.parsed?.(file)?.rootNode;
    if (!root) continue;
    const names = new Set<string>(['SQLAlchemy']);
    for (const c of root.descendantsOfType('class_definition')) {
      const bases = c.childForFieldName('superclasses')?.text ?? '';
      if (!/SQLAlchemy/.test(bases)) continue;
      names.add(c.childForFieldName('name')?.text ?? '');
      for (const stmt of c.childForFieldName('body')?.namedChildren ?? []) {
        const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
        if (def?.type === 'function_definition' && def.childForFieldName('name')?.text === 'apply_pool_defaults') out.overrides.push({ file, root, cls: c.childForFieldName('name')?.text ?? '?', method: def });
      }
    }
    for (const call of root.descendantsOfType('call')) {
      const fn = call.childForFieldName('function')?.text ?? '';
      if (!names.has(fn.split('.').pop() ?? '')) continue;
      if ((call.childForFieldName('arguments')?.namedChildren ?? []).some((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'engine_options')) out.ctors.push({ file, root, call });
    }
  }
  return out;
}

interface Entry {
  v: V;
  node?: SyntaxNode;
  /** Where the value entered the engine options, for settings that are not written as a literal. */
  via: string;
}

function dictEntries(v: V | undefined): Map<string, V> | undefined {
  return v?.val.t === 'dict' ? v.val.entries : undefined;
}

/** The SQLALCHEMY_* config a pool is built from, per profile. */
type ConfigView = Map<string, V>;

/** app.config writes in this file: `X.config["K"] = v`, `X.config.update(...)`, `from_mapping(...)`, `from_object(...)`. */
function configWrites(root: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (const n of root.descendantsOfType(['assignment', 'call'])) {
    if (n.type === 'assignment') {
      const left = n.childForFieldName('left');
      if (left?.type === 'subscript' && /\.config$|^config$/.test(left.childForFieldName('value')?.text ?? '') && KEY.test(left.text)) out.push(n);
    } else {
      const fn = n.childForFieldName('function');
      const m = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
      const obj = fn?.type === 'attribute' ? fn.childForFieldName('object')?.text ?? '' : '';
      if (!/\.config$|^config$/.test(obj)) continue;
      if ((m === 'update' || m === 'from_mapping') && KEY.test(n.text)) out.push(n);
      else if (m === 'from_object') out.push(n);
    }
  }
  // a from_object() alone is a config class's pool already; only writes of keys make this one
  return out.some((n) => !/from_object/.test(n.text)) ? out.sort((a, b) => a.startIndex - b.startIndex) : [];
}

function readWrites(writes: SyntaxNode[], ev: PyEvaluator, ctx: DetectorContext, env: ProfileEnv): ConfigView {
  const view: ConfigView = new Map();
  const put = (k: string, v: V) => {
    if (KEY.test(k)) view.set(k, v);
  };
  for (const n of writes) {
    if (n.type === 'assignment') {
      const left = n.childForFieldName('left')!;
      const keyNode = left.childForFieldName('subscript') ?? left.namedChildren[1];
      const value = n.childForFieldName('right');
      if (!keyNode || !value) continue;
      const frame = ev.frameAt(value);
      const k = ev.evalIn(keyNode, frame);
      if (k.val.t === 'str') put(k.val.v, ev.evalIn(value, frame));
      continue;
    }
    const m = n.childForFieldName('function')!.childForFieldName('attribute')!.text;
    const args = (n.childForFieldName('arguments')?.namedChildren ?? []).filter((a) => a.type !== 'comment');
    for (const a of args) {
      const frame = ev.frameAt(a);
      if (a.type === 'keyword_argument') {
        const name = a.childForFieldName('name')?.text;
        const val = a.childForFieldName('value');
        if (name && val) put(name, ev.evalIn(val, frame));
        continue;
      }
      let v = ev.evalIn(a.type === 'dictionary_splat' ? a.namedChildren[0] : a, frame);
      // from_object("config.ProductionConfig"): the class of a workspace module
      if (m === 'from_object' && v.val.t === 'str' && v.val.v.includes('.')) {
        const dot = v.val.v.lastIndexOf('.');
        v = ctx.modules?.value(ctx.file, v.val.v.slice(0, dot), v.val.v.slice(dot + 1), env) ?? v;
      }
      for (const [k, e] of dictEntries(v) ?? []) put(k, e);
    }
  }
  return view;
}

function flaskDefault(value: number | boolean | null | string, cite: string, version: string, reason?: string): Setting {
  return { value, source: 'default', default: { library: 'Flask-SQLAlchemy', version, cite }, ...(reason ? { reason } : {}) };
}

function buildProfile(ctx: DetectorContext, profile: string, envFiles: string[], view: ConfigView, ext: Extension, env: ProfileEnv, anchor: SyntaxNode, version: { v3: boolean; label: string }, saVersion: string, boundBy?: string, reportOverrides = true): ProfileModel {
  const opts = new Map<string, Entry>();
  const settings: Record<string, Setting> = {};
  let insertTarget: InsertTarget | undefined;
  const dictTarget = (v: V | undefined) => {
    const node = v?.val.t === 'dict' ? [...v.val.nodes].reverse().find((n) => n.type === 'dictionary') : undefined;
    return node ? ({ kind: 'dict', span: nodeSpan(ctx.file, ctx.lines, node) } as InsertTarget) : undefined;
  };
  // engine_options of SQLAlchemy(...), evaluated in their own module under this profile
  const ctorOpts = new Map<string, Entry>();
  for (const c of ext.ctors) {
    const ev = new PyEvaluator(c.root, env, { file: c.file, loader: ctx.modules });
    const arg = (c.call.childForFieldName('arguments')?.namedChildren ?? []).find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'engine_options')!.childForFieldName('value')!;
    const v = ev.evalIn(arg, ev.frameAt(arg));
    for (const [k, e] of dictEntries(v) ?? []) ctorOpts.set(k, { v: e, via: `SQLAlchemy(engine_options=...) at ${ctx.rel(c.file)}:${c.call.startPosition.row + 1}` });
    insertTarget ??= undefined;
    if (!insertTarget) insertTarget = dictTarget(v);
  }
  const configOpts = new Map<string, Entry>();
  const eo = view.get('SQLALCHEMY_ENGINE_OPTIONS');
  for (const [k, e] of dictEntries(eo) ?? []) configOpts.set(k, { v: e, via: 'SQLALCHEMY_ENGINE_OPTIONS' });
  insertTarget = dictTarget(eo) ?? insertTarget;
  const overrideOpts = new Map<string, Entry>();
  for (const o of ext.overrides) {
    const ev = new PyEvaluator(o.root, env, { file: o.file, loader: ctx.modules });
    for (const a of o.method.descendantsOfType('assignment')) {
      const left = a.childForFieldName('left');
      const right = a.childForFieldName('right');
      if (left?.type !== 'subscript' || left.childForFieldName('value')?.text !== 'options' || !right) continue;
      const k = ev.evalIn(left.childForFieldName('subscript') ?? left.namedChildren[1], ev.frameAt(right));
      if (k.val.t === 'str') overrideOpts.set(k.val.v, { v: ev.evalIn(right, ev.frameAt(right)), via: `${o.cls}.apply_pool_defaults at ${ctx.rel(o.file)}:${o.method.startPosition.row + 1}` });
    }
    const name = o.method.childForFieldName('name')!;
    if (version.v3 && reportOverrides) {
      settings.apply_pool_defaults = {
        value: `${o.cls}.apply_pool_defaults`,
        source: 'literal',
        span: nodeSpan(ctx.file, ctx.lines, name),
        text: `def apply_pool_defaults(...) in ${o.cls}`,
        ignored: `Flask-SQLAlchemy ${version.label} never calls apply_pool_defaults (3.0 made engine setup internal: _apply_driver_defaults, ${SRC3}), so what it sets (${[...overrideOpts.keys()].join(', ') || 'nothing'}) is not applied; put those options in SQLALCHEMY_ENGINE_OPTIONS`,
      };
    }
  }
  const legacyOpts = new Map<string, Entry>();
  for (const [key, name] of Object.entries(LEGACY)) {
    const v = view.get(key);
    if (!v || v.val.t === 'none') continue;
    if (version.v3) settings[key] = { ...toSetting(v, anchor, ctx), text: `${key} = ${v.val.t === 'num' || v.val.t === 'str' ? String(v.val.v) : '...'}`, ignored: `${key} was deprecated in Flask-SQLAlchemy 2.4 and removed in 3.0 (CHANGES.rst); ${version.label} ignores it, so ${name} keeps its default; set "${name}" in SQLALCHEMY_ENGINE_OPTIONS`, deprecated: true };
    else legacyOpts.set(name, { v, via: key });
  }
  const urlV = view.get('SQLALCHEMY_DATABASE_URI');
  const database = urlV ? databaseOf({ v: urlV, node: anchor }, ctx) : { kind: 'unknown' as const, how: NO_URI };
  const isMysql = database.kind === 'mysql';
  const driverDefaults = new Map<string, Setting>();
  if (version.v3) {
    for (const m of [ctorOpts, configOpts]) for (const [k, e] of m) opts.set(k, e);
    if (database.kind === 'sqlite' && database.memory) driverDefaults.set('poolclass', flaskDefault('StaticPool', `${SRC3} (_apply_driver_defaults: in-memory SQLite)`, version.label, 'Flask-SQLAlchemy sets poolclass=StaticPool for in-memory SQLite, over any given'));
    if (isMysql && !opts.has('pool_recycle')) driverDefaults.set('pool_recycle', flaskDefault(7200, `${SRC3} (_apply_driver_defaults: options.setdefault("pool_recycle", 7200) for MySQL)`, version.label));
  } else {
    for (const m of [legacyOpts, overrideOpts]) for (const [k, e] of m) opts.set(k, e);
    if (isMysql) {
      if (!opts.has('pool_size')) driverDefaults.set('pool_size', flaskDefault(10, `${SRC2}:937 (apply_driver_hacks: MySQL pool_size 10)`, version.label));
      if (!opts.has('pool_recycle')) driverDefaults.set('pool_recycle', flaskDefault(7200, `${SRC2}:938 (apply_driver_hacks: MySQL pool_recycle 7200)`, version.label));
    }
    if (database.kind === 'sqlite' && database.memory) driverDefaults.set('poolclass', flaskDefault('StaticPool', `${SRC2}:944-945 (apply_driver_hacks: in-memory SQLite)`, version.label));
    else if (database.kind === 'sqlite' && !opts.get('pool_size')) driverDefaults.set('poolclass', flaskDefault('NullPool', `${SRC2}:959-961 (apply_driver_hacks: file SQLite without pool_size)`, version.label));
    for (const m of [configOpts, ctorOpts]) for (const [k, e] of m) opts.set(k, e);
  }
  for (const name of SQLALCHEMY_SETTINGS) {
    const e = opts.get(name);
    const drv = driverDefaults.get(name);
    if (drv && (name === 'poolclass' || !e)) settings[name] = drv;
    else if (e) {
      let s = toSetting(e.v, e.node, ctx);
      if (!s.span) s = { ...s, span: nodeSpan(ctx.file, ctx.lines, anchor) };
      if (s.source === 'literal' && s.text === undefined) s.text = e.via;
      // engine_from_config turns "10" into 10 and fails on "ten" at start-up
      if (version.v3 && COERCED.has(name) && typeof s.value === 'string') {
        s = /^\s*[+-]?\d+\s*$/.test(s.value) ? { ...s, value: parseInt(s.value, 10) } : { ...s, value: undefined, crash: `sa.engine_from_config() coerces ${name} with int(): int('${s.value}') raises ValueError` };
      }
      settings[name] = s;
    } else {
      const d = SQLALCHEMY_DEFAULTS[name];
      settings[name] = { value: d.value, source: 'default', default: { library: 'SQLAlchemy', version: sqlalchemyDefaultsLabel(ctx.versions.get('sqlalchemy')?.version), cite: d.cite } };
    }
  }
  const pc = settings.poolclass;
  const fallback = defaultPoolClass(database, false, saVersion);
  const poolClass =
    typeof pc.value === 'string' && (pc.source !== 'default' || pc.default?.library === 'Flask-SQLAlchemy')
      ? { name: pc.value, source: pc.source, reason: pc.reason ?? `poolclass=${pc.text ?? pc.value}` }
      : pc.source === 'unknown'
        ? { name: 'unknown', source: 'unknown' as const, reason: pc.reason ?? 'poolclass is not known' }
        : { name: fallback.name, source: 'default' as const, reason: fallback.reason };
  const accepts = POOL_CLASS_ACCEPTS[poolClass.name];
  if (accepts) {
    for (const name of ['pool_size', 'max_overflow', 'pool_timeout', 'pool_use_lifo']) {
      if (!accepts.includes(name) && settings[name].source === 'default') settings[name] = { value: null, source: 'default', reason: `${poolClass.name} has no ${name}`, default: settings[name].default };
    }
  }
  return { profile, envFiles, database, poolClass, settings, insertTarget, ...(boundBy ? { boundBy } : {}) };
}

/** The key nodes of SQLALCHEMY_BINDS dict literals in the file (`"users": ...`), by bind name. */
function bindAnchors(root: SyntaxNode): Map<string, SyntaxNode> {
  const out = new Map<string, SyntaxNode>();
  for (const d of root.descendantsOfType('dictionary')) {
    const p = d.parent;
    const owner = p?.type === 'assignment' ? p.childForFieldName('left')?.text : p?.type === 'keyword_argument' ? p.childForFieldName('name')?.text : p?.type === 'pair' ? p.childForFieldName('key')?.text : undefined;
    if (!owner || !/SQLALCHEMY_BINDS['"]?\]?$/.test(owner)) continue;
    for (const pair of d.namedChildren.filter((c) => c.type === 'pair')) {
      const key = pair.childForFieldName('key');
      const m = key?.type === 'string' ? /^[rRuU]?(['"])(.*)\1$/s.exec(key.text) : null;
      if (key && m && !out.has(m[2])) out.set(m[2], key);
    }
  }
  return out;
}

/** The config one bind's engine is made from: its URL, and (3.x) its own options in place of SQLALCHEMY_ENGINE_OPTIONS. */
function bindView(view: ConfigView, bind: V, v3: boolean): ConfigView {
  const out: ConfigView = v3 ? new Map() : new Map([...view].filter(([k]) => k !== 'SQLALCHEMY_BINDS'));
  if (bind.val.t === 'dict') {
    const url = bind.val.entries.get('url');
    if (url) out.set('SQLALCHEMY_DATABASE_URI', url);
    else out.delete('SQLALCHEMY_DATABASE_URI');
    if (v3) out.set('SQLALCHEMY_ENGINE_OPTIONS', { ...bind, val: { ...bind.val, entries: new Map([...bind.val.entries].filter(([k]) => k !== 'url')) } });
  } else out.set('SQLALCHEMY_DATABASE_URI', bind);
  return out;
}

export const flaskSqlalchemyDetector: Detector = {
  id: 'flask-sqlalchemy',
  languages: ['python'],
  prefilter: KEY,
  detect(ctx: DetectorContext): PoolModel[] {
    const root = ctx.tree.rootNode;
    const pinned = ctx.versions.get('flask-sqlalchemy');
    const label = pinned?.version ?? FLASK_SQLALCHEMY_ASSUMED_VERSION;
    const version = { v3: compareVersions(label, '3.0') >= 0, label };
    const versionInfo = pinned ?? { version: `${FLASK_SQLALCHEMY_ASSUMED_VERSION}.x (assumed: no pin found)`, source: 'assumed' };
    const saVersion = ctx.versions.get('sqlalchemy')?.version ?? `${SQLALCHEMY_ASSUMED_VERSION}.38`;
    const ext = extensionOf(ctx);
    const evs = new Map<string, PyEvaluator>();
    const evFor = (profile: string) => {
      let ev = evs.get(profile);
      if (!ev) evs.set(profile, (ev = new PyEvaluator(root, new ProfileEnv(profile, ctx.env.filesFor(ctx.file, profile)), { file: ctx.file, loader: ctx.modules })));
      return ev;
    };
    const models: PoolModel[] = [];
    const anchors = bindAnchors(root);
    /** One pool per bind key, from the views each profile's default pool was built from. */
    const pushBinds = (owner: string, views: { profile: string; view: ConfigView; env: ProfileEnv; boundBy?: string }[]) => {
      const byBind = new Map<string, Record<string, ProfileModel>>();
      for (const { profile, view, env, boundBy } of views) {
        for (const [name, bind] of dictEntries(view.get('SQLALCHEMY_BINDS')) ?? []) {
          const anchor = anchors.get(name);
          if (!anchor) continue;
          let profiles = byBind.get(name);
          if (!profiles) byBind.set(name, (profiles = {}));
          const model = buildProfile(ctx, profile, ctx.env.filesFor(ctx.file, profile).map((f) => f.file), bindView(view, bind, version.v3), ext, env, anchor, version, saVersion, boundBy, false);
          // a URL alone has no options dict of its own to add a setting to
          if (bind.val.t !== 'dict') model.insertTarget = undefined;
          profiles[profile] = model;
        }
      }
      for (const [name, profiles] of byBind) push(anchors.get(name)!, `${owner} SQLALCHEMY_BINDS["${name}"]`, profiles);
    };
    const push = (anchor: SyntaxNode, ctor: string, profiles: Record<string, ProfileModel>, binds = false) => {
      if (Object.keys(profiles).length === 0) return;
      // binds and no SQLALCHEMY_DATABASE_URI: no default engine (3.x makes one only from a URL)
      if (binds && Object.values(profiles).every((p) => p.database.how === NO_URI)) return;
      const span = nodeSpan(ctx.file, ctx.lines, anchor);
      models.push({ id: `${ctx.file}:${span.line + 1}:${span.column + 1}`, library: 'flask-sqlalchemy', constructor: ctor, file: ctx.file, span, async: false, profiles, differsBetweenProfiles: differences(profiles), libraryVersion: versionInfo });
    };
    // config classes
    const classes = root.namedChildren.map((s) => (s.type === 'decorated_definition' ? s.childForFieldName('definition') : s)).filter((c): c is SyntaxNode => c?.type === 'class_definition');
    const byName = new Map(classes.map((c) => [c.childForFieldName('name')?.text ?? '', c]));
    const basesOf = (c: SyntaxNode): SyntaxNode[] => (c.childForFieldName('superclasses')?.namedChildren ?? []).flatMap((b) => (byName.get(b.text) ? [byName.get(b.text)!, ...basesOf(byName.get(b.text)!)] : []));
    for (const cls of classes) {
      const name = cls.childForFieldName('name')?.text ?? '';
      if (![cls, ...basesOf(cls)].some((c) => KEY.test(c.childForFieldName('body')?.text ?? ''))) continue;
      if (TEST.test(name)) continue;
      const subclasses = classes.filter((c) => c !== cls && (c.childForFieldName('superclasses')?.namedChildren ?? []).some((b) => b.text === name));
      const named = PROD.test(name) ? ctx.profiles.filter((p) => /^(prod|production)([-_.].*)?$/i.test(p)) : STAGE.test(name) ? ctx.profiles.filter((p) => /stag/i.test(p)) : DEV.test(name) ? ctx.profiles.filter((p) => /^(dev|development|local)$/i.test(p)) : undefined;
      if (!named && subclasses.length > 0) continue; // a base class: its subclasses are the configs in use
      const bound = named ? named.map((p) => ({ profile: p, boundBy: `config class ${name} is named for ${p}` })) : activeProfiles(ctx).map((p) => ({ profile: p, boundBy: undefined }));
      const anchorNode = [cls, ...basesOf(cls)].flatMap((c) => (c.childForFieldName('body')?.namedChildren ?? []).filter((s) => /\bSQLALCHEMY_(DATABASE_URI|ENGINE_OPTIONS)\b/.test(s.text)))[0] ?? cls.childForFieldName('name')!;
      const profiles: Record<string, ProfileModel> = {};
      const views: { profile: string; view: ConfigView; env: ProfileEnv; boundBy?: string }[] = [];
      for (const { profile, boundBy } of bound) {
        const ev = evFor(profile);
        const obj = ev.exported(name);
        const view: ConfigView = new Map([...(dictEntries(obj) ?? [])].filter(([k]) => KEY.test(k)));
        views.push({ profile, view, env: ev.env, boundBy });
        // an ignored apply_pool_defaults override is reported once, with the first config of the file
        profiles[profile] = buildProfile(ctx, profile, ctx.env.filesFor(ctx.file, profile).map((f) => f.file), view, ext, ev.env, anchorNode, version, saVersion, boundBy, models.length === 0);
      }
      push(anchorNode, name, profiles, views.some((v) => v.view.has('SQLALCHEMY_BINDS')));
      pushBinds(name, views);
    }
    // app.config writes
    const writes = configWrites(root);
    if (writes.length) {
      const anchor = writes.find((w) => !/from_object/.test(w.text))!;
      const profiles: Record<string, ProfileModel> = {};
      const views: { profile: string; view: ConfigView; env: ProfileEnv }[] = [];
      for (const profile of activeProfiles(ctx)) {
        const ev = evFor(profile);
        const view = readWrites(writes, ev, ctx, ev.env);
        views.push({ profile, view, env: ev.env });
        profiles[profile] = buildProfile(ctx, profile, ctx.env.filesFor(ctx.file, profile).map((f) => f.file), view, ext, ev.env, anchor, version, saVersion, undefined, models.length === 0);
      }
      push(anchor, `app.config (${path.basename(ctx.file)})`, profiles, views.some((v) => v.view.has('SQLALCHEMY_BINDS')));
      pushBinds(`app.config (${path.basename(ctx.file)})`, views);
    }
    return models;
  },
};
