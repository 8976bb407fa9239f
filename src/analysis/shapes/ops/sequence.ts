import type { DType } from '../../../ir/dtype.js';
import { dtypeFromOnnx } from '../../../formats/onnx/dtypes.js';
import type { Dim, Shape } from '../../../ir/shape.js';
import type { ValueType } from '../../../ir/types.js';
import type { NodeContext, RuleTable, ShapeRule, TensorFacts } from '../context.js';
import { fail, normAxis, unionShapes } from '../dims.js';
import { unionTypes } from '../merge.js';

/** Sequences and optionals: element types are carried; lengths are not known. */

function seqOf(elem: ValueType | null): ValueType {
  return { kind: 'sequence', elem };
}

function tensor(dtype: DType, shape: Shape): ValueType {
  return { kind: 'tensor', dtype, shape };
}

/** The element type of a sequence input. */
function elemOf(ctx: NodeContext, i: number): ValueType | null {
  const t = ctx.type(i);
  return t?.kind === 'sequence' ? t.elem : null;
}

function elemTensor(ctx: NodeContext, i: number): TensorFacts {
  const e = elemOf(ctx, i);
  return e !== null && e.kind === 'tensor' ? e : { dtype: 'unknown', shape: null };
}

const sequenceEmpty: ShapeRule = (ctx) => {
  ctx.outType(0, seqOf(tensor(dtypeFromOnnx(ctx.int('dtype', 1)), null)));
};

const sequenceConstruct: ShapeRule = (ctx) => {
  let elem: ValueType | null = ctx.type(0);
  for (let i = 1; i < ctx.inputCount; i++) elem = unionTypes(elem, ctx.type(i));
  ctx.outType(0, seqOf(elem ?? tensor(ctx.dtype(0), null)));
};

const sequenceInsert: ShapeRule = (ctx) => {
  const e = elemTensor(ctx, 0);
  const dtype = e.dtype !== 'unknown' ? e.dtype : ctx.dtype(1);
  if (e.dtype !== 'unknown' && ctx.dtype(1) !== 'unknown' && e.dtype !== ctx.dtype(1)) {
    fail('SequenceInsert element types differ');
  }
  ctx.outType(0, seqOf(tensor(dtype, unionShapes(e.shape, ctx.shape(1)))));
};

const splitToSequence: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const dtype = ctx.dtype(0);
  if (s === null) return ctx.outType(0, seqOf(tensor(dtype, null)));
  const axis = normAxis(ctx.int('axis', 0), s.length);
  if (!ctx.has(1)) {
    const keep = ctx.int('keepdims', 1) === 1;
    const shape = keep ? s.map((d, i) => (i === axis ? 1 : d)) : s.filter((_, i) => i !== axis);
    return ctx.outType(0, seqOf(tensor(dtype, shape)));
  }
  // A scalar split that divides the dim evenly, or equal sizes, give every piece that length.
  const d = s[axis]!;
  const sizes = ctx.ints(1);
  let piece: Dim = null;
  if (sizes !== undefined && sizes.length > 0 && typeof d === 'number') {
    if (ctx.rank(1) === 0) piece = d % sizes[0]! === 0 ? sizes[0]! : null;
    else if (sizes.every((x) => x === sizes[0])) piece = sizes[0]!;
  }
  ctx.outType(0, seqOf(tensor(dtype, s.map((x, i) => (i === axis ? piece : x)))));
};

const concatFromSequence: ShapeRule = (ctx) => {
  const e = elemTensor(ctx, 0);
  if (e.shape === null) return ctx.out(0, e.dtype, null);
  const newAxis = ctx.int('new_axis', 0) === 1;
  const rank = e.shape.length + (newAxis ? 1 : 0);
  const axis = normAxis(ctx.int('axis') ?? fail('ConcatFromSequence needs an axis'), rank);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) out.push(i === axis ? null : e.shape[newAxis && i > axis ? i - 1 : i]!);
  ctx.out(0, e.dtype, out);
};

const sequenceMap: ShapeRule = (ctx) => {
  const g = ctx.graph('body') ?? fail('SequenceMap has no body');
  const inputs = ctx.node.inputs.map((_, i) => {
    const t = ctx.type(i);
    return t?.kind === 'sequence' ? t.elem : t;
  });
  const out = ctx.inferSubgraph(g, inputs);
  if (out.length !== ctx.outputCount) fail(`SequenceMap body gives ${out.length} outputs for ${ctx.outputCount}`);
  out.forEach((t, i) => ctx.outType(i, seqOf(t)));
};

const optional: ShapeRule = (ctx) => {
  const a = ctx.attr('type');
  const elem = ctx.inputCount > 0 && ctx.has(0) ? ctx.type(0) : a?.type === 'type' ? a.value : null;
  ctx.outType(0, { kind: 'optional', elem });
};

const optionalGetElement: ShapeRule = (ctx) => {
  const t = ctx.type(0);
  // From opset 18 a plain tensor or sequence passes through.
  ctx.outType(0, t?.kind === 'optional' ? t.elem : t);
};

export const sequenceRules: RuleTable = {
  SequenceEmpty: sequenceEmpty,
  SequenceConstruct: sequenceConstruct,
  SequenceInsert: sequenceInsert,
  SequenceErase: (ctx) => ctx.outType(0, ctx.type(0)),
  SequenceAt: (ctx) => ctx.outType(0, elemOf(ctx, 0)),
  SequenceLength: (ctx) => ctx.out(0, 'int64', []),
  SplitToSequence: splitToSequence,
  ConcatFromSequence: concatFromSequence,
  SequenceMap: sequenceMap,
  Optional: optional,
  OptionalGetElement: optionalGetElement,
  OptionalHasElement: (ctx) => ctx.out(0, 'bool', []),
};
