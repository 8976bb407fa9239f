import { describe, expect, it } from 'vitest';
import type { Tensor as TensorProto } from '../../../proto/onnx.schema.js';
import { TensorScanner } from '../../../src/formats/onnx/tensor-scan.js';
import { TENSOR } from '../../../src/formats/onnx/schema.js';
import { rawDataTensorOf, tensorFromProto } from '../../../src/formats/onnx/tensor.js';
import { WireDecoder } from '../../../src/formats/wire/decode.js';
import { ByteSource } from '../../../src/formats/wire/source.js';
import type { Tensor } from '../../../src/ir/tensor.js';
import { Rng } from '../../fuzz/prng.js';
import { ascii, compareWithDecoder, delimited, tag, varint } from '../../helpers/wire-bytes.js';

// The scan is a shortcut past the schema's decoder for initializers: on any bytes, it must
// give the tensor tensorFromProto makes of the decoded message, or decline, and fail only
// where reading the message fails, with the same message.

/** One field of a TensorProto, mostly as writers write them, sometimes not. */
function field(r: Rng): number[] {
  const wrongWire = r.chance(0.05);
  switch (r.int(9)) {
    case 0: {
      const dims = Array.from({ length: r.int(4) }, () => r.pick([0, 1, 2, 3, 4, 16, -1, 2 ** 53]));
      if (wrongWire) return delimited(1, [0xff]);
      return r.chance(0.5) ? dims.flatMap((d) => [...tag(1, 0), ...varint(d)]) : delimited(1, dims.flatMap((d) => varint(d)));
    }
    case 1: return wrongWire ? delimited(2, [1]) : [...tag(2, 0), ...varint(r.pick([1, 7, 10, 6, 1, 7, 8, 0, 99, -1]))];
    case 2: return wrongWire ? [...tag(8, 0), 1] : delimited(8, ascii(r.pick(['w', 'bias', 'b0.starts', ''])));
    case 3:
    case 4: {
      const n = r.chance(0.1) ? r.range(1000, 3000) : r.pick([0, 1, 2, 4, 8, 16, 24, 64, 3]);
      return wrongWire ? [...tag(9, 0), 1] : delimited(9, Array.from({ length: n }, (_, i) => (i * 37) & 0xff));
    }
    case 5: return r.pick([delimited(4, [0, 0, 128, 63]), [...tag(14, 0), 1], delimited(12, ascii('d')), delimited(13, delimited(1, ascii('location')))]);
    case 6: return r.pick([[...tag(0, 0), 1], [...tag(3, 3), ...tag(3, 4)], [0x80], [...tag(30, 0), 2]]);
    case 7: {
      // A whole float32 tensor whose raw_data fits its dims, kept in memory or left in the file.
      const n = r.pick([0, 1, 3, 64, 300]);
      return [...delimited(1, varint(n)), ...tag(2, 0), ...varint(1), ...delimited(8, ascii('t')), ...delimited(9, Array.from({ length: 4 * n }, (_, i) => i & 0xff))];
    }
    default: return [...tag(2, 0), ...varint(1)];
  }
}

/** What a reader sees of a tensor, its element bytes included. */
function seen(name: string, t: Tensor): unknown {
  return { name, dtype: t.dtype, dims: t.dims, storage: t.storage, byteLength: t.byteLength, origin: t.origin, bytes: Buffer.from(t.bytes()).toString('hex') };
}

describe('TensorScanner', () => {
  it('gives the tensor the schema decoder and tensorFromProto give, or declines, on 4000 random initializers', () => {
    const { taken, declined, failed } = compareWithDecoder(20261123, 4000, field, {
      decoded: (bytes) => {
        const ctx = { source: ByteSource.fromBytes(bytes), file: 'model.onnx' };
        const t = new WireDecoder(ctx.source).decode<TensorProto>(TENSOR, 0, bytes.length);
        return seen(t.name ?? '', tensorFromProto(t, ctx, 3));
      },
      scanned: (bytes) => {
        const ctx = { source: ByteSource.fromBytes(bytes), file: 'model.onnx' };
        const s = new TensorScanner(new WireDecoder(ctx.source));
        return s.scan(0, bytes.length) ? seen(s.name, rawDataTensorOf(s.name, s.dataType, s.dims, s.raw!, ctx, 3)) : undefined;
      },
    });
    // Every branch is exercised: the comparison above is not vacuous.
    expect(taken).toBeGreaterThan(500);
    expect(declined).toBeGreaterThan(400);
    expect(failed).toBeGreaterThan(100);
  });
});
