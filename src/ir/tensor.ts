import { closeSync, openSync, readSync } from 'node:fs';
import { ModelError } from '../errors.js';
import { byteSize, type DType } from './dtype.js';

/**
 * Where a tensor's bytes live; formats attach what their writer needs to copy them. A 'file'
 * or 'external' range whose length is the tensor's byte length holds exactly the element
 * bytes `bytes()` returns, so writers may copy it by range instead of loading it.
 */
export type TensorStorage =
  | { readonly kind: 'memory' }
  | { readonly kind: 'file'; readonly file: string; readonly offset: number; readonly length: number }
  | { readonly kind: 'external'; readonly file: string; readonly offset: number; readonly length: number }
  | { readonly kind: 'missing'; readonly reason: string };

/**
 * A constant whose bytes are read only when asked for. Linting asks only for small
 * tensors (shape vectors, scalars, pads); `readCount` lets tests prove it.
 */
export class Tensor {
  static readCount = 0;
  static bytesRead = 0;
  /** The largest single tensor read so far, in bytes: proves weights stay on disk. */
  static largestRead = 0;

  private cached: Uint8Array | undefined;
  /** The format's handle on the original encoding; tensors never change, so it stays valid. */
  origin?: unknown;

  constructor(
    readonly dtype: DType,
    readonly dims: readonly number[],
    readonly storage: TensorStorage,
    /** Returns the little-endian element bytes (sub-byte types packed). */
    private readonly loader: () => Uint8Array,
    /** Byte length when known without loading (undefined for strings). */
    readonly byteLength: number | undefined = byteSize(dtype, dims.reduce((a, b) => a * b, 1)),
  ) {}

  /**
   * A tensor whose bytes are at hand. `storage` says where they came from when that is a
   * file (a reader's small constant); they are never read from there.
   */
  static fromBytes(dtype: DType, dims: readonly number[], bytes: Uint8Array, storage: TensorStorage = IN_MEMORY): Tensor {
    // A shared loader, no closure: a big graph has a small constant every few nodes.
    const t = new Tensor(dtype, dims, storage, neverLoaded, bytes.byteLength);
    t.cached = bytes;
    return t;
  }

  /**
   * A tensor whose element bytes are `length` bytes of `file` from `offset` (a weight blob,
   * a generated file). Nothing is read until asked; writers copy the range, streaming.
   */
  static fromFile(dtype: DType, dims: readonly number[], file: string, offset: number, length: number): Tensor {
    return new Tensor(dtype, dims, { kind: 'file', file, offset, length }, () => readRange(file, offset, length), length);
  }

  /**
   * The file range that holds exactly this tensor's element bytes, when there is one:
   * a writer copies it instead of calling `bytes()`, so size costs no memory.
   */
  get fileRange(): { readonly file: string; readonly offset: number; readonly length: number } | undefined {
    const s = this.storage;
    if ((s.kind !== 'file' && s.kind !== 'external') || this.cached !== undefined) return undefined;
    if (this.dtype === 'string' || this.byteLength === undefined || s.length !== this.byteLength) return undefined;
    return s;
  }

  get elementCount(): number {
    return this.dims.reduce((a, b) => a * b, 1);
  }

  get loaded(): boolean {
    return this.cached !== undefined;
  }

  /** The element bytes. Reads them from disk the first time. */
  bytes(): Uint8Array {
    if (this.cached === undefined) {
      const data = this.loader();
      Tensor.readCount++;
      Tensor.bytesRead += data.byteLength;
      Tensor.largestRead = Math.max(Tensor.largestRead, data.byteLength);
      if (this.byteLength !== undefined && data.byteLength !== this.byteLength) {
        throw new ModelError(
          `tensor of ${this.dtype}[${this.dims.join(',')}] needs ${this.byteLength} bytes but holds ${data.byteLength}`,
        );
      }
      // Small tensors are worth keeping; large ones are re-read when asked again.
      if (data.byteLength <= SMALL_TENSOR_BYTES) this.cached = data;
      return data;
    }
    return this.cached;
  }

