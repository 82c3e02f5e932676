// Imports between the workspace's own Python modules: `from app.config import DATABASE_URL` or
// `from .settings import POOL_SIZE` is followed into that file and evaluated under the same
// environment profile. Modules are parsed once per check; cycles end in "unknown".
import * as path from 'path';
import { parseSync, LineIndex, registerSource, type Tree } from '../syntax';
import type { ReadFile, ProfileEnv } from '../envfiles';
import { isInside } from '../envfiles';
import { PyEvaluator, type ModuleLoader } from './evaluator';
import type { V } from './values';

export class PythonModules implements ModuleLoader {
  private readonly trees: Map<string, Tree | null>;
  private readonly ownsTrees: boolean;
  private readonly evaluators = new Map<string, PyEvaluator>();
  private readonly loading = new Set<string>();

  /**
   * `trees` lets a long-lived workspace share parsed modules between the files that import them
   * (it deletes a module's tree when that module changes); evaluations stay per instance.
   */
  constructor(
    private readonly root: string,
    private readonly read: ReadFile,
    trees?: Map<string, Tree | null>,
  ) {
    this.trees = trees ?? new Map();
    this.ownsTrees = trees === undefined;
  }

  /** The workspace file a module name refers to, seen from `fromFile`. */
  resolve(fromFile: string, module: string): string | undefined {
    const dots = /^\.*/.exec(module)![0].length;
    const parts = module.slice(dots).split('.').filter(Boolean);
    const bases: string[] = [];
    if (dots > 0) {
      let base = path.dirname(fromFile);
      for (let i = 1; i < dots; i++) base = path.dirname(base);
      bases.push(base);
    } else {
      // absolute imports: the root, and every folder from the importing file up (src layouts)
      for (let d = path.dirname(fromFile); isInside(d, this.root); d = path.dirname(d)) {
        bases.push(d);
        if (d === path.dirname(d)) break;
      }
    }
    for (const base of bases) {
      const stem = path.join(base, ...parts);
      for (const candidate of parts.length ? [`${stem}.py`, path.join(stem, '__init__.py')] : [path.join(stem, '__init__.py')]) {
        if (isInside(candidate, this.root) && this.read(candidate) !== undefined) return candidate;
      }
    }
    return undefined;
  }

  private tree(file: string): Tree | null {
    if (!this.trees.has(file)) {
      const text = this.read(file);
      const tree = text === undefined ? undefined : parseSync('python', text);
      if (tree && text !== undefined) registerSource(tree, file, new LineIndex(text));
      this.trees.set(file, tree ?? null);
    }
    return this.trees.get(file) ?? null;
  }

  /** A workspace Python file's tree (parsed once, registered for spans), for detectors that read settings spread over modules. */
  parsed(file: string): Tree | undefined {
    return this.tree(file) ?? undefined;
  }

  /** The value `name` has at the end of `module`, or undefined when it cannot be known. */
  value(fromFile: string, module: string, name: string, env: ProfileEnv): V | undefined {
    const file = this.resolve(fromFile, module);
    if (!file || file === fromFile) return undefined;
    const key = `${file}\u0000${env.name}\u0000${env.files.map((f) => f.file).join('|')}`;
    if (this.loading.has(key)) return undefined; // an import cycle
    const tree = this.tree(file);
    if (!tree) return undefined;
    let ev = this.evaluators.get(key);
    if (!ev) {
      ev = new PyEvaluator(tree.rootNode, env, { file, loader: this });
      this.evaluators.set(key, ev);
    }
    this.loading.add(key);
    try {
      return ev.exported(name);
    } finally {
      this.loading.delete(key);
    }
  }

  all(fromFile: string, module: string, env: ProfileEnv): Map<string, V> | undefined {
    const file = this.resolve(fromFile, module);
    if (!file || file === fromFile) return undefined;
    const key = `${file}\u0000${env.name}\u0000${env.files.map((f) => f.file).join('|')}`;
    if (this.loading.has(key)) return undefined;
    const tree = this.tree(file);
    if (!tree) return undefined;
    let ev = this.evaluators.get(key);
    if (!ev) {
      ev = new PyEvaluator(tree.rootNode, env, { file, loader: this });
      this.evaluators.set(key, ev);
    }
    this.loading.add(key);
    try {
      return ev.exportedAll();
    } finally {
      this.loading.delete(key);
    }
  }

  dispose(): void {
    if (this.ownsTrees) {
      for (const t of this.trees.values()) t?.delete();
      this.trees.clear();
    }
    this.evaluators.clear();
  }
}
