import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Tensor as TensorProto } from '../../../proto/onnx.schema.js';
import { ModelError } from '../../errors.js';
import { byteSize, DTYPE_BITS, type DType } from '../../ir/dtype.js';
import { Tensor, type TensorStorage } from '../../ir/tensor.js';
import { decodePacked } from '../wire/decode.js';
import type { Bytes, Decoded, PackedNumbers } from '../wire/decoded.js';
import { ByteSource } from '../wire/source.js';
import { resolveInside } from '../paths.js';
import { dtypeFromOnnx } from './dtypes.js';

/** What reading a tensor needs from the model being read. */
export interface TensorContext {
  readonly source: ByteSource;
  /** The model file; external data is resolved beside it. */
  readonly file: string;
}

const EXTERNAL = 1;

/**
 * A lazy tensor for a TensorProto: nothing is read until `bytes()` is called. `origin` is
 * what the writer copies it from: the message, or the offset of its field in the file.
 */
export function tensorFromProto(t: Decoded<TensorProto>, ctx: TensorContext, origin: unknown = t): Tensor {
  const tensor = lazyTensor(t, ctx);
  tensor.origin = origin;
  return tensor;
}

function lazyTensor(t: Decoded<TensorProto>, ctx: TensorContext): Tensor {
  const name = t.name ?? '';
  const dtype = dtypeFromOnnx(t.data_type);
  const dims = numbersOf(t.dims, ctx);
  const expected = expectedBytes(name, dtype, dims, ctx);
  if (t.data_location === EXTERNAL) return externalTensor(t, dtype, dims, expected, ctx);
  if (t.raw_data !== undefined) return rawTensor(name, dtype, dims, expected, t.raw_data, ctx);
  const count = dims.reduce((a, b) => a * b, 1);
  return typedFieldTensor(t, dtype, dims, count, expected, ctx);
}

/**
 * The tensor of a TensorProto that holds name, data_type, dims and raw_data only, as read by
 * a scan of its fields (tensor-scan.ts): the same tensor, and the same errors, as
 * tensorFromProto makes of the decoded message.
 */
export function rawDataTensorOf(name: string, dataType: number | undefined, dims: number[], raw: Bytes, ctx: TensorContext, origin: unknown): Tensor {
  const dtype = dtypeFromOnnx(dataType);
  const tensor = rawTensor(name, dtype, dims, expectedBytes(name, dtype, dims, ctx), raw, ctx);
  tensor.origin = origin;
  return tensor;
}

/** The element bytes `dims` of `dtype` take (undefined for strings), once the dims are checked. */
function expectedBytes(name: string, dtype: DType, dims: readonly number[], ctx: TensorContext): number | undefined {
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new ModelError(`tensor '${name}' has an invalid dimension ${d}`, ctx.file);
    }
  }
  return byteSize(dtype, dims.reduce((a, b) => a * b, 1));
}

function rawTensor(name: string, dtype: DType, dims: number[], expected: number | undefined, raw: Bytes, ctx: TensorContext): Tensor {
  // raw_data holds exactly dtype × dims bytes: any other size would be misread element by element.
  if (expected !== undefined && raw.length !== expected) {
    throw new ModelError(`tensor '${name}': ${dtype}[${dims.join(',')}] needs ${expected} bytes but raw_data holds ${raw.length}`, ctx.file);
  }
  // Bytes the decoder kept (a small constant) are the tensor's: there is nothing left to load.
  if (raw.data !== undefined && dtype !== 'string') {
    return Tensor.fromBytes(dtype, dims, raw.data, { kind: 'file', file: ctx.file, offset: raw.offset, length: raw.length });
  }
  return rawDataTensor(dtype, dims, raw, ctx);
}

// Loaders are made in functions of their own, so that only tensors that need one pay for
// the closure and the variables it keeps.

/** A tensor whose raw_data stays in the file until asked for. */
function rawDataTensor(dtype: DType, dims: number[], raw: Bytes, ctx: TensorContext): Tensor {
  const storage: TensorStorage = { kind: 'file', file: ctx.file, offset: raw.offset, length: raw.length };
  const load = (): Uint8Array => raw.data ?? ctx.source.read(raw.offset, raw.length);
  return new Tensor(dtype, dims, storage, load, dtype === 'string' ? undefined : raw.length);
}

/** A tensor in float_data / int64_data / ..., converted to little-endian element bytes when asked for. */
function typedFieldTensor(t: Decoded<TensorProto>, dtype: DType, dims: number[], count: number, expected: number | undefined, ctx: TensorContext): Tensor {
  const load = (): Uint8Array => typedFieldBytes(t, dtype, count, ctx);
  return new Tensor(dtype, dims, { kind: 'memory' }, load, dtype === 'string' ? undefined : expected);
}

