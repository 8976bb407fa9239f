import { attrFloat, attrInt, attrInts, attrString } from '../ir/attribute.js';
import type { Node } from '../ir/graph.js';
import { checkBuilder, dtype, fail, isStatic, shapeOf, type CheckContext, type Failure } from './coreml-ep-conditions.js';

/**
 * The longer per-op builder conditions of ONNX Runtime's Core ML provider (Cast, Clip, Conv,
 * ConvTranspose, Gemm/MatMul, Pad, Resize, Shape, Slice, Split), split out of
 * coreml-ep-conditions.ts, which dispatches to them. Read from
 * onnxruntime/core/providers/coreml/builders/impl/*_op_builder.cc (see coreml-ep-ops.ts for the
 * commit), in our words.
 */

export function castCheck(n: Node, ctx: CheckContext, ml: boolean): Failure | undefined {
  const from = dtype(n.inputs[0]);
  const to = dtype(n.outputs[0]);
  if (!from || !to) return fail('the input or output type is unknown', 'E3', 'dtype');
  const ok = ['int32', 'int64', 'float32', 'float16'];
  if (ml) {
    if (!ok.includes(from) || !ok.includes(to)) return fail(`a cast from ${from} to ${to} is not supported`, 'E3', 'dtype');
  } else if (from !== 'int64') {
    return fail('a NeuralNetwork Cast takes int64 input only', 'E3', 'dtype');
  }
  const prec = n.inputs[0]?.producer;
  if (!prec || prec.graph !== n.graph) return fail('a Cast of a graph input or initializer is not supported', 'E5', 'condition');
  if (ml) return undefined;
  if (prec.op !== 'ArgMax') return fail('a NeuralNetwork Cast is supported only right after an ArgMax', 'E5', 'condition');
  if (attrInt(n.attrs, 'to') !== 6) return fail('a NeuralNetwork Cast after ArgMax must cast to int32', 'E5', 'condition');
  return checkBuilder(prec, { ...ctx, sinceVersion: undefined }) ? fail('the ArgMax before it is not supported', 'E5', 'condition') : undefined;
}

export function clipCheck(n: Node, ctx: CheckContext): Failure | undefined {
  const t = dtype(n.inputs[0]);
  let min = -3.4028234663852886e38;
  let max = 3.4028234663852886e38;
  if ((ctx.sinceVersion ?? 11) < 11) {
    min = attrFloat(n.attrs, 'min') ?? min;
    max = attrFloat(n.attrs, 'max') ?? max;
  } else {
    if (t !== 'float32' && t !== 'float16') return fail('Clip bounds are read for float and float16 only', 'E3', 'dtype');
    for (const [i, what] of [[1, 'min'], [2, 'max']] as const) {
      const b = n.inputs[i];
      if (!b) continue;
      if (!ctx.isConstant(b)) return fail(`the ${what} input is not a constant initializer`, 'E5', 'constant-input');
      const value = ctx.numbers(b)?.[0];
      if (value === undefined) return fail(`the ${what} input could not be read`, 'E5', 'constant-input');
      if (what === 'min') min = value;
      else max = value;
    }
  }
  return min === max ? fail('Clip with min equal to max is not supported', 'E5', 'condition') : undefined;
}

export function convCheck(n: Node, ctx: CheckContext, ml: boolean): Failure | undefined {
  if (!ml && !ctx.isConstant(n.inputs[1])) return fail('a NeuralNetwork Conv needs a constant weight', 'E5', 'constant-input');
  const w = shapeOf(n.inputs[1], ctx);
  const x = shapeOf(n.inputs[0], ctx);
  const y = shapeOf(n.outputs[0], ctx);
  if (!w || !x || !y) return fail('the weight, input or output has no known shape', 'E2', 'no-shape');
  if ([w, x, y].some((s) => s.some((d) => d > 16384))) return fail('a dimension is above 16384', 'E4', 'dimension-limit');
  if (w.length !== 3 && w.length !== 4) return fail('only 1-D and 2-D convolutions are supported', 'E5', 'condition');
  if (n.inputs[2] && !ctx.isConstant(n.inputs[2])) return fail('the bias is not a constant initializer', 'E5', 'constant-input');
  const k = attrInts(n.attrs, 'kernel_shape');
  if (k && (k.length !== w.length - 2 || k.some((d, i) => d !== w[i + 2]))) return fail('kernel_shape disagrees with the weight', 'E5', 'condition');
  return undefined;
}

