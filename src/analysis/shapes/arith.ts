import { isInteger, type DType } from '../../ir/dtype.js';
import type { Dim } from '../../ir/shape.js';
import type { NodeContext } from './context.js';
import { PROPAGATE_LIMIT, type Elements } from './data.js';
import { broadcastShapes } from './dims.js';

/**
 * Element-wise evaluation for the small tensors of shape computations (constant folding
 * of Shape → Gather → Mul → Concat and the like). Symbols take part only where the answer
 * is certain (x*1, x+0, max(x,x), x==x); anything else gives an unknown element.
 */

/** Static shape and elements of every input, when all are known and small; never reads weights. */
export function knownInputs(ctx: NodeContext): { shapes: number[][]; data: Elements[] } | undefined {
  const shapes: number[][] = [];
  let integral = true;
  let tiny = true;
  for (let i = 0; i < ctx.inputCount; i++) {
    if (!ctx.mayKnow(i)) return undefined;
    const s = ctx.shape(i);
    if (s === null || !s.every((d): d is number => typeof d === 'number')) return undefined;
    const n = s.reduce((a, b) => a * b, 1);
    if (n > PROPAGATE_LIMIT) return undefined;
    const dt = ctx.dtype(i);
    if (!isInteger(dt) && dt !== 'bool') integral = false;
    if (n > 8) tiny = false;
    shapes.push([...s]);
  }
  // Float tensors of more than 8 elements are weights, not shape arithmetic: leave them unread.
  if (!integral && !tiny) return undefined;
  const data: Elements[] = [];
  for (let i = 0; i < ctx.inputCount; i++) {
    const e = ctx.data(i, PROPAGATE_LIMIT);
    if (e === undefined || e.length !== shapes[i]!.reduce((a, b) => a * b, 1)) return undefined;
    data.push(e);
  }
  return { shapes, data };
}

/** Applies `fn` element-wise with numpy broadcasting; undefined when the shapes do not broadcast. */
export function mapBroadcast(
  shapes: readonly number[][],
  data: readonly Elements[],
  fn: (xs: Dim[]) => Dim,
): Elements | undefined {
  let out: Dim[] | undefined;
  try {
    out = broadcastShapes(shapes) as number[] | undefined;
  } catch {
    return undefined;
  }
  if (out === undefined) return undefined;
  const shape = out as number[];
  const n = shape.reduce((a, b) => a * b, 1);
  const result: Dim[] = new Array(n);
  const strides = shapes.map((s) => {
    const st: number[] = new Array(shape.length).fill(0);
    let acc = 1;
    for (let k = s.length - 1; k >= 0; k--) {
      const at = k + shape.length - s.length;
      st[at] = s[k] === 1 ? 0 : acc;
      acc *= s[k]!;
    }
    return st;
  });
  const xs: Dim[] = new Array(shapes.length);
  for (let flat = 0; flat < n; flat++) {
    let rem = flat;
    const offsets = new Array(shapes.length).fill(0);
    for (let k = shape.length - 1; k >= 0; k--) {
      const idx = rem % shape[k]!;
      rem = Math.floor(rem / shape[k]!);
      for (let j = 0; j < shapes.length; j++) offsets[j] += idx * strides[j]![k]!;
    }
    for (let j = 0; j < shapes.length; j++) xs[j] = data[j]![offsets[j]!] ?? null;
    result[flat] = fn(xs);
  }
  return result;
}

const num = (x: Dim): x is number => typeof x === 'number';
const sym = (x: Dim): x is string => typeof x === 'string';
const belowZero = (a: Dim, b: Dim): boolean => (sym(a) && num(b) && b < 0) || (sym(b) && num(a) && a < 0);

/**
 * A computed element as the element type holds it: float32 rounds as float32 does, integers
 * must stay exact, and half-precision results are not emulated (unknown).
 */
function fit(x: number, dtype: DType): Dim {
  if (isInteger(dtype)) return Number.isSafeInteger(x) ? x : null;
  if (dtype === 'float32') return Math.fround(x);
  if (dtype === 'float64') return x;
  return Number.isInteger(x) && Math.abs(x) <= 256 ? x : null;
}

