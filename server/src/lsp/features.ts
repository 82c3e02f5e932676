// What the server shows, computed from the engine's models: diagnostics, hover tables, inlay
// hints, code lenses, code actions and the pool list. No I/O here; server.ts wires it to the
// connection.
import * as path from 'path';
import { pathToFileURL } from 'url';
import {
  CodeAction,
  CodeActionKind,
  CodeLens,
  Diagnostic,
  DiagnosticSeverity,
  DiagnosticTag,
  InlayHint,
  MarkupKind,
  Range,
  TextDocumentEdit,
  TextEdit as LspTextEdit,
  type Hover,
  type OptionalVersionedTextDocumentIdentifier,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import type { FileProblem, Finding, PoolModel, ProfileModel, Setting, Span, TextEdit } from '../engine/model';
import type { Workspace } from '../engine/incremental';
import { LineIndex } from '../engine/syntax';
import { ruleDocUrl } from '../engine/docs';
import { maskSecrets, maskUrl } from '../engine/urls';
import { describeSource } from '../engine/python/settings';
import { applyEdits, composeEdits } from '../engine/fixes';
import { check } from '../engine';
import { MAX_FIX_PASSES } from '../engine/fixall';
import { capacity } from '../../../rules/util';
import { RULES } from '../../../rules';
import { FIX_ALL_KIND, RUN_PROBE_COMMAND, type PoolInfo, type PoolSettingInfo, type RunProbeArgs } from './protocol';

export const SOURCE = 'pool-lint';

export function uriOf(file: string): string {
  return pathToFileURL(file).href;
}

/** Line starts of the texts the workspace analysed, for offset/position conversion. */
export class Positions {
  private readonly cache = new Map<string, LineIndex>();
  constructor(private readonly ws: Workspace) {}
  lines(file: string): LineIndex {
    let li = this.cache.get(file);
    if (!li) {
      li = new LineIndex(this.ws.text(file) ?? '');
      this.cache.set(file, li);
    }
    return li;
  }
  range(span: Span): Range {
    return Range.create(span.line, span.column, span.endLine, span.endColumn);
  }
  /** An engine edit (offsets) as an LSP range in its file's current text. */
  editRange(e: TextEdit): Range {
    const li = this.lines(e.file);
    const s = li.position(e.start);
    const t = li.position(e.end);
    return Range.create(s.line, s.column, t.line, t.column);
  }
  offset(file: string, line: number, character: number): number {
    const li = this.lines(file);
    return Math.min(li.lineStart(line) + character, li.lineEnd(line));
  }
}

const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information } as const;

export interface DiagnosticData {
  rule: string;
  poolId: string;
  /** Start and end offsets of the finding, to find it again for code actions. */
  start: number;
  end: number;
}

export function findingDiagnostic(f: Finding, pos: Positions, rel: (f: string) => string): Diagnostic {
  const d = Diagnostic.create(pos.range(f.span), f.profile ? `${f.message} [${f.profile}]` : f.message, SEVERITY[f.severity], f.rule, SOURCE);
  if (f.rule !== 'internal-error') d.codeDescription = { href: ruleDocUrl(f.rule) };
  const related = (f.related ?? []).map((r) => ({ location: { uri: uriOf(r.span.file), range: pos.range(r.span) }, message: maskSecrets(r.message) }));
  if (f.span.file !== f.poolId.replace(/:\d+:\d+$/, '')) {
    // the finding sits in a .env or config line: point back at the pool it is about
    const poolFile = f.poolId.replace(/:\d+:\d+$/, '');
    const m = /:(\d+):(\d+)$/.exec(f.poolId);
    if (m) related.push({ location: { uri: uriOf(poolFile), range: Range.create(+m[1] - 1, +m[2] - 1, +m[1] - 1, +m[2] - 1) }, message: `the pool this value configures (${rel(poolFile)}:${m[1]})` });
  }
  if (related.length) d.relatedInformation = related;
  // faded where the setting has no effect, struck through where the library deprecated the way it is written
  if (f.tags?.length) d.tags = f.tags.map((t) => (t === 'unnecessary' ? DiagnosticTag.Unnecessary : DiagnosticTag.Deprecated));
  d.data = { rule: f.rule, poolId: f.poolId, start: f.span.start, end: f.span.end } satisfies DiagnosticData;
  return d;
}

