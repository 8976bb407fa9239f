import protobuf from 'protobufjs';
import type { ByteSource } from './source.js';

/** A run of output bytes: encoded here, or copied from a source file by range. */
export type Piece = Uint8Array | { readonly source: ByteSource; readonly offset: number; readonly length: number };

/**
 * Builds a protobuf message as a list of pieces, so that untouched parts of the input
 * (messages, weights) are copied by range instead of being decoded and re-encoded.
 * Scalars and small messages are encoded with protobufjs's Writer.
 */
export class Emitter {
  readonly pieces: Piece[] = [];
  length = 0;

  /** Appends bytes already encoded (tags included). */
  raw(bytes: Uint8Array): this {
    if (bytes.length > 0) {
      this.pieces.push(bytes);
      this.length += bytes.length;
    }
    return this;
  }

  /** Appends bytes [start, end) of `source` unchanged. */
  copy(source: ByteSource, start: number, end: number): this {
    if (end > start) {
      const last = this.pieces[this.pieces.length - 1];
      // Adjacent ranges of the same source merge into one copy.
      if (last && !(last instanceof Uint8Array) && last.source === source && last.offset + last.length === start) {
        this.pieces[this.pieces.length - 1] = { source, offset: last.offset, length: last.length + end - start };
      } else {
        this.pieces.push({ source, offset: start, length: end - start });
      }
      this.length += end - start;
    }
    return this;
  }

  /** Appends field `field` as a length-delimited message whose body is `body`. */
  message(field: number, body: Emitter): this {
    const header = protobuf.Writer.create().uint32((field << 3) | 2).uint32(body.length).finish();
    this.raw(header);
    for (const p of body.pieces) this.pieces.push(p);
    this.length += body.length;
    return this;
  }

  string(field: number, value: string): this {
    return this.raw(protobuf.Writer.create().uint32((field << 3) | 2).string(value).finish());
  }

  bytes(field: number, value: Uint8Array): this {
    return this.raw(protobuf.Writer.create().uint32((field << 3) | 2).bytes(value).finish());
  }

  int64(field: number, value: number): this {
    return this.raw(protobuf.Writer.create().uint32(field << 3).int64(clampInt64(value) as number).finish());
  }

  int32(field: number, value: number): this {
    return this.raw(protobuf.Writer.create().uint32(field << 3).int32(value).finish());
  }

  float(field: number, value: number): this {
    return this.raw(protobuf.Writer.create().uint32((field << 3) | 5).float(value).finish());
  }

  /** A packed repeated int64 field. */
  packedInt64(field: number, values: readonly number[]): this {
    const w = protobuf.Writer.create().uint32((field << 3) | 2).fork();
    for (const v of values) w.int64(clampInt64(v) as number);
    return this.raw(w.ldelim().finish());
  }

  /** A packed repeated float field. */
  packedFloat(field: number, values: readonly number[]): this {
    const w = protobuf.Writer.create().uint32((field << 3) | 2).fork();
    for (const v of values) w.float(v);
    return this.raw(w.ldelim().finish());
  }
}

/**
 * Numbers beyond 2^53 were read as the nearest double; INT64_MAX and INT64_MIN (the usual
 * "to the end" sentinels) come back exactly.
 */
export function clampInt64(value: number): number | string {
  if (Number.isSafeInteger(value)) return value;
  if (value >= 9223372036854775807) return '9223372036854775807';
  if (value <= -9223372036854775808) return '-9223372036854775808';
  return BigInt(Math.trunc(value)).toString();
}
