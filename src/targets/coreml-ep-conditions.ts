import { attrFloat, attrInt, attrInts, attrString } from '../ir/attribute.js';
import type { Node, Value } from '../ir/graph.js';
import type { OnnxShapeGaps } from '../analysis/ort-optimizations/onnx-shape-gaps.js';
import type { CoremlFormat } from './coreml-ep-ops.js';
import { castCheck, clipCheck, convCheck, convTransposeCheck, gemmCheck, padCheck, resizeCheck, shapeCheck, sliceCheck, splitCheck } from './coreml-ep-op-checks.js';

/**
 * The per-node checks of ONNX Runtime's Core ML provider beyond the op-type gate
 * (coreml-ep-ops.ts): BaseOpBuilder::IsOpSupported — the builder's opset range, every input's
 * shape (helper.cc IsInputSupported: known shape, no dynamic dim in static-shape mode, no zero
 * dim, rank ≤ 5; E2), input 0's element type (E3), then the builder's own conditions
 * (IsOpSupportedImpl / HasSupportedInputsImpl; E4, E5). Read from
 * onnxruntime/core/providers/coreml/builders/impl/*_op_builder.cc at the commit in
 * coreml-ep-ops.ts and written down in our words. A check returns undefined when the node
 * passes, or why it fails with the fact that says so.
 */
export interface Failure {
  readonly reason: string;
  readonly fact: string;
  readonly code: string;
}

export interface CheckContext {
  readonly format: CoremlFormat;
  /** The provider's RequireStaticInputShapes / only_allow_static_input_shapes. */
  readonly staticShapes: boolean;
  /** The node's schema since-version (HasSupportedOpSet). */
  readonly sinceVersion: number | undefined;
  /** A constant initializer in the judged graph (GetConstantInitializer). */
  isConstant(v: Value | null | undefined): boolean;
  /** Elements of a small constant. */
  numbers(v: Value | null | undefined): readonly number[] | undefined;
  /**
   * Where ONNX Runtime's own shape inference knows less than graphlint's (the ONNX inference
   * gaps, onnx-shape-gaps.ts): no shape at all, or a rank with unknown dims.
   */
  readonly gaps?: OnnxShapeGaps;
}



export const fail = (reason: string, fact: string, code: string): Failure => ({ reason, fact, code });

export type Shape = readonly number[]; // -1 for a dynamic dim

/** GetShape: the dims with -1 for dynamic ones, or undefined when the value has no shape. */
export function shapeOf(v: Value | null | undefined, ctx: CheckContext): Shape | undefined {
  const t = v?.type;
  if (!t || t.kind !== 'tensor' || t.shape === null) return undefined;
  if (v && v.producer !== null && ctx.gaps?.shapeless.has(v)) return undefined;
  if (v && ctx.gaps?.dynamic.has(v)) return t.shape.map(() => -1);
  return t.shape.map((d) => (typeof d === 'number' ? d : -1));
}

export function dtype(v: Value | null | undefined): string | undefined {
  const t = v?.type;
  return t && t.kind === 'tensor' ? t.dtype : undefined;
}

export const isStatic = (s: Shape): boolean => s.every((d) => d >= 0);

/** Builder opset floors (GetMinSupportedOpSet); the ceiling is 25 for all. */
const MIN_OPSET: Readonly<Record<string, number>> = {
  Sigmoid: 6, Tanh: 6, Relu: 6, PRelu: 6, LeakyRelu: 6, Gelu: 6, Elu: 6, Softplus: 1,
  Add: 7, Sub: 7, Mul: 7, Div: 7, Pow: 7, Max: 7, BatchNormalization: 7, Reshape: 5, Resize: 11,
  Slice: 10, Pad: 11, Split: 13,
};

/** Ops whose builder accepts empty (zero-element) inputs. */
const ALLOW_EMPTY = new Set(['Resize']);

