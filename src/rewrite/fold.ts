import { constantNumbers, constantTensor } from '../analysis/constants.js';
import { evaluate, EVAL_LIMIT, type Small } from '../analysis/ort-optimizations/evaluate.js';
import type { Node, Value } from '../ir/graph.js';
import { graphsWithin, type Model } from '../ir/model.js';
import type { PatchBuilder } from './builder.js';
import type { Patch } from './patch.js';
import { tensorOf } from './tensors.js';

/**
 * Constant folding of shape parameters (ONNX): an operand that sets an output's shape
 * (Reshape's shape, Pad's pads, Slice's starts/ends, Resize's sizes, ...) computed only
 * from constants and the shapes of tensors whose shapes are fixed becomes a constant. The
 * chain that computed it is left dead for the clean-up. What one fold makes known (the pad
 * amounts of a resize transform, say) lets shape inference fix the shapes after it, so the
 * next pass can fold what depends on those.
 */

/** Default-domain ops: the inputs (by position) whose values set the output's shape. */
const SHAPE_PARAMETERS: Readonly<Record<string, readonly number[]>> = {
  Reshape: [1], Expand: [1], Tile: [1], ConstantOfShape: [0], Resize: [2, 3], Upsample: [1], Slice: [1, 2, 3, 4],
  Pad: [1, 3], Squeeze: [1], Unsqueeze: [1], Split: [1], TopK: [1], Range: [0, 1, 2], OneHot: [1],
  ReduceMean: [1], ReduceSum: [1], ReduceMax: [1], ReduceMin: [1], ReduceProd: [1], ReduceL1: [1], ReduceL2: [1],
  ReduceLogSum: [1], ReduceLogSumExp: [1], ReduceSumSquare: [1],
};

const NON_DETERMINISTIC = new Set(['RandomUniform', 'RandomNormal', 'RandomUniformLike', 'RandomNormalLike', 'Multinomial', 'Dropout', 'Bernoulli']);

/** Values computed from constants and fixed shapes, evaluated on demand (memoized). */
export class ShapeArithmetic {
  private readonly memo = new Map<Value, Small | null>();

  value(v: Value | null | undefined, depth = 0): Small | undefined {
    if (!v) return undefined;
    const known = this.memo.get(v);
    if (known !== undefined) return known ?? undefined;
    const s = depth > 128 ? undefined : this.compute(v, depth);
    this.memo.set(v, s ?? null);
    return s;
  }

  private compute(v: Value, depth: number): Small | undefined {
    const t = constantTensor(v);
    if (t) {
      if (t.elementCount > EVAL_LIMIT || t.dtype === 'string') return undefined;
      const data = constantNumbers(v, EVAL_LIMIT);
      return data ? { dtype: t.dtype, dims: t.dims, data } : undefined;
    }
    const p = v.producer;
    if (!p || (p.domain !== '' && p.domain !== 'ai.onnx') || p.subgraphs().length > 0 || NON_DETERMINISTIC.has(p.op)) return undefined;
    if (p.op === 'Constant') {
      const nums = constantNumbers(v, EVAL_LIMIT);
      const dtype = v.type?.kind === 'tensor' ? v.type.dtype : 'float32';
      const dims = v.type?.kind === 'tensor' && v.type.shape?.every((d) => typeof d === 'number') ? (v.type.shape as number[]) : nums ? [nums.length] : [];
      return nums ? { dtype, dims, data: nums } : undefined;
    }
    if (p.op === 'Shape' || p.op === 'Size') {
      const x = p.inputs[0];
      const s = x?.type?.kind === 'tensor' ? x.type.shape : null;
      if (!s || !s.every((d): d is number => typeof d === 'number')) return undefined;
      // The evaluator needs only the dims of a Shape/Size input.
      const count = s.reduce((a, b) => a * b, 1);
      const stand: Small = { dtype: 'float32', dims: s, data: p.op === 'Size' ? new Array<number>(count).fill(0) : [] };
      if (p.op === 'Size') return { dtype: 'int64', dims: [], data: [count] };
      return evaluate(p, [stand])?.[0];
    }
    const ins: (Small | undefined)[] = [];
    for (const i of p.inputs) {
      if (!i) {
        ins.push(undefined);
        continue;
      }
      const s = this.value(i, depth + 1);
      if (!s) return undefined;
      ins.push(s);
    }
    const outs = evaluate(p, ins);
    return outs?.[p.outputs.indexOf(v)];
  }
}

/**
 * One patch per node whose shape parameters can be folded. `make` gives a fresh builder.
 * Nodes in ONNX model-local functions are left alone.
 */
export function foldPatches(model: Model, arithmetic: ShapeArithmetic, make: () => PatchBuilder): Patch[] {
  const patches: Patch[] = [];
  for (const g of graphsWithin(model.graph)) {
    for (const n of g.nodes) {
      if (n.domain !== '' && n.domain !== 'ai.onnx') continue;
      const slots = SHAPE_PARAMETERS[n.op];
      if (!slots) continue;
      const folds: Array<{ index: number; value: Value; s: Small }> = [];
      for (const i of slots) {
        const v = n.inputs[i];
        if (!v || constantTensor(v) || v.producer?.op === 'Constant') continue;
        const s = arithmetic.value(v);
        if (s && sameType(v, s)) folds.push({ index: i, value: v, s });
      }
      if (folds.length === 0) continue;
      const b = make().at(n);
      for (const f of folds) b.setInput(n, f.index, b.constant(`${f.value.name}_folded`, tensorOf(f.s.dtype, f.s.dims, f.s.data)));
      patches.push(b.patch('constant-folding', [n], `${n.label} (${n.op}): ${folds.map((f) => `${role(n, f.index)} folded to [${f.s.data.join(', ')}]`).join('; ')}`));
    }
  }
  return patches;
}

function sameType(v: Value, s: Small): boolean {
  const t = v.type;
  if (!t || t.kind !== 'tensor') return true;
  return (t.dtype === s.dtype || t.dtype === 'unknown') && (t.shape === null || t.shape.length === s.dims.length);
}

function role(n: Node, i: number): string {
  const names: Readonly<Record<string, readonly string[]>> = {
    Slice: ['data', 'starts', 'ends', 'axes', 'steps'], Pad: ['data', 'pads', 'constant_value', 'axes'], Resize: ['X', 'roi', 'scales', 'sizes'],
    Range: ['start', 'limit', 'delta'], ConstantOfShape: ['shape'], Tile: ['input', 'repeats'],
  };
  return names[n.op]?.[i] ?? (i === 1 ? 'shape' : `input ${i}`);
}
