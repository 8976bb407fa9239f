import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codec } from '../../../src/formats/coreml/schema.js';
import { newManifest } from '../../../src/formats/coreml/mlpackage.js';

/** Tiny Core ML models built from scratch (our schema, our encoder), for hostile-input tests. */

type Obj = Record<string, unknown>;

export function encodeModel(obj: Obj): Uint8Array {
  const M = codec('Model');
  return M.encode(M.fromObject(obj)).finish();
}

const fp32 = (shape: number[]): Obj => ({
  tensorType: { dataType: 11, rank: shape.length, dimensions: shape.map((size) => ({ constant: { size } })) },
});

const str = (s: string): Obj => ({ type: { tensorType: { dataType: 2 } }, immediateValue: { tensor: { strings: { values: [s] } } } });

/**
 * An ML Program: y = add(x, w) where w is a const of fp32[4] stored as `weight`
 * (a blob reference by default). `reads` renames what add reads, to make it dangle.
 */
export function programSpec(opts: { blob?: { fileName: string; offset: number }; reads?: string } = {}): Uint8Array {
  const val = opts.blob
    ? { type: fp32([4]), blobFileValue: opts.blob }
    : { type: fp32([4]), immediateValue: { tensor: { floats: { values: [1, 2, 3, 4] } } } };
  const ops = [
    { type: 'const', outputs: [{ name: 'w', type: fp32([4]) }], attributes: { name: str('w'), val } },
    {
      type: 'add',
      inputs: { x: { arguments: [{ name: 'x' }] }, y: { arguments: [{ name: opts.reads ?? 'w' }] } },
      outputs: [{ name: 'y', type: fp32([4]) }],
      attributes: { name: str('y') },
    },
  ];
  const feature = (name: string): Obj => ({ name, type: { multiArrayType: { shape: [4], dataType: 0x10020 } } });
  return encodeModel({
    specificationVersion: 8,
    description: { input: [feature('x')], output: [feature('y')] },
    mlProgram: {
      version: 1,
      functions: { main: { inputs: [{ name: 'x', type: fp32([4]) }], opset: 'CoreML7', block_specializations: { CoreML7: { outputs: ['y'], operations: ops } } } },
    },
  });
}

/** A weight file with one fp32[4] blob at offset 64 (as coremltools lays it out). */
export function weightFile(values = [1, 2, 3, 4]): Buffer {
  const b = Buffer.alloc(128 + 4 * values.length);
  b.writeUInt32LE(1, 0);
  b.writeUInt32LE(2, 4);
  b.writeUInt32LE(0xdeadbeef, 64);
  b.writeUInt32LE(2, 68); // fp32
  b.writeBigUInt64LE(BigInt(4 * values.length), 72);
  b.writeBigUInt64LE(128n, 80);
  values.forEach((v, i) => b.writeFloatLE(v, 128 + 4 * i));
  return b;
}

/** Writes a package at `dir` holding `spec` (and `weights` as weights/weight.bin when given). */
export function writePackage(dir: string, spec: Uint8Array, weights?: Buffer, manifest?: string): void {
  const data = join(dir, 'Data/com.apple.CoreML');
  mkdirSync(join(data, 'weights'), { recursive: true });
  writeFileSync(join(dir, 'Manifest.json'), manifest ?? newManifest(true).text);
  writeFileSync(join(data, 'model.mlmodel'), spec);
  if (weights) writeFileSync(join(data, 'weights/weight.bin'), weights);
}
