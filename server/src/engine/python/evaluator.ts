// A small abstract interpreter for one Python file: it follows assignments, dict mutations,
// same-file function and method calls, `if` branches (known conditions pick a branch, unknown ones
// merge), os.getenv/os.environ reads against one environment profile, and int/float/bool/str.
// It never runs user code; it has a step budget and a call-depth limit so it always ends.
import { checkDeadline } from '../deadline';
import { noteName, unlogged, type SyntaxNode } from '../syntax';
import type { ProfileEnv } from '../envfiles';
import { V, PyVal, Origin, unknown, truthy, mergeV, cloneV, NONE, sameVal } from './values';

const MAX_DEPTH = 6;
const MAX_STEPS = 20000;
/**
 * Expressions nested deeper than this are not evaluated (unknown). CPython refuses more than 200
 * nested parentheses ("too many nested parentheses"); the limit leaves room above that for the
 * evaluator's own frames around an expression (the call, the argument), so any valid nesting is
 * evaluated, and the recursion per level never runs out of stack on a generated or corrupt file
 * thousands deep.
 */
const MAX_NESTING = 256;

type Scope = Map<string, V>;

interface Frame {
  locals: Scope;
  /** Instance attributes (self.x) when executing a method. */
  self?: Scope;
  cls?: SyntaxNode;
  depth: number;
}

interface ExecResult {
  /** Values returned on paths that reached a `return`. */
  returns: V[];
  /** Every path through the block ended (return or raise). */
  ended: boolean;
  /** The target node was reached inside this block. */
  reached: boolean;
}

class BudgetExceeded extends Error {}

/** The name a def or class statement binds, read without noting its range (lookups of it are noted instead). */
function definedName(def: SyntaxNode): string | undefined {
  return unlogged(() => def.childForFieldName('name')?.text);
}

/** Definitions by name; a lookup notes the name it asked for. */
class NamedDefs {
  private readonly byName = new Map<string, SyntaxNode>();
  set(name: string, def: SyntaxNode): void {
    this.byName.set(name, def);
  }
  get(name: string): SyntaxNode | undefined {
    noteName(name);
    return this.byName.get(name);
  }
  has(name: string): boolean {
    noteName(name);
    return this.byName.has(name);
  }
  /** Whether `def` is the definition indexed under `name` (binding a def as the module runs is not a lookup). */
  isIndexed(name: string, def: SyntaxNode): boolean {
    return this.byName.get(name)?.id === def.id;
  }
}

function contains(outer: SyntaxNode, inner: SyntaxNode): boolean {
  return outer.startIndex <= inner.startIndex && inner.endIndex <= outer.endIndex;
}

/** Follows `from x import y` into the workspace's own modules. */
export interface ModuleLoader {
  value(fromFile: string, module: string, name: string, env: ProfileEnv): V | undefined;
  /** `from module import *`: the module's public names, copied (a later mutation stays in the importer). */
  all?(fromFile: string, module: string, env: ProfileEnv): Map<string, V> | undefined;
  /** Another workspace Python file's tree. */
  parsed?(file: string): import('../syntax').Tree | undefined;
}

/** Evaluates expressions of one file under one environment profile. */
export class PyEvaluator {
  private steps = 0;
  /** How deep eval() is in one expression (see MAX_NESTING). */
  private nesting = 0;
  private moduleScope: Scope | undefined;
  /** Module-level functions and classes by name; every lookup is noted (see ReadLog.names). */
  private readonly functions = new NamedDefs();
  private readonly classes = new NamedDefs();
  private readonly file?: string;
  private readonly loader?: ModuleLoader;

  constructor(readonly root: SyntaxNode, readonly env: ProfileEnv, opts: { file?: string; loader?: ModuleLoader } = {}) {
    this.file = opts.file;
    this.loader = opts.loader;
    for (const stmt of root.namedChildren) {
      const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
      if (!def) continue;
      const name = definedName(def);
      if (!name) continue;
      if (def.type === 'function_definition') this.functions.set(name, def);
      if (def.type === 'class_definition') this.classes.set(name, def);
    }
  }

  private tick(): void {
    checkDeadline();
    if (++this.steps > MAX_STEPS) throw new BudgetExceeded('evaluation budget exceeded');
  }

  // ---- entry points -------------------------------------------------------------------------

  /**
   * Builds the frame in which `target` (an expression) is evaluated: the module run to completion
   * (or up to the target when it is at module level), then the enclosing functions up to it.
   */
  frameAt(target: SyntaxNode): Frame {
    // each top-level question gets the whole budget; nested call-site lookups share it
    if (this.entryDepth === 0) this.steps = 0;
    const chain: SyntaxNode[] = [];
    for (let p = target.parent; p; p = p.parent) {
      if (p.type === 'function_definition' || p.type === 'class_definition') chain.unshift(p);
    }
    try {
      if (chain.length === 0) {
        // functions called while the module runs see the module as it is at that point
        const frame: Frame = { locals: new Map(), depth: 0 };
        const saved = this.moduleScope;
        this.moduleScope = frame.locals;
        try {
          this.execBlock(this.root.namedChildren, frame, target);
        } finally {
          this.moduleScope = saved;
        }
        this.forgetGlobals(frame.locals);
        return frame;
      }
      this.module();
      const fn = [...chain].reverse().find((n) => n.type === 'function_definition');
      if (!fn) {
        // a class body: its statements run in order up to the target
        const cls = chain[chain.length - 1];
        const frame: Frame = { locals: new Map(), depth: 0 };
        const body = cls.childForFieldName('body');
        if (body) this.execBlock(body.namedChildren, frame, target);
        return frame;
      }
      const cls = this.enclosingClass(fn);
      const frame: Frame = { locals: new Map(), depth: 1, cls: cls ?? undefined };
      this.bindEntryParams(fn, cls, frame);
      if (cls) {
        frame.self = new Map();
        const init = this.method(cls, '__init__');
        if (init && init !== fn) {
          const initFrame: Frame = { locals: new Map(), self: frame.self, cls, depth: 1 };
          this.bindEntryParams(init, cls, initFrame);
          this.execFunctionBody(init, initFrame);
        }
      }
      const body = fn.childForFieldName('body');
      if (body) this.execBlock(body.namedChildren, frame, target);
      return frame;
    } catch (e) {
      if (e instanceof BudgetExceeded) return { locals: new Map(), depth: 0 };
      throw e;
    }
  }

  /** A module-level name as another module importing it sees it; undefined when not a plain value. */
  exported(name: string): V | undefined {
    try {
      const v = this.module().get(name);
      if (v?.val.t === 'ref' && v.val.name.startsWith('<class>.')) {
        const cls = this.classes.get(v.val.name.slice(8));
        if (cls) return this.classObject(cls);
      }
      if (v?.val.t === 'ref' && v.val.name.startsWith('<file>.')) {
        const fn = this.functions.get(v.val.name.slice(7));
        // an imported function called without arguments (`get_settings()`) runs here, in its module
        if (fn) return { val: { t: 'ref', name: `<function>.${name}`, call: () => this.callExported(fn) } };
      }
      // a django-environ reader is a value other modules import (`from .base import env`)
      // (and a starlette Config, `from app.config import config`)
      if (!v || (v.val.t === 'ref' && v.val.name.startsWith('<') && v.val.name !== '<environ.Env>' && v.val.name !== '<starlette.Config>')) return undefined;
      return v;
    } catch (e) {
      if (e instanceof BudgetExceeded) return undefined;
      throw e;
    }
  }

  private callExported(fn: SyntaxNode): V {
    try {
      return this.callFunction(fn, null, { locals: this.module(), depth: 1 });
    } catch (e) {
      if (e instanceof BudgetExceeded) return unknown('too complex to follow');
      throw e;
    }
  }

  /** The public module-level names, as `from this import *` binds them. */
  exportedAll(): Map<string, V> {
    const out = new Map<string, V>();
    try {
      for (const name of this.module().keys()) {
        if (name.startsWith('_')) continue;
        const v = this.exported(name);
        if (v) out.set(name, cloneV(v));
      }
    } catch (e) {
      if (!(e instanceof BudgetExceeded)) throw e;
    }
    return out;
  }

  private imported(module: string, name: string): V | undefined {
    if (!this.loader || !this.file) return undefined;
    return this.loader.value(this.file, module, name, this.env);
  }

  evalIn(node: SyntaxNode, frame: Frame): V {
    try {
      return this.eval(node, frame);
    } catch (e) {
      if (e instanceof BudgetExceeded) return unknown('too complex to follow');
      throw e;
    }
  }

  /** What a callee expression names: 'sqlalchemy.create_engine', 'create_engine' when unresolved. */
  qualifiedName(node: SyntaxNode, frame: Frame): string | undefined {
    const v = this.evalIn(node, frame);
    if (v.val.t === 'ref') return v.val.name;
    return undefined;
  }

  // ---- module, classes, functions ------------------------------------------------------------

  private module(): Scope {
    if (!this.moduleScope) {
      const frame: Frame = { locals: new Map(), depth: 0 };
      this.moduleScope = frame.locals;
      this.execBlock(this.root.namedChildren, frame);
      this.forgetGlobals(frame.locals);
    }
    return this.moduleScope;
  }

  /** Module names a function rebinds with `global` may hold anything by the time they are read. */
  private forgetGlobals(scope: Scope): void {
    for (const g of this.root.descendantsOfType('global_statement')) {
      let fn: SyntaxNode | null = g.parent;
      while (fn && fn.type !== 'function_definition') fn = fn.parent;
      const fname = fn?.childForFieldName('name')?.text ?? '?';
      for (const id of g.namedChildren) {
        if (id.type === 'identifier') scope.set(id.text, unknown(`${id.text} is reassigned by ${fname}() through \`global\``));
      }
    }
  }

  private enclosingClass(fn: SyntaxNode): SyntaxNode | null {
    let p = fn.parent;
    if (p?.type === 'decorated_definition') p = p.parent;
    if (p?.type === 'block' && p.parent?.type === 'class_definition') return p.parent;
    return null;
  }

  private method(cls: SyntaxNode, name: string): SyntaxNode | undefined {
    const body = cls.childForFieldName('body');
    if (!body) return undefined;
    for (const stmt of body.namedChildren) {
      const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
      if (def?.type === 'function_definition' && def.childForFieldName('name')?.text === name) return def;
    }
    return undefined;
  }