export function convTransposeCheck(n: Node, ctx: CheckContext, ml: boolean): Failure | undefined {
  if (!ml) return fail('ConvTranspose needs an ML Program', 'E5', 'condition');
  const x = shapeOf(n.inputs[0], ctx);
  if (!x) return fail('the input has no known shape', 'E2', 'no-shape');
  if (!ctx.isConstant(n.inputs[1])) return fail('the weight is not a constant initializer', 'E5', 'constant-input');
  if (n.inputs[2] && !ctx.isConstant(n.inputs[2])) return fail('the bias is not a constant initializer', 'E5', 'constant-input');
  const w = shapeOf(n.inputs[1], ctx);
  if (!w) return fail('the weight has no known shape', 'E2', 'no-shape');
  if (w.some((d) => d > 16384) || x.some((d) => d > 16384)) return fail('a dimension is above 16384', 'E4', 'dimension-limit');
  const autoPad = attrString(n.attrs, 'auto_pad') ?? 'NOTSET';
  if (autoPad === 'SAME_LOWER' || autoPad === 'SAME_UPPER') return fail('SAME auto padding is not supported', 'E5', 'condition');
  if (autoPad === 'NOTSET') {
    const pads = attrInts(n.attrs, 'pads') ?? [0];
    if (pads.some((p) => p !== pads[0])) return fail('asymmetric pads are not supported', 'E5', 'condition');
  }
  const k = attrInts(n.attrs, 'kernel_shape');
  if (k && (k.length !== w.length - 2 || k.some((d, i) => d !== w[i + 2]))) return fail('kernel_shape disagrees with the weight', 'E5', 'condition');
  if (attrInts(n.attrs, 'output_shape')) return fail('output_shape is not supported', 'E5', 'condition');
  if ((attrInts(n.attrs, 'output_padding') ?? []).some((p) => p !== 0)) return fail('output_padding is not supported', 'E5', 'condition');
  return undefined;
}

export function gemmCheck(n: Node, ctx: CheckContext, ml: boolean): Failure | undefined {
  const a = shapeOf(n.inputs[0], ctx);
  const b = shapeOf(n.inputs[1], ctx);
  if (!a || !b) return fail('A or B has no known shape', 'E2', 'no-shape');
  const matmul = n.op === 'MatMul';
  if (!ctx.isConstant(n.inputs[1]) && !(ml && matmul)) return fail('B is not a constant initializer', 'E5', 'constant-input');
  if (matmul) {
    if (ml) {
      if ((a.length === 1 && b.length > 1) || (a.length > 1 && b.length === 1)) return fail('MatMul of a vector and a matrix is not supported', 'E5', 'condition');
    } else if (a.length !== 2 || b.length !== 2) {
      return fail('a NeuralNetwork MatMul needs 2-D inputs', 'E5', 'condition');
    }
    return undefined;
  }
  const transB = attrInt(n.attrs, 'transB') ?? 0;
  if ((attrInt(n.attrs, 'transA') ?? 0) !== 0 || (attrFloat(n.attrs, 'alpha') ?? 1) !== 1 || (attrFloat(n.attrs, 'beta') ?? 1) !== 1) {
    return fail('Gemm needs transA 0 and alpha = beta = 1', 'E5', 'condition');
  }
  const c = n.inputs[2];
  if (c) {
    if (!ctx.isConstant(c)) return fail('C is not a constant initializer', 'E5', 'constant-input');
    const cs = shapeOf(c, ctx);
    if (!cs) return fail('C has no known shape', 'E2', 'no-shape');
    const N = transB ? b[0] : b[1];
    const valid = cs.length === 0 || (cs.length === 1 && (cs[0] === 1 || cs[0] === N)) || (cs.length === 2 && cs[0] === 1 && cs[1] === N);
    if (!valid) return fail('C must be a scalar, [N] or [1,N]', 'E5', 'condition');
  }
  return undefined;
}

export function padCheck(n: Node, ctx: CheckContext): Failure | undefined {
  const x = shapeOf(n.inputs[0], ctx);
  if (!x || x.length < 2) return fail('Pad needs an input of rank 2 or more', 'E5', 'condition');
  if (x.reduce((p, d) => p * d, 1) === 0) return fail('the input has no elements', 'E2', 'zero-dim');
  if ((attrString(n.attrs, 'mode') ?? 'constant') !== 'constant') return fail(`${attrString(n.attrs, 'mode')} padding is not supported by the NeuralNetwork Pad builder`, 'E5', 'pad-mode');
  if (!n.inputs[2] || !n.inputs[2].constant) return fail('the constant value must be an initializer', 'E5', 'constant-input');
  if (dtype(n.inputs[2]) !== 'float32') return fail('the constant value must be float32', 'E3', 'dtype');
  if (!n.inputs[1]?.constant) return fail('the pads are not an initializer', 'E5', 'constant-input');
  const pads = ctx.numbers(n.inputs[1]);
  if (!pads || pads.some((p) => p < 0)) return fail('negative or unreadable pads are not supported', 'E5', 'condition');
  if (n.inputs[3] && !n.inputs[3].constant) return fail('the axes are not an initializer', 'E5', 'constant-input');
  const rank = x.length;
  const axes = n.inputs[3] ? (ctx.numbers(n.inputs[3]) ?? []).map((a) => (a < 0 ? a + rank : a)) : [...Array(rank).keys()];
  for (let i = 0; i < axes.length; i++) {
    if (axes[i]! < rank - 2 && (pads[i] !== 0 || pads[i + axes.length] !== 0)) return fail('only the last two axes may be padded', 'E5', 'condition');
  }
  return undefined;
}

