// Project configuration: poollint.config.json, .poollintrc.json, "poolLint" in package.json, or
// [tool.pool-lint] in pyproject.toml (first found wins). Bad values are reported with the file and
// ignored; the run goes on with the defaults.
import * as path from 'path';
import { parse as parseToml } from 'smol-toml';
import type { FileProblem, SeverityOverride } from './model';
import { DEFAULT_PROFILES, type Profiles, type ReadFile } from './envfiles';

/** Requests in flight per process assumed when nothing says otherwise (see docs/rules/undersized-pool.md). */
export const DEFAULT_EXPECTED_CONCURRENCY = 50;

export interface EngineConfig {
  rules: Record<string, SeverityOverride>;
  expectedConcurrency?: number;
  peakRequestsPerSecond?: number;
  avgConnectionHoldMs?: number;
  /** The database server's max_connections, when no compose file tells it. */
  serverMaxConnections?: number;
  profiles: Profiles;
  exclude: string[];
  /** The load probe: hosts beyond loopback it may connect to (`"probe": {"allowedHosts": [...]}`). */
  probe?: { allowedHosts: string[] };
  /** The file the configuration came from, if any. */
  source?: string;
}

export function defaultConfig(): EngineConfig {
  return { rules: {}, profiles: { ...DEFAULT_PROFILES }, exclude: [] };
}

const KEYS = ['rules', 'expectedConcurrency', 'peakRequestsPerSecond', 'avgConnectionHoldMs', 'serverMaxConnections', 'profiles', 'exclude', 'probe', '$schema'];
const LEVELS = ['off', 'info', 'warning', 'error'];

/** Expected concurrent checkouts per process, and how that figure was reached. */
export function expectedConcurrency(c: EngineConfig): { value: number; how: string } {
  if (c.expectedConcurrency !== undefined) return { value: c.expectedConcurrency, how: `expectedConcurrency = ${c.expectedConcurrency}` };
  if (c.peakRequestsPerSecond !== undefined && c.avgConnectionHoldMs !== undefined) {
    const l = Math.ceil((c.peakRequestsPerSecond * c.avgConnectionHoldMs) / 1000);
    return { value: Math.max(1, l), how: `Little's law: ${c.peakRequestsPerSecond} req/s x ${c.avgConnectionHoldMs} ms held = ${l}` };
  }
  return { value: DEFAULT_EXPECTED_CONCURRENCY, how: `pool-lint's default; set expectedConcurrency, or peakRequestsPerSecond and avgConnectionHoldMs` };
}

export function loadConfig(root: string, read: ReadFile, ruleIds: string[]): { config: EngineConfig; problems: FileProblem[] } {
  const problems: FileProblem[] = [];
  const candidates: [string, (text: string) => unknown][] = [
    ['poollint.config.json', (t) => JSON.parse(t)],
    ['.poollintrc.json', (t) => JSON.parse(t)],
    ['package.json', (t) => (JSON.parse(t) as Record<string, unknown>).poolLint],
    ['pyproject.toml', (t) => ((parseToml(t) as Record<string, Record<string, unknown>>).tool ?? {})['pool-lint']],
  ];
  for (const [name, extract] of candidates) {
    const file = path.join(root, name);
    const text = read(file);
    if (text === undefined) continue;
    let raw: unknown;
    try {
      raw = extract(text);
    } catch (e) {
      const err = e as Error & { line?: number; column?: number };
      problems.push({ file, line: err.line !== undefined ? err.line - 1 : undefined, column: err.column !== undefined ? err.column - 1 : undefined, message: `cannot parse ${name}: ${err.message.split('\n')[0]}` });
      continue;
    }
    if (raw === undefined) continue;
    return { config: validate(raw, file, ruleIds, problems), problems };
  }
  return { config: defaultConfig(), problems };
}

function validate(raw: unknown, file: string, ruleIds: string[], problems: FileProblem[]): EngineConfig {
  const c = defaultConfig();
  c.source = file;
  const bad = (message: string) => problems.push({ file, message });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    bad('pool-lint configuration must be an object');
    return c;
  }
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) bad(`unknown key '${k}' (known: ${KEYS.filter((x) => x !== '$schema').join(', ')})`);
  if (o.rules !== undefined) {
    if (typeof o.rules !== 'object' || o.rules === null) bad(`'rules' must map rule ids to off/info/warning/error`);
    else
      for (const [id, level] of Object.entries(o.rules as Record<string, unknown>)) {
        if (!ruleIds.includes(id)) bad(`unknown rule '${id}' in 'rules' (known: ${ruleIds.join(', ')})`);
        else if (typeof level !== 'string' || !LEVELS.includes(level)) bad(`rule '${id}': severity must be one of ${LEVELS.join('/')}, not ${JSON.stringify(level)}`);
        else c.rules[id] = level as SeverityOverride;
      }
  }
  for (const k of ['expectedConcurrency', 'peakRequestsPerSecond', 'avgConnectionHoldMs', 'serverMaxConnections'] as const) {
    const v = o[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) bad(`'${k}' must be a positive number, not ${JSON.stringify(v)}`);
    else c[k] = v;
  }
  if (o.profiles !== undefined) {
    if (typeof o.profiles !== 'object' || o.profiles === null || Array.isArray(o.profiles)) bad(`'profiles' must map a profile name to a list of env file names`);
    else
      for (const [name, files] of Object.entries(o.profiles as Record<string, unknown>)) {
        if (!Array.isArray(files) || files.some((f) => typeof f !== 'string')) bad(`profile '${name}' must be a list of env file names`);
        else c.profiles[name] = files as string[];
      }
  }
  if (o.probe !== undefined) {
    const p = o.probe as Record<string, unknown> | null;
    if (typeof p !== 'object' || p === null || Array.isArray(p)) bad(`'probe' must be an object such as {"allowedHosts": ["db.staging.internal"]}`);
    else {
      for (const k of Object.keys(p)) if (k !== 'allowedHosts') bad(`unknown key 'probe.${k}' (known: allowedHosts)`);
      if (p.allowedHosts !== undefined) {
        if (!Array.isArray(p.allowedHosts) || p.allowedHosts.some((h) => typeof h !== 'string' || !h.trim())) bad(`'probe.allowedHosts' must be a list of host names or addresses`);
        else c.probe = { allowedHosts: p.allowedHosts as string[] };
      }
    }
  }
  if (o.exclude !== undefined) {
    if (!Array.isArray(o.exclude) || o.exclude.some((f) => typeof f !== 'string')) bad(`'exclude' must be a list of gitignore-style patterns`);
    else c.exclude = o.exclude as string[];
  }
  return c;
}