  private classAttr(cls: SyntaxNode, name: string): V | undefined {
    return this.classAttrs(cls).get(name);
  }

  /** The classes of this file a class derives from, nearest first (`class Production(Config)`). */
  private bases(cls: SyntaxNode, seen = new Set<number>()): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    seen.add(cls.id);
    for (const b of cls.childForFieldName('superclasses')?.namedChildren ?? []) {
      const base = b.type === 'identifier' ? this.classes.get(b.text) : undefined;
      if (base && !seen.has(base.id)) out.push(base, ...this.bases(base, seen));
    }
    return out;
  }

  /** The statements of a class's body and its bases' bodies, the bases' first (so the class's own win). */
  private *classBody(cls: SyntaxNode): Generator<SyntaxNode> {
    for (const c of [...this.bases(cls)].reverse().concat(cls)) yield* c.childForFieldName('body')?.namedChildren ?? [];
  }

  /** The annotated fields (`name: type [= default]`) of a class and its bases, `model_config` left out. */
  private *annotatedFields(cls: SyntaxNode): Generator<{ a: SyntaxNode; left: SyntaxNode; type: SyntaxNode }> {
    for (const stmt of this.classBody(cls)) {
      const a = stmt.type === 'expression_statement' ? stmt.namedChildren[0] : undefined;
      const type = a?.type === 'assignment' ? a.childForFieldName('type') : undefined;
      const left = a?.childForFieldName('left');
      if (!a || !type || !left || left.type !== 'identifier' || left.text === 'model_config') continue;
      yield { a, left, type };
    }
  }

  /** Class attributes, inherited ones first so the class's own win. */
  private classAttrs(cls: SyntaxNode): Scope {
    const frame: Frame = { locals: new Map(), depth: 1 };
    for (const stmt of this.classBody(cls)) {
      if (stmt.type === 'expression_statement') this.execStatement(stmt, frame);
    }
    return frame.locals;
  }

  /** A class as a value other modules can read attributes of and instantiate. */
  private classObject(cls: SyntaxNode): V {
    const name = cls.childForFieldName('name')?.text ?? '?';
    return { val: { t: 'dict', entries: this.classAttrs(cls), nodes: [], obj: { name, instantiate: (kw) => this.instantiate(cls, kw) } } };
  }

  /** `C(...)`: a pydantic BaseSettings instance reads the environment; a plain class has its class attributes and what __init__ sets. */
  private instantiate(cls: SyntaxNode, kwargs: Map<string, V>): V {
    try {
      if (this.isSettingsClass(cls)) return this.settingsInstance(cls, kwargs);
      const name = cls.childForFieldName('name')?.text ?? '?';
      const self = this.classAttrs(cls);
      const init = [cls, ...this.bases(cls)].map((c) => this.method(c, '__init__')).find((m) => m);
      if (init) {
        const frame: Frame = { locals: new Map(), self, cls, depth: 1 };
        this.bindParamsFromDefaults(init, frame);
        for (const [k, v] of kwargs) frame.locals.set(k, v);
        this.execFunctionBody(init, frame);
      }
      return { val: { t: 'dict', entries: self, nodes: [], obj: { name } } };
    } catch (e) {
      if (e instanceof BudgetExceeded) return unknown('too complex to follow');
      throw e;
    }
  }

  private isSettingsClass(cls: SyntaxNode): boolean {
    return [cls, ...this.bases(cls)].some((c) => (c.childForFieldName('superclasses')?.namedChildren ?? []).some((b) => /(^|\.)BaseSettings$/.test(b.text)));
  }

  /** model_config = SettingsConfigDict(...) / {...}, or pydantic v1's inner `class Config:`. */
  private settingsConfig(cls: SyntaxNode): { prefix: string; caseSensitive: boolean; delimiter?: string } {
    const out: { prefix: string; caseSensitive: boolean; delimiter?: string } = { prefix: '', caseSensitive: false };
    const read = (k: string, v: V) => {
      if (k === 'env_prefix' && v.val.t === 'str') out.prefix = v.val.v;
      if (k === 'case_sensitive' && v.val.t === 'bool') out.caseSensitive = v.val.v;
      if (k === 'env_nested_delimiter' && v.val.t === 'str' && v.val.v) out.delimiter = v.val.v;
    };
    const module: Frame = { locals: this.module(), depth: 1 };
    for (const stmt of this.classBody(cls)) {
      const a = stmt.type === 'expression_statement' ? stmt.namedChildren[0] : undefined;
      if (a?.type === 'assignment' && a.childForFieldName('left')?.text === 'model_config') {
        const right = a.childForFieldName('right');
        if (right?.type === 'call') {
          for (const kw of right.childForFieldName('arguments')?.namedChildren ?? []) {
            const k = kw.type === 'keyword_argument' ? kw.childForFieldName('name')?.text : undefined;
            const val = kw.childForFieldName('value');
            if (k && val) read(k, this.eval(val, module));
          }
        } else if (right) {
          const d = this.eval(right, module);
          if (d.val.t === 'dict') for (const [k, v] of d.val.entries) read(k, v);
        }
      }
      if (stmt.type === 'class_definition' && stmt.childForFieldName('name')?.text === 'Config') {
        for (const [k, v] of this.classAttrs(stmt)) read(k, v);
      }
    }
    return out;
  }

  /** The class of a field's annotation when it is a pydantic model of this file (BaseModel, not BaseSettings, which reads the env itself). */
  private nestedModel(annotation: string): SyntaxNode | undefined {
    const t = annotation.replace(/\s+/g, '').replace(/^Optional\[(.*)\]$/, '$1').replace(/\|None$|^None\|/, '');
    const cls = /^[A-Za-z_]\w*$/.test(t) ? this.classes.get(t) : undefined;
    if (!cls || this.isSettingsClass(cls)) return undefined;
    return [cls, ...this.bases(cls)].some((c) => (c.childForFieldName('superclasses')?.namedChildren ?? []).some((b) => /(^|\.)BaseModel$/.test(b.text))) ? cls : undefined;
  }

  /**
   * A nested model's value when the env sets any of it: `DB__POOL_SIZE` (with env_nested_delimiter
   * '__') for one field, or `DB` holding JSON for the whole model; the model's own defaults fill the
   * rest (pydantic validates the env's dict, not the field's default instance). Undefined when the
   * env sets none of it (the field's default applies as usual).
   */
  private nestedInstance(cls: SyntaxNode, envName: string, conf: { caseSensitive: boolean; delimiter?: string }, label: string): V | undefined {
    const module: Frame = { locals: this.module(), depth: 1 };
    const fields: { field: string; type: string; node: SyntaxNode; dflt?: V }[] = [];
    for (const { a, left, type } of this.annotatedFields(cls)) {
      const right = a.childForFieldName('right');
      fields.push({ field: left.text, type: type.text, node: a, dflt: right ? this.eval(right, module) : undefined });
    }
    const same = (a: string, b: string) => (conf.caseSensitive ? a === b : a.toLowerCase() === b.toLowerCase());
    const set = new Map<string, NonNullable<ReturnType<ProfileEnv['get']>>>();
    if (conf.delimiter) {
      for (const [k, e] of this.env.vars) {
        const head = k.slice(0, envName.length + conf.delimiter.length);
        if (!same(head, envName + conf.delimiter)) continue;
        const sub = k.slice(head.length);
        const f = fields.find((x) => same(x.field, sub));
        if (f) set.set(f.field, e);
      }
    }
    const whole = this.envEntry(envName, conf.caseSensitive);
    let json: Record<string, unknown> | undefined;
    if (whole) {
      try {
        const parsed: unknown = JSON.parse(whole.value);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
      } catch {
        // every field of the model carries the error, so the pool setting that reads one shows it
        const error = (node: SyntaxNode): V => ({ val: { t: 'error', message: `${label}: ${whole.name} is not JSON for the nested model: pydantic-settings raises SettingsError at start-up` }, origin: { k: 'env', name: whole.name, entry: whole, readNode: node } });
        return { val: { t: 'dict', entries: new Map(fields.map((f) => [f.field, error(f.node)])), nodes: [], obj: { name: cls.childForFieldName('name')?.text ?? '?' } } };
      }
    }
    if (set.size === 0 && !json) return undefined;
    const entries = new Map<string, V>();
    for (const f of fields) {
      const e = set.get(f.field);
      const j = json && Object.prototype.hasOwnProperty.call(json, f.field) ? json[f.field] : undefined;
      if (e) entries.set(f.field, { val: convertSetting(f.type, e.value, `${label}.${f.field}`), origin: { k: 'env', name: e.name, entry: e, fallback: f.dflt, readNode: f.node } });
      else if (j !== undefined && whole) entries.set(f.field, { val: convertSetting(f.type, typeof j === 'string' ? j : JSON.stringify(j), `${label}.${f.field}`), origin: { k: 'env', name: whole.name, entry: whole, fallback: f.dflt, readNode: f.node } });
      // the model's default, as the fallback of the env variable that would set it
      else if (f.dflt) entries.set(f.field, conf.delimiter && !(f.dflt.origin && f.dflt.origin.k !== 'literal') ? { val: f.dflt.val, origin: { k: 'env', name: `${envName}${conf.delimiter}${f.field}`.toUpperCase(), fallback: f.dflt, readNode: f.node } } : f.dflt);
      else entries.set(f.field, { val: { t: 'error', message: `${label}: field '${f.field}' is required and ${envName}${conf.delimiter ?? '__'}${f.field.toUpperCase()} is not set in the ${this.env.name} profile (pydantic raises ValidationError at start-up)` }, origin: { k: 'env', name: `${envName}${conf.delimiter ?? ''}${f.field}`, readNode: f.node } });
    }
    return { val: { t: 'dict', entries, nodes: [], obj: { name: cls.childForFieldName('name')?.text ?? '?' } } };
  }

  /** An env entry by name; pydantic-settings matches names case-insensitively unless case_sensitive=True. */
  private envEntry(name: string, caseSensitive: boolean) {
    const exact = this.env.get(name);
    if (exact || caseSensitive) return exact;
    const lower = name.toLowerCase();
    let hit: ReturnType<ProfileEnv['get']>;
    for (const [k, e] of this.env.vars) if (k.toLowerCase() === lower) hit = e;
    return hit;
  }

  /**
   * A BaseSettings instance: each annotated field from the constructor's keywords, else the
   * environment (alias or env_prefix + name), else its default; then @property values. Values are
   * converted as pydantic does (int, float, bool words); a missing required field or a value that does
   * not convert is a start-up ValidationError.
   */
  private settingsInstance(cls: SyntaxNode, kwargs: Map<string, V>): V {
    const name = cls.childForFieldName('name')?.text ?? '?';
    const conf = this.settingsConfig(cls);
    const entries = new Map<string, V>();
    const module: Frame = { locals: this.module(), depth: 1 };
    for (const { a, left, type } of this.annotatedFields(cls)) {
      const field = left.text;
      const right = a.childForFieldName('right') ?? undefined;
      let dflt: V | undefined;
      let aliases: string[] = [];
      if (right?.type === 'call' && /(^|\.)Field$/.test(right.childForFieldName('function')?.text ?? '')) {
        const args = right.childForFieldName('arguments')?.namedChildren ?? [];
        const first = args.find((x) => x.type !== 'keyword_argument' && x.type !== 'comment');
        const kw = (k: string) => args.find((x) => x.type === 'keyword_argument' && x.childForFieldName('name')?.text === k)?.childForFieldName('value') ?? undefined;
        const d = kw('default') ?? (first && first.type !== 'ellipsis' ? first : undefined);
        if (d) dflt = this.eval(d, module);
        for (const k of ['validation_alias', 'alias', 'env']) {
          const n = kw(k);
          if (!n) continue;
          const strs = n.type === 'string' ? [n] : n.type === 'call' || n.type === 'list' || n.type === 'tuple' ? (n.type === 'call' ? n.childForFieldName('arguments')?.namedChildren ?? [] : n.namedChildren).filter((x) => x.type === 'string') : [];
          aliases = strs.map((x) => this.eval(x, module)).flatMap((v) => (v.val.t === 'str' ? [v.val.v] : []));
          if (aliases.length) break;
        }
      } else if (right) dflt = this.eval(right, module);
      const given = kwargs.get(field) ?? aliases.map((x) => kwargs.get(x)).find((v) => v);
      if (given) {
        entries.set(field, given);
        continue;
      }
      // a nested pydantic model (`db: DatabaseSettings`): its fields from PREFIX + field + delimiter + name
      const nested = this.nestedModel(type.text);
      if (nested) {
        const v = this.nestedInstance(nested, `${conf.prefix}${field}`, conf, `${name}.${field}`);
        if (v) {
          entries.set(field, v);
          continue;
        }
      }
      const names = aliases.length ? aliases : [conf.prefix + field];
      const found = names.map((n) => this.envEntry(n, conf.caseSensitive)).find((e) => e);
      const shown = found?.name ?? (conf.caseSensitive ? names[0] : names[0].toUpperCase());
      if (found) {
        const val = convertSetting(type.text, found.value, `${name}.${field}`);
        entries.set(field, { val, origin: { k: 'env', name: found.name, entry: found, fallback: dflt, readNode: a } });
      } else if (dflt) {
        // a default that reads the environment itself keeps that origin
        const own = dflt.origin && dflt.origin.k !== 'literal';
        entries.set(field, own ? dflt : { val: dflt.val, origin: { k: 'env', name: shown, fallback: dflt, readNode: a } });
      } else {
        entries.set(field, { val: { t: 'error', message: `${name}() raises ValidationError at start-up: field '${field}' is required and ${shown} is not set in the ${this.env.name} profile` }, origin: { k: 'env', name: shown, readNode: a } });
      }
    }
    // @property / @computed_field methods, computed from the fields
    for (const stmt of this.classBody(cls)) {
      if (stmt.type !== 'decorated_definition') continue;
      const decorators = stmt.namedChildren.filter((d) => d.type === 'decorator').map((d) => d.text);
      const def = stmt.childForFieldName('definition');
      const fname = def?.childForFieldName('name')?.text;
      if (!def || !fname || !decorators.some((d) => /@(property|computed_field|cached_property)\b/.test(d))) continue;
      entries.set(fname, this.execFunctionBody(def, { locals: new Map(), self: entries, cls, depth: 1 }));
    }
    return { val: { t: 'dict', entries, nodes: [], obj: { name } } };
  }

  private params(fn: SyntaxNode): { name: string; def?: SyntaxNode; kind: 'plain' | 'star' | 'starstar' }[] {
    const ps = fn.childForFieldName('parameters');
    const out: { name: string; def?: SyntaxNode; kind: 'plain' | 'star' | 'starstar' }[] = [];
    if (!ps) return out;
    for (const p of ps.namedChildren) {
      switch (p.type) {
        case 'identifier':
          out.push({ name: p.text, kind: 'plain' });
          break;
        case 'typed_parameter': {
          const id = p.namedChildren.find((c) => c.type === 'identifier');
          if (id) out.push({ name: id.text, kind: 'plain' });
          else {
            const ls = p.namedChildren.find((c) => c.type === 'list_splat_pattern' || c.type === 'dictionary_splat_pattern');
            if (ls) out.push({ name: ls.namedChildren[0]?.text ?? '', kind: ls.type === 'list_splat_pattern' ? 'star' : 'starstar' });
          }
          break;
        }
        case 'default_parameter':
        case 'typed_default_parameter': {
          const name = p.childForFieldName('name')?.text;
          const value = p.childForFieldName('value') ?? undefined;
          if (name) out.push({ name, def: value, kind: 'plain' });
          break;
        }
        case 'list_splat_pattern':
          out.push({ name: p.namedChildren[0]?.text ?? '', kind: 'star' });
          break;
        case 'dictionary_splat_pattern':
          out.push({ name: p.namedChildren[0]?.text ?? '', kind: 'starstar' });
          break;
      }
    }
    return out;
  }

  private bindParamsFromDefaults(fn: SyntaxNode, frame: Frame): void {
    const fname = fn.childForFieldName('name')?.text ?? '?';
    const module: Frame = { locals: this.module(), depth: frame.depth };
    for (const p of this.params(fn)) {
      if (p.name === 'self' || p.name === 'cls') continue;
      if (p.def) frame.locals.set(p.name, this.eval(p.def, module));
      else frame.locals.set(p.name, unknown(`parameter '${p.name}' of ${fname}()`));
    }
  }

  private entryDepth = 0;

  /**
   * Parameters of the function that holds the target: from its one call site in this file when
   * there is exactly one (`Manager(os.getenv(...))`), else from defaults.
   */
  private bindEntryParams(fn: SyntaxNode, cls: SyntaxNode | null, frame: Frame): void {
    this.bindParamsFromDefaults(fn, frame);
    if (this.entryDepth >= 2) return;
    const fname = fn.childForFieldName('name')?.text;
    if (!fname) return;
    const calleeName = cls && fname === '__init__' ? cls.childForFieldName('name')?.text : fname;
    if (!calleeName) return;
    const sites = this.root.descendantsOfType('call').filter((c) => {
      const f = c.childForFieldName('function');
      if (!f) return false;
      if (cls && fname !== '__init__') return f.type === 'attribute' && f.childForFieldName('attribute')?.text === fname && f.childForFieldName('object')?.text === 'self';
      return f.type === 'identifier' && f.text === calleeName;
    });
    if (sites.length !== 1) return;
    const site = sites[0];
    if (contains(fn, site)) return;
    this.entryDepth++;
    try {
      const callerFrame = this.frameAt(site);
      const bound = this.bindArgs(fn, site.childForFieldName('arguments'), callerFrame);
      for (const [k, v] of bound) frame.locals.set(k, v);
    } finally {
      this.entryDepth--;
    }
  }

  /** Binds the arguments given at a call; parameters not given are left out. */
  private bindArgs(fn: SyntaxNode, args: SyntaxNode | null, caller: Frame): Map<string, V> {
    const params = this.params(fn).filter((p) => p.name !== 'self' && p.name !== 'cls');
    const positional: V[] = [];
    const keywords = new Map<string, V>();
    for (const a of args?.namedChildren ?? []) {
      if (a.type === 'keyword_argument') {
        const n = a.childForFieldName('name')?.text;
        const v = a.childForFieldName('value');
        if (n && v) keywords.set(n, this.eval(v, caller));
      } else if (a.type === 'dictionary_splat') {
        const d = this.eval(a.namedChildren[0], caller);
        if (d.val.t === 'dict') for (const [k, v] of d.val.entries) keywords.set(k, v);
      } else if (a.type !== 'list_splat' && a.type !== 'comment') {
        positional.push(this.eval(a, caller));
      }
    }
    const out = new Map<string, V>();
    params.forEach((p, i) => {
      if (p.kind !== 'plain') return;
      const v = i < positional.length ? positional[i] : keywords.get(p.name);
      if (v) out.set(p.name, v);
    });
    return out;
  }

  private execFunctionBody(fn: SyntaxNode, frame: Frame): V {
    const body = fn.childForFieldName('body');
    if (!body) return { val: NONE };
    const r = this.execBlock(body.namedChildren, frame);
    const fname = fn.childForFieldName('name')?.text ?? '?';
    const returns = r.ended ? r.returns : [...r.returns, { val: NONE }];
    if (returns.length === 0) return unknown(`${fname}() always raises`);
    return mergeV(returns, `${fname}() returns different values on different paths`);
  }

  private callFunction(fn: SyntaxNode, args: SyntaxNode | null, caller: Frame, self?: Scope, cls?: SyntaxNode): V {
    const fname = fn.childForFieldName('name')?.text ?? '?';
    if (caller.depth >= MAX_DEPTH) return unknown(`call depth limit reached at ${fname}()`);
    const frame: Frame = { locals: new Map(), self, cls, depth: caller.depth + 1 };
    const bound = this.bindArgs(fn, args, caller);
    const module: Frame = { locals: this.module(), depth: frame.depth };
    for (const p of this.params(fn)) {
      if (p.kind !== 'plain' || p.name === 'self' || p.name === 'cls') continue;
      const v = bound.get(p.name);
      if (v) frame.locals.set(p.name, v);
      else if (p.def) frame.locals.set(p.name, this.eval(p.def, module));
      else frame.locals.set(p.name, unknown(`parameter '${p.name}' of ${fname}()`));
    }
    return this.execFunctionBody(fn, frame);
  }

  // ---- statements ---------------------------------------------------------------------------

  private cloneFrame(f: Frame): Frame {
    const locals = new Map<string, V>();
    for (const [k, v] of f.locals) locals.set(k, cloneV(v));
    let self: Scope | undefined;
    if (f.self) {
      self = new Map();
      for (const [k, v] of f.self) self.set(k, cloneV(v));
    }
    return { locals, self, cls: f.cls, depth: f.depth };
  }

  private mergeInto(target: Frame, branches: Frame[], reason: string): void {
    const mergeScope = (get: (f: Frame) => Scope | undefined, set: (s: Scope) => void) => {
      const scopes = branches.map(get).filter((s): s is Scope => !!s);
      if (scopes.length === 0) return;
      const keys = new Set<string>();
      for (const s of scopes) for (const k of s.keys()) keys.add(k);
      const merged = new Map<string, V>();
      for (const k of keys) {
        const vs = scopes.map((s) => s.get(k));
        if (vs.some((v) => v === undefined)) {
          const defined = vs.filter((v): v is V => !!v);
          merged.set(k, mergeV(defined, reason));
        } else merged.set(k, mergeV(vs as V[], reason));
      }
      set(merged);
    };
    mergeScope((f) => f.locals, (s) => {
      target.locals.clear();
      for (const [k, v] of s) target.locals.set(k, v);
    });
    if (target.self) {
      mergeScope((f) => f.self, (s) => {
        target.self!.clear();
        for (const [k, v] of s) target.self!.set(k, v);
      });
    }
  }

  private execBlock(stmts: SyntaxNode[], frame: Frame, target?: SyntaxNode): ExecResult {
    const returns: V[] = [];
    for (const stmt of stmts) {
      this.tick();
      if (target && contains(stmt, target)) {
        const r = this.execCompoundToTarget(stmt, frame, target);
        return { returns: [...returns, ...r.returns], ended: false, reached: true };
      }
      const r = this.execStatement(stmt, frame);
      returns.push(...r.returns);
      if (r.ended) return { returns, ended: true, reached: false };
    }
    return { returns, ended: false, reached: false };
  }

  /** Enters whichever part of a compound statement holds the target, whatever its condition. */
  private execCompoundToTarget(stmt: SyntaxNode, frame: Frame, target: SyntaxNode): ExecResult {
    const blocks: SyntaxNode[] = [];
    const collect = (n: SyntaxNode) => {
      for (const c of n.namedChildren) {
        if (c.type === 'block') blocks.push(c);
        else if (['elif_clause', 'else_clause', 'except_clause', 'finally_clause', 'case_clause', 'block'].includes(c.type)) collect(c);
      }
    };
    if (stmt.type === 'decorated_definition' || stmt.type === 'function_definition' || stmt.type === 'class_definition') {
      return { returns: [], ended: false, reached: true };
    }
    collect(stmt);
    const block = blocks.find((b) => contains(b, target));
    if (!block) {
      // target is in this simple statement (or a condition): state before it is what counts
      return { returns: [], ended: false, reached: true };
    }
    if (stmt.type === 'with_statement') this.execWithItems(stmt, frame);
    return this.execBlock(block.namedChildren, frame, target);
  }

  private execWithItems(stmt: SyntaxNode, frame: Frame): void {
    for (const item of stmt.descendantsOfType('as_pattern')) {
      const alias = item.childForFieldName('alias');
      if (alias?.type === 'as_pattern_target') {
        const name = alias.namedChildren[0];
        if (name?.type === 'identifier') frame.locals.set(name.text, unknown(`context manager value '${name.text}'`));
      }
    }
  }

  private execStatement(stmt: SyntaxNode, frame: Frame): ExecResult {
    const none: ExecResult = { returns: [], ended: false, reached: false };
    switch (stmt.type) {
      case 'expression_statement': {
        for (const e of stmt.namedChildren) {
          if (e.type === 'assignment') this.execAssignment(e, frame);
          else if (e.type === 'augmented_assignment') this.execAugmented(e, frame);
          else if (e.type === 'call') this.execCallStatement(e, frame);
        }
        return none;
      }
      case 'return_statement': {
        const e = stmt.namedChildren[0];
        return { returns: [e ? this.eval(e, frame) : { val: NONE }], ended: true, reached: false };
      }
      case 'raise_statement':
        return { returns: [], ended: true, reached: false };
      case 'import_statement':
      case 'import_from_statement':
        this.execImport(stmt, frame);
        return none;
      case 'if_statement':
        return this.execIf(stmt, frame);
      case 'function_definition':
      case 'class_definition':
      case 'decorated_definition': {
        const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
        const name = def ? definedName(def) : undefined;
        if (name && def) {
          const top = (def.type === 'function_definition' ? this.functions : this.classes).isIndexed(name, def);
          const kind = def.type === 'function_definition' ? '<file>' : '<class>';
          frame.locals.set(name, { val: { t: 'ref', name: top ? `${kind}.${name}` : `<local>.${name}` } });
        }
        return none;
      }
      case 'try_statement': {
        // the try body runs; handlers are the exceptional path
        const body = stmt.childForFieldName('body');
        const r = body ? this.execBlock(body.namedChildren, frame) : none;
        const elseClause = stmt.namedChildren.find((c) => c.type === 'else_clause');
        const eb = elseClause?.childForFieldName('body');
        if (eb && !r.ended) {
          const r2 = this.execBlock(eb.namedChildren, frame);
          return { returns: [...r.returns, ...r2.returns], ended: r2.ended, reached: false };
        }
        return { returns: r.returns, ended: r.ended, reached: false };
      }
      case 'with_statement': {
        this.execWithItems(stmt, frame);
        const body = stmt.childForFieldName('body');
        return body ? this.execBlock(body.namedChildren, frame) : none;
      }
      case 'for_statement':
      case 'while_statement': {
        // a loop body may run zero or more times: run it once on a copy and merge with not running
        const body = stmt.childForFieldName('body');
        if (!body) return none;
        const copy = this.cloneFrame(frame);
        const left = stmt.childForFieldName('left');
        if (left?.type === 'identifier') copy.locals.set(left.text, unknown(`loop variable '${left.text}'`));
        const r = this.execBlock(body.namedChildren, copy);
        this.mergeInto(frame, [frame, copy], `loop at line ${stmt.startPosition.row + 1}`);
        return { returns: r.returns, ended: false, reached: false };
      }
      default:
        return none;
    }
  }

  private execIf(stmt: SyntaxNode, frame: Frame): ExecResult {
    // arms: [condition|null, block]
    const arms: [SyntaxNode | null, SyntaxNode][] = [];
    const cons = stmt.childForFieldName('consequence');
    const cond = stmt.childForFieldName('condition');
    if (cons && cond) arms.push([cond, cons]);
    let hasElse = false;
    for (const c of stmt.namedChildren) {
      if (c.type === 'elif_clause') {
        const ec = c.childForFieldName('condition');
        const eb = c.childForFieldName('consequence');
        if (ec && eb) arms.push([ec, eb]);
      } else if (c.type === 'else_clause') {
        const b = c.childForFieldName('body');
        if (b) {
          arms.push([null, b]);
          hasElse = true;
        }
      }
    }
    const possible: { frame: Frame; r: ExecResult }[] = [];
    let rest = frame; // the state in which the remaining arms are tested
    let decided = false;
    const reason = `condition at line ${stmt.startPosition.row + 1}`;
    for (const [c, block] of arms) {
      const t = c ? truthy(this.eval(c, rest).val) : true;
      if (t === false) continue;
      if (t === true) {
        const f = possible.length === 0 ? frame : this.cloneFrame(rest);
        possible.push({ frame: f, r: this.execBlock(block.namedChildren, f) });
        decided = true;
        break;
      }
      const f = this.cloneFrame(rest);
      possible.push({ frame: f, r: this.execBlock(block.namedChildren, f) });
    }
    if (!decided && !hasElse) possible.push({ frame: this.cloneFrame(rest), r: { returns: [], ended: false, reached: false } });
    if (!decided && hasElse && possible.length === 0) return { returns: [], ended: false, reached: false };
    const live = possible.filter((p) => !p.r.ended);
    const returns = possible.flatMap((p) => p.r.returns);
    if (possible.length === 1 && possible[0].frame === frame) {
      return { returns, ended: possible[0].r.ended, reached: false };
    }
    if (live.length > 0) this.mergeInto(frame, live.map((p) => p.frame), reason);
    return { returns, ended: live.length === 0, reached: false };
  }

  private execImport(stmt: SyntaxNode, frame: Frame): void {
    if (stmt.type === 'import_statement') {
      for (const n of stmt.childrenForFieldName('name')) {
        if (n.type === 'aliased_import') {
          const name = n.childForFieldName('name')?.text;
          const alias = n.childForFieldName('alias')?.text;
          if (name && alias) frame.locals.set(alias, { val: { t: 'ref', name } });
        } else if (n.type === 'dotted_name') {
          const top = n.text.split('.')[0];
          frame.locals.set(top, { val: { t: 'ref', name: top } });
        }
      }
      return;
    }
    const mod = stmt.childForFieldName('module_name')?.text ?? '';
    if (stmt.namedChildren.some((c) => c.type === 'wildcard_import')) {
      const names = this.loader?.all && this.file ? this.loader.all(this.file, mod, this.env) : undefined;
      for (const [k, v] of names ?? []) frame.locals.set(k, v);
      return;
    }
    const qualified = (name: string) => `${mod}${mod.endsWith('.') ? '' : '.'}${name}`;
    for (const n of stmt.childrenForFieldName('name')) {
      const name = n.type === 'aliased_import' ? n.childForFieldName('name')?.text : n.type === 'dotted_name' ? n.text : undefined;
      const alias = n.type === 'aliased_import' ? n.childForFieldName('alias')?.text : name;
      if (!name || !alias) continue;
      // a value from one of the workspace's own modules, else a reference to the name
      frame.locals.set(alias, this.imported(mod, name) ?? { val: { t: 'ref', name: qualified(name) } });
    }
  }

  private assignTo(left: SyntaxNode, value: V, frame: Frame): void {
    if (left.type === 'identifier') {
      frame.locals.set(left.text, value);
    } else if (left.type === 'attribute') {
      const obj = left.childForFieldName('object');
      const attr = left.childForFieldName('attribute')?.text;
      if (obj?.type === 'identifier' && obj.text === 'self' && frame.self && attr) frame.self.set(attr, value);
    } else if (left.type === 'subscript') {
      const target = this.eval(left.childForFieldName('value')!, frame);
      const key = this.eval(left.childForFieldName('subscript') ?? left.namedChildren[1], frame);
      if (target.val.t === 'dict') {
        if (key.val.t === 'str') target.val.entries.set(key.val.v, value);
        else this.poisonDict(target.val, `a key set by ${left.text}`);
      }
    } else if (left.type === 'pattern_list' || left.type === 'tuple_pattern') {
      for (const c of left.namedChildren) this.assignTo(c, unknown(`unpacked from ${left.text}`), frame);
    }
  }

  /** After a write with an unknown key, every key of the dict is in doubt. */
  private poisonDict(d: { entries: Map<string, V> }, reason: string): void {
    for (const k of d.entries.keys()) d.entries.set(k, unknown(`may be overwritten by ${reason}`));
    d.entries.set('*', unknown(reason));
  }

  private execAssignment(a: SyntaxNode, frame: Frame): void {
    const left = a.childForFieldName('left');
    const right = a.childForFieldName('right');
    if (!left) return;
    if (!right) return; // annotation only
    if (right.type === 'assignment') {
      this.execAssignment(right, frame);
      const v = this.eval(right.childForFieldName('left')!, frame);
      this.assignTo(left, v, frame);
      return;
    }
    // names share a dict as Python does: `b = a; b["k"] = 1` changes a too
    this.assignTo(left, this.eval(right, frame), frame);
  }

  private execAugmented(a: SyntaxNode, frame: Frame): void {
    const left = a.childForFieldName('left');
    if (left) this.assignTo(left, unknown(`changed by ${a.text}`), frame);
  }

  /** `d.update({...})`, `d.setdefault(k, v)`, `d.pop(k)` mutate a dict held in a name. */
  private execCallStatement(call: SyntaxNode, frame: Frame): void {
    const fn = call.childForFieldName('function');
    if (fn?.type !== 'attribute') return;
    const method = fn.childForFieldName('attribute')?.text;
    const obj = fn.childForFieldName('object');
    if (!obj || !method) return;
    const target = this.eval(obj, frame);
    if (target.val.t !== 'dict') return;
    const d = target.val;
    const args = call.childForFieldName('arguments');
    const argNodes = args?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
    if (method === 'update') {
      for (const a of argNodes) {
        if (a.type === 'keyword_argument') {
          const n = a.childForFieldName('name')?.text;
          const v = a.childForFieldName('value');
          if (n && v) d.entries.set(n, this.eval(v, frame));
        } else {
          const src = this.eval(a.type === 'dictionary_splat' ? a.namedChildren[0] : a, frame);
          if (src.val.t === 'dict') {
            for (const [k, v] of src.val.entries) d.entries.set(k, v);
            d.nodes.push(...src.val.nodes);
          } else this.poisonDict(d, call.text);
        }
      }
    } else if (method === 'setdefault' && argNodes.length >= 1) {
      const k = this.eval(argNodes[0], frame);
      if (k.val.t === 'str') {
        if (!d.entries.has(k.val.v)) d.entries.set(k.val.v, argNodes[1] ? this.eval(argNodes[1], frame) : { val: NONE });
      } else this.poisonDict(d, call.text);
    } else if ((method === 'pop' || method === '__delitem__') && argNodes.length >= 1) {
      const k = this.eval(argNodes[0], frame);
      if (k.val.t === 'str') d.entries.delete(k.val.v);
    } else if (method === 'clear') {
      d.entries.clear();
    }
  }

  // ---- expressions --------------------------------------------------------------------------

  private lookup(name: string, frame: Frame): V | undefined {
    noteName(name);
    const local = frame.locals.get(name);
    if (local) return local;
    if (frame.depth > 0 || this.moduleScope !== frame.locals) {
      const m = this.module().get(name);
      if (m) return m;
    }
    if (this.functions.has(name)) return { val: { t: 'ref', name: `<file>.${name}` } };
    if (this.classes.has(name)) return { val: { t: 'ref', name: `<class>.${name}` } };
    return undefined;
  }

  eval(node: SyntaxNode, frame: Frame): V {
    if (this.nesting >= MAX_NESTING) return unknown(`an expression nested over ${MAX_NESTING} deep (CPython refuses more than 200 nested parentheses)`);
    this.nesting++;
    try {
      return this.evalNode(node, frame);
    } finally {
      this.nesting--;
    }
  }

  private evalNode(node: SyntaxNode, frame: Frame): V {
    this.tick();
    switch (node.type) {
      case 'integer': {
        const t = node.text.replace(/_/g, '').toLowerCase();
        const v = t.startsWith('0x') ? parseInt(t, 16) : t.startsWith('0o') ? parseInt(t.slice(2), 8) : t.startsWith('0b') ? parseInt(t.slice(2), 2) : Number(t);
        return { val: { t: 'num', v, int: true }, origin: { k: 'literal', node } };
      }
      case 'float':
        return { val: { t: 'num', v: Number(node.text.replace(/_/g, '')), int: false }, origin: { k: 'literal', node } };
      case 'true':
        return { val: { t: 'bool', v: true }, origin: { k: 'literal', node } };
      case 'false':
        return { val: { t: 'bool', v: false }, origin: { k: 'literal', node } };
      case 'none':
        return { val: NONE, origin: { k: 'literal', node } };
      case 'string':
        return this.evalString(node, frame);
      case 'concatenated_string': {
        const parts = node.namedChildren.map((c) => this.eval(c, frame));
        return this.concat(parts, node);
      }
      case 'parenthesized_expression':
        return node.namedChildren[0] ? this.eval(node.namedChildren[0], frame) : unknown('empty parentheses');
      case 'identifier': {
        const v = this.lookup(node.text, frame);
        if (v) return v;
        if (['int', 'float', 'bool', 'str', 'dict', 'getattr', 'len'].includes(node.text)) {
          return { val: { t: 'ref', name: `builtins.${node.text}` } };
        }
        return unknown(`'${node.text}' is not defined in this file`);
      }
      case 'attribute':
        return this.evalAttribute(node, frame);
      case 'subscript':
        return this.evalSubscript(node, frame);
      case 'call':
        return this.evalCall(node, frame);
      case 'await':
        return node.namedChildren[0] ? this.eval(node.namedChildren[0], frame) : unknown('await');
      case 'dictionary':
        return this.evalDict(node, frame);
      case 'unary_operator': {
        const arg = this.eval(node.childForFieldName('argument')!, frame);
        const op = node.childForFieldName('operator')?.text ?? node.child(0)?.text;
        if (arg.val.t === 'num') {
          const origin: Origin = arg.origin?.k === 'literal' ? { k: 'literal', node } : arg.origin ?? { k: 'literal', node };
          if (op === '-') return { val: { ...arg.val, v: -arg.val.v }, origin };
          if (op === '+') return { val: arg.val, origin };
        }
        return unknown(`cannot evaluate ${node.text}`);
      }
      case 'not_operator': {
        const t = truthy(this.eval(node.childForFieldName('argument')!, frame).val);
        return t === undefined ? unknown(`cannot evaluate ${node.text}`) : { val: { t: 'bool', v: !t } };
      }
      case 'boolean_operator': {
        const left = this.eval(node.childForFieldName('left')!, frame);
        const op = node.childForFieldName('operator')?.text ?? node.child(1)?.text;
        const lt = truthy(left.val);
        if (op === 'or') {
          if (lt === true) return left;
          const right = this.eval(node.childForFieldName('right')!, frame);
          if (lt === false) return right;
          return mergeV([left, right], `${node.text}`);
        }
        if (lt === false) return left;
        const right = this.eval(node.childForFieldName('right')!, frame);
        if (lt === true) return right;
        const rt = truthy(right.val);
        if (rt === false) return { val: { t: 'bool', v: false } };
        return unknown(`cannot evaluate ${node.text}`);
      }
      case 'conditional_expression': {
        const [a, cond, b] = node.namedChildren;
        const t = truthy(this.eval(cond, frame).val);
        if (t === true) return this.eval(a, frame);
        if (t === false) return this.eval(b, frame);
        return mergeV([this.eval(a, frame), this.eval(b, frame)], `condition ${cond.text}`);
      }
      case 'comparison_operator':
        return this.evalComparison(node, frame);
      case 'binary_operator':
        return this.evalBinary(node, frame);
      default:
        return unknown(`cannot evaluate ${node.type.replace(/_/g, ' ')}`);
    }
  }

  private evalString(node: SyntaxNode, frame: Frame): V {
    let out = '';
    let known = true;
    let prefix: string | undefined;
    const origins: Origin[] = [];
    const startTok = node.namedChildren.find((c) => c.type === 'string_start')?.text ?? '"';
    const raw = /r/i.test(startTok.replace(/["']/g, ''));
    for (const c of node.namedChildren) {
      if (c.type === 'string_content') {
        if (known) out += raw ? c.text : unescapePy(c.text);
      } else if (c.type === 'escape_sequence') {
        if (known) out += unescapePy(c.text);
      } else if (c.type === 'interpolation') {
        const e = c.childForFieldName('expression') ?? c.namedChildren[0];
        const v = e ? this.eval(e, frame) : unknown('empty interpolation');
        if (v.origin) origins.push(v.origin);
        const s = this.toStr(v.val);
        if (s === undefined) {
          if (known) prefix = out;
          known = false;
        } else if (known) out += s;
      }
    }
    if (!known) return { val: { t: 'unknown', reason: `f-string ${truncate(node.text)} has parts that are not known`, prefix: prefix || undefined }, origin: origins.length ? { k: 'derived', parts: origins } : undefined };
    return { val: { t: 'str', v: out }, origin: origins.length ? { k: 'derived', parts: origins } : { k: 'literal', node } };
  }

  private toStr(v: PyVal): string | undefined {
    switch (v.t) {
      case 'str':
        return v.v;
      case 'num':
        return v.int ? String(v.v) : pyFloatStr(v.v);
      case 'bool':
        return v.v ? 'True' : 'False';
      case 'none':
        return 'None';
      default:
        return undefined;
    }
  }

  private concat(parts: V[], node: SyntaxNode): V {
    let out = '';
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (p.val.t === 'str') out += p.val.v;
      else return unknown(`${truncate(node.text)} has parts that are not known`, out + (p.val.t === 'unknown' && p.val.prefix ? p.val.prefix : '') || undefined);
    }
    const origins = parts.map((p) => p.origin).filter((o): o is Origin => !!o && o.k !== 'literal');
    return { val: { t: 'str', v: out }, origin: origins.length ? { k: 'derived', parts: origins } : { k: 'literal', node } };
  }

  private evalDict(node: SyntaxNode, frame: Frame): V {
    const entries = new Map<string, V>();
    const nodes: SyntaxNode[] = [node];
    for (const c of node.namedChildren) {
      if (c.type === 'pair') {
        const k = this.eval(c.childForFieldName('key')!, frame);
        const v = this.eval(c.childForFieldName('value')!, frame);
        if (k.val.t === 'str') entries.set(k.val.v, v);
        else entries.set('*', unknown(`a key that is not known: ${c.childForFieldName('key')!.text}`));
      } else if (c.type === 'dictionary_splat') {
        const d = this.eval(c.namedChildren[0], frame);
        if (d.val.t === 'dict') for (const [k, v] of d.val.entries) entries.set(k, v);
        else entries.set('*', unknown(`keys from ${c.text} are not known`));
      }
    }
    return { val: { t: 'dict', entries, nodes }, origin: { k: 'literal', node } };
  }

  private evalAttribute(node: SyntaxNode, frame: Frame): V {
    const objNode = node.childForFieldName('object')!;
    const attr = node.childForFieldName('attribute')!.text;
    if (objNode.type === 'identifier' && objNode.text === 'self') {
      const v = frame.self?.get(attr);
      if (v) return v;
      if (frame.cls) {
        const m = this.method(frame.cls, attr);
        if (m) return { val: { t: 'ref', name: `<self>.${attr}` } };
        const ca = this.classAttr(frame.cls, attr);
        if (ca) return ca;
      }
      return unknown(`self.${attr} is not assigned where it can be followed`);
    }
    const obj = this.eval(objNode, frame);
    if (obj.val.t === 'dict' && obj.val.obj) {
      return obj.val.entries.get(attr) ?? unknown(`${obj.val.obj.name}.${attr} is not known`);
    }
    if (obj.val.t === 'ref') {
      if (obj.val.name.startsWith('<class>.')) {
        const cls = this.classes.get(obj.val.name.slice(8));
        const ca = cls && this.classAttr(cls, attr);
        if (ca) return ca;
      }
      if (!obj.val.name.startsWith('<') && !obj.val.name.startsWith('os') && !obj.val.name.startsWith('builtins.')) {
        const v = this.imported(obj.val.name, attr);
        if (v) return v;
      }
      return { val: { t: 'ref', name: `${obj.val.name}.${attr}` } };
    }
    return unknown(`${truncate(node.text)} is not known`);
  }

  private evalSubscript(node: SyntaxNode, frame: Frame): V {
    const valueNode = node.childForFieldName('value')!;
    const keyNode = node.childForFieldName('subscript') ?? node.namedChildren[1];
    const obj = this.eval(valueNode, frame);
    const key = keyNode ? this.eval(keyNode, frame) : unknown('no key');
    if (obj.val.t === 'ref' && obj.val.name === 'os.environ' && keyNode) {
      return this.envRead(key, undefined, node, true);
    }
    if (obj.val.t === 'dict' && key.val.t === 'str') {
      return obj.val.entries.get(key.val.v) ?? unknown(`key '${key.val.v}' is not in ${truncate(valueNode.text)}`);
    }
    return unknown(`${truncate(node.text)} is not known`);
  }

  private envRead(key: V, fallback: SyntaxNode | undefined, readNode: SyntaxNode, required: boolean, frame?: Frame): V {
    if (key.val.t !== 'str') return unknown(`environment variable name ${truncate(readNode.text)} is not known`);
    const name = key.val.v;
    const entry = this.env.get(name);
    const fb = fallback && frame ? this.eval(fallback, frame) : undefined;
    if (entry) {
      return { val: { t: 'str', v: entry.value }, origin: { k: 'env', name, entry, fallback: fb, readNode } };
    }
    if (fb) return { val: fb.val, origin: { k: 'env', name, fallback: fb, readNode } };
    if (required) return { val: { t: 'error', message: `${name} is not set in the ${this.env.name} profile: os.environ['${name}'] raises KeyError` }, origin: { k: 'env', name, readNode } };
    return { val: NONE, origin: { k: 'env', name, readNode } };
  }

  private keywordArgs(call: SyntaxNode, frame: Frame): Map<string, V> {
    const out = new Map<string, V>();
    for (const a of this.argNodes(call)) {
      const n = a.type === 'keyword_argument' ? a.childForFieldName('name')?.text : undefined;
      const v = a.childForFieldName('value');
      if (n && v) out.set(n, this.eval(v, frame));
    }
    return out;
  }

  private argNodes(call: SyntaxNode): SyntaxNode[] {
    return call.childForFieldName('arguments')?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
  }

  private evalCall(node: SyntaxNode, frame: Frame): V {
    const fnNode = node.childForFieldName('function')!;
    const args = this.argNodes(node);
    const positional = args.filter((a) => a.type !== 'keyword_argument' && a.type !== 'dictionary_splat' && a.type !== 'list_splat');
    const kw = (name: string) => args.find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === name)?.childForFieldName('value') ?? undefined;

    // method calls on known values
    if (fnNode.type === 'attribute') {
      const method = fnNode.childForFieldName('attribute')!.text;
      const objNode = fnNode.childForFieldName('object')!;
      if (objNode.type === 'identifier' && (objNode.text === 'self' || objNode.text === 'cls') && frame.cls) {
        const m = this.method(frame.cls, method);
        if (m) return this.callFunction(m, node.childForFieldName('arguments'), frame, frame.self, frame.cls);
      }
      const obj = this.eval(objNode, frame);
      if (obj.val.t === 'str') return this.strMethod(obj, method, positional.map((a) => this.eval(a, frame)), node);
      if (obj.val.t === 'unknown' && obj.val.prefix !== undefined && (method === 'startswith' || method === 'lower')) {
        return this.prefixMethod(obj, method, positional.map((a) => this.eval(a, frame)), node);
      }
      if (obj.val.t === 'dict') {
        if (method === 'get') {
          const k = positional[0] ? this.eval(positional[0], frame) : undefined;
          if (k?.val.t === 'str') {
            const hit = obj.val.entries.get(k.val.v);
            if (hit) return hit;
            if (obj.val.entries.has('*')) return unknown(`key '${k.val.v}' may be set in ${truncate(objNode.text)}`);
            return positional[1] ? this.eval(positional[1], frame) : { val: NONE };
          }
        }
        if (method === 'copy') return cloneV(obj);
      }
      if (obj.val.t === 'ref') {
        const q = `${obj.val.name}.${method}`;
        if (obj.val.name.startsWith('<class>.')) {
          const cls = this.classes.get(obj.val.name.slice(8));
          const m = cls && this.method(cls, method);
          if (m && cls) return this.callFunction(m, node.childForFieldName('arguments'), frame, undefined, cls);
        }
        return this.callRef(q, node, positional, kw, frame);
      }
      return unknown(`${truncate(node.text)} is not known`);
    }
    const callee = this.eval(fnNode, frame);
    if (callee.val.t === 'dict' && callee.val.obj?.instantiate) return callee.val.obj.instantiate(this.keywordArgs(node, frame));
    if (callee.val.t === 'ref' && callee.val.call) return this.argNodes(node).length === 0 ? callee.val.call() : unknown(`${truncate(node.text)}: a function of another module called with arguments is not followed`);
    if (callee.val.t === 'ref') {
      const name = callee.val.name;
      if (name.startsWith('<class>.')) {
        const cls = this.classes.get(name.slice(8));
        if (cls) return this.instantiate(cls, this.keywordArgs(node, frame));
      }
      if (name.startsWith('<file>.')) {
        const fn = this.functions.get(name.slice(7));
        if (fn) return this.callFunction(fn, node.childForFieldName('arguments'), frame);
      }
      return this.callRef(name, node, positional, kw, frame);
    }
    return unknown(`${truncate(node.text)} is not known`);
  }

  private callRef(name: string, node: SyntaxNode, positional: SyntaxNode[], kw: (n: string) => SyntaxNode | undefined, frame: Frame): V {
    switch (name) {
      case 'os.getenv':
      case 'os.environ.get':
      case 'os.getenvb': {
        const key = positional[0] ? this.eval(positional[0], frame) : kw('key') ? this.eval(kw('key')!, frame) : unknown('no key');
        return this.envRead(key, positional[1] ?? kw('default'), node, false, frame);
      }
      case 'builtins.int':
      case 'builtins.float':
      case 'builtins.bool':
      case 'builtins.str': {
        const conv = name.slice(9);
        if (!positional[0]) {
          return { val: conv === 'str' ? { t: 'str', v: '' } : conv === 'bool' ? { t: 'bool', v: false } : { t: 'num', v: 0, int: conv === 'int' } };
        }
        const v = this.eval(positional[0], frame);
        return this.convert(conv, v, node);
      }
      case 'builtins.dict': {
        const entries = new Map<string, V>();
        for (const a of this.argNodes(node)) {
          if (a.type === 'keyword_argument') {
            const n = a.childForFieldName('name')?.text;
            const val = a.childForFieldName('value');
            if (n && val) entries.set(n, this.eval(val, frame));
          } else {
            const d = this.eval(a.type === 'dictionary_splat' ? a.namedChildren[0] : a, frame);
            if (d.val.t === 'dict') for (const [k, val] of d.val.entries) entries.set(k, val);
            else entries.set('*', unknown(`keys of ${truncate(a.text)} are not known`));
          }
        }
        return { val: { t: 'dict', entries, nodes: [] } };
      }
      case 'dj_database_url.config':
      case 'dj_database_url.parse': {
        // dj_database_url (jazzband/dj-database-url dj_database_url/__init__.py): config() reads
        // os.environ[env] (DATABASE_URL) with `default`, then parse() turns the URL into a DATABASES entry
        const arg = (i: number, k: string) => (positional[i] ? this.eval(positional[i], frame) : kw(k) ? this.eval(kw(k)!, frame) : undefined);
        let url: V;
        if (name.endsWith('.config')) {
          const envName = arg(0, 'env') ?? { val: { t: 'str', v: 'DATABASE_URL' } };
          url = this.envRead(envName, positional[1] ?? kw('default'), node, false, frame);
        } else url = arg(0, 'url') ?? unknown('parse() without a URL');
        const engine = name.endsWith('.config') ? arg(2, 'engine') : arg(1, 'engine');
        // only what the call passes: parse()'s own defaults (conn_max_age=0, conn_health_checks=False) are Django's
        const cma = name.endsWith('.config') ? arg(3, 'conn_max_age') : arg(2, 'conn_max_age');
        const chc = name.endsWith('.config') ? arg(4, 'conn_health_checks') : arg(3, 'conn_health_checks');
        return this.databaseDict(url, engine, cma, chc, node);
      }
      // django-environ: env = environ.Env(); env("X"), env.int/bool/str("X", default=...), env.db("DATABASE_URL")
      case 'environ.Env':
        return { val: { t: 'ref', name: '<environ.Env>' } };
      case '<environ.Env>':
      case '<environ.Env>.str':
      case '<environ.Env>.int':
      case '<environ.Env>.float':
      case '<environ.Env>.bool':
      case '<environ.Env>.db':
      case '<environ.Env>.db_url': {
        const kind = name === '<environ.Env>' ? 'str' : name.slice(name.lastIndexOf('.') + 1);
        const isDb = kind === 'db' || kind === 'db_url';
        const varV = positional[0] ? this.eval(positional[0], frame) : kw('var') ? this.eval(kw('var')!, frame) : isDb ? { val: { t: 'str' as const, v: 'DATABASE_URL' } } : unknown('no variable name');
        const dflt = positional[1] ?? kw('default');
        let v = this.envRead(varV, dflt, node, !dflt, frame);
        if (v.val.t === 'error' && varV.val.t === 'str') v = { val: { t: 'error', message: `${varV.val.v} is not set in the ${this.env.name} profile: ${truncate(node.text, 40)} raises ImproperlyConfigured` }, origin: v.origin };
        // env.db() takes no conn_max_age: a fix cannot add keys to this call, so it offers no place to
        if (isDb) return this.databaseDict(v, kw('engine') ? this.eval(kw('engine')!, frame) : undefined, undefined, undefined, node, false);
        if (v.val.t !== 'str' || !v.origin || v.origin.k !== 'env' || !v.origin.entry) return v; // the default, as written
        if (kind === 'bool') return { val: { t: 'bool', v: ['true', 'on', 'ok', 'y', 'yes', '1'].includes(v.val.v.trim().toLowerCase()) }, origin: v.origin };
        if (kind === 'int' || kind === 'float') return this.convert(kind, v, node);
        return v;
      }
      // sqlalchemy.engine.url.make_url(s) parses the string into a URL object that create_engine
      // takes as it takes the string: the string stands for it (a URL object is returned as is)
      case 'sqlalchemy.make_url':
      case 'sqlalchemy.engine.make_url':
      case 'sqlalchemy.engine.url.make_url':
        return positional[0] ? this.eval(positional[0], frame) : kw('name_or_url') ? this.eval(kw('name_or_url')!, frame) : unknown('make_url() without a URL');
      // starlette (encode/starlette starlette/config.py): config = Config(".env"); config("X",
      // cast=int, default=20) reads os.environ, then the env file, then the default; the value
      // found, the default included, goes through cast (bool: "true"/"1"/"false"/"0" only)
      case 'starlette.config.Config':
        return { val: { t: 'ref', name: '<starlette.Config>' } };
      case '<starlette.Config>': {
        const key = positional[0] ? this.eval(positional[0], frame) : kw('key') ? this.eval(kw('key')!, frame) : unknown('no key');
        const castNode = positional[1] ?? kw('cast');
        const dflt = positional[2] ?? kw('default');
        const v = this.envRead(key, dflt, node, !dflt, frame);
        if (v.val.t === 'error' && key.val.t === 'str') return { val: { t: 'error', message: `${key.val.v} is not set in the ${this.env.name} profile: ${truncate(node.text, 40)} raises KeyError (Config '${key.val.v}' is missing, and has no default.)` }, origin: v.origin };
        if (!castNode || v.val.t === 'none') return v;
        const cast = this.eval(castNode, frame);
        const conv = cast.val.t === 'ref' && /^builtins\.(int|float|bool|str)$/.test(cast.val.name) ? cast.val.name.slice(9) : undefined;
        if (!conv) return unknown(`${truncate(node.text)}: cast ${truncate(castNode.text)} is not followed`);
        if (conv === 'bool' && v.val.t === 'str') {
          const b = ({ true: true, '1': true, false: false, '0': false } as Record<string, boolean>)[v.val.v.toLowerCase()];
          if (b === undefined) return { val: { t: 'error', message: `${truncate(node.text, 40)} raises ValueError: Config '${key.val.t === 'str' ? key.val.v : '?'}' has value ${showPy(v.val.v)}. Not a valid bool.` }, origin: v.origin };
          return { val: { t: 'bool', v: b }, origin: v.origin?.k === 'env' ? { ...v.origin, conversion: 'bool' } : v.origin };
        }
        return this.convert(conv, v, node);
      }
      default:
        return unknown(`the result of ${truncate(node.text)} is not known`);
    }
  }

  /** A DATABASES entry from a database URL, as dj_database_url.parse and django-environ's db_url build it. */
  private databaseDict(url: V, engine: V | undefined, cma: V | undefined, chc: V | undefined, node: SyntaxNode, takesKeywords = true): V {
    const entries = new Map<string, V>();
    entries.set('@url', url);
    const u = url.val;
    const text = u.t === 'str' ? u.v : u.t === 'unknown' ? u.prefix : undefined;
    const scheme = text !== undefined ? /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase() : undefined;
    const schemes: Record<string, string> = { postgres: 'postgresql', postgresql: 'postgresql', pgsql: 'postgresql', psql: 'postgresql', postgis: 'postgis', mysql: 'mysql', mysql2: 'mysql', mysqlgis: 'mysql', sqlite: 'sqlite3', spatialite: 'spatialite', oracle: 'oracle' };
    if (engine) entries.set('ENGINE', engine);
    else if (scheme && schemes[scheme]) {
      const backend = schemes[scheme] === 'postgis' || schemes[scheme] === 'spatialite' ? `django.contrib.gis.db.backends.${schemes[scheme]}` : `django.db.backends.${schemes[scheme]}`;
      entries.set('ENGINE', { val: { t: 'str', v: backend }, origin: url.origin });
    } else if (u.t === 'none') return { val: { t: 'dict', entries, nodes: [] }, origin: url.origin };
    else entries.set('ENGINE', unknown(`the database URL ${truncate(node.text)} is not known`));
    if (scheme === 'sqlite' && text !== undefined) entries.set('NAME', { val: { t: 'str', v: text.replace(/^sqlite:\/\/\/?/i, '') || ':memory:' }, origin: url.origin });
    if (cma) entries.set('CONN_MAX_AGE', cma);
    if (chc) entries.set('CONN_HEALTH_CHECKS', chc);
    const args = node.childForFieldName('arguments');
    return { val: { t: 'dict', entries, nodes: args && takesKeywords ? [args] : [] } };
  }

  /** int()/float()/bool()/str() with Python's semantics, keeping the value's origin. */
  private convert(conv: string, v: V, node: SyntaxNode): V {
    const origin: Origin | undefined = v.origin?.k === 'env' ? { ...v.origin, conversion: conv } : v.origin;
    const val = v.val;
    if (val.t === 'unknown' || val.t === 'error') return { val, origin };
    if (conv === 'str') {
      const s = this.toStr(val);
      return s === undefined ? unknown(`str(${truncate(node.text)})`) : { val: { t: 'str', v: s }, origin };
    }
    if (conv === 'bool') {
      const t = truthy(val);
      return t === undefined ? unknown(`bool(${truncate(node.text)})`) : { val: { t: 'bool', v: t }, origin };
    }
    if (val.t === 'num') return { val: { t: 'num', v: conv === 'int' ? Math.trunc(val.v) : val.v, int: conv === 'int' }, origin };
    if (val.t === 'bool') return { val: { t: 'num', v: val.v ? 1 : 0, int: conv === 'int' }, origin };
    if (val.t === 'str') {
      const s = val.v.trim().replace(/(?<=\d)_(?=\d)/g, '');
      if (conv === 'int') {
        // CPython 3.11+ refuses more than 4300 digits (sys.get_int_max_str_digits())
        if (/^[+-]?\d{4301,}$/.test(s)) return { val: { t: 'error', message: `int() of a ${s.replace(/^[+-]/, '').length}-digit string raises ValueError: Exceeds the limit (4300 digits) for integer string conversion` }, origin };
        if (/^[+-]?\d+$/.test(s)) return { val: { t: 'num', v: parseInt(s, 10), int: true }, origin };
        return { val: { t: 'error', message: `int(${showPy(val.v)}) raises ValueError: invalid literal for int() with base 10` }, origin };
      }
      if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return { val: { t: 'num', v: parseFloat(s), int: false }, origin };
      if (/^[+-]?(inf|infinity)$/i.test(s)) return { val: { t: 'num', v: s.startsWith('-') ? -Infinity : Infinity, int: false }, origin };
      return { val: { t: 'error', message: `float(${showPy(val.v)}) raises ValueError: could not convert string to float` }, origin };
    }
    if (val.t === 'none') return { val: { t: 'error', message: `${conv}(None) raises TypeError` }, origin };
    return unknown(`${conv}(${truncate(node.text)})`);
  }

  private strMethod(obj: V, method: string, args: V[], node: SyntaxNode): V {
    const s = (obj.val as { v: string }).v;
    const origin = obj.origin;
    const argStrs = (a: V | undefined): string[] | undefined => {
      if (!a) return undefined;
      if (a.val.t === 'str') return [a.val.v];
      return undefined;
    };
    switch (method) {
      case 'lower':
        return { val: { t: 'str', v: s.toLowerCase() }, origin };
      case 'upper':
        return { val: { t: 'str', v: s.toUpperCase() }, origin };
      case 'strip':
        return { val: { t: 'str', v: s.trim() }, origin };
      case 'startswith':
      case 'endswith': {
        const needles = argStrs(args[0]) ?? this.tupleStrs(node);
        if (!needles) return unknown(`${truncate(node.text)}`);
        const hit = needles.some((n) => (method === 'startswith' ? s.startsWith(n) : s.endsWith(n)));
        return { val: { t: 'bool', v: hit } };
      }
      case 'format':
        return this.strFormat(s, args, node);
      case 'replace': {
        const [a, b] = [argStrs(args[0]), argStrs(args[1])];
        if (a && b) return { val: { t: 'str', v: s.split(a[0]).join(b[0]) }, origin };
        return unknown(`${truncate(node.text)}`);
      }
      default:
        return unknown(`${truncate(node.text)} is not followed`);
    }
  }

  /** str.format with positional and keyword arguments; unknown ones keep the known beginning. */
  private strFormat(template: string, positional: V[], node: SyntaxNode): V {
    // named fields ({user}) are not followed: they end the known beginning
    let out = '';
    let auto = 0;
    const re = /\{\{|\}\}|\{([^{}]*)\}/g;
    let last = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(template)) !== null) {
      out += template.slice(last, m.index);
      last = m.index + m[0].length;
      if (m[0] === '{{' || m[0] === '}}') {
        out += m[0][0];
        continue;
      }
      const field = m[1].split(/[!:]/)[0];
      const v = field === '' ? positional[auto++] : /^\d+$/.test(field) ? positional[Number(field)] : undefined;
      const str = v ? this.toStr(v.val) : undefined;
      if (str === undefined) return unknown(`${truncate(node.text)} has parts that are not known`, out || undefined);
      out += str;
    }
    out += template.slice(last);
    return { val: { t: 'str', v: out } };
  }

  /** startswith on a string whose beginning alone is known (an f-string URL, say). */
  private prefixMethod(obj: V, method: string, args: V[], node: SyntaxNode): V {
    const prefix = (obj.val as { prefix: string }).prefix;
    if (method === 'lower') return { val: { t: 'unknown', reason: (obj.val as { reason: string }).reason, prefix: prefix.toLowerCase() }, origin: obj.origin };
    const needles = args[0]?.val.t === 'str' ? [args[0].val.v] : this.tupleStrs(node);
    if (!needles) return unknown(`${truncate(node.text)}`);
    if (needles.some((n) => prefix.startsWith(n))) return { val: { t: 'bool', v: true } };
    if (needles.every((n) => !n.startsWith(prefix) && !prefix.startsWith(n.slice(0, prefix.length)))) return { val: { t: 'bool', v: false } };
    return unknown(`${truncate(node.text)}`);
  }

  private tupleStrs(call: SyntaxNode): string[] | undefined {
    const first = this.argNodes(call)[0];
    if (first?.type !== 'tuple') return undefined;
    const out: string[] = [];
    for (const c of first.namedChildren) {
      if (c.type !== 'string') return undefined;
      const s = c.namedChildren.filter((x) => x.type === 'string_content').map((x) => x.text).join('');
      out.push(s);
    }
    return out;
  }

  private evalComparison(node: SyntaxNode, frame: Frame): V {
    const operands = node.namedChildren;
    const ops: string[] = [];
    for (let i = 0; i < node.childCount; i++) {
      const c = node.child(i)!;
      if (!c.isNamed) ops.push(c.text);
    }
    // merge two-token operators: 'not' 'in' and 'is' 'not'
    const merged: string[] = [];
    for (let i = 0; i < ops.length; i++) {
      if (ops[i] === 'not' && ops[i + 1] === 'in') {
        merged.push('not in');
        i++;
      } else if (ops[i] === 'is' && ops[i + 1] === 'not') {
        merged.push('is not');
        i++;
      } else merged.push(ops[i]);
    }
    let result = true;
    let left = this.eval(operands[0], frame);
    for (let i = 0; i < merged.length && i + 1 < operands.length; i++) {
      const right = this.eval(operands[i + 1], frame);
      const r = compare(merged[i], left.val, right.val);
      if (r === undefined) return unknown(`cannot evaluate ${truncate(node.text)}`);
      result = result && r;
      left = right;
    }
    return { val: { t: 'bool', v: result } };
  }

  private evalBinary(node: SyntaxNode, frame: Frame): V {
    const l = this.eval(node.childForFieldName('left')!, frame);
    const r = this.eval(node.childForFieldName('right')!, frame);
    const op = node.childForFieldName('operator')?.text ?? node.child(1)?.text;
    if (l.val.t === 'num' && r.val.t === 'num') {
      const a = l.val.v;
      const b = r.val.v;
      const int = l.val.int && r.val.int;
      switch (op) {
        case '+':
          return { val: { t: 'num', v: a + b, int } };
        case '-':
          return { val: { t: 'num', v: a - b, int } };
        case '*':
          return { val: { t: 'num', v: a * b, int } };
        case '/':
          return b === 0 ? unknown('division by zero') : { val: { t: 'num', v: a / b, int: false } };
        case '//':
          return b === 0 ? unknown('division by zero') : { val: { t: 'num', v: Math.floor(a / b), int } };
        case '%':
          return b === 0 ? unknown('division by zero') : { val: { t: 'num', v: a - b * Math.floor(a / b), int } };
      }
    }
    if (op === '+' && (l.val.t === 'str' || r.val.t === 'str')) return this.concat([l, r], node);
    // 'mysql://' + a() + b(): the beginning is still known
    if (op === '+' && l.val.t === 'unknown' && l.val.prefix) return unknown(`${truncate(node.text)} has parts that are not known`, l.val.prefix);
    if (op === '%' && l.val.t === 'str') return unknown(`${truncate(node.text)} is formatted at run time`);
    return unknown(`cannot evaluate ${truncate(node.text)}`);
  }
}