export function problemDiagnostic(p: FileProblem): Diagnostic {
  const line = p.line ?? 0;
  const col = p.column ?? 0;
  return Diagnostic.create(Range.create(line, col, line, p.line === undefined ? 0 : col + 1), maskSecrets(p.message), DiagnosticSeverity.Warning, undefined, SOURCE);
}

// ---- settings as text ------------------------------------------------------------------------

function valueText(pool: PoolModel, v: Setting['value']): string {
  const t = pool.library === 'sqlalchemy' ? ['True', 'False', 'None'] : pool.library === 'sqlx' ? ['true', 'false', 'None'] : ['true', 'false', 'null'];
  if (v === undefined) return '?';
  if (v === null) return t[2];
  if (typeof v === 'boolean') return v ? t[0] : t[1];
  return typeof v === 'string' ? maskUrl(v) : String(v);
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function capacityOf(ws: Workspace, pool: PoolModel, profile: ProfileModel): { total: number; parts: string[] } | undefined {
  if (pool.sqlite && !Object.keys(profile.settings).some((k) => /pool_size|max_connections|^max$/.test(k))) return undefined;
  try {
    return capacity({ pool, profile, config: ws.config, fixes: undefined as never, rel: (f) => f });
  } catch {
    return undefined;
  }
}

function settingNames(pool: PoolModel): string[] {
  const names: string[] = [];
  for (const p of Object.values(pool.profiles)) for (const k of Object.keys(p.settings)) if (!names.includes(k)) names.push(k);
  return names;
}

/** The hover: every setting of the pool, its effective value per profile and where it came from. */
export function poolHover(ws: Workspace, pool: PoolModel, rel: (f: string) => string, focus?: string): Hover {
  const profiles = Object.values(pool.profiles);
  const lines: string[] = [];
  lines.push(`**${pool.constructor}** · ${pool.library} ${pool.libraryVersion.version} · \`${rel(pool.file)}:${pool.span.line + 1}\``);
  lines.push('');
  lines.push(`| setting | ${profiles.map((p) => cell(p.profile)).join(' | ')} |`);
  lines.push(`|---|${profiles.map(() => '---').join('|')}|`);
  lines.push(`| database | ${profiles.map((p) => cell(`${p.database.kind}${p.database.url ? ` \`${maskUrl(p.database.url)}\`` : ''}: ${p.database.how}`)).join(' | ')} |`);
  if (profiles.some((p) => p.poolClass.name)) lines.push(`| pool class | ${profiles.map((p) => cell(p.poolClass.name)).join(' | ')} |`);
  const caps = profiles.map((p) => capacityOf(ws, pool, p));
  if (caps.some((c) => c)) lines.push(`| **capacity** | ${caps.map((c) => (c ? `**${c.total}** (${c.parts.join(' + ')})` : '?')).join(' | ')} |`);
  for (const name of settingNames(pool)) {
    const label = name === focus ? `**${name}**` : name;
    lines.push(`| ${label} | ${profiles.map((p) => {
      const s = p.settings[name];
      return s ? cell(`\`${valueText(pool, s.value)}\` ${describeSource(s, rel)}`) : '';
    }).join(' | ')} |`);
  }
  if (pool.sqlite) {
    lines.push(`| journal mode | ${profiles.map(() => cell(`\`${pool.sqlite!.journalMode.value}\` ${describeSource(pool.sqlite!.journalMode, rel)}`)).join(' | ')} |`);
    lines.push(`| busy timeout (ms) | ${profiles.map(() => cell(`\`${valueText(pool, pool.sqlite!.busyTimeoutMs.value)}\` ${describeSource(pool.sqlite!.busyTimeoutMs, rel)}`)).join(' | ')} |`);
  }
  lines.push('');
  lines.push(`Env files: ${profiles.map((p) => `${p.profile}: ${p.envFiles.length ? p.envFiles.map((f) => `\`${rel(f)}\``).join(', ') : 'none'}`).join('; ')}`);
  if (pool.differsBetweenProfiles.length) lines.push(`\nDiffers between profiles: ${pool.differsBetweenProfiles.join(', ')}`);
  return { contents: { kind: MarkupKind.Markdown, value: lines.join('\n') }, range: Range.create(pool.span.line, pool.span.column, pool.span.endLine, pool.span.endColumn) };
}

