// Runs `pool-lint probe` (dist/cli.js) in a child process for the editor: the probe then lives
// outside the extension host (a stuck database cannot freeze the editor), and it is the same
// command the CLI tests exercise. Progress comes over the fork's IPC channel; cancel is SIGTERM,
// which the CLI answers by closing every connection within a second. No vscode import here.
import { fork, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export interface ProbeProcessOptions {
  cli: string;
  cwd: string;
  args: string[];
  /** A password from SecretStorage, passed in the environment (never on the command line). */
  password?: string;
  onProgress?: (p: { fraction: number; message: string }) => void;
  /** Resolves when the run should stop (the notification's Cancel). */
  cancelled?: Promise<void>;
  /** The Node that runs the CLI (default: this process's, as node). */
  runtime?: Runtime;
}

/** A Node executable to run dist/cli.js with, and the environment it needs. */
export interface Runtime {
  execPath: string;
  /** Electron's binary runs as plain Node only with ELECTRON_RUN_AS_NODE=1. */
  electronAsNode: boolean;
  why: string;
}

/** What the VSIX's better-sqlite3 addon was compiled for (dist/native/better-sqlite3/abi.json). */
export interface AddonAbi {
  modules: string;
  node: string;
  platform: string;
  arch: string;
}

export interface RuntimeHost {
  execPath: string;
  versions: { modules: string; node: string; electron?: string };
  platform: string;
  arch: string;
  /** PATH, to look for a node there. */
  pathEnv: string;
  /** Asks a node executable for its ABI, platform and arch ("115 linux x64"); undefined when it does not run. */
  probe?: (exe: string) => string | undefined;
}

function askNode(exe: string): string | undefined {
  const r = spawnSync(exe, ['-p', 'process.versions.modules + " " + process.platform + " " + process.arch + " " + process.version'], { encoding: 'utf8', timeout: 5000, env: { ...process.env, ELECTRON_RUN_AS_NODE: undefined } });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * The runtime for the SQLite probe, whose native addon loads only in a Node with the ABI it was
 * built for: this process's own Node when it matches (code-server's extension host is Node
 * itself; VS Code's is Electron, run as Node), else the first `node` on PATH that matches, else a
 * message saying what to install. Returns the message as a string.
 */
export function sqliteRuntime(abi: AddonAbi, host: RuntimeHost): Runtime | string {
  const want = `${abi.modules} ${abi.platform} ${abi.arch}`;
  if (host.platform !== abi.platform || host.arch !== abi.arch) {
    return `the SQLite probe's better-sqlite3 addon in this extension was built for ${abi.platform}-${abi.arch}, not ${host.platform}-${host.arch}; run \`npx pool-lint probe --sqlite\` from an npm install of pool-lint instead`;
  }
  const own = host.versions.electron;
  if (host.versions.modules === abi.modules) {
    return { execPath: host.execPath, electronAsNode: own !== undefined, why: `the editor's own runtime (${own ? `Electron ${own}, ` : ''}Node ${host.versions.node}, ABI ${abi.modules})` };
  }
  const probe = host.probe ?? askNode;
  const names = host.platform === 'win32' ? ['node.exe'] : ['node'];
  const seen = new Set<string>();
  for (const dir of host.pathEnv.split(path.delimiter).filter(Boolean)) {
    for (const n of names) {
      const exe = path.join(dir, n);
      if (seen.has(exe) || !isExecutable(exe)) continue;
      seen.add(exe);
      const got = probe(exe);
      if (got && got.startsWith(want + ' ')) return { execPath: exe, electronAsNode: false, why: `${exe} (Node ${got.split(' ')[3]}, ABI ${abi.modules})` };
    }
  }
  return `the SQLite probe needs Node.js ${abi.node.replace(/^v(\d+).*/, '$1')} (ABI ${abi.modules}, the runtime its better-sqlite3 addon was built for): this editor runs ${own ? `Electron ${own} with ` : ''}Node ${host.versions.node} (ABI ${host.versions.modules}) and no node on PATH matches. Install Node.js ${abi.node.replace(/^v(\d+).*/, '$1')} and put it on PATH, or run \`npx pool-lint probe --sqlite\` in a terminal`;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export interface ProbeProcessResult {
  code: number | null;
  /** The JSON report, when the CLI printed one (also for a partial run). */
  report?: ProbeJson;
  stderr: string;
}

/** The part of the CLI's JSON report the editor reads. */
export interface ProbeJson {
  kind: 'postgresql' | 'mysql' | 'sqlite';
  complete: boolean;
  errors: string[];
  target?: { url: string; host: string; port: number; user?: string; database?: string };
  limits?: { capacity: number; probeCapacity: number; library: string };
  recommendation?: { capacity: number; reason: string };
  fix?: { description: string; edits: { file: string; start: number; end: number; newText: string }[] };
  pool?: { id: string; file: string; line: number; profile: string; library: string };
  [key: string]: unknown;
}

export function runProbeProcess(o: ProbeProcessOptions): Promise<ProbeProcessResult> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.POOL_LINT_PROBE_PASSWORD;
    if (o.password) env.POOL_LINT_PROBE_PASSWORD = o.password;
    if (o.runtime?.electronAsNode) env.ELECTRON_RUN_AS_NODE = '1';
    const child = fork(o.cli, ['probe', ...o.args, '--format', 'json'], { cwd: o.cwd, env, silent: true, execArgv: [], ...(o.runtime ? { execPath: o.runtime.execPath } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('message', (m: { type?: string; fraction?: number; message?: string }) => {
      if (m?.type === 'progress' && typeof m.fraction === 'number') o.onProgress?.({ fraction: m.fraction, message: String(m.message ?? '') });
    });
    void o.cancelled?.then(() => {
      if (child.exitCode === null) child.kill('SIGTERM');
    });
    child.on('error', (e) => {
      stderr += `\n${e.message}`;
    });
    child.on('exit', (code) => {
      let report: ProbeJson | undefined;
      try {
        report = stdout.trim() ? (JSON.parse(stdout) as ProbeJson) : undefined;
      } catch {
        report = undefined;
      }
      resolve({ code, report, stderr: stderr.trim() });
    });
  });
}

/** The probe's settings (poolLint.probe.*) as the editor reads them. */
export interface ProbeSettings {
  duration?: string | null;
  steps?: number[] | null;
  workload?: string | null;
  allowedHosts?: string[] | null;
}

/**
 * The CLI options for the settings. Values are passed as written: the CLI checks them and its
 * message (which names the option) reaches the user when one is wrong. The workload applies to
 * PostgreSQL only; the SQLite probe has its own writer/reader workload.
 */
export function settingsArgs(s: ProbeSettings, sqlite: boolean): string[] {
  const out: string[] = [];
  for (const h of s.allowedHosts ?? []) out.push('--allow-host', h);
  if (s.duration && s.duration.trim()) out.push('--duration', s.duration.trim());
  if (!sqlite && s.steps && s.steps.length) out.push('--steps', s.steps.join(','));
  if (!sqlite && s.workload && s.workload.trim()) out.push('--workload', s.workload.trim());
  return out;
}

/** The report asks for a password: authentication failed, or the URL's password is not known. */
export function needsPassword(r: ProbeProcessResult): boolean {
  return (r.report?.errors ?? []).some((e) => /password authentication failed|no password (was )?supplied|client password must be a string/i.test(e));
}
