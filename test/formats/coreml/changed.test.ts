import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codec } from '../../../src/formats/coreml/schema.js';
import { readModel, writeModel } from '../../../src/formats/index.js';
import type { Node } from '../../../src/ir/graph.js';
import { Tensor } from '../../../src/ir/tensor.js';
import { corpusPath, HAVE_CORPUS, tempDir } from './corpus.js';

/** Changed-IR round trips: edits re-encode only what changed and decode to the expected spec. */

const SPEC = 'Data/com.apple.CoreML/model.mlmodel';
const WEIGHTS = 'Data/com.apple.CoreML/weights/weight.bin';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function decodeSpec(path: string): Json {
  const M = codec('Model');
  return M.toObject(M.decode(readFileSync(path)), { longs: Number, bytes: String }) as Json;
}

function mainOps(spec: Json): Json[] {
  const fn = spec.mlProgram.functions.main;
  return fn.block_specializations[fn.opset].operations;
}

/** Removes `node` after pointing its readers at its first input (an identity-like op). */
function bypass(node: Node): void {
  node.graph.replaceUses(node.outputs[0]!, node.inputs.find((v) => v && !v.constant)!);
  node.graph.removeNode(node);
}

describe.skipIf(!HAVE_CORPUS)('Core ML: changed ML Program round trip', () => {
  it('removes an operation: the spec is the original without it, readers rewired, weights untouched', () => {
    const src = corpusPath('converted/mobilenet_v3_small.mlpackage');
    const m = readModel(src);
    const index = m.graph.nodes.findIndex((n) => n.op === 'relu');
    const relu = m.graph.nodes[index]!;
    const from = relu.outputs[0]!.name;
    const to = relu.inputs[0]!.name;
    bypass(relu);
    const out = join(tempDir(), 'edited.mlpackage');
    writeModel(m, out);

    const expected = decodeSpec(join(src, SPEC));
    const ops = mainOps(expected);
    ops.splice(index, 1);
    for (const op of ops) {
      for (const arg of Object.values(op.inputs ?? {}) as Json[]) {
        for (const b of arg.arguments) if (b.name === from) b.name = to;
      }
    }
    expect(decodeSpec(join(out, SPEC))).toEqual(expected);
    expect(readFileSync(join(out, WEIGHTS)).equals(readFileSync(join(src, WEIGHTS)))).toBe(true);
    expect(readFileSync(join(out, 'Manifest.json')).equals(readFileSync(join(src, 'Manifest.json')))).toBe(true);
    const back = readModel(out);
    expect(back.graph.nodes.length).toBe(m.graph.nodes.length);
  });

  it('appends a new constant to the weight file, leaving every existing byte in place', () => {
    const src = corpusPath('converted/tiny_enumerated_shapes_ios17.mlpackage');
    const m = readModel(src);
    const g = m.graph;
    const result = g.outputs[0]!;
    const dims = [1, 10];
    const data = new Uint8Array(20);
    for (let i = 0; i < 10; i++) data[2 * i + 1] = 0x3c; // fp16 1.0
    const c = g.addNode({ op: 'const', kind: 'const', name: 'graphlint_bias', inputs: [], outputs: ['graphlint_bias'] });
    c.outputs[0]!.constant = Tensor.fromBytes('float16', dims, data);
    c.outputs[0]!.type = { kind: 'tensor', dtype: 'float16', shape: dims };
    const add = g.addNode({
      op: 'add', kind: 'add', name: 'graphlint_add', inputs: [result, c.outputs[0]!], inputNames: ['x', 'y'], outputs: ['graphlint_out'],
    });
    add.outputs[0]!.type = result.type;
    g.outputs[0] = add.outputs[0]!;
    g.touch();
    const out = join(tempDir(), 'appended.mlpackage');
    writeModel(m, out);

    const before = readFileSync(join(src, WEIGHTS));
    const after = readFileSync(join(out, WEIGHTS));
    expect(after.readUInt32LE(0)).toBe(before.readUInt32LE(0) + 1);
    expect(after.subarray(4, before.length).equals(before.subarray(4))).toBe(true);
    const offset = Math.ceil(before.length / 64) * 64;
    expect(after.length).toBe(offset + 64 + 20);

    const spec = decodeSpec(join(out, SPEC));
    const ops = mainOps(spec);
    const newConst = ops.find((o) => o.attributes?.name?.immediateValue?.tensor?.strings?.values?.[0] === 'graphlint_bias')!;
    expect(newConst.attributes.val.blobFileValue).toEqual({ fileName: '@model_path/weights/weight.bin', offset });
    expect(spec.mlProgram.functions.main.block_specializations.CoreML7.outputs).toEqual(['graphlint_out']);

    const back = readModel(out);
    const t = [...back.nodes()].find((n) => n.name === 'graphlint_bias')!.outputs[0]!.constant!;
    expect(t.storage.kind).toBe('external');
    expect(Buffer.from(t.bytes()).equals(Buffer.from(data))).toBe(true);
    expect(back.graph.outputs[0]!.producer!.op).toBe('add');
  });

  it('keeps small new constants inline', () => {
    const m = readModel(corpusPath('converted/stateful_accumulator_ios18.mlpackage'));
    const c = m.graph.addNode({ op: 'const', kind: 'const', name: 'tiny', inputs: [], outputs: ['tiny'] });
    c.outputs[0]!.constant = Tensor.fromBytes('int32', [2], new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0]));
    c.outputs[0]!.type = { kind: 'tensor', dtype: 'int32', shape: [2] };
    const out = join(tempDir(), 'inline.mlmodel');
    writeModel(m, out);
    const back = readModel(out);
    expect([...back.nodes()].find((n) => n.name === 'tiny')!.outputs[0]!.constant!.numbers()).toEqual([1, 2]);
  });
});

describe.skipIf(!HAVE_CORPUS)('Core ML: changed NeuralNetwork and compiled models', () => {
  it('removes a layer: its readers are rewired by name, other layers copied', () => {
    const src = corpusPath('converted/mobilenet_v3_small.mlmodel');
    const m = readModel(src);
    const layer = m.graph.nodes.find((n) => n.kind === 'relu')!;
    const to = layer.inputs[0]!.name;
    const readers = layer.outputs[0]!.uses.map((u) => u.node.name);
    bypass(layer);
    const out = join(tempDir(), 'nn.mlmodel');
    writeModel(m, out);
    const back = readModel(out);
    expect(back.graph.nodes.length).toBe(159);
    for (const r of readers) expect(back.graph.nodes.find((n) => n.name === r)!.inputs.map((v) => v!.name)).toContain(to);
  });

  it('refuses what it cannot write faithfully', () => {
    const nn = readModel(corpusPath('converted/mobilenet_v3_small.mlmodel'));
    const conv = nn.graph.nodes.find((n) => n.op === 'convolution')!;
    conv.setAttr('stride', { type: 'ints', value: [2, 2] });
    expect(() => writeModel(nn, join(tempDir(), 'x.mlmodel'))).toThrow(/layer parameters/);

    const compiled = readModel(corpusPath('real/compiled/add_model.mlmodelc'));
    compiled.graph.nodes[0]!.touch();
    expect(() => writeModel(compiled, join(tempDir(), 'x.mlmodelc'))).toThrow(/\.mlpackage/);
    // ...but the edited compiled model converts.
    const out = join(tempDir(), 'x.mlpackage');
    writeModel(compiled, out);
    expect(readModel(out).graph.nodes[0]!.op).toBe('mul');
  });
});
