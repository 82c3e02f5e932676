// A small abstract interpreter for one Python file: it follows assignments, dict mutations,
// same-file function and method calls, `if` branches (known conditions pick a branch, unknown ones
// merge), os.getenv/os.environ reads against one environment profile, and int/float/bool/str.
// It never runs user code; it has a step budget and a call-depth limit so it always ends.
import { checkDeadline } from '../deadline';
import type { SyntaxNode } from '../syntax';
import type { ProfileEnv } from '../envfiles';
import { V, PyVal, Origin, unknown, truthy, mergeV, cloneV, NONE, sameVal } from './values';

const MAX_DEPTH = 6;
const MAX_STEPS = 20000;

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

function contains(outer: SyntaxNode, inner: SyntaxNode): boolean {
  return outer.startIndex <= inner.startIndex && inner.endIndex <= outer.endIndex;
}

/** Follows `from x import y` into the workspace's own modules. */
export interface ModuleLoader {
  value(fromFile: string, module: string, name: string, env: ProfileEnv): V | undefined;
}

/** Evaluates expressions of one file under one environment profile. */
export class PyEvaluator {
  private steps = 0;
  private moduleScope: Scope | undefined;
  private readonly functions = new Map<string, SyntaxNode>();
  private readonly classes = new Map<string, SyntaxNode>();
  private readonly file?: string;
  private readonly loader?: ModuleLoader;

  constructor(readonly root: SyntaxNode, readonly env: ProfileEnv, opts: { file?: string; loader?: ModuleLoader } = {}) {
    this.file = opts.file;
    this.loader = opts.loader;
    for (const stmt of root.namedChildren) {
      const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
      if (!def) continue;
      const name = def.childForFieldName('name')?.text;
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
      if (!v || (v.val.t === 'ref' && v.val.name.startsWith('<'))) return undefined;
      return v;
    } catch (e) {
      if (e instanceof BudgetExceeded) return undefined;
      throw e;
    }
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
    const body = cls.childForFieldName('body');
    if (!body) return undefined;
    const frame: Frame = { locals: new Map(), depth: 1 };
    for (const stmt of body.namedChildren) {
      if (stmt.type === 'expression_statement') this.execStatement(stmt, frame);
    }
    return frame.locals.get(name);
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
        const name = def?.childForFieldName('name')?.text;
        if (name && def) {
          const top = def.type === 'function_definition' ? this.functions.get(name) === def : this.classes.get(name) === def;
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
    if (callee.val.t === 'ref') {
      const name = callee.val.name;
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
      default:
        return unknown(`the result of ${truncate(node.text)} is not known`);
    }
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

