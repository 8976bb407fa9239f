import { attrFloat, attrInt, attrInts, type Attribute } from '../../ir/attribute.js';
import type { DType } from '../../ir/dtype.js';
import { dtypeFromOnnx } from '../../formats/onnx/dtypes.js';
import type { Node } from '../../ir/graph.js';

/** A small tensor's elements, row-major, as numbers (booleans as 0/1). */
export interface Small {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: readonly number[];
}

/** Largest tensor constant folding computes elements for; bigger results keep only their shape. */
export const EVAL_LIMIT = 4096;

const INT = new Set<DType>(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64']);

/**
 * The outputs of a default-domain node over small constant inputs, for constant folding: the
 * ops shape arithmetic and shape guards use (Shape → Gather → Concat → Reshape, Equal → If,
 * Range, Expand, ...). Undefined when the op is not covered or a result would be too large;
 * the folded value then keeps only its shape.
 */
export function evaluate(n: Node, inputs: readonly (Small | undefined)[]): (Small | undefined)[] | undefined {
  try {
    return run(n, inputs);
  } catch {
    return undefined;
  }
}

const count = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);
/**
 * An axis made non-negative; one outside the tensor (`limit` is the largest allowed: the rank
 * for Flatten's split point, rank - 1 for an element axis) fails the evaluation: a file may
 * declare axis 2^31, and `dims[axis] = ...` on that would grow an array of that length.
 */
function norm(axis: number, rank: number, limit = rank - 1): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!(Number.isInteger(a) && a >= 0 && a <= limit)) throw new Error('axis out of range');
  return a;
}

function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1]! * dims[i + 1]!;
  return s;
}

function make(dtype: DType, dims: readonly number[], data: readonly number[]): Small {
  if (count(dims) !== data.length) throw new Error('size');
  if (data.length > EVAL_LIMIT) throw new Error('too large');
  return { dtype, dims, data: INT.has(dtype) ? data.map((x) => Math.trunc(x)) : dtype === 'bool' ? data.map((x) => (x ? 1 : 0)) : data };
}

function broadcast(a: Small, b: Small, f: (x: number, y: number) => number, dtype: DType = a.dtype): Small {
  const rank = Math.max(a.dims.length, b.dims.length);
  const ad = [...new Array(rank - a.dims.length).fill(1), ...a.dims];
  const bd = [...new Array(rank - b.dims.length).fill(1), ...b.dims];
  const dims = ad.map((d, i) => (d === 1 ? bd[i]! : d));
  const as = strides(ad);
  const bs = strides(bd);
  const total = count(dims);
  if (total > EVAL_LIMIT) throw new Error('too large');
  const out = new Array<number>(total);
  const os = strides(dims);
  for (let k = 0; k < total; k++) {
    let ia = 0;
    let ib = 0;
    for (let i = 0; i < rank; i++) {
      const c = Math.floor(k / os[i]!) % dims[i]!;
      if (ad[i] !== 1) ia += c * as[i]!;
      if (bd[i] !== 1) ib += c * bs[i]!;
    }
    out[k] = f(a.data[ia]!, b.data[ib]!);
  }
  return make(dtype, dims, out);
}

const BINARY: Readonly<Record<string, (x: number, y: number, int: boolean) => number>> = {
  Add: (x, y) => x + y, Sub: (x, y) => x - y, Mul: (x, y) => x * y,
  Div: (x, y, int) => (int ? Math.trunc(x / y) : x / y), Pow: (x, y) => x ** y,
  Mod: (x, y) => x - y * Math.floor(x / y), Max: (x, y) => Math.max(x, y), Min: (x, y) => Math.min(x, y),
};
const COMPARE: Readonly<Record<string, (x: number, y: number) => boolean>> = {
  Equal: (x, y) => x === y, Greater: (x, y) => x > y, Less: (x, y) => x < y,
  GreaterOrEqual: (x, y) => x >= y, LessOrEqual: (x, y) => x <= y,
  And: (x, y) => !!x && !!y, Or: (x, y) => !!x || !!y, Xor: (x, y) => !!x !== !!y,
};
const UNARY: Readonly<Record<string, (x: number) => number>> = {
  Neg: (x) => -x, Abs: Math.abs, Floor: Math.floor, Ceil: Math.ceil, Sqrt: Math.sqrt, Exp: Math.exp,
  Log: Math.log, Reciprocal: (x) => 1 / x, Relu: (x) => Math.max(0, x), Sign: Math.sign, Identity: (x) => x,
  Not: (x) => (x ? 0 : 1), Round: (x) => Math.round(x), Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
};

