import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOnnx } from '../../../src/formats/onnx/index.js';
import { encodeOnnx } from '../../../src/formats/onnx/write.js';
import { emitterBytes } from '../../helpers/bytes.js';
import { decodePlain } from '../../helpers/onnx-oracle.js';
import { tempDir } from '../../helpers/tmp.js';
import { onnxBytes, refused, vi } from '../../hostile/helpers.js';

/**
 * The reader decodes nodes and attributes one at a time and keeps only where they are in
 * the file: what it used to keep decoded must still be there when a node is written again.
 */

function write(bytes: Uint8Array): string {
  const p = join(tempDir(), 'm.onnx');
  writeFileSync(p, bytes);
  return p;
}

/** Protobuf by hand: protobufjs refuses to encode messages nested as deep as these tests need. */
function varint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
  out.push(n);
  return out;
}
const bytesField = (num: number, body: Uint8Array): Uint8Array => Buffer.concat([Buffer.from([...varint(num * 8 + 2), ...varint(body.length)]), body]);
const stringField = (num: number, s: string): Uint8Array => bytesField(num, Buffer.from(s));

/** A model whose only node is an If whose then-branch is an If ..., `levels` deep, ending in a Relu. */
function nestedIfs(levels: number): Uint8Array {
  let nodes = bytesField(1, Buffer.concat([stringField(1, 'x'), stringField(2, 'y0'), stringField(4, 'Relu')]));
  for (let i = 1; i <= levels; i++) {
    const attribute = Buffer.concat([stringField(1, 'then_branch'), Buffer.from([...varint(20 * 8), 5]), bytesField(6, nodes)]);
    nodes = bytesField(1, Buffer.concat([stringField(1, 'c'), stringField(2, `y${i}`), stringField(4, 'If'), bytesField(5, attribute)]));
  }
  const inputs = Buffer.concat([bytesField(11, stringField(1, 'x')), bytesField(11, stringField(1, 'c'))]);
  // ModelProto { ir_version: 8, opset_import { version: 17 }, graph { input x, c; node If } }
  return Buffer.concat([Buffer.from([1 * 8, 8]), bytesField(8, Buffer.from([2 * 8, 17])), bytesField(7, Buffer.concat([inputs, nodes]))]);
}

describe('ONNX nodes decoded as the graph is built', () => {
  it('still bounds nesting: subgraphs 100 Ifs deep are refused, 60 deep are read', () => {
    const model = (levels: number): string => write(nestedIfs(levels));
    refused(model(100), /nested deeper than 256 levels/);
    const m = readOnnx(model(60));
    let depth = 0;
    for (let g = m.graph; ; depth++) {
      const sub = g.nodes[0]!.attrs.get('then_branch');
      if (sub?.type !== 'graph') break;
      g = sub.value;
    }
    expect(depth).toBe(60);
  });

  it('an edited node keeps its doc string and copies its unchanged attributes', () => {
    const p = write(onnxBytes({
      name: 'g', input: [vi('x', [1, 4])],
      node: [
        { op_type: 'Softmax', name: 'S', input: ['x'], output: ['s'], doc_string: 'kept', attribute: [{ name: 'axis', type: 2, i: -1 }] },
        { op_type: 'Relu', name: 'R', input: ['s'], output: ['y'], doc_string: 'untouched' },
      ],
      output: [vi('y', [1, 4])],
    }));
    const model = readOnnx(p);
    const softmax = model.graph.nodes[0]!;
    softmax.name = 'S2';
    softmax.touch();
    const plain = decodePlain(emitterBytes(encodeOnnx(model))) as { graph: { node: Array<Record<string, unknown>> } };
    expect(plain.graph.node[0]).toMatchObject({ name: 'S2', op_type: 'Softmax', doc_string: 'kept', attribute: [{ name: 'axis', type: 2, i: '-1' }] });
    expect(plain.graph.node[1]).toMatchObject({ name: 'R', doc_string: 'untouched' });
  });

  it('a removed value declared in value_info loses its declaration; others keep theirs', () => {
    const p = write(onnxBytes({
      name: 'g', input: [vi('x', [1])],
      node: [{ op_type: 'Relu', name: 'A', input: ['x'], output: ['a'] }, { op_type: 'Relu', name: 'B', input: ['x'], output: ['b'] }],
      output: [vi('b', [1])],
      value_info: [vi('a', [1]), vi('elsewhere', [1])],
    }));
    const model = readOnnx(p);
    model.graph.removeNode(model.graph.nodes[0]!);
    const plain = decodePlain(emitterBytes(encodeOnnx(model))) as { graph: { node: unknown[]; value_info: Array<{ name: string }> } };
    expect(plain.graph.node).toHaveLength(1);
    expect(plain.graph.value_info.map((v) => v.name)).toEqual(['elsewhere']);
  });

  it('resolves names that are not ASCII, and nodes with fields beyond the usual ones, like the others', () => {
    const p = write(onnxBytes({
      name: 'g', input: [vi('xé', [1])],
      node: [
        { op_type: 'Relu', name: 'R', input: ['xé'], output: ['ü'], doc_string: 'read by the schema decoder' },
        { op_type: 'Neg', name: 'N', input: ['ü'], output: ['y'] },
      ],
      output: [vi('y', [1])],
    }));
    const g = readOnnx(p).graph;
    expect(g.nodes.map((n) => [n.name, n.inputs[0]!.name, n.inputs[0]!.producer?.name ?? 'input'])).toEqual([['R', 'xé', 'input'], ['N', 'ü', 'R']]);
    expect(g.values.get('ü')!.uses.map((u) => u.node.name)).toEqual(['N']);
  });

  it('a subgraph value named like an outer one hides it from the whole subgraph, nodes before it included', () => {
    const cond = { name: 'c', type: { tensor_type: { elem_type: 9, shape: { dim: [] } } } };
    const p = write(onnxBytes({
      name: 'g', input: [vi('x', [1]), cond],
      node: [
        { op_type: 'Relu', name: 'Outer', input: ['x'], output: ['v'] },
        { op_type: 'If', name: 'If', input: ['c'], output: ['y'], attribute: [
          { name: 'then_branch', type: 5, g: { name: 't', node: [
            { op_type: 'Identity', name: 'Reader', input: ['v'], output: ['t_out'] },
            { op_type: 'Neg', name: 'Inner', input: ['x'], output: ['v'] },
          ], output: [vi('t_out', [1])] } },
          { name: 'else_branch', type: 5, g: { name: 'e', node: [{ op_type: 'Identity', input: ['v'], output: ['e_out'] }], output: [vi('e_out', [1])] } },
        ] },
      ],
      output: [vi('y', [1])],
    }));
    const g = readOnnx(p).graph;
    const then = g.nodes[1]!.attrs.get('then_branch');
    if (then?.type !== 'graph') throw new Error('no then branch');
    expect(then.value.nodes.map((n) => n.name)).toEqual(['Inner', 'Reader']);
    expect(then.value.nodes[1]!.inputs[0]!.producer?.name).toBe('Inner');
    const other = g.nodes[1]!.attrs.get('else_branch');
    if (other?.type !== 'graph') throw new Error('no else branch');
    expect(other.value.nodes[0]!.inputs[0]!.producer?.name).toBe('Outer');
  });
});
