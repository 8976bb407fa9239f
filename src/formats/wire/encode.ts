import type { ByteSource } from './source.js';

/** A run of output bytes: encoded here, or copied from a source file by range. */
export type Piece = Uint8Array | { readonly source: ByteSource; readonly offset: number; readonly length: number };

/** Encoded runs shorter than this are copied into the emitter's own chunks; longer ones are kept by reference. */
const INLINE_COPY = 4096;
/** Chunks grow from this size (a node's body is usually smaller) ... */
const FIRST_CHUNK = 256;
/** ... up to this one. */
const MAX_CHUNK = 64 * 1024;

/**
 * Builds a protobuf message as a list of pieces, so that untouched parts of the input
 * (messages, weights) are copied by range instead of being decoded and re-encoded.
 *
 * Small encoded fields are appended to growing chunks rather than kept one array per
 * field: a graph of a million new nodes becomes a few thousand pieces, not tens of
 * millions, and writing it costs a few thousand system calls.
 */
export class Emitter {
  private readonly done: Piece[] = [];
  private chunk: Buffer = EMPTY;
  /** Start of the bytes of `chunk` not yet in `done`. */
  private from = 0;
  /** Where the next byte goes in `chunk`. */
  private at = 0;
  private opened: ByteSource[] | undefined;
  length = 0;

  /** The output so far, in order. */
  get pieces(): readonly Piece[] {
    this.flush();
    return this.done;
  }

  /** Appends bytes already encoded (tags included). */
  raw(bytes: Uint8Array): this {
    const n = bytes.length;
    if (n === 0) return this;
    if (n < INLINE_COPY) {
      this.room(n);
      this.chunk.set(bytes, this.at);
      this.at += n;
    } else {
      this.flush();
      this.done.push(bytes);
    }
    this.length += n;
    return this;
  }

  /** Appends bytes [start, end) of `source` unchanged. */
  copy(source: ByteSource, start: number, end: number): this {
    if (end > start) this.pushRange(source, start, end - start);
    return this;
  }

  /** Appends field `field` as a length-delimited message whose body is `body`. */
  message(field: number, body: Emitter): this {
    this.tag(field, 2).varint(body.length);
    for (const p of body.pieces) {
      if (p instanceof Uint8Array) this.raw(p);
      else this.pushRange(p.source, p.offset, p.length);
    }
    if (body.opened) for (const s of body.opened) this.own(s);
    body.opened = undefined;
    return this;
  }

  string(field: number, value: string): this {
    this.tag(field, 2);
    // One byte per character for ASCII, which names nearly always are.
    const n = value.length;
    let ascii = n < 128;
    for (let i = 0; ascii && i < n; i++) if (value.charCodeAt(i) >= 0x80) ascii = false;
    if (ascii) {
      this.varint(n);
      this.room(n);
      const c = this.chunk;
      let k = this.at;
      for (let i = 0; i < n; i++) c[k++] = value.charCodeAt(i);
      this.at = k;
      this.length += n;
      return this;
    }
    const len = Buffer.byteLength(value, 'utf8');
    this.varint(len);
    if (len < INLINE_COPY) {
      this.room(len);
      this.chunk.write(value, this.at, len, 'utf8');
      this.at += len;
      this.length += len;
      return this;
    }
    return this.raw(Buffer.from(value, 'utf8'));
  }

  bytes(field: number, value: Uint8Array): this {
    return this.tag(field, 2).varint(value.length).raw(value);
  }

  int64(field: number, value: number): this {
    return this.tag(field, 0).int64Value(value);
  }

  /** An int32 field; a value it cannot hold is a caller's bug, never cut to fit. */
  int32(field: number, value: number): this {
    if (!Number.isInteger(value) || value < -2147483648 || value > 2147483647) {
      throw new Error(`invariant: field ${field}: ${value} is not a 32-bit integer`);
    }
    // Negative int32s are sign-extended to ten bytes, as protobuf requires.
    return this.tag(field, 0).int64Value(value);
  }

  float(field: number, value: number): this {
    this.tag(field, 5).room(4);
    this.chunk.writeFloatLE(value, this.at);
    this.at += 4;
    this.length += 4;
    return this;
  }

  /** A packed repeated int64 field. */
  packedInt64(field: number, values: readonly number[]): this {
    const body = new Emitter();
    for (const v of values) body.int64Value(v);
    return this.tag(field, 2).varint(body.length).append(body);
  }

  /** A packed repeated float field. */
  packedFloat(field: number, values: readonly number[]): this {
    this.tag(field, 2).varint(values.length * 4);
    for (const v of values) {
      this.room(4);
      this.chunk.writeFloatLE(v, this.at);
      this.at += 4;
      this.length += 4;
    }
    return this;
  }

  /**
   * Keeps `source` open for as long as the pieces are needed; `close()` closes it. For
   * sources a writer opens to copy from (weight files), not for the model being written.
   */
  own(source: ByteSource): this {
    (this.opened ??= []).push(source);
    return this;
  }

  /** Closes the sources this emitter (or an emitter appended to it) owns. */
  close(): void {
    for (const s of this.opened ?? []) s.close();
    this.opened = undefined;
  }

  // ---- encoding ---------------------------------------------------------------------

  private tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  /** An unsigned varint of a safe non-negative integer. */
  private varint(v: number): this {
    this.room(10);
    const c = this.chunk;
    let k = this.at;
    while (v >= 0x80) {
      c[k++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    c[k++] = v;
    this.length += k - this.at;
    this.at = k;
    return this;
  }

  /**
   * An int64 varint. Numbers beyond 2^53 were read as the nearest double; INT64_MAX and
   * INT64_MIN (the usual "to the end" sentinels) come back exactly.
   */
  private int64Value(value: number): this {
    if (value >= 0 && Number.isSafeInteger(value)) return this.varint(value);
    if (Number.isNaN(value)) return this.varint(0);
    const big = BigInt.asUintN(64, BigInt(clampInt64(value)));
    this.room(10);
    const c = this.chunk;
    let k = this.at;
    let v = big;
    while (v >= 0x80n) {
      c[k++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    c[k++] = Number(v);
    this.length += k - this.at;
    this.at = k;
    return this;
  }

  /** Appends another emitter's output (no header). */
  private append(body: Emitter): this {
    for (const p of body.pieces) {
      if (p instanceof Uint8Array) this.raw(p);
      else this.pushRange(p.source, p.offset, p.length);
    }
    return this;
  }

  private pushRange(source: ByteSource, offset: number, length: number): void {
    this.flush();
    const last = this.done[this.done.length - 1];
    // Adjacent ranges of the same source merge into one copy.
    if (last && !(last instanceof Uint8Array) && last.source === source && last.offset + last.length === offset) {
      this.done[this.done.length - 1] = { source, offset: last.offset, length: last.length + length };
    } else {
      this.done.push({ source, offset, length });
    }
    this.length += length;
  }

  /** Makes room for `n` more bytes in the current chunk. */
  private room(n: number): void {
    if (this.chunk.length - this.at >= n) return;
    this.flush();
    const size = Math.max(n, Math.min(MAX_CHUNK, Math.max(FIRST_CHUNK, this.chunk.length * 2)));
    this.chunk = Buffer.allocUnsafe(size);
    this.from = 0;
    this.at = 0;
  }

  /** Moves the pending bytes of the current chunk into `done`. */
  private flush(): void {
    if (this.at > this.from) {
      this.done.push(this.chunk.subarray(this.from, this.at));
      this.from = this.at;
    }
  }
}

const EMPTY = Buffer.alloc(0);

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
