// The poolLint/pools request as the client reads it. The server's own definition lives in
// server/src/lsp/protocol.ts; this file narrows it to what the client shows.
export const POOLS_METHOD = 'poolLint/pools';

export interface Position {
  line: number;
  character: number;
}

export interface PoolSettingInfo {
  name: string;
  /** The effective value as the code would read it, e.g. "5" or "None". */
  value: string;
  /** literal, env, default or unknown. */
  source: string;
  /** Where it came from: ".env:3", "SQLAlchemy 2.0 default". */
  origin?: string;
}

export interface PoolProfileInfo {
  profile: string;
  database: string;
  /** Capacity summary, e.g. "holds 15 (pool_size 5 + max_overflow 10)". */
  capacity?: string;
  envFiles: string[];
  settings: PoolSettingInfo[];
}

export interface PoolInfo {
  id: string;
  uri: string;
  range: { start: Position; end: Position };
  library: string;
  constructor: string;
  profiles: PoolProfileInfo[];
  findings?: number;
}

export interface PoolsResult {
  pools: PoolInfo[];
}
