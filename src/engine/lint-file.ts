import { inferShapes } from '../analysis/shapes/index.js';
import { computeStats } from '../analysis/stats.js';
import type { Dim } from '../ir/shape.js';
import { ModelError } from '../errors.js';
import { readModel, releaseModel } from '../formats/index.js';
import type { Model } from '../ir/model.js';
import type { FileResult, PartitionsBlock } from '../report/result.js';
import type { CoremlEpOptions } from '../targets/coreml-ep.js';
import type { PartitionPlan } from '../targets/partition.js';
import { planPartitions } from '../targets/plan.js';
import { partitionsBlock } from '../targets/report.js';
import { fatalResult } from './analyze-file.js';
import type { DebugLine } from './context.js';
import type { Rule, TargetId } from './rule.js';
import { RuleRun, type RuleSettings } from './run-rules.js';

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
  /**
   * lintModel: the caller is done with the model once it is linted, so the partition plan may
   * edit it into ONNX Runtime's view instead of copying it (on a big graph the copy costs as
   * much as reading the file). lintFile gives its model up unless `keepModel`.
   */
  readonly consume?: boolean;
  /**
   * lintFile: the caller reads the model afterwards: lint leaves it as read and open, for the
   * caller to release (releaseModel).
   */
  readonly keepModel?: boolean;
}

export interface LintedFile {
  readonly result: FileResult;
  /** The model as read; null when it could not be read, or was given up to the lint (not `keepModel`). */
  readonly model: Model | null;
  /** The partition plan behind `result.partitions` (the HTML report draws it), when one was made. */
  readonly plan?: PartitionPlan;
}

/** Reads one model, runs the rules, and returns the file's result (fatal on a bad file). */
export function lintFile(path: string, options: LintOptions): LintedFile {
  let model: Model;
  try {
    model = readModel(path);
  } catch (e) {
    return { result: fatalResult(path, e), model: null };
  }
  const keep = options.keepModel === true;
  let linted: LintedFile;
  try {
    const { result, plan } = lintModelWithPlan(model, path, { ...options, consume: !keep });
    linted = { result, model: keep ? model : null, ...(plan ? { plan } : {}) };
  } catch (e) {
    // A model that reads but cannot be analysed (a constant whose bytes are missing or
    // malformed, or a broken invariant) is fatal for this file only: the others are still linted.
    if (!(e instanceof ModelError)) options.debug?.push({ ruleId: 'internal', reason: e instanceof Error ? String(e.stack) : String(e) });
    linted = { result: fatalResult(path, e), model: null };
  }
  // The files it holds open go now, not when the process ends: a directory may hold more
  // models than a process may open files. A model handed back is the caller's to release.
  if (linted.model === null) releaseModel(model);
  return linted;
}

export function lintModel(model: Model, path: string, options: LintOptions): FileResult {
  return lintModelWithPlan(model, path, options).result;
}

/** lintModel, and the partition plan behind the result's partitions when it made one (the HTML report draws it). */
export function lintModelWithPlan(model: Model, path: string, options: LintOptions): { result: FileResult; plan?: PartitionPlan } {
  // Types the rules read: ONNX declares only the interface, so infer the rest first.
  if (model.format === 'onnx') inferShapes(model, options.inputShapes ? { inputShapes: options.inputShapes } : {});
  const stats = computeStats(model);
  const run = new RuleRun(model, {
    ...(options.coremlEp?.format ? { coremlFormat: options.coremlEp.format } : {}),
    target: options.target,
    ...(options.settings ? { settings: options.settings } : {}),
    ...(options.debug ? { debug: options.debug } : {}),
  });
  // The rules that read the partition plan run after it (partition-boundary reads the cached
  // plan, src/targets/plan.ts), the others before, while the model is as read: with
  // `consume` the plan is made by editing the model itself.
  const afterPlan = options.partitions ? options.rules.filter((r) => r.readsPlan?.includes(options.target)) : [];
  run.check(afterPlan.length === 0 ? options.rules : options.rules.filter((r) => !afterPlan.includes(r)));
  let partitions: PartitionsBlock | undefined;
  let plan: PartitionPlan | undefined;
  if (options.partitions) {
    let planned = false;
    try {
      plan = planPartitions(model, options.target, {
        ...(options.coremlEp ? { coremlEp: options.coremlEp } : {}),
        consume: options.consume ?? false,
      });
      partitions = partitionsBlock(plan);
      planned = true;
    } catch (e) {
      // An internal error in the partition engine must not lose the file's findings.
      options.debug?.push({ ruleId: 'partitions', reason: `internal error (please report): ${e instanceof Error ? e.message : String(e)}` });
    }
    // A plan that failed half-way may have left a given-up model half edited: nothing more reads it.
    if (planned || !options.consume) run.check(afterPlan);
    else for (const r of afterPlan) options.debug?.push({ ruleId: r.meta.id, reason: 'not run: the partition plan it reads failed' });
  }
  const result: FileResult = { path, format: model.format, fatal: null, stats, diagnostics: run.diagnostics(), ...(partitions ? { partitions } : {}) };
  return { result, ...(plan ? { plan } : {}) };
}
