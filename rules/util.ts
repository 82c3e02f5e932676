// Helpers shared by the rules: capacity of a pool, how a value was set, where to report it.
import type { ProfileModel, Setting, Span } from '../server/src/engine/model';
import { describeSource } from '../server/src/engine/python/settings';
import type { RuleContext } from '../server/src/engine/rule';

export const QUEUE_POOLS = new Set(['QueuePool', 'AsyncAdaptedQueuePool', 'FallbackAsyncAdaptedQueuePool']);

export function isNetwork(p: ProfileModel): boolean {
  return p.database.kind === 'postgresql' || p.database.kind === 'mysql';
}

/** Network database, or a database the URL does not tell (most such URLs are server URLs). */
export function maybeNetwork(p: ProfileModel): boolean {
  return isNetwork(p) || p.database.kind === 'unknown';
}

export function num(s: Setting | undefined): number | undefined {
  return s && typeof s.value === 'number' ? s.value : undefined;
}

/** "pool_size 5 (the SQLAlchemy 2.0 default)" */
export function described(ctx: RuleContext, name: string, s: Setting): string {
  const v = s.value === undefined ? '?' : s.value === null ? 'None' : typeof s.value === 'boolean' ? (s.value ? 'True' : 'False') : String(s.value);
  return `${name} ${v} (${describeSource(s, ctx.rel)})`;
}

/** Where a setting is written: the .env line, the fallback in code, the code literal; else undefined. */
export function writtenAt(s: Setting | undefined): Span | undefined {
  if (!s) return undefined;
  if (s.source === 'env' && s.env) {
    if (!s.env.usedFallback && s.env.valueSpan) return s.env.valueSpan;
    if (s.env.fallback) return s.env.fallback.span;
    return s.env.readSpan;
  }
  if (s.source === 'literal' && s.span) return s.span;
  return undefined;
}

/** Related locations for the parts of a message: each setting that is written somewhere. */
export function relatedFor(ctx: RuleContext, names: string[]): { span: Span; message: string }[] {
  const out: { span: Span; message: string }[] = [];
  for (const n of names) {
    const s = ctx.profile.settings[n];
    const at = writtenAt(s);
    if (at) out.push({ span: at, message: `${n} = ${s.value === undefined ? '?' : String(s.value)} is set here` });
  }
  return out;
}

export function profileLabel(p: ProfileModel, rel: (f: string) => string): string {
  return p.envFiles.length ? `the ${p.profile} profile (${p.envFiles.map(rel).join(', ')})` : `the ${p.profile} profile`;
}
