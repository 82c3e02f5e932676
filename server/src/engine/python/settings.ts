// Turns evaluated Python values into pool-model settings with their source.
import type { SyntaxNode, LineIndex } from '../syntax';
import { nodeSpan } from '../syntax';
import type { JsonValue, Setting, Span } from '../model';
import type { V, Origin } from './values';
import { truncate } from './evaluator';

export interface SpanContext {
  file: string;
  lines: LineIndex;
}

function jsonOf(v: V): JsonValue | undefined {
  switch (v.val.t) {
    case 'num':
    case 'str':
    case 'bool':
      return v.val.v;
    case 'none':
      return null;
    case 'ref': {
      // a reference is a value only when it names a pool class (poolclass=NullPool)
      const last = v.val.name.split('.').pop() ?? v.val.name;
      return POOL_CLASSES.has(last) ? last : undefined;
    }
    default:
      return undefined;
  }
}

function firstEnv(o: Origin | undefined): Extract<Origin, { k: 'env' }> | undefined {
  if (!o) return undefined;
  if (o.k === 'env') return o;
  if (o.k === 'derived') for (const p of o.parts) {
    const e = firstEnv(p);
    if (e) return e;
  }
  return undefined;
}

export const POOL_CLASSES = new Set(['QueuePool', 'AsyncAdaptedQueuePool', 'FallbackAsyncAdaptedQueuePool', 'SingletonThreadPool', 'NullPool', 'StaticPool', 'AssertionPool']);

const FALSY_WORDS = new Set(['false', '0', 'no', 'off', 'n', 'f']);

/**
 * The setting for a value. `written` is the expression at the call (or dict entry), used as the
 * span when the value has no origin of its own (arithmetic, say).
 */
export function toSetting(v: V, written: SyntaxNode | undefined, ctx: SpanContext): Setting {
  const value = jsonOf(v);
  const s: Setting = { value, source: 'literal' };
  const origin = v.origin;
  const env = firstEnv(origin);
  if (env) {
    s.source = 'env';
    s.span = nodeSpan(ctx.file, ctx.lines, env.readNode);
    s.text = truncate(env.readNode.text, 80);
    const fallbackNode = env.fallback?.origin?.k === 'literal' ? env.fallback.origin.node : undefined;
    s.env = {
      name: env.name,
      readSpan: s.span,
      usedFallback: !env.entry,
    };
    if (env.entry) {
      s.env.file = env.entry.file;
      s.env.line = env.entry.line;
      s.env.raw = env.entry.raw;
      s.env.valueSpan = env.entry.valueSpan;
    }
    if (env.fallback) {
      s.env.fallback = {
        value: jsonOf(env.fallback),
        text: fallbackNode ? fallbackNode.text : '?',
        span: fallbackNode ? nodeSpan(ctx.file, ctx.lines, fallbackNode) : s.span,
      };
    }
    if (env.conversion === 'bool') {
      const raw = env.entry ? env.entry.value : env.fallback?.val.t === 'str' ? env.fallback.val.v : undefined;
      if (raw !== undefined && FALSY_WORDS.has(raw.trim().toLowerCase())) {
        s.warning = `bool('${raw}') is True in Python: any non-empty string is true`;
      }
    }
  } else if (origin?.k === 'literal') {
    s.span = nodeSpan(ctx.file, ctx.lines, origin.node);
    s.text = truncate(origin.node.text, 80);
  } else if (written) {
    s.span = nodeSpan(ctx.file, ctx.lines, written);
    s.text = truncate(written.text, 80);
  }
  if (v.val.t === 'ref' && value === undefined) {
    s.source = s.source === 'env' ? 'env' : 'unknown';
    s.reason = v.val.name.startsWith('<') ? `${s.text ?? 'the value'} is not a plain value` : `${v.val.name.replace(/^<\w+>\./, '')} is defined outside this file`;
    if (!s.span && written) s.span = nodeSpan(ctx.file, ctx.lines, written);
  }
  if (v.val.t === 'unknown') {
    s.source = s.source === 'env' ? 'env' : 'unknown';
    s.value = undefined;
    s.reason = v.val.reason;
    if (!s.span && written) s.span = nodeSpan(ctx.file, ctx.lines, written);
  } else if (v.val.t === 'error') {
    s.value = undefined;
    s.crash = v.val.message;
  }
  return s;
}

/** The literal node behind a value, when it is written as a literal somewhere in the file. */
export function literalNode(v: V): SyntaxNode | undefined {
  return v.origin?.k === 'literal' ? v.origin.node : undefined;
}

export function describeSource(s: Setting, rel: (file: string) => string): string {
  switch (s.source) {
    case 'literal':
      return s.span ? `written at ${rel(s.span.file)}:${s.span.line + 1}` : 'written in code';
    case 'env': {
      const e = s.env!;
      if (!e.usedFallback && e.file !== undefined) return `${e.name} in ${rel(e.file)}:${(e.line ?? 0) + 1}`;
      if (e.fallback) return `the fallback at ${rel(e.fallback.span.file)}:${e.fallback.span.line + 1}, ${e.name} being unset in this profile`;
      return `${e.name}, which is not set`;
    }
    case 'default':
      return s.default ? `the ${s.default.library} ${s.default.version} default` : 'the default';
    case 'unknown':
      return s.reason ? `not known: ${s.reason}` : 'not known';
  }
}

export type { Span };
