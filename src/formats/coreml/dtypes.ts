import type { DType } from '../../ir/dtype.js';

/**
 * The three numberings of element types in Core ML, each mapped onto the IR's DType:
 * MIL.proto `DataType` codes, MIL text spellings (model.mil), and the weight-blob file's
 * own codes. They are different numberings of the same types; never mix them up.
 */

/** MIL.proto DataType code → DType. */
const MIL_CODES: ReadonlyArray<[number, DType]> = [
  [1, 'bool'], [2, 'string'], [10, 'float16'], [11, 'float32'], [12, 'float64'], [13, 'bfloat16'],
  [21, 'int8'], [22, 'int16'], [23, 'int32'], [24, 'int64'], [25, 'int4'],
  [31, 'uint8'], [32, 'uint16'], [33, 'uint32'], [34, 'uint64'], [35, 'uint4'], [36, 'uint2'],
  [37, 'uint1'], [38, 'uint6'], [39, 'uint3'], [40, 'float8e4m3fn'], [41, 'float8e5m2'],
];
const MIL_BY_CODE = new Map(MIL_CODES);
const MIL_BY_DTYPE = new Map(MIL_CODES.map(([c, t]) => [t, c]));

export function dtypeFromMil(code: number | undefined): DType {
  return (code !== undefined && MIL_BY_CODE.get(code)) || 'unknown';
}

export function milCodeOf(dtype: DType): number {
  const code = MIL_BY_DTYPE.get(dtype);
  if (code === undefined) throw new Error(`invariant: ${dtype} has no ML Program data type`);
  return code;
}

/** model.mil spelling → DType (e.g. `fp16`, `int32`, `uint4`, `fp8e4m3fn`). */
const TEXT_NAMES: ReadonlyArray<[string, DType]> = [
  ['bool', 'bool'], ['string', 'string'], ['fp16', 'float16'], ['fp32', 'float32'], ['fp64', 'float64'],
  ['bf16', 'bfloat16'], ['int4', 'int4'], ['int8', 'int8'], ['int16', 'int16'], ['int32', 'int32'],
  ['int64', 'int64'], ['uint1', 'uint1'], ['uint2', 'uint2'], ['uint3', 'uint3'], ['uint4', 'uint4'],
  ['uint6', 'uint6'], ['uint8', 'uint8'], ['uint16', 'uint16'], ['uint32', 'uint32'], ['uint64', 'uint64'],
  ['fp8e4m3fn', 'float8e4m3fn'], ['fp8e5m2', 'float8e5m2'],
];
const TEXT_BY_NAME = new Map(TEXT_NAMES);
const TEXT_BY_DTYPE = new Map(TEXT_NAMES.map(([n, t]) => [t, n]));

export function dtypeFromText(name: string): DType | undefined {
  return TEXT_BY_NAME.get(name);
}

export function textNameOf(dtype: DType): string {
  return TEXT_BY_DTYPE.get(dtype) ?? dtype;
}

/** Weight-blob file dtype code (blob_metadata.mil_dtype) → DType. */
const BLOB_CODES: ReadonlyArray<[number, DType]> = [
  [1, 'float16'], [2, 'float32'], [3, 'uint8'], [4, 'int8'], [5, 'bfloat16'], [6, 'int16'],
  [7, 'uint16'], [8, 'int4'], [9, 'uint1'], [10, 'uint2'], [11, 'uint4'], [12, 'uint3'],
  [13, 'uint6'], [14, 'int32'], [15, 'uint32'], [16, 'float8e4m3fn'], [17, 'float8e5m2'],
];
const BLOB_BY_CODE = new Map(BLOB_CODES);
const BLOB_BY_DTYPE = new Map(BLOB_CODES.map(([c, t]) => [t, c]));

export function dtypeFromBlob(code: number): DType | undefined {
  return BLOB_BY_CODE.get(code);
}

export function blobCodeOf(dtype: DType): number | undefined {
  return BLOB_BY_DTYPE.get(dtype);
}

/** ArrayFeatureType.dataType (MultiArray) → DType. */
const ARRAY_CODES: ReadonlyArray<[number, DType]> = [
  [0x10020, 'float32'], [0x10040, 'float64'], [0x10010, 'float16'], [0x20020, 'int32'], [0x20008, 'int8'],
];
const ARRAY_BY_CODE = new Map(ARRAY_CODES);
const ARRAY_BY_DTYPE = new Map(ARRAY_CODES.map(([c, t]) => [t, c]));

export function dtypeFromArray(code: number | undefined): DType {
  // 0 (unset) names no type: say so rather than guess.
  return (code !== undefined && ARRAY_BY_CODE.get(code)) || 'unknown';
}

export function arrayCodeOf(dtype: DType): number | undefined {
  return ARRAY_BY_DTYPE.get(dtype);
}

/** metadata.json `dataType` spelling (Float32, Float16, Double, Int32, Int8) → DType. */
export function dtypeFromMetadataName(name: string | undefined): DType {
  switch (name) {
    case 'Float32': return 'float32';
    case 'Float16': return 'float16';
    case 'Double': case 'Float64': return 'float64';
    case 'Int32': return 'int32';
    case 'Int8': return 'int8';
    default: return 'unknown';
  }
}
