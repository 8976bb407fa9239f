import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOnnx, writeOnnx } from '../../../src/formats/onnx/index.js';
import { ModelBuilder } from '../../../src/ir/build.js';
import { tempDir } from '../../helpers/tmp.js';

/** Labels the reader gives nodes must be those adding the nodes one by one gives them. */
describe('ONNX reader: node labels', () => {
  const build = (names: readonly string[]): ModelBuilder => {
    const b = new ModelBuilder({ opset: 17 });
    let x = b.input('x', 'float32', [1, 4]);
    for (const name of names) x = b.op('Relu', [x], {}, { name });
    b.output(x);
    return b;
  };
  const labelsOf = (names: readonly string[]): { built: string[]; read: string[] } => {
    const b = build(names);
    const path = join(tempDir(), 'labels.onnx');
    writeOnnx(b.model, path);
    return { built: b.graph.nodes.map((n) => n.label), read: readOnnx(path).graph.nodes.map((n) => n.label) };
  };

  it('gives repeated and clashing names the suffixes adding one by one gives', () => {
    // '' is labelled by op and position (Relu_2); later names clash with it and with a suffix handed out.
    const { built, read } = labelsOf(['a', 'a', '', 'Relu_2', 'a#2', 'a', '']);
    expect(built).toEqual(['a', 'a#2', 'Relu_2', 'Relu_2#2', 'a#2#2', 'a#3', 'Relu_6']);
    expect(read).toEqual(built);
  });

  it('keeps names that are all different as they are', () => {
    const names = Array.from({ length: 5000 }, (_, i) => `layer.${i}`);
    const { read } = labelsOf(names);
    expect(read).toEqual(names);
  });

  it('checks later additions against the labels read', () => {
    const b = build(['a', 'b']);
    const path = join(tempDir(), 'more.onnx');
    writeOnnx(b.model, path);
    const m = readOnnx(path);
    const added = m.graph.addNode({ op: 'Relu', kind: 'relu', name: 'a', inputs: [m.graph.nodes[1]!.outputs[0]!], outputs: ['y2'] });
    expect(added.label).toBe('a#2');
  });
});
