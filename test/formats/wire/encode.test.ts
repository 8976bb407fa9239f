import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { Emitter, type Piece } from '../../../src/formats/wire/encode.js';
import { ByteSource } from '../../../src/formats/wire/source.js';

function flat(e: Emitter): Uint8Array {
  const out = new Uint8Array(e.length);
  let at = 0;
  for (const p of e.pieces) {
    const bytes = p instanceof Uint8Array ? p : p.source.read(p.offset, p.length);
    out.set(bytes, at);
    at += bytes.length;
  }
  expect(at).toBe(e.length);
  return out;
}

const w = (): protobuf.Writer => protobuf.Writer.create();

describe('Emitter', () => {
  it('encodes scalars exactly as protobufjs does', () => {
    const cases: Array<[(e: Emitter) => Emitter, (x: protobuf.Writer) => protobuf.Writer]> = [
      [(e) => e.int64(1, 0), (x) => x.uint32(8).int64(0)],
      [(e) => e.int64(3, 300), (x) => x.uint32(24).int64(300)],
      [(e) => e.int64(3, -1), (x) => x.uint32(24).int64(-1)],
      [(e) => e.int64(3, -123456789012), (x) => x.uint32(24).int64(-123456789012)],
      [(e) => e.int64(3, 2 ** 53 - 1), (x) => x.uint32(24).int64(2 ** 53 - 1)],
      [(e) => e.int64(3, 9223372036854775807), (x) => x.uint32(24).int64('9223372036854775807')],
      [(e) => e.int64(3, -9223372036854775808), (x) => x.uint32(24).int64('-9223372036854775808')],
      [(e) => e.int32(2, -5), (x) => x.uint32(16).int32(-5)],
      [(e) => e.int32(2, 1 << 30), (x) => x.uint32(16).int32(1 << 30)],
      [(e) => e.float(2, 1.5), (x) => x.uint32(21).float(1.5)],
      [(e) => e.string(1, ''), (x) => x.uint32(10).string('')],
      [(e) => e.string(1, 'Conv_12'), (x) => x.uint32(10).string('Conv_12')],
      [(e) => e.string(1, 'naïve ✓ 名前'), (x) => x.uint32(10).string('naïve ✓ 名前')],
      [(e) => e.string(1, 'x'.repeat(200)), (x) => x.uint32(10).string('x'.repeat(200))],
      [(e) => e.string(1, 'é'.repeat(5000)), (x) => x.uint32(10).string('é'.repeat(5000))],
      [(e) => e.string(100000, 'far'), (x) => x.uint32((100000 << 3) | 2).string('far')],
      [(e) => e.bytes(9, new Uint8Array([1, 2, 3])), (x) => x.uint32(74).bytes(new Uint8Array([1, 2, 3]))],
      [(e) => e.bytes(9, new Uint8Array(10000).fill(7)), (x) => x.uint32(74).bytes(new Uint8Array(10000).fill(7))],
      [(e) => e.packedInt64(1, [1, -1, 300, 0]), (x) => x.uint32(10).fork().int64(1).int64(-1).int64(300).int64(0).ldelim()],
      [(e) => e.packedFloat(4, [0.5, -2]), (x) => x.uint32(34).fork().float(0.5).float(-2).ldelim()],
    ];
    for (const [ours, theirs] of cases) expect(Buffer.from(flat(ours(new Emitter())))).toEqual(Buffer.from(theirs(w()).finish()));
  });

  it('refuses an int32 value the field cannot hold instead of cutting it (2^40 was written as 0)', () => {
    for (const v of [2 ** 31, -(2 ** 31) - 1, 2 ** 40, 1.5, Number.NaN]) {
      expect(() => new Emitter().int32(1, v), String(v)).toThrow(/is not a 32-bit integer/);
    }
    expect(Buffer.from(flat(new Emitter().int32(1, -(2 ** 31))))).toEqual(Buffer.from(w().uint32(8).int32(-(2 ** 31)).finish()));
    expect(Buffer.from(flat(new Emitter().int32(1, 2 ** 31 - 1)))).toEqual(Buffer.from(w().uint32(8).int32(2 ** 31 - 1).finish()));
  });

  it('nests messages, keeps large runs by reference and merges adjacent copies of one source', () => {
    const source = ByteSource.fromBytes(new Uint8Array(100_000).map((_, i) => i & 0xff));
    const inner = new Emitter().string(1, 'w').copy(source, 10, 20).copy(source, 20, 70_000);
    const big = new Uint8Array(50_000).fill(9);
    const outer = new Emitter().int64(1, 7).message(2, inner).raw(big).string(3, 'end');
    const pieces: readonly Piece[] = outer.pieces;
    const ranges = pieces.filter((p) => !(p instanceof Uint8Array));
    expect(ranges).toEqual([{ source, offset: 10, length: 69_990 }]);
    expect(pieces).toContain(big);
    const data = new Uint8Array(100_000).map((_, i) => i & 0xff);
    const innerBytes = Buffer.concat([w().uint32(10).string('w').finish(), data.subarray(10, 70_000)]);
    const expected = Buffer.concat([w().uint32(8).int64(7).uint32(18).bytes(innerBytes).finish(), big, w().uint32(26).string('end').finish()]);
    expect(Buffer.from(flat(outer))).toEqual(expected);
  });

  it('closes the sources it owns, once', () => {
    const s = ByteSource.fromBytes(new Uint8Array(4));
    let closed = 0;
    const orig = s.close.bind(s);
    s.close = () => { closed++; orig(); };
    const inner = new Emitter().own(s);
    const outer = new Emitter().message(1, inner);
    outer.close();
    outer.close();
    inner.close();
    expect(closed).toBe(1);
  });
});
