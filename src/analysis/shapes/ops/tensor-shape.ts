import type { DType } from '../../../ir/dtype.js';
import { dtypeFromOnnx } from '../../../formats/onnx/dtypes.js';
import type { Dim } from '../../../ir/shape.js';
import type { NodeContext, RuleTable, ShapeRule } from '../context.js';
import { tensorElements, DATA_LIMIT } from '../data.js';
import { broadcastShapes, fail, mulDim, normAxes, normAxis, productOf } from '../dims.js';
import { intsArg, scalarInt, shapeArg, smallData } from './common.js';
import { reshapeDims } from './reshape.js';

/** Ops that rearrange a tensor's dims: reshape, flatten, (un)squeeze, transpose, expand, tile, shape. */

const reshape: ShapeRule = (ctx) => {
  const target = ctx.opset < 5 ? ctx.intList('shape')?.slice() : shapeArg(ctx, 1);
  const allowzero = ctx.opset >= 14 ? ctx.int('allowzero', 0) : 0;
  ctx.out(0, ctx.dtype(0), target === undefined ? null : reshapeDims(ctx.shape(0), target, allowzero !== 0));
  passData(ctx);
};

/** Ops that keep the elements in order pass them on. */
function passData(ctx: NodeContext): void {
  const e = smallData(ctx, 0);
  if (e !== undefined) ctx.outData(0, e);
}

const flatten: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  if (s === null) return ctx.out(0, ctx.dtype(0), null);
  let axis = ctx.int('axis', 1);
  if (axis < 0) axis += s.length;
  if (axis < 0 || axis > s.length) fail(`axis ${ctx.int('axis', 1)} is out of range for rank ${s.length}`);
  ctx.out(0, ctx.dtype(0), [productOf(s.slice(0, axis)), productOf(s.slice(axis))]);
  passData(ctx);
};

const squeeze: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const axes = intsArg(ctx, 1, 13, 'axes');
  // Unknown axes: even the rank is unknown (Squeeze tolerates a repeated axis).
  if (s === null || axes === null) return ctx.out(0, ctx.dtype(0), null);
  let out: Dim[];
  if (axes === undefined) {
    // Without axes every 1 goes: a symbol might be 1, so nothing is known.
    if (!s.every((d) => typeof d === 'number')) return ctx.out(0, ctx.dtype(0), null);
    out = s.filter((d) => d !== 1);
  } else {
    const drop = new Set(normAxes(axes, s.length));
    for (const a of drop) if (typeof s[a] === 'number' && s[a] !== 1) fail(`cannot squeeze dim ${a} of size ${s[a]}`);
    out = s.filter((_, i) => !drop.has(i));
  }
  ctx.out(0, ctx.dtype(0), out);
  passData(ctx);
};

/** The static length of an axes input (input 1), NaN when unknown. */
export function axesCount(ctx: NodeContext): number {
  const s = ctx.shape(1);
  return s !== null && s.length === 1 && typeof s[0] === 'number' ? s[0] : NaN;
}

/** `rank` unknown dims, or an unknown shape when the rank is not a count. */
export function rankOnly(rank: number): Dim[] | null {
  return Number.isInteger(rank) && rank >= 0 ? new Array<Dim>(rank).fill(null) : null;
}

const unsqueeze: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const axes = intsArg(ctx, 1, 13, 'axes');
  if (s === null || axes === undefined) return ctx.out(0, ctx.dtype(0), null);
  // Unknown axes of known count (Unsqueeze forbids repeats): the rank is known.
  if (axes === null) return ctx.out(0, ctx.dtype(0), rankOnly(s.length + axesCount(ctx)));
  const rank = s.length + axes.length;
  const ones = new Set(normAxes(axes, rank));
  const out: Dim[] = [];
  for (let i = 0, j = 0; i < rank; i++) out.push(ones.has(i) ? 1 : s[j++]!);
  ctx.out(0, ctx.dtype(0), out);
  passData(ctx);
};

const transpose: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  if (s === null) return ctx.out(0, ctx.dtype(0), null);
  const perm = ctx.intList('perm') ?? s.map((_, i) => s.length - 1 - i);
  if (perm.length !== s.length) fail(`perm has ${perm.length} entries for rank ${s.length}`);
  const seen = new Set<number>();
  for (const p of perm) {
    if (!Number.isInteger(p) || p < 0 || p >= s.length || seen.has(p)) fail(`perm [${perm.join(',')}] is not a permutation`);
    seen.add(p);
  }
  ctx.out(0, ctx.dtype(0), perm.map((p) => s[p]!));
  if (s.length <= 1) passData(ctx);
};

const expand: ShapeRule = (ctx) => {
  const target = shapeArg(ctx, 1);
  const s = ctx.shape(0);
  ctx.out(0, ctx.dtype(0), target === undefined || s === null ? null : broadcastShapes([s, target])!);
};

const tile: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  if (s === null) return ctx.out(0, ctx.dtype(0), null);
  const repeats = ctx.opset < 6 ? undefined : ctx.ints(1);
  if (repeats === undefined) return ctx.out(0, ctx.dtype(0), s.map(() => null));
  if (repeats.length !== s.length) fail(`repeats has ${repeats.length} values for rank ${s.length}`);
  ctx.out(0, ctx.dtype(0), s.map((d, i) => mulDim(d, repeats[i]!)));
};

