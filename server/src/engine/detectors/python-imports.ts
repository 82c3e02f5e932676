// Which local names of a Python file mean a library's constructor: `from asyncpg import create_pool`,
// `from psycopg_pool import ConnectionPool as Pool`, `import asyncpg` + `asyncpg.create_pool`,
// `import psycopg_pool as pp` + `pp.ConnectionPool`. Shared by the call-based Python detectors.
import type { SyntaxNode } from '../syntax';

export interface ImportedNames {
  /** local name -> constructor name */
  direct: Map<string, string>;
  /** local module alias -> module */
  modules: Map<string, string>;
}

export function importedNames(root: SyntaxNode, modules: string[], names: Set<string>): ImportedNames {
  const direct = new Map<string, string>();
  const mods = new Map<string, string>();
  for (const imp of root.descendantsOfType('import_from_statement')) {
    const mod = imp.childForFieldName('module_name')?.text ?? '';
    if (!modules.includes(mod)) continue;
    for (const n of imp.childrenForFieldName('name')) {
      const name = n.type === 'aliased_import' ? n.childForFieldName('name')?.text : n.text;
      const alias = n.type === 'aliased_import' ? n.childForFieldName('alias')?.text : n.text;
      if (name && alias && names.has(name)) direct.set(alias, name);
    }
  }
  for (const imp of root.descendantsOfType('import_statement')) {
    for (const n of imp.childrenForFieldName('name')) {
      const name = n.type === 'aliased_import' ? n.childForFieldName('name')?.text : n.text;
      const alias = n.type === 'aliased_import' ? n.childForFieldName('alias')?.text : n.text;
      if (name && alias && modules.includes(name)) mods.set(alias, name);
    }
  }
  return { direct, modules: mods };
}

/** The constructor a call names (`create_pool`, `ConnectionPool`), or undefined. */
export function calleeOf(call: SyntaxNode, imp: ImportedNames, names: Set<string>): string | undefined {
  const fn = call.childForFieldName('function');
  if (!fn) return undefined;
  if (fn.type === 'identifier') return imp.direct.get(fn.text);
  if (fn.type === 'attribute') {
    const attr = fn.childForFieldName('attribute')?.text ?? '';
    const obj = fn.childForFieldName('object')?.text ?? '';
    if (names.has(attr) && (imp.modules.has(obj) || [...imp.modules.keys()].some((m) => obj.startsWith(`${m}.`)))) return attr;
  }
  return undefined;
}

/** The constructor calls of a file, each with the name it resolves to. */
export function constructorCalls(root: SyntaxNode, modules: string[], names: string[]): { call: SyntaxNode; name: string }[] {
  const set = new Set(names);
  const imp = importedNames(root, modules, set);
  if (imp.direct.size === 0 && imp.modules.size === 0) return [];
  const out: { call: SyntaxNode; name: string }[] = [];
  for (const call of root.descendantsOfType('call')) {
    const name = calleeOf(call, imp, set);
    if (name) out.push({ call, name });
  }
  return out;
}
