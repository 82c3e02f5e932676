// The JSON report (format version 1). Lines and columns are 1-based, paths relative with '/'.
import type { CheckResult } from '../engine';
import type { Finding, PoolModel, ProfileModel, Setting, Span } from '../engine/model';
import { maskSecrets, maskUrl } from '../engine/urls';

export type Rel = (file: string) => string;

function pos(span: Span | undefined, rel: Rel) {
  return span ? { file: rel(span.file), line: span.line + 1, column: span.column + 1 } : {};
}

export function settingJson(s: Setting, rel: Rel): Record<string, unknown> {
  const o: Record<string, unknown> = { value: s.value === undefined ? null : s.value, source: s.source };
  if (s.value === undefined) o.known = false;
  if (s.span && s.source !== 'default') Object.assign(o, pos(s.span, rel));
  if (s.text !== undefined) o.text = s.text;
  if (s.env) {
    o.env = {
      name: s.env.name,
      ...(s.env.file !== undefined ? { file: rel(s.env.file), line: (s.env.line ?? 0) + 1, raw: s.env.raw } : {}),
      usedFallback: s.env.usedFallback,
      ...(s.env.fallback ? { fallback: { value: s.env.fallback.value ?? null, text: s.env.fallback.text, ...pos(s.env.fallback.span, rel) } } : {}),
    };
  }
  if (s.default) o.default = s.default;
  if (s.reason) o.reason = s.reason;
  if (s.crash) o.crash = s.crash;
  if (s.warning) o.warning = s.warning;
  if (s.ignored) o.ignored = s.ignored;
  return o;
}

function profileJson(p: ProfileModel, rel: Rel): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(p.settings)) settings[k] = settingJson(s, rel);
  return {
    envFiles: p.envFiles.map(rel),
    database: {
      kind: p.database.kind,
      how: p.database.how,
      ...(p.database.scheme ? { scheme: p.database.scheme } : {}),
      ...(p.database.url ? { url: maskUrl(p.database.url) } : {}),
      ...(p.database.source ? { source: settingJson(p.database.source, rel) } : {}),
    },
    poolClass: p.poolClass,
    ...(p.boundBy ? { boundBy: p.boundBy } : {}),
    settings,
  };
}

export function poolJson(pool: PoolModel, rel: Rel): Record<string, unknown> {
  const names = Object.keys(pool.profiles);
  const first = pool.profiles[names[0]];
  const profiles: Record<string, unknown> = {};
  for (const n of names) profiles[n] = profileJson(pool.profiles[n], rel);
  return {
    id: `${rel(pool.file)}:${pool.span.line + 1}:${pool.span.column + 1}`,
    library: pool.library,
    constructor: pool.constructor,
    database: first?.database.kind ?? 'unknown',
    file: rel(pool.file),
    line: pool.span.line + 1,
    column: pool.span.column + 1,
    endLine: pool.span.endLine + 1,
    endColumn: pool.span.endColumn + 1,
    libraryVersion: pool.libraryVersion,
    // the first profile's settings; every profile's are under "profiles"
    settings: first ? (profileJson(first, rel).settings as Record<string, unknown>) : {},
    differsBetweenProfiles: pool.differsBetweenProfiles,
    profiles,
  };
}

export function findingJson(f: Finding, rel: Rel): Record<string, unknown> {
  return {
    rule: f.rule,
    severity: f.severity,
    message: f.message,
    file: rel(f.span.file),
    line: f.span.line + 1,
    column: f.span.column + 1,
    endLine: f.span.endLine + 1,
    endColumn: f.span.endColumn + 1,
    profile: f.profile,
    fix: f.fix ? { description: f.fix.description, edits: f.fix.edits.map((e) => ({ file: rel(e.file), start: e.start, end: e.end, newText: e.newText })) } : null,
    ...(f.related?.length ? { related: f.related.map((r) => ({ message: r.message, ...pos(r.span, rel) })) } : {}),
    ...(f.tags?.length ? { tags: f.tags } : {}),
  };
}

export function toJson(result: CheckResult, rel: Rel): string {
  return JSON.stringify(
    {
      version: 1,
      profiles: result.profiles,
      pools: result.pools.map((p) => poolJson(p, rel)),
      diagnostics: result.findings.map((f) => findingJson(f, rel)),
      problems: result.problems.map((p) => ({ file: rel(p.file), ...(p.line !== undefined ? { line: p.line + 1, column: (p.column ?? 0) + 1 } : {}), message: p.message })),
      summary: summary(result),
    },
    // every string masked here too, not only by the CLI: an env value's raw text is a URL
    (_k, v: unknown) => (typeof v === 'string' ? maskSecrets(v) : v),
    2,
  );
}

export function summary(result: CheckResult) {
  const count = (s: string) => result.findings.filter((f) => f.severity === s).length;
  return {
    files: result.stats.files,
    parsed: result.stats.parsed,
    pools: result.pools.length,
    errors: count('error'),
    warnings: count('warning'),
    infos: count('info'),
    fixable: result.findings.filter((f) => f.fix).length,
    skippedLarge: result.stats.skippedLarge.length,
    skippedBinary: result.stats.skippedBinary.length,
    problems: result.problems.length,
  };
}
