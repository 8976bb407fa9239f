import type { Dim, Shape } from '../../ir/shape.js';

/**
 * A node's inputs contradict its op's rules (rank too small, axis out of range, dims that
 * cannot broadcast). The engine catches it: the node's outputs stay as they were and the
 * report lists the node. Never escapes `inferShapes`.
 */
export class ShapeError extends Error {}

export function fail(message: string): never {
  throw new ShapeError(message);
}

/** `axis` in [-rank, rank) made non-negative. */
export function normAxis(axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) fail(`${what} ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

/** Normalised, checked, and free of duplicates. */
export function normAxes(axes: readonly number[], rank: number, what = 'axes'): number[] {
  const out = axes.map((a) => normAxis(a, rank, what));
  if (new Set(out).size !== out.length) fail(`${what} [${axes.join(',')}] repeat an axis`);
  return out;
}

/** a*b where it is known: both numbers, or one of them is 1. */
export function mulDim(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (a === 1) return b;
  if (b === 1) return a;
  return null;
}

export function productOf(dims: readonly Dim[]): Dim {
  let p: Dim = 1;
  for (const d of dims) p = mulDim(p, d);
  return p;
}

/** a+b where known (x+0 = x keeps a symbol). */
export function addDim(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  return null;
}

/**
 * Multidirectional (numpy) broadcasting, as ONNX infers it: a known dim other than 1 wins;
 * when every known dim is 1, a single distinct symbol (or single unknown) survives, and two
 * different symbols give an unknown. Undefined when some rank is unknown.
 */
export function broadcastShapes(shapes: readonly Shape[]): Dim[] | undefined {
  let rank = 0;
  for (const s of shapes) {
    if (s === null) return undefined;
    rank = Math.max(rank, s.length);
  }
  const out: Dim[] = new Array(rank);
  for (let i = 0; i < rank; i++) {
    let value = 1;
    let symbol: Dim = null;
    let symbols = 0;
    for (const s of shapes as readonly (readonly Dim[])[]) {
      const at = i - rank + s.length;
      if (at < 0) continue;
      const d = s[at]!;
      if (typeof d === 'number') {
        if (d !== 1) {
          if (value !== 1 && value !== d) fail(`dims ${value} and ${d} do not broadcast`);
          value = d;
        }
      } else if (symbols === 0) {
        symbol = d;
        symbols = 1;
      } else if (d !== symbol) {
        symbols++;
      }
    }
    out[i] = value !== 1 || symbols === 0 ? value : symbols === 1 ? symbol : null;
  }
  return out;
}

/**
 * Two dims known to be equal, combined: a number wins, then a symbol. Fails when two
 * numbers differ.
 */
export function unifyDim(a: Dim, b: Dim, what = 'dims'): Dim {
  if (typeof a === 'number') {
    if (typeof b === 'number' && a !== b) fail(`${what} ${a} and ${b} must be equal`);
    return a;
  }
  if (typeof b === 'number') return b;
  return a ?? b;
}

/** The union of two possible shapes (If branches): what both agree on. */
export function unionShapes(a: Shape, b: Shape): Shape {
  if (a === null || b === null || a.length !== b.length) return null;
  return a.map((d, i) => (d !== null && d === b[i] ? d : null));
}
