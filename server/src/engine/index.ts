// The one entry point the CLI, the language server and the tests share: find pools, run rules.
import * as path from 'path';
import type { FileProblem, Finding, PoolModel, Severity } from './model';
import { EnvResolver, type ReadFile } from './envfiles';
import { loadConfig, type EngineConfig } from './config';
import { parse, getParser, LineIndex, registerSource } from './syntax';
import { PythonModules } from './python/modules';
import { walk, readText, languageOf, isEnvFile, type WalkStats } from './workspace';
import { FixBuilder } from './fixes';
import { pinnedVersions } from './versions';
import type { Detector, TextDetector } from './detectors/types';
export type { TextDetector, TextDetectorContext } from './detectors/types';
import { sqlalchemyDetector } from './detectors/sqlalchemy';
import { sqlxDetector } from './detectors/sqlx';
import { sqlitePythonDetector } from './detectors/sqlite-python';
import { nodePostgresDetector } from './detectors/node-postgres';
import { betterSqlite3Detector } from './detectors/better-sqlite3';
import { RULES, RULE_IDS } from '../../../rules';
import type { Rule, RuleContext, RuleFinding } from './rule';
import { maskSecrets } from './urls';
import { readDeployment, isComposeFile, addComposeProfiles, parseComposeFiles, type Deployment } from './deployment';
import { yamlConfigDetector } from './detectors/yaml-config';

export const DETECTORS: Detector[] = [sqlalchemyDetector, sqlitePythonDetector, sqlxDetector, nodePostgresDetector, betterSqlite3Detector];
export { RULES, RULE_IDS };

export const TEXT_DETECTORS: TextDetector[] = [yamlConfigDetector];

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

export async function check(opts: CheckOptions): Promise<CheckResult> {
  const root = path.resolve(opts.root);
  const cache = new Map<string, string | undefined>();
  const read: ReadFile = (file) => {
    if (!cache.has(file)) cache.set(file, (opts.read ?? readText)(file));
    return cache.get(file);
  };
  const rel = opts.rel ?? ((f: string) => path.relative(root, f).split(path.sep).join('/') || '.');
  const problems: FileProblem[] = [];
  const loaded = opts.config ? { config: opts.config, problems: [] } : loadConfig(root, read, RULE_IDS);
  problems.push(...loaded.problems);
  const config = loaded.config;
  const env = new EnvResolver(root, config.profiles, read);
  const versions = pinnedVersions(root, read);
  const { files, stats } = walk(opts.paths?.length ? opts.paths.map((p) => path.resolve(p)) : [root], config.exclude, problems);
  // compose files first: each one with a service environment is a profile of its own
  const composeFiles = files.filter(isComposeFile);
  const composeDocs = parseComposeFiles(composeFiles, read, problems);
  const composeProfiles = addComposeProfiles(composeDocs, env, problems);
  let profiles = [...Object.keys(config.profiles), ...composeProfiles.filter((n) => !config.profiles[n])];
  if (opts.profile) {
    if (!profiles.includes(opts.profile)) problems.push({ file: root, message: `unknown profile '${opts.profile}' (known: ${profiles.join(', ')})` });
    else profiles = [opts.profile];
  }
  const pools: PoolModel[] = [];
  const modules = new PythonModules(root, read);
  let parsed = 0;
  const binary: string[] = [];
  const sources = files.filter((f) => languageOf(f) !== undefined);
  for (const file of files) {
    const base = path.basename(file);
    const text = read(file);
    if (text === undefined) {
      binary.push(file);
      continue;
    }
    const language = languageOf(file);
    if (!language) {
      if (isEnvFile(base)) env.load(file); // reports malformed lines
      for (const d of TEXT_DETECTORS.filter((t) => t.matches(file, text) && t.prefilter.test(text))) {
        parsed++;
        try {
          pools.push(...d.detect({ file, text, lines: new LineIndex(text), env, profiles, versions, rel, read, sources, problem: (p) => problems.push(p) }));
        } catch (e) {
          problems.push({ file, message: `internal error in the ${d.id} detector: ${maskSecrets((e as Error).message)}; other files are still checked` });
        }
      }
      continue;
    }
    // the cheap test first: a file without a pool-related token is never parsed
    const detectors = DETECTORS.filter((d) => d.languages.includes(language) && d.prefilter.test(text));
    if (detectors.length === 0) continue;
    parsed++;
    let tree;
    try {
      tree = await parse(language, text);
    } catch (e) {
      problems.push({ file, message: `cannot parse: ${(e as Error).message}` });
      continue;
    }
    try {
      const lines = new LineIndex(text);
      registerSource(tree, file, lines);
      if (tree.rootNode.hasError) {
        const err = firstError(tree.rootNode);
        const pos = err ? lines.position(err.startIndex) : undefined;
        problems.push({ file, line: pos?.line, column: pos?.column, message: 'syntax error; pools in the rest of the file are still checked' });
      }
      for (const d of detectors) {
        try {
          pools.push(...d.detect({ file, text, lines, tree, env, profiles, versions, rel, modules, read, root }));
        } catch (e) {
          problems.push({ file, message: `internal error in the ${d.id} detector: ${maskSecrets((e as Error).message)}; other files are still checked` });
        }
      }
    } finally {
      tree.delete();
    }
  }
  modules.dispose();
  stats.skippedBinary.push(...binary);
  problems.push(...env.problems);
  // gunicorn.conf.py is Python: its worker count is evaluated like any module
  if (composeFiles.length) await getParser('python');
  const deployment = readDeployment(composeDocs, profiles, read, env);
  const findings = runRules(pools, config, read, rel, env, RULES, deployment);
  return { root, config, pools, findings, problems: dedupeProblems(problems), stats: { ...stats, parsed }, profiles, deployment };
}

