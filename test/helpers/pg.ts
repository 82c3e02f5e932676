// A real PostgreSQL for the probe's tests: POOL_LINT_TEST_PG or the machine's server on
// 127.0.0.1:5432 (trust auth, user postgres). Each suite gets its own scratch database, dropped
// at the end; a second throw-away cluster (initdb into a temporary folder) serves the tests that
// stop the server or need password authentication.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';

export const BASE_URL = process.env.POOL_LINT_TEST_PG ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = password;
  return u.toString();
}

export async function connect(url: string): Promise<Client> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
  } catch (e) {
    await c.end().catch(() => undefined);
    throw new Error(
      `PostgreSQL is not answering at ${new URL(url).host} (${(e as Error).message}). The probe's tests need a real server: ` +
        `start the machine's cluster (pg_ctlcluster 15 main start; bash .ci/run does it), or point POOL_LINT_TEST_PG at one ` +
        `(postgresql://postgres@127.0.0.1:5432/postgres).`,
    );
  }
  return c;
}

export interface Scratch {
  name: string;
  url: string;
  admin: Client;
  drop(): Promise<void>;
}

/** A database of its own for one suite (concurrent test runs on the same server do not meet). */
export async function scratchDatabase(baseUrl = BASE_URL): Promise<Scratch> {
  const admin = await connect(baseUrl);
  const name = `pool_lint_probe_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  return {
    name,
    url: withDatabase(baseUrl, name),
    admin,
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await admin.end().catch(() => undefined);
    },
  };
}

/** pool-lint-probe sessions connected to one database. */
export async function probeSessions(admin: Client, db: string): Promise<number> {
  const r = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pool-lint-probe' AND datname = $1`, [db]);
  return r.rows[0].n;
}

/** Polls until the database has no probe session, for at most `withinMs`; returns the count and when it was seen. */
export async function waitForNoSessions(admin: Client, db: string, withinMs: number): Promise<{ sessions: number; afterMs: number }> {
  const t0 = Date.now();
  for (;;) {
    const n = await probeSessions(admin, db);
    if (n === 0 || Date.now() - t0 >= withinMs) return { sessions: n, afterMs: Date.now() - t0 };
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function pgBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (!versions.length) throw new Error(`no PostgreSQL server binaries under ${base} (apt-get install postgresql)`);
  return path.join(base, versions[0], 'bin');
}

/**
 * A throw-away cluster on a free port: initdb into a temporary folder (as the postgres user when
 * running as root, which initdb refuses), password authentication over TCP for `postgres`.
 */
export class TempCluster {
  readonly dir: string;
  readonly port: number;
  readonly password = 'Cluster-Pw-7f3a9c';
  private readonly bin = pgBinDir();
  private readonly asRoot = process.getuid?.() === 0;

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
  }

  static async create(): Promise<TempCluster> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-pgcluster-'));
    const c = new TempCluster(dir, await freePort());
    const pwfile = path.join(dir, 'pw');
    fs.writeFileSync(pwfile, c.password + '\n');
    if (c.asRoot) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
    c.run('initdb', ['-D', c.data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--no-sync']);
    fs.appendFileSync(path.join(c.data, 'postgresql.conf'), `\nlisten_addresses = '127.0.0.1'\nport = ${c.port}\nunix_socket_directories = '${dir}'\nmax_connections = 40\nfsync = off\n`);
    c.start();
    return c;
  }

  get data(): string {
    return path.join(this.dir, 'data');
  }

  url(db = 'postgres', password = this.password): string {
    return `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${this.port}/${db}`;
  }

  private run(tool: string, args: string[]): void {
    const cmd = path.join(this.bin, tool);
    const r = this.asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' }) : spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${r.stderr || r.stdout || r.error?.message}`);
  }

  start(): void {
    this.run('pg_ctl', ['-D', this.data, '-l', path.join(this.dir, 'log'), '-w', '-t', '30', 'start']);
  }

  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    this.run('pg_ctl', ['-D', this.data, '-m', mode, '-w', '-t', '30', 'stop']);
  }

  destroy(): void {
    try {
      this.stop('immediate');
    } catch {
      /* already stopped */
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
