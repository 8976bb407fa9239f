import { describe, expect, it } from 'vitest';
import type { Attribute as AttributeProto } from '../../../proto/onnx.schema.js';
import type { Attribute } from '../../../src/ir/attribute.js';
import { AttributeScanner } from '../../../src/formats/onnx/attribute-scan.js';
import { ATTRIBUTE } from '../../../src/formats/onnx/schema.js';
import { numbersOf } from '../../../src/formats/onnx/tensor.js';
import { WireDecoder } from '../../../src/formats/wire/decode.js';
import { ByteSource } from '../../../src/formats/wire/source.js';
import { Rng } from '../../fuzz/prng.js';
import { ascii, compareWithDecoder, delimited, float32, tag, varint } from '../../helpers/wire-bytes.js';

// The scan is a shortcut past the schema's decoder: on any bytes, it must read what the
// decoder reads (as the ONNX reader turns it into an attribute) or decline, and fail only
// where the decoder fails, with the same message.

const INTS = [0, 1, -1, 7, 300, -300, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, 2 ** 40, -(2 ** 40)];
const FLOATS = [0, -0, 1.5, -2.25, 1e-5, 3.4e38, Infinity, NaN];

/** One field of an AttributeProto, mostly as writers write them, sometimes not. */
function field(r: Rng): number[] {
  const wrongWire = r.chance(0.05);
  switch (r.int(9)) {
    case 0: return wrongWire ? [...tag(1, 0), 1] : delimited(1, ascii(r.pick(['axis', 'perm', 'axes', 'epsilon', 'keepdims', ''])));
    case 1: return wrongWire ? [...tag(2, 0), 3] : [...tag(2, 5), ...float32(r.pick(FLOATS))];
    case 2: return wrongWire ? delimited(3, [1]) : [...tag(3, 0), ...varint(r.pick(INTS))];
    case 3: {
      const values = Array.from({ length: r.int(5) }, () => r.pick(FLOATS));
      if (r.chance(0.4)) return values.flatMap((v) => [...tag(7, 5), ...float32(v)]);
      const body = values.flatMap(float32);
      return delimited(7, r.chance(0.1) ? [...body, 0] : body);
    }
    case 4: {
      const values = Array.from({ length: r.chance(0.05) ? 1200 : r.int(6) }, () => r.pick(INTS));
      if (r.chance(0.4)) return values.flatMap((v) => [...tag(8, 0), ...varint(v)]);
      return wrongWire ? values.flatMap((v) => [...tag(8, 1), ...float32(v), 0, 0, 0, 0]) : delimited(8, values.flatMap((v) => varint(v)));
    }
    case 5: return [...tag(20, 0), ...varint(r.pick([1, 2, 6, 7, 1, 2, 6, 7, 0, 3, 4, 8, 14, 15, -1, 2 ** 31 + 2]))];
    case 6: return delimited(r.pick([4, 13, 21]), ascii('x'));
    case 7: return r.pick([[...tag(0, 0), 1], [...tag(25, 0), 1], [...tag(3, 3), ...tag(3, 4)], [0x80]]);
    default: return [...tag(20, 0), ...varint(r.pick([1, 2, 6, 7]))];
  }
}

/** What the ONNX reader makes of a decoded attribute of the scanned types (GraphReader.attribute). */
function fromDecoded(a: AttributeProto): Attribute | undefined {
  const ctx = { source: ByteSource.fromBytes(new Uint8Array(0)), file: 'x' };
  if (a.ref_attr_name !== undefined || !a.type) return undefined;
  switch (a.type) {
    case 1: return { type: 'float', value: a.f ?? 0, origin: 0 };
    case 2: return { type: 'int', value: a.i ?? 0, origin: 0 };
    case 6: return { type: 'floats', value: numbersOf(a.floats, ctx, 'float'), origin: 0 };
    case 7: return { type: 'ints', value: numbersOf(a.ints, ctx), origin: 0 };
    default: return undefined;
  }
}

describe('AttributeScanner', () => {
  it('reads what the schema decoder reads, or declines, on 4000 random attributes', () => {
    const { taken, declined, failed } = compareWithDecoder(20261122, 4000, field, {
      decoded: (bytes) => {
        const a = new WireDecoder(ByteSource.fromBytes(bytes)).decode<AttributeProto>(ATTRIBUTE, 0, bytes.length);
        const attr = fromDecoded(a);
        return attr && { name: a.name ?? '', attr };
      },
      scanned: (bytes) => {
        const scanner = new AttributeScanner(new WireDecoder(ByteSource.fromBytes(bytes)));
        const attr = scanner.scan(0, bytes.length, 0);
        return attr && { name: scanner.name, attr };
      },
    });
    // Every branch is exercised: the comparison above is not vacuous.
    expect(taken).toBeGreaterThan(400);
    expect(declined).toBeGreaterThan(800);
    expect(failed).toBeGreaterThan(100);
  });

  it('keeps int64 values, negative ones included, and packed and unpacked lists alike', () => {
    const bytes = Uint8Array.from([
      ...delimited(1, ascii('axes')),
      ...delimited(8, [...varint(-1), ...varint(2 ** 40)]),
      ...tag(8, 0), ...varint(-(2 ** 31)),
      ...tag(20, 0), ...varint(7),
    ]);
    const scanner = new AttributeScanner(new WireDecoder(ByteSource.fromBytes(bytes)));
    expect(scanner.scan(0, bytes.length, 17)).toEqual({ type: 'ints', value: [-1, 2 ** 40, -(2 ** 31)], origin: 17 });
    expect(scanner.name).toBe('axes');
  });
});
