// JS and Go pools carry the library version the project gets: the installed copy, the lock file
// (package-lock.json v1-3, yarn.lock), the range in the nearest package.json that declares it, the
// go.mod require line, and the go/toolchain line for database/sql; defaults are labelled with it.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { relTo } from './helpers/fixtures';
import { check, createWorkspace } from '../server/src/engine';
import { goModVersion, npmVersion } from '../server/src/engine/versions';
import type { PoolModel } from '../server/src/engine/model';

const KNEXFILE = "module.exports = { client: 'pg', connection: process.env.DATABASE_URL };\n";

describe('library versions from package.json, lock files and go.mod', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const tree = (files: Record<string, string>) => {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-versions-')));
    dirs.push(dir);
    for (const [f, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), text);
    }
    return dir;
  };
  const src = (root: string, file: string) => ({ file: path.join(root, file), root, read: (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined), rel: relTo(root) });
  const pkg = (deps: Record<string, string>, dev = false) => JSON.stringify({ name: 'x', [dev ? 'devDependencies' : 'dependencies']: deps });

  it('the installed copy wins over the lock, the lock over the range; a nearer package.json that does not declare it is passed over', () => {
    const root = tree({
      'package.json': pkg({ knex: '^3.0.0' }),
      'package-lock.json': JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/knex': { version: '3.0.1' } } }),
      'node_modules/knex/package.json': JSON.stringify({ name: 'knex', version: '3.1.0' }),
      'app/package.json': pkg({ express: '^4.0.0' }),
      'app/db/knexfile.js': KNEXFILE,
    });
    assert.deepStrictEqual(npmVersion(src(root, 'app/db/knexfile.js'), ['knex']), { version: '3.1.0', source: 'node_modules/knex/package.json' });
    fs.rmSync(path.join(root, 'node_modules'), { recursive: true });
    assert.deepStrictEqual(npmVersion(src(root, 'app/db/knexfile.js'), ['knex']), { version: '3.0.1', source: 'package-lock.json' });
    fs.rmSync(path.join(root, 'package-lock.json'));
    assert.deepStrictEqual(npmVersion(src(root, 'app/db/knexfile.js'), ['knex']), { version: '^3.0.0', source: 'package.json (the range it asks for: no lock file or installed copy)' });
    assert.strictEqual(npmVersion(src(root, 'app/db/knexfile.js'), ['sequelize']), undefined);
  });

  it('pnpm-lock.yaml: v9 importers (the root and a workspace package), v6 without importers, v5 with a peer suffix; a link: is no version', () => {
    const v9 = tree({
      'package.json': pkg({ pg: '^8.11.0' }),
      'pnpm-lock.yaml': "lockfileVersion: '9.0'\n\nsettings:\n  autoInstallPeers: true\n\nimporters:\n\n  .:\n    dependencies:\n      pg:\n        specifier: ^8.11.0\n        version: 8.11.3(pg-native@3.0.1)\n\n  packages/api:\n    dependencies:\n      pg:\n        specifier: ^8.7.0\n        version: 8.7.3\n      knex:\n        specifier: workspace:*\n        version: link:../knex\n\npackages:\n\n  pg@8.11.3:\n    resolution: {integrity: sha512-x}\n",
      'packages/api/package.json': pkg({ pg: '^8.7.0', knex: 'workspace:*' }),
      'db.js': '',
      'packages/api/db.js': '',
    });
    assert.deepStrictEqual(npmVersion(src(v9, 'db.js'), ['pg']), { version: '8.11.3', source: 'pnpm-lock.yaml' });
    assert.deepStrictEqual(npmVersion(src(v9, 'packages/api/db.js'), ['pg']), { version: '8.7.3', source: 'pnpm-lock.yaml' });
    assert.deepStrictEqual(npmVersion(src(v9, 'packages/api/db.js'), ['knex']), { version: 'workspace:*', source: 'packages/api/package.json (the range it asks for: no lock file or installed copy)' });
    const v6 = tree({ 'package.json': pkg({ mysql2: '^3.9.0' }, true), 'pnpm-lock.yaml': "lockfileVersion: '6.0'\n\ndevDependencies:\n  mysql2:\n    specifier: ^3.9.0\n    version: 3.9.7\n", 'db.js': '' });
    assert.deepStrictEqual(npmVersion(src(v6, 'db.js'), ['mysql2']), { version: '3.9.7', source: 'pnpm-lock.yaml' });
    const v5 = tree({ 'package.json': pkg({ sequelize: '^6.0.0' }), 'pnpm-lock.yaml': 'lockfileVersion: 5.4\n\nspecifiers:\n  sequelize: ^6.0.0\n\ndependencies:\n  sequelize: 6.37.3_pg@8.11.3\n', 'db.js': '' });
    assert.deepStrictEqual(npmVersion(src(v5, 'db.js'), ['sequelize']), { version: '6.37.3', source: 'pnpm-lock.yaml' });
    const broken = tree({ 'package.json': pkg({ pg: '^8.0.0' }), 'pnpm-lock.yaml': 'lockfileVersion: [unclosed\n', 'db.js': '' });
    assert.deepStrictEqual(npmVersion(src(broken, 'db.js'), ['pg']), { version: '^8.0.0', source: 'package.json (the range it asks for: no lock file or installed copy)' });
  });

  it('package-lock v1, a workspace package\'s own node_modules entry, yarn.lock v1 and berry, devDependencies', () => {
    const v1 = tree({ 'package.json': pkg({ pg: '^8.0.0' }, true), 'package-lock.json': JSON.stringify({ lockfileVersion: 1, dependencies: { 'pg-pool': { version: '3.6.0' }, pg: { version: '8.11.5' } } }), 'db.js': '' });
    assert.deepStrictEqual(npmVersion(src(v1, 'db.js'), ['pg']), { version: '8.11.5', source: 'package-lock.json' });
    const ws = tree({
      'package.json': pkg({}),
      'package-lock.json': JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/mysql2': { version: '3.9.0' }, 'packages/api/node_modules/mysql2': { version: '2.3.3' } } }),
      'packages/api/package.json': pkg({ mysql2: '^2.3.0' }),
      'packages/api/db.js': '',
    });
    assert.deepStrictEqual(npmVersion(src(ws, 'packages/api/db.js'), ['mysql2']), { version: '2.3.3', source: 'package-lock.json' });
    const yarn1 = tree({ 'package.json': pkg({ sequelize: '^6.35.0' }), 'yarn.lock': '# yarn lockfile v1\n\n\nsequelize-pool@^7.1.0:\n  version "7.1.0"\n\n"sequelize@^6.0.0", sequelize@^6.35.0:\n  version "6.37.3"\n  resolved "https://example.invalid/sequelize"\n', 'db.js': '' });
    assert.deepStrictEqual(npmVersion(src(yarn1, 'db.js'), ['sequelize']), { version: '6.37.3', source: 'yarn.lock' });
    const berry = tree({ 'package.json': pkg({ knex: '^3.1.0' }), 'yarn.lock': '__metadata:\n  version: 8\n\n"knex@npm:^3.1.0":\n  version: 3.1.0\n  resolution: "knex@npm:3.1.0"\n', 'db.js': '' });
    assert.deepStrictEqual(npmVersion(src(berry, 'db.js'), ['knex']), { version: '3.1.0', source: 'yarn.lock' });
  });

  it('go.mod: a require block or line for a module, the go or newer toolchain line for the standard library, nothing from a go.mod further up', () => {
    const root = tree({
      'go.mod': 'module example.com/top\n\ngo 1.21\n\nrequire github.com/jackc/pgx/v5 v5.4.0\n',
      'svc/go.mod': 'module example.com/svc\n\ngo 1.22.1\ntoolchain go1.21.0\n\nrequire (\n\tgithub.com/jackc/pgx/v4 v4.18.1 // indirect\n)\n',
      'svc/db.go': '',
      'top.go': '',
    });
    assert.deepStrictEqual(goModVersion(src(root, 'svc/db.go'), 'github.com/jackc/pgx/v4'), { version: 'v4.18.1', source: 'svc/go.mod' });
    assert.strictEqual(goModVersion(src(root, 'svc/db.go'), 'github.com/jackc/pgx/v5'), undefined);
    assert.deepStrictEqual(goModVersion(src(root, 'svc/db.go')), { version: 'Go 1.22.1', source: 'svc/go.mod (go directive)' });
    assert.deepStrictEqual(goModVersion(src(root, 'top.go'), 'github.com/jackc/pgx/v5'), { version: 'v5.4.0', source: 'go.mod' });
  });

  it('check(): JS, Prisma and Go pools carry the version and label their defaults with it; without manifests the version says it is assumed', async () => {
    const root = tree({
      'web/package.json': pkg({ '@prisma/client': '5.14.0', mysql2: '3.10.1', pg: '8.12.0', sequelize: '6.37.3' }),
      'web/prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n',
      'web/.env': 'DATABASE_URL=postgresql://app@db/app\n',
      'web/db.js': "const mysql = require('mysql2');\nconst { Pool } = require('pg');\nconst { Sequelize } = require('sequelize');\nmodule.exports = { a: mysql.createPool({ uri: 'mysql://app@db/app' }), b: new Pool(), c: new Sequelize('postgres://app@db/app') };\n",
      'bare/db.js': "const { Pool } = require('pg');\nmodule.exports = new Pool();\n",
      'gosvc/go.mod': 'module x\n\ngo 1.22\n',
      'gosvc/db.go': 'package db\n\nimport "database/sql"\n\nfunc Open() (*sql.DB, error) { return sql.Open("postgres", "postgres://app@db/app") }\n',
    });
    const r = await check({ root, rel: relTo(root) });
    const by = (lib: string, dir: string) => r.pools.find((p) => p.library === lib && relTo(root)(p.file).startsWith(dir)) as PoolModel;
    const dev = (p: PoolModel) => Object.values(p.profiles)[0].settings;
    assert.deepStrictEqual(by('prisma', 'web').libraryVersion, { version: '5.14.0', source: 'web/package.json (the range it asks for: no lock file or installed copy)' });
    assert.match(dev(by('prisma', 'web')).pool_timeout.default!.version, /^5\.14\.0/);
    assert.strictEqual(by('mysql2', 'web').libraryVersion.version, '3.10.1');
    assert.strictEqual(dev(by('mysql2', 'web')).connectionLimit.default!.version, '3.10.1');
    assert.strictEqual(by('node-postgres', 'web').libraryVersion.version, '8.12.0');
    assert.strictEqual(dev(by('node-postgres', 'web')).max.default!.version, '3.x (pg 8.12.0)');
    assert.strictEqual(dev(by('sequelize', 'web')).max.default!.version, '6.37.3');
    assert.deepStrictEqual(by('go-database-sql', 'gosvc').libraryVersion, { version: 'Go 1.22', source: 'gosvc/go.mod (go directive)' });
    assert.strictEqual(dev(by('go-database-sql', 'gosvc')).MaxIdleConns.default!.version, 'Go 1.22');
    const bare = by('node-postgres', 'bare');
    assert.deepStrictEqual([bare.libraryVersion.source, dev(bare).max.default!.version], ['assumed', '3.x']);
  });

  it('a long-lived workspace relabels the pool when the lock file changes', async () => {
    const root = tree({ 'package.json': pkg({ knex: '^3.0.0' }), 'package-lock.json': JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/knex': { version: '3.0.1' } } }), 'knexfile.js': KNEXFILE });
    const ws = createWorkspace({ root, rel: relTo(root) });
    try {
      await ws.scan();
      assert.strictEqual(ws.pools()[0].libraryVersion.version, '3.0.1');
      const lock = path.join(root, 'package-lock.json');
      fs.writeFileSync(lock, JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/knex': { version: '3.1.0' } } }));
      ws.filesChanged([{ file: lock, type: 'changed' }]);
      await ws.update();
      assert.strictEqual(ws.pools()[0].libraryVersion.version, '3.1.0');
    } finally {
      ws.dispose();
    }
  });
});
