import { describe, expect, it } from 'vitest';
import type { DType } from '../../src/ir/dtype.js';
import { halfToFloat, Tensor } from '../../src/ir/tensor.js';

/** Little-endian bytes of `values` written with DataView, and the numbers DataView reads back. */
function roundTrip(dtype: DType, size: number, values: readonly (number | bigint)[]): { bytes: Uint8Array; expected: number[] } {
  const bytes = new Uint8Array(size * values.length);
  const view = new DataView(bytes.buffer);
  values.forEach((x, i) => {
    const at = i * size;
    switch (dtype) {
      case 'int64': view.setBigInt64(at, x as bigint, true); break;
      case 'uint64': view.setBigUint64(at, x as bigint, true); break;
      case 'float32': view.setFloat32(at, x as number, true); break;
      case 'float64': view.setFloat64(at, x as number, true); break;
      case 'int32': view.setInt32(at, x as number, true); break;
      case 'uint32': view.setUint32(at, x as number, true); break;
      case 'int16': view.setInt16(at, x as number, true); break;
      case 'uint16': view.setUint16(at, x as number, true); break;
      case 'int8': view.setInt8(at, x as number); break;
      case 'uint8': case 'bool': view.setUint8(at, x as number); break;
      default: throw new Error(dtype);
    }
  });
  const expected = values.map((_, i) => {
    const at = i * size;
    switch (dtype) {
      case 'int64': return Number(view.getBigInt64(at, true));
      case 'uint64': return Number(view.getBigUint64(at, true));
      case 'float32': return view.getFloat32(at, true);
      case 'float64': return view.getFloat64(at, true);
      case 'int32': return view.getInt32(at, true);
      case 'uint32': return view.getUint32(at, true);
      case 'int16': return view.getInt16(at, true);
      case 'uint16': return view.getUint16(at, true);
      case 'int8': return view.getInt8(at);
      case 'bool': return view.getUint8(at) ? 1 : 0;
      default: return view.getUint8(at);
    }
  });
  return { bytes, expected };
}

/** 64-bit values around the places where a double stops holding every integer, and the extremes. */
const INT64S: bigint[] = [
  0n, 1n, -1n, 2n ** 31n, -(2n ** 31n), 2n ** 32n - 1n, 2n ** 32n, -(2n ** 32n), 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n,
  -(2n ** 53n) - 1n, 2n ** 54n + 3n, 2n ** 63n - 1n, -(2n ** 63n), 9007199254740993n * 3n, -123456789012345678n,
  0x7ffffffffffffc00n, 0x7ffffffffffffdffn, 0x7ffffffffffffe00n,
];

describe('Tensor.numbers', () => {
  it('reads 64-bit integers as Number(BigInt) does, rounding included', () => {
    // Random values too: 53 bits of a 64-bit number are kept, so most of these round.
    let seed = 12345;
    const random = (): bigint => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return BigInt(seed);
    };
    const signed = [...INT64S];
    for (let i = 0; i < 200; i++) signed.push(BigInt.asIntN(64, (random() << 33n) ^ (random() << 2n) ^ random()));
    const int64 = roundTrip('int64', 8, signed);
    expect(Tensor.fromBytes('int64', [signed.length], int64.bytes).numbers(1e6)).toEqual(int64.expected);

    const unsigned = signed.map((x) => BigInt.asUintN(64, x));
    const uint64 = roundTrip('uint64', 8, unsigned);
    expect(Tensor.fromBytes('uint64', [unsigned.length], uint64.bytes).numbers(1e6)).toEqual(uint64.expected);
  });

  it('reads every other plain type as DataView does', () => {
    const cases: Array<[DType, number, number[]]> = [
      ['float32', 4, [0, -0, 1.5, -3.25e-8, 3.4e38, -Infinity, 65504.5]],
      ['float64', 8, [0, -0, Math.PI, -1e-300, Number.MAX_VALUE]],
      ['int32', 4, [0, -1, 2 ** 31 - 1, -(2 ** 31)]],
      ['uint32', 4, [0, 1, 2 ** 32 - 1]],
      ['int16', 2, [-32768, 32767, -1]],
      ['uint16', 2, [0, 65535]],
      ['int8', 1, [-128, 127, -1]],
      ['uint8', 1, [0, 255]],
      ['bool', 1, [0, 1, 2]],
    ];
    for (const [dtype, size, values] of cases) {
      const { bytes, expected } = roundTrip(dtype, size, values);
      expect(Tensor.fromBytes(dtype, [values.length], bytes).numbers(), dtype).toEqual(expected);
    }
  });

  it('reads float16 through halfToFloat, and gives no numbers past the limit', () => {
    const bits = [0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0xfc00];
    const bytes = new Uint8Array(new Uint16Array(bits).buffer);
    expect(Tensor.fromBytes('float16', [bits.length], bytes).numbers()).toEqual(bits.map(halfToFloat));
    expect(Tensor.fromBytes('float16', [bits.length], bytes).numbers(bits.length - 1)).toBeUndefined();
  });
});
