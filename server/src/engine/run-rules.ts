// Runs the rules over pool models: the per-pool rules pool by pool (so a long-lived workspace
// re-runs them only for the pools that changed), and the workspace-wide (fleet) rules over all.
import type { Finding, PoolModel, Severity } from './model';
import type { EnvResolver, ReadFile } from './envfiles';
import type { EngineConfig } from './config';
import type { Rule, RuleContext, RuleFinding } from './rule';
import type { Deployment } from './deployment';
import { FixBuilder } from './fixes';
import { maskSecrets } from './urls';

/**
 * `# pool-lint: ignore` or `# pool-lint: ignore[rule-a, rule-b]` on the finding's line; `//`
 * instead of `#` in Rust, TypeScript and JavaScript.
 */
export const IGNORE_COMMENT = /(?:#|\/\/)\s*pool-lint:\s*ignore(?:\[([^\]]*)\])?/;

export function ignoredOnLine(lineText: string, rule: string): boolean {
  const m = IGNORE_COMMENT.exec(lineText);
  if (!m) return false;
  if (m[1] === undefined) return true;
  return m[1].split(',').map((s) => s.trim()).includes(rule);
}

export function compareFindings(a: Finding, b: Finding): number {
  return a.span.file < b.span.file ? -1 : a.span.file > b.span.file ? 1 : a.span.start - b.span.start || (a.rule < b.rule ? -1 : 1);
}

/** One run of the rules against one state of the files (the reader's). */
export class RuleRunner {
  readonly fixes: FixBuilder;
  private readonly contexts = new WeakMap<PoolModel, Map<string, RuleContext>>();
  private readonly active: Rule[];

  constructor(
    private readonly config: EngineConfig,
    private readonly read: ReadFile,
    private readonly rel: (f: string) => string,
    private readonly env: EnvResolver,
    rules: Rule[],
  ) {
    this.fixes = new FixBuilder(read);
    this.active = rules.filter((r) => config.rules[r.meta.id] !== 'off');
  }

  /** The line holding an offset (no line index: a long file costs only its one line). */
  private lineAt(file: string, offset: number): string {
    const text = this.read(file) ?? '';
    const start = text.lastIndexOf('\n', offset - 1) + 1;
    let end = text.indexOf('\n', offset);
    if (end < 0) end = text.length;
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    return text.slice(start, end);
  }

  /** One rule context per pool and profile, built once (the .env.example lookup walks folders). */
  private contextsOf(pool: PoolModel): Map<string, RuleContext> {
    let byProfile = this.contexts.get(pool);
    if (!byProfile) {
      const envExample = this.env.exampleFor(pool.file);
      const { config, fixes, rel } = this;
      byProfile = new Map(Object.keys(pool.profiles).map((name) => [name, { pool, profile: pool.profiles[name], config, fixes, rel, envExample }]));
      this.contexts.set(pool, byProfile);
    }
    return byProfile;
  }

  /** Collects one rule's results over profiles: the same finding in several profiles is reported once, naming them. */
  private merge(rule: Rule, profileCount: number, out: Finding[]) {
    const byKey = new Map<string, { f: Finding; profiles: string[] }>();
    const level = this.config.rules[rule.meta.id] as Severity | undefined;
    return {
      add(profile: string, poolId: string, r: RuleFinding) {
        const key = `${r.span.file}:${r.span.start}:${r.span.end}:${r.message}`;
        const hit = byKey.get(key);
        if (hit) hit.profiles.push(profile);
        else byKey.set(key, { f: { rule: rule.meta.id, severity: level ?? r.severity ?? rule.meta.severity, message: maskSecrets(r.message), span: r.span, profile, poolId, fix: r.fix, related: r.related, ...(r.tags?.length ? { tags: r.tags } : {}) }, profiles: [profile] });
      },
      flush: () => {
        for (const { f, profiles } of byKey.values()) {
          f.profile = profiles.length === profileCount ? null : profiles.join(',');
          if (!ignoredOnLine(this.lineAt(f.span.file, f.span.start), f.rule)) out.push(f);
        }
      },
    };
  }

  private failed(out: Finding[], rule: Rule, e: unknown, pool: PoolModel, profile: string): void {
    out.push({ rule: 'internal-error', severity: 'error', message: `rule ${rule.meta.id} failed: ${maskSecrets((e as Error).message)}`, span: pool.span, profile, poolId: pool.id });
  }

  /** The per-pool rules' findings for one pool (unsorted). */
  poolFindings(pool: PoolModel): Finding[] {
    const out: Finding[] = [];
    const byProfile = this.contextsOf(pool);
    for (const rule of this.active) {
      const m = this.merge(rule, byProfile.size, out);
      for (const [name, ctx] of byProfile) {
        try {
          for (const r of rule.check(ctx)) m.add(name, pool.id, r);
        } catch (e) {
          this.failed(out, rule, e, pool, name);
        }
      }
      m.flush();
    }
    return out;
  }

  /** The workspace-wide rules (fleet arithmetic), once per profile over every pool (unsorted). */
  fleetFindings(pools: PoolModel[], deployment?: Deployment): Finding[] {
    const out: Finding[] = [];
    const allProfiles = [...new Set(pools.flatMap((p) => Object.keys(p.profiles)))];
    for (const rule of this.active) {
      if (!rule.checkAll) continue;
      const m = this.merge(rule, allProfiles.length, out);
      for (const profile of allProfiles) {
        const ctxs = pools.flatMap((p) => this.contextsOf(p).get(profile) ?? []);
        try {
          for (const r of rule.checkAll({ profile, pools: ctxs, deployment: deployment?.profiles[profile], config: this.config, fixes: this.fixes, rel: this.rel })) m.add(profile, r.poolId, r);
        } catch (e) {
          this.failed(out, rule, e, pools[0], profile);
        }
      }
      m.flush();
    }
    return out;
  }
}

export function runRules(pools: PoolModel[], config: EngineConfig, read: ReadFile, rel: (f: string) => string, env: EnvResolver, rules: Rule[], deployment?: Deployment): Finding[] {
  const runner = new RuleRunner(config, read, rel, env, rules);
  const out = pools.flatMap((p) => runner.poolFindings(p));
  out.push(...runner.fleetFindings(pools, deployment));
  return out.sort(compareFindings);
}