function compare(op: string, a: PyVal, b: PyVal): boolean | undefined {
  if (a.t === 'unknown' || b.t === 'unknown' || a.t === 'error' || b.t === 'error') {
    // a string known by its beginning can still be told apart from a literal
    if ((op === '==' || op === '!=') && a.t === 'unknown' && a.prefix && b.t === 'str' && !b.v.startsWith(a.prefix)) return op === '!=';
    return undefined;
  }
  switch (op) {
    case '==':
      return sameVal(a, b) || numEq(a, b);
    case '!=':
      return !(sameVal(a, b) || numEq(a, b));
    case 'is':
      return a.t === 'none' && b.t === 'none' ? true : a.t === 'none' || b.t === 'none' ? false : undefined;
    case 'is not':
      return a.t === 'none' && b.t === 'none' ? false : a.t === 'none' || b.t === 'none' ? true : undefined;
    case 'in':
    case 'not in': {
      let r: boolean | undefined;
      if (b.t === 'str' && a.t === 'str') r = b.v.includes(a.v);
      else if (b.t === 'dict' && a.t === 'str') r = b.entries.has(a.v);
      if (r === undefined) return undefined;
      return op === 'in' ? r : !r;
    }
    case '<':
    case '>':
    case '<=':
    case '>=': {
      if (a.t !== 'num' || b.t !== 'num') return undefined;
      return op === '<' ? a.v < b.v : op === '>' ? a.v > b.v : op === '<=' ? a.v <= b.v : a.v >= b.v;
    }
  }
  return undefined;
}

