// Runs `pool-lint probe` (dist/cli.js) in a child process for the editor: the probe then lives
// outside the extension host (a stuck database cannot freeze the editor), and it is the same
// command the CLI tests exercise. Progress comes over the fork's IPC channel; cancel is SIGTERM,
// which the CLI answers by closing every connection within a second. No vscode import here.
import { fork } from 'child_process';

export interface ProbeProcessOptions {
  cli: string;
  cwd: string;
  args: string[];
  /** A password from SecretStorage, passed in the environment (never on the command line). */
  password?: string;
  onProgress?: (p: { fraction: number; message: string }) => void;
  /** Resolves when the run should stop (the notification's Cancel). */
  cancelled?: Promise<void>;
}

export interface ProbeProcessResult {
  code: number | null;
  /** The JSON report, when the CLI printed one (also for a partial run). */
  report?: ProbeJson;
  stderr: string;
}

/** The part of the CLI's JSON report the editor reads. */
export interface ProbeJson {
  kind: 'postgresql' | 'sqlite';
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
    const child = fork(o.cli, ['probe', ...o.args, '--format', 'json'], { cwd: o.cwd, env, silent: true, execArgv: [] });
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

/** The report asks for a password: authentication failed, or the URL's password is not known. */
export function needsPassword(r: ProbeProcessResult): boolean {
  return (r.report?.errors ?? []).some((e) => /password authentication failed|no password (was )?supplied|client password must be a string/i.test(e));
}
