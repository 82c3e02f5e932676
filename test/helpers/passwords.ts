// The passwords written in URLs of test files, and the strings no output (or cache) may contain.
import * as fs from 'fs';

/** user:password@ in any scheme://, and password= in a query string or a DSN. */
const URL_PASSWORD = /\b[A-Za-z][A-Za-z0-9+.:-]*:\/\/[^:/@\s"'`]*:([^@\s"'`]+)@/g;
const PARAM_PASSWORD = /[?&;\s](?:password|pass|pwd)=([^&;\s"'`#]+)/gi;

/** Words too common to search for bare; they are searched for as `:word@` only. */
const COMMON = new Set(['password', 'secret', 'pass', 'pw', 'postgres', 'root', 'admin', 'test', 'changeme']);

/** Every password written in the files: for each, the strings no output may contain. */
export function passwordsIn(files: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8');
    for (const re of [URL_PASSWORD, PARAM_PASSWORD]) {
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        const pw = m[1];
        // placeholders are not passwords: {password}, ${DB_PASSWORD}, %(pw)s, ***
        if (/^[{$%<*]|^\*+$/.test(pw) || pw.length < 3) continue;
        const needles = COMMON.has(pw.toLowerCase()) || pw.length < 5 ? [`:${pw}@`, `=${pw}`] : [pw];
        out.set(pw, needles);
      }
    }
  }
  return out;
}

