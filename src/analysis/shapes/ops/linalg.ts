import type { DType } from '../../../ir/dtype.js';
import type { Dim } from '../../../ir/shape.js';
import type { NodeContext, RuleTable, ShapeRule } from '../context.js';
import { broadcastShapes, fail, unifyDim } from '../dims.js';
import { einsumDims } from './einsum.js';

/** Matrix products: MatMul (numpy semantics), Gemm, Einsum, Det. */

/** MatMul's output dims from its operands' shapes. */
function matmulDims(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  if (a.length === 0 || b.length === 0) fail('MatMul operands must have rank >= 1');
  const l = a.length === 1 ? [1, a[0]!] : a;
  const r = b.length === 1 ? [b[0]!, 1] : b;
  unifyDim(l[l.length - 1]!, r[r.length - 2]!, 'MatMul inner dims');
  const prefix = broadcastShapes([l.slice(0, -2), r.slice(0, -2)])!;
  if (a.length !== 1) prefix.push(l[l.length - 2]!);
  if (b.length !== 1) prefix.push(r[r.length - 1]!);
  return prefix;
}

/** MatMul, MatMulInteger, QLinearMatMul: operands at `x`, `y`; output dtype from `dtype`. */
function matmul(x: number, y: number, dtype: (ctx: NodeContext) => DType): ShapeRule {
  return (ctx) => {
    const a = ctx.shape(x);
    const b = ctx.shape(y);
    ctx.out(0, dtype(ctx), a === null || b === null ? null : matmulDims(a, b));
  };
}

const gemm: ShapeRule = (ctx) => {
  const a = ctx.shapeOfRank(0, 2);
  const b = ctx.shapeOfRank(1, 2);
  const transA = ctx.int('transA', 0) !== 0;
  const transB = ctx.int('transB', 0) !== 0;
  // Gemm before opset 7 could not broadcast C, but the output is (M, N) either way.
  ctx.out(0, ctx.dtype(0), a === null && b === null ? null : [
    a === null ? null : a[transA ? 1 : 0]!,
    b === null ? null : b[transB ? 0 : 1]!,
  ]);
};

const det: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  if (s === null) return ctx.out(0, ctx.dtype(0), null);
  if (s.length < 2) fail('Det input must have rank >= 2');
  unifyDim(s[s.length - 1]!, s[s.length - 2]!, 'Det matrix dims');
  ctx.out(0, ctx.dtype(0), s.slice(0, -2));
};

const einsum: ShapeRule = (ctx) => {
  const shapes = ctx.node.inputs.map((_, i) => ctx.shape(i));
  const eq = ctx.string('equation', '');
  ctx.out(0, ctx.dtype(0), eq === '' ? null : einsumDims(eq, shapes));
};

export const linalgRules: RuleTable = {
  MatMul: matmul(0, 1, (ctx) => ctx.dtype(0)),
  MatMulInteger: matmul(0, 1, () => 'int32'),
  QLinearMatMul: matmul(0, 3, (ctx) => ctx.dtype(7)),
  Gemm: gemm,
  Det: det,
  Einsum: einsum,
};
