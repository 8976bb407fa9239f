import type { ModelStats } from '../analysis/stats.js';
import type { FixesBlock } from '../rewrite/report.js';

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
  /** The partition report (CONTRACT.md `partitions`), when it was computed. */
  readonly partitions?: PartitionsBlock;
  /** What --fix / --fix-dry-run did (CONTRACT.md `fixes`), when asked. */
  readonly fixes?: FixesBlock;
}

/** The `partitions` block of the JSON report (CONTRACT.md); `notes` and `guesses` are additions. */
export interface PartitionsBlock {
  readonly target: string;
  /** Nodes the target judges (constants excluded). */
  readonly nodes: number;
  /** Nodes on the accelerator (`ane`) or claimed by the provider (`coreml-ep`). */
  readonly supported: number;
  /** Accelerator partitions. */
  readonly count: number;
  readonly list: readonly {
    readonly index: number;
    readonly device: string;
    readonly nodes: number;
    readonly first: string;
    readonly last: string;
  }[];
  readonly boundaries: readonly {
    readonly value: string;
    readonly from: number;
    readonly to: number;
    /** null when the value's shape is not fully known. */
    readonly bytes: number | null;
  }[];
  /** What was judged and what was assumed (e.g. "after ONNX Runtime's basic optimizations"). */
  readonly notes: readonly string[];
  /** Facts marked as guesses that some decision rests on: lower confidence. */
  readonly guesses: readonly string[];
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
