// What the sqlx detector follows in real Rust code: builder chains and option-less pools, literal
// and Duration arguments, env reads with their Option/Result chains per profile, `let` bindings,
// consts, config structs, the pool's database type, and what it must not take for a pool.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { check, type CheckResult } from '../server/src/engine';
import type { PoolModel, ProfileModel, Setting, Span } from '../server/src/engine/model';
import { relTo } from './helpers/fixtures';

interface Run {
  result: CheckResult;
  pools: PoolModel[];
  dir: string;
  files: Record<string, string>;
  /** The source text a span covers. */
  text(span: Span | undefined): string;
  /** A setting of pool i in a profile. */
  s(i: number, name: string, profile?: string): Setting;
  /** [value, source] of a setting, 'unknown' for an unknown value. */
  get(i: number, name: string, profile?: string): [unknown, string];
  profile(i: number, profile?: string): ProfileModel;
}

async function run(files: Record<string, string>): Promise<Run> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-sqlx-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), content);
    }
    const result = await check({ root: dir, rel: relTo(dir) });
    const pools = result.pools.filter((p) => p.library === 'sqlx');
    const profile = (i: number, p = 'development') => {
      const m = pools[i]?.profiles[p];
      assert.ok(m, `pool ${i} has profile ${p} (pools: ${pools.length})`);
      return m;
    };
    const s = (i: number, name: string, p?: string) => profile(i, p).settings[name];
    return {
      result,
      pools,
      dir,
      files,
      text: (span) => {
        assert.ok(span, 'a span');
        const rel = path.relative(dir, span.file).split(path.sep).join('/');
        return files[rel].slice(span.start, span.end);
      },
      s,
      get: (i, name, p) => {
        const v = s(i, name, p);
        return [v.value === undefined ? 'unknown' : v.value, v.source];
      },
      profile,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const SEED_002 = [
  'use sqlx::postgres::PgPoolOptions;',
  '',
  'pub async fn run(config: &Config) -> anyhow::Result<()> {',
  '    let pool = PgPoolOptions::new()',
  '        .max_connections(10)  // ⚠️ VERY LOW FOR PRODUCTION',
  '        .connect(&config.database_url)',
  '        .await?;',
  '    Ok(())',
  '}',
  '',
].join('\n');

const SEED_002_FIX = [
  'use sqlx::postgres::PgPoolOptions;',
  'use std::time::Duration;',
  '',
  'pub async fn run(config: &Config) -> anyhow::Result<()> {',
  '    let pool = PgPoolOptions::new()',
  '        .max_connections(50)  // Production minimum',
  '        .min_connections(10)  // Keep warm connections',
  '        .acquire_timeout(Duration::from_secs(5))  // Fail fast',
  '        .idle_timeout(Duration::from_secs(600))  // 10 min',
  '        .max_lifetime(Duration::from_secs(1800))  // 30 min rotation',
  '        .connect(&config.database_url)',
  '        .await?;',
  '    Ok(())',
  '}',
  '',
].join('\n');

const ENV_BASED = [
  'use sqlx::postgres::PgPoolOptions;',
  'use std::env;',
  '',
  'pub async fn pool() -> Result<sqlx::PgPool, Box<dyn std::error::Error>> {',
  '    let database_url = env::var("DATABASE_URL").expect("DATABASE_URL must be set");',
  '    let max_connections = env::var("DATABASE_MAX_CONNECTIONS")',
  '        .ok()',
  '        .and_then(|s| s.parse().ok())',
  '        .unwrap_or(50);',
  '',
  '    let pool = PgPoolOptions::new()',
  '        .max_connections(max_connections)',
  '        .min_connections(max_connections / 5)',
  '        .connect(&database_url)',
  '        .await?;',
  '    Ok(pool)',
  '}',
  '',
].join('\n');

const SQLX_DEFAULT_CITE = 'sqlx@v0.8.6:sqlx-core/src/pool/options.rs:143-166';

const CROSS_CONFIG = [
  'use std::env;',
  'const IDLE_SECS: u64 = 300;',
  'pub struct Config { pub database_url: String, pub max_connections: u32, pub idle_secs: u64 }',
  'impl Config {',
  '    pub fn from_env() -> Self {',
  '        Self {',
  '            database_url: env::var("DATABASE_URL").expect("DATABASE_URL"),',
  '            max_connections: env::var("DATABASE_MAX_CONNECTIONS").ok().and_then(|s| s.parse().ok())',
  '                .unwrap_or(20),',
  '            idle_secs: IDLE_SECS,',
  '        }',
  '    }',
  '}',
  '',
].join('\n');

const CROSS_MAIN = [
  'use sqlx::postgres::PgPoolOptions;',
  'use std::time::Duration;',
  'mod config;',
  'use config::Config;',
  '#[tokio::main]',
  'async fn main() -> anyhow::Result<()> {',
  '    let config = Config::from_env();',
  '    let pool = PgPoolOptions::new()',
  '        .max_connections(config.max_connections)',
  '        .idle_timeout(Duration::from_secs(config.idle_secs))',
  '        .connect(&config.database_url)',
  '        .await?;',
  '    Ok(())',
  '}',
  '',
].join('\n');

describe('sqlx detector', () => {
  it("seed 002's chain: max_connections 10 written, where it is written, and every other setting the sqlx default", async () => {
    const r = await run({ 'src/main.rs': SEED_002 });
    assert.strictEqual(r.pools.length, 1);
    const p = r.pools[0];
    assert.strictEqual(p.library, 'sqlx');
    assert.strictEqual(p.constructor, 'connect');
    assert.strictEqual(r.text(p.span), 'PgPoolOptions::new()\n        .max_connections(10)  // ⚠️ VERY LOW FOR PRODUCTION\n        .connect(&config.database_url)');
    assert.strictEqual(p.span.line, 3);
    assert.deepStrictEqual(Object.keys(p.profiles), ['development', 'production']);
    const max = r.s(0, 'max_connections');
    assert.deepStrictEqual([max.value, max.source, max.text], [10, 'literal', '10']);
    assert.strictEqual(r.text(max.span), '10');
    assert.deepStrictEqual([max.span!.line, max.span!.column], [4, 25]);
    const defaults: Record<string, unknown> = { min_connections: 0, acquire_timeout: 30, idle_timeout: 600, max_lifetime: 1800, test_before_acquire: true };
    for (const [name, value] of Object.entries(defaults)) {
      const s = r.s(0, name);
      assert.deepStrictEqual([s.value, s.source], [value, 'default'], name);
      assert.deepStrictEqual(s.default, { library: 'sqlx', version: '0.8', cite: SQLX_DEFAULT_CITE });
    }
    assert.deepStrictEqual(Object.keys(r.profile(0).settings).sort(), ['acquire_timeout', 'idle_timeout', 'max_connections', 'max_lifetime', 'min_connections', 'test_before_acquire']);
    const prof = r.profile(0);
    assert.strictEqual(prof.database.kind, 'postgresql');
    assert.match(prof.database.how, /PgPoolOptions/);
    assert.strictEqual(prof.database.url, undefined, 'config.database_url is not known here');
    assert.deepStrictEqual(prof.poolClass, { name: 'PgPool', source: 'default', reason: 'sqlx Pool' });
    assert.strictEqual(prof.insertTarget?.kind, 'chain');
    assert.strictEqual(r.text(prof.insertTarget?.span), 'PgPoolOptions::new()');
    assert.deepStrictEqual(p.libraryVersion, { version: '0.8.x (assumed: no pin found)', source: 'assumed' });
    assert.deepStrictEqual(p.differsBetweenProfiles, []);
    assert.deepStrictEqual(r.result.problems, []);
  });

  it("seed 002's proposed fix: all five options, Durations in seconds, spans on the whole argument", async () => {
    const r = await run({ 'src/main.rs': SEED_002_FIX });
    assert.strictEqual(r.pools.length, 1);
    assert.deepStrictEqual(r.get(0, 'max_connections'), [50, 'literal']);
    assert.deepStrictEqual(r.get(0, 'min_connections'), [10, 'literal']);
    assert.deepStrictEqual(r.get(0, 'acquire_timeout'), [5, 'literal']);
    assert.deepStrictEqual(r.get(0, 'idle_timeout'), [600, 'literal']);
    assert.deepStrictEqual(r.get(0, 'max_lifetime'), [1800, 'literal']);
    assert.deepStrictEqual(r.get(0, 'test_before_acquire'), [true, 'default']);
    assert.strictEqual(r.text(r.s(0, 'acquire_timeout').span), 'Duration::from_secs(5)');
    assert.strictEqual(r.s(0, 'acquire_timeout').text, 'Duration::from_secs(5)');
    assert.strictEqual(r.text(r.s(0, 'min_connections').span), '10');
  });

  it('Duration forms: from_millis, from_secs_f64, Duration::new, Some(..), None, arithmetic, and test_before_acquire', async () => {
    const r = await run({
      'src/db.rs': [
        'use sqlx::postgres::PgPoolOptions;',
        'use std::time::Duration;',
        'async fn f() {',
        '    let p = PgPoolOptions::new()',
        '        .acquire_timeout(Duration::from_millis(500))',
        '        .idle_timeout(None)',
        '        .max_lifetime(Some(Duration::from_secs(30 * 60)))',
        '        .test_before_acquire(false)',
        '        .connect("postgres://u@h/d").await;',
        '    let q = PgPoolOptions::new()',
        '        .acquire_timeout(Duration::from_secs_f64(2.5))',
        '        .idle_timeout(Some(Duration::new(1, 500_000_000)))',
        '        .max_lifetime(std::time::Duration::from_secs(60) * 2)',
        '        .connect("postgres://u@h/d").await;',
        '}',
        '',
      ].join('\n'),
    });
    assert.deepStrictEqual(r.get(0, 'acquire_timeout'), [0.5, 'literal']);
    assert.deepStrictEqual(r.get(0, 'idle_timeout'), [null, 'literal']);
    assert.strictEqual(r.text(r.s(0, 'idle_timeout').span), 'None');
    assert.deepStrictEqual(r.get(0, 'max_lifetime'), [1800, 'literal']);
    assert.strictEqual(r.text(r.s(0, 'max_lifetime').span), 'Some(Duration::from_secs(30 * 60))');
    assert.deepStrictEqual(r.get(0, 'test_before_acquire'), [false, 'literal']);
    assert.deepStrictEqual(r.get(1, 'acquire_timeout'), [2.5, 'literal']);
    assert.deepStrictEqual(r.get(1, 'idle_timeout'), [1.5, 'literal']);
    assert.deepStrictEqual(r.get(1, 'max_lifetime'), [120, 'literal']);
  });

  it('the env-based version: DATABASE_MAX_CONNECTIONS per profile from .env and .env.production, and the derived min', async () => {
    const r = await run({
      '.env': 'DATABASE_URL=postgres://app:devpw@localhost:5432/app\nDATABASE_MAX_CONNECTIONS=40\n',
      '.env.production': 'DATABASE_URL=postgres://app:prodpw@db.internal:5432/app\nDATABASE_MAX_CONNECTIONS=100\n',
      'src/main.rs': ENV_BASED,
    });
    assert.strictEqual(r.pools.length, 1);
    const dev = r.s(0, 'max_connections', 'development');
    const prod = r.s(0, 'max_connections', 'production');
    assert.deepStrictEqual([dev.value, dev.source], [40, 'env']);
    assert.deepStrictEqual([prod.value, prod.source], [100, 'env']);
    assert.strictEqual(dev.env?.name, 'DATABASE_MAX_CONNECTIONS');
    assert.strictEqual(dev.env?.usedFallback, false);
    assert.strictEqual(path.basename(dev.env!.file!), '.env');
    assert.strictEqual(path.basename(prod.env!.file!), '.env.production');
    assert.deepStrictEqual([dev.env?.line, dev.env?.raw], [1, '40']);
    assert.deepStrictEqual([prod.env?.line, prod.env?.raw], [1, '100']);
    // the value's place in the env file, for an edit
    assert.deepStrictEqual([prod.env?.valueSpan?.start, prod.env?.valueSpan?.end], ['DATABASE_URL=postgres://app:prodpw@db.internal:5432/app\nDATABASE_MAX_CONNECTIONS='.length, 'DATABASE_URL=postgres://app:prodpw@db.internal:5432/app\nDATABASE_MAX_CONNECTIONS=100'.length]);
    assert.strictEqual(r.text(dev.env?.readSpan), 'env::var("DATABASE_MAX_CONNECTIONS")');
    assert.strictEqual(dev.env?.fallback?.value, 50);
    assert.strictEqual(r.text(dev.env?.fallback?.span), '50');
    // min_connections(max_connections / 5) is computed from the variable
    assert.deepStrictEqual(r.get(0, 'min_connections', 'development'), [8, 'env']);
    assert.deepStrictEqual(r.get(0, 'min_connections', 'production'), [20, 'env']);
    assert.strictEqual(r.s(0, 'min_connections').env?.valueSpan, undefined, 'editing the variable would not set the computed value');
    assert.match(r.s(0, 'min_connections').reason ?? '', /max_connections \/ 5/);
    // the URL per profile, masked
    assert.strictEqual(r.profile(0, 'development').database.url, 'postgres://app:***@localhost:5432/app');
    assert.strictEqual(r.profile(0, 'production').database.url, 'postgres://app:***@db.internal:5432/app');
    assert.strictEqual(r.profile(0, 'production').database.source?.env?.raw, 'postgres://app:***@db.internal:5432/app');
    assert.ok(!JSON.stringify(r.pools).includes('prodpw'), 'no password in the model');
    assert.deepStrictEqual(r.pools[0].differsBetweenProfiles, ['database', 'max_connections', 'min_connections']);
  });

  it('the env-based version with the variable unset: the fallback, marked as used, with its span', async () => {
    const r = await run({ '.env': 'DATABASE_URL=postgres://localhost/app\n', 'src/main.rs': ENV_BASED });
    const s = r.s(0, 'max_connections');
    assert.deepStrictEqual([s.value, s.source], [50, 'env']);
    assert.strictEqual(s.env?.usedFallback, true);
    assert.strictEqual(s.env?.file, undefined);
    assert.deepStrictEqual([s.env?.fallback?.value, s.env?.fallback?.text], [50, '50']);
    const fb = s.env!.fallback!.span;
    assert.strictEqual(r.text(fb), '50');
    assert.strictEqual(fb.line, 8);
    assert.deepStrictEqual(r.get(0, 'min_connections'), [10, 'env']);
    // only development has env files, so only it is evaluated
    assert.deepStrictEqual(Object.keys(r.pools[0].profiles), ['development']);
  });

  it('env chains: unwrap_or + parse::<u32>().unwrap(), unwrap_or_else + parse().unwrap_or, expect, map, dotenvy::var, and crashes', async () => {
    const src = [
      'use sqlx::postgres::PgPoolOptions;',
      'use std::time::Duration;',
      'async fn f() {',
      '    let p = PgPoolOptions::new()',
      '        .max_connections(std::env::var("A").unwrap_or("10".into()).parse::<u32>().unwrap())',
      '        .min_connections(env::var("B").unwrap_or_else(|_| "3".to_string()).parse().unwrap_or(2))',
      '        .acquire_timeout(Duration::from_secs(env::var("C").expect("C must be set").parse().expect("C is a number")))',
      '        .idle_timeout(env::var("D").ok().map(|s| Duration::from_secs(s.parse().unwrap())))',
      '        .max_lifetime(Duration::from_secs(dotenvy::var("E").map(|s| s.parse::<u64>().unwrap()).unwrap_or(900)))',
      '        .test_before_acquire(env::var("F").map(|v| v == "true").unwrap_or(true))',
      '        .connect("postgres://h/d").await;',
      '}',
      '',
    ].join('\n');
    const set = await run({ '.env': 'A=25\nB=4\nC=7\nD=120\nE=60\nF=false\n', 'src/db.rs': src });
    assert.deepStrictEqual(set.get(0, 'max_connections'), [25, 'env']);
    assert.deepStrictEqual(set.get(0, 'min_connections'), [4, 'env']);
    assert.deepStrictEqual(set.get(0, 'acquire_timeout'), [7, 'env']);
    assert.deepStrictEqual(set.get(0, 'idle_timeout'), [120, 'env']);
    assert.deepStrictEqual(set.get(0, 'max_lifetime'), [60, 'env']);
    assert.deepStrictEqual(set.get(0, 'test_before_acquire'), [false, 'env']);
    assert.strictEqual(set.s(0, 'max_connections').env?.usedFallback, false);

    const unset = await run({ '.env': 'OTHER=1\n', 'src/db.rs': src });
    const a = unset.s(0, 'max_connections');
    assert.deepStrictEqual([a.value, a.source, a.env?.usedFallback], [10, 'env', true]);
    // the fallback's span is the inside of the string, so an edit keeps the quotes
    assert.deepStrictEqual([a.env?.fallback?.value, a.env?.fallback?.text, unset.text(a.env?.fallback?.span)], ['10', '10', '10']);
    assert.deepStrictEqual(unset.get(0, 'min_connections'), [3, 'env']);
    assert.strictEqual(unset.s(0, 'min_connections').env?.usedFallback, true);
    assert.strictEqual(unset.s(0, 'min_connections').env?.fallback?.text, '3', 'the fallback taken, not the later one');
    const c = unset.s(0, 'acquire_timeout');
    assert.deepStrictEqual([c.value, c.source], [undefined, 'env']);
    assert.match(c.crash ?? '', /C must be set: NotPresent/);
    assert.deepStrictEqual(unset.get(0, 'idle_timeout'), [null, 'env'], 'None when D is unset');
    assert.deepStrictEqual(unset.get(0, 'max_lifetime'), [900, 'env']);
    assert.deepStrictEqual(unset.get(0, 'test_before_acquire'), [true, 'env']);

    const bad = await run({ '.env': 'A=abc\nB=x\nC=1.5\nD=10\nE=-1\nF=yes\n', 'src/db.rs': src });
    const ba = bad.s(0, 'max_connections');
    assert.strictEqual(ba.value, undefined);
    assert.match(ba.crash ?? '', /called `Result::unwrap\(\)` on an `Err` value: ParseIntError \{ kind: InvalidDigit \}/);
    assert.strictEqual(ba.env?.raw, 'abc');
    // parse().unwrap_or(2) on a set value that does not parse takes the fallback
    const bb = bad.s(0, 'min_connections');
    assert.deepStrictEqual([bb.value, bb.env?.usedFallback], [2, true]);
    assert.match(bb.reason ?? '', /B=x does not parse/);
    assert.strictEqual(bb.env?.fallback?.text, '2');
    assert.match(bad.s(0, 'acquire_timeout').crash ?? '', /C is a number: ParseIntError/, 'Duration::from_secs wants a u64');
    assert.match(bad.s(0, 'max_lifetime').crash ?? '', /ParseIntError/, '-1 is not a u64');
    assert.deepStrictEqual(bad.get(0, 'test_before_acquire'), [false, 'env'], '"yes" == "true" is false');
  });

  it('follows let bindings in the function, consts and statics of the file, and a let-bound options builder', async () => {
    const r = await run({
      'src/db.rs': [
        'use sqlx::postgres::PgPoolOptions;',
        'use std::time::Duration;',
        'const MAX_CONNECTIONS: u32 = 32;',
        'static ACQUIRE_SECS: u64 = 3;',
        'async fn f() {',
        '    let max = 20;',
        '    let timeout = Duration::from_secs(ACQUIRE_SECS);',
        '    let pool = PgPoolOptions::new()',
        '        .max_connections(max)',
        '        .min_connections(max / 4)',
        '        .acquire_timeout(timeout)',
        '        .connect("postgres://h/d").await;',
        '    let opts = PgPoolOptions::new().max_connections(MAX_CONNECTIONS);',
        '    let other = opts.connect_lazy("postgres://h/d");',
        '}',
        'async fn g(size: u32) {',
        '    let mut n = 5;',
        '    n += 1;',
        '    let pool = PgPoolOptions::new().max_connections(size).min_connections(n).connect("postgres://h/d").await;',
        '}',
        '',
      ].join('\n'),
    });
    assert.strictEqual(r.pools.length, 3);
    const max = r.s(0, 'max_connections');
    assert.deepStrictEqual([max.value, max.source], [20, 'literal']);
    assert.strictEqual(r.text(max.span), '20');
    assert.strictEqual(max.span!.line, 5, 'the span is where the let writes the value');
    assert.deepStrictEqual(r.get(0, 'min_connections'), [5, 'literal']);
    assert.deepStrictEqual(r.get(0, 'acquire_timeout'), [3, 'literal']);
    assert.strictEqual(r.text(r.s(0, 'acquire_timeout').span), 'Duration::from_secs(ACQUIRE_SECS)');
    // the let-bound builder
    assert.strictEqual(r.pools[1].constructor, 'connect_lazy');
    assert.deepStrictEqual(r.get(1, 'max_connections'), [32, 'literal']);
    assert.strictEqual(r.text(r.s(1, 'max_connections').span), '32');
    assert.strictEqual(r.text(r.profile(1).insertTarget?.span), 'PgPoolOptions::new()');
    // a parameter and a reassigned `let mut` are not known
    assert.deepStrictEqual(r.get(2, 'max_connections'), ['unknown', 'unknown']);
    assert.match(r.s(2, 'max_connections').reason ?? '', /size is a parameter of fn g/);
    assert.deepStrictEqual(r.get(2, 'min_connections'), ['unknown', 'unknown']);
    assert.match(r.s(2, 'min_connections').reason ?? '', /reassigned/);
  });

  it('config structs: a literal in the same function, one built by Config::from_env(), and a &Config parameter', async () => {
    const r = await run({
      '.env': 'POOL_MAX=24\n',
      'src/config.rs': [
        'use sqlx::postgres::PgPoolOptions;',
        'pub struct Config { pub database_url: String, pub max_connections: u32, pub idle_secs: u64 }',
        'impl Config {',
        '    pub fn from_env() -> Result<Self, std::env::VarError> {',
        '        let max_connections = std::env::var("POOL_MAX").ok().and_then(|v| v.parse().ok()).unwrap_or(15);',
        '        Ok(Self { database_url: "postgres://u:pw@h/db".to_string(), max_connections, idle_secs: 90 })',
        '    }',
        '}',
        'async fn a() {',
        '    let config = Config { database_url: String::from("sqlite::memory:"), max_connections: 20, idle_secs: 5 };',
        '    let pool = PgPoolOptions::new().max_connections(config.max_connections).connect(&config.database_url).await;',
        '}',
        'async fn b() -> anyhow::Result<()> {',
        '    let config = Config::from_env()?;',
        '    let pool = PgPoolOptions::new()',
        '        .max_connections(config.max_connections)',
        '        .idle_timeout(std::time::Duration::from_secs(config.idle_secs))',
        '        .connect(&config.database_url).await?;',
        '    Ok(())',
        '}',
        'async fn c(settings: &Settings) {',
        '    let pool = PgPoolOptions::new().max_connections(settings.pool_size).connect(&settings.url).await;',
        '}',
        'struct Settings { pool_size: u32, url: String }',
        'fn settings() -> Settings { Settings { pool_size: 12, url: "postgres://h/s".into() } }',
        '#[cfg(test)]',
        'mod tests {',
        '    fn fake() -> super::Settings { super::Settings { pool_size: 1, url: "postgres://test".into() } }',
        '}',
        '',
      ].join('\n'),
    });
    assert.strictEqual(r.pools.length, 3);
    const a = r.s(0, 'max_connections');
    assert.deepStrictEqual([a.value, a.source], [20, 'literal']);
    assert.strictEqual(r.text(a.span), '20');
    assert.strictEqual(r.profile(0).database.url, 'sqlite::memory:');
    assert.match(r.profile(0).database.how, /does not match/, 'a PgPool with a SQLite URL');
    assert.deepStrictEqual(r.get(1, 'max_connections'), [24, 'env']);
    assert.deepStrictEqual(r.get(1, 'idle_timeout'), [90, 'literal']);
    assert.strictEqual(r.profile(1).database.url, 'postgres://u:***@h/db');
    // a &Settings parameter: the one non-test literal of Settings in the file
    assert.deepStrictEqual(r.get(2, 'max_connections'), [12, 'literal']);
    assert.strictEqual(r.profile(2).database.url, 'postgres://h/s');
  });

  it("config in another file of the crate: Config::from_env() in src/config.rs, set in .env and unset (the fallback's span in config.rs)", async () => {
    const files = {
      'Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\n\n[dependencies]\nsqlx = "0.8"\n',
      'src/config.rs': CROSS_CONFIG,
      'src/main.rs': CROSS_MAIN,
    };
    const set = await run({ ...files, '.env': 'DATABASE_URL=postgres://app:pw@localhost/app\nDATABASE_MAX_CONNECTIONS=42\n' });
    assert.strictEqual(set.pools.length, 1);
    const s = set.s(0, 'max_connections');
    assert.deepStrictEqual([s.value, s.source], [42, 'env']);
    assert.strictEqual(s.env?.name, 'DATABASE_MAX_CONNECTIONS');
    assert.strictEqual(s.env?.usedFallback, false);
    assert.strictEqual(path.basename(s.env!.file!), '.env');
    assert.strictEqual(s.env?.raw, '42');
    assert.strictEqual(path.basename(s.env!.readSpan.file), 'config.rs');
    assert.strictEqual(set.text(s.env?.readSpan), 'env::var("DATABASE_MAX_CONNECTIONS")');
    // the idle timeout from a const of config.rs
    const idle = set.s(0, 'idle_timeout');
    assert.deepStrictEqual([idle.value, idle.source], [300, 'literal']);
    assert.strictEqual(set.profile(0).database.url, 'postgres://app:***@localhost/app');

    const unset = await run({ ...files, '.env': 'DATABASE_URL=postgres://localhost/app\n' });
    const u = unset.s(0, 'max_connections');
    assert.deepStrictEqual([u.value, u.source], [20, 'env']);
    assert.strictEqual(u.env?.usedFallback, true);
    const fb = u.env!.fallback!.span;
    assert.strictEqual(path.basename(fb.file), 'config.rs', 'a fix edits the file that writes the fallback');
    assert.strictEqual(unset.text(fb), '20');
    assert.strictEqual(fb.line, 8);
    assert.strictEqual(path.basename(u.span!.file), 'config.rs');
  });

  it('a struct literal in another file of the crate, and not one of a same-named type in another crate', async () => {
    const main = [
      'use sqlx::postgres::PgPoolOptions;',
      'mod settings;',
      'use settings::Settings;',
      'pub async fn start(settings: &Settings) -> anyhow::Result<()> {',
      '    let pool = PgPoolOptions::new().max_connections(settings.pool_size).connect(&settings.url).await?;',
      '    Ok(())',
      '}',
      '',
    ].join('\n');
    const literal = [
      'pub struct Settings { pub pool_size: u32, pub url: String }',
      'pub fn settings() -> Settings {',
      '    Settings { pool_size: 33, url: "postgres://h/s".into() }',
      '}',
      '#[cfg(test)]',
      'mod tests {',
      '    fn fake() -> super::Settings { super::Settings { pool_size: 1, url: "postgres://test".into() } }',
      '}',
      '',
    ].join('\n');
    const r = await run({ 'Cargo.toml': '[package]\nname = "app"\n', 'src/main.rs': main, 'src/settings.rs': literal });
    const s = r.s(0, 'max_connections');
    assert.deepStrictEqual([s.value, s.source], [33, 'literal']);
    assert.strictEqual(path.basename(s.span!.file), 'settings.rs');
    assert.strictEqual(r.text(s.span), '33');
    assert.strictEqual(r.profile(0).database.url, 'postgres://h/s');

    // the same type in another crate (its own Cargo.toml) is not this crate's
    const other = await run({
      'app/Cargo.toml': '[package]\nname = "app"\n',
      'app/src/main.rs': main.replace('mod settings;\nuse settings::Settings;', 'use other::Settings;'),
      'other/Cargo.toml': '[package]\nname = "other"\n',
      'other/src/lib.rs': literal,
      'other/src/config.rs': CROSS_CONFIG,
    });
    assert.deepStrictEqual(other.get(0, 'max_connections'), ['unknown', 'unknown']);
    // nor a crate nested in this one's src/ tree
    const nested = await run({ 'Cargo.toml': '[package]\nname = "app"\n', 'src/main.rs': main.replace('mod settings;\nuse settings::Settings;', 'use inner::Settings;'), 'src/inner/Cargo.toml': '[package]\nname = "inner"\n', 'src/inner/src/lib.rs': literal });
    assert.deepStrictEqual(nested.get(0, 'max_connections'), ['unknown', 'unknown']);
    // and Config::from_env() of another crate is not followed either
    const otherFn = await run({ 'app/Cargo.toml': '[package]\nname = "app"\n', 'app/src/main.rs': CROSS_MAIN, 'other/Cargo.toml': '[package]\nname = "other"\n', 'other/src/config.rs': CROSS_CONFIG, '.env': 'DATABASE_MAX_CONNECTIONS=42\n' });
    assert.deepStrictEqual(otherFn.get(0, 'max_connections'), ['unknown', 'unknown']);
  });

  it('database kinds: PoolOptions::<Postgres>, SqlitePoolOptions, MySqlPoolOptions, AnyPoolOptions from the URL', async () => {
    const r = await run({
      '.env': 'ANY_URL=mysql://root:pw@localhost/db\n',
      'src/db.rs': [
        'use sqlx::{Postgres, pool::PoolOptions, sqlite::SqlitePoolOptions, mysql::MySqlPoolOptions, any::AnyPoolOptions};',
        'async fn f() {',
        '    let a = PoolOptions::<Postgres>::new().max_connections(7).connect("postgres://h/d").await;',
        '    let b = SqlitePoolOptions::new().max_connections(1).connect("sqlite::memory:").await;',
        '    let c = MySqlPoolOptions::new().connect("mysql://h/d").await;',
        '    let d = AnyPoolOptions::new().connect(&std::env::var("ANY_URL").unwrap()).await;',
        '    let e = AnyPoolOptions::new().connect(&url_from_somewhere()).await;',
        '    let g = sqlx::pool::PoolOptions::<sqlx::Sqlite>::new().connect_lazy("sqlite:app.db").unwrap();',
        '}',
        '',
      ].join('\n'),
    });
    const kinds = r.pools.map((p) => [p.profiles.development.database.kind, p.profiles.development.poolClass.name]);
    assert.deepStrictEqual(kinds, [
      ['postgresql', 'PgPool'],
      ['sqlite', 'SqlitePool'],
      ['mysql', 'MySqlPool'],
      ['mysql', 'AnyPool'],
      ['unknown', 'AnyPool'],
      ['sqlite', 'SqlitePool'],
    ]);
    assert.deepStrictEqual(r.get(0, 'max_connections'), [7, 'literal']);
    assert.strictEqual(r.text(r.profile(0).insertTarget?.span), 'PoolOptions::<Postgres>::new()');
    assert.strictEqual(r.profile(1).database.memory, true);
    assert.strictEqual(r.profile(5).database.memory, false);
    assert.strictEqual(r.profile(3).database.url, 'mysql://root:***@localhost/db');
    assert.match(r.profile(3).database.how, /URL scheme 'mysql' \(ANY_URL in \.env:1\)/);
    assert.match(r.profile(4).database.how, /not known/);
  });

  it('option-less pools: PgPool::connect(&url) has all defaults and no insert target', async () => {
    const r = await run({
      'src/main.rs': [
        'use sqlx::{PgPool, SqlitePool, Pool, Postgres};',
        'async fn f(url: &str) -> Result<(), sqlx::Error> {',
        '    let pool = PgPool::connect(&url).await?;',
        '    let lite = sqlx::SqlitePool::connect_lazy("sqlite:x.db")?;',
        '    let generic: Pool<Postgres> = Pool::connect("postgres://h/d").await?;',
        '    let typed = Pool::<Postgres>::connect_with(opts).await?;',
        '    Ok(())',
        '}',
        '',
      ].join('\n'),
    });
    assert.deepStrictEqual(r.pools.map((p) => p.constructor), ['PgPool::connect', 'SqlitePool::connect_lazy', 'Pool::connect', 'Pool::<Postgres>::connect_with']);
    assert.strictEqual(r.text(r.pools[0].span), 'PgPool::connect(&url)');
    const prof = r.profile(0);
    assert.strictEqual(prof.insertTarget, undefined);
    assert.strictEqual(prof.database.kind, 'postgresql');
    assert.strictEqual(prof.poolClass.name, 'PgPool');
    for (const [name, value] of Object.entries({ max_connections: 10, min_connections: 0, acquire_timeout: 30, idle_timeout: 600, max_lifetime: 1800, test_before_acquire: true })) {
      assert.deepStrictEqual(r.get(0, name), [value, 'default'], name);
    }
    assert.deepStrictEqual([r.profile(1).database.kind, r.profile(1).poolClass.name], ['sqlite', 'SqlitePool']);
    assert.deepStrictEqual([r.profile(2).database.kind, r.profile(2).poolClass.name], ['postgresql', 'PgPool'], 'from the let annotation');
    assert.deepStrictEqual([r.profile(3).database.kind, r.profile(3).poolClass.name], ['postgresql', 'PgPool']);
  });

  it('is no pool: PgPoolOptions in doc comments, comments, strings, raw strings, use lines, macros and other libraries', async () => {
    const r = await run({
      'src/lib.rs': [
        '//! Builds pools with `PgPoolOptions::new().max_connections(5).connect(url)`.',
        'use sqlx::postgres::PgPoolOptions;',
        'use sqlx::{PgPool, SqlitePool};',
        '/// ```',
        '/// let pool = PgPoolOptions::new().max_connections(5).connect(&url).await?;',
        '/// ```',
        'pub fn doc() {}',
        '/* PgPool::connect("postgres://h/d") */',
        'pub const HELP: &str = "PgPoolOptions::new().connect(url)";',
        'pub const RAW: &str = r#"PgPool::connect("x")"#;',
        'pub fn other() { let c = client.connect(url); let p = r2d2::Pool::builder().build(m); }',
        '',
      ].join('\n'),
      'src/other.rs': 'fn f() { let p = mobc::Pool::connect(x); }\n',
    });
    assert.deepStrictEqual(r.pools, []);
    assert.deepStrictEqual(r.result.problems, []);
  });

  it('a malformed file still yields its other pools, reports the syntax error, and does not throw', async () => {
    const r = await run({
      'src/broken.rs': [
        'use sqlx::postgres::PgPoolOptions;',
        'fn broken( {',
        '    let x = PgPoolOptions::new().max_connections(',
        '}',
        'async fn ok() {',
        '    let p = PgPoolOptions::new().max_connections(4).connect("postgres://h/d").await;',
        '}',
        'async fn weird() {',
        '    let p = PgPoolOptions::new().max_connections(A).min_connections(loop_a()).acquire_timeout(x.0).connect(&format!("postgres://{}", h)).await;',
        '}',
        'const A: u32 = B + 1;',
        'const B: u32 = A;',
        'fn loop_a() -> u32 { loop_b() }',
        'fn loop_b() -> u32 { loop_a() }',
        '',
      ].join('\n'),
    });
    assert.ok(r.result.problems.some((p) => /syntax error/.test(p.message) && p.file.endsWith('broken.rs')));
    assert.ok(!r.result.problems.some((p) => /internal error/.test(p.message)), JSON.stringify(r.result.problems));
    const ok = r.pools.find((p) => p.profiles.development.settings.max_connections.value === 4);
    assert.ok(ok, 'the well-formed pool is found');
    const weird = r.pools.find((p) => r.text(p.span).includes('format!'));
    assert.ok(weird);
    const ws = weird.profiles.development.settings;
    assert.deepStrictEqual([ws.max_connections.source, ws.min_connections.source, ws.acquire_timeout.source], ['unknown', 'unknown', 'unknown']);
    assert.match(ws.max_connections.reason ?? '', /refers to itself/);
    assert.match(ws.min_connections.reason ?? '', /calls itself/);
    assert.strictEqual(weird.profiles.development.database.url, undefined);
    assert.match(weird.profiles.development.database.how, /format!\(\.\.\) is not evaluated/);
  });

  it('an unknown builder method makes the settings it does not write unknown, and the sqlx version comes from Cargo.lock', async () => {
    const r = await run({
      'Cargo.lock': '[[package]]\nname = "serde"\nversion = "1.0.0"\n\n[[package]]\nname = "sqlx"\nversion = "0.7.4"\n',
      'Cargo.toml': '[dependencies]\nsqlx = { version = "0.7", features = ["postgres"] }\n',
      'src/db.rs': 'use sqlx::postgres::PgPoolOptions;\nasync fn f() { let p = PgPoolOptions::new().max_connections(3).apply_company_defaults().connect("postgres://h/d").await; }\n',
    });
    assert.deepStrictEqual(r.get(0, 'max_connections'), [3, 'literal']);
    assert.deepStrictEqual(r.get(0, 'min_connections'), ['unknown', 'unknown']);
    assert.match(r.s(0, 'min_connections').reason ?? '', /apply_company_defaults/);
    assert.deepStrictEqual(r.pools[0].libraryVersion, { version: '0.7.4', source: 'Cargo.lock' });
    const t = await run({
      'Cargo.toml': '[package]\nname = "app"\n\n[dependencies]\nsqlx = { version = "0.6.3", features = ["postgres"] }\n',
      'src/db.rs': 'async fn f() { let p = sqlx::PgPool::connect("postgres://h/d").await; }\n',
    });
    assert.deepStrictEqual(t.pools[0].libraryVersion, { version: '0.6.3', source: 'Cargo.toml' });
  });

  it('differsBetweenProfiles names exactly the settings whose values differ', async () => {
    const r = await run({
      '.env': 'DB_URL=postgres://h/dev\nPOOL=5\nIDLE=60\n',
      '.env.production': 'DB_URL=postgres://h/dev\nPOOL=5\nIDLE=300\n',
      'src/db.rs': [
        'use sqlx::postgres::PgPoolOptions;',
        'use std::time::Duration;',
        'async fn f() {',
        '    let p = PgPoolOptions::new()',
        '        .max_connections(env::var("POOL").unwrap().parse().unwrap())',
        '        .idle_timeout(Duration::from_secs(env::var("IDLE").unwrap().parse().unwrap()))',
        '        .connect(&env::var("DB_URL").unwrap()).await;',
        '}',
        '',
      ].join('\n'),
    });
    assert.deepStrictEqual(r.get(0, 'idle_timeout', 'development'), [60, 'env']);
    assert.deepStrictEqual(r.get(0, 'idle_timeout', 'production'), [300, 'env']);
    assert.deepStrictEqual(r.pools[0].differsBetweenProfiles, ['idle_timeout']);
  });
});
