// Spring Boot application config: application.yml / application.yaml / application.properties and
// their profile files (application-prod.yml), read into flat entries (the dotted key, the value as
// Spring reads it, and the range of the value as written, for messages and edits). YAML is parsed
// with `yaml`, .properties with `dot-properties` (line continuations, `=`/`:`/space separators,
// `#`/`!` comments, escapes); both split multi-document files (`---`, `#---`) and read each
// document's `spring.config.activate.on-profile`.
import * as path from 'path';
import * as YAML from 'yaml';
import { parseLines, type Comment, type Pair } from 'dot-properties';
import { LineIndex, tooLargeToParse } from './syntax';
import type { FileProblem } from './model';
import { parseYaml, yamlTooDeep } from './yaml-depth';

export interface SpringEntry {
  /** The dotted key as written (`spring.datasource.hikari.maximumPoolSize`). */
  key: string;
  /** The key in relaxed-binding form: lower case, `-` and `_` removed (`spring.datasource.hikari.maximumpoolsize`). */
  norm: string;
  /** The value as Spring reads it (escapes resolved, YAML scalars as text). */
  value: string;
  /** Range of the value as written (quotes included), offsets into the file's text. */
  start: number;
  end: number;
  /** Start of the key (the first segment of a nested YAML key path is its own line). */
  keyStart: number;
  keyEnd: number;
}

export interface SpringDocument {
  entries: SpringEntry[];
  /** `spring.config.activate.on-profile` (or the legacy `spring.profiles`): the document applies only then. */
  onProfile?: string[];
  /** YAML: the document's contents, for inserting keys in its own layout. */
  yaml?: YAML.Node | null;
}

export interface SpringFile {
  file: string;
  text: string;
  lines: LineIndex;
  format: 'yaml' | 'properties';
  /** The profile in the file name (`application-prod.yml`: prod); undefined for the base file. */
  profile?: string;
  docs: SpringDocument[];
  problems: FileProblem[];
}

const NAME = /^application(?:-([^.\\/]+))?\.(ya?ml|properties)$/i;

/** A Spring Boot application config file (not under src/test/, whose files configure the tests). */
export function isSpringConfigFile(file: string): boolean {
  if (!NAME.test(path.basename(file))) return false;
  const parts = file.split(/[\\/]/);
  return !parts.some((p, i) => p === 'src' && parts[i + 1] === 'test');
}

/** The profile in a Spring config file's name, and its format. */
export function springFileName(file: string): { profile?: string; format: 'yaml' | 'properties' } | undefined {
  const m = NAME.exec(path.basename(file));
  if (!m) return undefined;
  return { profile: m[1], format: /^ya?ml$/i.test(m[2]) ? 'yaml' : 'properties' };
}

/** An application.yml that is Spring's: it has a top-level `spring` key (nested or dotted). */
export function isSpringYaml(file: string, text: string): boolean {
  return isSpringConfigFile(file) && /^["']?spring["']?\s*[.:]/m.test(text);
}

/** Relaxed binding: `maximum-pool-size`, `maximumPoolSize` and `maximum_pool_size` are one key. */
export function relaxedKey(key: string): string {
  return key
    .split('.')
    .map((s) => s.replace(/[-_]/g, '').toLowerCase())
    .join('.');
}

function profilesOf(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s);
}

function finishDoc(entries: SpringEntry[], yaml?: YAML.Node | null): SpringDocument {
  const doc: SpringDocument = { entries, yaml };
  const on = entries.find((e) => e.norm === 'spring.config.activate.onprofile') ?? entries.find((e) => e.norm === 'spring.profiles');
  if (on) doc.onProfile = profilesOf(on.value);
  return doc;
}

function scalarString(n: YAML.Scalar): string {
  const v = n.value;
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : String(v);
}

function flattenYaml(node: unknown, prefix: string, out: SpringEntry[], key?: [number, number]): void {
  if (YAML.isMap(node)) {
    for (const pair of node.items) {
      const k = pair.key;
      if (!YAML.isScalar(k) || !k.range) continue;
      const name = String(k.value);
      flattenYaml(pair.value, prefix ? `${prefix}.${name}` : name, out, [k.range[0], k.range[1]]);
    }
  } else if (YAML.isSeq(node)) {
    node.items.forEach((item, i) => flattenYaml(item, `${prefix}[${i}]`, out, key));
  } else if (YAML.isScalar(node) && node.range) {
    out.push({ key: prefix, norm: relaxedKey(prefix), value: scalarString(node), start: node.range[0], end: node.range[1], keyStart: key?.[0] ?? node.range[0], keyEnd: key?.[1] ?? node.range[0] });
  }
}

/** Reads one Spring config file; problems (a YAML error, a file too large) name the file and position. */
export function parseSpringFile(file: string, text: string): SpringFile {
  const name = springFileName(file);
  const lines = new LineIndex(text);
  const out: SpringFile = { file, text, lines, format: name?.format ?? 'properties', profile: name?.profile, docs: [], problems: [] };
  const tooLarge = tooLargeToParse(text, 'config file', 'its datasource settings are not read');
  if (tooLarge) {
    out.problems.push({ file, message: `not read: ${tooLarge}` });
    return out;
  }
  if (out.format === 'yaml') {
    const tooDeep = yamlTooDeep(text, lines, 'config file', 'its datasource settings are not read');
    if (tooDeep) {
      out.problems.push({ file, ...tooDeep });
      return out;
    }
    const parsed = parseYaml(text, lines, 'config file', 'its datasource settings are not read', () => YAML.parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false }) as YAML.Document[]);
    if ('problem' in parsed) {
      out.problems.push({ file, ...parsed.problem });
      return out;
    }
    for (const doc of parsed.value) {
      const errors = doc.errors ?? [];
      if (errors.length > 0) {
        const pos = lines.position(errors[0].pos[0]);
        out.problems.push({ file, line: pos.line, column: pos.column, message: `YAML: ${errors[0].message.split('\n')[0]}; the datasource settings in this document are not read, other documents and files are still checked` });
        continue;
      }
      const entries: SpringEntry[] = [];
      flattenYaml(doc.contents, '', entries);
      out.docs.push(finishDoc(entries, doc.contents as YAML.Node | null));
    }
    return out;
  }
  // .properties: `#---` (or `!---`) alone on a line starts a new document (Spring Boot 2.4+)
  let entries: SpringEntry[] = [];
  for (const node of parseLines(text, true)) {
    if (node.type === 'COMMENT') {
      if (/^[#!]---\s*$/.test((node as unknown as Comment).comment)) {
        out.docs.push(finishDoc(entries));
        entries = [];
      }
      continue;
    }
    if (node.type !== 'PAIR') continue;
    const pair = node as unknown as Pair;
    const [ks, ke, vs, ve] = pair.range as [number, number, number, number];
    entries.push({ key: pair.key, norm: relaxedKey(pair.key), value: pair.value, start: vs, end: ve, keyStart: ks, keyEnd: ke });
  }
  out.docs.push(finishDoc(entries));
  return out;
}
