import type { TargetId } from '../engine/rule.js';
import type { Model } from '../ir/model.js';
import { judgeAne } from './ane.js';
import { judgeCoremlEp, type CoremlEpOptions } from './coreml-ep.js';
import { partition, type PartitionPlan } from './partition.js';
import type { Judgement } from './types.js';

export interface PlanOptions {
  readonly coremlEp?: CoremlEpOptions;
  /**
   * The caller is done reading `model` (lint, after its other rules): the judged graph may be
   * the model itself, edited into ONNX Runtime's view of it, instead of a copy (optimizeForOrt).
   */
  readonly consume?: boolean;
}

/**
 * The partition plan of a model for a target: the target's judgement of every node, then the
 * partitioning walk (partition.ts). The model's shapes must already be inferred (lint does it
 * first, with --input-shape applied). For coreml-ep an ONNX model is judged as ONNX Runtime
 * sees it (a copy after its basic optimizations); a Core ML model has nothing for the provider
 * to take (it runs ONNX graphs), so coreml-ep judges no node of it and says so.
 */
export function planPartitions(model: Model, target: TargetId, options: PlanOptions = {}): PartitionPlan {
  const judgement: Judgement =
    target === 'ane' ? judgeAne(model, { consume: options.consume ?? false })
    : model.format === 'onnx' ? judgeCoremlEp(model, options.coremlEp, options.consume ?? false)
    : notForTheProvider(model);
  const plan = partition(judgement);
  remember(model, target, plan);
  return plan;
}

const cache = new WeakMap<Model, Map<TargetId, PartitionPlan>>();

function remember(model: Model, target: TargetId, plan: PartitionPlan): void {
  let m = cache.get(model);
  if (!m) cache.set(model, (m = new Map()));
  m.set(target, plan);
}

/**
 * The plan computed last for this model and target (lint computes it once per file with the
 * command-line options); undefined when none was. Rules read it through here so they see the
 * same partitions as the report.
 */
export function cachedPlan(model: Model, target: TargetId): PartitionPlan | undefined {
  return cache.get(model)?.get(target);
}

/** Drops the plans computed for `model`: after an edit (the fix loop) they describe an older graph. */
export function forgetPlans(model: Model): void {
  cache.delete(model);
}

/** The cached plan, or a new one with default options. */
export function planFor(model: Model, target: TargetId): PartitionPlan {
  return cachedPlan(model, target) ?? planPartitions(model, target);
}

function notForTheProvider(model: Model): Judgement {
  return {
    target: 'coreml-ep', judged: model, decisions: new Map(), originsOf: (n) => [n], guesses: [],
    notes: [`ONNX Runtime's Core ML provider runs ONNX models; this is a ${model.format} model, so there is nothing for it to claim (use --target ane).`],
  };
}
