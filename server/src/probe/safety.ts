// Where the probe may send traffic: loopback addresses and Unix sockets, plus hosts the user lists
// in poolLint.probe.allowedHosts (or --allow-host). Decided from the URL text alone, before any
// socket is opened; a name other than `localhost` is never resolved to find out (a DNS query is
// traffic too), it must be listed.
import * as dns from 'dns';
import * as net from 'net';
import { parse as parsePgUrl } from 'pg-connection-string';
import { maskUrl } from '../engine/urls';

export class ProbeRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeRefused';
  }
}

/** 127.0.0.0/8, ::1, and IPv4-mapped loopback (::ffff:127.x.y.z). */
export function isLoopbackAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (net.isIPv4(a)) return a.split('.')[0] === '127';
  if (net.isIPv6(a)) {
    if (a === '::1' || /^0{0,4}(:0{0,4}){6}:0{0,3}1$/.test(a)) return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
    return mapped !== null && isLoopbackAddress(mapped[1]);
  }
  return false;
}

export interface PgEndpoint {
  /** The host as the probe will use it: an IP address, `localhost` resolved, or a socket folder. */
  host: string;
  port: number;
  database?: string;
  user?: string;
  password?: string;
  /** Unix-domain socket (host is a folder). */
  socket: boolean;
  /** How the host was allowed, in words. */
  allowedAs: string;
  /** Extra startup options from the URL (`?options=`), kept ahead of the probe's own. */
  options?: string;
  /** The URL with its password masked, for every message. */
  display: string;
}

function normHost(h: string): string {
  return h.replace(/^\[|\]$/g, '').toLowerCase();
}

/**
 * Parses a PostgreSQL URL and decides whether the probe may connect. Throws ProbeRefused naming
 * the host and how to allow it. A URL without a host means what node-postgres would use: PGHOST,
 * else `localhost`; that is what is checked.
 */
export async function checkPgTarget(url: string, allowedHosts: string[], env: NodeJS.ProcessEnv = process.env): Promise<PgEndpoint> {
  const display = maskUrl(url);
  if (!/^postgres(ql)?(\+[a-z0-9_]+)?:\/\//i.test(url.trim())) throw new ProbeRefused(`not a PostgreSQL URL: ${display}`);
  // SQLAlchemy's postgresql+psycopg:// and the like name a driver; the server is the same
  const cleaned = url.trim().replace(/^postgres(ql)?\+[a-z0-9_]+:\/\//i, 'postgresql://');
  let parsed: ReturnType<typeof parsePgUrl>;
  try {
    parsed = parsePgUrl(cleaned);
  } catch (e) {
    throw new ProbeRefused(`cannot parse ${display}: ${(e as Error).message}`);
  }
  const hostText = (parsed.host || env.PGHOST || 'localhost').trim();
  if (hostText.includes(',')) throw new ProbeRefused(`${display} names several hosts (${hostText}); the probe drives one server at a time`);
  const port = Number(parsed.port || env.PGPORT || 5432);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new ProbeRefused(`bad port '${parsed.port}' in ${display}`);
  const base = {
    port,
    database: parsed.database || undefined,
    user: parsed.user || undefined,
    password: parsed.password || undefined,
    options: parsed.options || undefined,
    display,
  };
  return { ...base, ...(await allowHost(hostText, allowedHosts)) };
}

/**
 * Whether the probe may connect to a host (a socket path, an allowed name, a loopback address or
 * `localhost` resolving to loopback only), and the address to use. Throws ProbeRefused otherwise.
 */
export async function allowHost(hostText: string, allowedHosts: string[]): Promise<{ host: string; socket: boolean; allowedAs: string }> {
  const allowed = new Set(allowedHosts.map(normHost));
  if (hostText.startsWith('/')) return { host: hostText, socket: true, allowedAs: 'a Unix-domain socket on this machine' };
  const host = normHost(hostText);
  if (allowed.has(host)) return { host, socket: false, allowedAs: `listed in poolLint.probe.allowedHosts` };
  if (isLoopbackAddress(host)) return { host, socket: false, allowedAs: 'a loopback address' };
  if (host === 'localhost') {
    // resolved from the hosts file; every address it gives must be loopback, and the probe then
    // connects to that address (not to the name, which could resolve differently later)
    const addrs = await new Promise<dns.LookupAddress[]>((resolve) => dns.lookup('localhost', { all: true }, (err, list) => resolve(err ? [] : list)));
    const loop = addrs.filter((a) => isLoopbackAddress(a.address));
    if (addrs.length === 0 || loop.length !== addrs.length) throw new ProbeRefused(`'localhost' does not resolve to loopback addresses only here (${addrs.map((a) => a.address).join(', ') || 'no address'}); use 127.0.0.1`);
    const v4 = loop.find((a) => a.family === 4) ?? loop[0];
    return { host: v4.address, socket: false, allowedAs: `localhost (${v4.address})` };
  }
  throw new ProbeRefused(
    `refusing to probe ${host}: the load probe connects only to loopback addresses (127.0.0.0/8, ::1) and Unix sockets unless the host is listed ` +
      `in poolLint.probe.allowedHosts (poollint.config.json: {"probe": {"allowedHosts": ["${host}"]}}) or given with --allow-host ${host}. ` +
      `No connection was attempted.`,
  );
}

export interface MysqlEndpoint {
  host: string;
  port: number;
  /** The socket path when the URL names one (?socket=/run/mysqld/mysqld.sock). */
  socketPath?: string;
  database?: string;
  user?: string;
  password?: string;
  allowedAs: string;
  display: string;
}

/**
 * Parses a MySQL/MariaDB URL (mysql://, mariadb://, SQLAlchemy's mysql+pymysql:// and the like)
 * and decides whether the probe may connect, from the text alone, as for PostgreSQL.
 */
export async function checkMysqlTarget(url: string, allowedHosts: string[]): Promise<MysqlEndpoint> {
  const display = maskUrl(url);
  const text = url.trim();
  if (!/^(mysql|mariadb)(\+[a-z0-9_]+)?:\/\//i.test(text)) throw new ProbeRefused(`not a MySQL or MariaDB URL: ${display}`);
  let u: URL;
  try {
    u = new URL(text.replace(/^(mysql|mariadb)(\+[a-z0-9_]+)?:\/\//i, 'mysql://'));
  } catch (e) {
    throw new ProbeRefused(`cannot parse ${display}: ${(e as Error).message}`);
  }
  const dec = (v: string) => {
    try {
      return decodeURIComponent(v);
    } catch {
      return v;
    }
  };
  const socketPath = u.searchParams.get('socket') ?? u.searchParams.get('unix_socket') ?? undefined;
  const port = Number(u.port || 3306);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new ProbeRefused(`bad port '${u.port}' in ${display}`);
  const where = socketPath ? await allowHost(socketPath, allowedHosts) : await allowHost(u.hostname || 'localhost', allowedHosts);
  return {
    host: where.socket ? 'localhost' : where.host,
    port,
    socketPath: where.socket ? where.host : undefined,
    database: dec(u.pathname.replace(/^\//, '')) || undefined,
    user: u.username ? dec(u.username) : undefined,
    password: u.password ? dec(u.password) : u.searchParams.get('password') ?? undefined,
    allowedAs: where.allowedAs,
    display,
  };
}
