import { expect } from 'vitest';
import { Rng } from '../fuzz/prng.js';

// Protobuf fields written byte by byte, for tests that need bytes no writer would make
// (wrong wire types, fields cut off, fields repeated).

/** A varint; negative numbers as protobuf writes an int64 (ten bytes). */
export function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return out;
}

export const tag = (field: number, wire: number): number[] => varint(field * 8 + wire);
export const delimited = (field: number, body: number[]): number[] => [...tag(field, 2), ...varint(body.length), ...body];
export const float32 = (x: number): number[] => [...new Uint8Array(new Float32Array([x]).buffer)];
export const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** Runs `f`, saying what it returned or the message it threw. */
export function outcome<T>(f: () => T): { value?: T; error?: string } {
  try {
    return { value: f() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/**
 * Holds a scan (a reader's shortcut past the schema's decoder) against the decoder on `count`
 * messages of one to five random fields, some cut short: on each, the scan gives what the
 * decoder's reading gives, or declines (undefined), and throws only what the decoder's reading
 * throws, with the same message. Returns how many cases went each way.
 */
export function compareWithDecoder(
  seed: number,
  count: number,
  field: (r: Rng) => number[],
  read: { readonly decoded: (bytes: Uint8Array) => unknown; readonly scanned: (bytes: Uint8Array) => unknown },
): { taken: number; declined: number; failed: number } {
  const r = new Rng(seed);
  const seen = { taken: 0, declined: 0, failed: 0 };
  for (let c = 0; c < count; c++) {
    let bytes = Array.from({ length: r.range(1, 5) }, () => field(r)).flat();
    if (r.chance(0.1)) bytes = bytes.slice(0, r.int(bytes.length));
    const buf = Uint8Array.from(bytes);
    const decoded = outcome(() => read.decoded(buf));
    const scanned = outcome(() => read.scanned(buf));
    const where = `case ${c}: ${Buffer.from(buf).toString('hex').slice(0, 400)}`;
    if (scanned.error !== undefined) {
      expect(decoded.error, where).toBe(scanned.error);
      seen.failed++;
    } else if (scanned.value === undefined) {
      seen.declined++;
    } else {
      expect(decoded.error, where).toBeUndefined();
      expect(scanned.value, where).toEqual(decoded.value);
      seen.taken++;
    }
  }
  return seen;
}
