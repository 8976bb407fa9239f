import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOnnx, writeOnnx } from '../../../src/formats/onnx/index.js';
import { ByteSource } from '../../../src/formats/wire/source.js';
import { ModelBuilder } from '../../../src/ir/build.js';
import { Tensor } from '../../../src/ir/tensor.js';
import { tempDir } from '../../helpers/tmp.js';

/** A blob of distinct float32 values, and a model whose weights are ranges of it. */
function build(dir: string, external: boolean): { path: string; blob: Uint8Array; ranges: Array<[number, number]> } {
  const blob = new Uint8Array(new Float32Array(64 * 1024).map((_, i) => i * 0.25).buffer);
  const blobPath = join(dir, 'generated.bin');
  writeFileSync(blobPath, blob);
  const ranges: Array<[number, number]> = [[4096, 64 * 64 * 4], [100_000, 64 * 16 * 4]];
  const b = new ModelBuilder();
  const x = b.input('x', 'float32', [1, 64]);
  const w1 = b.graph.addInitializer('w1', Tensor.fromFile('float32', [64, 64], blobPath, ...ranges[0]!), { kind: 'tensor', dtype: 'float32', shape: [64, 64] });
  const w2 = b.graph.addInitializer('w2', Tensor.fromFile('float32', [64, 16], blobPath, ...ranges[1]!), { kind: 'tensor', dtype: 'float32', shape: [64, 16] });
  b.output(b.op('MatMul', [b.op('MatMul', [x, w1]), w2]), 'float32', [1, 16]);
  const path = join(dir, 'model.onnx');
  writeOnnx(b.model, path, external ? { externalData: { location: 'weights.bin' } } : {});
  return { path, blob, ranges };
}

describe('writing tensors that live in files', () => {
  for (const external of [false, true]) {
    it(`copies them by range without loading them${external ? ', into external data' : ''}`, () => {
      const dir = tempDir();
      const before = Tensor.readCount;
      const { path, blob, ranges } = build(dir, external);
      expect(Tensor.readCount).toBe(before); // the writer never asked for the bytes
      const model = readOnnx(path);
      for (const [name, [offset, length]] of [['w1', ranges[0]!], ['w2', ranges[1]!]] as const) {
        const t = model.graph.values.get(name)!.constant!;
        expect(t.storage.kind).toBe(external ? 'external' : 'file');
        expect(Buffer.from(t.bytes())).toEqual(Buffer.from(blob.subarray(offset, offset + length)));
      }
      if (external) expect(statSync(join(dir, 'weights.bin')).size).toBeGreaterThanOrEqual(ranges[0]![1] + ranges[1]![1]);
    });
  }

  it('rewrites a model read from disk whose tensors were renamed, still by range', () => {
    const dir = tempDir();
    const { path } = build(dir, false);
    const model = readOnnx(path);
    const w1 = model.graph.values.get('w1')!;
    // A new initializer holding the same lazy tensor (as a rename does) is written from the input's range.
    const before = Tensor.readCount;
    model.graph.addInitializer('w1_copy', w1.constant!, w1.type!);
    const out = join(dir, 'out.onnx');
    writeOnnx(model, out);
    expect(Tensor.readCount).toBe(before);
    const again = readOnnx(out);
    expect(Buffer.from(again.graph.values.get('w1_copy')!.constant!.bytes())).toEqual(Buffer.from(w1.constant!.bytes()));
  });

  it('reads a file range with Tensor.fromFile only when asked, and checks its length', () => {
    const dir = tempDir();
    const file = join(dir, 'b.bin');
    writeFileSync(file, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    const t = Tensor.fromFile('uint8', [4], file, 2, 4);
    expect(t.loaded).toBe(false);
    expect(t.fileRange).toEqual({ kind: 'file', file, offset: 2, length: 4 });
    expect([...t.bytes()]).toEqual([3, 4, 5, 6]);
    expect(() => Tensor.fromFile('uint8', [4], file, 6, 4).bytes()).toThrow(/shorter/);
    // A reused buffer serves every chunk of a copy.
    const src = ByteSource.fromFile(file);
    const scratch = new Uint8Array(3);
    expect([...src.readInto(scratch, 5, 3)]).toEqual([6, 7, 8]);
    expect(() => src.readInto(scratch, 6, 3)).toThrow(/truncated/);
    src.close();
    expect(readFileSync(file).length).toBe(8);
  });
});

describe('writing an edited graph', () => {
  it('copies each run of unchanged nodes as one range, tags included', async () => {
    const { encodeOnnx } = await import('../../../src/formats/onnx/index.js');
    const dir = tempDir();
    const b = new ModelBuilder();
    let x = b.input('x', 'float32', [1, 4]);
    for (let i = 0; i < 2000; i++) x = b.op(i % 2 ? 'Relu' : 'Sigmoid', [x]);
    b.output(x, 'float32', [1, 4]);
    const path = join(dir, 'chain.onnx');
    writeOnnx(b.model, path);
    const model = readOnnx(path);
    model.graph.nodes[1000]!.setAttr('note', { type: 'int', value: 7 });
    const encoded = encodeOnnx(model);
    const ranges = encoded.pieces.filter((p) => !(p instanceof Uint8Array));
    expect(ranges.length).toBeLessThanOrEqual(6); // before the edit, after it, and the graph's other fields
    const out = join(dir, 'edited.onnx');
    writeOnnx(model, out);
    const again = readOnnx(out);
    expect(again.graph.nodes.length).toBe(2000);
    expect(again.graph.nodes[1000]!.attrs.get('note')).toMatchObject({ type: 'int', value: 7 });
    const original = readFileSync(path);
    const edited = readFileSync(out);
    // Unchanged nodes are the original bytes: a long run of them appears verbatim.
    expect(edited.includes(original.subarray(original.length / 4, original.length / 3))).toBe(true);
  });
});
