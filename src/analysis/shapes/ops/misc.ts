import { dtypeFromOnnx } from '../../../formats/onnx/dtypes.js';
import type { DType } from '../../../ir/dtype.js';
import type { Dim } from '../../../ir/shape.js';
import type { NodeContext, RuleTable, ShapeRule } from '../context.js';
import { fail, normAxis, unifyDim } from '../dims.js';
import { scalarInt } from './common.js';

/** Quantization, detection, signal processing, random generators, text, losses, training. */

/** An ONNX element-type code held by attribute `name`. */
const dtypeAttr = (ctx: NodeContext, name: string, def: number): DType => dtypeFromOnnx(ctx.int(name, def));

const quantize: ShapeRule = (ctx) => {
  // The zero point's type names the output type; uint8 without one (int8... from opset 19 `output_dtype`).
  const code = ctx.int('output_dtype', 0);
  const dtype = ctx.has(2) ? ctx.dtype(2) : code !== 0 ? dtypeFromOnnx(code) : 'uint8';
  ctx.out(0, dtype, ctx.shape(0));
};

const dequantize: ShapeRule = (ctx) => {
  // float32 until opset 19, then the scale's type.
  ctx.out(0, ctx.opset >= 19 ? ctx.dtype(1) : 'float32', ctx.shape(0));
};

const dynamicQuantize: ShapeRule = (ctx) => {
  ctx.out(0, 'uint8', ctx.shape(0));
  ctx.out(1, 'float32', []);
  ctx.out(2, 'uint8', []);
};

/** Hann, Hamming, Blackman windows: a vector of `size` elements. */
const windowFn: ShapeRule = (ctx) => {
  const size = scalarInt(ctx, 0);
  if (size !== undefined && size <= 0) fail('window size must be positive');
  ctx.out(0, dtypeAttr(ctx, 'output_datatype', 1), [size ?? null]);
};

const melWeightMatrix: ShapeRule = (ctx) => {
  const bins = scalarInt(ctx, 0);
  const dft = scalarInt(ctx, 1);
  ctx.out(0, dtypeAttr(ctx, 'output_datatype', 1), [dft === undefined ? null : (dft >> 1) + 1, bins ?? null]);
};

const dft: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  if (s === null) return ctx.out(0, ctx.dtype(0), null);
  const onesided = ctx.int('onesided', 0) === 1;
  // The axis became an input in opset 20; before, an attribute defaulting to 1.
  const axisGiven = ctx.opset >= 20 ? (ctx.has(2) ? scalarInt(ctx, 2) : -2) : ctx.int('axis', 1);
  if (axisGiven === undefined) return ctx.out(0, ctx.dtype(0), s.map((d, i) => (i === s.length - 1 ? 2 : null)));
  const axis = normAxis(axisGiven, s.length);
  const out = [...s];
  if (ctx.has(1)) out[axis] = scalarInt(ctx, 1) ?? null;
  if (onesided) out[axis] = typeof out[axis] === 'number' ? (out[axis] >> 1) + 1 : null;
  out[out.length - 1] = 2;
  ctx.out(0, ctx.dtype(0), out);
};

const stft: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const dtype = ctx.dtype(0);
  if (s === null) return ctx.out(0, dtype, null);
  const step = scalarInt(ctx, 1);
  const window = ctx.has(2) ? ctx.shape(2) : null;
  const frame = ctx.has(3) ? scalarInt(ctx, 3) : undefined;
  const length: Dim = frame ?? (window !== null && window.length === 1 ? window[0]! : null);
  const signal = s[1] ?? null;
  // Frames: floor((signal - frame_length) / step) + 1, each onesided-halved or full.
  const frames = typeof signal === 'number' && typeof length === 'number' && step !== undefined && step > 0
    ? Math.floor((signal - length) / step) + 1 : null;
  const bins = typeof length === 'number' ? (ctx.int('onesided', 1) === 1 ? (length >> 1) + 1 : length) : null;
  ctx.out(0, dtype, [s[0] ?? null, frames, bins, 2]);
};

const randomWithShape: ShapeRule = (ctx) => {
  ctx.out(0, dtypeAttr(ctx, 'dtype', 1), ctx.intList('shape') ?? null);
};

