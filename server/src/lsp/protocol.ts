// pool-lint's extensions to the Language Server Protocol, in one file (as rust-analyzer keeps its
// lsp_ext): types only, so the VS Code client (and any other) can import them without pulling the
// server in. Positions are LSP positions (0-based, UTF-16).

/** The settings the server pulls per workspace folder with `workspace/configuration`, section `poolLint`. */
export interface PoolLintSettings {
  enable?: boolean;
  /** Rule id to severity; `off` silences the rule. */
  rules?: Record<string, 'off' | 'info' | 'warning' | 'error'>;
  expectedConcurrency?: number | null;
  peakRequestsPerSecond?: number | null;
  avgConnectionHoldMs?: number | null;
  serverMaxConnections?: number | null;
  /** Profile name to the env files it reads, in load order (merged over the project's). */
  profiles?: Record<string, string[]>;
  trace?: { server?: 'off' | 'messages' | 'verbose' };
}

export const SETTINGS_SECTION = 'poolLint';

export interface LspRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

export interface LspLocation {
  uri: string;
  range: LspRange;
}

/** `poolLint/pools`: every pool in the workspace (or under one folder or file). */
export const POOLS_REQUEST = 'poolLint/pools';

export interface PoolsParams {
  /** A folder or file URI to limit the answer to; every pool when absent. */
  uri?: string;
}

export interface PoolSettingInfo {
  /** The effective value; null when it is Python None / JS null; absent when unknown. */
  value?: number | string | boolean | null;
  source: 'literal' | 'env' | 'default' | 'unknown';
  /** In words: "DB_POOL_SIZE in .env:3", "SQLAlchemy 2.0 default", "written here". */
  from: string;
  /** Where the value is written (the literal, the .env line), when it is written somewhere. */
  location?: LspLocation;
}

export interface PoolProfileInfo {
  name: string;
  database: { kind: 'postgresql' | 'sqlite' | 'mysql' | 'unknown'; how: string; url?: string };
  poolClass: string;
  /** Connections the pool can hold at once in this profile, when known. */
  capacity?: number;
  envFiles: string[];
  settings: Record<string, PoolSettingInfo>;
}

export interface PoolInfo {
  id: string;
  library: string;
  constructor: string;
  uri: string;
  range: LspRange;
  /** Workspace-relative path, for display. */
  path: string;
  profiles: PoolProfileInfo[];
  findings: { error: number; warning: number; info: number };
}

export interface PoolsResult {
  pools: PoolInfo[];
}

/** The command of the "Run load probe" CodeLens; the client implements it. */
export const RUN_PROBE_COMMAND = 'poolLint.runProbe';

export interface RunProbeArgs {
  uri: string;
  /** 0-based line of the pool's construction. */
  line: number;
  poolId: string;
}

/** `poolLint/status` (server to client notification): counts after each scan or update. */
export const STATUS_NOTIFICATION = 'poolLint/status';

export interface StatusParams {
  /** True while the first workspace scan runs. */
  scanning: boolean;
  pools: number;
  findings: { error: number; warning: number; info: number };
  /** Files analysed by the last scan or update. */
  analysed: number;
  /** Of those, files whose pools were kept without running a detector (an edit inside one token nobody read). */
  kept: number;
  /** Server-side time of the last scan or update, in ms (edit received to diagnostics sent). */
  elapsedMs: number;
  /** The server process's CPU time over the same interval, in ms (what the update cost, whatever else the machine runs). */
  cpuMs?: number;
}

/** The code action kind of "fix all pool-lint findings in this file". */
export const FIX_ALL_KIND = 'source.fixAll.poolLint';
