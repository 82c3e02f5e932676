// The language server on a Spring Boot workspace: it watches .properties (and .go, .prisma, go.mod)
// files, diagnoses application.properties at start-up, re-diagnoses when an open one is edited and
// when a profile file appears on disk.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { FIXTURES } from './helpers/fixtures';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { LspClient, copyWorkspace, uri } from './helpers/lsp';

describe('language server: Spring Boot application.properties', () => {
  let c: LspClient | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await c?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('diagnoses application.properties, follows an edit to it and a profile file created on disk', async () => {
    dir = copyWorkspace(path.join(FIXTURES, 'undersized-pool', 'spring-boot-default-size-added-per-profile', 'input'));
    c = await LspClient.start(dir);
    const props = path.join(c.root, 'src/main/resources/application.properties');
    const undersized = (ds: Diagnostic[]) => ds.filter((d) => d.code === 'undersized-pool');
    const first = await c.waitForDiagnostics(props, 'undersized at start-up', (ds) => undersized(ds).length === 2);
    assert.deepStrictEqual(undersized(first)[0].range.start, { line: 1, character: 0 });
    const watchers = JSON.stringify(c.registrations.filter((r) => r.method === 'workspace/didChangeWatchedFiles').map((r) => r.registerOptions));
    for (const ext of ['properties', 'prisma', 'go', 'mod']) assert.match(watchers, new RegExp(`[{,]${ext}[,}]`), `no watcher for .${ext}: ${watchers}`);
    await c.scanned();
    c.open(props, 'properties');
    const text = c.text(props);
    const end = { line: text.split('\n').length - 1, character: 0 };
    c.change(props, [{ range: { start: end, end }, text: 'spring.datasource.hikari.maximum-pool-size = 40\n' }]);
    await c.waitForDiagnostics(props, 'undersized gone after the edit', (ds) => undersized(ds).length === 0);
    const prodFile = path.join(c.root, 'src/main/resources/application-prod.properties');
    fs.writeFileSync(prodFile, 'spring.datasource.hikari.maximum-pool-size=4\n');
    await c.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uri(prodFile), type: 1 }] });
    const prod = await c.waitForDiagnostics(prodFile, 'production undersized in the new profile file', (ds) => undersized(ds).length === 1);
    assert.deepStrictEqual(prod[0].range.start, { line: 0, character: 43 });
    assert.match(prod[0].message, /maximum-pool-size 4 .*\[production\]$/);
  });
});
