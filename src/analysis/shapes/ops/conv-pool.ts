import type { Dim } from '../../../ir/shape.js';
import type { NodeContext, RuleTable, ShapeRule } from '../context.js';
import { fail, mulDim } from '../dims.js';

/** Convolutions and pooling: spatial dims from kernel, strides, pads and dilations (ONNX's formulas). */

interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Explicit pads (begin..., end...), or null under SAME_* auto_pad. */
  pads: number[] | null;
  autoPad: string;
  ceil: boolean;
}

function windowOf(ctx: NodeContext, spatial: number, kernel: number[]): Window {
  const list = (name: string, def: number): number[] => {
    const v = ctx.intList(name);
    if (v === undefined) return new Array<number>(spatial).fill(def);
    if (v.length !== spatial) fail(`${name} has ${v.length} values for ${spatial} spatial dims`);
    return [...v];
  };
  const autoPad = ctx.string('auto_pad', 'NOTSET');
  const given = ctx.intList('pads');
  if (given !== undefined && given.length !== 2 * spatial) fail(`pads has ${given.length} values for ${spatial} spatial dims`);
  const same = autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER';
  return {
    kernel,
    strides: list('strides', 1),
    dilations: list('dilations', 1),
    pads: given !== undefined ? [...given] : same ? null : new Array<number>(2 * spatial).fill(0),
    autoPad,
    ceil: ctx.int('ceil_mode', 0) === 1,
  };
}

/** One output spatial dim of a convolution or pooling window. */
function slide(d: Dim, i: number, w: Window): Dim {
  const n = w.kernel.length;
  const ek = (w.kernel[i]! - 1) * w.dilations[i]! + 1;
  const stride = w.strides[i]!;
  if (typeof d !== 'number') {
    // Unknown length: only a window that maps every position to itself keeps it.
    const keeps = stride === 1 && (w.pads === null || w.pads[i]! + w.pads[i + n]! === ek - 1);
    return keeps ? d : null;
  }
  let total: number;
  if (w.pads !== null) {
    total = w.pads[i]! + w.pads[i + n]!;
  } else {
    const residual = stride > 1 ? d % stride : 0;
    total = Math.max(residual === 0 ? ek - stride : ek - residual, 0);
  }
  const span = d + total - ek;
  // ONNX divides as C++ does: toward zero in floor mode, float32 ceil otherwise.
  const positions = w.ceil ? Math.ceil(Math.fround(span / stride)) : Math.trunc(span / stride);
  return 1 + positions;
}

/** Conv, ConvInteger, QLinearConv: data input `x`, weights `wi`. */
function conv(x: number, wi: number): ShapeRule {
  return (ctx) => {
    const dtype = ctx.node.op === 'Conv' ? ctx.dtype(x) : ctx.node.op === 'ConvInteger' ? 'int32' : ctx.dtype(7);
    const xs = ctx.shape(x);
    const ws = ctx.shape(wi);
    const rank = xs?.length ?? ws?.length;
    if (rank === undefined) return ctx.out(0, dtype, null);
    if (rank < 2) fail('Conv input must have rank >= 2');
    if (ws !== null && ws.length !== rank) fail(`Conv weights have rank ${ws.length}, input ${rank}`);
    const spatial = rank - 2;
    const attrKernel = ctx.intList('kernel_shape');
    if (attrKernel !== undefined && attrKernel.length !== spatial) fail('kernel_shape has the wrong length');
    const kernel = attrKernel ? [...attrKernel] : ws?.slice(2);
    const out: Dim[] = [xs?.[0] ?? null, ws?.[0] ?? null];
    const known = kernel !== undefined && kernel.every((k): k is number => typeof k === 'number');
    const w = known ? windowOf(ctx, spatial, kernel) : undefined;
    for (let i = 0; i < spatial; i++) out.push(w && xs ? slide(xs[i + 2]!, i, w) : null);
    ctx.out(0, dtype, out);
  };
}