export type BinaryFn = (a: Dim, b: Dim, dtype: DType) => Dim;

export const BINARY: Readonly<Record<string, BinaryFn>> = {
  Add: (a, b, t) => (num(a) && num(b) ? fit(a + b, t) : a === 0 ? b : b === 0 ? a : null),
  Sub: (a, b, t) => (num(a) && num(b) ? fit(a - b, t) : b === 0 ? a : null),
  Mul: (a, b, t) => (num(a) && num(b) ? fit(a * b, t) : a === 1 ? b : b === 1 ? a : null),
  Div: (a, b, t) => {
    if (num(a) && num(b)) {
      if (b === 0) return null;
      return fit(isInteger(t) ? Math.trunc(a / b) : a / b, t);
    }
    return b === 1 ? a : null;
  },
  Mod: (a, b, t) => {
    if (!num(a) || !num(b) || b === 0 || !isInteger(t)) return null;
    const r = a % b; // fmod=0: the result takes the divisor's sign
    return r !== 0 && (r < 0) !== (b < 0) ? r + b : r;
  },
  Pow: (a, b, t) => (num(a) && num(b) ? fit(a ** b, t) : b === 1 ? a : null),
  Max: (a, b) => (num(a) && num(b) ? Math.max(a, b) : a !== null && a === b ? a : null),
  Min: (a, b) => (num(a) && num(b) ? Math.min(a, b) : a !== null && a === b ? a : null),
  // A symbol is a dim: never negative, so it differs from any negative number.
  Equal: (a, b) => (num(a) && num(b) ? +(a === b) : a !== null && a === b ? 1 : belowZero(a, b) ? 0 : null),
  Less: (a, b) => (num(a) && num(b) ? +(a < b) : sym(a) && num(b) && b <= 0 ? 0 : null),
  LessOrEqual: (a, b) => (num(a) && num(b) ? +(a <= b) : a !== null && a === b ? 1 : sym(a) && num(b) && b < 0 ? 0 : null),
  Greater: (a, b) => (num(a) && num(b) ? +(a > b) : sym(a) && num(b) && b < 0 ? 1 : null),
  GreaterOrEqual: (a, b) => (num(a) && num(b) ? +(a >= b) : a !== null && a === b ? 1 : sym(a) && num(b) && b <= 0 ? 1 : null),
  And: (a, b) => (num(a) && num(b) ? +(a !== 0 && b !== 0) : a === 0 || b === 0 ? 0 : null),
  Or: (a, b) => (num(a) && num(b) ? +(a !== 0 || b !== 0) : a === 1 || b === 1 ? 1 : null),
  Xor: (a, b) => (num(a) && num(b) ? +((a !== 0) !== (b !== 0)) : null),
};

export const UNARY: Readonly<Record<string, (a: Dim, dtype: DType) => Dim>> = {
  Identity: (a) => a,
  Neg: (a, t) => (num(a) ? fit(-a, t) : null),
  // A symbol stands for a dim, which is never negative.
  Abs: (a) => (num(a) ? Math.abs(a) : a),
  Not: (a) => (num(a) ? +(a === 0) : null),
  Floor: (a) => (num(a) ? Math.floor(a) : a),
  Ceil: (a) => (num(a) ? Math.ceil(a) : a),
  Sqrt: (a, t) => (num(a) && a >= 0 ? fit(Math.sqrt(a), t) : null),
  Reciprocal: (a, t) => (num(a) && a !== 0 ? fit(1 / a, t) : null),
  Sign: (a) => (num(a) ? Math.sign(a) : null),
  Round: (a) => (num(a) ? roundHalfEven(a) : a),
};

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** A value converted to `to` as Cast converts it. */
export function castElement(a: Dim, to: DType): Dim {
  if (a === null) return null;
  if (typeof a === 'string') return isInteger(to) || to === 'float32' || to === 'float64' ? a : null;
  if (to === 'bool') return +(a !== 0);
  if (isInteger(to)) return Number.isFinite(a) ? Math.trunc(a) : null;
  return fit(a, to);
}