export function resizeCheck(n: Node, ctx: CheckContext, ml: boolean): Failure | undefined {
  const e5 = (why: string, code = 'condition'): Failure => fail(why, 'E5', code);
  const x = shapeOf(n.inputs[0], ctx);
  if (!x) return fail('the input has no known shape', 'E2', 'no-shape');
  if (x.includes(0)) return fail('the input has a zero dimension', 'E2', 'zero-dim');
  const rank = x.length;
  if (ml ? rank < 3 || rank > 5 : rank !== 4) return e5(ml ? 'Resize needs rank 3 to 5' : 'a NeuralNetwork Resize needs rank 4');
  if ((attrInt(n.attrs, 'antialias') ?? 0) !== 0) return e5('antialias is not supported');
  const mode = attrString(n.attrs, 'mode') ?? 'nearest';
  if (mode !== 'linear' && mode !== 'nearest') return e5(`mode ${mode} is not supported`);
  if (mode === 'nearest' && (attrString(n.attrs, 'nearest_mode') ?? 'round_prefer_floor') !== 'floor') return e5('nearest Resize needs nearest_mode floor');
  if ((attrInt(n.attrs, 'exclude_outside') ?? 0) !== 0) return e5('exclude_outside is not supported');
  if ((attrString(n.attrs, 'keep_aspect_ratio_policy') ?? 'stretch') !== 'stretch') return e5('keep_aspect_ratio_policy must be stretch');
  const sizes = n.inputs[3] ?? null;
  const scales = sizes ? null : n.inputs[2] ?? null;
  if (!sizes && !scales) return e5('Resize needs scales or sizes');
  const values = ctx.isConstant(sizes ?? scales) ? ctx.numbers(sizes ?? scales) : undefined;
  if (!values || values.length < 2) return e5(`the ${sizes ? 'sizes' : 'scales'} are not a constant initializer`, 'constant-input');
  const axes = attrInts(n.attrs, 'axes');
  if (axes ? values.length !== axes.length : values.length !== rank) return e5('scales or sizes do not match the rank');
  const last = axes ? axes.map((a) => (a < 0 ? a + rank : a)) : [...Array(rank).keys()];
  if (last.some((a, i) => a < rank - 2 && (sizes ? values[i] !== x[a] : values[i] !== 1))) return e5('only the last two axes may be resized');
  const hIn = x[rank - 2]!;
  const wIn = x[rank - 1]!;
  if (scales) {
    const [sh, sw] = [values[values.length - 2]!, values[values.length - 1]!];
    if (sh >= 1 && sw >= 1) {
      if (Math.round(sh) !== sh || Math.round(sw) !== sw) return e5('upscaling needs integer scales');
    } else if (sh <= 1 && sw <= 1) {
      if (!ml) return e5('downscaling needs an ML Program');
      const factor = (d: number, s: number): boolean => d > 0 && Number.isInteger(1 / s) && d % (1 / s) === 0;
      if (!factor(hIn, sh) || !factor(wIn, sw)) return e5('downscaling needs scales whose reciprocal divides the input size');
    } else {
      return e5('scaling up one axis and down the other is not supported');
    }
  } else if (!ml) {
    if (!isStatic(x)) return e5('a NeuralNetwork Resize with sizes needs a static input shape', 'dynamic-shape');
    if (values[values.length - 2]! % hIn !== 0 || values[values.length - 1]! % wIn !== 0) return e5('output sizes must be multiples of the input sizes');
  }
  const coord = attrString(n.attrs, 'coordinate_transformation_mode') ?? 'half_pixel';
  if (ml) {
    if (mode === 'nearest') return coord === 'asymmetric' ? undefined : e5('nearest Resize needs coordinate_transformation_mode asymmetric');
    let c = coord;
    if (c === 'pytorch_half_pixel') {
      const [hOut, wOut] = scales
        ? [Math.round(hIn * values[values.length - 2]!), Math.round(wIn * values[values.length - 1]!)]
        : [values[values.length - 2]!, values[values.length - 1]!];
      if (hOut > 1 && wOut > 1) c = 'half_pixel';
    }
    return c === 'half_pixel' || c === 'align_corners' || (sizes && c === 'asymmetric') ? undefined : e5(`coordinate_transformation_mode ${coord} is not supported`);
  }
  return coord === 'asymmetric' ? undefined : e5('a NeuralNetwork Resize needs coordinate_transformation_mode asymmetric');
}

