#!/usr/bin/env node
// pool-lint command line: `pool-lint check [paths...] [--format text|json|sarif] [--profile NAME] [--fix]`.
// Exit codes: 0 nothing at warning or above, 1 findings at warning or above, 2 usage or internal error.
import * as fs from 'fs';
import * as path from 'path';
import { check, worstSeverity, RULES, openDiskCache, defaultCacheDir, buildId, type CheckOptions } from './engine';
import { fixAll } from './engine/fixall';
import { toJson } from './report/json';
import { toText } from './report/text';
import { toSarif } from './report/sarif';
import { maskSecrets } from './engine/urls';

declare const POOL_LINT_VERSION: string | undefined;
const VERSION = typeof POOL_LINT_VERSION === 'string' ? POOL_LINT_VERSION : '0.0.0-dev';

const USAGE = `Usage: pool-lint check [paths...] [options]
       pool-lint rules
       pool-lint probe [--pool FILE:LINE | --url URL | --sqlite] [options]   (pool-lint probe --help)
       pool-lint --version
       pool-lint --stdio          the language server over stdin/stdout (for editors)

Finds database connection pools (SQLAlchemy create_engine / create_async_engine), resolves their
effective settings per environment profile (.env, .env.production, ...), and reports what breaks.

Options:
  --format text|json|sarif   output format (default: text)
  --profile NAME             evaluate one profile only (default: all: development, production, ...)
  --fix                      apply every available fix, then report what is left
  --root DIR                 workspace root for config and .env lookup (default: the one folder
                             given, else the current folder)
  --no-color                 no colour (colour is used only on a terminal)
  --no-cache                 analyse every file again instead of reusing the cached analyses of
                             files unchanged since the last check (kept in $POOL_LINT_CACHE_DIR,
                             else $XDG_CACHE_HOME/pool-lint or ~/.cache/pool-lint)
  -h, --help                 this help

Exit status: 0 no finding at warning or above; 1 findings at warning or above; 2 usage or internal error.`;

class UsageError extends Error {}

function hasBom(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(3);
    fs.readSync(fd, buf, 0, 3, 0);
    fs.closeSync(fd);
    return buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  } catch {
    return false;
  }
}

interface Args {
  command: string;
  paths: string[];
  format: 'text' | 'json' | 'sarif';
  profile?: string;
  fix: boolean;
  root?: string;
  color: boolean;
  cache: boolean;
}

function parseArgs(argv: string[]): Args | 'help' | 'version' {
  const args: Args = { command: '', paths: [], format: 'text', fix: false, cache: true, color: process.stdout.isTTY === true && !process.env.NO_COLOR };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (name: string) => {
      const eq = a.indexOf('=');
      if (eq > 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
      return v;
    };
    if (a === '-h' || a === '--help') return 'help';
    if (a === '--version' || a === '-V') return 'version';
    if (a === '--fix') args.fix = true;
    else if (a === '--no-color') args.color = false;
    else if (a === '--no-cache') args.cache = false;
    else if (a === '--format' || a.startsWith('--format=')) {
      const f = value('--format');
      if (f !== 'text' && f !== 'json' && f !== 'sarif') throw new UsageError(`--format must be text, json or sarif, not '${f}'`);
      args.format = f;
    } else if (a === '--profile' || a.startsWith('--profile=')) args.profile = value('--profile');
    else if (a === '--root' || a.startsWith('--root=')) args.root = value('--root');
    else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
    else if (!args.command) args.command = a;
    else args.paths.push(a);
  }
  if (!args.command) throw new UsageError('no command given');
  if (args.command !== 'check' && args.command !== 'rules') throw new UsageError(`unknown command '${args.command}'`);
  return args;
}

declare const __POOL_LINT_BUILD__: string | undefined;

/**
 * The language server and the probe, loaded only by the commands that use them. In the bundle they
 * are their own files beside this one (dist/server.js, dist/probe-cli.js), so `pool-lint check`
 * never parses their code (and their drivers'): a third of the CLI's start-up before.
 */
function load<T>(bundle: string, module: string): T {
  const id = typeof __POOL_LINT_BUILD__ === 'string' ? path.join(__dirname, `${bundle}.js`) : module;
  return require(id) as T;
}

async function main(argv: string[]): Promise<number> {
  // `pool-lint --stdio`: the language server, for any editor (the same as `node dist/server.js --stdio`)
  if (argv.includes('--stdio')) {
    load<typeof import('./lsp/main')>('server', './lsp/main').startStdioServer();
    return new Promise<number>(() => undefined); // runs until the client says exit
  }
  if (argv[0] === 'probe') return load<typeof import('./probe/cli')>('probe-cli', './probe/cli').probeCommand(argv.slice(1));
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`pool-lint: ${maskSecrets(e.message)}\n\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (args.command === 'rules') {
    for (const r of RULES) process.stdout.write(`${r.meta.id.padEnd(24)} ${r.meta.severity.padEnd(8)} ${r.meta.fixable ? 'fix ' : '    '} ${r.meta.summary}\n`);
    return 0;
  }
  const cwd = process.cwd();
  for (const p of args.paths) {
    if (!fs.existsSync(p)) {
      process.stderr.write(`pool-lint: ${maskSecrets(p)}: no such file or folder\n`);
      return 2;
    }
  }
  let root = args.root ? path.resolve(args.root) : cwd;
  if (!args.root && args.paths.length === 1 && fs.statSync(args.paths[0]).isDirectory()) root = path.resolve(args.paths[0]);
  const rel = (f: string) => {
    const r = path.relative(cwd, f).split(path.sep).join('/');
    return r === '' ? '.' : r;
  };
  // the analyses of files unchanged since the last check are reused (cache.ts says when an entry holds)
  // (not for --fix: its edits are made from the models, which the disk cache holds with passwords masked)
  const cache = args.cache && !args.fix ? openDiskCache(defaultCacheDir(), root, buildId()) : undefined;
  const opts: CheckOptions = { root, paths: args.paths.length ? args.paths.map((p) => path.resolve(p)) : [root], profile: args.profile, rel, cache };
  let result;
  let fixedNote = '';
  if (args.fix) {
    // the engine reads files without their byte-order mark; a file that had one keeps it
    const r = await fixAll(opts, (file, text) => fs.writeFileSync(file, hasBom(file) ? `\ufeff${text}` : text));
    result = r.result;
    if (r.applied > 0) fixedNote = `Fixed ${r.applied} finding${r.applied === 1 ? "" : "s"} in ${r.files.length} file${r.files.length === 1 ? '' : 's'}: ${r.files.map(rel).join(', ')}.\n`;
  } else {
    result = await check(opts);
  }
  // a check of some paths keeps the other files' entries (pruning would empty the cache for the next whole check)
  cache?.save({ prune: opts.paths!.length === 1 && opts.paths![0] === root });
  const out = args.format === 'json' ? toJson(result, rel) + '\n' : args.format === 'sarif' ? toSarif(result, rel, cwd, VERSION) + '\n' : toText(result, rel, args.color);
  process.stdout.write(maskSecrets(out));
  if (fixedNote) process.stderr.write(fixedNote);
  const worst = worstSeverity(result.findings);
  return worst === 'warning' || worst === 'error' ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    process.stderr.write(`pool-lint: internal error: ${maskSecrets(e.stack ?? e.message)}\n`);
    process.exitCode = 2;
  },
);