function contains(span: Span | undefined, offset: number): boolean {
  return !!span && span.start <= offset && offset <= span.end;
}

/** The pool (and setting) at an offset of a file: its construction, a setting's expression, or a .env line feeding it. */
export function poolAt(ws: Workspace, file: string, offset: number, line: number): { pool: PoolModel; setting?: string } | undefined {
  for (const pool of ws.poolsIn(file)) {
    for (const p of Object.values(pool.profiles)) {
      for (const [name, s] of Object.entries(p.settings)) {
        if ((s.span?.file === file && contains(s.span, offset)) || (s.env?.readSpan.file === file && contains(s.env.readSpan, offset))) return { pool, setting: name };
      }
    }
    if (contains(pool.span, offset)) return { pool };
  }
  // a .env line or YAML value read by a pool elsewhere
  for (const pool of ws.pools()) {
    for (const p of Object.values(pool.profiles)) {
      for (const [name, s] of Object.entries(p.settings)) {
        if (s.env?.file === file && s.env.line === line) return { pool, setting: name };
        if (s.span?.file === file && contains(s.span, offset) && pool.file !== file) return { pool, setting: name };
      }
    }
  }
  return undefined;
}

// ---- inlay hints -----------------------------------------------------------------------------

/**
 * `= 5 from .env:3` after each expression whose value comes from the environment. Profiles that
 * agree are said once (`= 30 from .env:5, .env.production:6`); those that differ are listed.
 */
export function inlayHints(ws: Workspace, file: string, range: Range, rel: (f: string) => string): InlayHint[] {
  const byPos = new Map<string, { line: number; character: number; parts: { value: string; from: string }[] }>();
  for (const pool of ws.poolsIn(file)) {
    for (const p of Object.values(pool.profiles)) {
      for (const s of Object.values(p.settings)) {
        if (s.source !== 'env' || !s.env) continue;
        const at = s.span && s.span.file === file ? s.span : s.env.readSpan.file === file ? s.env.readSpan : undefined;
        if (!at || at.endLine < range.start.line || at.endLine > range.end.line) continue;
        const e = s.env;
        const from = !e.usedFallback && e.file !== undefined ? `${rel(e.file)}:${(e.line ?? 0) + 1}` : `the fallback (${e.name} unset in ${p.profile})`;
        const key = `${at.endLine}:${at.endColumn}`;
        const hit = byPos.get(key) ?? { line: at.endLine, character: at.endColumn, parts: [] };
        hit.parts.push({ value: valueText(pool, s.value), from });
        byPos.set(key, hit);
      }
    }
  }
  const out: InlayHint[] = [];
  for (const h of byPos.values()) {
    const groups = new Map<string, string[]>();
    for (const p of h.parts) {
      const g = groups.get(p.value) ?? [];
      if (!g.includes(p.from)) g.push(p.from);
      groups.set(p.value, g);
    }
    const label = `= ${[...groups].map(([v, froms]) => `${v} from ${froms.join(', ')}`).join(' · ')}`;
    out.push({ position: { line: h.line, character: h.character }, label, paddingLeft: true });
  }
  return out.sort((a, b) => a.position.line - b.position.line || a.position.character - b.position.character);
}

// ---- code lenses -----------------------------------------------------------------------------