export function shapeCheck(n: Node, ctx: CheckContext, ml: boolean): Failure | undefined {
  const t = dtype(n.inputs[0]);
  if (ml ? !['int32', 'float32', 'float16', 'int64'].includes(t ?? '') : t !== 'float32') {
    return fail(`input 0 is ${t ?? 'of unknown type'}`, 'E3', 'dtype');
  }
  const start = attrInt(n.attrs, 'start') ?? 0;
  if (!ml) return n.attrs.has('end') || start !== 0 ? fail('a NeuralNetwork Shape cannot slice (start/end)', 'E5', 'condition') : undefined;
  const s = shapeOf(n.inputs[0], ctx);
  if ((n.attrs.has('end') || start !== 0) && !s) return fail('slicing a shape of unknown rank is not supported', 'E2', 'no-shape');
  if (s) {
    const rank = s.length;
    const end = n.attrs.has('end') ? attrInt(n.attrs, 'end')! : rank;
    const norm = (a: number): number => (a < 0 ? a + rank : a);
    if (norm(end) - norm(start) === 0) return fail('an empty Shape slice is not supported', 'E5', 'condition');
  }
  return undefined;
}

export function sliceCheck(n: Node, ctx: CheckContext, ml: boolean): Failure | undefined {
  const t = dtype(n.inputs[0]);
  if (!(t === 'float32' || t === 'int64' || (ml && t === 'float16'))) return fail(`input 0 is ${t ?? 'of unknown type'}`, 'E3', 'dtype');
  const x = shapeOf(n.inputs[0], ctx);
  if (!x || !isStatic(x)) return fail('Slice needs a static input shape', 'E2', 'dynamic-shape');
  for (const [i, what] of [[1, 'starts'], [2, 'ends'], [3, 'axes'], [4, 'steps']] as const) {
    if (n.inputs[i] && !ctx.isConstant(n.inputs[i])) return fail(`the ${what} are not a constant initializer`, 'E5', 'constant-input');
  }
  const starts = ctx.numbers(n.inputs[1]);
  const ends = ctx.numbers(n.inputs[2]);
  if (!starts || !ends) return fail('the starts or ends could not be read', 'E5', 'constant-input');
  const axes = n.inputs[3] ? ctx.numbers(n.inputs[3]) : starts.map((_, i) => i);
  const steps = n.inputs[4] ? ctx.numbers(n.inputs[4]) : starts.map(() => 1);
  if (!axes || !steps) return fail('the axes or steps could not be read', 'E5', 'constant-input');
  for (let i = 0; i < starts.length; i++) {
    const a = axes[i]! < 0 ? axes[i]! + x.length : axes[i]!;
    const d = x[a]!;
    const step = steps[i]!;
    const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
    let s = starts[i]! < 0 ? starts[i]! + d : starts[i]!;
    let e = ends[i]! < 0 ? ends[i]! + d : ends[i]!;
    if (step > 0) {
      s = clamp(s, 0, d);
      e = clamp(e, 0, d);
      if (s >= e) return fail('an empty slice is not supported', 'E5', 'condition');
    } else {
      s = clamp(s, 0, d - 1);
      e = clamp(e, -1, d - 1);
      if (s <= e) return fail('an empty slice is not supported', 'E5', 'condition');
    }
  }
  return undefined;
}

export function splitCheck(n: Node, ctx: CheckContext): Failure | undefined {
  const x = shapeOf(n.inputs[0], ctx);
  if (!x) return fail('the input has no known shape', 'E2', 'no-shape');
  const axis = attrInt(n.attrs, 'axis') ?? 0;
  const dim = x[axis < 0 ? axis + x.length : axis]!;
  const splits = n.inputs[1];
  if (splits) {
    if (!ctx.isConstant(splits)) return fail('the splits are not a constant initializer', 'E5', 'constant-input');
    const values = ctx.numbers(splits);
    if (!values || values.length < 2) return fail('fewer than two splits', 'E5', 'condition');
    if (values.reduce((a, b) => a + b, 0) !== dim || values.includes(0) || dim === -1) return fail('the splits do not add up to the dimension', 'E5', 'condition');
  } else if ((ctx.sinceVersion ?? 13) >= 18) {
    const k = attrInt(n.attrs, 'num_outputs');
    if (k === undefined || k < 2 || k !== n.outputs.length || k > dim) return fail('num_outputs is missing or does not fit the dimension', 'E5', 'condition');
  }
  return undefined;
}
