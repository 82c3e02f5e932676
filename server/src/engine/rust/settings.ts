// Turns evaluated Rust values into pool-model settings with their source, like python/settings.ts.
import type { SyntaxNode, LineIndex } from '../syntax';
import { nodeSpan } from '../syntax';
import type { JsonValue, Setting } from '../model';
import { type RV, type RVal, type Origin, firstEnv, jsonOf, describe } from './values';
import { truncate } from './evaluator';

export interface SpanContext {
  file: string;
  lines: LineIndex;
}

/** What a setting's method takes: a count (u32), a Duration, an Option<Duration>, a bool, a URL. */
export type SettingKind = 'count' | 'duration' | 'optduration' | 'bool' | 'str';

/** The value for a setting of `kind`, or why it does not fit. */
function valueFor(v: RVal, kind: SettingKind): { value: JsonValue | undefined; reason?: string } {
  if (v.t === 'opt' && kind === 'optduration') {
    if (!v.some) return { value: null };
    return v.inner ? valueFor(v.inner.val, 'duration') : { value: undefined, reason: 'Some(..) of a value not known' };
  }
  const ok =
    (kind === 'count' && v.t === 'num') ||
    ((kind === 'duration' || kind === 'optduration') && v.t === 'dur') ||
    (kind === 'bool' && v.t === 'bool') ||
    (kind === 'str' && v.t === 'str');
  if (!ok) return { value: undefined, reason: `the value is ${describe(v)}, not ${kind === 'count' ? 'a number' : kind === 'bool' ? 'a bool' : kind === 'str' ? 'a string' : 'a Duration'}` };
  return { value: jsonOf(v) };
}

/** The node a fix edits for a fallback: the inside of a string literal, else the literal. */
function editableNode(n: SyntaxNode): SyntaxNode {
  if (n.type === 'string_literal') {
    const parts = n.namedChildren;
    if (parts.length === 1 && parts[0].type === 'string_content') return parts[0];
  }
  return n;
}

/**
 * The setting for a value. `written` is the argument at the call, used as the span when the value
 * has no literal origin of its own.
 */
export function toSetting(v: RV, written: SyntaxNode | undefined, ctx: SpanContext, kind: SettingKind): Setting {
  const span = (n: SyntaxNode) => nodeSpan(ctx.file, ctx.lines, n);
  const fit = v.val.t === 'unknown' || v.val.t === 'error' ? { value: undefined } : valueFor(v.val, kind);
  const s: Setting = { value: fit.value, source: 'literal' };
  const origin: Origin | undefined = v.origin;
  const env = firstEnv(origin);
  if (env) {
    const derived = origin?.k === 'derived';
    const at = derived ? origin.node : env.chainNode;
    s.source = 'env';
    s.span = span(at);
    s.text = truncate(at.text, 80);
    const used = env.usedFallback ?? !env.entry;
    s.env = { name: env.name, readSpan: span(env.readNode), usedFallback: used };
    if (env.entry) {
      s.env.file = env.entry.file;
      s.env.line = env.entry.line;
      s.env.raw = env.entry.raw;
      // a computed value is not the variable itself: editing the variable would not set it
      if (!derived) s.env.valueSpan = env.entry.valueSpan;
    }
    if (env.fallback && !derived) {
      const fbNode = editableNode(env.fallback.node);
      const fbVal = env.fallback.v.val;
      s.env.fallback = {
        value: fbVal.t === 'unknown' || fbVal.t === 'error' ? undefined : jsonOf(fbVal),
        text: fbNode.text,
        span: span(fbNode),
      };
    }
    if (derived) s.reason = `computed by \`${truncate(origin.node.text, 50)}\` from ${env.name}`;
    else if (env.entry && used) s.reason = `${env.name}=${env.entry.raw} does not parse, so the code's fallback${env.fallback ? ` ${truncate(env.fallback.node.text, 30)}` : ''} is used`;
  } else if (origin?.k === 'literal') {
    s.span = span(origin.node);
    s.text = truncate(origin.node.text, 80);
  } else if (written) {
    s.span = span(written);
    s.text = truncate(written.text, 80);
    if (origin?.k === 'derived') s.reason = `computed by \`${truncate(origin.node.text, 50)}\``;
  }
  if (v.val.t === 'unknown') {
    if (s.source !== 'env') s.source = 'unknown';
    s.value = undefined;
    s.reason = v.val.reason;
    if (!s.span && written) s.span = span(written);
  } else if (v.val.t === 'error') {
    s.value = undefined;
    s.crash = v.val.message;
  } else if (fit.reason) {
    if (s.source !== 'env') s.source = 'unknown';
    s.value = undefined;
    s.reason = fit.reason;
  }
  if (!s.span && written) {
    s.span = span(written);
    s.text = truncate(written.text, 80);
  }
  return s;
}
