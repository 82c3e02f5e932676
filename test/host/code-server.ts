// A private code-server (VS Code 1.100.3 as a server, npm package code-server 4.100.3) with the
// packaged VSIX installed, driven through headless Debian Chromium by playwright-core.
//
// Everything it writes stays in one temporary folder per session: HOME, XDG_*, TMPDIR, the user
// data and extensions folders, Chromium's profile and the workspace copies. The browser may reach
// 127.0.0.1 only (every other request is aborted and counted); code-server is started in its own
// process group and stopped by its PID, also when a test fails.
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const RESULTS = path.join(REPO, 'test-results', 'host');
export const VSIX = path.join(REPO, 'pool-lint.vsix');
export const EXTENSION_ID = 'pool-lint.pool-lint';
const CHROMIUM = process.env.POOL_LINT_CHROMIUM ?? '/usr/bin/chromium';

/** Installs code-server into the cache folder (once) and returns its launcher. */
export function installCodeServer(): string {
  const r = spawnSync('bash', [path.join(REPO, 'scripts', 'host', 'install-code-server.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`scripts/host/install-code-server.sh failed (exit ${r.status})`);
  const bin = r.stdout.trim().split('\n').pop() ?? '';
  if (!fs.existsSync(bin)) throw new Error(`install-code-server.sh printed no launcher: '${r.stdout}'`);
  return bin;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface SessionOptions {
  /** Folder copied into the session as the workspace. */
  workspace: string;
  /** Leave workspace trust on and answer the trust dialog "No" (Restricted Mode). */
  restricted?: boolean;
  /** Label for logs and screenshots. */
  name: string;
  /** More folders (name -> folder copied): the window opens a multi-root workspace of all of them. */
  moreFolders?: Record<string, string>;
  /**
   * Instead of installing the VSIX, load the extension from this checkout and run these extension
   * tests in code-server's extension host (the workbench's `payload` of extensionDevelopmentPath
   * and extensionTestsPath, as "Open in browser" does for extension development).
   */
  develop?: { testsPath: string; env: (workspace: string, root: string) => Record<string, string> };
}

export class HostSession {
  readonly root: string;
  readonly workspace: string;
  page!: Page;
  /** Hosts of the requests the browser wanted and was refused (anything not 127.0.0.1). */
  readonly blocked = new Set<string>();
  private child: ChildProcess | undefined;
  private context: BrowserContext | undefined;
  private log = '';
  private port = 0;

  private constructor(
    private readonly bin: string,
    private readonly opts: SessionOptions,
  ) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), `pool-lint-host-${opts.name}-`));
    this.workspace = path.join(this.root, 'workspace', opts.name);
    fs.cpSync(opts.workspace, this.workspace, { recursive: true });
    for (const [name, src] of Object.entries(opts.moreFolders ?? {})) fs.cpSync(src, path.join(this.root, 'workspace', name), { recursive: true });
  }

  /** The folder a workspace folder name was copied to. */
  folder(name: string): string {
    return name === this.opts.name ? this.workspace : path.join(this.root, 'workspace', name);
  }

  static async start(bin: string, opts: SessionOptions): Promise<HostSession> {
    const s = new HostSession(bin, opts);
    try {
      await s.boot();
      return s;
    } catch (err) {
      await s.stop(true);
      throw err;
    }
  }

  private dir(...p: string[]): string {
    const d = path.join(this.root, ...p);
    fs.mkdirSync(d, { recursive: true });
    return d;
  }

  /** The environment code-server, its extension host and the language server run with. */
  private env(): NodeJS.ProcessEnv {
    const home = this.dir('home');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      LANG: 'C.UTF-8',
      HOME: home,
      XDG_CONFIG_HOME: this.dir('home', '.config'),
      XDG_DATA_HOME: this.dir('home', '.local', 'share'),
      XDG_CACHE_HOME: this.dir('home', '.cache'),
      XDG_RUNTIME_DIR: this.dir('run'),
      TMPDIR: this.dir('tmp'),
      // No marketplace: a dead loopback address, so nothing reaches for one.
      EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery', itemUrl: 'http://127.0.0.1:9/item' }),
      NODE_OPTIONS: '',
    };
    return env;
  }

  private userData(): string {
    return this.dir('user-data');
  }

  private extensions(): string {
    return this.dir('extensions');
  }

  private async boot(): Promise<void> {
    const env = { ...this.env(), ...(this.opts.develop?.env(this.workspace, this.root) ?? {}) };
    if (!this.opts.develop) {
      const inst = spawnSync(this.bin, ['--user-data-dir', this.userData(), '--extensions-dir', this.extensions(), '--install-extension', VSIX, '--force'], { env, encoding: 'utf8' });
      this.log += `$ code-server --install-extension ${VSIX}\n${inst.stdout}${inst.stderr}\n`;
      if (inst.status !== 0) throw new Error(`installing the VSIX failed (exit ${inst.status}):\n${inst.stdout}${inst.stderr}`);
    }

    const settings = {
      'security.workspace.trust.enabled': !!this.opts.restricted,
      'security.workspace.trust.startupPrompt': 'always',
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoUpdate': false,
      'extensions.autoCheckUpdates': false,
      'extensions.ignoreRecommendations': true,
      'update.mode': 'none',
      'git.enabled': false,
      'editor.hover.delay': 300,
      'editor.minimap.enabled': false,
      'files.autoSave': 'off',
      'chat.commandCenter.enabled': false,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
    };
    fs.writeFileSync(path.join(this.dir('user-data', 'User'), 'settings.json'), JSON.stringify(settings, null, 2));
    const cfg = path.join(this.dir('config'), 'config.yaml');
    fs.writeFileSync(cfg, 'auth: none\ncert: false\n');

    this.port = await freePort();
    const args = [
      '--user-data-dir', this.userData(),
      '--extensions-dir', this.extensions(),
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${this.port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      '--config', cfg,
      ...(this.opts.restricted ? [] : ['--disable-workspace-trust']),
      this.workspace,
    ];
    // Its own process group, so stop() ends code-server and everything it started by its PID.
    const child = spawn(this.bin, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const listening = new Promise<void>((resolve, reject) => {
      const onData = (b: Buffer) => {
        this.log += b.toString();
        if (this.log.includes('HTTP server listening')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', (code, sig) => reject(new Error(`code-server exited before listening (code ${code}, signal ${sig}):\n${this.log}`)));
    });
    await withTimeout(listening, 60_000, () => `code-server did not listen within 60 s:\n${this.log}`);

    this.context = await chromium.launchPersistentContext(this.dir('chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 900 },
      env: { ...env } as Record<string, string>,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    await this.context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      this.blocked.add(url.host || url.protocol);
      return route.abort('blockedbyclient');
    });
    this.page = this.context.pages()[0] ?? (await this.context.newPage());
    this.page.setDefaultTimeout(30_000);
    let url = `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.workspace)}`;
    if (this.opts.moreFolders) {
      const file = path.join(this.root, 'workspace', `${this.opts.name}.code-workspace`);
      const folders = [this.opts.name, ...Object.keys(this.opts.moreFolders)].map((name) => ({ name, path: this.folder(name) }));
      fs.writeFileSync(file, JSON.stringify({ folders }, null, 2));
      url = `http://127.0.0.1:${this.port}/?workspace=${encodeURIComponent(file)}`;
    }
    if (this.opts.develop) {
      const remote = `vscode-remote://127.0.0.1:${this.port}`;
      const payload = [
        ['extensionDevelopmentPath', `${remote}${REPO}`],
        ['extensionTestsPath', `${remote}${this.opts.develop.testsPath}`],
      ];
      url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    }
    await this.page.goto(url);
    await this.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  }

  /** code-server's own list of installed extensions (name@version). */
  listExtensions(): string[] {
    const r = spawnSync(this.bin, ['--user-data-dir', this.userData(), '--extensions-dir', this.extensions(), '--list-extensions', '--show-versions'], { env: this.env(), encoding: 'utf8' });
    return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  }

  /** The extension host's log lines from code-server's log folder (for failure reports). */
  extensionHostLog(): string {
    const logs = path.join(this.root, 'user-data', 'logs');
    const out: string[] = [];
    const walk = (d: string) => {
      if (!fs.existsSync(d)) return;
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const f = path.join(d, e.name);
        if (e.isDirectory()) walk(f);
        else if (/exthost|pool-lint/i.test(f)) out.push(`--- ${path.relative(logs, f)}\n${fs.readFileSync(f, 'utf8').slice(-4000)}`);
      }
    };
    walk(logs);
    return out.join('\n');
  }

  async screenshot(name: string): Promise<string> {
    fs.mkdirSync(RESULTS, { recursive: true });
    const file = path.join(RESULTS, `${this.opts.name}-${name}.png`);
    await this.page.screenshot({ path: file });
    return path.relative(REPO, file);
  }

  /** Stops the browser and code-server (by PID, its whole process group) and removes the folder. */
  async stop(failed = false): Promise<void> {
    try {
      await this.context?.close();
    } catch {
      /* the browser is gone already */
    }
    this.context = undefined;
    const child = this.child;
    this.child = undefined;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already exited */
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already exited */
        }
      }, 5_000);
      await gone;
      clearTimeout(timer);
    }
    fs.mkdirSync(RESULTS, { recursive: true });
    const file = path.join(RESULTS, `${this.opts.name}-code-server.log`);
    fs.writeFileSync(file, `${this.log}\n${this.extensionHostLog()}`);
    if (failed) console.error(`    code-server log: ${path.relative(REPO, file)}`);
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export async function withTimeout<T>(p: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message())), ms)))]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Polls until check() returns a value (not undefined/false) or the time is up; the error says what was awaited and what was last seen. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000, lastSeen?: () => Promise<string>): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) {
      const seen = lastSeen ? await lastSeen().catch((e) => String(e)) : last ? String(last) : '';
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${seen ? `; last seen: ${seen}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