function externalTensor(
  t: Decoded<TensorProto>,
  dtype: DType,
  dims: number[],
  expected: number | undefined,
  ctx: TensorContext,
): Tensor {
  const entries = new Map((t.external_data ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  const what = `external data of tensor '${t.name ?? ''}'`;
  if (location === undefined) throw new ModelError(`${what} names no location`, ctx.file);
  const path = resolveInside(dirname(ctx.file), location, what, ctx.file);
  const offset = parseCount(entries.get('offset') ?? '0', `${what}: offset`, ctx.file);
  const lengthText = entries.get('length');
  if (!existsSync(path)) {
    const storage: TensorStorage = { kind: 'missing', reason: `${what}: file '${location}' not found` };
    return new Tensor(dtype, dims, storage, () => {
      throw new ModelError(storage.reason, ctx.file);
    }, expected);
  }
  const st = statSync(path);
  if (!st.isFile()) throw new ModelError(`${what}: '${location}' is not a regular file`, ctx.file);
  const size = st.size;
  // Without a length the tensor takes the bytes its type and dims need (as ONNX Runtime reads it).
  const length = lengthText !== undefined ? parseCount(lengthText, `${what}: length`, ctx.file) : expected ?? size - offset;
  if (offset + length > size || length < 0) {
    throw new ModelError(`${what} needs bytes ${offset}..${offset + length} of '${location}', which has ${size}`, ctx.file);
  }
  if (expected !== undefined && length !== expected) {
    throw new ModelError(`${what}: ${dtype}[${dims.join(',')}] needs ${expected} bytes but its length is ${length}`, ctx.file);
  }
  const storage: TensorStorage = { kind: 'external', file: path, offset, length };
  const load = (): Uint8Array => {
    const src = ByteSource.fromFile(path);
    try {
      return src.read(offset, length);
    } finally {
      src.close();
    }
  };
  return new Tensor(dtype, dims, storage, load, dtype === 'string' ? undefined : length);
}

function parseCount(text: string, what: string, file: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) {
    throw new ModelError(`${what} '${text}' is not a byte count`, file);
  }
  return n;
}

/** Numbers of a repeated numeric field, reading a lazily kept one from the source. */
export function numbersOf(field: PackedNumbers | undefined, ctx: TensorContext, scalar = 'int64'): number[] {
  if (field === undefined) return [];
  if (Array.isArray(field)) return field;
  const out: number[] = [];
  for (const part of field.parts) {
    if (typeof part === 'number') out.push(part);
    else decodePacked(ctx.source.read(part.start, part.end - part.start), (field.scalar || scalar) as never, out, ctx.file, part.start);
  }
  return out;
}

/** Element bytes for a tensor stored in float_data / int32_data / int64_data / ... */
function typedFieldBytes(t: Decoded<TensorProto>, dtype: DType, count: number, ctx: TensorContext): Uint8Array {
  const bits = DTYPE_BITS[dtype];
  if (dtype === 'string') return new Uint8Array(0);
  // Every stored value takes at least a byte of the message (two 4-bit ones per int32 at most):
  // a count beyond that is declared, not stored, and must not size an allocation.
  const span = t.$span.end - t.$span.start;
  if (count > 2 * span) throw new ModelError(`tensor '${t.name ?? ''}' declares ${count} elements but its ${span} bytes cannot store them`, ctx.file);
  const out = new Uint8Array(Math.ceil((bits * count) / 8));
  const view = new DataView(out.buffer);
  const need = (values: number[], per = 1): number[] => {
    if (values.length * per < count) {
      throw new ModelError(`tensor '${t.name ?? ''}' declares ${count} elements but stores ${values.length * per}`, ctx.file);
    }
    return values;
  };
  switch (dtype) {
    case 'float32': {
      const v = need(numbersOf(t.float_data, ctx, 'float'));
      for (let i = 0; i < count; i++) view.setFloat32(i * 4, v[i]!, true);
      break;
    }
    case 'complex64': {
      const v = need(numbersOf(t.float_data, ctx, 'float'), 0.5);
      for (let i = 0; i < count * 2; i++) view.setFloat32(i * 4, v[i]!, true);
      break;
    }
    case 'float64': case 'complex128': {
      const n = dtype === 'float64' ? count : count * 2;
      const v = numbersOf(t.double_data, ctx, 'double');
      if (v.length < n) throw new ModelError(`tensor '${t.name ?? ''}' stores too few values`, ctx.file);
      for (let i = 0; i < n; i++) view.setFloat64(i * 8, v[i]!, true);
      break;
    }
    case 'int64': {
      const v = need(numbersOf(t.int64_data, ctx, 'int64'));
      for (let i = 0; i < count; i++) view.setBigInt64(i * 8, BigInt(v[i]!), true);
      break;
    }
    case 'uint64': case 'uint32': {
      const v = need(numbersOf(t.uint64_data, ctx, 'uint64'));
      for (let i = 0; i < count; i++) {
        if (dtype === 'uint64') view.setBigUint64(i * 8, BigInt(v[i]!), true);
        else view.setUint32(i * 4, v[i]!, true);
      }
      break;
    }
    default: {
      // Everything else lives in int32_data: one element per entry, or two 4-bit ones.
      const v = numbersOf(t.int32_data, ctx, 'int32');
      if (bits === 4) {
        if (v.length * 2 < count) throw new ModelError(`tensor '${t.name ?? ''}' stores too few values`, ctx.file);
        for (let i = 0; i < out.length; i++) out[i] = v[i]! & 0xff;
      } else if (bits === 8) {
        need(v);
        for (let i = 0; i < count; i++) out[i] = v[i]! & 0xff;
      } else if (bits === 16) {
        need(v);
        for (let i = 0; i < count; i++) view.setUint16(i * 2, v[i]! & 0xffff, true);
      } else if (bits === 32) {
        need(v);
        for (let i = 0; i < count; i++) view.setInt32(i * 4, v[i]!, true);
      } else {
        throw new ModelError(`tensor '${t.name ?? ''}' of ${dtype} has no typed-field layout graphlint knows`, ctx.file);
      }
    }
  }
  return out;
}
