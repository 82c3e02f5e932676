// The contract between the engine and the rules in /rules: metadata plus a check over one pool
// model in one profile.
import type { Fix, FindingTag, PoolModel, ProfileModel, Severity, Span } from './model';
import type { FixBuilder } from './fixes';
import type { EngineConfig } from './config';
import type { Deployment } from './deployment';

export interface RuleMeta {
  id: string;
  /** Default severity; a finding may lower or raise it (e.g. recycle on MySQL vs PostgreSQL). */
  severity: Severity;
  summary: string;
  rationale: string;
  /** Where the threshold or library behaviour the rule relies on is written (source file or docs). */
  thresholdSource: string;
  fixable: boolean;
  /** What the fix does, when fixable. */
  fixDescription?: string;
  /** Libraries the rule applies to, and where it deliberately does not. */
  appliesTo: string;
  /** Examples for the docs. */
  examples?: { bad: string; good?: string; note?: string }[];
}

export interface RuleContext {
  pool: PoolModel;
  profile: ProfileModel;
  config: EngineConfig;
  fixes: FixBuilder;
  /** Display form of a path (relative to where the user ran the tool). */
  rel(file: string): string;
  /** The nearest .env.example for the pool's file, if any. */
  envExample?: string;
}

export interface RuleFinding {
  message: string;
  span: Span;
  severity?: Severity;
  fix?: Fix;
  related?: { span: Span; message: string }[];
  tags?: FindingTag[];
}

/** What a workspace-wide rule sees for one profile: every pool, and how they are deployed. */
export interface FleetContext {
  profile: string;
  /** Each pool with its rule context in this profile (pools not evaluated in it are absent). */
  pools: RuleContext[];
  deployment?: Deployment['profiles'][string];
  config: EngineConfig;
  fixes: FixBuilder;
  rel(file: string): string;
}

export interface Rule {
  meta: RuleMeta;
  check(ctx: RuleContext): RuleFinding[];
  /** A check over all pools at once (fleet arithmetic), run once per profile. */
  checkAll?(ctx: FleetContext): (RuleFinding & { poolId: string })[];
}
