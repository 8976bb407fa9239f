import type { Dim } from '../../../ir/shape.js';
import type { NodeContext, RuleTable, ShapeRule } from '../context.js';
import { addDim, fail, normAxes, normAxis, productOf, unifyDim } from '../dims.js';
import { intsArg, isRank, scalarInt, smallData } from './common.js';

/** Ops that select, join or split parts of tensors: slice, gather, concat, split, pad, topk. */

/** INT32_MAX and beyond as an end means "to the end" (exporters write INT64_MAX or INT32_MAX). */
const TO_END = 2147483647;

interface SliceAxis {
  start: number;
  end: number;
  step: number;
}

/** Length of a slice of a dim of length `n`, clamped as the kernel clamps. */
function sliceLength(n: number, { start, end, step }: SliceAxis): number {
  if (step === 0) fail('Slice step is 0');
  const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + n : start;
  let e = end < 0 ? end + n : end;
  if (step < 0) {
    s = clamp(s, 0, n - 1);
    e = clamp(e, -1, n - 1);
  } else {
    s = clamp(s, 0, n);
    e = clamp(e, 0, n);
  }
  return Math.max(Math.ceil((e - s) / step), 0);
}

/** A slice that keeps every element of a dim whatever its length (a symbol survives it). */
function keepsAll({ start, end, step }: SliceAxis): boolean {
  return (step === 1 && start === 0 && end >= TO_END) || (step === -1 && start >= TO_END && end <= -TO_END);
}

const slice: ShapeRule = (ctx) => {
  const dtype = ctx.dtype(0);
  const s = ctx.shape(0);
  if (s === null) return ctx.out(0, dtype, null);
  let starts: readonly number[] | null | undefined;
  let ends: readonly number[] | null | undefined;
  let axes: readonly number[] | null | undefined;
  let steps: readonly number[] | null | undefined;
  if (ctx.opset < 10) {
    starts = ctx.intList('starts');
    ends = ctx.intList('ends');
    axes = ctx.intList('axes');
  } else {
    starts = ctx.ints(1) ?? null;
    ends = ctx.ints(2) ?? null;
    axes = ctx.has(3) ? ctx.ints(3) ?? null : undefined;
    steps = ctx.has(4) ? ctx.ints(4) ?? null : undefined;
  }
  if (starts === undefined || ends === undefined) fail('Slice needs starts and ends');
  // Unknown parameters: the rank stays, and so do the dims no axis can touch.
  if (starts === null || ends === null || axes === null || steps === null) {
    let touched: Set<number> | null = null;
    if (axes) {
      touched = new Set(normAxes(axes, s.length));
    } else if (axes === undefined) {
      const len = ctx.shape(1)?.[0];
      const n = starts?.length ?? ends?.length ?? (isRank(len) ? len : undefined);
      if (n !== undefined) touched = new Set(Array.from({ length: n }, (_, i) => i));
    }
    return ctx.out(0, dtype, s.map((d, i) => (touched !== null && !touched.has(i) ? d : null)));
  }
  if (starts.length !== ends.length) fail('Slice starts and ends differ in length');
  const ax = normAxes(axes ?? starts.map((_, i) => i), s.length);
  if (ax.length !== starts.length || (steps && steps.length !== starts.length)) fail('Slice inputs differ in length');
  const out: Dim[] = [...s];
  const params: SliceAxis[] = ax.map((_, k) => ({ start: starts![k]!, end: ends![k]!, step: steps?.[k] ?? 1 }));
  ax.forEach((a, k) => {
    const d = s[a]!;
    const p = params[k]!;
    if (p.step === 0) fail('Slice step is 0');
    out[a] = typeof d === 'number' ? sliceLength(d, p) : keepsAll(p) ? d : null;
  });
  ctx.out(0, dtype, out);
  // Slicing a short vector (a shape) slices its elements.
  const e = s.length === 1 ? smallData(ctx, 0) : undefined;
  if (e !== undefined && ax.length === 1) {
    const p = params[0]!;
    const n = e.length;
    let st = p.start < 0 ? p.start + n : p.start;
    st = p.step < 0 ? Math.min(Math.max(st, 0), n - 1) : Math.min(Math.max(st, 0), n);
    const picked: Dim[] = [];
    for (let k = 0, i = st; k < sliceLength(n, p); k++, i += p.step) picked.push(e[i] ?? null);
    ctx.outData(0, picked);
  }
};

