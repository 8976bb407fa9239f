import type {
  TensorType as TensorTypeProto,
  TensorValue,
  Value as ValueProto,
  ValueType as ValueTypeProto,
} from '../../../proto/coreml.schema.js';
import { ModelError } from '../../errors.js';
import { byteSize, DTYPE_BITS, type DType } from '../../ir/dtype.js';
import type { Dim } from '../../ir/shape.js';
import { Tensor } from '../../ir/tensor.js';
import type { ValueType } from '../../ir/types.js';
import type { Bytes, Decoded, PackedNumbers } from '../wire/decoded.js';
import { decodePacked } from '../wire/decode.js';
import type { ByteSource } from '../wire/source.js';
import type { WeightFiles } from './blob.js';
import { dtypeFromMil } from './dtypes.js';
import { encodeElements, joinStrings } from './elements.js';

/** What reading MIL values needs: the spec's bytes (for large inline payloads) and the weight files. */
export interface MilContext {
  readonly source: ByteSource;
  readonly file: string;
  readonly weights: WeightFiles;
}

/** ML Program ValueType → IR type. State types read as the tensor they wrap. */
export function milType(t: Decoded<ValueTypeProto> | undefined, depth = 0): ValueType | null {
  if (!t || depth > 32) return null;
  if (t.tensorType) {
    const s = milShape(t.tensorType);
    return { kind: 'tensor', dtype: dtypeFromMil(t.tensorType.dataType), shape: s };
  }
  if (t.listType) return { kind: 'sequence', elem: milType(t.listType.type, depth + 1) };
  if (t.dictionaryType) {
    const key = milType(t.dictionaryType.keyType, depth + 1);
    return { kind: 'map', key: key?.kind === 'tensor' ? key.dtype : 'unknown', value: milType(t.dictionaryType.valueType, depth + 1) };
  }
  if (t.stateType) return milType(t.stateType.wrappedType, depth + 1);
  if (t.tupleType) return { kind: 'opaque', name: 'tuple' };
  return null;
}

/** A TensorType's shape: null for any rank (-1), unknown dimensions null. */
export function milShape(t: Decoded<TensorTypeProto>): Dim[] | null {
  const rank = t.rank ?? 0;
  if (rank < 0) return null;
  const dims = (t.dimensions ?? []).map((d) => (d.constant ? d.constant.size ?? 0 : null));
  if (dims.length !== rank) return null;
  return dims;
}

/**
 * The tensor a Value holds (immediate or in a weight file), or undefined for values that
 * are not tensors (tuples, lists, dictionaries). Nothing large is read here.
 */
export function milTensor(v: Decoded<ValueProto>, ctx: MilContext, what: string): Tensor | undefined {
  const tt = v.type?.tensorType;
  if (!tt) return undefined;
  const dtype = dtypeFromMil(tt.dataType);
  const shape = milShape(tt);
  if (shape === null || shape.some((d) => d === null)) {
    // A constant needs a fixed shape; a blob or immediate without one is malformed.
    if (v.blobFileValue || v.immediateValue?.tensor) throw new ModelError(`${what}: a constant has no fixed shape`, ctx.file);
    return undefined;
  }
  const dims = shape as number[];
  if (v.blobFileValue) {
    const b = v.blobFileValue;
    const t = ctx.weights.tensor(b.fileName ?? '', b.offset ?? 0, dtype, dims, what);
    t.origin = v;
    return t;
  }
  const tv = v.immediateValue?.tensor;
  if (!tv) return undefined;
  const t = immediateTensor(tv, dtype, dims, ctx, what);
  t.origin = v;
  return t;
}

