import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../../../src/errors.js';
import { readModel } from '../../../src/formats/index.js';
import { encodeModel, programSpec, weightFile, writePackage } from './build.js';
import { corpusPath, HAVE_CORPUS, tempDir } from './corpus.js';

/**
 * Hostile input: whatever is wrong, reading raises a ModelError with a one-line message
 * (never a TypeError, a hang, or memory proportional to a declared length), and paths
 * that leave the model are refused.
 */

function rejects(path: string, pattern: RegExp, force = false): void {
  let error: unknown;
  try {
    const m = readModel(path);
    // Some problems surface only when a weight is asked for.
    if (force) for (const n of m.nodes()) n.outputs[0]?.constant?.bytes();
  } catch (e) {
    error = e;
  }
  expect(error, `expected ${path} to be refused`).toBeInstanceOf(ModelError);
  const message = (error as Error).message;
  expect(message).not.toContain('\n');
  expect(message).toMatch(pattern);
}

function file(name: string, bytes: Uint8Array | string): string {
  const p = join(tempDir(), name);
  writeFileSync(p, bytes);
  return p;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

function pkg(spec: Uint8Array, weights?: Buffer, manifest?: string): string {
  const dir = join(tempDir(), 'm.mlpackage');
  writePackage(dir, spec, weights, manifest);
  return dir;
}

describe('Core ML: malformed .mlmodel', () => {
  it('refuses empty files, random bytes and non-models', () => {
    rejects(file('empty.mlmodel', new Uint8Array(0)), /empty/);
    rejects(file('text.mlmodel', 'hello, I am not a model at all'), /malformed protobuf|not a Core ML model/);
    const noise = new Uint8Array(4096);
    let x = 12345;
    for (let i = 0; i < noise.length; i++) noise[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    rejects(file('noise.mlmodel', noise), /malformed protobuf|not a Core ML model/);
    rejects(file('nothing.mlmodel', encodeModel({ specificationVersion: 4 })), /not a Core ML model/);
  });

  it('refuses a declared length far past the end without allocating it', () => {
    // Field 2 (description), length 2^40.
    const bytes = Uint8Array.from([0x08, 0x04, 0x12, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x00]);
    rejects(file('huge.mlmodel', bytes), /declares \d+ bytes/);
  });

  it('refuses nesting without bound (pipelines inside pipelines)', () => {
    // Built by hand: each level is Model { specificationVersion: 1, pipeline { models: [inner] } }.
    let inner = Buffer.from(encodeModel({ specificationVersion: 1, identity: new Uint8Array(0) }));
    const field = (tag: number[], body: Buffer): Buffer => Buffer.concat([Buffer.from(tag), varint(body.length), body]);
    for (let i = 0; i < 300; i++) inner = Buffer.concat([Buffer.from([0x08, 0x01]), field([0xd2, 0x0c], field([0x0a], inner))]);
    rejects(file('deep.mlmodel', inner), /nested/);
  });

  it.skipIf(!HAVE_CORPUS)('refuses truncated real files', () => {
    const full = readFileSync(corpusPath('real/neuralnetwork/MNIST.mlmodel'));
    rejects(file('cut.mlmodel', full.subarray(0, full.length >> 1)), /malformed protobuf|cut off|declares/);
  });

  it('refuses an operation reading a value nothing defines', () => {
    rejects(pkg(programSpec({ reads: 'nowhere' })), /reads 'nowhere'/);
  });
});

describe('Core ML: weight files', () => {
  it('reads a well-formed blob (the builder is right)', () => {
    const m = readModel(pkg(programSpec({ blob: { fileName: '@model_path/weights/weight.bin', offset: 64 } }), weightFile()));
    expect(m.graph.nodes[0]!.outputs[0]!.constant!.numbers()).toEqual([1, 2, 3, 4]);
  });

  it('refuses offsets and sizes outside the file, wrong records and versions', () => {
    const spec = (offset: number): Uint8Array => programSpec({ blob: { fileName: '@model_path/weights/weight.bin', offset } });
    rejects(pkg(spec(4096), weightFile()), /past the end/);
    rejects(pkg(spec(0), weightFile()), /header/);
    rejects(pkg(spec(128), Buffer.concat([weightFile(), Buffer.alloc(128)])), /sentinel/);
    const big = weightFile();
    big.writeBigUInt64LE(1n << 50n, 72);
    rejects(pkg(spec(64), big), /outside the \d+-byte file/);
    const v1 = weightFile();
    v1.writeUInt32LE(1, 4);
    rejects(pkg(spec(64), v1), /version 1/);
    rejects(pkg(spec(64), Buffer.alloc(10)), /shorter than its 64-byte header/);
    const fp16 = weightFile();
    fp16.writeUInt32LE(1, 68);
    rejects(pkg(spec(64), fp16), /holds float16/);
  });

  it('tolerates a missing weight file until the weights are asked for', () => {
    const path = pkg(programSpec({ blob: { fileName: '@model_path/weights/other.bin', offset: 64 } }));
    expect(readModel(path).graph.nodes.length).toBe(2);
    rejects(path, /not present/, true);
  });

  it('refuses weight paths that leave the package: .., absolute, symbolic links', () => {
    rejects(pkg(programSpec({ blob: { fileName: '@model_path/../../../../etc/passwd', offset: 64 } })), /leaves the model's directory/);
    rejects(pkg(programSpec({ blob: { fileName: '/etc/passwd', offset: 64 } })), /absolute/);
    const outside = tempDir();
    writeFileSync(join(outside, 'weight.bin'), weightFile());
    const dir = pkg(programSpec({ blob: { fileName: '@model_path/linked/weight.bin', offset: 64 } }));
    symlinkSync(outside, join(dir, 'Data/com.apple.CoreML/linked'));
    rejects(dir, /symbolic link/);
  });

  it('refuses package and bundle files that are links out of the model', () => {
    const outside = join(tempDir(), 'secret.json');
    writeFileSync(outside, '{}');
    const dir = join(tempDir(), 'p.mlpackage');
    mkdirSync(dir);
    symlinkSync(outside, join(dir, 'Manifest.json'));
    rejects(dir, /symbolic link/);
    const bundle = join(tempDir(), 'b.mlmodelc');
    mkdirSync(bundle);
    writeFileSync(join(bundle, 'model.mil'), 'program(1.0)\n{\n}\n');
    symlinkSync(outside, join(bundle, 'metadata.json'));
    rejects(bundle, /symbolic link/);
  });
});

describe('Core ML: malformed packages and compiled models', () => {
  it('refuses broken manifests and root items outside the package', () => {
    const spec = programSpec();
    rejects(pkg(spec, undefined, '{ not json'), /not valid JSON/);
    rejects(pkg(spec, undefined, JSON.stringify({ fileFormatVersion: '1.0.0', itemInfoEntries: {}, rootModelIdentifier: 'x' })), /rootModelIdentifier/);
    rejects(pkg(spec, undefined, JSON.stringify({ fileFormatVersion: '2.0.0', itemInfoEntries: {}, rootModelIdentifier: 'x' })), /newer/);
    const item = (path: string): string => JSON.stringify({
      fileFormatVersion: '1.0.0',
      itemInfoEntries: { A: { author: 'a', description: 'd', name: 'n', path } },
      rootModelIdentifier: 'A',
    });
    rejects(pkg(spec, undefined, item('../../../etc/passwd')), /leaves the model's directory/);
    rejects(pkg(spec, undefined, item('/etc/passwd')), /absolute|leaves/);
    rejects(pkg(spec, undefined, item('com.apple.CoreML/missing.mlmodel')), /missing/);
  });

  it('refuses broken compiled bundles', () => {
    const dir = join(tempDir(), 'c.mlmodelc');
    mkdirSync(dir);
    rejects(dir, /neither model.mil nor coremldata.bin/);
    writeFileSync(join(dir, 'coremldata.bin'), Buffer.alloc(20));
    rejects(dir, /too short/);
    const header = Buffer.alloc(0x60);
    header.writeBigUInt64LE(1n << 40n, 0x1c);
    writeFileSync(join(dir, 'coremldata.bin'), header);
    rejects(dir, /payload tag/);
    rmSync(join(dir, 'coremldata.bin'));
    writeFileSync(join(dir, 'model.mil'), 'program(1.0)\n{\n  func main<ios17>(tensor<fp32, [1]> x) {\n  } -> (x;\n}\n');
    rejects(dir, /model.mil line 4/);
  });

  it.skipIf(!HAVE_CORPUS)('refuses a corrupt metadata.json and a coremldata.bin that lies about its length', () => {
    const dir = join(tempDir(), 'a.mlmodelc');
    mkdirSync(dir);
    const src = corpusPath('real/compiled/add_model.mlmodelc');
    for (const f of ['model.mil', 'coremldata.bin']) copyFileSync(join(src, f), join(dir, f));
    writeFileSync(join(dir, 'metadata.json'), '[{');
    rejects(dir, /metadata.json/);
    writeFileSync(join(dir, 'metadata.json'), '[]');
    rejects(dir, /no model object/);
    copyFileSync(join(src, 'metadata.json'), join(dir, 'metadata.json'));
    const data = readFileSync(join(src, 'coremldata.bin'));
    data.writeBigUInt64LE(1n << 45n, 0x4b);
    writeFileSync(join(dir, 'coremldata.bin'), data);
    rejects(dir, /runs past the end/);
  });
});
