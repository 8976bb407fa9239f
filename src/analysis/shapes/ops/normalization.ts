import { dtypeFromOnnx } from '../../../formats/onnx/dtypes.js';
import type { Dim } from '../../../ir/shape.js';
import type { RuleTable, ShapeRule } from '../context.js';
import { fail, normAxis, unifyDim } from '../dims.js';

/** Normalizations: Y has X's shape; statistics outputs have the channel or reduced shape. */

const sameAsInput: ShapeRule = (ctx) => ctx.out(0, ctx.dtype(0), ctx.shape(0));

const batchNorm: ShapeRule = (ctx) => {
  const xs = ctx.shape(0);
  ctx.out(0, ctx.dtype(0), xs);
  if (ctx.outputCount === 1) return;
  // Running / saved statistics: one value per channel.
  let c: Dim = xs === null ? null : xs.length > 1 ? xs[1]! : 1;
  for (let i = 1; i <= 4; i++) {
    const s = ctx.shape(i);
    if (s !== null) {
      if (s.length !== 1) fail(`BatchNormalization input ${i} must have rank 1`);
      c = unifyDim(c, s[0]!, 'channels');
    }
  }
  if (ctx.opset >= 14) {
    if (ctx.int('training_mode', 0) === 0) fail('BatchNormalization has statistics outputs outside training mode');
    ctx.out(1, ctx.dtype(3), [c]);
    ctx.out(2, ctx.dtype(4), [c]);
  } else {
    for (let i = 1; i < ctx.outputCount; i++) ctx.out(i, ctx.dtype(0), [c]);
  }
};

const layerNorm: ShapeRule = (ctx) => {
  const xs = ctx.shape(0);
  ctx.out(0, ctx.dtype(0), xs);
  const stash = dtypeFromOnnx(ctx.int('stash_type', 1));
  let stats: Dim[] | null = null;
  if (xs !== null) {
    // LayerNormalization's axis may equal the rank (nothing normalized).
    const a = ctx.int('axis', -1);
    const axis = a === xs.length ? a : normAxis(a, xs.length);
    stats = xs.map((d, i) => (i < axis ? d : 1));
  }
  ctx.out(1, stash, stats);
  ctx.out(2, stash, stats);
};

export const normalizationRules: RuleTable = {
  BatchNormalization: batchNorm,
  InstanceNormalization: sameAsInput,
  LayerNormalization: layerNorm,
  GroupNormalization: sameAsInput,
  LpNormalization: sameAsInput,
  LRN: sameAsInput,
  MeanVarianceNormalization: sameAsInput,
};