/** Builders that check input 0's type themselves (HasSupportedInputsImpl overrides). */
const OWN_DTYPE_CHECK = new Set(['Cast', 'Gather', 'Shape', 'Slice', 'LayerNormalization', 'InstanceNormalization', 'GroupNormalization']);

export function checkBuilder(n: Node, ctx: CheckContext): Failure | undefined {
  const ml = ctx.format === 'mlprogram';
  const v = ctx.sinceVersion;
  const min = MIN_OPSET[n.op] ?? 1;
  if (v !== undefined && (v < min || v > 25)) {
    return fail(`its builder supports ${n.op} from opset ${min} (this node is ${n.op}-${v})`, 'E5', 'opset');
  }
  for (const input of n.inputs) {
    if (!input) continue; // an omitted optional input is fine
    const s = shapeOf(input, ctx);
    if (!s) return fail(`input ${input.name} has no known shape`, 'E2', 'no-shape');
    if (ctx.staticShapes && !isStatic(s)) {
      return fail(`input ${input.name} has a dynamic shape [${s.map((d) => (d < 0 ? '?' : d)).join(',')}] (fix it with --input-shape)`, 'E2', 'dynamic-shape');
    }
    if (!ALLOW_EMPTY.has(n.op) && s.includes(0)) return fail(`input ${input.name} has a zero dimension`, 'E2', 'zero-dim');
    if (s.length > 5) return fail(`input ${input.name} has rank ${s.length}, above 5`, 'E2', 'rank');
  }
  if (!OWN_DTYPE_CHECK.has(n.op)) {
    const t = dtype(n.inputs[0]);
    const ok = t === 'float32' || (ml && (t === 'float16' || t === 'int64'));
    if (!ok) {
      return fail(`input 0 is ${t ?? 'of unknown type'}; the provider takes float32${ml ? ', float16 or int64' : ' only (float16 and int64 need an ML Program)'}`, 'E3', 'dtype');
    }
  }
  return opConditions(n, ctx, ml);
}