  /**
   * The elements as numbers, for tensors of at most `limit` elements (default 4096).
   * Returns undefined for larger tensors and for types that are not plain numbers.
   */
  numbers(limit = 4096): number[] | undefined {
    if (this.elementCount > limit) return undefined;
    const b = this.bytes();
    const read = NUMBER_READERS[this.dtype];
    if (read === undefined) return undefined;
    return read(new DataView(b.buffer, b.byteOffset, b.byteLength), this.elementCount);
  }
}

const IN_MEMORY: TensorStorage = { kind: 'memory' };

/** The loader of a tensor made from its bytes, which keeps them (`cached` is never cleared). */
function neverLoaded(): Uint8Array {
  throw new Error('invariant: a tensor made from bytes lost them');
}

function readRange(file: string, offset: number, length: number): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const n = readSync(fd, out, done, length - done, offset + done);
      if (n === 0) throw new ModelError(`needs bytes ${offset}..${offset + length} but the file is shorter`, file);
      done += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** Tensors up to this many bytes stay in memory once read. */
export const SMALL_TENSOR_BYTES = 64 * 1024;

/** The first `count` elements of `view` as numbers. */
type NumberReader = (view: DataView, count: number) => number[];

/**
 * A reader per type, each with a loop of its own: one loop calling a reader per element was a
 * call through a table for every element of the hundreds of thousands of small constants of a
 * big graph.
 */
const NUMBER_READERS: Partial<Record<DType, NumberReader>> = {
  float32: (v, n) => fill(n, (out) => { for (let i = 0; i < n; i++) out[i] = v.getFloat32(4 * i, true); }),
  float64: (v, n) => fill(n, (out) => { for (let i = 0; i < n; i++) out[i] = v.getFloat64(8 * i, true); }),
  float16: (v, n) => fill(n, (out) => { for (let i = 0; i < n; i++) out[i] = halfToFloat(v.getUint16(2 * i, true)); }),
  bfloat16: (v, n) => fill(n, (out) => { for (let i = 0; i < n; i++) out[i] = bf16ToFloat(v.getUint16(2 * i, true)); }),
  int8: (v, n) => fill(n, (out) => { for (let i = 0; i < n; i++) out[i] = v.getInt8(i); }),
  uint8: (v, n) => fill(n, (out) => { for (let i = 0; i < n; i++) out[i] = v.getUint8(i); }),
  int16: (v, n) => fill(n, (out) => { for (let i = 0; i < n; i++) out[i] = v.getInt16(2 * i, true); }),
  uint16: (v, n) => fill(n, (out) => { for (let i = 0; i < n; i++) out[i] = v.getUint16(2 * i, true); }),
  int32: (v, n) => fill(n, (out) => { for (let i = 0; i < n; i++) out[i] = v.getInt32(4 * i, true); }),
  uint32: (v, n) => fill(n, (out) => { for (let i = 0; i < n; i++) out[i] = v.getUint32(4 * i, true); }),
  // From two 32-bit halves, without a BigInt per element. hi·2^32 is exact and one addition
  // rounds once, to nearest even, so the result is Number(BigInt) of the same bytes, bit for bit.
  int64: (v, n) => fill(n, (out) => { for (let i = 0; i < n; i++) out[i] = v.getInt32(8 * i + 4, true) * 4294967296 + v.getUint32(8 * i, true); }),
  uint64: (v, n) => fill(n, (out) => { for (let i = 0; i < n; i++) out[i] = v.getUint32(8 * i + 4, true) * 4294967296 + v.getUint32(8 * i, true); }),
  bool: (v, n) => fill(n, (out) => { for (let i = 0; i < n; i++) out[i] = v.getUint8(i) ? 1 : 0; }),
};

function fill(n: number, write: (out: number[]) => void): number[] {
  const out: number[] = new Array(n);
  write(out);
  return out;
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function bf16ToFloat(h: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, h << 16);
  return view.getFloat32(0);
}