const shape: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  if (s === null) return ctx.out(0, 'int64', [null]);
  const r = s.length;
  const clampAxis = (a: number): number => Math.min(Math.max(a < 0 ? a + r : a, 0), r);
  const start = ctx.opset >= 15 ? clampAxis(ctx.int('start', 0)) : 0;
  const end = ctx.opset >= 15 ? clampAxis(ctx.int('end', r)) : r;
  const dims = s.slice(start, Math.max(start, end));
  ctx.out(0, 'int64', [dims.length]);
  ctx.outData(0, dims);
};

const size: ShapeRule = (ctx) => {
  ctx.out(0, 'int64', []);
  const s = ctx.shape(0);
  if (s !== null) {
    const n = productOf(s);
    if (n !== null) ctx.outData(0, [n]);
  }
};

const constantOfShape: ShapeRule = (ctx) => {
  const value = ctx.attr('value');
  const tensor = value?.type === 'tensor' ? value.value : undefined;
  const dtype: DType = tensor?.dtype ?? 'float32';
  const dims = shapeArg(ctx, 0);
  ctx.out(0, dtype, dims ?? null);
  if (dims === undefined || !dims.every((d): d is number => typeof d === 'number')) return;
  const n = dims.reduce((a, b) => a * b, 1);
  if (n > DATA_LIMIT) return;
  const fill = tensor === undefined ? 0 : tensorElements(tensor, 1)?.[0];
  if (fill !== undefined) ctx.outData(0, new Array<Dim>(n).fill(fill));
};

const constant: ShapeRule = (ctx) => {
  const set = (dtype: DType, dims: number[], data?: readonly Dim[]): void => {
    ctx.out(0, dtype, dims);
    if (data !== undefined) ctx.outData(0, data);
  };
  for (const [name, a] of ctx.node.attrs) {
    switch (name) {
      case 'value':
        if (a.type !== 'tensor') break;
        ctx.outTensor(0, a.value);
        return set(a.value.dtype, [...a.value.dims]);
      case 'value_int':
        return set('int64', [], a.type === 'int' ? [a.value] : undefined);
      case 'value_float':
        return set('float32', [], a.type === 'float' ? [a.value] : undefined);
      case 'value_ints':
        if (a.type === 'ints') return set('int64', [a.value.length], a.value);
        break;
      case 'value_floats':
        if (a.type === 'floats') return set('float32', [a.value.length], a.value);
        break;
      case 'value_string':
        return set('string', []);
      case 'value_strings':
        if (a.type === 'strings') return set('string', [a.value.length]);
        break;
      default:
        break;
    }
  }
};

const range: ShapeRule = (ctx) => {
  const dtype = ctx.dtype(0);
  const [start, limit, delta] = [0, 1, 2].map((i) => {
    const e = ctx.data(i, 1);
    return e?.length === 1 && typeof e[0] === 'number' ? e[0] : undefined;
  });
  if (start === undefined || limit === undefined || delta === undefined) return ctx.out(0, dtype, [null]);
  if (delta === 0) fail('Range delta is 0');
  // float32 inputs count in float32, as the kernel does
  const f = dtype === 'float32' ? Math.fround : (x: number): number => x;
  const n = Math.max(Math.ceil(f(f(limit - start) / delta)), 0);
  ctx.out(0, dtype, [n]);
  if (n <= DATA_LIMIT) ctx.outData(0, Array.from({ length: n }, (_, i) => f(start + i * delta)));
};

const eyeLike: ShapeRule = (ctx) => {
  const code = ctx.int('dtype');
  ctx.out(0, code === undefined ? ctx.dtype(0) : dtypeFromOnnx(code), ctx.shapeOfRank(0, 2));
};

const oneHot: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  if (s === null) return ctx.out(0, ctx.dtype(2), null);
  if (s.length < 1) fail('OneHot indices must have rank >= 1');
  const axis = normAxis(ctx.int('axis', -1), s.length + 1);
  const depth = scalarInt(ctx, 1) ?? null;
  ctx.out(0, ctx.dtype(2), [...s.slice(0, axis), depth, ...s.slice(axis)]);
};

/** DepthToSpace (factor -1) and SpaceToDepth (factor 1): channels scale by b², H and W by 1/b. */
function blocks(toDepth: boolean): ShapeRule {
  return (ctx) => {
    const b = ctx.int('blocksize', 0);
    if (b <= 0) fail('blocksize must be positive');
    const s = ctx.shapeOfRank(0, 4);
    if (s === null) return ctx.out(0, ctx.dtype(0), null);
    const div = (d: Dim, k: number): Dim => (typeof d === 'number' ? Math.floor(d / k) : k === 1 ? d : null);
    const [n, c, h, w] = s as [Dim, Dim, Dim, Dim];
    ctx.out(0, ctx.dtype(0), toDepth
      ? [n, mulDim(c, b * b), div(h, b), div(w, b)]
      : [n, div(c, b * b), mulDim(h, b), mulDim(w, b)]);
  };
}

export const tensorShapeRules: RuleTable = {
  Reshape: reshape,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transpose,
  Expand: expand,
  Tile: tile,
  Shape: shape,
  Size: size,
  ConstantOfShape: constantOfShape,
  Constant: constant,
  Range: range,
  EyeLike: eyeLike,
  OneHot: oneHot,
  DepthToSpace: blocks(false),
  SpaceToDepth: blocks(true),
};
