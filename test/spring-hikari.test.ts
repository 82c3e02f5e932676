// Spring Boot / HikariCP: application.yml and .properties (with profile files) read into one pool per
// config folder, shown in `pool-lint check --format json` with effective values and their sources;
// the .properties reader keeps the range of every value; relaxed binding, placeholders, env
// overrides and profile activation; a long-lived workspace re-reads the pool when a profile file
// changes or appears.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli } from './helpers/cli';
import { FIXTURES, relTo } from './helpers/fixtures';
import { check, createWorkspace } from '../server/src/engine';
import { parseSpringFile, relaxedKey } from '../server/src/engine/spring-config';

interface JsonSetting {
  value: unknown;
  source: string;
  file?: string;
  line?: number;
  text?: string;
  env?: { name: string; file?: string; line?: number; usedFallback: boolean; fallback?: { text: string; line: number } };
  default?: { library: string; version: string; cite: string };
}
interface JsonPool {
  library: string;
  constructor: string;
  file: string;
  line: number;
  database: string;
  profiles: Record<string, { settings: Record<string, JsonSetting>; database: { kind: string; how: string; url?: string }; boundBy?: string }>;
}

function json(fixture: string): { stdout: string; pools: JsonPool[] } {
  const r = cli(['check', '--format', 'json'], path.join(FIXTURES, fixture, 'input'));
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  return { stdout: r.stdout, pools: (JSON.parse(r.stdout) as { pools: JsonPool[] }).pools };
}

