import type { FieldSchema, MessageSchema } from '../../src/formats/wire/schema.js';

/**
 * A protobuf message as an editable tree, for structure-aware mutation: every field with
 * its tag, wire type and (when the schema knows it) its name; length-delimited fields that
 * parse as messages have children. Serializing recomputes every enclosing length, unless
 * a field carries an override (a length or value bomb that is meant to lie).
 */
export interface PbField {
  tag: number;
  /** 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
  wire: number;
  /** The schema's name for the field ('' when unknown). */
  name: string;
  /** The schema name of the message that holds the field ('' when unknown). */
  msg: string;
  /** Wire 0: the value. */
  value: bigint;
  /** Wire 1, 5 and leaf wire 2: the payload. */
  bytes: Uint8Array;
  /** Wire 2 parsed as a message. */
  children: PbField[] | null;
  /** The schema of the children (for nesting). */
  childSchema?: MessageSchema;
  /** Emitted instead of the real length varint (wire 2). */
  lenBytes?: Uint8Array;
  /** Emitted instead of the value varint (wire 0). */
  valueBytes?: Uint8Array;
}

const EMPTY = new Uint8Array(0);
const MAX_HEURISTIC = 64 * 1024;

/** Parses `buf` as a message of `schema`; null when it is not clean protobuf. Records field boundaries. */
export function parseTree(buf: Uint8Array, schema: MessageSchema | undefined, boundaries?: number[]): PbField[] | null {
  return parseRange(buf, 0, buf.length, schema, 0, boundaries);
}

function parseRange(
  buf: Uint8Array, start: number, end: number, schema: MessageSchema | undefined, depth: number, boundaries: number[] | undefined,
): PbField[] | null {
  if (depth > 200) return null;
  const out: PbField[] = [];
  let pos = start;
  while (pos < end) {
    boundaries?.push(pos);
    const t = readVarint(buf, pos, end);
    if (!t) return null;
    const number = Number(t.value >> 3n);
    const wire = Number(t.value & 7n);
    if (number === 0 || number >= 1 << 29) return null;
    pos = t.next;
    boundaries?.push(pos);
    const fs = schema?.fields.get(number);
    const field: PbField = { tag: number, wire, name: fs?.name ?? '', msg: schema?.name ?? '', value: 0n, bytes: EMPTY, children: null };
    switch (wire) {
      case 0: {
        const v = readVarint(buf, pos, end);
        if (!v) return null;
        field.value = v.value;
        pos = v.next;
        break;
      }
      case 1: case 5: {
        const n = wire === 1 ? 8 : 4;
        if (pos + n > end) return null;
        field.bytes = buf.subarray(pos, pos + n);
        pos += n;
        break;
      }
      case 2: {
        const l = readVarint(buf, pos, end);
        if (!l || l.value > BigInt(end - l.next)) return null;
        const len = Number(l.value);
        pos = l.next;
        boundaries?.push(pos);
        field.bytes = buf.subarray(pos, pos + len);
        const child = childSchema(fs);
        const tryMessage = child !== undefined || (fs === undefined && len > 0 && len <= MAX_HEURISTIC);
        if (tryMessage && len > 0) {
          const kids = parseRange(buf, pos, pos + len, child, depth + 1, boundaries);
          if (kids) {
            field.children = kids;
            if (child) field.childSchema = child;
          }
        } else if (tryMessage) {
          field.children = [];
          if (child) field.childSchema = child;
        }
        pos += len;
        break;
      }
      default:
        return null;
    }
    out.push(field);
  }
  boundaries?.push(end);
  return pos === end ? out : null;
}

const mapEntries = new WeakMap<FieldSchema, MessageSchema>();

/** The schema of a field's message value: the message, or a map entry (key 1, value 2). */
function childSchema(fs: FieldSchema | undefined): MessageSchema | undefined {
  if (!fs) return undefined;
  if (fs.mapKey !== undefined) {
    let entry = mapEntries.get(fs);
    if (!entry) {
      const key: FieldSchema = { name: 'key', number: 1, repeated: false, scalar: fs.mapKey };
      const value: FieldSchema = fs.message
        ? { name: 'value', number: 2, repeated: false, message: fs.message }
        : { name: 'value', number: 2, repeated: false, scalar: fs.scalar! };
      const fields = new Map([[1, key], [2, value]]);
      entry = { name: `${fs.name}Entry`, fields, byName: new Map([['key', key], ['value', value]]), keepEntries: false };
      mapEntries.set(fs, entry);
    }
    return entry;
  }
  return fs.message;
}

export function readVarint(buf: Uint8Array, pos: number, end: number): { value: bigint; next: number } | null {
  let value = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= end) return null;
    const b = buf[pos + i]!;
    value |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return { value, next: pos + i + 1 };
    shift += 7n;
  }
  return null;
}