function axesOf(n: Node, inputs: readonly (Small | undefined)[], index: number): number[] | undefined {
  const a = attrInts(n.attrs, 'axes');
  if (a) return [...a];
  const v = inputs[index];
  return v ? [...v.data] : undefined;
}

function run(n: Node, ins: readonly (Small | undefined)[]): (Small | undefined)[] | undefined {
  const x = ins[0];
  const op = n.op;
  if (op === 'Constant') return [constantAttr(n.attrs)];
  if (BINARY[op] && ins.length === 2 && x && ins[1]) {
    const int = INT.has(x.dtype);
    return [broadcast(x, ins[1], (p, q) => BINARY[op]!(p, q, int))];
  }
  if ((op === 'Max' || op === 'Min' || op === 'Sum') && ins.every((v) => v)) {
    let acc = ins[0]!;
    const f = op === 'Sum' ? (p: number, q: number): number => p + q : op === 'Max' ? Math.max : Math.min;
    for (const v of ins.slice(1)) acc = broadcast(acc, v!, f);
    return [acc];
  }
  if (COMPARE[op] && x && ins[1]) return [broadcast(x, ins[1], (p, q) => (COMPARE[op]!(p, q) ? 1 : 0), 'bool')];
  if (UNARY[op] && x) return [make(x.dtype, x.dims, x.data.map(UNARY[op]!))];
  if (!x && op !== 'ConstantOfShape' && op !== 'Range') return undefined;
  switch (op) {
    case 'Cast': {
      const to = dtypeFromOnnx(attrInt(n.attrs, 'to'));
      return [make(to, x!.dims, x!.data)];
    }
    case 'Size': return [make('int64', [], [x!.data.length])];
    case 'Shape': {
      const rank = x!.dims.length;
      const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
      const s = clamp(attrInt(n.attrs, 'start') ?? 0);
      const e = clamp(attrInt(n.attrs, 'end') ?? rank);
      const d = x!.dims.slice(s, Math.max(s, e));
      return [make('int64', [d.length], d)];
    }
    case 'Reshape': {
      const shape = ins[1];
      if (!shape) return undefined;
      const allowZero = attrInt(n.attrs, 'allowzero') === 1;
      const dims = shape.data.map((d, i) => (d === 0 && !allowZero ? x!.dims[i]! : d));
      const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      return [make(x!.dtype, dims.map((d) => (d === -1 ? x!.data.length / known : d)), x!.data)];
    }
    case 'Flatten': {
      const axis = norm(attrInt(n.attrs, 'axis') ?? 1, x!.dims.length, x!.dims.length);
      return [make(x!.dtype, [count(x!.dims.slice(0, axis)), count(x!.dims.slice(axis))], x!.data)];
    }
    case 'Unsqueeze': {
      const axes = axesOf(n, ins, 1);
      if (!axes) return undefined;
      const rank = x!.dims.length + axes.length;
      const set = new Set(axes.map((a) => norm(a, rank)));
      const dims: number[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) dims.push(set.has(i) ? 1 : x!.dims[j++]!);
      return [make(x!.dtype, dims, x!.data)];
    }
    case 'Squeeze': {
      const axes = axesOf(n, ins, 1);
      const set = new Set((axes ?? []).map((a) => norm(a, x!.dims.length)));
      const dims = x!.dims.filter((d, i) => (axes ? !set.has(i) : d !== 1));
      return [make(x!.dtype, dims, x!.data)];
    }
    case 'Concat': {
      if (!ins.every((v) => v)) return undefined;
      const rank = x!.dims.length;
      const axis = norm(attrInt(n.attrs, 'axis') ?? 0, rank);
      const outer = count(x!.dims.slice(0, axis));
      if (!(outer <= EVAL_LIMIT)) return undefined; // a zero-size input may declare any other dims
      const data: number[] = [];
      for (let o = 0; o < outer; o++) {
        for (const v of ins) {
          const inner = count(v!.dims.slice(axis));
          data.push(...v!.data.slice(o * inner, (o + 1) * inner));
        }
      }
      const dims = [...x!.dims];
      dims[axis] = ins.reduce((s, v) => s + v!.dims[axis]!, 0);
      return [make(x!.dtype, dims, data)];
    }
    case 'Gather': {
      const idx = ins[1];
      if (!idx) return undefined;
      const axis = norm(attrInt(n.attrs, 'axis') ?? 0, x!.dims.length);
      const outer = count(x!.dims.slice(0, axis));
      const inner = count(x!.dims.slice(axis + 1));
      const size = x!.dims[axis]!;
      if (!(outer <= EVAL_LIMIT && outer * idx.data.length * inner <= EVAL_LIMIT)) return undefined;
      const data: number[] = [];
      for (let o = 0; o < outer; o++) {
        for (const raw of idx.data) {
          const i = raw < 0 ? raw + size : raw;
          const base = (o * size + i) * inner;
          data.push(...x!.data.slice(base, base + inner));
        }
      }
      return [make(x!.dtype, [...x!.dims.slice(0, axis), ...idx.dims, ...x!.dims.slice(axis + 1)], data)];
    }
    case 'Slice': return [slice(n, ins)];
    case 'Transpose': {
      const rank = x!.dims.length;
      const perm = attrInts(n.attrs, 'perm') ?? [...Array(rank).keys()].reverse();
      const dims = perm.map((p) => x!.dims[p]!);
      const xs = strides(x!.dims);
      const os = strides(dims);
      const data = new Array<number>(x!.data.length);
      for (let k = 0; k < data.length; k++) {
        let src = 0;
        for (let i = 0; i < rank; i++) src += (Math.floor(k / os[i]!) % dims[i]!) * xs[perm[i]!]!;
        data[k] = x!.data[src]!;
      }
      return [make(x!.dtype, dims, data)];
    }
    case 'ConstantOfShape': {
      const shape = x;
      if (!shape) return undefined;
      const v = n.attrs.get('value');
      const fill = v?.type === 'tensor' ? (v.value.numbers(1) ?? [0])[0]! : 0;
      const dtype = v?.type === 'tensor' ? v.value.dtype : 'float32';
      const total = count(shape.data);
      if (total > EVAL_LIMIT) return undefined;
      return [make(dtype, shape.data, new Array(total).fill(fill))];
    }
    case 'Range': {
      const [s, l, d] = ins;
      if (!s || !l || !d) return undefined;
      const start = s.data[0]!;
      const delta = d.data[0]!;
      const len = Math.max(Math.ceil((l.data[0]! - start) / delta), 0);
      if (len > EVAL_LIMIT) return undefined;
      return [make(s.dtype, [len], Array.from({ length: len }, (_, i) => start + i * delta))];
    }
    case 'Expand': {
      const shape = ins[1];
      if (!shape) return undefined;
      // The result is at least as large as the shape operand: too large, it is not made (a declared 2^30 was).
      if (!shape.data.every((d) => Number.isInteger(d) && d >= 0) || count(shape.data) > EVAL_LIMIT) return undefined;
      return [broadcast(x!, make('float32', shape.data, new Array(count(shape.data)).fill(0)), (p) => p, x!.dtype)];
    }
    case 'Tile': {
      const reps = ins[1];
      if (!reps) return undefined;
      const dims = x!.dims.map((d, i) => d * reps.data[i]!);
      const total = count(dims);
      if (total > EVAL_LIMIT) return undefined;
      const xs = strides(x!.dims);
      const os = strides(dims);
      const data = new Array<number>(total);
      for (let k = 0; k < total; k++) {
        let src = 0;
        for (let i = 0; i < dims.length; i++) src += ((Math.floor(k / os[i]!) % dims[i]!) % x!.dims[i]!) * xs[i]!;
        data[k] = x!.data[src]!;
      }
      return [make(x!.dtype, dims, data)];
    }
    case 'Where': {
      const [c, a, b] = ins;
      if (!c || !a || !b) return undefined;
      const ab = broadcast(a, b, (p) => p);
      const picks = broadcast(c, ab, (p) => p, 'int64');
      const aa = broadcast(a, picks, (p) => p, a.dtype);
      const bb = broadcast(b, picks, (p) => p, b.dtype);
      return [make(a.dtype, picks.dims, picks.data.map((p, i) => (p ? aa.data[i]! : bb.data[i]!)))];
    }
    case 'Clip': {
      const lo = ins[1]?.data[0] ?? attrFloat(n.attrs, 'min') ?? -Infinity;
      const hi = ins[2]?.data[0] ?? attrFloat(n.attrs, 'max') ?? Infinity;
      return [make(x!.dtype, x!.dims, x!.data.map((v) => Math.min(Math.max(v, lo), hi)))];
    }
    case 'NonZero': {
      const idx: number[][] = x!.dims.map(() => []);
      const xs = strides(x!.dims);
      x!.data.forEach((v, k) => {
        if (!v) return;
        x!.dims.forEach((d, i) => idx[i]!.push(Math.floor(k / xs[i]!) % d));
      });
      const cols = idx[0]?.length ?? (x!.data[0] ? 1 : 0);
      return [make('int64', [x!.dims.length, cols], idx.flat())];
    }
    case 'ReduceProd': case 'ReduceSum': case 'ReduceMin': case 'ReduceMax': case 'ReduceMean':
      return [reduce(n, ins)];
    default:
      return undefined;
  }
}