const gather: ShapeRule = (ctx) => {
  const data = ctx.shape(0);
  const idx = ctx.shape(1);
  if (data === null || idx === null) return ctx.out(0, ctx.dtype(0), null);
  if (data.length < 1) fail('Gather data must have rank >= 1');
  const axis = normAxis(ctx.int('axis', 0), data.length);
  ctx.out(0, ctx.dtype(0), [...data.slice(0, axis), ...idx, ...data.slice(axis + 1)]);
  // Picking entries of a shape vector.
  if (data.length !== 1) return;
  const e = smallData(ctx, 0);
  const i = e === undefined ? undefined : smallData(ctx, 1);
  if (e === undefined || i === undefined) return;
  const n = e.length;
  const picked: Dim[] = [];
  for (const k of i) {
    if (typeof k !== 'number' || k < -n || k >= n) return;
    picked.push(e[k < 0 ? k + n : k] ?? null);
  }
  ctx.outData(0, picked);
};

const gatherND: ShapeRule = (ctx) => {
  const data = ctx.shape(0);
  const idx = ctx.shape(1);
  if (data === null || idx === null) return ctx.out(0, ctx.dtype(0), null);
  if (data.length < 1 || idx.length < 1) fail('GatherND inputs must have rank >= 1');
  const last = idx[idx.length - 1];
  if (typeof last !== 'number') return ctx.out(0, ctx.dtype(0), null);
  const k = last + ctx.int('batch_dims', 0);
  if (k > data.length) fail('GatherND indices reach past the rank of data');
  ctx.out(0, ctx.dtype(0), [...idx.slice(0, -1), ...data.slice(k)]);
};

const concat: ShapeRule = (ctx) => {
  const dtype = ctx.dtype(0);
  const shapes = ctx.node.inputs.map((_, i) => ctx.shape(i));
  const known = shapes.filter((s): s is readonly Dim[] => s !== null);
  if (known.length === 0) return ctx.out(0, dtype, null);
  const rank = known[0]!.length;
  const axis = normAxis(ctx.int('axis') ?? fail('Concat needs an axis'), rank);
  const out: Dim[] = new Array<Dim>(rank).fill(null);
  let length: Dim = known.length === shapes.length ? 0 : null;
  for (const s of known) {
    if (s.length !== rank) fail(`Concat inputs have ranks ${rank} and ${s.length}`);
    for (let j = 0; j < rank; j++) {
      if (j === axis) length = typeof length === 'number' && typeof s[j] === 'number' ? length + (s[j] as number) : null;
      else out[j] = unifyDim(out[j]!, s[j]!, `Concat dim ${j}`);
    }
  }
  out[axis] = known.length === 1 && shapes.length === 1 ? known[0]![axis]! : length;
  ctx.out(0, dtype, out);
  // Joining shape vectors.
  if (rank !== 1 || known.length !== shapes.length) return;
  const parts: Dim[] = [];
  for (let i = 0; i < shapes.length; i++) {
    const e = smallData(ctx, i);
    if (e === undefined) return;
    parts.push(...e);
  }
  ctx.outData(0, parts);
};

const split: ShapeRule = (ctx) => {
  const dtype = ctx.dtype(0);
  const n = ctx.outputCount;
  const s = ctx.shape(0);
  if (s === null) return ctx.node.outputs.forEach((_, i) => ctx.out(i, dtype, null));
  const axis = normAxis(ctx.int('axis', 0), s.length);
  const d = s[axis]!;
  // Opset 1 took `split` from the attribute or from input 1; 2..12 the attribute; 13+ input 1.
  const given = ctx.opset >= 13 || (ctx.opset < 2 && ctx.has(1)) ? (ctx.has(1) ? ctx.ints(1) ?? null : undefined) : ctx.intList('split');
  let sizes: Dim[];
  if (given === null) {
    sizes = new Array<Dim>(n).fill(null);
  } else if (given !== undefined) {
    if (given.length !== n) fail(`Split has ${given.length} sizes for ${n} outputs`);
    if (typeof d === 'number' && given.reduce((a, b) => a + b, 0) !== d) fail(`Split sizes do not add up to ${d}`);
    sizes = [...given];
  } else if (typeof d !== 'number') {
    sizes = new Array<Dim>(n).fill(null);
  } else if (ctx.opset >= 18 && ctx.int('num_outputs') !== undefined) {
    const chunk = Math.ceil(d / n);
    sizes = Array.from({ length: n }, (_, i) => (i < n - 1 ? chunk : d - chunk * (n - 1)));
  } else {
    if (d % n !== 0) fail(`dim ${d} does not split evenly into ${n}`);
    sizes = new Array<Dim>(n).fill(d / n);
  }
  sizes.forEach((size, i) => ctx.out(i, dtype, s.map((x, j) => (j === axis ? size : x))));
};

