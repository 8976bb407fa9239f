import { inferShapes } from '../analysis/shapes/index.js';
import { computeStats } from '../analysis/stats.js';
import type { Dim } from '../ir/shape.js';
import { ModelError } from '../errors.js';
import { readModel } from '../formats/index.js';
import type { Model } from '../ir/model.js';
import type { FileResult, PartitionsBlock } from '../report/result.js';
import type { CoremlEpOptions } from '../targets/coreml-ep.js';
import { planPartitions } from '../targets/plan.js';
import { partitionsBlock } from '../targets/report.js';
import { fatalResult } from './analyze-file.js';
import type { DebugLine } from './context.js';
import type { Rule, TargetId } from './rule.js';
import { runRules, type RuleSettings } from './run-rules.js';

export interface LintOptions {
  readonly rules: readonly Rule<unknown>[];
  readonly target: TargetId;
  readonly settings?: ReadonlyMap<string, RuleSettings>;
  readonly debug?: DebugLine[];
  /** `--input-shape`: dims for graph inputs, fixed before analysis. */
  readonly inputShapes?: ReadonlyMap<string, readonly Dim[]>;
  /** Compute the partition plan (before the rules, so partition-boundary sees it) and report it. */
  readonly partitions?: boolean;
  /** How to judge for --target coreml-ep (`--coreml-format`, ...). */
  readonly coremlEp?: CoremlEpOptions;
}

export interface LintedFile {
  readonly result: FileResult;
  readonly model: Model | null;
}

/** Reads one model, runs the rules, and returns the file's result (fatal on a bad file). */
export function lintFile(path: string, options: LintOptions): LintedFile {
  let model: Model;
  try {
    model = readModel(path);
  } catch (e) {
    return { result: fatalResult(path, e), model: null };
  }
  try {
    return { result: lintModel(model, path, options), model };
  } catch (e) {
    // A model that reads but cannot be analysed (a constant whose bytes are missing or
    // malformed, or a broken invariant) is fatal for this file only: the others are still linted.
    if (!(e instanceof ModelError)) options.debug?.push({ ruleId: 'internal', reason: e instanceof Error ? String(e.stack) : String(e) });
    return { result: fatalResult(path, e), model: null };
  }
}

export function lintModel(model: Model, path: string, options: LintOptions): FileResult {
  // Types the rules read: ONNX declares only the interface, so infer the rest first.
  if (model.format === 'onnx') inferShapes(model, options.inputShapes ? { inputShapes: options.inputShapes } : {});
  // Partitions first: the partition-boundary rule reads the cached plan (src/targets/plan.ts).
  let partitions: PartitionsBlock | undefined;
  if (options.partitions) {
    try {
      const plan = planPartitions(model, options.target, options.coremlEp ? { coremlEp: options.coremlEp } : {});
      partitions = partitionsBlock(plan);
    } catch (e) {
      // An internal error in the partition engine must not lose the file's findings.
      options.debug?.push({ ruleId: 'partitions', reason: `internal error (please report): ${e instanceof Error ? e.message : String(e)}` });
    }
  }
  const diagnostics = runRules(model, options.rules, {
    ...(options.coremlEp?.format ? { coremlFormat: options.coremlEp.format } : {}),
    target: options.target,
    ...(options.settings ? { settings: options.settings } : {}),
    ...(options.debug ? { debug: options.debug } : {}),
  });
  return { path, format: model.format, fatal: null, stats: computeStats(model), diagnostics, ...(partitions ? { partitions } : {}) };
}