const multinomial: ShapeRule = (ctx) => {
  const s = ctx.shapeOfRank(0, 2);
  ctx.out(0, dtypeAttr(ctx, 'dtype', 6), [s?.[0] ?? null, ctx.int('sample_size', 1)]);
};

const nonMaxSuppression: ShapeRule = (ctx) => ctx.out(0, 'int64', [null, 3]);

const tfIdf: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const idx = ctx.intList('ngram_indexes');
  if (idx === undefined || idx.length === 0 || idx.some((i) => i < 0)) fail('ngram_indexes must be non-empty and non-negative');
  const width = Math.max(...idx) + 1;
  if (s !== null && s.length !== 1 && s.length !== 2) fail('TfIdfVectorizer input must have rank 1 or 2');
  ctx.out(0, 'float32', s === null ? null : s.length === 1 ? [width] : [s[0]!, width]);
};

const stringNormalizer: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  if (s !== null && s.length !== 1 && s.length !== 2) fail('StringNormalizer input must be [C] or [1, C]');
  // Stop words may remove elements: the last dim is unknown.
  ctx.out(0, 'string', s === null ? null : s.length === 1 ? [null] : [s[0]!, null]);
};

const nllLoss: ShapeRule = (ctx) => {
  const x = ctx.shape(0);
  const t = ctx.shape(1);
  const none = ctx.string('reduction', 'mean') === 'none';
  if (!none) return ctx.out(0, ctx.dtype(0), []);
  if (x === null) return ctx.out(0, ctx.dtype(0), t);
  if (x.length < 2) fail('NegativeLogLikelihoodLoss input must have rank >= 2');
  // (N, C, d1..dk) against targets (N, d1..dk): one loss per target.
  const out = [x[0]!, ...x.slice(2)];
  if (t !== null) {
    if (t.length !== out.length) fail('NegativeLogLikelihoodLoss target rank must be one less than the input');
    out.forEach((d, i) => {
      out[i] = unifyDim(d, t[i]!, 'loss dims');
    });
  }
  ctx.out(0, ctx.dtype(0), out);
};

const softmaxCrossEntropy: ShapeRule = (ctx) => {
  const none = ctx.string('reduction', 'mean') === 'none';
  ctx.out(0, ctx.dtype(0), none ? ctx.shape(1) : []);
  ctx.out(1, ctx.dtype(0), ctx.shape(0));
};

/**
 * Optimizers (ai.onnx.preview.training): inputs R, T, then groups of `groups` lists of
 * tensors; outputs the updated tensors of the groups listed in `updated`.
 */
function optimizer(groups: number, updated: readonly number[]): ShapeRule {
  return (ctx) => {
    const n = (ctx.inputCount - 2) / groups;
    if (!Number.isInteger(n)) fail(`optimizer inputs are not ${groups} lists of equal length`);
    updated.forEach((g, k) => {
      for (let i = 0; i < n; i++) ctx.out(k * n + i, ctx.dtype(2 + g * n + i), ctx.shape(2 + g * n + i));
    });
  };
}

export const miscRules: RuleTable = {
  QuantizeLinear: quantize,
  DequantizeLinear: dequantize,
  DynamicQuantizeLinear: dynamicQuantize,
  HannWindow: windowFn,
  HammingWindow: windowFn,
  BlackmanWindow: windowFn,
  MelWeightMatrix: melWeightMatrix,
  DFT: dft,
  STFT: stft,
  RandomNormal: randomWithShape,
  RandomUniform: randomWithShape,
  Multinomial: multinomial,
  NonMaxSuppression: nonMaxSuppression,
  TfIdfVectorizer: tfIdf,
  StringNormalizer: stringNormalizer,
  NegativeLogLikelihoodLoss: nllLoss,
  SoftmaxCrossEntropyLoss: softmaxCrossEntropy,
  'ai.onnx.preview.training:Adagrad': optimizer(3, [0, 2]),
  'ai.onnx.preview.training:Momentum': optimizer(3, [0, 2]),
  'ai.onnx.preview.training:Adam': optimizer(4, [0, 2, 3]),
};
