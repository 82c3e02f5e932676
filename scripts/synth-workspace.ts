// A synthetic workspace for benchmarks: a monorepo of services in Python, Rust and TypeScript with
// YAML config and .env files, about 2% of files constructing a pool (SQLAlchemy, sqlite3,
// node-postgres, better-sqlite3, sqlx, YAML pool sections), a few more that only look like one to a
// prefilter (a ThreadPool, an import of pg's types), and the rest ordinary code of realistic size.
// Deterministic: the same options give the same bytes.
//
//   node out/scripts/synth-workspace.js DIR [--files 20000] [--seed 1] [--pool-ratio 0.02]
import * as fs from 'fs';
import * as path from 'path';

export interface SynthOptions {
  /** Number of files to write (default 20,000). */
  files?: number;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Share of files that construct a pool (default 0.02). */
  poolRatio?: number;
  /** Share of files that pass a detector's prefilter without holding a pool (default 0.01). */
  nearMissRatio?: number;
}

export interface SynthResult {
  dir: string;
  files: number;
  bytes: number;
  /** Files that construct a pool, relative to dir, with the library. */
  poolFiles: { file: string; library: string }[];
  nearMisses: number;
  byKind: Record<string, number>;
}

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = 'python' | 'typescript' | 'rust' | 'yaml' | 'env';
// Shares of the non-pool files by kind (a polyglot monorepo: mostly code, some config).
const MIX: [Kind, number][] = [
  ['python', 0.38],
  ['typescript', 0.34],
  ['rust', 0.17],
  ['yaml', 0.08],
  ['env', 0.03],
];
const WORDS = ['user', 'order', 'invoice', 'account', 'session', 'report', 'payment', 'item', 'cart', 'event', 'audit', 'tenant', 'profile', 'message', 'job', 'queue', 'metric', 'token', 'price', 'stock'];

