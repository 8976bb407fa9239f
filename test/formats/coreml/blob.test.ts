import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlobFile } from '../../../src/formats/coreml/blob.js';
import { BlobAppender } from '../../../src/formats/coreml/blob-writer.js';
import { decodeElements, encodeElements } from '../../../src/formats/coreml/elements.js';
import { Tensor } from '../../../src/ir/tensor.js';
import { weightFile } from './build.js';
import { bytesOf, tempDir } from './corpus.js';

describe('ML Program weight files', () => {
  it('writes a new file that reads back: header, aligned records, sub-byte padding bits', () => {
    const a = Tensor.fromBytes('float16', [3], new Uint8Array([0, 0x3c, 0, 0x40, 0, 0x42]));
    const b = Tensor.fromBytes('uint4', [5], encodeElements('uint4', [1, 2, 3, 4, 15]));
    const w = new BlobAppender('@model_path/weights/weight.bin', undefined);
    expect(w.place(a)).toEqual({ fileName: '@model_path/weights/weight.bin', offset: 64 });
    expect(w.place(b)).toEqual({ fileName: '@model_path/weights/weight.bin', offset: 192 });
    const path = join(tempDir(), 'weight.bin');
    writeFileSync(path, bytesOf(w.pieces()));
    const f = BlobFile.open(path);
    expect(f.count).toBe(2);
    expect(f.tensor(64, 'float16', [3], 'a').numbers()).toEqual([1, 2, 3]);
    expect(decodeElements('uint4', f.tensor(192, 'uint4', [5], 'b').bytes(), 5)).toEqual([1, 2, 3, 4, 15]);
    expect(readFileSync(path).readBigUInt64LE(192 + 24)).toBe(4n); // 5 × 4 bits leave 4 unused bits
    expect(readFileSync(path).length).toBe(192 + 64 + 3); // no padding after the last blob
    f.close();
  });

  it('appends after existing bytes without touching them (junk in reserved words included)', () => {
    const original = weightFile();
    original.writeBigUInt64LE(0x1303f2550n, 64 + 24); // garbage padding, as old writers left it
    original.fill(0xab, 64 + 32, 64 + 64);
    const path = join(tempDir(), 'weight.bin');
    writeFileSync(path, original);
    const base = BlobFile.open(path);
    const w = new BlobAppender('@model_path/weights/weight.bin', base);
    const t = Tensor.fromBytes('float32', [2], new Uint8Array(new Float32Array([7, 8]).buffer));
    expect(w.place(t).offset).toBe(192);
    const out = bytesOf(w.pieces());
    expect(out.readUInt32LE(0)).toBe(2);
    expect(out.subarray(4, original.length).equals(original.subarray(4))).toBe(true);
    const outPath = join(tempDir(), 'weight.bin');
    writeFileSync(outPath, out);
    const again = BlobFile.open(outPath);
    expect(again.tensor(64, 'float32', [4], 'old').numbers()).toEqual([1, 2, 3, 4]);
    expect(again.tensor(192, 'float32', [2], 'new').numbers()).toEqual([7, 8]);
    base.close();
    again.close();
  });

  it('packs sub-byte elements LSB-first, with 3- and 6-bit values straddling bytes', () => {
    for (const [dtype, values] of [
      ['uint1', [1, 0, 1, 1, 0, 0, 1, 0, 1]],
      ['uint2', [3, 0, 2, 1, 3]],
      ['uint3', [7, 1, 5, 2, 6, 3]],
      ['uint6', [63, 1, 42, 17]],
      ['int4', [-8, 7, -1, 0, 3]],
      ['int8', [-128, 127, 0]],
    ] as const) {
      expect(decodeElements(dtype, encodeElements(dtype, values), values.length), dtype).toEqual(values);
    }
    expect([...encodeElements('uint4', [1, 2])]).toEqual([0x21]);
    expect([...encodeElements('uint3', [7, 1, 5])]).toEqual([0b01001111, 0b1]);
  });
});
