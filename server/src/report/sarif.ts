// SARIF 2.1.0, as accepted by Microsoft's SARIF validator (@microsoft/sarif-multitool) and GitHub
// code scanning: rule metadata with help text and links, relative URIs against SRCROOT.
import { pathToFileURL } from 'url';
import type { CheckResult } from '../engine';
import { maskSecrets } from '../engine/urls';
import { RULES } from '../engine';
import type { Severity } from '../engine/model';
import type { Rel } from './json';
import { ruleDocUrl, REPOSITORY_URL } from '../engine/docs';

const LEVEL: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'note' };

function pascal(id: string): string {
  return id.replace(/(^|-)([a-z])/g, (_m, _d, ch: string) => ch.toUpperCase());
}

function sentence(s: string): string {
  const t = s.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

export function toSarif(result: CheckResult, rel: Rel, cwd: string, version: string): string {
  const rules = RULES.map((r) => ({
    id: r.meta.id,
    name: pascal(r.meta.id),
    shortDescription: { text: sentence(r.meta.summary) },
    fullDescription: { text: sentence(r.meta.rationale) },
    helpUri: ruleDocUrl(r.meta.id),
    help: { text: sentence(`${r.meta.rationale} Source: ${r.meta.thresholdSource}`), markdown: `${r.meta.rationale}\n\nSource: ${r.meta.thresholdSource}\n\n[Documentation](${ruleDocUrl(r.meta.id)})` },
    defaultConfiguration: { level: LEVEL[r.meta.severity] },
    properties: { fixable: r.meta.fixable, appliesTo: r.meta.appliesTo, tags: ['connection-pool'] },
  }));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const results = result.findings
    .filter((f) => index.has(f.rule))
    .map((f) => ({
      ruleId: f.rule,
      ruleIndex: index.get(f.rule),
      level: LEVEL[f.severity],
      message: { text: sentence(f.profile ? `${f.message} (profile: ${f.profile})` : f.message) },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: encodeURI(rel(f.span.file)), uriBaseId: 'SRCROOT' },
            region: { startLine: f.span.line + 1, startColumn: f.span.column + 1, endLine: f.span.endLine + 1, endColumn: f.span.endColumn + 1 },
          },
        },
      ],
      ...(f.related?.length
        ? {
            relatedLocations: f.related.map((r, i) => ({
              id: i,
              message: { text: sentence(r.message) },
              physicalLocation: {
                artifactLocation: { uri: encodeURI(rel(r.span.file)), uriBaseId: 'SRCROOT' },
                region: { startLine: r.span.line + 1, startColumn: r.span.column + 1, endLine: r.span.endLine + 1, endColumn: r.span.endColumn + 1 },
              },
            })),
          }
        : {}),
      ...(f.profile ? { properties: { profile: f.profile } } : {}),
    }));
  const root = pathToFileURL(cwd).href.replace(/\/?$/, '/');
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'pool-lint',
            version,
            semanticVersion: version,
            informationUri: REPOSITORY_URL,
            rules,
          },
        },
        originalUriBaseIds: { SRCROOT: { uri: root } },
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: result.problems.map((p) => ({
              level: 'warning',
              message: { text: sentence(p.message) },
              locations: [
                {
                  physicalLocation: {
                    artifactLocation: { uri: encodeURI(rel(p.file)), uriBaseId: 'SRCROOT' },
                    ...(p.line !== undefined ? { region: { startLine: p.line + 1, startColumn: (p.column ?? 0) + 1 } } : {}),
                  },
                },
              ],
            })),
          },
        ],
        results,
      },
    ],
  };
  // every string masked here too, not only by the CLI
  return JSON.stringify(sarif, (_k, v: unknown) => (typeof v === 'string' ? maskSecrets(v) : v), 2);
}
