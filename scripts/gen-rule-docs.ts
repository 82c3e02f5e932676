import * as fs from 'fs';
import * as path from 'path';
import { allPages, DOCS_DIR } from './rule-docs';

fs.mkdirSync(DOCS_DIR, { recursive: true });
for (const f of fs.readdirSync(DOCS_DIR)) if (f.endsWith('.md')) fs.rmSync(path.join(DOCS_DIR, f));
for (const [name, text] of allPages()) fs.writeFileSync(path.join(DOCS_DIR, name), text);
process.stdout.write(`wrote ${allPages().size} pages to docs/rules\n`);