function firstError(n: import('./syntax').SyntaxNode): import('./syntax').SyntaxNode | undefined {
  if (n.isError || n.isMissing) return n;
  for (const c of n.children) {
    if (c.hasError || c.isError || c.isMissing) {
      const e = firstError(c);
      if (e) return e;
    }
  }
  return undefined;
}

function dedupeProblems(ps: FileProblem[]): FileProblem[] {
  const seen = new Set<string>();
  return ps.filter((p) => {
    const k = `${p.file}:${p.line}:${p.column}:${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** `# pool-lint: ignore` or `# pool-lint: ignore[rule-a, rule-b]` on the finding's line. */
function ignoredOnLine(lineText: string, rule: string): boolean {
  const m = /#\s*pool-lint:\s*ignore(?:\[([^\]]*)\])?/.exec(lineText);
  if (!m) return false;
  if (m[1] === undefined) return true;
  return m[1].split(',').map((s) => s.trim()).includes(rule);
}

export function runRules(pools: PoolModel[], config: EngineConfig, read: ReadFile, rel: (f: string) => string, env: EnvResolver, rules: Rule[] = RULES, deployment?: Deployment): Finding[] {
  const fixes = new FixBuilder(read);
  const lineCache = new Map<string, LineIndex>();
  const lineOf = (file: string, line: number): string => {
    let li = lineCache.get(file);
    if (!li) {
      li = new LineIndex(read(file) ?? '');
      lineCache.set(file, li);
    }
    return li.text.slice(li.lineStart(line), li.lineEnd(line));
  };
  const out: Finding[] = [];
  // one rule context per pool and profile, built once (the .env.example lookup walks folders)
  const contexts = new Map<PoolModel, Map<string, RuleContext>>();
  for (const pool of pools) {
    const envExample = env.exampleFor(pool.file);
    contexts.set(pool, new Map(Object.keys(pool.profiles).map((name) => [name, { pool, profile: pool.profiles[name], config, fixes, rel, envExample }])));
  }
  /** Collects one rule's results over profiles: the same finding in several profiles is reported once, naming them. */
  const merge = (rule: Rule, profileCount: number) => {
    const byKey = new Map<string, { f: Finding; profiles: string[] }>();
    const level = config.rules[rule.meta.id] as Severity | undefined;
    return {
      add(profile: string, poolId: string, r: RuleFinding) {
        const key = `${r.span.file}:${r.span.start}:${r.span.end}:${r.message}`;
        const hit = byKey.get(key);
        if (hit) hit.profiles.push(profile);
        else byKey.set(key, { f: { rule: rule.meta.id, severity: level ?? r.severity ?? rule.meta.severity, message: maskSecrets(r.message), span: r.span, profile, poolId, fix: r.fix, related: r.related }, profiles: [profile] });
      },
      flush() {
        for (const { f, profiles } of byKey.values()) {
          f.profile = profiles.length === profileCount ? null : profiles.join(',');
          if (!ignoredOnLine(lineOf(f.span.file, f.span.line), f.rule)) out.push(f);
        }
      },
    };
  };
  const failed = (rule: Rule, e: unknown, pool: PoolModel, profile: string) =>
    out.push({ rule: 'internal-error', severity: 'error', message: `rule ${rule.meta.id} failed: ${maskSecrets((e as Error).message)}`, span: pool.span, profile, poolId: pool.id });
  const active = rules.filter((r) => config.rules[r.meta.id] !== 'off');
  for (const [pool, byProfile] of contexts) {
    for (const rule of active) {
      const m = merge(rule, byProfile.size);
      for (const [name, ctx] of byProfile) {
        try {
          for (const r of rule.check(ctx)) m.add(name, pool.id, r);
        } catch (e) {
          failed(rule, e, pool, name);
        }
      }
      m.flush();
    }
  }
  // workspace-wide rules (fleet arithmetic), once per profile
  const allProfiles = [...new Set(pools.flatMap((p) => Object.keys(p.profiles)))];
  for (const rule of active) {
    if (!rule.checkAll) continue;
    const m = merge(rule, allProfiles.length);
    for (const profile of allProfiles) {
      const ctxs = pools.flatMap((p) => contexts.get(p)!.get(profile) ?? []);
      try {
        for (const r of rule.checkAll({ profile, pools: ctxs, deployment: deployment?.profiles[profile], config, fixes, rel })) m.add(profile, r.poolId, r);
      } catch (e) {
        failed(rule, e, pools[0], profile);
      }
    }
    m.flush();
  }
  out.sort((a, b) => (a.span.file < b.span.file ? -1 : a.span.file > b.span.file ? 1 : a.span.start - b.span.start || (a.rule < b.rule ? -1 : 1)));
  return out;
}

export function worstSeverity(findings: Finding[]): Severity | undefined {
  let worst: Severity | undefined;
  for (const f of findings) if (!worst || SEVERITY_RANK[f.severity] > SEVERITY_RANK[worst]) worst = f.severity;
  return worst;
}
