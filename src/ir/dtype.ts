/**
 * Element types, named once for every format. ONNX codes and Core ML (MIL) spellings map
 * onto these names; 'unknown' is a type graphlint could not name, never a guess.
 */
export const DTYPES = [
  'float32', 'float16', 'bfloat16', 'float64',
  'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
  'bool', 'string', 'complex64', 'complex128',
  'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float8e8m0', 'float4e2m1',
  'int4', 'uint4', 'int2', 'uint2', 'uint1', 'uint3', 'uint6', 'int3', 'int6',
  'unknown',
] as const;

export type DType = (typeof DTYPES)[number];

/** Bits per element; 0 for types with no fixed size (string, unknown). */
export const DTYPE_BITS: Readonly<Record<DType, number>> = {
  float32: 32, float16: 16, bfloat16: 16, float64: 64,
  int8: 8, int16: 16, int32: 32, int64: 64, uint8: 8, uint16: 16, uint32: 32, uint64: 64,
  bool: 8, string: 0, complex64: 64, complex128: 128,
  float8e4m3fn: 8, float8e4m3fnuz: 8, float8e5m2: 8, float8e5m2fnuz: 8, float8e8m0: 8, float4e2m1: 4,
  int4: 4, uint4: 4, int2: 2, uint2: 2, uint1: 1, uint3: 3, uint6: 6, int3: 3, int6: 6,
  unknown: 0,
};

export function isFloat(t: DType): boolean {
  return t.startsWith('float') || t === 'bfloat16';
}

export function isInteger(t: DType): boolean {
  return /^u?int\d+$/.test(t);
}

/** Bytes needed to store `count` elements, sub-byte types packed; undefined when not fixed. */
export function byteSize(t: DType, count: number): number | undefined {
  const bits = DTYPE_BITS[t];
  if (bits === 0) return undefined;
  return Math.ceil((bits * count) / 8);
}
