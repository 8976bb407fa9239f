import { ModelError } from '../../errors.js';
import type { ScalarKind } from './schema.js';

const TWO_32 = 4294967296;

/** The wire type a scalar of `kind` is written with when not packed. */
export function wireOf(kind: ScalarKind): number {
  switch (kind) {
    case 'float': case 'fixed32': case 'sfixed32': return 5;
    case 'double': case 'fixed64': case 'sfixed64': return 1;
    case 'string': case 'bytes': return 2;
    default: return 0;
  }
}

/** Decodes a packed run of numbers into `out`. */
export function decodePacked(bytes: Uint8Array, kind: ScalarKind, out: number[], file: string, at: number): void {
  decodePackedRange(bytes, 0, bytes.length, kind, out, file, at);
}

/** Decodes the packed numbers in bytes[from, to) into `out`; `at` is where `from` is in the file. */
export function decodePackedRange(all: Uint8Array, from: number, to: number, kind: ScalarKind, out: number[], file: string, at: number): void {
  const length = to - from;
  const size = wireOf(kind) === 5 ? 4 : wireOf(kind) === 1 ? 8 : 0;
  if (size > 0) {
    if (length % size !== 0) {
      throw new ModelError(`malformed protobuf at byte ${at}: packed ${kind} data is not a multiple of ${size} bytes`, file);
    }
    const view = new DataView(all.buffer, all.byteOffset + from, length);
    for (let i = 0; i < length; i += size) {
      switch (kind) {
        case 'float': out.push(view.getFloat32(i, true)); break;
        case 'fixed32': out.push(view.getUint32(i, true)); break;
        case 'sfixed32': out.push(view.getInt32(i, true)); break;
        case 'double': out.push(view.getFloat64(i, true)); break;
        case 'fixed64': out.push(Number(view.getBigUint64(i, true))); break;
        default: out.push(Number(view.getBigInt64(i, true)));
      }
    }
    return;
  }
  let i = from;
  while (i < to) {
    const start = i;
    let b: number;
    let n = 0;
    do {
      if (i >= to || n >= 10) {
        throw new ModelError(`malformed protobuf at byte ${at + i - from}: a packed varint is cut off`, file);
      }
      b = all[i++]!;
      n++;
    } while (b & 0x80);
    let value = varint64(all, start, n, kind !== 'uint64' && kind !== 'uint32');
    if (kind === 'int32' || kind === 'enum') value = value >= 2147483648 && value < TWO_32 ? value - TWO_32 : value;
    else if (kind === 'sint32' || kind === 'sint64') value = value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    else if (kind === 'bool') value = value !== 0 ? 1 : 0;
    out.push(value);
  }
}

/**
 * The n-byte varint at buf[start] as the nearest number: its low 64 bits, in two's complement
 * when `signed`. Computed in two 32-bit halves, without BigInt: negative numbers (-1 for the
 * last axis) take ten bytes and are common in a graph, and BigInt made a dozen objects each.
 */
export function varint64(buf: Uint8Array, start: number, n: number, signed: boolean): number {
  let lo = 0;
  let hi = 0;
  for (let k = 0; k < n; k++) {
    const b = buf[start + k]! & 0x7f;
    const shift = 7 * k;
    if (shift < 28) lo |= b << shift;
    else if (shift === 28) {
      lo |= (b & 0x0f) << 28;
      hi |= b >> 4;
    } else {
      hi |= b << (shift - 32); // the tenth byte's shift of 31 keeps its lowest bit, bit 63
    }
  }
  return (signed ? hi | 0 : hi >>> 0) * 4294967296 + (lo >>> 0);
}
