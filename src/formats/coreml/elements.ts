import { ModelError } from '../../errors.js';
import { DTYPE_BITS, type DType } from '../../ir/dtype.js';
import { halfToFloat } from '../../ir/tensor.js';

/**
 * Element bytes ⇄ numbers for the types ML Program values hold. The IR keeps tensors as
 * little-endian element bytes (sub-byte types packed LSB-first); MIL immediates keep some
 * types as numbers (floats, ints, longInts, doubles, bools), so both directions are needed.
 */

export function encodeElements(dtype: DType, nums: readonly number[], what = 'a constant'): Uint8Array {
  const bits = DTYPE_BITS[dtype];
  if (bits === 0) throw new ModelError(`cannot store ${dtype} elements as numbers`);
  if (!dtype.startsWith('float') && dtype !== 'bfloat16' && dtype !== 'bool') {
    // An integer element must be a finite number (`-inf` written as int64 would not convert).
    const bad = nums.find((x) => !Number.isFinite(x));
    if (bad !== undefined) throw new ModelError(`${what}: ${Number.isNaN(bad) ? 'nan' : bad > 0 ? 'inf' : '-inf'} is not a valid ${dtype} element`);
  }
  const out = new Uint8Array(Math.ceil((bits * nums.length) / 8));
  const view = new DataView(out.buffer);
  nums.forEach((x, i) => {
    switch (dtype) {
      case 'float32': view.setFloat32(i * 4, x, true); break;
      case 'float64': view.setFloat64(i * 8, x, true); break;
      case 'float16': view.setUint16(i * 2, floatToHalf(x), true); break;
      case 'int64': view.setBigInt64(i * 8, BigInt(Math.trunc(x)), true); break;
      case 'uint64': view.setBigUint64(i * 8, BigInt(Math.trunc(x)), true); break;
      case 'int32': view.setInt32(i * 4, x, true); break;
      case 'uint32': view.setUint32(i * 4, x >>> 0, true); break;
      case 'int16': view.setInt16(i * 2, x, true); break;
      case 'uint16': view.setUint16(i * 2, x & 0xffff, true); break;
      case 'bool': out[i] = x ? 1 : 0; break;
      default:
        if (bits === 8) out[i] = x & 0xff;
        else if (bits < 8) setBits(out, i, bits, x);
        else throw new ModelError(`cannot store ${dtype} elements as numbers`);
    }
  });
  return out;
}

export function decodeElements(dtype: DType, bytes: Uint8Array, count: number): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bits = DTYPE_BITS[dtype];
  const out: number[] = new Array(count);
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case 'float32': out[i] = view.getFloat32(i * 4, true); break;
      case 'float64': out[i] = view.getFloat64(i * 8, true); break;
      case 'float16': out[i] = halfToFloat(view.getUint16(i * 2, true)); break;
      case 'int64': out[i] = Number(view.getBigInt64(i * 8, true)); break;
      case 'uint64': out[i] = Number(view.getBigUint64(i * 8, true)); break;
      case 'int32': out[i] = view.getInt32(i * 4, true); break;
      case 'uint32': out[i] = view.getUint32(i * 4, true); break;
      case 'int16': out[i] = view.getInt16(i * 2, true); break;
      case 'uint16': out[i] = view.getUint16(i * 2, true); break;
      case 'int8': out[i] = view.getInt8(i); break;
      case 'bool': out[i] = bytes[i] ? 1 : 0; break;
      default:
        if (bits === 8) out[i] = bytes[i]!;
        else if (bits < 8) out[i] = getBits(bytes, i, bits, dtype.startsWith('int'));
        else throw new ModelError(`cannot read ${dtype} elements as numbers`);
    }
  }
  return out;
}

/** Element i of a bit stream (LSB-first; 3- and 6-bit values may straddle bytes). */
function getBits(bytes: Uint8Array, i: number, bits: number, signed: boolean): number {
  let v = 0;
  for (let b = 0; b < bits; b++) {
    const at = i * bits + b;
    v |= ((bytes[at >> 3]! >> (at & 7)) & 1) << b;
  }
  return signed && v >= 1 << (bits - 1) ? v - (1 << bits) : v;
}

function setBits(out: Uint8Array, i: number, bits: number, x: number): void {
  for (let b = 0; b < bits; b++) {
    const at = i * bits + b;
    if ((x >> b) & 1) out[at >> 3]! |= 1 << (at & 7);
  }
}

/**
 * NeuralNetwork quantized weights (rawValue) pack values MSB-first: a continuous bit
 * stream where each value's high bit comes first. Returns the values in order.
 */
export function unpackMsbFirst(bytes: Uint8Array, bits: number, count: number): number[] {
  const out: number[] = new Array(count);
  for (let i = 0; i < count; i++) {
    let v = 0;
    for (let b = 0; b < bits; b++) {
      const at = i * bits + b;
      v = (v << 1) | ((bytes[at >> 3]! >> (7 - (at & 7))) & 1);
    }
    out[i] = v;
  }
  return out;
}

/** Nearest float16 (round half to even), as its bit pattern. */
export function floatToHalf(x: number): number {
  const f32 = new Float32Array([x]);
  const u = new Uint32Array(f32.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = mant >> 13;
  const rest = mant & 0x1fff;
  let h = (e << 10) | half;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) h++;
  return sign | h;
}

/** String tensors in the IR: UTF-8 elements separated by NUL. */
export function joinStrings(strings: readonly string[]): Uint8Array {
  return new Uint8Array(Buffer.from(strings.join('\0'), 'utf8'));
}

export function splitStrings(bytes: Uint8Array, count: number): string[] {
  if (count === 0) return [];
  const text = Buffer.from(bytes).toString('utf8');
  // One element may hold a NUL of its own (MIL text writes "\0"): only a list is split.
  if (count === 1) return [text];
  const parts = text.split('\0');
  if (parts.length !== count) throw new ModelError(`a string tensor of ${count} elements has an element holding a NUL character, which graphlint cannot carry`);
  return parts;
}
