import type { Emitter } from '../../src/formats/wire/encode.js';

/** Materialises an emitter's pieces (copied ranges included) into one buffer. */
export function emitterBytes(e: Emitter): Buffer {
  const parts: Buffer[] = [];
  for (const p of e.pieces) {
    parts.push(p instanceof Uint8Array ? Buffer.from(p) : p.source.read(p.offset, p.length));
  }
  return Buffer.concat(parts);
}
