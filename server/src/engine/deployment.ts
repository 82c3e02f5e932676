// How many processes run each pool, and how many connections the server takes: read from
// docker-compose files (deploy.replicas, the app's gunicorn/uvicorn worker count, WEB_CONCURRENCY,
// a postgres service's `-c max_connections=N`) and gunicorn.conf.py. Parsed with `yaml`, keeping
// ranges so every figure can point at the line it came from.
import * as path from 'path';
import * as YAML from 'yaml';
import type { FileProblem, Span } from './model';
import { LineIndex, parseSync, registerSource, tooLargeToParse } from './syntax';
import { parseYaml, yamlTooDeep } from './yaml-depth';
import { PyEvaluator } from './python/evaluator';
import { ProfileEnv } from './envfiles';
import type { ReadFile, EnvFile, EnvEntry, EnvResolver } from './envfiles';
import { isInside } from './envfiles';

export interface Figure {
  value: number;
  /** In words: "`-w 4` in the command of service api (docker-compose.yml:5)". */
  how: string;
  span?: Span;
}

export interface AppService {
  name: string;
  composeFile: string;
  /** Folder whose code this service runs (its build context). */
  context?: string;
  replicas: Figure;
  processes: Figure;
}

export interface DbServer {
  name: string;
  composeFile: string;
  kind: 'postgresql' | 'mysql';
  maxConnections: Figure;
}

export interface Deployment {
  /** Per profile: the app services and database servers that profile deploys. */
  profiles: Record<string, { services: AppService[]; servers: DbServer[] }>;
}

const COMPOSE = /^(docker-)?compose([.-][\w.-]+)?\.ya?ml$/i;

export function isComposeFile(file: string): boolean {
  return COMPOSE.test(path.basename(file));
}

/** The profile a compose file's own environment defines: its name without the extension. */
export function composeProfileName(file: string): string {
  return path.basename(file).replace(/\.ya?ml$/i, '');
}

/** Which .env profile a compose file's deployment figures belong to; undefined for the base file every profile uses. */
export function composeProfile(file: string): string | undefined {
  const base = path.basename(file).toLowerCase();
  if (/prod/.test(base)) return 'production';
  if (/(dev|override|local)/.test(base)) return 'development';
  return undefined;
}

function scalarText(node: unknown): string | undefined {
  if (YAML.isScalar(node)) return node.value === null || node.value === undefined ? undefined : String(node.value);
  return undefined;
}

function commandText(node: unknown): string | undefined {
  if (YAML.isSeq(node)) return node.items.map((i) => scalarText(i) ?? '').join(' ');
  return scalarText(node);
}

function envMap(node: unknown): Map<string, { value: string; node: YAML.Node }> {
  const out = new Map<string, { value: string; node: YAML.Node }>();
  if (YAML.isMap(node)) {
    for (const it of node.items) {
      const k = scalarText(it.key);
      const v = scalarText(it.value);
      if (k && v !== undefined && YAML.isNode(it.value)) out.set(k, { value: v, node: it.value });
    }
  } else if (YAML.isSeq(node)) {
    for (const it of node.items) {
      const s = scalarText(it);
      const m = s && /^([\w.-]+)=(.*)$/.exec(s);
      if (m && YAML.isNode(it)) out.set(m[1], { value: m[2], node: it });
    }
  }
  return out;
}

/** Worker count from a command line: gunicorn -w/--workers, uvicorn/hypercorn --workers. */
export function workersFromCommand(cmd: string): { value: number; flag: string } | undefined {
  if (!/\b(gunicorn|uvicorn|hypercorn|granian)\b/.test(cmd)) return undefined;
  const m = /(?:^|\s)(-w\s*|--workers[=\s]+)(\d+)\b/.exec(cmd);
  if (m) return { value: parseInt(m[2], 10), flag: `${m[1].trim()} ${m[2]}`.replace(/= /, '=') };
  return undefined;
}

interface RawService {
  name: string;
  file: string;
  node: YAML.YAMLMap;
  lines: LineIndex;
}

/**
 * A profile per compose file: for a source file inside a service's build context, the variables
 * the service gets, from `env_file:` (loaded like .env files) then `environment:` (which wins).
 * `${VAR:-default}` in a value is resolved from the .env beside the compose file, as compose does.
 */
