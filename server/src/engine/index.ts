// The one entry point the CLI, the language server and the tests share: find pools, run rules.
import * as path from 'path';
import type { AnalysisCache } from './cache';
import type { FileProblem, Finding, PoolModel, Severity } from './model';
import type { EnvResolver, ReadFile } from './envfiles';
import type { EngineConfig } from './config';
import type { WalkStats } from './workspace';
import type { Detector, TextDetector } from './detectors/types';
export type { TextDetector, TextDetectorContext } from './detectors/types';
import { sqlalchemyDetector } from './detectors/sqlalchemy';
import { sqlxDetector } from './detectors/sqlx';
import { sqlitePythonDetector } from './detectors/sqlite-python';
import { nodePostgresDetector } from './detectors/node-postgres';
import { betterSqlite3Detector } from './detectors/better-sqlite3';
import { knexDetector } from './detectors/knex';
import { sequelizeDetector } from './detectors/sequelize';
import { mysql2Detector } from './detectors/mysql2';
import { prismaDetector } from './detectors/prisma';
import { goSqlDetector } from './detectors/go-sql';
import { pgxpoolDetector } from './detectors/pgxpool';
import { asyncpgDetector } from './detectors/asyncpg';
import { psycopgPoolDetector } from './detectors/psycopg-pool';
import { djangoDetector } from './detectors/django';
import { flaskSqlalchemyDetector } from './detectors/flask-sqlalchemy';
import { RULES, RULE_IDS } from '../../../rules';
import type { Rule } from './rule';
import type { Deployment } from './deployment';
import { Workspace, type WorkspaceOptions } from './incremental';
import { runRules as runRulesOver } from './run-rules';
export { Workspace, type WorkspaceOptions, type ConfigOverrides, type UpdateResult, type FileEvent } from './incremental';
import { yamlConfigDetector } from './detectors/yaml-config';
import { springHikariDetector } from './detectors/spring-hikari';
import { sequelizeConfigDetector } from './detectors/sequelize-config';

export const DETECTORS: Detector[] = [sqlalchemyDetector, sqlitePythonDetector, sqlxDetector, nodePostgresDetector, betterSqlite3Detector, knexDetector, sequelizeDetector, mysql2Detector, goSqlDetector, pgxpoolDetector, asyncpgDetector, psycopgPoolDetector, djangoDetector, flaskSqlalchemyDetector];
export { RULES, RULE_IDS };

export const TEXT_DETECTORS: TextDetector[] = [yamlConfigDetector, prismaDetector, springHikariDetector, sequelizeConfigDetector];

export interface CheckOptions {
  /** Workspace root: config, env profiles and version pins are looked up from here. */
  root: string;
  /** Files or folders to check (default: the root). */
  paths?: string[];
  /** Evaluate only this profile. */
  profile?: string;
  /** Display form of paths in messages (default: relative to root). */
  rel?: (file: string) => string;
  /** Reads a file (default: from disk); the language server passes its open buffers. */
  read?: ReadFile;
  config?: EngineConfig;
  /** Per-file analyses from an earlier check (cache.ts): unchanged files are not parsed again. */
  cache?: AnalysisCache;
}

export interface CheckResult {
  root: string;
  config: EngineConfig;
  pools: PoolModel[];
  findings: Finding[];
  problems: FileProblem[];
  stats: WalkStats & { parsed: number };
  profiles: string[];
  deployment: Deployment;
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** A long-lived workspace with this engine's detectors and rules (the language server keeps one per folder). */
export function createWorkspace(opts: Omit<WorkspaceOptions, 'detectors' | 'textDetectors' | 'rules' | 'ruleIds'> & Partial<WorkspaceOptions>): Workspace {
  return new Workspace({ detectors: DETECTORS, textDetectors: TEXT_DETECTORS, rules: RULES, ruleIds: RULE_IDS, ...opts });
}

/** One scan of a fresh workspace: every pool, every finding. */
export async function check(opts: CheckOptions): Promise<CheckResult> {
  const ws = createWorkspace({ root: opts.root, read: opts.read, config: opts.config, profile: opts.profile, rel: opts.rel, cache: opts.cache });
  try {
    await ws.scan(opts.paths);
    return ws.result();
  } finally {
    ws.dispose();
  }
}

export function runRules(pools: PoolModel[], config: EngineConfig, read: ReadFile, rel: (f: string) => string, env: EnvResolver, rules: Rule[] = RULES, deployment?: Deployment): Finding[] {
  return runRulesOver(pools, config, read, rel, env, rules, deployment);
}

export function worstSeverity(findings: Finding[]): Severity | undefined {
  let worst: Severity | undefined;
  for (const f of findings) if (!worst || SEVERITY_RANK[f.severity] > SEVERITY_RANK[worst]) worst = f.severity;
  return worst;
}

export { AnalysisCache, openDiskCache, defaultCacheDir, buildId } from './cache';
