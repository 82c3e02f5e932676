// Applies every fix of a check, pass after pass (as ESLint does), until nothing changes: fixes that
// overlap in one pass are applied in the next, on the re-checked text.
import * as path from 'path';
import { check, type CheckOptions, type CheckResult } from './index';
import { applyEdits } from './fixes';
import type { Finding, TextEdit } from './model';
import { readText } from './workspace';

export const MAX_FIX_PASSES = 10;

export interface FixAllResult {
  result: CheckResult;
  applied: number;
  files: string[];
  passes: number;
}

export async function fixAll(opts: CheckOptions, write: (file: string, text: string) => void): Promise<FixAllResult> {
  const changed = new Map<string, string>();
  const base = opts.read ?? readText;
  const current = (file: string) => (changed.has(file) ? changed.get(file) : base(file));
  const recheck = () => check({ ...opts, read: current });
  let applied = 0;
  let passes = 0;
  let result = await recheck();
  while (passes < MAX_FIX_PASSES) {
    passes++;
    const fixes = result.findings.filter((f): f is Finding & { fix: NonNullable<Finding['fix']> } => !!f.fix);
    if (fixes.length === 0) break;
    // severest first, so a size raise goes in before the same literal is moved to the env
    const rank = { error: 0, warning: 1, info: 2 } as const;
    fixes.sort((a, b) => rank[a.severity] - rank[b.severity]);
    const taken: TextEdit[] = [];
    let n = 0;
    for (const f of fixes) {
      const overlaps = f.fix.edits.some((e) => taken.some((t) => t.file === e.file && (e.start < t.end && t.start < e.end || e.start === t.start)));
      if (overlaps) continue;
      taken.push(...f.fix.edits);
      n++;
    }
    const byFile = new Map<string, TextEdit[]>();
    for (const e of taken) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
    for (const [file, edits] of byFile) {
      const before = current(file) ?? '';
      const after = applyEdits(before, edits).text;
      if (after !== before) changed.set(file, after);
    }
    applied += n;
    result = await recheck();
  }
  for (const [file, text] of changed) write(file, text);
  return { result, applied, files: [...changed.keys()].map((f) => path.resolve(f)), passes };
}
