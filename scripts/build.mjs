// Bundles the CLI into dist/ with esbuild and copies the tree-sitter runtime and grammars beside it.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const wasmSrc = path.dirname(require.resolve('@vscode/tree-sitter-wasm'));
mkdirSync('dist/wasm', { recursive: true });
for (const f of ['tree-sitter.wasm', 'tree-sitter-python.wasm', 'tree-sitter-rust.wasm', 'tree-sitter-typescript.wasm', 'tree-sitter-tsx.wasm', 'tree-sitter-javascript.wasm']) {
  copyFileSync(path.join(wasmSrc, f), path.join('dist/wasm', f));
}
await build({
  entryPoints: { cli: 'server/src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  minify: false,
  define: { POOL_LINT_VERSION: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});
chmodSync('dist/cli.js', 0o755);