export function capacitySummary(ws: Workspace, pool: PoolModel): string {
  const profiles = Object.values(pool.profiles);
  const parts = profiles.map((p) => {
    const c = capacityOf(ws, pool, p);
    if (c) return { profile: p.profile, text: `${c.total} connections (${c.parts.map((n) => `${n} ${valueText(pool, p.settings[n]?.value)}`).join(' + ')})` };
    if (pool.sqlite) return { profile: p.profile, text: `one SQLite connection, ${pool.sqlite.journalMode.value} journal` };
    return { profile: p.profile, text: 'capacity not known' };
  });
  const distinct = [...new Set(parts.map((p) => p.text))];
  const body = distinct.length === 1 ? distinct[0] : parts.map((p) => `${p.profile}: ${p.text}`).join(' · ');
  return `pool-lint: ${body}`;
}

export function codeLenses(ws: Workspace, file: string): CodeLens[] {
  const out: CodeLens[] = [];
  for (const pool of ws.poolsIn(file)) {
    const range = Range.create(pool.span.line, pool.span.column, pool.span.line, pool.span.column);
    out.push({ range, command: { title: capacitySummary(ws, pool), command: '' } });
    const args: RunProbeArgs = { uri: uriOf(file), line: pool.span.line, poolId: pool.id };
    out.push({ range, command: { title: 'Run load probe', command: RUN_PROBE_COMMAND, arguments: [args] } });
  }
  return out;
}

// ---- code actions ----------------------------------------------------------------------------

const FIXABLE_SAFE = (f: Finding) => !!f.fix && f.fix.edits.every((e) => e.start === e.end);

export interface EditContext {
  pos: Positions;
  /** The version of an open document, for versioned edits. */
  versionOf(file: string): number | null;
  documentChanges: boolean;
}

