// Rule documentation, generated from each rule's metadata (as ESLint and ruff do).
// `npm run docs` writes docs/rules/*.md; a test fails when a committed page differs.
import * as path from 'path';
import { RULES } from '../rules';
import type { Rule } from '../server/src/engine/rule';

export const DOCS_DIR = path.join(__dirname, '..', '..', 'docs', 'rules');

const HEADER = '<!-- Generated from the rule metadata in rules/ by `npm run docs`. Do not edit by hand. -->';

/** The language of an example, for its code fence: Rust builder chains, JS/TS, YAML, else Python. */
function fence(code: string): string {
  const lines = code.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  if (lines.length && lines.every((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))) return 'dotenv';
  if (/::|\.await\b|\bSome\(/.test(code)) return 'rust';
  if (/\bnew\s+\w+\(|=>|\brequire\(|\b(const|let)\s+\w+\s*=|\.pragma\(/.test(code)) return 'ts';
  if (/^\s*[\w.-]+:\s*(\S.*)?$/m.test(code) && !/[()=]/.test(code.replace(/#.*$/gm, ''))) return 'yaml';
  return 'python';
}

export function renderRule(rule: Rule): string {
  const m = rule.meta;
  const lines = [
    HEADER,
    '',
    `# ${m.id}`,
    '',
    `**Default severity:** ${m.severity} · **Fixable:** ${m.fixable ? 'yes' : 'no'}`,
    '',
    m.summary,
    '',
    '## Why',
    '',
    m.rationale,
    '',
    '## Applies to',
    '',
    m.appliesTo,
    '',
  ];
  if (m.fixable && m.fixDescription) lines.push('## Fix', '', m.fixDescription, '');
  if (m.examples?.length) {
    lines.push('## Examples', '');
    for (const ex of m.examples) {
      lines.push('Flagged:', '', '```' + fence(ex.bad), ex.bad, '```', '');
      if (ex.good) lines.push('Not flagged:', '', '```' + fence(ex.good), ex.good, '```', '');
      if (ex.note) lines.push(ex.note, '');
    }
  }
  lines.push(
    '## Source of the threshold',
    '',
    m.thresholdSource,
    '',
    '## Configuration',
    '',
    'Change the severity, or turn the rule off, in `poollint.config.json` (or `.poollintrc.json`, `"poolLint"` in',
    '`package.json`, `[tool.pool-lint]` in `pyproject.toml`):',
    '',
    '```json',
    `{ "rules": { "${m.id}": "off" } }`,
    '```',
    '',
    `Silence one line with \`# pool-lint: ignore[${m.id}]\` on the line reported.`,
    '',
  );
  return lines.join('\n');
}

export function renderIndex(): string {
  const lines = [HEADER, '', '# Rules', '', '| id | severity | fixable | summary |', '|---|---|---|---|'];
  for (const r of RULES) lines.push(`| [${r.meta.id}](${r.meta.id}.md) | ${r.meta.severity} | ${r.meta.fixable ? 'yes' : 'no'} | ${r.meta.summary} |`);
  return lines.join('\n') + '\n';
}

/** Every generated page: file name to content. */
export function allPages(): Map<string, string> {
  const pages = new Map<string, string>();
  for (const r of RULES) pages.set(`${r.meta.id}.md`, renderRule(r));
  pages.set('README.md', renderIndex());
  return pages;
}
