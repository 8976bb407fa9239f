import type { ModelStats } from '../analysis/stats.js';

export type Severity = 'error' | 'warning' | 'info';

/** One finding, as reports show it. Node references are node paths. */
export interface Diagnostic {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly message: string;
  readonly nodes: readonly string[];
  readonly fixable: boolean;
}

/** Everything graphlint has to say about one input file. */
export interface FileResult {
  readonly path: string;
  readonly format: string | null;
  readonly fatal: { readonly message: string } | null;
  readonly stats: ModelStats | null;
  readonly diagnostics: readonly Diagnostic[];
}

export interface RunSummary {
  readonly files: number;
  readonly errors: number;
  readonly warnings: number;
  readonly fixable: number;
  readonly fatal: number;
}

export function summarize(results: readonly FileResult[]): RunSummary {
  let errors = 0;
  let warnings = 0;
  let fixable = 0;
  let fatal = 0;
  for (const r of results) {
    if (r.fatal) fatal++;
    for (const d of r.diagnostics) {
      if (d.severity === 'error') errors++;
      else if (d.severity === 'warning') warnings++;
      if (d.fixable) fixable++;
    }
  }
  return { files: results.length, errors, warnings, fixable, fatal };
}
