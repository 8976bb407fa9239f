import type { Dim, Shape } from '../ir/shape.js';

/**
 * Output shapes of the few kinds the rewrites build. The builder types every value it
 * creates with these (an ML Program needs them; for ONNX, shape inference re-derives them
 * after each pass and a disagreement fails the patch). A dimension stays a symbol or null
 * when it is not a number, and never a guess.
 */

/** One axis a slice cuts: Python semantics (negative indices from the end; end null = to the end). */
export interface SliceSpec {
  readonly axis: number;
  readonly start: number;
  readonly end: number | null;
  readonly step: number;
}

export interface ConvSpec {
  readonly strides: readonly number[];
  /** ONNX order: every spatial axis' begin, then every end. */
  readonly pads: readonly number[];
  readonly dilations: readonly number[];
  readonly groups: number;
}

export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`invariant: axis ${axis} outside rank ${rank}`);
  return a;
}

export function convShape(x: Shape, w: readonly number[], c: ConvSpec): Shape {
  if (x === null) return null;
  const spatial = w.length - 2;
  const out: Dim[] = [x[0] ?? null, w[0]!];
  for (let i = 0; i < spatial; i++) {
    const d = x[2 + i];
    if (typeof d !== 'number') {
      out.push(null);
      continue;
    }
    const k = (c.dilations[i] ?? 1) * (w[2 + i]! - 1) + 1;
    out.push(Math.floor((d + (c.pads[i] ?? 0) + (c.pads[i + spatial] ?? 0) - k) / (c.strides[i] ?? 1)) + 1);
  }
  return out;
}

/** Reshape with ONNX's 0 (copy the input's dim) and -1 (whatever is left). */
export function reshapeShape(x: Shape, shape: readonly number[]): Shape {
  const out: Dim[] = shape.map((d, i) => (d === 0 ? x?.[i] ?? null : d));
  const minus = out.indexOf(-1);
  if (minus >= 0) {
    const total = x && x.every((d) => typeof d === 'number') ? (x as number[]).reduce((a, b) => a * b, 1) : undefined;
    const known = out.reduce<number | undefined>((a, d, i) => (i === minus || a === undefined ? a : typeof d === 'number' ? a * d : undefined), 1);
    out[minus] = total !== undefined && known !== undefined && known > 0 ? total / known : null;
  }
  return out;
}

export function transposeShape(x: Shape, perm: readonly number[]): Shape {
  return x === null ? null : perm.map((p) => x[p] ?? null);
}

export function expandDimsShape(x: Shape, axes: readonly number[]): Shape {
  if (x === null) return null;
  const rank = x.length + axes.length;
  const at = new Set(axes.map((a) => normAxis(a, rank)));
  const out: Dim[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(at.has(i) ? 1 : x[k++] ?? null);
  return out;
}

export function squeezeShape(x: Shape, axes: readonly number[]): Shape {
  if (x === null) return null;
  const at = new Set(axes.map((a) => normAxis(a, x.length)));
  return x.filter((_, i) => !at.has(i));
}

/** Elements a Python slice takes from a dimension of `d`. */
export function sliceLength(d: number, s: SliceSpec): number {
  const step = s.step;
  let start = s.start;
  let end = s.end;
  if (step > 0) {
    start = start < 0 ? Math.max(0, start + d) : Math.min(start, d);
    end = end === null ? d : end < 0 ? Math.max(0, end + d) : Math.min(end, d);
    return Math.max(0, Math.ceil((end - start) / step));
  }
  start = start < 0 ? Math.max(-1, start + d) : Math.min(start, d - 1);
  end = end === null ? -1 : end < 0 ? Math.max(-1, end + d) : Math.min(end, d - 1);
  return Math.max(0, Math.ceil((start - end) / -step));
}

export function sliceShape(x: Shape, specs: readonly SliceSpec[]): Shape {
  if (x === null) return null;
  const out = [...x];
  for (const s of specs) {
    const a = normAxis(s.axis, x.length);
    const d = x[a];
    // An unknown dim still gives the length when start and end count from the same end.
    const sameEnd = s.end !== null && (s.start >= 0) === (s.end >= 0);
    out[a] = typeof d === 'number' ? sliceLength(d, s) : sameEnd ? Math.max(0, Math.ceil((s.end! - s.start) / s.step)) : null;
  }
  return out;
}

export function concatShape(xs: readonly Shape[], axis: number): Shape {
  const first = xs[0];
  if (!first || xs.some((s) => s === null || s.length !== first.length)) return null;
  const a = normAxis(axis, first.length);
  const out: Dim[] = [...first];
  let total: number | null = 0;
  for (const s of xs) {
    const d = s![a];
    total = total !== null && typeof d === 'number' ? total + d : null;
  }
  out[a] = total;
  for (let i = 0; i < out.length; i++) {
    if (i === a || typeof out[i] === 'number') continue;
    const known = xs.map((s) => s![i]).find((d) => typeof d === 'number');
    if (known !== undefined) out[i] = known;
  }
  return out;
}

/** Numpy broadcasting; a dim that cannot be told stays null. */
export function broadcastShape(a: Shape, b: Shape): Shape {
  if (a === null || b === null) return null;
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x === y) out.push(x);
    else if (typeof x === 'number' && typeof y === 'number') throw new Error(`invariant: cannot broadcast ${x} with ${y}`);
    else out.push(typeof x === 'number' ? x : typeof y === 'number' ? y : null);
  }
  return out;
}

export function padShape(x: Shape, pads: readonly number[]): Shape {
  if (x === null) return null;
  const r = x.length;
  return x.map((d, i) => (typeof d === 'number' ? d + (pads[i] ?? 0) + (pads[i + r] ?? 0) : null));
}
