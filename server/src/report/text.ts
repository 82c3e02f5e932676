// Human-readable output in the style of ruff and ESLint: path:line:col, rule id, message, summary.
import { maskSecrets } from '../engine/urls';
import type { CheckResult } from '../engine';
import type { Severity } from '../engine/model';
import { summary, type Rel } from './json';

const COLORS = { red: 31, yellow: 33, blue: 34, bold: 1, dim: 2, cyan: 36 } as const;

export function toText(result: CheckResult, rel: Rel, color: boolean): string {
  const c = (k: keyof typeof COLORS, s: string) => (color ? `\u001b[${COLORS[k]}m${s}\u001b[0m` : s);
  const sev = (s: Severity) => (s === 'error' ? c('red', 'error') : s === 'warning' ? c('yellow', 'warning') : c('blue', 'info'));
  const lines: string[] = [];
  for (const f of result.findings) {
    const where = c('bold', `${rel(f.span.file)}:${f.span.line + 1}:${f.span.column + 1}`);
    const prof = f.profile ? c('dim', ` [${f.profile}]`) : '';
    const fix = f.fix ? c('cyan', ' (fixable)') : '';
    lines.push(`${where}: ${sev(f.severity)}[${f.rule}] ${f.message}${prof}${fix}`);
  }
  for (const p of result.problems) {
    const where = p.line !== undefined ? `${rel(p.file)}:${p.line + 1}:${(p.column ?? 0) + 1}` : rel(p.file);
    lines.push(`${c('bold', where)}: ${c('dim', 'problem')} ${p.message}`);
  }
  const s = summary(result);
  const total = s.errors + s.warnings + s.infos;
  const parts = [`${s.errors} error${s.errors === 1 ? '' : 's'}`, `${s.warnings} warning${s.warnings === 1 ? '' : 's'}`, `${s.infos} info`];
  let line = total === 0 ? `No findings` : `Found ${total} finding${total === 1 ? '' : 's'} (${parts.join(', ')})`;
  line += ` in ${s.pools} pool${s.pools === 1 ? '' : 's'}; ${s.files} file${s.files === 1 ? '' : 's'} checked, profiles: ${result.profiles.join(', ')}.`;
  if (s.fixable) line += ` ${s.fixable} fixable with --fix.`;
  const skipped: string[] = [];
  if (s.skippedLarge) skipped.push(`${s.skippedLarge} over 2 MB`);
  if (s.skippedBinary) skipped.push(`${s.skippedBinary} binary`);
  if (skipped.length) line += ` Skipped: ${skipped.join(', ')}.`;
  if (s.problems) line += ` ${s.problems} file problem${s.problems === 1 ? '' : 's'} listed above.`;
  lines.push(total === 0 ? c('bold', line) : c('bold', line));
  return maskSecrets(lines.join('\n') + '\n');
}
