import type { Rng } from './prng.js';

/**
 * Mutation of ML Program weight files (blob storage v2): header count and version, and
 * per referenced record its sentinel, data type, size and data offset (past the end,
 * before the record, gigabytes), plus truncation at record boundaries and bit flips.
 */

const BOMBS64 = [0n, 1n, 63n, 64n, 1n << 31n, 1n << 32n, 1n << 40n, 1n << 53n, (1n << 53n) + 1n, 1n << 62n, (1n << 64n) - 1n, (1n << 63n)];

export function recordOffsets(bytes: Uint8Array): number[] {
  const out: number[] = [];
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 64; at + 64 <= view.length && out.length < 4096; at += 64) {
    if (view.readUInt32LE(at) === 0xdeadbeef) out.push(at);
  }
  return out;
}

export function mutateBlob(bytes: Uint8Array, records: readonly number[], rng: Rng, notes: string[]): Buffer {
  const b = Buffer.from(bytes);
  const kind = rng.weighted([[1, 'count'], [1, 'version'], [2, 'sentinel'], [3, 'dtype'], [4, 'size'], [4, 'data-offset'], [3, 'truncate'], [1, 'bitflip'], [1, 'empty']] as const);
  notes.push(`blob-${kind}`);
  const rec = records.length > 0 ? rng.pick(records) : 64;
  const fits = (at: number, n: number): boolean => at + n <= b.length;
  switch (kind) {
    case 'count':
      if (fits(0, 4)) b.writeUInt32LE(rng.pick([0, 1, 0xffffffff, 0x7fffffff]), 0);
      return b;
    case 'version':
      if (fits(4, 4)) b.writeUInt32LE(rng.pick([0, 1, 3, 0xffffffff]), 4);
      return b;
    case 'sentinel':
      if (fits(rec, 4)) b.writeUInt32LE(rng.pick([0, 0xdeadbeee, 0xefbeadde]), rec);
      return b;
    case 'dtype':
      if (fits(rec + 4, 4)) b.writeUInt32LE(rng.chance(0.8) ? rng.range(0, 40) : rng.pick([0xffffffff, 0x80000000]), rec + 4);
      return b;
    case 'size':
      if (fits(rec + 8, 8)) b.writeBigUInt64LE(BigInt.asUintN(64, rng.chance(0.5) ? rng.pick(BOMBS64) : b.readBigUInt64LE(rec + 8) + BigInt(rng.pick([1, -1, 2, 64]))), rec + 8);
      return b;
    case 'data-offset':
      if (fits(rec + 16, 8)) {
        const v = rng.chance(0.3) ? BigInt(b.length) : rng.chance(0.3) ? BigInt(rec) : rng.pick(BOMBS64);
        b.writeBigUInt64LE(BigInt.asUintN(64, v), rec + 16);
      }
      return b;
    case 'truncate': {
      const at = rng.chance(0.6) ? rng.pick([0, 8, 63, 64, rec, rec + 32, rec + 64, rec + 65]) : rng.int(b.length + 1);
      return b.subarray(0, Math.min(at, b.length));
    }
    case 'bitflip':
      for (let i = 0; i < 4 && b.length > 0; i++) {
        const at = rng.chance(0.7) ? Math.min(b.length - 1, rec + rng.int(24)) : rng.int(b.length);
        b[at] ^= 1 << rng.int(8);
      }
      return b;
    case 'empty':
      return Buffer.alloc(0);
  }
}
