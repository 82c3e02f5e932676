// Database URLs: the kind of database a URL names, and the URL with its password masked.
import type { DatabaseKind } from './model';

export interface ParsedUrl {
  kind: DatabaseKind;
  scheme: string;
  /** The dialect part of the scheme (before '+'). */
  dialect: string;
  driver?: string;
  /** SQLite only: an in-memory database (`sqlite://`, `:memory:`, `mode=memory`). */
  memory: boolean;
}

const KINDS: Record<string, DatabaseKind> = {
  postgresql: 'postgresql',
  postgres: 'postgresql',
  pgsql: 'postgresql',
  cockroachdb: 'postgresql',
  sqlite: 'sqlite',
  mysql: 'mysql',
  mysqlx: 'mysql',
  mariadb: 'mysql',
  'aws-wrapper:mysql': 'mysql',
  'aws-wrapper:postgresql': 'postgresql',
};

/** Parses the scheme of a URL, or of a URL whose beginning alone is known. */
export function parseDbUrl(url: string): ParsedUrl | undefined {
  // JDBC URLs carry the database after `jdbc:` (jdbc:mysql://, jdbc:postgresql://, jdbc:mariadb://)
  const m = /^(?:jdbc:)?((?:aws-wrapper:)?[A-Za-z][A-Za-z0-9+.-]*):\/\//i.exec(url.trim());
  if (!m) return undefined;
  const scheme = m[1].toLowerCase();
  const [dialect, driver] = scheme.split('+');
  const kind = KINDS[dialect] ?? 'unknown';
  let memory = false;
  if (kind === 'sqlite') {
    const rest = url.trim().slice(m[0].length);
    // sqlite:// and sqlite:///:memory: and ?mode=memory are in-memory databases
    memory = rest === '' || rest === '/' || /^\/?:memory:/.test(rest) || /[?&]mode=memory\b/.test(rest);
  }
  return { kind, scheme, dialect, driver, memory };
}

/**
 * The URL with any password replaced by `***`; safe to print, log and write. The user part ends at
 * the last `@` before the query: a password written with an unescaped `/` or `@` in it (RFC 3986
 * wants them percent-encoded, people do not) is masked whole. A URL with an `@` later in its path
 * loses that part of the path too, which is the safe way to be wrong.
 */
export function maskUrl(url: string): string {
  return url.replace(/^((?:jdbc:)?[A-Za-z][A-Za-z0-9+.:-]*:\/\/)([^?#\s]*)@/, (_m, scheme: string, userinfo: string) => {
    const i = userinfo.indexOf(':');
    return i < 0 ? `${scheme}${userinfo}@` : `${scheme}${userinfo.slice(0, i)}:***@`;
  })
    // key=value DSNs (password=... in lib/pq, pgx), quoted values whole
    .replace(/(^|\s)(password=)('[^']*'|\S*)/gi, '$1$2***')
    .replace(PASSWORD_PARAM, '$1***')
    // go-sql-driver/mysql DSNs (user:pass@tcp(host)/db)
    .replace(/^([^:@/\s]+):[^@\s]*@((?:tcp|unix|udp)?\()/, '$1:***@$2');
}

/** `password=` (and its short forms) in a query string or a DSN. */
const PASSWORD_PARAM = /([?&;\s](?:password|pass|pwd|sslpassword)=)[^&;#\s"'`]*/gi;

/** Masks every URL-with-credentials found in free text (error messages, say). */
export function maskSecrets(text: string): string {
  // user:password@ up to the last @ before a space, a quote or the query (see maskUrl); each
  // pattern runs only where the text has what it needs (a report is megabytes, its DSNs are few)
  let out = text.includes('://') ? text.replace(/\b([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/@\s:"'`]*):([^\s"'`?#]*)@/g, '$1$2:***@') : text;
  out = out.replace(PASSWORD_PARAM, '$1***');
  // go-sql-driver/mysql DSNs in free text
  return /@(?:tcp|unix|udp)\(/.test(out) ? out.replace(/(^|[\s"'=])([^:@/\s"'=]+):[^@\s"']*@((?:tcp|unix|udp)\()/g, '$1$2:***@$3') : out;
}