export function addComposeProfiles(docs: ComposeDoc[], env: EnvResolver, problems: FileProblem[]): string[] {
  const names: string[] = [];
  for (const { file, text, doc, lines } of docs) {
    if (doc.errors.length) continue;
    const services = doc.get('services');
    if (!YAML.isMap(services)) continue;
    const dir = path.dirname(file);
    const dotenv = env.load(path.join(dir, '.env'));
    const interpolate = (v: string) =>
      v.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_m, name: string, def: string | undefined) => dotenv?.entries.get(name)?.value ?? def ?? '');
    const perService: { context: string; files: EnvFile[] }[] = [];
    for (const it of services.items) {
      const svc = it.value;
      if (!YAML.isMap(svc)) continue;
      const build = svc.get('build', true);
      const ctx = YAML.isMap(build) ? scalarText(build.get('context', true)) : scalarText(build);
      if (!ctx) continue;
      const files: EnvFile[] = [];
      const ef = svc.get('env_file', true);
      const efList = YAML.isSeq(ef) ? ef.items.map((i) => (YAML.isMap(i) ? scalarText(i.get('path', true)) : scalarText(i))) : [scalarText(ef)];
      for (const f of efList) {
        if (!f) continue;
        const loaded = env.load(path.resolve(dir, f));
        if (loaded) files.push(loaded);
        else problems.push({ file, message: `env_file '${f}' of service ${scalarText(it.key)} does not exist` });
      }
      const environment = svc.get('environment', true);
      if (environment) {
        const entries = new Map<string, EnvEntry>();
        for (const [name, e] of envMap(environment)) {
          const r = e.node.range;
          if (!r) continue;
          // list form `- KEY=value`: the value is the part after '='
          const raw = text.slice(r[0], r[1]);
          const eq = YAML.isMap(environment) ? -1 : raw.indexOf('=');
          const start = eq >= 0 ? r[0] + eq + 1 : r[0];
          entries.set(name, { name, value: interpolate(e.value), file, line: lines.position(r[0]).line, raw: text.slice(start, r[1]), valueSpan: lines.span(file, start, r[1]) });
        }
        files.push({ file, text, lines, entries });
      }
      if (files.length) perService.push({ context: path.resolve(dir, ctx), files });
    }
    if (perService.length === 0) continue;
    const name = composeProfileName(file);
    names.push(name);
    env.addProfile(name, (source) => {
      let best: { context: string; files: EnvFile[] } | undefined;
      for (const s of perService) if (isInside(source, s.context) && (!best || s.context.length > best.context.length)) best = s;
      return best?.files ?? [];
    });
  }
  return names;
}

export interface ComposeDoc {
  file: string;
  text: string;
  doc: YAML.Document;
  lines: LineIndex;
}

/** Parses each compose file once (for its profiles and its deployment); YAML errors are reported with their position. */
export function parseComposeFiles(composeFiles: string[], read: ReadFile, problems: FileProblem[]): ComposeDoc[] {
  const out: ComposeDoc[] = [];
  for (const file of composeFiles) {
    const text = read(file);
    if (text === undefined) continue;
    const tooLarge = tooLargeToParse(text, 'compose file', 'its services are not counted');
    if (tooLarge) {
      problems.push({ file, message: `not read: ${tooLarge}` });
      continue;
    }
    const lines = new LineIndex(text);
    const tooDeep = yamlTooDeep(text, lines, 'compose file', 'its services are not counted');
    if (tooDeep) {
      problems.push({ file, ...tooDeep });
      continue;
    }
    const parsed = parseYaml(text, lines, 'compose file', 'its services are not counted', () => YAML.parseDocument(text, { prettyErrors: false, uniqueKeys: false }));
    if ('problem' in parsed) {
      problems.push({ file, ...parsed.problem });
      continue;
    }
    const doc = parsed.value;
    // the first error, with a count of the rest: one broken line can make a thousand
    if (doc.errors.length) {
      const e = doc.errors[0];
      const pos = lines.position(e.pos[0]);
      const more = doc.errors.length > 1 ? ` (and ${doc.errors.length - 1} more error${doc.errors.length > 2 ? 's' : ''})` : '';
      problems.push({ file, line: pos.line, column: pos.column, message: `YAML: ${e.message.split('\n')[0]}${more}` });
    }
    out.push({ file, text, doc, lines });
  }
  return out;
}

