import { defineRule, type Finding } from '../src/engine/rule.js';
import type { Value } from '../src/ir/graph.js';
import type { Model } from '../src/ir/model.js';
import type { Dim } from '../src/ir/shape.js';

export interface BatchSizeData {
  readonly input: string;
  readonly axis: number;
  readonly batch: number;
  readonly shape: readonly Dim[];
}

const NEURAL_NETWORK_TYPES = new Set(['neuralNetwork', 'neuralNetworkClassifier', 'neuralNetworkRegressor']);

export default defineRule({
  meta: {
    id: 'batch-size',
    description: 'batch dimension above 1',
    targets: ['ane', 'coreml-ep'],
    severity: 'warning',
    facts: ['S3'],
    defaultOptions: {},
  },

  check(ctx) {
    const inputs = ctx.model.graph.inputs.filter((v) => !v.constant && v.type?.kind === 'tensor' && v.type.shape !== null);
    const axisOf = new Map<Value, number>();
    for (const v of inputs) {
      const axis = batchAxis(ctx.model, rank(v));
      if (axis !== undefined) axisOf.set(v, axis);
    }
    // Inputs share one batch: when some input has batch 1, a leading 2 elsewhere is something else (e.g. LSTM layers).
    const batchOne = [...axisOf].some(([v, a]) => shape(v)[a] === 1);
    const findings: Finding[] = [];
    for (const [v, axis] of axisOf) {
      const s = shape(v);
      const b = s[axis];
      if (typeof b !== 'number' || b <= 1) {
        if (typeof b !== 'number') ctx.debug(`input ${v.name}: batch is dynamic (reported by dynamic-shape)`);
        continue;
      }
      if (s.some((d, i) => i !== axis && typeof d !== 'number')) {
        ctx.debug(`input ${v.name}: axis ${axis} is ${b}, but another axis is dynamic and may be the batch`);
        continue;
      }
      if (batchOne) {
        ctx.debug(`input ${v.name}: axis ${axis} is ${b}, but another input has batch 1, so this is not the batch`);
        continue;
      }
      const readers = [...new Set(v.uses.map((u) => u.node))];
      if (readers.length === 0) continue;
      const one = s.map((d, i) => (i === axis ? 1 : d)).join(',');
      findings.push({
        nodes: readers,
        message: `Input '${v.name}' [${s.join(', ')}] has a fixed batch of ${b} (axis ${axis}). Batch above 1 is listed among Neural-Engine-hostile patterns (S3): Core ML runs batch 1 best. Export with batch 1 (analyse it with graphlint --input-shape ${v.name}=${one}) and run the items one by one, or through Core ML's batch prediction API.`,
        data: { input: v.name, axis, batch: b, shape: s } satisfies BatchSizeData,
        fact: 'S3',
      });
    }
    return findings;
  },
});

function shape(v: Value): readonly Dim[] {
  return v.type?.kind === 'tensor' && v.type.shape ? v.type.shape : [];
}

function rank(v: Value): number {
  return shape(v).length;
}

/**
 * Which axis is the batch: the first, for ranks 2 and up. A NeuralNetwork model's multi-array
 * inputs of rank 1 and 3 are (C) and (C, H, W) with no batch axis, and rank 5 is (S, B, C, H, W).
 */
function batchAxis(model: Model, r: number): number | undefined {
  if (NEURAL_NETWORK_TYPES.has(String(model.info.get('modelType') ?? ''))) {
    if (r === 5) return 1;
    if (r === 4) return 0;
    return undefined;
  }
  return r >= 2 ? 0 : undefined;
}
