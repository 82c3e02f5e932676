// The pool model: what every detector produces and every rule reads.
// Pure data, no behaviour; positions are 0-based internally (the formatters add 1).

export type DatabaseKind = 'postgresql' | 'sqlite' | 'mysql' | 'unknown';
export type Severity = 'info' | 'warning' | 'error';
export type SeverityOverride = Severity | 'off';

/** A span in one file. Offsets are UTF-16 indices into the file's text, lines/columns 0-based. */
export interface Span {
  file: string; // absolute path
  start: number;
  end: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export type JsonValue = number | string | boolean | null;

/** Where a value read from the environment came from. */
export interface EnvOrigin {
  name: string;
  /** The .env file (absolute path) and 0-based line that set the variable, when one did. */
  file?: string;
  line?: number;
  /** The raw text after `=` as dotenv parsed it. */
  raw?: string;
  /** The span of the value on that line (for edits). */
  valueSpan?: Span;
  /** The fallback written in code, when there is one. */
  fallback?: { value: JsonValue | undefined; text: string; span: Span };
  /** Span of the code that reads the variable (os.getenv(...)). */
  readSpan: Span;
  /** True when the variable is not set in the profile and the code's fallback is used. */
  usedFallback: boolean;
}

export type SettingSource = 'literal' | 'env' | 'default' | 'unknown';

export interface Setting {
  /** The effective value: a number, string, boolean, null (Python None), or undefined when unknown. */
  value: JsonValue | undefined;
  source: SettingSource;
  /** literal: where the value is written; env: the code that reads it. */
  span?: Span;
  /** Source text of the expression, for messages. */
  text?: string;
  env?: EnvOrigin;
  default?: { library: string; version: string; cite: string };
  /** Why a value is unknown, or a note on how it was derived. */
  reason?: string;
  /** A start-up crash this value causes, e.g. int('twenty'). */
  crash?: string;
  /** A Python truthiness trap, e.g. bool('false') is True. */
  warning?: string;
  /** Written, but the library never reads it (a config key removed in a later release, an override it no longer calls). */
  ignored?: string;
  /** The library deprecated or removed this way of writing the setting. */
  deprecated?: boolean;
}

export interface DatabaseInfo {
  kind: DatabaseKind;
  /** How the kind was known, in words: "URL scheme 'sqlite+aiosqlite' from DATABASE_URL in .env:2". */
  how: string;
  /** The URL scheme when known (e.g. 'postgresql+asyncpg'). */
  scheme?: string;
  /** The URL with its password masked, when known. */
  url?: string;
  /** The URL setting itself (its source), for rules that report on it. */
  source?: Setting;
  /** true for `:memory:` / empty-path SQLite URLs. */
  memory?: boolean;
}

/**
 * Where a fix may add a setting that is not written yet:
 * - `call`: a Python argument list, `(...)`: adds `name=value`;
 * - `dict`: a Python dict literal, `{...}`: adds `"name": value`;
 * - `object`: a JS/TS object literal, `{...}`: adds `name: value`;
 * - `chain`: a Rust builder chain; `span` is the expression the chain starts with
 *   (`PgPoolOptions::new()`): adds `.name(value)` right after it, on its own line when the chain
 *   is written one call per line;
 * - `args`: a JS argument list, `(...)`, without an options object: adds `{ name: value }` as the
 *   last argument;
 * - `query`: a database URL (`span` covers the URL text): adds `name=value` to its query string;
 * - `statement`: a Go statement after which `<receiver>.SetName(value)` (or `<receiver>.Name = value`) is added on its own line;
 * - `line`: a line-oriented config file (Spring's application.yml / .properties): a new line
 *   `<prefix><name><separator><value>` after the zero-width `span` (`prefix` may open nested YAML keys).
 * `within` nests the setting in an object of that name (`pool: { max: 20 }`), for libraries
 * whose pool settings sit in a sub-object the code does not write yet.
 */
export interface InsertTarget {
  kind: 'call' | 'dict' | 'object' | 'chain' | 'args' | 'query' | 'statement' | 'line';
  span: Span;
  within?: string;
  /** `statement`: the receiver the new call is made on (`db`). */
  receiver?: string;
  /** `statement`: a field assignment (`cfg.MaxConns = value`) instead of a method call. */
  assign?: boolean;
  /** `line`: the text before the name on the new line(s), and between the name and the value. */
  prefix?: string;
  separator?: string;
  /** `line`: the file writes these keys in camelCase (maximumPoolSize), not kebab-case. */
  camelCase?: boolean;
}

export interface ProfileModel {
  profile: string;
  /** The env files that made up this profile for this pool (absolute paths), in load order. */
  envFiles: string[];
  database: DatabaseInfo;
  poolClass: { name: string; source: SettingSource; reason: string };
  settings: Record<string, Setting>;
  /** Where a missing setting would be added. */
  insertTarget?: InsertTarget;
  /** Why this profile applies to the pool when its env files do not say (a Django settings module named production.py). */
  boundBy?: string;
}

export interface PoolModel {
  id: string;
  library: string;
  /** e.g. create_engine, create_async_engine */
  constructor: string;
  file: string;
  span: Span;
  async: boolean;
  profiles: Record<string, ProfileModel>;
  /** Names of settings whose effective value differs between profiles (plus 'database'). */
  differsBetweenProfiles: string[];
  /** Library version the defaults hold for (from the project's requirements, or the assumed one). */
  libraryVersion: { version: string; source: string };
  /** SQLite pools and connections: journal mode, busy timeout, and how the connection is used. */
  sqlite?: SqliteFacts;
  /** node-postgres: whether the module attaches pool.on('error', ...), and where a listener would go. */
  errorListener?: { attached: boolean; variable?: string; insertAfter?: Span };
  /** asyncpg: argument lists of `.acquire()` calls in the pool's file that pass no timeout (a fix adds one). */
  acquireCalls?: Span[];
}

export interface TextEdit {
  file: string;
  start: number;
  end: number;
  newText: string;
}

export interface Fix {
  description: string;
  edits: TextEdit[];
}

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  span: Span;
  /** null when the finding holds identically in every profile evaluated. */
  profile: string | null;
  poolId: string;
  fix?: Fix;
  /** Other places that explain the finding (where a value came from). */
  related?: { span: Span; message: string }[];
  /** What the flagged text is, for editors that render it so (faded, struck through). */
  tags?: FindingTag[];
}

/** 'unnecessary': written but without effect; 'deprecated': a way of writing it the library deprecated or removed. */
export type FindingTag = 'unnecessary' | 'deprecated';

export interface FileProblem {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

export interface SqliteFacts {
  /** Effective journal mode: from a PRAGMA in the code, else SQLite's default 'delete'. */
  journalMode: Setting;
  /** Effective busy timeout in milliseconds (PRAGMA busy_timeout, or the driver's timeout). */
  busyTimeoutMs: Setting;
  /** Whether a concurrent server uses it, and how that was known. */
  server: { value: boolean; how: string };
  /** One connection kept on self or the module and handed to every caller. */
  shared?: { holder: string; kind: 'self' | 'module' };
  /** The statement that stores the connection (a PRAGMA fix goes after it). */
  insertAfter?: Span;
  /** The body of `async with connect(...) as db:` (a PRAGMA fix goes first in it). */
  insertInto?: Span;
  /** The expression that holds the connection (`self._connection`, `db`). */
  connection?: string;
  /** Calls on the connection are awaited (aiosqlite). */
  awaited: boolean;
}
