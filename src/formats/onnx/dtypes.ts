import type { DType } from '../../ir/dtype.js';

/** ONNX TensorProto.DataType codes, by their numbers in the ONNX IR. */
const BY_CODE: ReadonlyArray<DType | undefined> = [
  undefined, // 0: undefined
  'float32', 'uint8', 'int8', 'uint16', 'int16', 'int32', 'int64', 'string', 'bool', 'float16',
  'float64', 'uint32', 'uint64', 'complex64', 'complex128', 'bfloat16',
  'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'uint4', 'int4', 'float4e2m1',
  'float8e8m0', 'uint2', 'int2',
];

const BY_DTYPE = new Map<DType, number>();
BY_CODE.forEach((t, code) => t && BY_DTYPE.set(t, code));

export function dtypeFromOnnx(code: number | undefined): DType {
  return (code !== undefined && BY_CODE[code]) || 'unknown';
}

export function onnxCodeOf(dtype: DType): number {
  const code = BY_DTYPE.get(dtype);
  if (code === undefined) throw new Error(`invariant: ${dtype} has no ONNX data type`);
  return code;
}