function constantAttr(attrs: ReadonlyMap<string, Attribute>): Small | undefined {
  for (const [name, a] of attrs) {
    if (name === 'value' && a.type === 'tensor') {
      const d = a.value.numbers(EVAL_LIMIT);
      return d ? make(a.value.dtype, a.value.dims, d) : undefined;
    }
    if (name === 'value_float' && a.type === 'float') return make('float32', [], [a.value]);
    if (name === 'value_int' && a.type === 'int') return make('int64', [], [a.value]);
    if (name === 'value_floats' && a.type === 'floats') return make('float32', [a.value.length], a.value);
    if (name === 'value_ints' && a.type === 'ints') return make('int64', [a.value.length], a.value);
  }
  return undefined;
}

function slice(n: Node, ins: readonly (Small | undefined)[]): Small {
  const x = ins[0]!;
  const rank = x.dims.length;
  const get = (attr: string, i: number): number[] | undefined => {
    const a = attrInts(n.attrs, attr);
    if (a) return [...a];
    const v = ins[i];
    return v ? [...v.data] : undefined;
  };
  const starts = get('starts', 1);
  const ends = get('ends', 2);
  if (!starts || !ends) throw new Error('slice params');
  const axes = (get('axes', 3) ?? starts.map((_, i) => i)).map((a) => norm(a, rank));
  const steps = ins[4]?.data ?? starts.map(() => 1);
  const begin = x.dims.map(() => 0);
  const step = x.dims.map(() => 1);
  const len = [...x.dims];
  axes.forEach((axis, i) => {
    const d = x.dims[axis]!;
    const st = steps[i]!;
    const clampS = (v: number): number => (v < 0 ? v + d : v);
    let s = clampS(starts[i]!);
    let e = clampS(Math.max(Math.min(ends[i]!, 1e18), -1e18));
    if (st > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
      len[axis] = Math.max(0, Math.ceil((e - s) / st));
    } else {
      s = Math.min(Math.max(s, -1), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
      len[axis] = Math.max(0, Math.ceil((e - s) / st));
    }
    begin[axis] = s;
    step[axis] = st;
  });
  const xs = strides(x.dims);
  const os = strides(len);
  const total = count(len);
  const data = new Array<number>(total);
  for (let k = 0; k < total; k++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += (begin[i]! + (Math.floor(k / os[i]!) % len[i]!) * step[i]!) * xs[i]!;
    data[k] = x.data[src]!;
  }
  return make(x.dtype, len, data);
}

function reduce(n: Node, ins: readonly (Small | undefined)[]): Small {
  const x = ins[0]!;
  const rank = x.dims.length;
  const axesList = attrInts(n.attrs, 'axes') ?? ins[1]?.data;
  const keep = (attrInt(n.attrs, 'keepdims') ?? 1) === 1;
  const axes = new Set((axesList && axesList.length > 0 ? [...axesList] : [...Array(rank).keys()]).map((a) => norm(a, rank)));
  const outDims = x.dims.map((d, i) => (axes.has(i) ? 1 : d));
  const os = strides(outDims);
  const xs = strides(x.dims);
  const acc = new Map<number, number[]>();
  for (let k = 0; k < x.data.length; k++) {
    let o = 0;
    for (let i = 0; i < rank; i++) if (!axes.has(i)) o += (Math.floor(k / xs[i]!) % x.dims[i]!) * os[i]!;
    const list = acc.get(o) ?? [];
    list.push(x.data[k]!);
    acc.set(o, list);
  }
  const f = (v: number[]): number => {
    switch (n.op) {
      case 'ReduceProd': return v.reduce((a, b) => a * b, 1);
      case 'ReduceSum': return v.reduce((a, b) => a + b, 0);
      case 'ReduceMin': return Math.min(...v);
      case 'ReduceMax': return Math.max(...v);
      default: return v.reduce((a, b) => a + b, 0) / v.length;
    }
  };
  const data = Array.from({ length: count(outDims) }, (_, o) => f(acc.get(o) ?? []));
  return make(x.dtype, keep ? outDims : x.dims.filter((_, i) => !axes.has(i)), data);
}
