/** Text from protobuf bytes: UTF-8 strings, and one shared string for each that recurs. */

/** Buffer's own UTF-8 decoder, without toString's argument checks (a million names add up). */
export const utf8Slice: (buf: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as { utf8Slice?: unknown }).utf8Slice === 'function'
    ? (buf, start, end) => (buf as unknown as { utf8Slice(s: number, e: number): string }).utf8Slice(start, end)
    : (buf, start, end) => buf.toString('utf8', start, end);

const SLOTS = 4096;
/** Shared by all decoders: the strings it holds are immutable, and recur across models too. */
const cache: Array<string | undefined> = new Array(SLOTS).fill(undefined);

/**
 * A string that recurs (op types, domains, attribute names): the same string object each
 * time, from a small cache keyed by its bytes, instead of a new string per occurrence.
 * Undefined when a byte is not ASCII (the cache compares characters with bytes).
 */
export function recurring(buf: Buffer, i: number, len: number): string | undefined {
  let h = 0x811c9dc5;
  for (let k = 0; k < len; k++) {
    const b = buf[i + k]!;
    if (b >= 0x80) return undefined;
    h = Math.imul(h ^ b, 0x01000193);
  }
  const slot = (h ^ (h >>> 15)) & (SLOTS - 1);
  const hit = cache[slot];
  if (hit !== undefined && hit.length === len) {
    let same = true;
    for (let k = 0; same && k < len; k++) same = hit.charCodeAt(k) === buf[i + k];
    if (same) return hit;
  }
  const s = buf.toString('latin1', i, i + len);
  cache[slot] = s;
  return s;
}
