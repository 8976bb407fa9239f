import type { Dim } from '../../../ir/shape.js';
import type { NodeContext, RuleTable, ShapeRule } from '../context.js';
import { fail, normAxes, unifyDim } from '../dims.js';

/** Image ops: resize/upsample by scales or sizes, grid sampling, region pooling. */

/** floor(d * scale) in float32, as ONNX computes it; a scale of 1 keeps a symbolic dim. */
function scaled(d: Dim, scale: number): Dim {
  if (typeof d === 'number') return Math.floor(Math.fround(Math.fround(d) * Math.fround(scale)));
  return scale === 1 ? d : null;
}

function byScales(input: readonly Dim[], scales: readonly number[], axes: number[]): Dim[] {
  if (scales.length !== axes.length) fail(`${scales.length} scales for ${axes.length} axes`);
  const out = [...input];
  axes.forEach((a, k) => {
    out[a] = scaled(input[a]!, scales[k]!);
  });
  return out;
}

/** Known float elements of input `i` (scales), undefined when unknown or empty. */
function floats(ctx: NodeContext, i: number): readonly number[] | undefined {
  if (!ctx.has(i)) return undefined;
  const e = ctx.data(i);
  return e !== undefined && e.length > 0 && e.every((x) => typeof x === 'number') ? (e as number[]) : undefined;
}

const resize: ShapeRule = (ctx) => {
  const dtype = ctx.dtype(0);
  const xs = ctx.shape(0);
  if (xs === null) return ctx.out(0, dtype, null);
  const axesAttr = ctx.opset >= 18 ? ctx.intList('axes') : undefined;
  const axes = axesAttr ? normAxes(axesAttr, xs.length) : xs.map((_, i) => i);
  // Opset 10 has (X, scales); 11+ has (X, roi, scales, sizes).
  if (ctx.opset < 11) {
    const scales = floats(ctx, 1);
    return ctx.out(0, dtype, scales ? byScales(xs, scales, axes) : xs.map(() => null));
  }
  const sizes = ctx.has(3) ? ctx.ints(3) : undefined;
  if (sizes !== undefined && sizes.length > 0) {
    if (sizes.length !== axes.length) fail(`${sizes.length} sizes for ${axes.length} axes`);
    const out = [...xs];
    const policy = ctx.string('keep_aspect_ratio_policy', 'stretch');
    if (policy === 'stretch' || ctx.opset < 18) {
      axes.forEach((a, k) => {
        out[a] = sizes[k]!;
      });
      return ctx.out(0, dtype, out);
    }
    // not_larger / not_smaller: one scale for all axes, from the known input dims.
    const ratios = axes.map((a, k) => (typeof xs[a] === 'number' ? sizes[k]! / (xs[a] as number) : NaN));
    if (ratios.some((r) => Number.isNaN(r))) return ctx.out(0, dtype, xs.map((d, i) => (axes.includes(i) ? null : d)));
    const scale = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
    axes.forEach((a) => {
      out[a] = Math.round(scale * (xs[a] as number));
    });
    return ctx.out(0, dtype, out);
  }
  const scales = floats(ctx, 2);
  const sizesUnknown = ctx.has(3) && sizes === undefined;
  ctx.out(0, dtype, scales && !sizesUnknown ? byScales(xs, scales, axes) : xs.map(() => null));
};

const upsample: ShapeRule = (ctx) => {
  const dtype = ctx.dtype(0);
  const xs = ctx.shape(0);
  if (xs === null) return ctx.out(0, dtype, null);
  const attr = ctx.attr('scales');
  const scales = ctx.opset < 9 ? (attr?.type === 'floats' ? attr.value : undefined) : floats(ctx, 1);
  const axes = xs.map((_, i) => i);
  ctx.out(0, dtype, scales ? byScales(xs, scales, axes) : xs.map(() => null));
};

const gridSample: ShapeRule = (ctx) => {
  const xs = ctx.shape(0);
  const gs = ctx.shape(1);
  const rank = xs?.length ?? gs?.length;
  if (rank === undefined) return ctx.out(0, ctx.dtype(0), null);
  if (xs !== null && gs !== null && xs.length !== gs.length) fail('GridSample input and grid ranks differ');
  // (N, C, D1..Dk) sampled at grid (N, H1..Hk, k): output (N, C, H1..Hk).
  const n = unifyDim(xs?.[0] ?? null, gs?.[0] ?? null, 'batch');
  const spatial = gs ? gs.slice(1, -1) : new Array<Dim>(rank - 2).fill(null);
  ctx.out(0, ctx.dtype(0), [n, xs?.[1] ?? null, ...spatial]);
};

const roiAlign: ShapeRule = (ctx) => {
  const xs = ctx.shapeOfRank(0, 4);
  const rois = ctx.shapeOfRank(1, 2);
  const idx = ctx.shapeOfRank(2, 1);
  const n = unifyDim(rois?.[0] ?? null, idx?.[0] ?? null, 'number of rois');
  ctx.out(0, ctx.dtype(0), [n, xs?.[1] ?? null, ctx.int('output_height', 1), ctx.int('output_width', 1)]);
};

const maxRoiPool: ShapeRule = (ctx) => {
  const xs = ctx.shape(0);
  const rois = ctx.shapeOfRank(1, 2);
  const pooled = ctx.intList('pooled_shape');
  if (pooled === undefined) fail('pooled_shape is required');
  ctx.out(0, ctx.dtype(0), [rois?.[0] ?? null, xs?.[1] ?? null, ...pooled]);
};

export const resizeRules: RuleTable = {
  Resize: resize,
  Upsample: upsample,
  GridSample: gridSample,
  RoiAlign: roiAlign,
  MaxRoiPool: maxRoiPool,
};