const pad: ShapeRule = (ctx) => {
  const dtype = ctx.dtype(0);
  const s = ctx.shape(0);
  if (s === null) return ctx.out(0, dtype, null);
  const pads = ctx.opset < 11 ? (ctx.intList(ctx.opset < 2 ? 'paddings' : 'pads') ?? null) : ctx.ints(1) ?? null;
  if (pads === null) return ctx.out(0, dtype, s.map(() => null));
  const axes = ctx.opset >= 18 && ctx.has(3) ? ctx.ints(3) : undefined;
  if (ctx.opset >= 18 && ctx.has(3) && axes === undefined) return ctx.out(0, dtype, s.map(() => null));
  const ax = axes ? normAxes(axes, s.length) : s.map((_, i) => i);
  if (pads.length !== 2 * ax.length) fail(`Pad has ${pads.length} pads for ${ax.length} axes`);
  const out: Dim[] = [...s];
  ax.forEach((a, k) => {
    out[a] = addDim(s[a]!, pads[k]! + pads[k + ax.length]!);
  });
  ctx.out(0, dtype, out);
};

const topK: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const dtype = ctx.dtype(0);
  if (s === null) {
    ctx.out(0, dtype, null);
    return ctx.out(1, 'int64', null);
  }
  const axis = normAxis(ctx.int('axis', -1), s.length);
  const k = ctx.opset < 10 ? ctx.int('k') : scalarInt(ctx, 1);
  const d = s[axis]!;
  if (k !== undefined && typeof d === 'number' && d < k) fail(`TopK asks for ${k} of ${d} elements`);
  // The kernel fails unless the axis holds at least k elements, so the output holds exactly k.
  const out = s.map((x, i) => (i === axis ? k ?? null : x));
  ctx.out(0, dtype, out);
  ctx.out(1, 'int64', out);
};

const unique: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const axisAttr = ctx.int('axis');
  let axis: number | undefined;
  if (axisAttr !== undefined && s !== null) axis = normAxis(axisAttr, s.length);
  const y = axisAttr === undefined ? [null] : s === null ? null : s.map((d, i) => (i === axis ? null : d));
  ctx.out(0, ctx.dtype(0), y);
  ctx.out(1, 'int64', [null]);
  // inverse_indices has one entry per input element (per slice along the axis).
  const inverse: Dim = s === null ? null : axis !== undefined ? s[axis]! : s.reduce<Dim>((a, b) => (typeof a === 'number' && typeof b === 'number' ? a * b : null), 1);
  ctx.out(2, 'int64', [inverse]);
  ctx.out(3, 'int64', [null]);
};

const compress: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const axisAttr = ctx.int('axis');
  const axis = axisAttr === undefined || s === null ? undefined : normAxis(axisAttr, s.length);
  // A known condition selects a known number of slices (it may be shorter than the axis).
  let kept: Dim = null;
  const cond = ctx.mayKnow(1) ? ctx.data(1) : undefined;
  const len = axis === undefined ? (s === null ? null : productOf(s)) : s![axis]!;
  if (cond !== undefined && typeof len === 'number' && cond.every((x) => typeof x === 'number')) {
    kept = cond.slice(0, len).filter((x) => x !== 0).length;
  }
  if (axisAttr === undefined) return ctx.out(0, ctx.dtype(0), [kept]);
  if (s === null) return ctx.out(0, ctx.dtype(0), null);
  ctx.out(0, ctx.dtype(0), s.map((d, i) => (i === axis ? kept : d)));
};

const nonZero: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  // A known input has a known number of non-zero elements.
  const e = ctx.mayKnow(0) ? ctx.data(0) : undefined;
  const count = e !== undefined && e.every((x) => typeof x === 'number') ? e.filter((x) => x !== 0).length : null;
  ctx.out(0, 'int64', [s?.length ?? null, count]);
};

const sameAsData = (ctx: NodeContext): void => ctx.out(0, ctx.dtype(0), ctx.shape(0));

export const tensorIndexRules: RuleTable = {
  Slice: slice,
  Gather: gather,
  GatherElements: (ctx) => ctx.out(0, ctx.dtype(0), ctx.shape(1)),
  GatherND: gatherND,
  Scatter: sameAsData,
  ScatterElements: sameAsData,
  ScatterND: sameAsData,
  Concat: concat,
  Split: split,
  Pad: pad,
  TopK: topK,
  Unique: unique,
  Compress: compress,
  NonZero: nonZero,
};