function numEq(a: PyVal, b: PyVal): boolean {
  const n = (v: PyVal) => (v.t === 'num' ? v.v : v.t === 'bool' ? (v.v ? 1 : 0) : undefined);
  const x = n(a);
  const y = n(b);
  return x !== undefined && y !== undefined && x === y;
}

function unescapePy(s: string): string {
  return s.replace(/\\(n|t|r|\\|'|"|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|\n)/g, (_m, e: string) => {
    switch (e[0]) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'x':
      case 'u':
        return String.fromCharCode(parseInt(e.slice(1), 16));
      case '\n':
        return '';
      default:
        return e;
    }
  });
}

function pyFloatStr(v: number): string {
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

function showPy(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function truncate(s: string, n = 60): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}


/** Pydantic's lax conversion of an environment string to a field's annotated type. */
function convertSetting(annotation: string, raw: string, field: string): PyVal {
  const t = annotation.replace(/\s+/g, '').replace(/^Optional\[(.*)\]$/, '$1').replace(/^Annotated\[([^,\]]+).*\]$/, '$1').replace(/\|None$|^None\|/, '');
  const s = raw.trim();
  if (/^(int|PositiveInt|NonNegativeInt|conint\(.*\))$/.test(t)) {
    if (/^[+-]?\d+$/.test(s.replace(/_/g, ''))) return { t: 'num', v: parseInt(s.replace(/_/g, ''), 10), int: true };
    return { t: 'error', message: `${field}: '${raw}' is not a valid integer; the settings class raises ValidationError at start-up` };
  }
  if (/^(float|PositiveFloat|NonNegativeFloat)$/.test(t)) {
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return { t: 'num', v: parseFloat(s), int: false };
    return { t: 'error', message: `${field}: '${raw}' is not a valid number; the settings class raises ValidationError at start-up` };
  }
  if (t === 'bool') {
    const w = s.toLowerCase();
    if (['1', 'on', 't', 'true', 'y', 'yes'].includes(w)) return { t: 'bool', v: true };
    if (['0', 'off', 'f', 'false', 'n', 'no'].includes(w)) return { t: 'bool', v: false };
    return { t: 'error', message: `${field}: '${raw}' is not a valid boolean; the settings class raises ValidationError at start-up` };
  }
  if (annotation.includes('None') && s === '') return { t: 'none' };
  return { t: 'str', v: raw };
}
