import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../../../src/errors.js';
import { WireDecoder, INLINE_BYTES } from '../../../src/formats/wire/decode.js';
import { isPackedRef } from '../../../src/formats/wire/decoded.js';
import { buildSchemas } from '../../../src/formats/wire/schema.js';
import { ByteSource } from '../../../src/formats/wire/source.js';

const PROTO = `
syntax = "proto2";
package graphlint.test;
message Item { optional string name = 1; optional int64 n = 2; repeated int64 list = 3; optional bytes blob = 4;
               optional Item child = 5; repeated float fs = 6 [packed = true]; optional int32 small = 7;
               map<string, int64> counts = 8; optional double d = 9; optional bool flag = 10; }
`;
const parsed = protobuf.parse(PROTO, { keepCase: true }).root;
const Item = parsed.lookupType('graphlint.test.Item');
const schemas = buildSchemas(parsed.toJSON() as protobuf.INamespace, 'graphlint.test');
const ITEM = schemas.get('Item')!;

function decode(bytes: Uint8Array): Record<string, unknown> {
  return new WireDecoder(ByteSource.fromBytes(bytes)).decode<Record<string, unknown>>(ITEM, 0, bytes.length);
}

describe('wire decoder', () => {
  it('reads scalars, negative int64s, nested messages and maps in file order', () => {
    const bytes = Item.encode(Item.fromObject({
      name: 'conv', n: -1, small: -7, d: 2.5, flag: true, list: [1, -2, 300, 2 ** 40],
      child: { name: 'inner', n: '9223372036854775807' }, counts: { zeta: 1, alpha: 2 },
    })).finish();
    const m = decode(bytes);
    expect(m.name).toBe('conv');
    expect(m.n).toBe(-1);
    expect(m.small).toBe(-7);
    expect(m.d).toBe(2.5);
    expect(m.flag).toBe(true);
    expect(m.list).toEqual([1, -2, 300, 2 ** 40]);
    expect((m.child as Record<string, unknown>).n).toBe(9223372036854775807);
    expect(m.counts).toEqual([['zeta', 1], ['alpha', 2]]);
    expect((m.$span as { start: number; end: number })).toEqual({ start: 0, end: bytes.length });
  });

  it('accepts repeated numbers both packed and unpacked, merging them in order', () => {
    const w = protobuf.Writer.create();
    w.uint32((3 << 3) | 0).int64(5); // unpacked
    w.uint32((3 << 3) | 2).fork().int64(6).int64(7).ldelim(); // packed
    expect(decode(w.finish()).list).toEqual([5, 6, 7]);
  });

  it('keeps large bytes and long packed arrays on disk, small ones in memory', () => {
    const big = new Uint8Array(INLINE_BYTES + 1).fill(3);
    const w = protobuf.Writer.create();
    w.uint32((4 << 3) | 2).bytes(big);
    w.uint32((6 << 3) | 2).fork();
    for (let i = 0; i < 2000; i++) w.float(i / 2);
    w.ldelim();
    const m = decode(w.finish());
    const blob = m.blob as { data?: Uint8Array; length: number };
    expect(blob.data).toBeUndefined();
    expect(blob.length).toBe(big.length);
    expect(isPackedRef(m.fs as never)).toBe(true);
    const small = decode(Item.encode(Item.fromObject({ blob: new Uint8Array([1, 2]) })).finish());
    expect(Array.from((small.blob as { data: Uint8Array }).data)).toEqual([1, 2]);
  });

  it('keeps fields it does not know as spans', () => {
    const w = protobuf.Writer.create();
    w.uint32((1 << 3) | 2).string('x');
    w.uint32((99 << 3) | 2).string('from the future');
    w.uint32((98 << 3) | 5).fixed32(7);
    const bytes = w.finish();
    const m = decode(bytes);
    expect(m.name).toBe('x');
    const unknown = m.$unknown as { start: number; end: number }[];
    expect(unknown).toHaveLength(2);
    expect(Buffer.from(bytes.subarray(unknown[0]!.start, unknown[0]!.end)).toString('latin1')).toContain('from the future');
  });

  it.each([
    ['a length past the end', Uint8Array.from([(1 << 3) | 2, 100, 65])],
    ['a cut-off varint', Uint8Array.from([(2 << 3) | 0, 0x80, 0x80])],
    ['field number 0', Uint8Array.from([0, 1])],
    ['an invalid wire type', Uint8Array.from([(1 << 3) | 7, 1])],
    ['a cut-off fixed64', Uint8Array.from([(9 << 3) | 1, 1, 2, 3])],
    ['an unterminated group', Uint8Array.from([(50 << 3) | 3, (1 << 3) | 0, 1])],
  ])('refuses %s with a ModelError', (_what, bytes) => {
    expect(() => decode(bytes)).toThrow(ModelError);
  });

  it('refuses messages nested beyond the depth limit instead of overflowing the stack', () => {
    let inner = Item.encode(Item.fromObject({ name: 'leaf' })).finish();
    for (let i = 0; i < 400; i++) {
      const w = protobuf.Writer.create();
      w.uint32((5 << 3) | 2).bytes(inner);
      inner = w.finish();
    }
    expect(() => decode(inner)).toThrow(/nested deeper/);
  });

  it('does not allocate what a length field merely declares', () => {
    // A bytes field claiming 2^40 bytes in a 12-byte file.
    const w = protobuf.Writer.create();
    w.uint32((4 << 3) | 2).uint64(2 ** 40);
    expect(() => decode(w.finish())).toThrow(/declares/);
  });

  it('reads 64-bit integers, packed or not, as the nearest number: negatives, extremes, and everything between', () => {
    const edges = [0n, 1n, 127n, 128n, 2n ** 28n - 1n, 2n ** 28n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 63n - 1n,
      -1n, -2n, -(2n ** 31n), -(2n ** 32n), -(2n ** 53n) - 1n, -(2n ** 63n)];
    let x = 0x9e3779b97f4a7c15n;
    for (let i = 0; i < 200; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) & (2n ** 64n - 1n);
      edges.push(BigInt.asIntN(64, x >> BigInt(i % 64)));
    }
    const text = edges.map(String);
    for (const packed of [true, false]) {
      const w = protobuf.Writer.create();
      if (packed) {
        w.uint32((3 << 3) | 2).fork();
        for (const t of text) w.int64(t);
        w.ldelim();
      } else {
        for (const t of text) w.uint32(3 << 3).int64(t);
      }
      expect(decode(w.finish()).list).toEqual(edges.map((v) => Number(v)));
    }
    for (const v of edges) expect(decode(Item.encode(Item.fromObject({ n: String(v) })).finish()).n).toBe(Number(v));
  });
});
