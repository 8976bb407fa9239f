import { describe, expect, it } from 'vitest';
import { decodeElements } from '../../../src/formats/coreml/elements.js';
import { NN_ACTIVATION_KINDS } from '../../../src/formats/coreml/kinds.js';
import { readModel } from '../../../src/formats/index.js';
import { attrInt, attrInts } from '../../../src/ir/attribute.js';
import type { Model } from '../../../src/ir/model.js';
import type { Tensor } from '../../../src/ir/tensor.js';
import { corpusPath, HAVE_CORPUS } from './corpus.js';

/** NeuralNetwork specifics: parameters as attributes, weight encodings, control flow. */

const conv = (m: Model, k: number) => m.graph.nodes.filter((n) => n.op === 'convolution')[k]!;
const weights = (m: Model, k: number): Tensor => {
  const a = conv(m, k).attrs.get('weights');
  if (a?.type !== 'tensor') throw new Error('no weights');
  return a.value;
};

function relativeError(a: number[], b: number[]): number {
  let err = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    err += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return Math.sqrt(err / norm);
}

describe.skipIf(!HAVE_CORPUS)('Core ML NeuralNetwork', () => {
  it('gives layer parameters as attributes and weights with the layer shape', () => {
    const m = readModel(corpusPath('converted/mobilenet_v3_small.mlmodel'));
    const c = conv(m, 0);
    expect(c.kind).toBe('conv');
    expect(attrInts(c.attrs, 'kernelSize')).toEqual([3, 3]);
    expect(attrInts(c.attrs, 'stride')).toEqual([2, 2]);
    expect(attrInt(c.attrs, 'outputChannels')).toBe(16);
    expect(weights(m, 0).dims).toEqual([16, 3, 3, 3]);
    expect(weights(m, 0).dtype).toBe('float32');
    const kinds = new Set(m.graph.nodes.filter((n) => n.op === 'activation').map((n) => n.kind));
    expect([...kinds].every((k) => Object.values(NN_ACTIVATION_KINDS).includes(k))).toBe(true);
    expect(kinds.has('sigmoid_hard')).toBe(true);
  });

  it('reads fp16, 8-bit linear and 4-bit lookup-table weights in the right element order', () => {
    const ref = readModel(corpusPath('converted/mobilenet_v3_small.mlmodel'));
    const fp16 = readModel(corpusPath('converted/mobilenet_v3_small_nn_fp16.mlmodel'));
    const int8 = readModel(corpusPath('converted/mobilenet_v3_small_nn_int8_linear.mlmodel'));
    const lut = readModel(corpusPath('converted/mobilenet_v3_small_nn_4bit_lut.mlmodel'));
    for (const k of [0, 5, 20]) {
      const r = weights(ref, k).numbers(1e7)!;
      expect(relativeError(weights(fp16, k).numbers(1e7)!, r)).toBeLessThan(1e-3);

      const q8 = weights(int8, k);
      expect(q8.dtype).toBe('uint8');
      const lin = (q8.origin as { quantization: { linearQuantization: { scale: number[]; bias: number[] } } }).quantization.linearQuantization;
      const per = r.length / lin.scale.length;
      const deq8 = decodeElements('uint8', q8.bytes(), q8.elementCount).map((q, i) => q * lin.scale[Math.floor(i / per)]! + lin.bias[Math.floor(i / per)]!);
      expect(relativeError(deq8, r)).toBeLessThan(0.02);

      // 4-bit values are stored MSB-first; read in the wrong order the error is ~1.4.
      const q4 = weights(lut, k);
      expect(q4.dtype).toBe('uint4');
      const table = (q4.origin as { quantization: { lookupTableQuantization: { floatValue: number[] } } }).quantization.lookupTableQuantization.floatValue;
      const deq4 = decodeElements('uint4', q4.bytes(), q4.elementCount).map((i) => table[i]!);
      expect(relativeError(deq4, r)).toBeLessThan(0.3);
    }
  });

  it('makes branch and loop bodies nested graphs whose writes flow out as node outputs', () => {
    const m = readModel(corpusPath('converted/control_flow_branch_loop.mlmodel'));
    const branch = m.graph.nodes.find((n) => n.op === 'branch')!;
    const loop = m.graph.nodes.find((n) => n.op === 'loop')!;
    expect(branch.kind).toBe('cond');
    expect(loop.kind).toBe('while_loop');
    expect(branch.subgraphs().map(([name]) => name)).toEqual(['blocks[0]', 'blocks[1]']);
    expect(branch.outputs.map((v) => (v.origin as { nnName?: string } | undefined)?.nnName ?? v.name)).toEqual(['cond_0']);
    expect(loop.outputs.map((v) => (v.origin as { nnName?: string } | undefined)?.nnName ?? v.name).sort()).toEqual(['while_loop_0_0', 'while_loop_0_1']);
    expect(m.graph.outputs[0]!.producer).toBe(loop);
    const [, body] = loop.subgraphs()[1]!;
    expect(body.path).toBe('main/while_loop_0.blocks[1]');
    expect(body.nodes.map((n) => n.kind)).toContain('tanh');
  });
});