export function readDeployment(docs: ComposeDoc[], profiles: string[], read: ReadFile, resolver?: EnvResolver): Deployment {
  const parsed: { file: string; profile?: string; services: RawService[] }[] = [];
  for (const { file, doc, lines } of docs) {
    const services = doc.get('services');
    if (!YAML.isMap(services)) continue;
    const list: RawService[] = [];
    for (const it of services.items) {
      const name = scalarText(it.key);
      if (name && YAML.isMap(it.value)) list.push({ name, file, node: it.value, lines });
    }
    parsed.push({ file, profile: composeProfile(file), services: list });
  }
  const out: Deployment = { profiles: {} };
  for (const profile of profiles) {
    // the base files, then the profile's own files override service by service
    const merged = new Map<string, RawService[]>();
    // a compose file's own profile deploys that file over the base files
    const own = (x: { file: string; profile?: string }) => x.profile === profile || (composeProfileName(x.file) === profile && x.profile !== undefined);
    for (const p of parsed.filter((x) => x.profile === undefined).concat(parsed.filter(own))) {
      for (const s of p.services) merged.set(s.name, [...(merged.get(s.name) ?? []), s]);
    }
    const services: AppService[] = [];
    const servers: DbServer[] = [];
    for (const [name, layers] of merged) {
      const get = (key: string) => {
        for (let i = layers.length - 1; i >= 0; i--) {
          const v = layers[i].node.get(key, true);
          if (v !== undefined) return { node: v as unknown, layer: layers[i] };
        }
        return undefined;
      };
      const getIn = (keys: string[]) => {
        for (let i = layers.length - 1; i >= 0; i--) {
          const v = layers[i].node.getIn(keys, true);
          if (v !== undefined) return { node: v as unknown, layer: layers[i] };
        }
        return undefined;
      };
      const spanOf = (n: unknown, layer: RawService): Span | undefined => {
        const r = YAML.isNode(n) ? n.range : undefined;
        return r ? layer.lines.span(layer.file, r[0], r[1]) : undefined;
      };
      const where = (layer: RawService, span?: Span) => `${path.basename(layer.file)}${span ? `:${span.line + 1}` : ''}`;
      const image = scalarText(get('image')?.node) ?? '';
      const command = get('command');
      const cmd = command ? commandText(command.node) ?? '' : '';
      if (/(^|\/)(postgres|postgis\/postgis|timescale\/timescaledb[\w-]*|bitnami\/postgresql)(:|$)/.test(image) || /^postgres\b/.test(cmd)) {
        const m = /max_connections=(\d+)/.exec(cmd);
        const span = command ? spanOf(command.node, command.layer) : undefined;
        servers.push({
          name,
          composeFile: (command ?? get('image'))?.layer.file ?? layers[0].file,
          kind: 'postgresql',
          maxConnections: m
            ? { value: parseInt(m[1], 10), how: `\`max_connections=${m[1]}\` in the command of service ${name} (${where(command!.layer, span)})`, span }
            : { value: 100, how: `the PostgreSQL default (service ${name} sets no max_connections)` },
        });
        continue;
      }
      // MySQL and MariaDB images take server options as command flags: --max-connections=500,
      // --max_connections 500 (mysqld accepts dashes and underscores alike)
      if (/(^|\/)(mysql|mariadb|percona|percona-server|bitnami\/mysql|bitnami\/mariadb|mysql\/mysql-server)(:|$)/.test(image) || /^(mysqld|mariadbd)\b/.test(cmd)) {
        const m = /--max[-_]connections(?:=|\s+)(\d+)/.exec(cmd);
        const span = command ? spanOf(command.node, command.layer) : undefined;
        const label = /mariadb/.test(image) || /^mariadbd/.test(cmd) ? 'MariaDB' : 'MySQL';
        servers.push({
          name,
          composeFile: (command ?? get('image'))?.layer.file ?? layers[0].file,
          kind: 'mysql',
          maxConnections: m
            ? { value: parseInt(m[1], 10), how: `\`${m[0]}\` in the command of service ${name} (${where(command!.layer, span)})`, span }
            : { value: 151, how: `the ${label} default (service ${name} sets no --max-connections)` },
        });
        continue;
      }
      const build = get('build');
      let context: string | undefined;
      if (build) {
        const ctx = YAML.isMap(build.node) ? scalarText(build.node.get('context', true)) : scalarText(build.node);
        if (ctx) context = path.resolve(path.dirname(build.layer.file), ctx);
      }
      const rep = getIn(['deploy', 'replicas']) ?? get('scale');
      const repValue = rep ? parseInt(scalarText(rep.node) ?? '', 10) : NaN;
      const repSpan = rep ? spanOf(rep.node, rep.layer) : undefined;
      const replicas: Figure = rep && Number.isFinite(repValue)
        ? { value: repValue, how: `deploy.replicas ${repValue} of service ${name} (${where(rep.layer, repSpan)})`, span: repSpan }
        : { value: 1, how: `service ${name} sets no replicas` };
      let processes: Figure = { value: 1, how: `no worker count in service ${name}` };
      const w = workersFromCommand(cmd);
      const env = get('environment');
      const wc = env ? envMap(env.node).get('WEB_CONCURRENCY') : undefined;
      if (w && command) {
        const span = spanOf(command.node, command.layer);
        processes = { value: w.value, how: `\`${w.flag}\` in the command of service ${name} (${where(command.layer, span)})`, span };
      } else if (wc && env && /^\d+$/.test(wc.value)) {
        const span = spanOf(wc.node, env.layer);
        processes = { value: parseInt(wc.value, 10), how: `WEB_CONCURRENCY=${wc.value} in service ${name} (${where(env.layer, span)})`, span };
      } else if (context) {
        const conf = gunicornConf(context, read, resolver, profile);
        if (conf) processes = conf;
      }
      services.push({ name, composeFile: layers[layers.length - 1].file, context, replicas, processes });
    }
    out.profiles[profile] = { services, servers };
  }
  return out;
}

