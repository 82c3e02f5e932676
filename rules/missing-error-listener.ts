import type { Rule } from '../server/src/engine/rule';
import { LineIndex } from '../server/src/engine/syntax';

export const missingErrorListener: Rule = {
  meta: {
    id: 'missing-error-listener',
    severity: 'warning',
    summary: 'A node-postgres Pool whose module never attaches an `error` listener: an idle client\'s error crashes the process.',
    rationale:
      'When an idle client in the pool loses its connection (a database restart, a failover, a proxy timeout), pg-pool re-emits ' +
      'the error on the pool. An EventEmitter with no `error` listener throws it, and Node exits with an uncaught exception. ' +
      'Attaching `pool.on(\'error\', ...)` lets the pool drop the client and carry on.',
    thresholdSource: 'pg-pool makeIdleListener re-emits idle errors (brianc/node-postgres@c9e57617:packages/pg-pool/index.js:51-64); https://node-postgres.com/apis/pool (docs/pages/apis/pool.mdx:252-265).',
    fixable: true,
    fixDescription: 'Inserts `<pool>.on(\'error\', (err) => { console.error(...) })` after the statement that creates the pool, when the pool is held in a variable.',
    appliesTo: 'node-postgres pools (`new Pool(...)` from pg or pg-pool). A listener anywhere in the same module counts.',
    examples: [
      {
        bad: "export const pool = new Pool({ max: 20 });",
        good: "export const pool = new Pool({ max: 20 });\npool.on('error', (err) => {\n  console.error('Unexpected error on an idle PostgreSQL client', err);\n});",
      },
    ],
  },
  check(ctx) {
    if (ctx.pool.library !== 'node-postgres' || !ctx.pool.errorListener || ctx.pool.errorListener.attached) return [];
    const l = ctx.pool.errorListener;
    let fix;
    if (l.variable && l.insertAfter) {
      const text = ctx.fixes.source(l.insertAfter.file);
      const lines = new LineIndex(text);
      const lineStart = lines.lineStart(l.insertAfter.line);
      const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
      const nl = text.includes('\r\n') ? '\r\n' : '\n';
      const unit = indent.includes('\t') ? '\t' : '  ';
      const semi = /;\s*$/.test(text.slice(l.insertAfter.start, l.insertAfter.end)) ? ';' : '';
      const listener = `${nl}${indent}${l.variable}.on('error', (err) => {${nl}${indent}${unit}console.error('Unexpected error on an idle PostgreSQL client', err)${semi}${nl}${indent}})${semi}`;
      fix = ctx.fixes.fix(`Add ${l.variable}.on('error', ...)`, [{ file: l.insertAfter.file, start: l.insertAfter.end, end: l.insertAfter.end, newText: listener }]);
    }
    return [
      {
        message: `${l.variable ? `pool '${l.variable}'` : 'this pool'} has no 'error' listener in this module: when an idle client loses its connection (database restart, failover, proxy timeout), pg-pool emits 'error' on the pool and Node exits with an uncaught exception. Add ${l.variable ?? 'pool'}.on('error', ...).`,
        span: ctx.pool.span,
        fix,
      },
    ];
  },
};
