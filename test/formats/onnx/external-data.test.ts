import { mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../../../src/errors.js';
import { readOnnx, writeOnnx } from '../../../src/formats/onnx/index.js';
import { ModelBuilder } from '../../../src/ir/build.js';
import { descriptor } from '../../../proto/onnx.schema.js';
import { runCli } from '../../helpers/run-cli.js';
import { tempDir } from '../../helpers/tmp.js';

function randomFloats(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5);
}

/** A small Gemm model whose weight (64×32 floats) lives in `weights.bin`. */
function buildExternal(dir: string): { path: string; weight: number[] } {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', 'float32', [1, 64]);
  const weight = randomFloats(64 * 32, 7);
  const w = b.constant('w', 'float32', [64, 32], weight);
  const bias = b.constant('bias', 'float32', [32], randomFloats(32, 9));
  b.output(b.op('Gemm', [x, w, bias]), 'float32', [1, 32]);
  const path = join(dir, 'gemm.onnx');
  writeOnnx(b.model, path, { externalData: { location: 'weights.bin', minBytes: 1024 } });
  return { path, weight };
}

/** Writes a one-initializer model whose external data location is `location`. */
function modelWithLocation(dir: string, location: string): string {
  const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
  const M = root.lookupType('graphlint.onnx.Model');
  const bytes = M.encode(M.fromObject({
    ir_version: 8,
    opset_import: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      initializer: [{ name: 'w', dims: [4], data_type: 1, data_location: 1,
        external_data: [{ key: 'location', value: location }, { key: 'length', value: '16' }] }],
      node: [{ op_type: 'Identity', input: ['w'], output: ['y'] }],
      output: [{ name: 'y', type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_value: 4 }] } } } }],
    },
  })).finish();
  const path = join(dir, 'm.onnx');
  writeFileSync(path, bytes);
  return path;
}

describe('external data', () => {
  it('reads tensors stored beside the model without loading them, and loads them exactly when asked', () => {
    const dir = tempDir();
    const { path, weight } = buildExternal(dir);
    expect(existsSync(join(dir, 'weights.bin'))).toBe(true);
    const model = readOnnx(path);
    const w = model.graph.values.get('w')!.constant!;
    expect(w.storage.kind).toBe('external');
    expect(w.loaded).toBe(false);
    const values = w.numbers(10_000)!;
    expect(values.length).toBe(64 * 32);
    values.forEach((v, i) => expect(v).toBeCloseTo(weight[i]!, 6));
    // The small bias stayed inside the model.
    expect(model.graph.values.get('bias')!.constant!.storage.kind).toBe('file');
  });

  it('convert into another directory copies the data file along, byte for byte', async () => {
    const dir = tempDir();
    const { path } = buildExternal(dir);
    const outDir = join(dir, 'out');
    mkdirSync(outDir);
    const run = await runCli(['convert', path, join(outDir, 'copy.onnx')]);
    expect(run.code).toBe(0);
    expect(readFileSync(join(outDir, 'copy.onnx')).equals(readFileSync(path))).toBe(true);
    expect(readFileSync(join(outDir, 'weights.bin')).equals(readFileSync(join(dir, 'weights.bin')))).toBe(true);
    const again = readOnnx(join(outDir, 'copy.onnx'));
    expect(again.graph.values.get('w')!.constant!.numbers(10_000)).toEqual(readOnnx(path).graph.values.get('w')!.constant!.numbers(10_000));
  });

  it('convert in place keeps the model and its data file intact', async () => {
    const dir = tempDir();
    const { path } = buildExternal(dir);
    const before = readFileSync(path);
    const data = readFileSync(join(dir, 'weights.bin'));
    expect((await runCli(['convert', path, path])).code).toBe(0);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readFileSync(join(dir, 'weights.bin')).equals(data)).toBe(true);
  });

  it.each([
    ['../outside.bin', /leaves the model's directory/],
    ['sub/../../outside.bin', /leaves the model's directory/],
    ['/etc/passwd', /is absolute/],
  ])('refuses the location %s with exit code 2', async (location, message) => {
    const dir = tempDir();
    const modelDir = join(dir, 'model');
    mkdirSync(modelDir);
    writeFileSync(join(dir, 'outside.bin'), Buffer.alloc(16));
    const path = modelWithLocation(modelDir, location);
    expect(() => readOnnx(path)).toThrow(ModelError);
    expect(() => readOnnx(path)).toThrow(message);
    const run = await runCli([path]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(path);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses a symbolic link that leads out of the model directory', () => {
    const dir = tempDir();
    const modelDir = join(dir, 'model');
    mkdirSync(modelDir);
    writeFileSync(join(dir, 'secret.bin'), Buffer.alloc(16));
    symlinkSync(join(dir, 'secret.bin'), join(modelDir, 'link.bin'));
    const path = modelWithLocation(modelDir, 'link.bin');
    expect(() => readOnnx(path)).toThrow(/symbolic link/);
  });

  it('accepts a symbolic link that stays inside the model directory', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'real.bin'), Buffer.alloc(16));
    symlinkSync(join(dir, 'real.bin'), join(dir, 'alias.bin'));
    const path = modelWithLocation(dir, 'alias.bin');
    expect(readOnnx(path).graph.values.get('w')!.constant!.storage.kind).toBe('external');
  });

  it('a missing data file still lints; reading the tensor names the file', async () => {
    const dir = tempDir();
    const path = modelWithLocation(dir, 'gone.bin');
    const model = readOnnx(path);
    const w = model.graph.values.get('w')!.constant!;
    expect(w.storage.kind).toBe('missing');
    expect(() => w.bytes()).toThrow(/gone\.bin/);
    expect((await runCli([path])).code).toBe(0);
  });
});
