import { inferShapes } from '../analysis/shapes/index.js';
import { computeStats } from '../analysis/stats.js';
import type { Dim } from '../ir/shape.js';
import { readModel } from '../formats/index.js';
import type { Model } from '../ir/model.js';
import type { FileResult } from '../report/result.js';
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
  return { result: lintModel(model, path, options), model };
}

export function lintModel(model: Model, path: string, options: LintOptions): FileResult {
  // Types the rules read: ONNX declares only the interface, so infer the rest first.
  if (model.format === 'onnx') inferShapes(model, options.inputShapes ? { inputShapes: options.inputShapes } : {});
  const diagnostics = runRules(model, options.rules, {
    target: options.target,
    ...(options.settings ? { settings: options.settings } : {}),
    ...(options.debug ? { debug: options.debug } : {}),
  });
  return { path, format: model.format, fatal: null, stats: computeStats(model), diagnostics };
}
