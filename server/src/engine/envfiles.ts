// .env files and environment profiles. Values come from dotenv's own parser; positions (for
// messages and edits) from a scan with the same line grammar dotenv uses.
import * as path from 'path';
import * as dotenv from 'dotenv';
import { LineIndex } from './syntax';
import type { FileProblem, Span } from './model';

export interface EnvEntry {
  name: string;
  value: string;
  file: string;
  line: number;
  /** The value as written, quotes included. */
  raw: string;
  /** Span of the value as written (quotes included), for edits. */
  valueSpan: Span;
}

export interface EnvFile {
  file: string;
  text: string;
  lines: LineIndex;
  entries: Map<string, EnvEntry>;
}

/** The line grammar of dotenv's parser (motdotla/dotenv lib/main.js, LINE), with positions kept. */
const LINE =
  /(?:^|^)[ \t]*(?:export\s+)?([\w.-]+)(?:[ \t]*=[ \t]*?|:[ \t]+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?[ \t]*(?:#.*)?(?:$|$)/gm;

export function parseEnvFile(file: string, text: string): { env: EnvFile; problems: FileProblem[] } {
  const problems: FileProblem[] = [];
  const lines = new LineIndex(text);
  const parsed = dotenv.parse(text);
  const entries = new Map<string, EnvEntry>();
  LINE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = LINE.exec(text)) !== null) {
    if (m[0].length === 0) {
      LINE.lastIndex++;
      continue;
    }
    const name = m[1];
    const raw = (m[2] ?? '').trim();
    const nameStart = m.index + (/^[ \t]*(?:export\s+)?/.exec(m[0])?.[0].length ?? 0);
    const nameEnd = nameStart + name.length;
    const sep = /^[ \t]*=|^:/.exec(text.slice(nameEnd, m.index + m[0].length));
    let start = nameEnd + (sep ? sep[0].length : 0);
    if (raw) start = text.indexOf(raw, start);
    else while (text[start] === ' ' || text[start] === '\t') start++;
    const end = start + raw.length;
    const line = lines.position(nameStart).line;
    entries.set(name, {
      name,
      value: parsed[name] ?? '',
      file,
      line,
      raw,
      valueSpan: lines.span(file, start, end),
    });
  }
  // Lines that are neither blank, comments, nor assignments are ignored by dotenv: say so.
  for (let i = 0; i < lines.lineCount; i++) {
    const lineText = text.slice(lines.lineStart(i), lines.lineEnd(i)).trim();
    if (!lineText || lineText.startsWith('#')) continue;
    const covered = [...entries.values()].some((e) => e.line === i) || isInsideMultiline(entries, lines, i);
    if (!covered && !/^(export\s+)?[\w.-]+\s*[=:]/.test(lineText)) {
      problems.push({ file, line: i, column: 0, message: `line is not a KEY=VALUE assignment; dotenv ignores it` });
    }
  }
  return { env: { file, text, lines, entries }, problems };
}

function isInsideMultiline(entries: Map<string, EnvEntry>, lines: LineIndex, line: number): boolean {
  for (const e of entries.values()) {
    if (e.valueSpan.line <= line && line <= e.valueSpan.endLine) return true;
  }
  return false;
}

export type Profiles = Record<string, string[]>;

/** Load order within a profile: a later file overrides an earlier one. */
export const DEFAULT_PROFILES: Profiles = {
  development: ['.env', '.env.local', '.env.development'],
  production: ['.env.production', '.env.prod'],
};

/** Reads files through the caller so the engine never decides how (disk, editor buffers). */
export type ReadFile = (file: string) => string | undefined;

/**
 * Resolves, for a source file and a profile, which env files apply: the nearest directory (from the
 * file's own up to the workspace root) holding any of the profile's files, and those files in it.
 */
export class EnvResolver {
  private readonly cache = new Map<string, EnvFile | null>();
  readonly problems: FileProblem[] = [];

  constructor(
    private readonly root: string,
    readonly profiles: Profiles,
    private readonly read: ReadFile,
  ) {}

  load(file: string): EnvFile | null {
    if (this.cache.has(file)) return this.cache.get(file) ?? null;
    const text = this.read(file);
    let env: EnvFile | null = null;
    if (text !== undefined) {
      const r = parseEnvFile(file, text);
      env = r.env;
      this.problems.push(...r.problems);
    }
    this.cache.set(file, env);
    return env;
  }

  /** Forgets a file's parsed entries and its problems (it changed, appeared or went away). */
  invalidate(file: string): void {
    this.cache.delete(file);
    this.nearest.clear();
    for (let i = this.problems.length - 1; i >= 0; i--) if (this.problems[i].file === file) this.problems.splice(i, 1);
  }

  private readonly extra = new Map<string, (sourceFile: string) => EnvFile[]>();

  /** A profile whose variables come from elsewhere (a compose file's environment and env_file). */
  addProfile(name: string, filesFor: (sourceFile: string) => EnvFile[]): void {
    this.nearest.clear();
    this.extra.set(name, filesFor);
  }

  /**
   * Per profile and folder, the env files that apply (a scan asks for each parsed file and profile
   * several times, and the files of one folder share the answer). Cleared with the parsed files:
   * a hit returns what the walk up would find, and that walk would read nothing (every file it
   * looks at is in the cache, found or missing).
   */
  private readonly nearest = new Map<string, EnvFile[]>();

  /** The env files of `profile` that apply to `sourceFile`, in load order. */
  filesFor(sourceFile: string, profile: string): EnvFile[] {
    const start = path.dirname(sourceFile);
    const key = `${profile}\u0000${start}`;
    const hit = this.nearest.get(key);
    if (hit) return [...hit];
    const extra = this.extra.get(profile);
    if (extra) {
      // a compose profile's files depend on the service folder the source is in: one answer per folder
      const files = extra(sourceFile);
      this.nearest.set(key, files);
      return [...files];
    }
    const names = this.profiles[profile] ?? [];
    let dir = start;
    const root = path.resolve(this.root);
    let found: EnvFile[] = [];
    for (;;) {
      found = names.map((n) => this.load(path.join(dir, n))).filter((e): e is EnvFile => e !== null);
      if (found.length > 0) break;
      if (path.resolve(dir) === root || !isInside(dir, root)) break;
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    this.nearest.set(key, found);
    return found;
  }

  /** The nearest `.env.example` for a source file, if any. */
  exampleFor(sourceFile: string): string | undefined {
    let dir = path.dirname(sourceFile);
    const root = path.resolve(this.root);
    for (;;) {
      const candidate = path.join(dir, '.env.example');
      if (this.read(candidate) !== undefined) return candidate;
      if (path.resolve(dir) === root || !isInside(dir, root)) return undefined;
      const parent = path.dirname(dir);
      if (parent === dir) return undefined;
      dir = parent;
    }
  }
}

export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** A profile's variables for one source file: the merge of its env files, later ones winning. */
export class ProfileEnv {
  readonly vars = new Map<string, EnvEntry>();
  constructor(readonly name: string, readonly files: EnvFile[]) {
    for (const f of files) for (const [k, v] of f.entries) this.vars.set(k, v);
  }
  get(name: string): EnvEntry | undefined {
    return this.vars.get(name);
  }
}