export function synthWorkspace(dir: string, opts: SynthOptions = {}): SynthResult {
  const total = opts.files ?? 20000;
  const rnd = prng(opts.seed ?? 1);
  const poolRatio = opts.poolRatio ?? 0.02;
  const nearRatio = opts.nearMissRatio ?? 0.01;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const word = () => pick(WORDS);
  const ident = () => `${word()}_${word()}`;
  const camel = () => {
    const a = word();
    const b = word();
    return a + b[0].toUpperCase() + b.slice(1);
  };
  const pascal = () => {
    const c = camel();
    return c[0].toUpperCase() + c.slice(1);
  };
  /** Source file sizes: log-normal around 3 KB, a long tail to ~60 KB (as in real repositories). */
  const targetBytes = () => Math.min(60000, Math.max(200, Math.round(Math.exp(8 + 0.9 * gauss()))));
  function gauss(): number {
    const u = Math.max(rnd(), 1e-12);
    const v = rnd();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  const pyChunk = () => {
    const n = ident();
    const c = pascal();
    return pick([
      `\n\ndef ${n}(items, limit=${Math.floor(rnd() * 100)}):\n    """Return the ${word()} entries for the ${word()} view."""\n    out = []\n    for item in items[:limit]:\n        if item.get("${word()}") is not None:\n            out.append({"id": item["id"], "${word()}": item.get("${word()}", 0) * ${Math.floor(rnd() * 9) + 1}})\n    return out\n`,
      `\n\nclass ${c}:\n    def __init__(self, ${word()}_id: int, name: str = "${word()}") -> None:\n        self.${word()}_id = ${word()}_id\n        self.name = name\n\n    def to_dict(self) -> dict:\n        return {"id": self.${word()}_id, "name": self.name}\n`,
      `\n\nasync def handle_${n}(request):\n    payload = await request.json()\n    if "${word()}" not in payload:\n        raise ValueError("missing ${word()}")\n    return {"status": "ok", "count": len(payload.get("${word()}s", []))}\n`,
    ]);
  };
  const pyFile = (size: number) => {
    let s = `import json\nimport logging\nfrom dataclasses import dataclass\n\nlog = logging.getLogger(__name__)\n`;
    while (s.length < size) s += pyChunk();
    return s;
  };
  const tsChunk = () => {
    const n = camel();
    const c = pascal();
    return pick([
      `\nexport function ${n}(items: ${c}[], limit = ${Math.floor(rnd() * 100)}): ${c}[] {\n  return items.filter((i) => i.${word()} !== undefined).slice(0, limit);\n}\n`,
      `\nexport interface ${c} {\n  id: string;\n  ${word()}: number;\n  ${word()}At?: Date;\n  tags: string[];\n}\n`,
      `\nexport class ${c}Service {\n  constructor(private readonly repo: ${c}Repository) {}\n\n  async find(id: string): Promise<${c} | undefined> {\n    const row = await this.repo.get(id);\n    return row ? { ...row, ${word()}: row.${word()} ?? 0 } : undefined;\n  }\n}\n`,
    ]);
  };
  const tsFile = (size: number) => {
    let s = `import { EventEmitter } from 'events';\nimport type { Request, Response } from 'express';\n`;
    while (s.length < size) s += tsChunk();
    return s;
  };
  const rsChunk = () => {
    const n = ident();
    const c = pascal();
    return pick([
      `\npub fn ${n}(items: &[${c}], limit: usize) -> Vec<&${c}> {\n    items.iter().filter(|i| i.${word()} > 0).take(limit).collect()\n}\n`,
      `\n#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]\npub struct ${c} {\n    pub id: u64,\n    pub ${word()}: i64,\n    pub name: String,\n}\n`,
      `\nimpl ${c} {\n    pub fn new(id: u64, name: &str) -> Self {\n        Self { id, ${word()}: 0, name: name.to_string() }\n    }\n}\n`,
    ]);
  };
  const rsFile = (size: number) => {
    let s = `use std::collections::HashMap;\nuse serde::{Deserialize, Serialize};\n`;
    while (s.length < size) s += rsChunk();
    return s;
  };
  const yamlFile = () => {
    let s = `service: ${word()}-${word()}\nlogging:\n  level: info\n  format: json\nfeatures:\n`;
    const n = 5 + Math.floor(rnd() * 40);
    for (let i = 0; i < n; i++) s += `  ${ident()}: ${rnd() < 0.5 ? 'true' : 'false'}\n`;
    s += `http:\n  port: ${3000 + Math.floor(rnd() * 1000)}\n  cors:\n    - https://${word()}.example.com\n`;
    return s;
  };
  const envFile = () => `LOG_LEVEL=info\nPORT=${3000 + Math.floor(rnd() * 1000)}\nFEATURE_${word().toUpperCase()}=true\n`;

  // pool files, one template per detector
  const pools: { library: string; ext: string; make: () => string }[] = [
    {
      library: 'sqlalchemy',
      ext: 'py',
      make: () =>
        `import os\n\nfrom sqlalchemy import create_engine\nfrom sqlalchemy.orm import sessionmaker\n\nengine = create_engine(\n    os.getenv("DATABASE_URL", "postgresql+psycopg://app@localhost/app"),\n    pool_size=int(os.getenv("DB_POOL_SIZE", "${5 + Math.floor(rnd() * 20)}")),\n    max_overflow=10,\n    pool_pre_ping=True,\n)\nSessionLocal = sessionmaker(bind=engine)\n` +
        pyChunk(),
    },
    {
      library: 'sqlite-python',
      ext: 'py',
      make: () => `import sqlite3\n\n\ndef get_db(path="data/${word()}.db"):\n    conn = sqlite3.connect(path, timeout=${Math.floor(rnd() * 10)})\n    conn.row_factory = sqlite3.Row\n    return conn\n` + pyChunk(),
    },
    {
      library: 'node-postgres',
      ext: 'ts',
      make: () =>
        `import { Pool } from 'pg';\n\nexport const pool = new Pool({\n  connectionString: process.env.DATABASE_URL,\n  max: Number(process.env.PG_POOL_MAX ?? ${5 + Math.floor(rnd() * 40)}),\n  idleTimeoutMillis: 30_000,\n});\n` +
        tsChunk(),
    },
    {
      library: 'better-sqlite3',
      ext: 'ts',
      make: () => `import Database from 'better-sqlite3';\n\nexport const db = new Database('data/${word()}.db', { timeout: ${Math.floor(rnd() * 5000)} });\n` + tsChunk(),
    },
    {
      library: 'sqlx',
      ext: 'rs',
      make: () =>
        `use std::time::Duration;\nuse sqlx::postgres::{PgPool, PgPoolOptions};\n\npub async fn connect(url: &str) -> Result<PgPool, sqlx::Error> {\n    PgPoolOptions::new()\n        .max_connections(${2 + Math.floor(rnd() * 30)})\n        .acquire_timeout(Duration::from_secs(3))\n        .connect(url)\n        .await\n}\n` +
        rsChunk(),
    },
    {
      library: 'yaml-config',
      ext: 'yaml',
      make: () => `service: ${word()}\ndatabase:\n  url: postgresql://app@db:5432/${word()}\n  pool_size: ${5 + Math.floor(rnd() * 20)}\n  max_overflow: 10\n  pool_timeout: 30\n`,
    },
  ];
  // files a prefilter lets through that hold no pool: parsed, then nothing found
  const nearMisses: { ext: string; make: () => string }[] = [
    { ext: 'ts', make: () => `import type { PoolConfig } from 'pg';\n\nexport const defaults: Partial<PoolConfig> = { max: 10 };\n` + tsChunk() },
    { ext: 'ts', make: () => `import { WorkerPool } from './workers';\n\nconst workers = new WorkerPool(4);\n` + tsChunk() },
    { ext: 'py', make: () => `# the engine is created in app/db.py with create_engine(); this module only reads it\nfrom app.db import engine\n` + pyChunk() },
    { ext: 'rs', make: () => `// PgPool is passed in from main\nuse sqlx::PgPool;\n\npub async fn count(pool: &PgPool) -> i64 {\n    0\n}\n` + rsChunk() },
  ];

  fs.mkdirSync(dir, { recursive: true });
  const result: SynthResult = { dir, files: 0, bytes: 0, poolFiles: [], nearMisses: 0, byKind: {} };
  const write = (rel: string, text: string, kind: string) => {
    const full = path.join(dir, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, text);
    result.files++;
    result.bytes += Buffer.byteLength(text);
    result.byKind[kind] = (result.byKind[kind] ?? 0) + 1;
  };
  const poolCount = Math.round(total * poolRatio);
  const nearCount = Math.round(total * nearRatio);
  // decide up front which file indices are pools and near misses, spread evenly with jitter
  const role = new Array<'plain' | 'pool' | 'near'>(total).fill('plain');
  const place = (count: number, r: 'pool' | 'near') => {
    for (let k = 0; k < count; k++) {
      let i = Math.floor(((k + rnd()) * total) / Math.max(count, 1));
      while (role[i % total] !== 'plain') i++;
      role[i % total] = r;
    }
  };
  place(poolCount, 'pool');
  place(nearCount, 'near');
  const cumulative = MIX.map(([k], i) => [k, MIX.slice(0, i + 1).reduce((s, [, w]) => s + w, 0)] as const);
  const filesPerService = 200;
  for (let i = 0; i < total; i++) {
    const service = `services/${WORDS[Math.floor(i / filesPerService) % WORDS.length]}-${Math.floor(i / filesPerService)}`;
    const sub = `${word()}s`;
    if (role[i] === 'pool') {
      const t = pools[i % pools.length];
      const folder = t.ext === 'py' ? 'app' : t.ext === 'rs' ? 'src' : t.ext === 'yaml' ? 'config' : 'src';
      const rel = `${service}/${folder}/db_${i}.${t.ext}`;
      write(rel, t.make(), `pool:${t.library}`);
      result.poolFiles.push({ file: rel, library: t.library });
      continue;
    }
    if (role[i] === 'near') {
      const t = nearMisses[i % nearMisses.length];
      write(`${service}/${sub}/near_${i}.${t.ext}`, t.make(), 'near-miss');
      result.nearMisses++;
      continue;
    }
    const x = rnd();
    const kind = (cumulative.find(([, c]) => x < c) ?? cumulative[cumulative.length - 1])[0];
    switch (kind) {
      case 'python':
        write(`${service}/${sub}/${ident()}_${i}.py`, pyFile(targetBytes()), kind);
        break;
      case 'typescript':
        write(`${service}/${sub}/${camel()}${i}.ts`, tsFile(targetBytes()), kind);
        break;
      case 'rust':
        write(`${service}/src/${sub}/${ident()}_${i}.rs`, rsFile(targetBytes()), kind);
        break;
      case 'yaml':
        write(`${service}/config/${word()}_${i}.yaml`, yamlFile(), kind);
        break;
      case 'env':
        // per-deployment env files (names unique by index; `x.env` is read as an env file)
        write(`${service}/deploy/${word()}-${i}.env`, envFile(), kind);
        break;
    }
  }
  return result;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const dir = args.find((a) => !a.startsWith('--'));
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  if (!dir) {
    process.stderr.write('usage: node out/scripts/synth-workspace.js DIR [--files N] [--seed S] [--pool-ratio R]\n');
    process.exit(2);
  }
  const r = synthWorkspace(dir, { files: opt('--files'), seed: opt('--seed'), poolRatio: opt('--pool-ratio') });
  process.stdout.write(`${r.files} files, ${(r.bytes / 1e6).toFixed(1)} MB, ${r.poolFiles.length} with pools, ${r.nearMisses} near misses in ${path.resolve(dir)}\n`);
}