/**
 * `workers` in gunicorn.conf.py, evaluated like any Python module under the profile's environment
 * (`workers = int(os.getenv("WEB_CONCURRENCY", "4"))` included); a literal when Python is not loaded.
 */
function gunicornConf(dir: string, read: ReadFile, env: EnvResolver | undefined, profile: string): Figure | undefined {
  for (const name of ['gunicorn.conf.py', 'gunicorn_conf.py']) {
    const file = path.join(dir, name);
    const text = read(file);
    if (text === undefined) continue;
    const lines = new LineIndex(text);
    const tree = env ? parseSync('python', text) : undefined;
    if (tree && env) {
      try {
        registerSource(tree, file, lines);
        const v = new PyEvaluator(tree.rootNode, new ProfileEnv(profile, env.filesFor(file, profile)), { file }).exported('workers');
        if (v && v.val.t === 'num' && v.val.v > 0) {
          const o = v.origin;
          const from = o?.k === 'env' ? (o.entry ? ` (${o.name} in ${path.basename(o.entry.file)}:${o.entry.line + 1})` : ` (${o.name} unset, the fallback)`) : '';
          const node = o?.k === 'env' ? (o.entry ? undefined : o.fallback?.origin?.k === 'literal' ? o.fallback.origin.node : undefined) : o?.k === 'literal' ? o.node : undefined;
          const span = o?.k === 'env' && o.entry ? o.entry.valueSpan : node ? lines.span(file, node.startIndex, node.endIndex) : undefined;
          return { value: Math.trunc(v.val.v), how: `workers = ${Math.trunc(v.val.v)} in ${name}${from}`, span };
        }
        return undefined;
      } finally {
        tree.delete();
      }
    }
    const m = /^workers\s*=\s*(\d+)\s*(#.*)?$/m.exec(text);
    if (!m) continue;
    const start = m.index + m[0].indexOf(m[1]);
    const span = lines.span(file, start, start + m[1].length);
    return { value: parseInt(m[1], 10), how: `workers = ${m[1]} in ${name}:${span.line + 1}`, span };
  }
  return undefined;
}

/** The service that runs a pool's file: the one whose build context holds it most closely. */
export function serviceFor(file: string, services: AppService[]): AppService | undefined {
  let best: AppService | undefined;
  for (const s of services) {
    if (!s.context || !isInside(file, s.context)) continue;
    if (!best || (best.context && s.context.length > best.context.length)) best = s;
  }
  return best;
}
