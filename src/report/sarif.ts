import { createHash } from 'node:crypto';
import { relative, sep } from 'node:path';
import type { RuleMeta } from '../engine/rule.js';
import type { FileResult, Severity } from './result.js';

export interface SarifMeta {
  readonly toolVersion: string;
  readonly rules: readonly RuleMeta<unknown>[];
  /** Paths in the log are relative to this directory. */
  readonly cwd: string;
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

/**
 * SARIF 2.1.0: rules from their meta, one result per diagnostic with the model file as the
 * artifact and node paths as logical locations, fingerprints that stay stable across runs,
 * and unreadable models as tool notifications.
 */
export function formatSarif(results: readonly FileResult[], meta: SarifMeta): string {
  const ruleIndex = new Map(meta.rules.map((r, i) => [r.id, i]));
  const uri = (path: string): string => {
    const rel = relative(meta.cwd, path).split(sep).join('/');
    return encodeURI(rel.startsWith('..') || rel === '' ? path.split(sep).join('/') : rel);
  };
  const sarifResults = [];
  const notifications = [];
  for (const r of results) {
    if (r.fatal) {
      notifications.push({
        level: 'error',
        message: { text: `${r.path}: ${r.fatal.message}` },
        locations: [{ physicalLocation: { artifactLocation: { uri: uri(r.path) } } }],
      });
      continue;
    }
    for (const d of r.diagnostics) {
      const fingerprint = createHash('sha256').update([d.ruleId, uri(r.path), ...d.nodes].join('\u0000')).digest('hex');
      sarifResults.push({
        ruleId: d.ruleId,
        ...(ruleIndex.has(d.ruleId) ? { ruleIndex: ruleIndex.get(d.ruleId)! } : {}),
        level: LEVEL[d.severity],
        message: { text: d.message },
        locations: [{
          physicalLocation: { artifactLocation: { uri: uri(r.path) } },
          logicalLocations: d.nodes.map((n) => ({ fullyQualifiedName: n, kind: 'member' })),
        }],
        partialFingerprints: { 'graphlintNodes/v1': fingerprint },
        properties: { fixable: d.fixable, nodes: d.nodes },
      });
    }
  }
  const log = {
    $schema: 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'graphlint',
          semanticVersion: meta.toolVersion,
          rules: meta.rules.map((r) => ({
            id: r.id,
            shortDescription: { text: r.description },
            defaultConfiguration: { level: LEVEL[r.severity] },
            properties: { targets: [...r.targets], facts: [...r.facts], ...(r.fixable ? { fixable: r.fixable } : {}) },
          })),
        },
      },
      invocations: [{ executionSuccessful: notifications.length === 0, toolExecutionNotifications: notifications }],
      results: sarifResults,
    }],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
