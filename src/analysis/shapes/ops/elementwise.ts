import type { DType } from '../../../ir/dtype.js';
import { dtypeFromOnnx } from '../../../formats/onnx/dtypes.js';
import type { Shape } from '../../../ir/shape.js';
import { BINARY, castElement, knownInputs, mapBroadcast, UNARY } from '../arith.js';
import type { NodeContext, RuleTable, ShapeRule } from '../context.js';
import { broadcastShapes, normAxis } from '../dims.js';

/** Element-wise ops: same shape as the input, or the inputs broadcast together. */

/** Output 0 has input 0's type and shape; propagates elements through `UNARY[op]` when defined. */
const sameAsInput: ShapeRule = (ctx) => {
  ctx.out(0, ctx.dtype(0), ctx.shape(0));
  propagate(ctx);
};

/** Output 0 is bool with input 0's shape. */
const boolSameShape: ShapeRule = (ctx) => {
  ctx.out(0, 'bool', ctx.shape(0));
  propagate(ctx);
};

function propagate(ctx: NodeContext): void {
  const op = ctx.node.op;
  const unary = UNARY[op];
  const binary = BINARY[op];
  if (unary === undefined && binary === undefined) return;
  const known = knownInputs(ctx);
  if (known === undefined || known.data.length === 0) return;
  const inDtype = ctx.dtype(0);
  const e = unary !== undefined
    ? mapBroadcast(known.shapes.slice(0, 1), known.data.slice(0, 1), ([a]) => unary(a ?? null, inDtype))
    : mapBroadcast(known.shapes, known.data, (xs) => xs.reduce((a, b) => binary!(a, b, inDtype)));
  if (e !== undefined) ctx.outData(0, e);
}

/** Binary and variadic broadcasting ops; `dtype` picks the output element type. */
function broadcasting(dtype: (ctx: NodeContext) => DType, legacyBefore = 7): ShapeRule {
  return (ctx) => {
    const out = dtype(ctx);
    // Before opset 7 (8 for Max/Min/Sum/Mean) the output took the first input's shape.
    if (ctx.opset < legacyBefore) {
      ctx.out(0, out, ctx.shape(0));
      return;
    }
    const shapes: Shape[] = [];
    for (let i = 0; i < ctx.inputCount; i++) if (ctx.has(i)) shapes.push(ctx.shape(i));
    ctx.out(0, out, broadcastShapes(shapes) ?? null);
    propagate(ctx);
  };
}

const firstDtype = (ctx: NodeContext): DType => ctx.dtype(0);
const bool = (): DType => 'bool';

const cast: ShapeRule = (ctx) => {
  const to = dtypeFromOnnx(ctx.int('to'));
  ctx.out(0, to, ctx.shape(0));
  const known = knownInputs(ctx);
  if (known !== undefined) ctx.outData(0, known.data[0]!.map((x) => castElement(x, to)));
};

const castLike: ShapeRule = (ctx) => {
  const to = ctx.dtype(1);
  ctx.out(0, to, ctx.shape(0));
};

/** Softmax family: same shape; the axis must fit the rank (checked from opset 13 as ONNX does). */
const softmaxLike: ShapeRule = (ctx) => {
  const shape = ctx.shape(0);
  if (shape !== null && ctx.opset >= 13) normAxis(ctx.int('axis', -1), shape.length);
  ctx.out(0, ctx.dtype(0), shape);
};

const dropout: ShapeRule = (ctx) => {
  ctx.out(0, ctx.dtype(0), ctx.shape(0));
  if (ctx.outputCount > 1) ctx.out(1, ctx.opset >= 10 ? 'bool' : ctx.dtype(0), ctx.shape(0));
  if (ctx.mayKnow(0)) propagateIdentity(ctx);
};

/** Any type passes through (tensors, sequences, optionals), and so do known elements. */
const identity: ShapeRule = (ctx) => {
  ctx.outType(0, ctx.type(0));
  propagateIdentity(ctx);
};

function propagateIdentity(ctx: NodeContext): void {
  const t = ctx.constantTensor(0);
  if (t !== undefined) return ctx.outTensor(0, t);
  if (!ctx.mayKnow(0)) return;
  const e = ctx.data(0, 64);
  if (e !== undefined) ctx.outData(0, e);
}

/** Bernoulli, RandomUniformLike, RandomNormalLike: the input's shape, dtype from `dtype` or the input. */
const randomLike: ShapeRule = (ctx) => {
  const code = ctx.int('dtype');
  ctx.out(0, code === undefined ? ctx.dtype(0) : dtypeFromOnnx(code), ctx.shape(0));
};

const UNARY_OPS = [
  'Abs', 'Acos', 'Acosh', 'Asin', 'Asinh', 'Atan', 'Atanh', 'Ceil', 'Cos', 'Cosh', 'Erf', 'Exp', 'Floor', 'Log',
  'Neg', 'Reciprocal', 'Round', 'Sign', 'Sin', 'Sinh', 'Sqrt', 'Tan', 'Tanh', 'Relu', 'Sigmoid', 'Softplus',
  'Softsign', 'Elu', 'Selu', 'Celu', 'LeakyRelu', 'HardSigmoid', 'HardSwish', 'ThresholdedRelu', 'Shrink',
  'Mish', 'Gelu', 'Clip', 'PRelu', 'CumSum', 'Trilu', 'ReverseSequence', 'BitwiseNot',
];

export const elementwiseRules: RuleTable = {
  ...Object.fromEntries(UNARY_OPS.map((op) => [op, sameAsInput])),
  Identity: identity,
  Not: boolSameShape,
  IsNaN: (ctx) => ctx.out(0, 'bool', ctx.shape(0)),
  IsInf: (ctx) => ctx.out(0, 'bool', ctx.shape(0)),
  Cast: cast,
  CastLike: castLike,
  Softmax: softmaxLike,
  LogSoftmax: softmaxLike,
  Hardmax: softmaxLike,
  Dropout: dropout,
  Bernoulli: randomLike,
  RandomUniformLike: randomLike,
  RandomNormalLike: randomLike,
  ...Object.fromEntries(
    ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor']
      .map((op) => [op, broadcasting(firstDtype)]),
  ),
  ...Object.fromEntries(['Max', 'Min', 'Sum', 'Mean'].map((op) => [op, broadcasting(firstDtype, 8)])),
  ...Object.fromEntries(
    ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor'].map((op) => [op, broadcasting(bool)]),
  ),
  Where: (ctx) => {
    const shape = broadcastShapes([ctx.shape(0), ctx.shape(1), ctx.shape(2)]) ?? null;
    ctx.out(0, ctx.dtype(1), shape);
    const known = knownInputs(ctx);
    if (known === undefined) return;
    const e = mapBroadcast(known.shapes, known.data, ([c, x, y]) => (c === 1 ? x! : c === 0 ? y! : x === y ? x! : null));
    if (e !== undefined) ctx.outData(0, e);
  },
};
