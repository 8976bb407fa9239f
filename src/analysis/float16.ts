/**
 * What a number becomes in IEEE 754 half precision (float16), the Neural Engine's native
 * type (A1). Used to judge constants and attributes before a converter casts them.
 */

/** Largest finite float16: 65504. Anything at or above 65520 rounds to infinity. */
export const FLOAT16_MAX = 65504;

/** Smallest positive normal float16: 2^-14 ≈ 6.10e-5. Below it, precision falls away bit by bit. */
export const FLOAT16_MIN_NORMAL = 2 ** -14;

/** Smallest positive subnormal float16: 2^-24 ≈ 5.96e-8. Magnitudes up to half of it round to 0. */
export const FLOAT16_MIN_SUBNORMAL = 2 ** -24;

/**
 * `x` rounded to the nearest float16 (ties to even), returned as a JS number: ±Infinity on
 * overflow, ±0 on underflow, NaN stays NaN. The input is first taken as float32, as the
 * converters do with float32 model constants.
 */
export function toFloat16(x: number): number {
  if (Number.isNaN(x) || !Number.isFinite(x)) return x;
  const f = Math.fround(x);
  const sign = f < 0 || Object.is(f, -0) ? -1 : 1;
  const a = Math.abs(f);
  if (a === 0) return sign * 0;
  // Units in the last place: 2^-24 for subnormals, else 2^(exponent - 10).
  let exponent = Math.floor(Math.log2(a));
  if (2 ** exponent > a) exponent--; // log2 can round up just below a power of two
  else if (2 ** (exponent + 1) <= a) exponent++;
  const ulp = exponent < -14 ? FLOAT16_MIN_SUBNORMAL : 2 ** (exponent - 10);
  const units = a / ulp;
  let rounded = Math.floor(units);
  const rest = units - rounded;
  if (rest > 0.5 || (rest === 0.5 && rounded % 2 === 1)) rounded += 1;
  const r = rounded * ulp;
  if (r > FLOAT16_MAX) return sign * Infinity;
  return sign * r;
}

/** True when a nonzero finite `x` becomes 0 in float16. */
export function flushesToZero(x: number): boolean {
  // Rules ask this of every element of every small constant: most are far from the edge.
  const a = Math.abs(x);
  if (a > FLOAT16_MIN_SUBNORMAL) return false;
  return Number.isFinite(x) && x !== 0 && toFloat16(x) === 0;
}

/** True when a finite `x` becomes ±Infinity in float16. */
export function overflows(x: number): boolean {
  if (Math.abs(x) <= FLOAT16_MAX) return false; // the common case, without rounding
  return Number.isFinite(x) && !Number.isFinite(toFloat16(x));
}

/** True when a nonzero finite `x` survives only as a float16 subnormal (|x| < 2^-14, not 0). */
export function isSubnormal16(x: number): boolean {
  if (!Number.isFinite(x) || x === 0) return false;
  const h = Math.abs(toFloat16(x));
  return h > 0 && h < FLOAT16_MIN_NORMAL;
}