/** The varint bytes of `v` (negative values as ten-byte two's complement). */
export function varint(v: bigint): Uint8Array {
  let x = BigInt.asUintN(64, v);
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return Uint8Array.from(out);
}

/** A varint padded with continuation bytes to `n` bytes (n > 10 is invalid protobuf). */
export function overlongVarint(v: bigint, n: number): Uint8Array {
  const base = Array.from(varint(v));
  while (base.length < n) {
    base[base.length - 1]! |= 0x80;
    base.push(0);
  }
  return Uint8Array.from(base);
}

function varintLength(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** The size `serialize` would produce (cheap: shared subtrees are measured once). */
export function serializedSize(fields: readonly PbField[]): number {
  return sizeOf(fields, new Map());
}

/** Serializes a tree, recomputing lengths (overrides are emitted as they are). */
export function serialize(fields: readonly PbField[]): Uint8Array {
  const sizes = new Map<PbField, number>();
  const total = sizeOf(fields, sizes);
  const out = new Uint8Array(total);
  const at = writeFields(fields, out, 0, sizes);
  if (at !== total) throw new Error(`invariant: serialized ${at} of ${total} bytes`);
  return out;
}

function bodySize(f: PbField, sizes: Map<PbField, number>): number {
  const known = sizes.get(f);
  if (known !== undefined) return known;
  const n = f.children ? sizeOf(f.children, sizes) : f.bytes.length;
  sizes.set(f, n);
  return n;
}

function sizeOf(fields: readonly PbField[], sizes: Map<PbField, number>): number {
  let n = 0;
  for (const f of fields) {
    n += varintLength(f.tag * 8 + f.wire);
    if (f.wire === 0) n += f.valueBytes ? f.valueBytes.length : varint(f.value).length;
    else if (f.wire === 2) {
      const body = bodySize(f, sizes);
      n += (f.lenBytes ? f.lenBytes.length : varintLength(body)) + body;
    } else n += f.bytes.length;
  }
  return n;
}

function writeFields(fields: readonly PbField[], out: Uint8Array, at: number, sizes: Map<PbField, number>): number {
  for (const f of fields) {
    out.set(varint(BigInt(f.tag * 8 + f.wire)), at);
    at += varintLength(f.tag * 8 + f.wire);
    if (f.wire === 0) {
      const v = f.valueBytes ?? varint(f.value);
      out.set(v, at);
      at += v.length;
    } else if (f.wire === 2) {
      const body = bodySize(f, sizes);
      const len = f.lenBytes ?? varint(BigInt(body));
      out.set(len, at);
      at += len.length;
      if (f.children) at = writeFields(f.children, out, at, sizes);
      else {
        out.set(f.bytes, at);
        at += f.bytes.length;
      }
    } else {
      out.set(f.bytes, at);
      at += f.bytes.length;
    }
  }
  return at;
}

/** One field of a tree with where it sits, for picking mutation targets. */
export interface Placed {
  readonly field: PbField;
  readonly parent: PbField[];
  readonly depth: number;
  /** Field names from the root, dot-separated (`graph.node.input`). */
  readonly path: string;
}

export function placeAll(tree: PbField[]): Placed[] {
  const out: Placed[] = [];
  const visit = (list: PbField[], depth: number, prefix: string): void => {
    for (const field of list) {
      const path = prefix ? `${prefix}.${field.name || field.tag}` : field.name || String(field.tag);
      out.push({ field, parent: list, depth, path });
      if (field.children) visit(field.children, depth + 1, path);
    }
  };
  visit(tree, 0, '');
  return out;
}

/** A new field (for insertions). */
export function mk(tag: number, wire: number, init: Partial<PbField> = {}): PbField {
  return { tag, wire, name: '', msg: '', value: 0n, bytes: EMPTY, children: null, ...init };
}

export function mkString(tag: number, s: string, name = ''): PbField {
  return mk(tag, 2, { bytes: Buffer.from(s, 'utf8'), name });
}

export function mkVarint(tag: number, v: bigint, name = ''): PbField {
  return mk(tag, 0, { value: v, name });
}

export function mkMessage(tag: number, children: PbField[], name = ''): PbField {
  return mk(tag, 2, { children, name });
}

/** A deep copy of a field (payload bytes shared: they are never edited in place). */
export function cloneField(f: PbField): PbField {
  return { ...f, children: f.children ? f.children.map(cloneField) : null };
}

/** Decodes a packed run of varints; null when it is not one. */
export function unpackVarints(bytes: Uint8Array): bigint[] | null {
  const out: bigint[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const v = readVarint(bytes, pos, bytes.length);
    if (!v) return null;
    out.push(v.value);
    pos = v.next;
  }
  return out;
}

export function packVarints(values: readonly bigint[]): Uint8Array {
  return Buffer.concat(values.map((v) => varint(v)));
}
