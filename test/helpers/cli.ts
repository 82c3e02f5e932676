import { spawnSync } from 'child_process';
import * as path from 'path';
import { REPO } from './fixtures';

export const CLI = path.join(REPO, 'dist', 'cli.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bundled CLI (built by `npm test`'s pretest) in `cwd`. */
export function cli(args: string[], cwd: string): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '' }, timeout: 60000, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
