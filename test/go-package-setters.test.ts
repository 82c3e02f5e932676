// Go database/sql: SetMaxOpenConns and friends called elsewhere in the pool's package count, on the
// result of the function that returns the *sql.DB or on the parameter of a function it is passed
// to; a same-named variable in an unrelated function does not; a long-lived workspace re-reads the
// pool when the file with the setters changes.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { relTo } from './helpers/fixtures';
import { check, createWorkspace } from '../server/src/engine';

const OPEN = 'package store\n\nimport "database/sql"\n\nfunc Open() (*sql.DB, error) {\n\tdb, err := sql.Open("postgres", "postgres://app@db/app")\n\treturn db, err\n}\n';

describe('Go database/sql setters elsewhere in the package', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const tree = (files: Record<string, string>) => {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pool-lint-gopkg-')));
    dirs.push(dir);
    for (const [f, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), text);
    }
    return dir;
  };

  it('only the returned pool\'s callers and the functions it is passed to count; another package or an unrelated variable does not', async () => {
    const root = tree({
      'store/open.go': OPEN,
      'store/use.go': 'package store\n\nfunc Use() {\n\tpool, _ := Open()\n\tpool.SetMaxOpenConns(12)\n}\n\nfunc Other(db interface{ SetMaxOpenConns(int) }) {\n\tdb.SetMaxOpenConns(99)\n}\n',
      'store/use_test.go': 'package store\n\nfunc TestX() {\n\tp, _ := Open()\n\tp.SetConnMaxLifetime(1)\n}\n',
      'cmd/main.go': 'package main\n\nfunc main() {\n\tdb, _ := Open()\n\tdb.SetMaxIdleConns(50)\n}\n',
    });
    const r = await check({ root, rel: relTo(root) });
    assert.strictEqual(r.pools.length, 1);
    const s = r.pools[0].profiles.development.settings;
    assert.deepStrictEqual([s.MaxOpenConns.value, relTo(root)(s.MaxOpenConns.span!.file), s.MaxOpenConns.reason], [12, 'store/use.go', 'on the result of Open() in Use()']);
    // without a go.mod cmd/ cannot be tied to this package by import path; use_test.go is a test: neither sets this pool
    assert.deepStrictEqual([s.MaxIdleConns.source, s.ConnMaxLifetime.source], ['default', 'default']);
    assert.ok(!r.findings.some((f) => f.rule === 'unlimited-open-connections'));
  });

  it('another package of the module that imports the pool\'s package (by go.mod\'s module path) and sets the result of its exported function', async () => {
    const root = tree({
      'go.mod': 'module example.com/app\n\ngo 1.22\n',
      'internal/store/open.go': OPEN,
      'cmd/api/main.go': 'package main\n\nimport (\n\t"time"\n\n\tdbstore "example.com/app/internal/store"\n)\n\nfunc main() {\n\tdb, err := dbstore.Open()\n\tif err != nil {\n\t\tpanic(err)\n\t}\n\tdb.SetMaxOpenConns(30)\n\ttune(db)\n}\n\nfunc tune(d interface{}) {}\n\nfunc size(d *sql.DB) { d.SetConnMaxLifetime(5 * time.Minute) }\n',
      'cmd/other/main.go': 'package main\n\nimport "example.com/app/internal/other"\n\nfunc main() {\n\tdb, _ := other.Open()\n\tdb.SetMaxIdleConns(99)\n}\n',
    });
    const r = await check({ root, rel: relTo(root) });
    const s = r.pools[0].profiles.development.settings;
    assert.deepStrictEqual([s.MaxOpenConns.value, relTo(root)(s.MaxOpenConns.span!.file), s.MaxOpenConns.reason], [30, 'cmd/api/main.go', 'on the result of dbstore.Open() in main() (cmd/api/main.go)']);
    // a package importing another path, and a function the pool is never passed to, set nothing
    assert.deepStrictEqual([s.MaxIdleConns.source, s.ConnMaxLifetime.source], ['default', 'default']);
  });

  it('a long-lived workspace re-reads the pool when the file with the setter changes', async () => {
    const root = tree({ 'store/open.go': OPEN, 'store/use.go': 'package store\n\nfunc Use() {\n\tpool, _ := Open()\n\tconfigure(pool)\n}\n\nfunc configure(p *sql.DB) { p.SetMaxOpenConns(12) }\n' });
    const ws = createWorkspace({ root, rel: relTo(root) });
    try {
      await ws.scan();
      const max = () => ws.pools()[0].profiles.development.settings.MaxOpenConns;
      assert.deepStrictEqual([max().value, max().reason], [12, 'on the result of Open() in Use(), passed to configure()']);
      const use = path.join(root, 'store/use.go');
      ws.openFile(use, fs.readFileSync(use, 'utf8'));
      ws.changeFile(use, ws.text(use)!.replace('SetMaxOpenConns(12)', 'SetMaxOpenConns(40)'));
      await ws.update();
      assert.strictEqual(max().value, 40);
      ws.changeFile(use, 'package store\n');
      await ws.update();
      assert.deepStrictEqual([max().value, max().source], [0, 'default']);
    } finally {
      ws.dispose();
    }
  });
});
