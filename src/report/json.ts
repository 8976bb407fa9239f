import type { FileResult } from './result.js';
import { summarize } from './result.js';

export interface ReportMeta {
  readonly toolVersion: string;
  readonly target: string;
}

/** The JSON report of CONTRACT.md (version 1). Keys in a stable order. */
export function formatJson(results: readonly FileResult[], meta: ReportMeta): string {
  const report = {
    version: 1,
    tool: { name: 'graphlint', version: meta.toolVersion },
    target: meta.target,
    results: results.map((r) => ({
      path: r.path,
      format: r.format,
      fatal: r.fatal,
      stats: r.fatal ? null : r.stats,
      diagnostics: r.fatal ? [] : r.diagnostics,
      ...(r.partitions && !r.fatal ? { partitions: r.partitions } : {}),
      ...(r.fixes ? { fixes: r.fixes } : {}),
    })),
    summary: summarize(results),
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}
