// Fixture cases: test/fixtures/<rule-id>/<case>/{input/, expected.json, fixed/}.
import * as fs from 'fs';
import * as path from 'path';
import { check, type CheckResult } from '../../server/src/engine';
import { fixAll } from '../../server/src/engine/fixall';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES = path.join(REPO, 'test', 'fixtures');

export interface ExpectedFinding {
  rule: string;
  severity: string;
  file: string;
  line: number;
  column: number;
  profile: string | null;
  /** How an editor renders the flagged text ('unnecessary': faded, 'deprecated': struck through). */
  tags?: string[];
  /** Substrings the message must contain (values and where they came from). */
  messageIncludes?: string[];
}

export interface Expected {
  findings: ExpectedFinding[];
  /** Optional checks of the pool model: file:line -> profile -> setting -> [value, source]. */
  pools?: { file: string; line: number; database?: Record<string, string>; settings?: Record<string, Record<string, [unknown, string]>> }[];
  problems?: { file: string; line?: number; messageIncludes: string }[];
}

export interface Case {
  rule: string;
  name: string;
  dir: string;
  input: string;
  expected: Expected;
  fixed?: string;
}

export function cases(): Case[] {
  const out: Case[] = [];
  for (const rule of fs.readdirSync(FIXTURES).sort()) {
    const rdir = path.join(FIXTURES, rule);
    if (!fs.statSync(rdir).isDirectory()) continue;
    for (const name of fs.readdirSync(rdir).sort()) {
      const dir = path.join(rdir, name);
      const expectedFile = path.join(dir, 'expected.json');
      if (!fs.existsSync(expectedFile)) throw new Error(`fixture ${rule}/${name} has no expected.json`);
      const fixed = path.join(dir, 'fixed');
      out.push({ rule, name, dir, input: path.join(dir, 'input'), expected: JSON.parse(fs.readFileSync(expectedFile, 'utf8')) as Expected, fixed: fs.existsSync(fixed) ? fixed : undefined });
    }
  }
  return out;
}

export function relTo(root: string) {
  return (f: string) => path.relative(root, f).split(path.sep).join('/');
}

export async function run(input: string, profile?: string): Promise<CheckResult> {
  return check({ root: input, rel: relTo(input), profile });
}

export function actualFindings(result: CheckResult, root: string): ExpectedFinding[] {
  const rel = relTo(root);
  return result.findings.map((f) => ({ rule: f.rule, severity: f.severity, file: rel(f.span.file), line: f.span.line + 1, column: f.span.column + 1, profile: f.profile, ...(f.tags ? { tags: f.tags } : {}) }));
}

export function copyTree(src: string, dst: string): void {
  fs.cpSync(src, dst, { recursive: true });
}

export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else out.push(path.relative(dir, f).split(path.sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

export async function fixCopy(input: string, tmp: string): Promise<{ applied: number }> {
  const r = await fixAll({ root: tmp, rel: relTo(tmp) }, (file, text) => fs.writeFileSync(file, text));
  return { applied: r.applied };
}