function opConditions(n: Node, ctx: CheckContext, ml: boolean): Failure | undefined {
  const x = shapeOf(n.inputs[0], ctx);
  const e5 = (why: string, code = 'condition'): Failure => fail(why, 'E5', code);
  const notConst = (i: number, what: string): Failure | undefined =>
    n.inputs[i] && !ctx.isConstant(n.inputs[i]) ? e5(`${what} is not a constant initializer`, 'constant-input') : undefined;
  switch (n.op) {
    case 'PRelu': {
      if (!x || (x.length !== 3 && x.length !== 4)) return e5('PRelu needs an input of rank 3 or 4');
      if (x[x.length - 3] === -1) return e5('PRelu needs a known channel dimension');
      if (!ctx.isConstant(n.inputs[1])) return e5('the slope is not a constant initializer', 'constant-input');
      const s = shapeOf(n.inputs[1], ctx);
      if (!s || !isStatic(s)) return e5('the slope has no static shape');
      const perChannel = s.length === 3 && s[1] === 1 && s[2] === 1;
      const single = s.reduce((a, b) => a * b, 1) === 1;
      if (!perChannel && !single) return e5('the slope is neither per-channel [C,1,1] nor a single value');
      if (single && x[x.length - 3] === 1) return e5('a single slope with one channel is not supported');
      return undefined;
    }
    case 'Pow':
      return dtype(n.inputs[0]) !== dtype(n.inputs[1]) ? e5('Pow needs both inputs of the same type', 'dtype') : undefined;
    case 'AveragePool': case 'MaxPool': case 'GlobalAveragePool': case 'GlobalMaxPool': {
      if (!x || x.length !== 4) return e5('pooling needs a rank-4 input');
      if (n.op === 'AveragePool' || n.op === 'MaxPool') {
        if (attrInt(n.attrs, 'storage_order') === 1) return e5('storage_order 1 is not supported');
        if ((attrInts(n.attrs, 'kernel_shape') ?? [1, 1]).length !== 2) return e5('only 2-D pooling is supported');
        if (!ml && attrInt(n.attrs, 'ceil_mode') === 1) return e5('ceil_mode needs an ML Program');
        if ((attrInts(n.attrs, 'dilations') ?? [1, 1]).some((d) => d !== 1)) return e5('dilated pooling is not supported');
        if (n.outputs.filter((o) => o.name !== '').length !== 1) return e5('the indices output of MaxPool is not supported');
      }
      return undefined;
    }
    case 'ReduceMean': case 'ReduceSum': case 'ReduceMax': case 'ReduceMin': case 'ReduceProd': {
      let empty = true;
      if (n.inputs[1]) {
        if (!ctx.isConstant(n.inputs[1])) return e5('the axes are not a constant initializer', 'constant-input');
        empty = (ctx.numbers(n.inputs[1])?.length ?? 0) === 0;
      } else if (attrInts(n.attrs, 'axes')) {
        empty = false;
      }
      if (empty && attrInt(n.attrs, 'noop_with_empty_axes') === 1 && !ml) return e5('noop_with_empty_axes needs an ML Program');
      return undefined;
    }
    case 'BatchNormalization': {
      if (n.outputs.length !== 1) return e5('training outputs are not supported');
      if (!x || x.length !== 4) return e5('BatchNormalization needs a rank-4 input');
      if ((attrInt(n.attrs, 'spatial') ?? 1) !== 1) return e5('non-spatial BatchNormalization is not supported');
      for (let i = 1; i <= 4; i++) if (!n.inputs[i]?.constant) return e5('scale, bias, mean and variance must be initializers', 'constant-input');
      return undefined;
    }
    case 'LayerNormalization': case 'InstanceNormalization': case 'GroupNormalization': {
      if (!ml) return e5(`${n.op} needs an ML Program`);
      const t0 = dtype(n.inputs[0]);
      if (t0 !== dtype(n.inputs[1]) || (n.inputs[2] && t0 !== dtype(n.inputs[2]))) return e5('input, scale and bias types differ', 'dtype');
      if (t0 !== 'float32' && t0 !== 'float16') return fail(`input 0 is ${t0 ?? 'of unknown type'}`, 'E3', 'dtype');
      if (n.outputs.length !== 1) return e5('extra outputs (mean, inverse std) are not supported');
      if (!x) return e5('the input has no known shape', 'no-shape');
      if (n.op !== 'InstanceNormalization' && (attrInt(n.attrs, 'stash_type') ?? 1) !== 1) return e5('stash_type must be 1');
      return notConst(1, 'the scale') ?? notConst(2, 'the bias');
    }
    case 'LRN':
      return !x || (x.length !== 3 && x.length !== 4) ? e5('LRN needs an input of rank 3 or 4') : undefined;
    case 'ArgMax': {
      if ((attrInt(n.attrs, 'select_last_index') ?? 0) !== 0) return e5('select_last_index is not supported');
      if (ml) return undefined;
      const readers = n.outputs.flatMap((o) => o.uses.map((u) => u.node));
      if (readers.length > 1 && readers.some((r) => r.op === 'Cast' && attrInt(r.attrs, 'to') === 6)) {
        return e5('a NeuralNetwork ArgMax with several readers cannot absorb its int32 Cast');
      }
      return undefined;
    }
    case 'Cast': return castCheck(n, ctx, ml);
    case 'Clip': return clipCheck(n, ctx);
    case 'Concat': {
      if (n.inputs.length < 2) return e5('Concat needs at least two inputs');
      if (!x) return e5('the input has no known shape', 'no-shape');
      if (!ml) {
        const axis = attrInt(n.attrs, 'axis') ?? 1;
        const a = axis < 0 ? axis + x.length : axis;
        if (x.length !== 4 || a !== 1) return e5('a NeuralNetwork Concat must join rank-4 inputs on the channel axis');
      }
      return undefined;
    }
    case 'Conv': return convCheck(n, ctx, ml);
    case 'ConvTranspose': return convTransposeCheck(n, ctx, ml);
    case 'DepthToSpace': {
      if (!x) return e5('the input has no known shape', 'no-shape');
      const mode = attrString(n.attrs, 'mode') ?? 'DCR';
      if (ml) return mode === 'CRD' && !isStatic(x) ? e5('CRD mode needs a static shape') : undefined;
      return mode !== 'DCR' ? e5('a NeuralNetwork DepthToSpace supports DCR mode only') : undefined;
    }
    case 'Flatten':
      return !x || x.length === 0 ? e5('Flatten needs a known, non-scalar input') : undefined;
    case 'Gather': {
      const t = dtype(n.inputs[0]);
      if (t !== 'float32' && t !== 'int64' && !(t === 'float16' && ml)) return fail(`the data is ${t ?? 'of unknown type'}`, 'E3', 'dtype');
      const ind = shapeOf(n.inputs[1], ctx);
      if (!x || !ind) return e5('data or indices have no known shape', 'no-shape');
      if (ind.length === 0) return e5('scalar indices are not supported', 'scalar-indices');
      if (x.length + ind.length - 1 > 5) return e5('the output would have rank above 5', 'rank');
      return undefined;
    }
    case 'Gemm': case 'MatMul': return gemmCheck(n, ctx, ml);
    case 'GridSample': {
      if (!ml) return e5('GridSample needs an ML Program');
      if (!x || x.length !== 4) return e5('GridSample needs a rank-4 input');
      const mode = attrString(n.attrs, 'mode') ?? 'linear';
      const m = mode === 'linear' ? 'bilinear' : mode;
      if (m !== 'bilinear' && m !== 'zeros') return e5(`mode ${mode} is not supported`);
      if (m === 'bilinear' && attrString(n.attrs, 'padding_mode') === 'reflection' && !attrInt(n.attrs, 'align_corners')) {
        return e5('reflection padding without align_corners is not supported');
      }
      return undefined;
    }
    case 'Pad': return padCheck(n, ctx);
    case 'Reshape': {
      if (!ctx.isConstant(n.inputs[1])) return e5('the target shape is not a constant initializer', 'constant-input');
      const shape = ctx.numbers(n.inputs[1]);
      if (!shape || shape.length === 0) return e5('the target shape is empty');
      if (!x || !isStatic(x) || x.length === 0) return e5('the input has no static shape', 'dynamic-shape');
      if (shape.length > 5) return e5('the target rank is above 5', 'rank');
      if (attrInt(n.attrs, 'allowzero') === 1 && shape.includes(0)) return e5('allowzero with a 0 in the shape is not supported');
      return undefined;
    }
    case 'Resize': return resizeCheck(n, ctx, ml);
    case 'Shape': return shapeCheck(n, ctx, ml);
    case 'Slice': return sliceCheck(n, ctx, ml);
    case 'Softmax':
      return !x ? e5('the input has no known shape', 'no-shape') : !isStatic(x) && (ctx.sinceVersion ?? 13) < 13 ? e5('Softmax before opset 13 needs a static shape') : undefined;
    case 'Split': return splitCheck(n, ctx);
    case 'Squeeze': case 'Unsqueeze': {
      if ((ctx.sinceVersion ?? 13) > 12 && n.inputs[1] && !ctx.isConstant(n.inputs[1])) return e5('the axes are not a constant initializer', 'constant-input');
      if (n.op === 'Unsqueeze') {
        if (!ml) return e5('Unsqueeze needs an ML Program');
        const added = (ctx.sinceVersion ?? 13) > 12 ? shapeOf(n.inputs[1], ctx)?.[0] ?? 0 : (attrInts(n.attrs, 'axes') ?? []).length;
        if (!x || x.length + added > 5) return e5('the output would have rank above 5', 'rank');
      }
      return undefined;
    }
    case 'Gelu': case 'Softplus': case 'Elu': case 'Erf': case 'Round': case 'Exp':
      return ml ? undefined : e5(`${n.op} needs an ML Program`);
    case 'Max':
      return ml ? undefined : e5('Max needs an ML Program');
    default:
      return undefined;
  }
}
