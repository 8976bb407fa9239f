import { existsSync, statSync } from 'node:fs';
import { ModelError } from '../../errors.js';
import { byteSize, type DType } from '../../ir/dtype.js';
import { Tensor } from '../../ir/tensor.js';
import { ByteSource } from '../wire/source.js';
import { dtypeFromBlob } from './dtypes.js';

/**
 * The ML Program weight file ("blob storage v2"): a 64-byte header (blob count, version 2),
 * then per blob a 64-byte metadata record (sentinel 0xDEADBEEF, dtype, size, data offset,
 * padding bits, reserved words) followed by the data, each record 64-byte aligned.
 *
 * References point at a metadata record. Only the records that are referenced are read
 * (64 bytes each); data is read when a tensor asks for it. Reserved and padding words are
 * never judged (older writers left garbage there) and never rewritten.
 */

export const BLOB_SENTINEL = 0xdeadbeef;
export const BLOB_HEADER = 64;
export const BLOB_RECORD = 64;

export interface BlobRecord {
  /** Where the 64-byte metadata record starts (what BLOBFILE offsets name). */
  readonly offset: number;
  readonly dtype: DType;
  readonly dataOffset: number;
  readonly size: number;
}

export class BlobFile {
  private readonly records = new Map<number, BlobRecord>();

  private constructor(
    readonly path: string,
    readonly source: ByteSource,
    readonly count: number,
  ) {}

  static open(path: string): BlobFile {
    const source = ByteSource.fromFile(path);
    try {
      if (source.size < BLOB_HEADER) throw new ModelError(`weight file is ${source.size} bytes, shorter than its 64-byte header`, path);
      const header = source.read(0, 8);
      const version = header.readUInt32LE(4);
      if (version !== 2) throw new ModelError(`weight file has storage version ${version}; graphlint reads version 2`, path);
      return new BlobFile(path, source, header.readUInt32LE(0));
    } catch (e) {
      source.close();
      throw e;
    }
  }

  get size(): number {
    return this.source.size;
  }

  /** The metadata record at `offset`, validated against the file's size. */
  record(offset: number): BlobRecord {
    const known = this.records.get(offset);
    if (known) return known;
    const fail = (what: string): never => {
      throw new ModelError(`weight blob at offset ${offset}: ${what}`, this.path);
    };
    if (!Number.isSafeInteger(offset) || offset < BLOB_HEADER) fail('offset points into the file header or is not a valid number');
    if (offset + BLOB_RECORD > this.size) fail(`offset is past the end of the ${this.size}-byte file`);
    const m = this.source.read(offset, BLOB_RECORD);
    if (m.readUInt32LE(0) !== BLOB_SENTINEL) fail('no blob record there (sentinel 0xDEADBEEF missing)');
    const code = m.readUInt32LE(4);
    const dtype = dtypeFromBlob(code) ?? fail(`unknown blob data type ${code}`);
    const size = Number(m.readBigUInt64LE(8));
    const dataOffset = Number(m.readBigUInt64LE(16));
    if (dataOffset < offset + BLOB_RECORD || dataOffset > this.size || size > this.size - dataOffset) {
      fail(`data (${size} bytes at ${dataOffset}) lies outside the ${this.size}-byte file`);
    }
    const rec: BlobRecord = { offset, dtype, dataOffset, size };
    this.records.set(offset, rec);
    return rec;
  }

  /** A lazy tensor over the blob at `offset`, checked against the type the model declares. */
  tensor(offset: number, dtype: DType, dims: readonly number[], what: string): Tensor {
    const rec = this.record(offset);
    const count = dims.reduce((a, b) => a * b, 1);
    if (rec.dtype !== dtype) {
      throw new ModelError(`${what}: declared ${dtype} but the weight blob at ${offset} holds ${rec.dtype}`, this.path);
    }
    const expected = byteSize(dtype, count);
    if (expected !== undefined && expected !== rec.size) {
      throw new ModelError(`${what}: ${dtype}[${dims.join(',')}] needs ${expected} bytes but the blob at ${offset} holds ${rec.size}`, this.path);
    }
    const t = new Tensor(dtype, dims, { kind: 'external', file: this.path, offset: rec.dataOffset, length: rec.size },
      () => new Uint8Array(this.source.read(rec.dataOffset, rec.size)), rec.size);
    return t;
  }

  close(): void {
    this.source.close();
  }
}

/**
 * Weight files a model names, opened once each. A file that is absent (e.g. weights not
 * shipped) is remembered as missing: its tensors load with an error, but linting works.
 */
export class WeightFiles {
  private readonly open = new Map<string, BlobFile | string>();

  constructor(
    /** Resolves a name as the model spells it (`@model_path/weights/weight.bin`) to a path inside the model. */
    private readonly resolve: (name: string) => string,
    readonly file: string,
  ) {}

  /** The file behind `name`, or the reason it is unavailable. */
  get(name: string): BlobFile | string {
    let f = this.open.get(name);
    if (f === undefined) {
      const path = this.resolve(name);
      if (!existsSync(path)) f = `weight file '${name}' is not present`;
      else if (!statSync(path).isFile()) f = `weight file '${name}' is not a regular file`;
      else f = BlobFile.open(path);
      this.open.set(name, f);
    }
    return f;
  }

  tensor(name: string, offset: number, dtype: DType, dims: readonly number[], what: string): Tensor {
    const f = this.get(name);
    if (typeof f !== 'string') return f.tensor(offset, dtype, dims, what);
    const reason = f;
    return new Tensor(dtype, dims, { kind: 'missing', reason }, () => {
      throw new ModelError(`${what}: ${reason}`, this.file);
    });
  }

  /** Resolved paths of the files that exist, by the name the model uses. */
  files(): Map<string, BlobFile> {
    const out = new Map<string, BlobFile>();
    for (const [name, f] of this.open) if (typeof f !== 'string') out.set(name, f);
    return out;
  }

  close(): void {
    for (const f of this.open.values()) if (typeof f !== 'string') f.close();
  }
}

export function align64(n: number): number {
  return Math.ceil(n / 64) * 64;
}
