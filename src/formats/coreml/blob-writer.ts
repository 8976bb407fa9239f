import { WriteError } from '../../errors.js';
import { DTYPE_BITS } from '../../ir/dtype.js';
import type { Tensor } from '../../ir/tensor.js';
import type { Piece } from '../wire/encode.js';
import { align64, BLOB_HEADER, BLOB_RECORD, BLOB_SENTINEL, type BlobFile } from './blob.js';
import { blobCodeOf } from './dtypes.js';

/**
 * Appends new constants to an ML Program weight file. The original file is copied
 * byte for byte (junk in reserved words included); only the blob count in the header's
 * first four bytes is updated, and new records go after the last byte, 64-byte aligned.
 * Offsets are assigned as constants are placed, before the spec that names them is encoded.
 */
export class BlobAppender {
  private next: number;
  private readonly added: Array<{ offset: number; tensor: Tensor }> = [];

  constructor(
    /** The name the spec uses for this file (`@model_path/weights/weight.bin`). */
    readonly fileName: string,
    /** The existing file, or undefined to start a new one. */
    readonly base: BlobFile | undefined,
  ) {
    this.next = base ? Math.max(BLOB_HEADER, align64(base.size)) : BLOB_HEADER;
  }

  get changed(): boolean {
    return this.added.length > 0;
  }

  /** Reserves a record for `t` and returns where the spec should point. */
  place(t: Tensor): { fileName: string; offset: number } {
    const code = blobCodeOf(t.dtype);
    if (code === undefined) throw new WriteError(`a ${t.dtype} constant cannot be stored in a weight file`);
    const size = t.byteLength ?? 0;
    const offset = this.next;
    this.added.push({ offset, tensor: t });
    this.next = align64(offset + BLOB_RECORD + size);
    return { fileName: this.fileName, offset };
  }

  /** The new file's content: the original, then zero padding and each new record. */
  pieces(): Piece[] {
    const out: Piece[] = [];
    const count = (this.base?.count ?? 0) + this.added.length;
    if (count > 0xffffffff) throw new WriteError('too many blobs for one weight file');
    const header = Buffer.alloc(BLOB_HEADER);
    if (this.base) {
      header.set(this.base.source.read(0, BLOB_HEADER));
    } else {
      header.writeUInt32LE(2, 4);
    }
    header.writeUInt32LE(count, 0);
    out.push(header);
    let at = BLOB_HEADER;
    if (this.base && this.base.size > BLOB_HEADER) {
      out.push({ source: this.base.source, offset: BLOB_HEADER, length: this.base.size - BLOB_HEADER });
      at = this.base.size;
    }
    for (const { offset, tensor } of this.added) {
      if (offset > at) out.push(new Uint8Array(offset - at));
      const data = tensor.bytes();
      const meta = Buffer.alloc(BLOB_RECORD);
      meta.writeUInt32LE(BLOB_SENTINEL, 0);
      meta.writeUInt32LE(blobCodeOf(tensor.dtype)!, 4);
      meta.writeBigUInt64LE(BigInt(data.byteLength), 8);
      meta.writeBigUInt64LE(BigInt(offset + BLOB_RECORD), 16);
      const bits = DTYPE_BITS[tensor.dtype];
      meta.writeBigUInt64LE(BigInt(bits < 8 ? (8 - ((bits * tensor.elementCount) % 8)) % 8 : 0), 24);
      out.push(meta, data);
      at = offset + BLOB_RECORD + data.byteLength;
    }
    return out;
  }
}
