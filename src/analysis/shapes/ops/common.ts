import { isInteger } from '../../../ir/dtype.js';
import type { Dim } from '../../../ir/shape.js';
import type { NodeContext } from '../context.js';
import { PROPAGATE_LIMIT, type Elements } from '../data.js';

/** Helpers shared by the op families. */

/**
 * An int list given as attribute `attr` before opset `since` and as input `index` from
 * then on. undefined: not given at all; null: given as an input whose value is unknown.
 */
export function intsArg(ctx: NodeContext, index: number, since: number, attr: string): readonly number[] | null | undefined {
  if (ctx.opset < since) return ctx.intList(attr);
  if (!ctx.has(index)) return undefined;
  return ctx.ints(index) ?? null;
}

/**
 * Input `i` read as a shape (Expand, ConstantOfShape, Reshape targets): its elements as dims
 * when known (symbols included), else as many unknown dims as its length says, else undefined.
 */
export function shapeArg(ctx: NodeContext, i: number): Dim[] | undefined {
  const e = ctx.data(i);
  if (e !== undefined && e.every((x) => x === null || typeof x === 'string' || Number.isInteger(x))) return [...e];
  const s = ctx.shape(i);
  if (s !== null && s.length === 1 && isRank(s[0])) return new Array<Dim>(s[0]).fill(null);
  return undefined;
}

/**
 * The most dimensions a tensor is taken to have. A dimension read as a rank (the length of
 * a shape vector) can be anything a file declares; a larger one is left unknown rather
 * than turned into an array of that many dims.
 */
export const MAX_RANK = 1024;

export function isRank(n: Dim | undefined): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_RANK;
}

/**
 * Elements of input `i` worth carrying along: small, and integral (shape arithmetic) or
 * tiny. Reads nothing unless the input is a constant or already carries elements.
 */
export function smallData(ctx: NodeContext, i: number): Elements | undefined {
  if (!ctx.mayKnow(i)) return undefined;
  const s = ctx.shape(i);
  if (s === null || !s.every((d) => typeof d === 'number')) return undefined;
  const n = (s as number[]).reduce((a, b) => a * b, 1);
  const dt = ctx.dtype(i);
  if (n > PROPAGATE_LIMIT || (n > 8 && !isInteger(dt) && dt !== 'bool')) return undefined;
  const e = ctx.data(i, PROPAGATE_LIMIT);
  return e !== undefined && e.length === n ? e : undefined;
}

/** A single integer element of input `i` (K of TopK, depth of OneHot), when known. */
export function scalarInt(ctx: NodeContext, i: number): number | undefined {
  const e = ctx.data(i, 1);
  if (e === undefined || e.length !== 1) return undefined;
  const x = e[0];
  return typeof x === 'number' ? Math.trunc(x) : undefined;
}
