// Fixes as text edits computed from syntax-tree ranges, in the file's own style. Each edit is
// written so that applying it twice changes nothing the second time (the rule stops firing).
import type { Fix, InsertTarget, ProfileModel, Setting, Span, TextEdit } from './model';

export class FixBuilder {
  constructor(private readonly read: (file: string) => string | undefined) {}

  private text(file: string): string {
    return this.read(file) ?? '';
  }

  /** The text of a file as the check read it. */
  source(file: string): string {
    return this.text(file);
  }

  /** The file's own line ending, for the lines a fix adds. */
  private eol(file: string): string {
    return this.text(file).includes('\r\n') ? '\r\n' : '\n';
  }

  /** Replaces a literal number, keeping string quotes when the literal is a string ("20" -> "40"). */
  replaceLiteral(span: Span, newValue: string): TextEdit {
    const text = this.text(span.file).slice(span.start, span.end);
    const q = /^([rRbBuU]?)(['"])(.*)\2$/s.exec(text);
    if (q) return { file: span.file, start: span.start, end: span.end, newText: `${q[1]}${q[2]}${newValue}${q[2]}` };
    return { file: span.file, start: span.start, end: span.end, newText: newValue };
  }

  /** Replaces the value of a .env line, keeping its quotes and any comment after it. */
  replaceEnvValue(span: Span, newValue: string): TextEdit {
    const text = this.text(span.file).slice(span.start, span.end);
    const q = /^(['"`])(.*)\1$/s.exec(text);
    return { file: span.file, start: span.start, end: span.end, newText: q ? `${q[1]}${newValue}${q[1]}` : newValue };
  }

  /**
   * Where a numeric setting's value is written: the code literal, the .env line that sets it, or
   * the fallback written in code when the variable is not set. Undefined when it is not written.
   */
  setNumber(setting: Setting, n: number): TextEdit | undefined {
    if (setting.source === 'literal' && setting.span && /^[-+]?[\d_.]+$|^['"][-+]?[\d_.]+['"]$/.test(this.text(setting.span.file).slice(setting.span.start, setting.span.end))) {
      return this.replaceLiteral(setting.span, String(n));
    }
    if (setting.source === 'env' && setting.env) {
      if (!setting.env.usedFallback && setting.env.valueSpan) return this.replaceEnvValue(setting.env.valueSpan, String(n));
      if (setting.env.usedFallback && setting.env.fallback && /^[-+]?[\d_.]+$|^['"][-+]?[\d_.]+['"]$/.test(setting.env.fallback.text)) {
        return this.replaceLiteral(setting.env.fallback.span, String(n));
      }
    }
    return undefined;
  }

  /**
   * Adds `name=value` to a call, or `"name": value` to a dict literal, matching the layout around
   * it: one argument per line keeps one per line (with the trailing-comma habit), else inline.
   */
  insertSetting(target: InsertTarget, name: string, pyValue: string): TextEdit {
    if (target.kind === 'chain') return this.insertChainCall(target, name, pyValue);
    if (target.kind === 'query') return this.insertQueryParam(target, name, pyValue);
    if (target.kind === 'statement') return this.insertStatement(target, name, pyValue);
    if (target.kind === 'line') return this.insertLine(target, name, pyValue);
    const text = this.text(target.span.file);
    const open = target.span.start; // '(' or '{'
    const close = target.span.end - 1; // ')' or '}'
    const inner = text.slice(open + 1, close);
    if (target.kind === 'args') {
      // `new Sequelize(url)`: a new options object after the last argument
      const body = inner.replace(/[\s,]+$/, '');
      const obj = target.within ? `{ ${target.within}: { ${name}: ${pyValue} } }` : `{ ${name}: ${pyValue} }`;
      return { file: target.span.file, start: open + 1 + body.length, end: close, newText: body ? `, ${obj}` : obj };
    }
    const quoted = /(['"])[A-Za-z_$][\w$]*\1\s*:/.exec(inner);
    const quote = quoted?.[1] ?? (target.kind === 'object' ? '' : '"');
    // a nested object takes the keys' quoting of the one it goes into (JSON needs it)
    const value = target.within ? `{ ${quote}${name}${quote}: ${pyValue} }` : pyValue;
    name = target.within ?? name;
    const item = target.kind === 'call' ? `${name}=${value}` : `${quote}${name}${quote}: ${value}`;
    const trimmed = inner.replace(/\s+$/, '');
    if (target.kind === 'object' && text[open] === '(') {
      // `new Pool()`: the options object itself is new
      return { file: target.span.file, start: open + 1, end: close, newText: `{ ${item} }` };
    }
    if (trimmed.trim() === '') {
      return { file: target.span.file, start: open + 1, end: close, newText: target.kind === 'object' ? ` ${item} ` : item };
    }
    const multiline = inner.includes('\n');
    if (multiline) {
      // indentation of the last item (the line around it, found from the offsets: a LineIndex of
      // the whole file would cost a scan of it for every fix the rules compute)
      const lastItemEnd = open + 1 + stripTrailingComment(trimmed).length;
      const lineText = text.slice(lineStartAt(text, lastItemEnd), lineEndAt(text, lastItemEnd));
      const indent = /^\s*/.exec(lineText)?.[0] ?? '    ';
      const body = stripTrailingComment(trimmed);
      const hasTrailingComma = body.trimEnd().endsWith(',');
      if (text.slice(lastItemEnd, close).includes('\n')) {
        // the closing bracket is on a later line: insert after the last item's line, `,` after it when it has none, then our line
        const insertAt = lineEndAt(text, lastItemEnd);
        if (hasTrailingComma) {
          return { file: target.span.file, start: insertAt, end: insertAt, newText: `${this.eol(target.span.file)}${indent}${item},` };
        }
        const commaAt = open + 1 + body.trimEnd().length;
        const nl = this.eol(target.span.file);
        if (commaAt === insertAt) return { file: target.span.file, start: insertAt, end: insertAt, newText: `,${nl}${indent}${item}` };
        // a comment follows the last item: put the comma right after the item
        return { file: target.span.file, start: commaAt, end: insertAt, newText: `,${text.slice(commaAt, insertAt)}${nl}${indent}${item}` };
      }
    }
    const body = trimmed.trimEnd();
    const at = open + 1 + body.length;
    if (body.endsWith(',')) return { file: target.span.file, start: at, end: at, newText: ` ${item}` };
    return { file: target.span.file, start: at, end: at, newText: `, ${item}` };
  }

  /** Adds `name=value` to a URL's query string (before any `#fragment`). */
  private insertQueryParam(target: InsertTarget, name: string, value: string): TextEdit {
    const url = this.text(target.span.file).slice(target.span.start, target.span.end);
    const hash = url.indexOf('#');
    const at = hash >= 0 ? hash : url.length;
    const sep = url.slice(0, at).includes('?') ? (/[?&]$/.test(url.slice(0, at)) ? '' : '&') : '?';
    return { file: target.span.file, start: target.span.start + at, end: target.span.start + at, newText: `${sep}${name}=${value}` };
  }

  /** Adds `receiver.SetName(value)` (database/sql) or `receiver.Name = value` (a config struct) on its own line after a Go statement. */
  private insertStatement(target: InsertTarget, name: string, value: string): TextEdit {
    const text = this.text(target.span.file);
    const lineStart = lineStartAt(text, target.span.start);
    const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
    return { file: target.span.file, start: target.span.end, end: target.span.end, newText: `${this.eol(target.span.file)}${indent}${target.receiver ?? 'db'}.${target.assign ? `${name} = ${value}` : `Set${name}(${value})`}` };
  }

  /** Adds `<prefix><name><separator><value>` on a new line of a config file (nested YAML keys in `prefix` take the file's line ending). */
  private insertLine(target: InsertTarget, name: string, value: string): TextEdit {
    const eol = this.eol(target.span.file);
    const key = target.camelCase ? name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()) : name;
    return { file: target.span.file, start: target.span.start, end: target.span.start, newText: `${eol}${(target.prefix ?? '').replace(/\n/g, eol)}${key}${target.separator ?? '='}${value}` };
  }

  /** Adds `.name(value)` to a Rust builder chain right after the expression it starts with. */
  private insertChainCall(target: InsertTarget, name: string, value: string): TextEdit {
    const text = this.text(target.span.file);
    const after = text.slice(target.span.end);
    const next = /^([ \t]*)(\r?\n)([ \t]*)\./.exec(after);
    if (next) {
      // one call per line (rustfmt): a new line with the chain's indentation
      return { file: target.span.file, start: target.span.end, end: target.span.end, newText: `${next[2]}${next[3]}.${name}(${value})` };
    }
    return { file: target.span.file, start: target.span.end, end: target.span.end, newText: `.${name}(${value})` };
  }

  /** Sets a setting to a Python value: replaces it where written in code, else adds it. */
  setSetting(profile: ProfileModel, name: string, pyValue: string): TextEdit | undefined {
    const s = profile.settings[name];
    if (s && s.source === 'literal' && s.span) return { file: s.span.file, start: s.span.start, end: s.span.end, newText: pyValue };
    if (s && s.source !== 'default') return undefined; // env-driven or unknown: not ours to rewrite
    if (!profile.insertTarget) return undefined;
    return this.insertSetting(profile.insertTarget, name, pyValue);
  }

  /**
   * Turns an env-driven boolean on where it is written: the .env line (`true`, which bool(), pydantic
   * and `.lower() == "true"` all read as on) or a Python `False` fallback in code (a pydantic field default).
   */
  setEnvTrue(setting: Setting): TextEdit | undefined {
    if (setting.source !== 'env' || !setting.env) return undefined;
    if (!setting.env.usedFallback && setting.env.valueSpan) return this.replaceEnvValue(setting.env.valueSpan, 'true');
    if (setting.env.usedFallback && setting.env.fallback?.text === 'False') return { file: setting.env.fallback.span.file, start: setting.env.fallback.span.start, end: setting.env.fallback.span.end, newText: 'True' };
    return undefined;
  }

  /** An `import os` after the file's last top-level import (or its docstring), when it has none. */
  ensureImportOs(file: string): TextEdit | undefined {
    const text = this.text(file);
    if (/^\s*import\s+os\b|^\s*import\s+[\w.]+\s*,\s*os\b/m.test(text)) return undefined;
    const lines = text.split('\n');
    let after = -1;
    let inDoc = false;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i];
      if (i === 0 && /^("""|''')/.test(l.trim()) && !(l.trim().length > 3 && /("""|''')$/.test(l.trim().slice(3)))) {
        inDoc = true;
        after = i;
        continue;
      }
      if (inDoc) {
        after = i;
        if (/("""|''')/.test(l)) inDoc = false;
        continue;
      }
      if (/^(import\s|from\s+\S+\s+import\s)/.test(l)) {
        // a parenthesised import spans lines
        let j = i;
        if (l.includes('(') && !l.includes(')')) while (j < lines.length - 1 && !lines[j].includes(')')) j++;
        after = j;
        i = j;
      } else if (/^(def|class|async|@|if|try|\w+\s*=)/.test(l)) break;
    }
    // a docstring that never closes leaves no place for an import
    if (inDoc) return undefined;
    let offset = 0;
    for (let i = 0; i <= after; i++) offset += lines[i].length + 1;
    // the last import ends the file without a newline: the import goes on a line of its own after it
    if (offset > text.length) return { file, start: text.length, end: text.length, newText: `${this.eol(file)}import os` };
    return { file, start: offset, end: offset, newText: `import os${this.eol(file)}` };
  }

  /** Adds `KEY=value` to a .env.example that lacks the key. */
  appendEnvExample(file: string, key: string, value: string): TextEdit | undefined {
    const text = this.read(file);
    if (text === undefined) return undefined;
    if (new RegExp(`^\\s*(export\\s+)?${key}\\s*=`, 'm').test(text)) return undefined;
    const nl = this.eol(file);
    const sep = text.length > 0 && !text.endsWith('\n') ? nl : '';
    return { file, start: text.length, end: text.length, newText: `${sep}${key}=${value}${nl}` };
  }

  fix(description: string, edits: (TextEdit | undefined)[]): Fix | undefined {
    const list = edits.filter((e): e is TextEdit => !!e);
    return list.length > 0 ? { description, edits: list } : undefined;
  }
}

function stripTrailingComment(s: string): string {
  // removes a `# comment` at the end of the last line (outside strings, good enough for arg lists)
  const lastNl = s.lastIndexOf('\n');
  const last = s.slice(lastNl + 1);
  const m = /^([^#'"]*(?:(['"])(?:\\.|(?!\2).)*\2[^#'"]*)*)#.*$/.exec(last);
  return m ? s.slice(0, lastNl + 1) + m[1].replace(/\s+$/, '') : s;
}

/** Applies edits to a text; overlapping edits after the first are skipped and returned. */
export function applyEdits(text: string, edits: TextEdit[]): { text: string; applied: TextEdit[]; skipped: TextEdit[] } {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const applied: TextEdit[] = [];
  const skipped: TextEdit[] = [];
  let lastEnd = -1;
  for (const e of sorted) {
    if (e.start < lastEnd || (applied.length > 0 && e.start === lastEnd && e.start === e.end && applied[applied.length - 1].start === e.start)) {
      skipped.push(e);
      continue;
    }
    applied.push(e);
    lastEnd = e.end;
  }
  let out = '';
  let pos = 0;
  for (const e of applied) {
    out += text.slice(pos, e.start) + e.newText;
    pos = e.end;
  }
  out += text.slice(pos);
  return { text: out, applied, skipped };
}

/** Where the line holding `offset` starts. */
function lineStartAt(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** Where the line holding `offset` ends (before its `\r\n` or `\n`, or at the end of the text). */
function lineEndAt(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  if (nl < 0) return text.length;
  return nl > 0 && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
}

/**
 * Folds `next`, an edit of the text that `done` (edits of `original`, sorted, not overlapping)
 * produced, into `done`: the result are edits of `original` that produce what applying `done`
 * and then `next` produces. An edit that touches text an earlier edit wrote is merged with it, so
 * fixes applied pass after pass reach the editor as edits of the text it holds, each covering
 * only what changed (never the whole file).
 */
export function composeEdits(original: string, done: TextEdit[], next: TextEdit): TextEdit[] {
  const sorted = [...done].sort((a, b) => a.start - b.start);
  // where each earlier edit's text lies in the text after them
  let shift = 0;
  const placed = sorted.map((e) => {
    const from = e.start + shift;
    shift += e.newText.length - (e.end - e.start);
    return { e, from, to: from + e.newText.length };
  });
  // an offset of the text after `done`, outside every earlier edit's text, as an offset of `original`
  const back = (k: number) => {
    let s = 0;
    for (const p of placed) if (p.to <= k) s += p.e.newText.length - (p.e.end - p.e.start);
    return k - s;
  };
  const touching = placed.filter((p) => p.from <= next.end && next.start <= p.to);
  if (touching.length === 0) return [...sorted, { ...next, start: back(next.start), end: back(next.end) }].sort((a, b) => a.start - b.start);
  const first = touching[0];
  const last = touching[touching.length - 1];
  const from = Math.min(next.start, first.from);
  const to = Math.max(next.end, last.to);
  const after = applyEdits(original, sorted).text;
  const merged: TextEdit = {
    file: next.file,
    start: from === first.from ? first.e.start : back(from),
    end: to === last.to ? last.e.end : back(to),
    newText: after.slice(from, next.start) + next.newText + after.slice(next.end, to),
  };
  return [...sorted.filter((e) => !touching.some((p) => p.e === e)), merged].sort((a, b) => a.start - b.start);
}
