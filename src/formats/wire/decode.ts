import { ModelError } from '../../errors.js';
import type { Bytes, Decoded, Entry, PackedRef, Span } from './decoded.js';
import type { FieldSchema, MessageSchema, ScalarKind } from './schema.js';
import { messageShape } from './message-shape.js';
import { decodePackedRange, varint64, wireOf } from './packed.js';
import { fieldsByNumber, repeatedNames } from './schema.js';
import { recurring, utf8Slice } from './text.js';
import type { ByteSource } from './source.js';
import { FieldSpans } from './spans.js';

export { decodePacked } from './packed.js';

/** Bytes fields up to this size are read into memory; larger ones stay on disk. */
export const INLINE_BYTES = 1024;
/** Packed numeric chunks up to this size are decoded; larger ones stay on disk. */
export const INLINE_PACKED = 4096;
/** Deepest message nesting accepted (a hostile file can nest without bound). */
export const MAX_DEPTH = 256;

const TWO_32 = 4294967296;

/**
 * Decodes protobuf messages from a ByteSource by schema, recording the span of every
 * message and leaving large payloads where they are. One instance per source; not
 * reentrant across sources.
 */
export class WireDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private base = 0;
  private pos = 0;
  private windowSize = MIN_WINDOW;
  /** Told where decoding has got to each time a new window of the file is read (for progress). */
  onWindow: ((position: number) => void) | undefined;

  constructor(readonly src: ByteSource) {}

  /** Decodes the message of `schema` that occupies [start, end). */
  decode<T>(schema: MessageSchema, start: number, end: number, depth = 0): Decoded<T> {
    if (depth > MAX_DEPTH) this.fail(start, `messages nested deeper than ${MAX_DEPTH} levels`);
    const msg = new (schema.shape ??= messageShape(schema.name))(schema.name, start, end) as Record<string, unknown>;
    const entries: Entry[] | undefined = schema.keepEntries ? [] : undefined;
    if (entries) msg.$entries = entries;
    this.pos = start;
    while (this.pos < end) {
      const entryStart = this.pos;
      const tag = this.varint(end);
      const number = Math.floor(tag / 8);
      const wire = tag & 7;
      if (number === 0) this.fail(entryStart, 'field number 0');
      const byNumber = schema.byNumber ?? fieldsByNumber(schema);
      const field = number < byNumber.length ? byNumber[number] : schema.fields.get(number);
      if (field === undefined || !this.readField(msg, field, wire, end, depth, entryStart)) {
        this.skip(wire, end, number, depth);
        ((msg.$unknown ??= []) as Span[]).push({ start: entryStart, end: this.pos });
      }
      if (entries !== undefined) {
        // A run of a deferred field is one entry: its occurrences are in the field's spans.
        const last = entries.length > 0 ? entries[entries.length - 1]! : undefined;
        if (field?.deferred && wire === 2 && last !== undefined && last.field === number && last.end === entryStart) {
          (last as { end: number }).end = this.pos;
        } else {
          entries.push({ field: number, start: entryStart, end: this.pos });
        }
      }
    }
    if (this.pos !== end) this.fail(end, 'a field runs past the end of its message');
    const repeated = schema.repeatedNames ?? repeatedNames(schema);
    for (let r = 0; r < repeated.length; r++) {
      const name = repeated[r]!;
      const list = msg[name];
      if (list !== undefined && Array.isArray(list)) msg[name] = exactSize(list);
      else if (list instanceof FieldSpans) list.trim();
    }
    return msg as Decoded<T>;
  }

  /**
   * The length-delimited field whose tag is at `pos` (a deferred occurrence's fieldStart): its
   * number and the span of its body. For code that kept only where a field starts.
   */
  fieldAt(pos: number): { field: number; start: number; end: number } {
    const size = this.src.size;
    this.pos = pos;
    const tag = this.varint(size);
    if ((tag & 7) !== 2) this.fail(pos, 'a length-delimited field was expected');
    const len = this.lengthPrefix(size);
    return { field: Math.floor(tag / 8), start: this.pos, end: this.pos + len };
  }

  // ---- a cursor, for format readers with a hot path of their own ----------------------

  /** Where the cursor is. */
  get position(): number {
    return this.pos;
  }

  seek(pos: number): void {
    this.pos = pos;
  }

  /** Reads the varint at the cursor (a field's tag, say), which must end before `end`. */
  readVarint(end: number): number {
    return this.varint(end);
  }

  /** Reads an int32 varint at the cursor (an enum, say), which must end before `end`. */
  readInt32(end: number): number {
    return this.scalar('int32', end) as number;
  }

  /**
   * Reads the length-delimited packed run at the cursor into `out`, as decode() reads one it
   * keeps in memory; false, with the cursor moved, when the run is long enough for decode()
   * to leave on disk (a reader with a hot path of its own then leaves the message to decode).
   */
  readShortPacked(kind: ScalarKind, end: number, out: number[]): boolean {
    const len = this.lengthPrefix(end);
    if (len > INLINE_PACKED) return false;
    const body = this.pos;
    const i = this.at(body, len);
    decodePackedRange(this.buf, i, i + len, kind, out, this.src.name, body);
    this.pos = body + len;
    return true;
  }

  /** Reads the little-endian 32-bit float at the cursor, which must end by `end`. */
  readFloat(end: number): number {
    return this.scalar('float', end) as number;
  }

  /** Reads a length prefix at the cursor and checks its body ends by `end`; the cursor is then at the body. */
  readLength(end: number): number {
    return this.lengthPrefix(end);
  }

  /** The `len` bytes at the cursor as text (shared when `intern`, for strings that recur); the cursor moves past them. */
  readString(len: number, intern = false): string {
    const start = this.pos;
    const s = intern ? this.interned(start, len) : this.string(start, len);
    this.pos = start + len;
    return s;
  }

  /** The `len` bytes at the cursor as a bytes field (kept in memory only when small); the cursor moves past them. */
  readBytes(len: number): Bytes {
    const start = this.pos;
    const b = this.bytes(start, len);
    this.pos = start + len;
    return b;
  }

  /** Makes the `len` bytes at `pos` addressable: where they start in `window`, until the next read. */
  view(pos: number, len: number): number {
    return this.at(pos, len);
  }

  /** The bytes `view` points into. */
  get window(): Uint8Array {
    return this.buf;
  }

  /** Reads one occurrence; false when the wire type does not fit the schema (kept as unknown). */
  private readField(
    msg: Record<string, unknown>,
    field: FieldSchema,
    wire: number,
    end: number,
    depth: number,
    fieldStart: number,
  ): boolean {
    const name = field.name;
    if (field.mapKey !== undefined) {
      if (wire !== 2) return false;
      const len = this.lengthPrefix(end);
      const bodyStart = this.pos;
      const pair = this.readMapEntry(field, bodyStart, bodyStart + len, depth);
      append(msg, name, pair);
      return true;
    }
    if (field.message) {
      if (wire !== 2) return false;
      const len = this.lengthPrefix(end);
      const bodyStart = this.pos;
      if (field.deferred) {
        // Left for the format's reader to decode when it gets to it (see FieldSpans).
        const spans = (msg[name] ??= new FieldSpans()) as FieldSpans;
        spans.push(fieldStart, bodyStart, bodyStart + len);
        this.pos = bodyStart + len;
        return true;
      }
      const child = this.decode(field.message, bodyStart, bodyStart + len, depth + 1);
      this.pos = bodyStart + len;
      if (field.repeated) append(msg, name, child);
      else msg[name] = child;
      return true;
    }
    const kind = field.scalar!;
    if (kind === 'string' || kind === 'bytes') {
      if (wire !== 2) return false;
      const len = this.lengthPrefix(end);
      const bodyStart = this.pos;
      const value = kind === 'string' ? (field.intern ? this.interned(bodyStart, len) : this.string(bodyStart, len)) : this.bytes(bodyStart, len);
      this.pos = bodyStart + len;
      if (field.repeated) append(msg, name, value);
      else msg[name] = value;
      return true;
    }
    if (field.repeated && wire === 2) {
      const len = this.lengthPrefix(end);
      const bodyStart = this.pos;
      this.readPacked(msg, name, kind, bodyStart, len);
      this.pos = bodyStart + len;
      return true;
    }
    if (wire !== wireOf(kind)) return false;
    const value = this.scalar(kind, end);
    if (field.repeated) {
      const list = msg[name];
      if (list === undefined) msg[name] = [value];
      else if (Array.isArray(list)) list.push(value);
      else (list as PackedRef).parts.push(value as number);
    } else {
      msg[name] = value;
    }
    return true;
  }

  private readMapEntry(field: FieldSchema, start: number, end: number, depth: number): [unknown, unknown] {
    let key: unknown = defaultOf(field.mapKey!);
    let value: unknown = field.message ? undefined : defaultOf(field.scalar!);
    this.pos = start;
    while (this.pos < end) {
      const tag = this.varint(end);
      const number = Math.floor(tag / 8);
      const wire = tag & 7;
      if (number === 1 && wire === wireOf(field.mapKey!)) {
        key = this.mapScalar(field.mapKey!, end);
      } else if (number === 2 && field.message && wire === 2) {
        const len = this.lengthPrefix(end);
        const bodyStart = this.pos;
        value = this.decode(field.message, bodyStart, bodyStart + len, depth + 1);
        this.pos = bodyStart + len;
      } else if (number === 2 && field.scalar && wire === wireOf(field.scalar)) {
        value = this.mapScalar(field.scalar, end);
      } else {
        this.skip(wire, end, number, depth);
      }
    }
    if (value === undefined && field.message) value = { $type: field.message.name, $span: { start: end, end } };
    return [key, value];
  }

  private mapScalar(kind: ScalarKind, end: number): unknown {
    if (kind === 'string' || kind === 'bytes') {
      const len = this.lengthPrefix(end);
      const bodyStart = this.pos;
      const v = kind === 'string' ? this.string(bodyStart, len) : this.bytes(bodyStart, len);
      this.pos = bodyStart + len;
      return v;
    }
    return this.scalar(kind, end);
  }

  private readPacked(msg: Record<string, unknown>, name: string, kind: ScalarKind, start: number, len: number): void {
    const existing = msg[name] as number[] | PackedRef | undefined;
    if (len > INLINE_PACKED || (existing !== undefined && !Array.isArray(existing))) {
      let ref = existing as PackedRef | undefined;
      if (ref === undefined || Array.isArray(ref)) {
        ref = { lazy: true, scalar: kind, parts: Array.isArray(existing) ? [...existing] : [] };
        msg[name] = ref;
      }
      ref.parts.push({ start, end: start + len });
      return;
    }
    const list = existing ?? (msg[name] = []) as number[];
    const i = this.at(start, len);
    decodePackedRange(this.buf, i, i + len, kind, list as number[], this.src.name, start);
  }

  // ---- primitive readers -------------------------------------------------------------

  /** Makes [pos, pos+n) addressable in `buf`; returns the index of pos. */
  private at(pos: number, n: number): number {
    const i = pos - this.base;
    if (i >= 0 && i + n <= this.buf.length) return i;
    // Reading on from where the last window ended, windows grow to 1 MiB; after a jump (a
    // weight skipped by offset) they start small again, so the next few fields do not cost
    // a megabyte of the weight that follows them.
    const onward = pos >= this.base && pos <= this.base + this.buf.length;
    this.windowSize = onward ? Math.min(this.windowSize * 4, MAX_WINDOW) : MIN_WINDOW;
    this.buf = this.src.window(pos, n, this.windowSize);
    this.base = pos;
    this.onWindow?.(pos);
    return 0;
  }

  private varint(end: number): number {
    const pos = this.pos;
    const avail = Math.min(10, end - pos);
    if (avail <= 0) this.fail(pos, 'a value is cut off');
    let i = this.at(pos, avail);
    const buf = this.buf;
    let b = buf[i++]!;
    if (b < 0x80) {
      this.pos = pos + 1;
      return b;
    }
    let lo = b & 0x7f;
    let shift = 7;
    let n = 1;
    // First 28 bits exactly in a small integer; the rest as a float multiple.
    for (; n < 4; n++) {
      if (n >= avail) this.fail(pos, 'a varint is cut off');
      b = buf[i++]!;
      lo |= (b & 0x7f) << shift;
      shift += 7;
      if (b < 0x80) {
        this.pos = pos + n + 1;
        return lo >>> 0;
      }
    }
    // Bits 28 and up.
    let hi = 0;
    let mul = 1;
    for (; n < 10; n++) {
      if (n >= avail) this.fail(pos, 'a varint is cut off');
      b = buf[i++]!;
      hi += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) {
        this.pos = pos + n + 1;
        const value = (lo >>> 0) + hi * 268435456;
        // Ten-byte varints are negative int64s in two's complement.
        return n === 9 && value >= 9223372036854775808 ? varint64(buf, i - 10, 10, true) : value;
      }
    }
    return this.fail(pos, 'a varint longer than 10 bytes');
  }

  /** Reads a length and checks it fits; the body starts at `this.pos`. */
  private lengthPrefix(end: number): number {
    const len = this.varint(end);
    const bodyStart = this.pos;
    // A ten-byte varint reads as a negative int64: as a length it would move backwards.
    if (len < 0) this.fail(bodyStart, `a field declares a negative length (${len})`);
    if (len > end - bodyStart) {
      this.fail(bodyStart, `a field declares ${len} bytes but only ${end - bodyStart} remain`);
    }
    return len;
  }

  private scalar(kind: ScalarKind, end: number): number | boolean {
    switch (kind) {
      case 'float': case 'fixed32': case 'sfixed32': {
        if (end - this.pos < 4) this.fail(this.pos, 'a 32-bit value is cut off');
        const i = this.at(this.pos, 4);
        this.pos += 4;
        return kind === 'float' ? this.buf.readFloatLE(i)
          : kind === 'fixed32' ? this.buf.readUInt32LE(i) : this.buf.readInt32LE(i);
      }
      case 'double': case 'fixed64': case 'sfixed64': {
        if (end - this.pos < 8) this.fail(this.pos, 'a 64-bit value is cut off');
        const i = this.at(this.pos, 8);
        this.pos += 8;
        if (kind === 'double') return this.buf.readDoubleLE(i);
        return kind === 'fixed64' ? Number(this.buf.readBigUInt64LE(i)) : Number(this.buf.readBigInt64LE(i));
      }
      case 'bool':
        return this.varint(end) !== 0;
      case 'sint32': case 'sint64': {
        const v = this.varint(end);
        return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
      }
      case 'uint32':
        return this.varint(end) % TWO_32;
      case 'int32': case 'enum': {
        const v = this.varint(end);
        return v >= 2147483648 && v < TWO_32 ? v - TWO_32 : v;
      }
      default:
        return this.varint(end);
    }
  }

  private string(start: number, len: number): string {
    if (len > (1 << 20)) return this.src.read(start, len).toString('utf8');
    const i = this.at(start, len);
    return utf8Slice(this.buf, i, i + len);
  }

  /**
   * A string that recurs (op types, domains, attribute names): the same string object each
   * time, from a small cache keyed by its bytes, instead of a new string per occurrence.
   */
  private interned(start: number, len: number): string {
    if (len > 32) return this.string(start, len);
    const i = this.at(start, len);
    return recurring(this.buf, i, len) ?? this.string(start, len);
  }

  private bytes(start: number, len: number): Bytes {
    if (len > INLINE_BYTES) return { offset: start, length: len };
    const i = this.at(start, len);
    // From Buffer's shared pool: a copy of its own would cost an ArrayBuffer and a separate
    // allocation each, and a big graph has one per small constant.
    const data = Buffer.allocUnsafe(len);
    this.buf.copy(data, 0, i, i + len);
    return { offset: start, length: len, data };
  }

  private skip(wire: number, end: number, number: number, depth: number): void {
    switch (wire) {
      case 0: this.varint(end); return;
      case 1: this.advance(8, end); return;
      case 5: this.advance(4, end); return;
      case 2: { const len = this.lengthPrefix(end); this.pos += len; return; }
      case 3: this.skipGroup(number, end, depth); return;
      default: this.fail(this.pos, `wire type ${wire} is not valid protobuf`);
    }
  }

  private skipGroup(number: number, end: number, depth: number): void {
    if (depth > MAX_DEPTH) this.fail(this.pos, 'groups nested too deeply');
    while (this.pos < end) {
      const tag = this.varint(end);
      if ((tag & 7) === 4) {
        if (Math.floor(tag / 8) !== number) this.fail(this.pos, 'a group ends with the wrong field number');
        return;
      }
      this.skip(tag & 7, end, Math.floor(tag / 8), depth + 1);
    }
    this.fail(this.pos, 'a group is not closed');
  }

  private advance(n: number, end: number): void {
    if (end - this.pos < n) this.fail(this.pos, 'a fixed-size value is cut off');
    this.pos += n;
  }

  private fail(at: number, what: string): never {
    throw new ModelError(`malformed protobuf at byte ${at}: ${what}`, this.src.name);
  }
}

/**
 * A short list grown by push, copied at its exact size. Such arrays keep room for 16 or more
 * elements; a big graph has millions of two-element ones (a node's inputs), and exact-size
 * copies hold a third of the memory.
 */
export function exactSize<T>(list: T[]): T[] {
  return list.length > 1 && list.length < 64 ? list.slice() : list;
}

/** File windows: the first after a jump, and the largest. */
const MIN_WINDOW = 16 * 1024;
const MAX_WINDOW = 1 << 20;

function append(msg: Record<string, unknown>, name: string, value: unknown): void {
  const list = msg[name] as unknown[] | undefined;
  if (list === undefined) msg[name] = [value];
  else list.push(value);
}

function defaultOf(kind: ScalarKind): unknown {
  if (kind === 'string') return '';
  if (kind === 'bytes') return { offset: 0, length: 0, data: new Uint8Array(0) };
  if (kind === 'bool') return false;
  return 0;
}
