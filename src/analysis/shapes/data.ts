import type { DType } from '../../ir/dtype.js';
import type { Dim } from '../../ir/shape.js';
import type { Tensor } from '../../ir/tensor.js';

/**
 * The known elements of a small tensor, row-major: numbers, symbols (a Shape of a tensor
 * with a symbolic dim yields that symbol) or null for an element nothing is known about.
 * Only shape computations need these: Shape → Gather → Concat → Reshape and friends.
 */
export type Elements = readonly Dim[];

/** Largest tensor whose elements a rule may ask for (shape vectors, pads, scales, axes). */
export const DATA_LIMIT = 1024;

/**
 * Largest tensor propagated through arithmetic just in case a shape computation reads it;
 * weights are larger than this, so they are never read on the off chance.
 */
export const PROPAGATE_LIMIT = 64;

const NUMERIC: ReadonlySet<DType> = new Set<DType>([
  'float32', 'float64', 'float16', 'bfloat16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32',
  'int64', 'uint64', 'bool',
]);

/** A constant's elements when it is small and numeric; undefined otherwise or when unreadable. */
export function tensorElements(t: Tensor, limit: number): number[] | undefined {
  if (!NUMERIC.has(t.dtype) || t.elementCount > limit) return undefined;
  try {
    return t.numbers(limit);
  } catch {
    return undefined; // missing or truncated bytes: the value stays unknown
  }
}

export function allIntegers(e: Elements): e is readonly number[] {
  return e.every((x) => typeof x === 'number' && Number.isInteger(x));
}