function tmpTree(files: Record<string, string>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-spring-')));
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

describe('Spring Boot / HikariCP', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const tree = (files: Record<string, string>) => {
    const d = tmpTree(files);
    dirs.push(d);
    return d;
  };

  it('JSON: one pool for application.yml and application-prod.yml, values per profile with the .env line, the placeholder default or the file line', () => {
    const { stdout, pools } = json('undersized-pool/spring-boot-yaml-profiles');
    assert.strictEqual(pools.length, 1);
    const [pool] = pools;
    assert.deepStrictEqual([pool.library, pool.constructor, pool.file, pool.line, pool.database], ['spring-hikari', 'spring.datasource', 'src/main/resources/application.yml', 4, 'postgresql']);
    // the HikariCP Spring Boot 3.3.4 manages (pom.xml's parent); defaults keep the 5/6 label
    assert.deepStrictEqual((pool as unknown as { libraryVersion: unknown }).libraryVersion, { version: 'the version Spring Boot 3.3.4 manages', source: 'pom.xml' });
    const dev = pool.profiles.development.settings;
    const max = dev['maximum-pool-size'];
    assert.deepStrictEqual([max.value, max.source, max.env?.name, max.env?.file, max.env?.line, max.env?.fallback?.text], [8, 'env', 'DB_POOL_MAX', '.env', 3, '10']);
    assert.deepStrictEqual([dev['connection-timeout'].value, dev['connection-timeout'].source, dev['connection-timeout'].line], [20000, 'literal', 11]);
    assert.deepStrictEqual([dev['minimum-idle'].value, dev['minimum-idle'].source], [8, 'default']);
    assert.match(dev['idle-timeout'].default!.cite, /HikariConfig\.java:55/);
    assert.match(pool.profiles.production.settings['validation-timeout'].default!.cite, /VALIDATION_TIMEOUT 5 s/);
    const prod = pool.profiles.production;
    // maximumPoolSize (camelCase) in the profile file binds to maximum-pool-size
    assert.deepStrictEqual([prod.settings['maximum-pool-size'].value, prod.settings['maximum-pool-size'].file, prod.settings['maximum-pool-size'].line], [40, 'src/main/resources/application-prod.yml', 4]);
    assert.deepStrictEqual([prod.settings['max-lifetime'].value, prod.settings['max-lifetime'].source], [0, 'literal']);
    assert.match(prod.boundBy!, /Spring profile prod: SPRING_PROFILES_ACTIVE=prod in \.env\.production:1/);
    assert.strictEqual(prod.database.url, 'jdbc:postgresql://db:5432/shop');
    assert.strictEqual(pool.profiles.development.database.url, 'jdbc:postgresql://localhost:5432/shop');
    // spring.datasource.password (here a placeholder default) is never read into the model
    assert.ok(!stdout.includes('Dev-Only-Pw-77'), 'the datasource password was printed');
  });

  it('JSON: .properties values with `:`, space and `=` separators, a continuation line, a placeholder default and a document for one profile', () => {
    const { stdout, pools } = json('invalid-pool-setting/spring-boot-properties-rejected-values');
    const [pool] = pools;
    const dev = pool.profiles.development.settings;
    assert.deepStrictEqual([dev['maximum-pool-size'].value, dev['maximum-pool-size'].line], [20, 7]);
    assert.deepStrictEqual([dev['minimum-idle'].value, dev['minimum-idle'].line], [30, 8]);
    // `max_lifetime = \` continued on the next line: the value is where 20000 is written
    assert.deepStrictEqual([dev['max-lifetime'].value, dev['max-lifetime'].line, dev['max-lifetime'].text], [20000, 11, '20000']);
    assert.deepStrictEqual([dev['keepalive-time'].value, dev['keepalive-time'].source, dev['keepalive-time'].env?.usedFallback], [10000, 'env', true]);
    // the `#---` document with spring.config.activate.on-profile=prod applies to production only
    assert.strictEqual(pool.profiles.production.settings['maximum-pool-size'].value, 40);
    assert.strictEqual(pool.profiles.production.database.kind, 'mysql');
    assert.strictEqual(pool.profiles.production.database.url, 'jdbc:mysql://orders:***@mysql:3306/orders?useSSL=false');
    for (const secret of ['Kq7-props-Secret', 'Kq7-in-the-url']) assert.ok(!stdout.includes(secret), `${secret} was printed`);
  });

  it('JSON: an env variable named for the property (SPRING_DATASOURCE_HIKARI_CONNECTIONTIMEOUT) overrides the files; an H2 profile file is its own profile', () => {
    const { pools } = json('undersized-pool/spring-boot-default-size-added-per-profile');
    const ct = pools[0].profiles.production.settings['connection-timeout'];
    // an explicit com.zaxxer:HikariCP in build.gradle.kts labels the defaults
    assert.strictEqual(pools[0].profiles.development.settings['maximum-pool-size'].default?.version, '5.0.1');
    assert.deepStrictEqual([ct.value, ct.source, ct.env?.name, ct.env?.file, ct.env?.line], [10000, 'env', 'SPRING_DATASOURCE_HIKARI_CONNECTIONTIMEOUT', '.env.production', 4]);
    assert.strictEqual(pools[0].profiles.development.settings['connection-timeout'].source, 'default');
    const neg = json('pool-exceeds-server-connections/negative-spring-boot-well-configured').pools[0];
    assert.deepStrictEqual(Object.keys(neg.profiles).sort(), ['development', 'docker-compose', 'production', 'test']);
    assert.match(neg.profiles.test.database.how, /jdbc:h2 .*embedded Java database/);
    assert.strictEqual(neg.profiles.production.settings['maximum-pool-size'].value, 50);
  });

  it('the .properties reader: logical lines, separators, escapes, comments and documents, each value with its range', () => {
    const text = [
      '# comment with a = sign',
      '! another: comment',
      'a.b=1',
      '  c.d : two',
      'e.f   three words  ',
      'g.h = \\',
      '    continued \\',
      '    again',
      'key\\ with\\:escapes = \\u0041\\tB',
      'empty=',
      '#---',
      'spring.config.activate.on-profile=prod',
      'x.y=2',
    ].join('\n');
    const sf = parseSpringFile('/w/application.properties', text);
    assert.strictEqual(sf.docs.length, 2);
    const [first, second] = sf.docs;
    const pairs = first.entries.map((e) => [e.key, e.value, text.slice(e.start, e.end)]);
    assert.deepStrictEqual(pairs, [
      ['a.b', '1', '1'],
      ['c.d', 'two', 'two'],
      ['e.f', 'three words  ', 'three words  '],
      ['g.h', 'continued again', 'continued \\\n    again'],
      ['key with:escapes', 'A\tB', '\\u0041\\tB'],
      ['empty', '', ''],
    ]);
    assert.strictEqual(first.onProfile, undefined);
    assert.deepStrictEqual(second.onProfile, ['prod']);
    assert.deepStrictEqual(second.entries.map((e) => e.key), ['spring.config.activate.on-profile', 'x.y']);
    // positions of a value on its line
    const e = first.entries[1];
    assert.deepStrictEqual([sf.lines.position(e.start).line, sf.lines.position(e.start).column], [3, 8]);
  });

  it('relaxed binding: kebab, camel and snake spellings, nested and dotted YAML keys, bind the same setting', async () => {
    assert.strictEqual(relaxedKey('spring.datasource.hikari.maximum-pool-size'), relaxedKey('spring.datasource.hikari.maximumPoolSize'));
    assert.strictEqual(relaxedKey('spring.datasource.hikari.maximum_pool_size'), relaxedKey('spring.datasource.hikari.maximumPoolSize'));
    const spellings = [
      'spring:\n  datasource:\n    url: jdbc:postgresql://db/app\n    hikari:\n      maximum-pool-size: 17\n',
      'spring.datasource:\n  url: jdbc:postgresql://db/app\n  hikari.maximumPoolSize: 17\n',
      'spring.datasource.url: jdbc:postgresql://db/app\nspring.datasource.hikari.maximum_pool_size: 17\n',
    ];
    for (const yml of spellings) {
      const root = tree({ 'src/main/resources/application.yml': yml });
      const r = await check({ root, rel: relTo(root) });
      assert.strictEqual(r.pools.length, 1, yml);
      const p = Object.values(r.pools[0].profiles)[0];
      assert.deepStrictEqual([p.settings['maximum-pool-size'].value, p.database.kind], [17, 'postgresql'], yml);
    }
  });

  it('a placeholder naming another property follows it; one with neither value nor default leaves the setting unknown', async () => {
    const root = tree({
      'application.properties': 'app.db.pool=${POOL:25}\nspring.datasource.url=jdbc:mysql://db/app\nspring.datasource.hikari.maximum-pool-size=${app.db.pool}\nspring.datasource.hikari.connection-timeout=${ACQUIRE_MS}\n',
      '.env': 'POOL=33\n',
    });
    const r = await check({ root, rel: relTo(root) });
    const s = r.pools[0].profiles.development.settings;
    assert.deepStrictEqual([s['maximum-pool-size'].value, s['maximum-pool-size'].source, s['maximum-pool-size'].env?.name], [33, 'env', 'POOL']);
    assert.deepStrictEqual([s['connection-timeout'].value, s['connection-timeout'].source], [undefined, 'env']);
    assert.match(s['connection-timeout'].reason!, /ACQUIRE_MS is not set/);
  });

  it('spring.profiles.include and spring.profiles.group add profiles: a group member\'s file applies after its group, an include before the active one', async () => {
    const root = tree({
      'application.properties': 'spring.datasource.url=jdbc:postgresql://db/app\nspring.profiles.include=pooling\nspring.profiles.group.prod=proddb,metrics\nspring.datasource.hikari.maximum-pool-size=5\n',
      'application-pooling.properties': 'spring.datasource.hikari.maximum-pool-size=12\nspring.datasource.hikari.connection-timeout=9000\n',
      'application-prod.properties': 'spring.datasource.hikari.maximum-pool-size=20\n',
      'application-proddb.properties': 'spring.datasource.hikari.maximum-pool-size=35\n',
      '.env': 'A=1\n',
      '.env.production': 'SPRING_PROFILES_ACTIVE=prod\n',
    });
    const r = await check({ root, rel: relTo(root) });
    const p = r.pools[0].profiles;
    assert.deepStrictEqual([p.development.settings['maximum-pool-size'].value, p.development.settings['connection-timeout'].value], [12, 9000]);
    assert.deepStrictEqual([p.production.settings['maximum-pool-size'].value, relTo(root)(p.production.settings['maximum-pool-size'].span!.file)], [35, 'application-proddb.properties']);
    assert.match(p.production.boundBy!, /with spring\.profiles\.include and groups: pooling, prod, proddb, metrics/);
    // proddb is run by production's group: not a profile of its own
    assert.deepStrictEqual(Object.keys(p).sort(), ['development', 'production']);
  });

  it('files under src/test/ configure the tests: no pool; a datasource of another type (Tomcat) is not Hikari', async () => {
    const root = tree({
      'src/test/resources/application.yml': 'spring:\n  datasource:\n    url: jdbc:postgresql://db/app\n    hikari:\n      maximum-pool-size: 1\n',
      'other/application.properties': 'spring.datasource.url=jdbc:postgresql://db/app\nspring.datasource.type=org.apache.tomcat.jdbc.pool.DataSource\n',
    });
    const r = await check({ root, rel: relTo(root) });
    assert.deepStrictEqual(r.pools, []);
  });

  it('a bad YAML document is named with its position and the other documents are still read', async () => {
    const root = tree({ 'application.yml': 'spring:\n  datasource:\n    url: jdbc:postgresql://db/app\n    hikari:\n      maximum-pool-size: 12\n---\nspring: [unclosed\n' });
    const r = await check({ root, rel: relTo(root) });
    assert.strictEqual(r.pools[0].profiles.development.settings['maximum-pool-size'].value, 12);
    assert.strictEqual(r.problems.length, 1);
    assert.match(r.problems[0].message, /^YAML: .*not read, other documents and files are still checked/);
    assert.strictEqual(relTo(root)(r.problems[0].file), 'application.yml');
  });

  it('a line of thousands of compact mappings that overflows the YAML parser\'s stack is named, and the sibling profile file is still read (fuzz counterexample)', async () => {
    // the fuzzer's case (seed 1858505173): the negative fixture's application.yml indented with tabs, 9636 `max: 1, ` pairs before it
    const yml = fs.readFileSync(path.join(FIXTURES, 'pool-exceeds-server-connections/negative-spring-boot-well-configured/input/src/main/resources/application.yml'), 'utf8').replace(/  /g, '\t');
    const root = tree({
      'application.yml': 'max: 1, '.repeat(9636) + yml,
      'application-prod.yml': 'spring:\n  datasource:\n    url: jdbc:postgresql://db/app\n    hikari:\n      maximum-pool-size: 14\n',
      '.env.production': 'SPRING_PROFILES_ACTIVE=prod\n',
    });
    const r = await check({ root, rel: relTo(root) });
    const own = r.problems.filter((p) => relTo(root)(p.file) === 'application.yml');
    assert.ok(own.length > 0 && own.every((p) => /^(YAML: |not read: the YAML parser ran out of stack|not read: line \d+ nests a YAML block mapping per key)/.test(p.message)), JSON.stringify(r.problems));
    assert.ok(!r.problems.some((p) => /internal error/.test(p.message)), JSON.stringify(r.problems));
    assert.strictEqual(r.pools[0].profiles.production.settings['maximum-pool-size'].value, 14);
  });

  it('a long-lived workspace re-reads the pool when a profile file changes, appears or goes away', async () => {
    const root = tree({
      'src/main/resources/application.yml': 'spring:\n  datasource:\n    url: jdbc:postgresql://db/app\n    hikari:\n      maximum-pool-size: 12\n',
      'src/main/resources/application-prod.properties': 'spring.datasource.hikari.maximum-pool-size=30\n',
      '.env': 'A=1\n',
      '.env.production': 'SPRING_PROFILES_ACTIVE=prod\n',
    });
    const ws = createWorkspace({ root, rel: relTo(root) });
    try {
      await ws.scan();
      const prodSize = () => ws.pools()[0]?.profiles.production?.settings['maximum-pool-size'].value;
      assert.strictEqual(prodSize(), 30);
      const props = path.join(root, 'src/main/resources/application-prod.properties');
      ws.openFile(props, fs.readFileSync(props, 'utf8'));
      ws.changeFile(props, 'spring.datasource.hikari.maximum-pool-size=45\n');
      await ws.update();
      assert.strictEqual(prodSize(), 45);
      ws.closeFile(props);
      fs.rmSync(props);
      ws.filesChanged([{ file: props, type: 'deleted' }]);
      await ws.update();
      assert.strictEqual(prodSize(), 12);
      const yml = path.join(root, 'src/main/resources/application-prod.yml');
      fs.writeFileSync(yml, 'spring.datasource.hikari.maximumPoolSize: 60\n');
      ws.filesChanged([{ file: yml, type: 'created' }]);
      await ws.update();
      assert.strictEqual(prodSize(), 60);
    } finally {
      ws.dispose();
    }
  });
});