function immediateTensor(tv: Decoded<TensorValue>, dtype: DType, dims: number[], ctx: MilContext, what: string): Tensor {
  const count = dims.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count)) throw new ModelError(`${what}: shape [${dims.join(',')}] is too large`, ctx.file);
  const raw = tv.bytes?.values;
  if (raw) return rawTensor(raw, dtype, dims, ctx, what);
  if (tv.strings) {
    const strings = tv.strings.values ?? [];
    if (strings.length !== count) throw new ModelError(`${what}: ${count} strings declared, ${strings.length} stored`, ctx.file);
    return Tensor.fromBytes('string', dims, joinStrings(strings));
  }
  const field = tv.floats ? ['float', tv.floats.values] as const
    : tv.doubles ? ['double', tv.doubles.values] as const
    : tv.ints ? ['int32', tv.ints.values] as const
    : tv.longInts ? ['int64', tv.longInts.values] as const
    : tv.bools ? ['bool', tv.bools.values] as const
    : undefined;
  if (!field) {
    if (count === 0) return Tensor.fromBytes(dtype, dims, new Uint8Array(0));
    throw new ModelError(`${what}: an immediate tensor value holds no data`, ctx.file);
  }
  const [scalar, values] = field;
  const expected = byteSize(dtype, count);
  if (expected === undefined) throw new ModelError(`${what}: ${dtype} cannot be stored as numbers`, ctx.file);
  // Numbers are decoded only when asked for; a count check needs no decoding for fixed-size kinds.
  const load = (): Uint8Array => {
    const nums = numbersOf(values, scalar, ctx);
    if (nums.length !== count) throw new ModelError(`${what}: ${count} values declared, ${nums.length} stored`, ctx.file);
    return encodeElements(dtype, nums, what);
  };
  if (Array.isArray(values)) {
    if (values.length !== count) throw new ModelError(`${what}: ${count} values declared, ${values.length} stored`, ctx.file);
    return Tensor.fromBytes(dtype, dims, encodeElements(dtype, values, what));
  }
  return new Tensor(dtype, dims, { kind: 'memory' }, load, expected);
}

function rawTensor(raw: Bytes, dtype: DType, dims: number[], ctx: MilContext, what: string): Tensor {
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = byteSize(dtype, count);
  if (expected === undefined || DTYPE_BITS[dtype] === 0) throw new ModelError(`${what}: ${dtype} cannot be stored as bytes`, ctx.file);
  if (raw.length !== expected) {
    throw new ModelError(`${what}: ${dtype}[${dims.join(',')}] needs ${expected} bytes but ${raw.length} are stored`, ctx.file);
  }
  if (raw.data) return Tensor.fromBytes(dtype, dims, raw.data);
  return new Tensor(dtype, dims, { kind: 'file', file: ctx.file, offset: raw.offset, length: raw.length },
    () => new Uint8Array(ctx.source.read(raw.offset, raw.length)), raw.length);
}

export function numbersOf(field: PackedNumbers | undefined, scalar: string, ctx: MilContext): number[] {
  if (field === undefined) return [];
  if (Array.isArray(field)) return field;
  const out: number[] = [];
  for (const part of field.parts) {
    if (typeof part === 'number') out.push(part);
    else decodePacked(ctx.source.read(part.start, part.end - part.start), (field.scalar || scalar) as never, out, ctx.file, part.start);
  }
  return out;
}

/** A scalar the IR can hold as a plain attribute (rank 0, small): number, string or boolean. */
export function milScalar(v: Decoded<ValueProto>): number | string | boolean | undefined {
  const tt = v.type?.tensorType;
  const tv = v.immediateValue?.tensor;
  if (!tt || !tv || (tt.rank ?? 0) !== 0) return undefined;
  const one = <T>(list: T[] | undefined): T | undefined => (list && list.length === 1 ? list[0] : undefined);
  if (tv.strings) return one(tv.strings.values);
  if (tv.bools) {
    // Packed bools decode as 0/1, unpacked ones as booleans.
    const b = Array.isArray(tv.bools.values) ? one(tv.bools.values as unknown[]) : undefined;
    return b === undefined ? undefined : b !== 0 && b !== false;
  }
  for (const f of [tv.floats, tv.ints, tv.longInts, tv.doubles]) {
    if (f) return Array.isArray(f.values) ? one(f.values) : undefined;
  }
  return undefined;
}