/** Engine edits (possibly in several files: the code and its .env) as one WorkspaceEdit. */
export function workspaceEdit(edits: TextEdit[], ctx: EditContext): WorkspaceEdit {
  const byFile = new Map<string, TextEdit[]>();
  for (const e of edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  if (ctx.documentChanges) {
    return {
      documentChanges: [...byFile].map(([file, list]) => {
        const id: OptionalVersionedTextDocumentIdentifier = { uri: uriOf(file), version: ctx.versionOf(file) };
        return TextDocumentEdit.create(id, list.map((e) => LspTextEdit.replace(ctx.pos.editRange(e), e.newText)));
      }),
    };
  }
  const changes: Record<string, LspTextEdit[]> = {};
  for (const [file, list] of byFile) changes[uriOf(file)] = list.map((e) => LspTextEdit.replace(ctx.pos.editRange(e), e.newText));
  return { changes };
}

/** The comment that starts an ignore in this file's language. */
export function commentToken(file: string): '#' | '//' {
  return /\.(rs|[cm]?[jt]sx?)$/i.test(file) ? '//' : '#';
}

/** Adds the rule to the line's ignore comment, or writes one at the end of the line. */
export function ignoreEdit(ws: Workspace, file: string, line: number, rule: string): TextEdit | undefined {
  const text = ws.text(file);
  if (text === undefined) return undefined;
  const li = new LineIndex(text);
  const start = li.lineStart(line);
  const end = li.lineEnd(line);
  const lineText = text.slice(start, end);
  const existing = /((?:#|\/\/)\s*pool-lint:\s*ignore)(\[([^\]]*)\])?/.exec(lineText);
  if (existing) {
    if (existing[2] === undefined) return undefined; // already ignores every rule
    const list = existing[3].split(',').map((s) => s.trim()).filter(Boolean);
    if (list.includes(rule)) return undefined;
    const at = start + existing.index + existing[1].length;
    return { file, start: at, end: at + existing[2].length, newText: `[${[...list, rule].join(', ')}]` };
  }
  const tok = commentToken(file);
  const trimmedEnd = start + lineText.replace(/\s+$/, '').length;
  return { file, start: trimmedEnd, end, newText: `  ${tok} pool-lint: ignore[${rule}]` };
}

const META = new Map(RULES.map((r) => [r.meta.id, r.meta]));

export function codeActions(ws: Workspace, file: string, findings: Finding[], diagnostics: Diagnostic[], ctx: EditContext, rel: (f: string) => string, only?: string[]): CodeAction[] {
  const wants = (kind: string) => !only || only.some((o) => kind === o || kind.startsWith(`${o}.`));
  const out: CodeAction[] = [];
  if (wants(CodeActionKind.QuickFix)) {
    for (const f of findings) {
      const diag = diagnostics.find((d) => d.code === f.rule && d.range.start.line === f.span.line && d.range.start.character === f.span.column) ?? findingDiagnostic(f, ctx.pos, rel);
      if (f.fix) {
        const files = [...new Set(f.fix.edits.map((e) => e.file))];
        const where = files.some((x) => x !== file) ? ` (edits ${files.map(rel).join(', ')})` : '';
        out.push({ title: `${f.fix.description}${where}`, kind: CodeActionKind.QuickFix, diagnostics: [diag], isPreferred: FIXABLE_SAFE(f), edit: workspaceEdit(f.fix.edits, ctx) });
      }
      const ig = ignoreEdit(ws, f.span.file, f.span.line, f.rule);
      if (ig) out.push({ title: `Ignore ${f.rule} on this line`, kind: CodeActionKind.QuickFix, diagnostics: [diag], edit: workspaceEdit([ig], ctx) });
    }
  }
  return out;
}

/** The fixes of `candidates` that do not overlap one another, severest first. */
function pickFixes(candidates: Finding[]): { taken: TextEdit[]; count: number; skipped: number } {
  const rank = { error: 0, warning: 1, info: 2 } as const;
  const sorted = [...candidates].sort((a, b) => rank[a.severity] - rank[b.severity]);
  const taken: TextEdit[] = [];
  let count = 0;
  for (const f of sorted) {
    const overlaps = f.fix!.edits.some((e) => taken.some((t) => t.file === e.file && ((e.start < t.end && t.start < e.end) || e.start === t.start)));
    if (overlaps) continue;
    taken.push(...f.fix!.edits);
    count++;
  }
  return { taken, count, skipped: sorted.length - count };
}

/** The edits, file by file, that apply cleanly to `text(file)`, as the engine's own fixer applies them. */
function applicable(taken: TextEdit[], text: (file: string) => string): TextEdit[] {
  const byFile = new Map<string, TextEdit[]>();
  for (const e of taken) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  const edits: TextEdit[] = [];
  for (const [f, list] of byFile) edits.push(...applyEdits(text(f), list).applied);
  return edits;
}

/** Every fix of the findings in (or about pools of) a file that do not overlap, severest first: one pass. */
export function fixAllEdits(ws: Workspace, file: string): { edits: TextEdit[]; count: number; skipped: number; poolFiles: Set<string> } {
  const candidates = fixable(ws, file);
  const { taken, count, skipped } = pickFixes(candidates);
  const byId = new Map(ws.pools().map((p) => [p.id, p.file]));
  const poolFiles = new Set(candidates.map((f) => byId.get(f.poolId)).filter((f): f is string => !!f));
  return { edits: applicable(taken, (f) => ws.text(f) ?? ''), count, skipped, poolFiles };
}

/** The findings with a fix in a file, or about the pools written in it. */
export function fixable(ws: Workspace, file: string): Finding[] {
  const pools = new Set(ws.poolsIn(file).map((p) => p.id));
  return ws.findings().filter((f) => f.fix && (f.span.file === file || pools.has(f.poolId)));
}

/**
 * Every fix, pass after pass, as `pool-lint check --fix` applies them (fixes that overlapped in a
 * pass, or that only apply once another is in, go in with the next, on the re-checked text), as
 * edits of the texts the editor holds. A pass re-checks only the files whose pools the fixes
 * concern, over the workspace's buffers and settings.
 */
export async function fixAllRepeated(ws: Workspace, file: string): Promise<{ edits: TextEdit[]; count: number; passes: number }> {
  const first = fixAllEdits(ws, file);
  if (first.count === 0) return { edits: [], count: 0, passes: 1 };
  const original = (f: string) => ws.text(f) ?? '';
  const texts = new Map<string, string>();
  const composed = new Map<string, TextEdit[]>();
  // a file nobody wrote reads as missing (a fix looks for the nearest .env.example by reading)
  const current = (f: string) => texts.get(f) ?? ws.text(f);
  // one pass's edits are all of one text: folded in from the last to the first, each leaves the offsets before it as they were
  const fold = (edits: TextEdit[]) => {
    for (const e of [...edits].sort((a, b) => b.start - a.start)) {
      texts.set(e.file, applyEdits(current(e.file) ?? '', [e]).text);
      composed.set(e.file, composeEdits(original(e.file), composed.get(e.file) ?? [], e));
    }
  };
  fold(first.edits);
  let count = first.count;
  let passes = 1;
  // nothing was left out of the first pass: no fix waits for another
  if (first.skipped === 0) return { edits: [...composed.values()].flat(), count, passes };
  const paths = [...new Set([file, ...first.poolFiles])].filter((f) => ws.has(f));
  while (passes < MAX_FIX_PASSES) {
    const r = await check({ root: ws.root, paths, read: current, config: ws.config });
    const here = new Set(r.pools.filter((p) => p.file === file).map((p) => p.id));
    const { taken, count: n } = pickFixes(r.findings.filter((f) => f.fix && (f.span.file === file || here.has(f.poolId))));
    const edits = applicable(taken, (f) => current(f) ?? '').filter((e) => e.newText !== (current(e.file) ?? '').slice(e.start, e.end));
    if (n === 0 || edits.length === 0) break;
    passes++;
    fold(edits);
    count += n;
  }
  return { edits: [...composed.values()].flat(), count, passes };
}

/**
 * The fix-all action of a file. `lazy` (the client resolves code actions): only its title now; its
 * edit, which may take a re-check per pass, when the user picks it (codeAction/resolve).
 */
export async function fixAllAction(ws: Workspace, file: string, ctx: EditContext, lazy = false): Promise<CodeAction | undefined> {
  if (lazy) {
    const n = fixable(ws, file).length;
    return n ? { title: `Fix all pool-lint findings (${n})`, kind: FIX_ALL_KIND, data: { fixAll: uriOf(file) } } : undefined;
  }
  const { edits, count } = await fixAllRepeated(ws, file);
  if (count === 0) return undefined;
  return { title: `Fix all pool-lint findings (${count})`, kind: FIX_ALL_KIND, edit: workspaceEdit(edits, ctx) };
}

export function ruleSummary(id: string): string | undefined {
  return META.get(id)?.summary;
}

// ---- poolLint/pools --------------------------------------------------------------------------

function settingInfo(pool: PoolModel, s: Setting, rel: (f: string) => string, pos: Positions): PoolSettingInfo {
  const info: PoolSettingInfo = { source: s.source, from: describeSource(s, rel) };
  if (s.value !== undefined) info.value = typeof s.value === 'string' ? maskUrl(s.value) : s.value;
  const at = s.source === 'env' && s.env ? (!s.env.usedFallback && s.env.valueSpan ? s.env.valueSpan : s.env.fallback?.span ?? s.env.readSpan) : s.source === 'literal' ? s.span : undefined;
  if (at) info.location = { uri: uriOf(at.file), range: pos.range(at) };
  void pool;
  return info;
}

export function poolInfo(ws: Workspace, pool: PoolModel, rel: (f: string) => string, pos: Positions, findings: Finding[]): PoolInfo {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) if (f.poolId === pool.id) counts[f.severity]++;
  return {
    id: pool.id,
    library: pool.library,
    constructor: pool.constructor,
    uri: uriOf(pool.file),
    range: pos.range(pool.span),
    path: rel(pool.file),
    profiles: Object.values(pool.profiles).map((p) => ({
      name: p.profile,
      database: { kind: p.database.kind, how: maskSecrets(p.database.how), ...(p.database.url ? { url: maskUrl(p.database.url) } : {}) },
      poolClass: p.poolClass.name,
      capacity: capacityOf(ws, pool, p)?.total,
      envFiles: p.envFiles.map(uriOf),
      settings: Object.fromEntries(Object.entries(p.settings).map(([k, s]) => [k, settingInfo(pool, s, rel, pos)])),
    })),
    findings: counts,
  };
}

export function relFor(root: string): (f: string) => string {
  return (f: string) => path.relative(root, f).split(path.sep).join('/') || '.';
}
