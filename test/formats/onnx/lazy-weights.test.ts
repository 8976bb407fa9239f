import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOnnx, writeOnnx } from '../../../src/formats/onnx/index.js';
import { ByteSource } from '../../../src/formats/wire/source.js';
import { ModelBuilder } from '../../../src/ir/build.js';
import { Tensor } from '../../../src/ir/tensor.js';
import { onnxCorpus } from '../../helpers/corpus.js';
import { runCli } from '../../helpers/run-cli.js';
import { tempDir } from '../../helpers/tmp.js';

/** A model whose one big weight (16M floats = 64 MiB) dwarfs its structure. */
function buildHeavy(dir: string): { path: string; payloadOffset: number; payloadLength: number } {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', 'float32', [1, 4096]);
  const w = b.constant('w', 'float32', [4096, 4096], new Uint8Array(4096 * 4096 * 4).fill(0x3f));
  b.output(b.op('MatMul', [x, w]), 'float32', [1, 4096]);
  const path = join(dir, 'heavy.onnx');
  writeOnnx(b.model, path);
  const t = readOnnx(path).graph.values.get('w')!.constant!;
  if (t.storage.kind !== 'file') throw new Error('expected inline raw data');
  return { path, payloadOffset: t.storage.offset, payloadLength: t.storage.length };
}

describe('linting does not read weights', () => {
  it('reads a small fraction of a 64 MiB model and none of its weight', async () => {
    const dir = tempDir();
    const { path } = buildHeavy(dir);
    const size = statSync(path).size;
    const before = ByteSource.bytesReadFromFiles;
    const tensorsBefore = Tensor.bytesRead;
    const run = await runCli(['--format', 'json', path]);
    expect(run.code).toBe(0);
    const read = ByteSource.bytesReadFromFiles - before;
    expect(read).toBeLessThan(size / 16);
    // Rules may read small constants (shape vectors, scalars); never the 64 MiB weight.
    expect(Tensor.bytesRead - tensorsBefore).toBeLessThan(64 * 1024);
  });

  it('gives the same report when the weight payload is overwritten with garbage', async () => {
    const dir = tempDir();
    const { path, payloadOffset, payloadLength } = buildHeavy(dir);
    const clean = await runCli(['--format', 'json', path]);
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(payloadLength, 0xa5), 0, payloadLength, payloadOffset);
    closeSync(fd);
    const corrupted = await runCli(['--format', 'json', path]);
    expect(corrupted.code).toBe(0);
    expect(corrupted.stdout).toBe(clean.stdout);
    // The corruption is real: the tensor now reads differently.
    expect(readOnnx(path).graph.values.get('w')!.constant!.numbers(1 << 25)![0]).not.toBe(
      new DataView(new Uint8Array(4).fill(0x3f).buffer).getFloat32(0, true));
  });

  const corpus = onnxCorpus();
  it.skipIf(corpus.length === 0)(`summarising the ${corpus.length} corpus models reads no tensor; linting reads only small constants`, async () => {
    const before = Tensor.bytesRead;
    expect((await runCli(['summary', ...corpus])).code).toBe(0);
    expect(Tensor.bytesRead - before).toBe(0);
    Tensor.largestRead = 0;
    await runCli(['--format', 'json', ...corpus]);
    // The largest constant any rule or inference may read is 4096 elements of 8 bytes.
    expect(Tensor.largestRead).toBeLessThanOrEqual(4096 * 8);
  });
});