const convTranspose: ShapeRule = (ctx) => {
  const dtype = ctx.dtype(0);
  const xs = ctx.shape(0);
  const ws = ctx.shape(1);
  if (xs === null || ws === null) return ctx.out(0, dtype, xs === null ? null : xs.map(() => null));
  if (xs.length < 2) fail('ConvTranspose input must have rank >= 2');
  const spatial = xs.length - 2;
  const group = ctx.int('group', 1);
  const out: Dim[] = [xs[0]!, mulDim(ws[1] ?? null, group)];
  const given = ctx.intList('output_shape');
  if (given !== undefined) {
    // output_shape may list all dims or only the spatial ones.
    const sp = given.length === spatial ? given : given.length === spatial + 2 ? given.slice(2) : undefined;
    if (sp === undefined) fail('output_shape has the wrong length');
    return ctx.out(0, dtype, [...out, ...sp]);
  }
  const kernel = ctx.intList('kernel_shape') ?? ws.slice(2);
  if (kernel.length !== spatial || !kernel.every((k): k is number => typeof k === 'number')) {
    return ctx.out(0, dtype, [...out, ...new Array<Dim>(spatial).fill(null)]);
  }
  const w = windowOf(ctx, spatial, [...kernel]);
  const outPad = ctx.intList('output_padding') ?? new Array<number>(spatial).fill(0);
  for (let i = 0; i < spatial; i++) {
    const ek = (kernel[i]! - 1) * w.dilations[i]! + 1;
    const stride = w.strides[i]!;
    const pads = w.pads ?? [];
    const total = w.pads ? pads[i]! + pads[i + spatial]! : Math.max(ek - stride, 0);
    const d = xs[i + 2]!;
    const extra = (outPad[i] ?? 0) + ek - total;
    out.push(typeof d === 'number' ? stride * (d - 1) + extra : stride === 1 && extra === 1 ? d : null);
  }
  ctx.out(0, dtype, out);
};

/** MaxPool, AveragePool, LpPool: the channels stay, kernel_shape is required. */
const pool: ShapeRule = (ctx) => {
  const dtype = ctx.dtype(0);
  const xs = ctx.shape(0);
  if (xs === null) {
    ctx.out(0, dtype, null);
    return ctx.out(1, 'int64', null);
  }
  if (xs.length < 2) fail('pooling input must have rank >= 2');
  const spatial = xs.length - 2;
  const kernel = ctx.intList('kernel_shape');
  if (kernel === undefined || kernel.length !== spatial) fail('kernel_shape is missing or has the wrong length');
  const w = windowOf(ctx, spatial, [...kernel]);
  const out: Dim[] = [xs[0]!, xs[1]!, ...xs.slice(2).map((d, i) => slide(d, i, w))];
  ctx.out(0, dtype, out);
  ctx.out(1, 'int64', out);
};

const globalPool: ShapeRule = (ctx) => {
  const xs = ctx.shape(0);
  if (xs !== null && xs.length < 2) fail('pooling input must have rank >= 2');
  ctx.out(0, ctx.dtype(0), xs === null ? null : xs.map((d, i) => (i < 2 ? d : 1)));
};

const maxUnpool: ShapeRule = (ctx) => {
  const dtype = ctx.dtype(0);
  const xs = ctx.shape(0);
  if (xs === null) return ctx.out(0, dtype, null);
  if (xs.length < 2) fail('MaxUnpool input must have rank >= 2');
  const spatial = xs.length - 2;
  if (ctx.has(2)) {
    const e = ctx.data(2);
    const dims = e?.every((x) => typeof x === 'number') ? (e as number[]) : undefined;
    return ctx.out(0, dtype, dims ?? xs.map(() => null));
  }
  const kernel = ctx.intList('kernel_shape');
  if (kernel === undefined || kernel.length !== spatial) fail('kernel_shape is missing or has the wrong length');
  const w = windowOf(ctx, spatial, [...kernel]);
  const pads = w.pads ?? new Array<number>(2 * spatial).fill(0);
  ctx.out(0, dtype, [xs[0]!, xs[1]!, ...xs.slice(2).map((d, i) =>
    typeof d === 'number' ? w.strides[i]! * (d - 1) + kernel[i]! - pads[i]! - pads[i + spatial]! : null)]);
};

export const convPoolRules: RuleTable = {
  Conv: conv(0, 1),
  ConvInteger: conv(0, 1),
  QLinearConv: conv(0, 3),
  ConvTranspose: convTranspose,
  MaxPool: pool,
  AveragePool: pool,
  LpPool: pool,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  GlobalLpPool: globalPool,
  MaxUnpool: maxUnpool,
};
