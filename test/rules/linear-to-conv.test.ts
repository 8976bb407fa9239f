import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import rule, { type LinearToConvData } from '../../rules/linear-to-conv.js';
import { makeContext, ModelIndex } from '../../src/engine/context.js';
import type { Finding, TargetId } from '../../src/engine/rule.js';
import { readOnnx } from '../../src/formats/onnx/index.js';
import { ModelBuilder, float } from '../../src/ir/build.js';
import type { Model } from '../../src/ir/model.js';
import { Tensor } from '../../src/ir/tensor.js';
import { hasFact } from '../../src/targets/facts.js';
import { CORPUS } from '../helpers/corpus.js';
import { checkRule } from '../helpers/rule-tester.js';

function findings(model: Model, target: TargetId = 'ane'): Finding[] {
  checkRule(rule, model, { target });
  return rule.check(makeContext(new ModelIndex(model), rule.meta.id, {}, target, []));
}

const dataOf = (f: Finding): LinearToConvData => f.data as LinearToConvData;
const zeros = (n: number): number[] => new Array(n).fill(0);

describe('linear-to-conv', () => {
  it('cites known facts and runs for the Neural Engine only', () => {
    for (const id of rule.meta.facts) expect(hasFact(id)).toBe(true);
    expect(rule.meta.targets).toEqual(['ane']);
  });

  it('reports a Gemm with constant weights and bias (A11), with what the rewrite needs', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 640]);
    const w = b.constant('fc.weight', 'float32', [1000, 640], zeros(640_000));
    const c = b.constant('fc.bias', 'float32', [1000], zeros(1000));
    b.output(b.op('Gemm', [x, w, c], { transB: 1 }, { name: 'fc' }));
    const [f, ...rest] = findings(b.model);
    expect(rest).toHaveLength(0);
    expect(f!.nodes.map((n) => n.label)).toEqual(['fc']);
    expect(f!.fixable).toBe(true);
    expect(dataOf(f!)).toEqual({
      weight: 'fc.weight', weightShape: [1000, 640], transB: true, inFeatures: 640, outFeatures: 1000,
      bias: 'fc.bias', biasAdd: null, inputRank: 2, alpha: 1, beta: 1,
    });
    expect(f!.message).toMatch(/fc \(Gemm\) is a fully connected layer with constant weights \(640 → 1000\)/);
    expect(f!.message).toMatch(/Linear layers as 1×1 convolutions in \(B, C, 1, S\) layout \(A11\)/);
  });

  it('reads no weight bytes', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 4, 64]);
    const before = Tensor.readCount;
    b.output(b.op('MatMul', [x, b.constant('w', 'float32', [64, 64], zeros(4096))]));
    const w = b.graph.values.get('w')!;
    // A lazy weight: reading it would count.
    w.constant = new Tensor('float32', [64, 64], { kind: 'missing', reason: 'test' }, () => { throw new Error('weights read'); });
    expect(findings(b.model)).toHaveLength(1);
    expect(Tensor.readCount).toBe(before);
  });

  it('reports a MatMul on a rank-3 input with a constant 2-D weight, and the Add of its bias', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 197, 192]);
    const y = b.op('MatMul', [x, b.constant('w', 'float32', [192, 576], zeros(192 * 576))], {}, { name: 'qkv' });
    b.output(b.op('Add', [b.constant('bias', 'float32', [576], zeros(576)), y], {}, { name: 'qkv_bias' }));
    const [f] = findings(b.model);
    expect(f!.nodes.map((n) => n.label)).toEqual(['qkv', 'qkv_bias']);
    expect(dataOf(f!)).toMatchObject({ weight: 'w', transB: false, inFeatures: 192, outFeatures: 576, bias: 'bias', biasAdd: 'main/qkv_bias', inputRank: 3 });
    expect(f!.message).toMatch(/and qkv_bias adds its bias/);
  });

  it('reports an ML Program linear and matmul with a const weight', () => {
    const b = new ModelBuilder();
    const x = b.input('x', 'float32', [1, 16, 64]);
    const g = b.graph;
    g.addNode({ op: 'linear', kind: 'linear', name: 'lin', inputs: [x, b.constant('lw', 'float32', [32, 64], zeros(2048))], inputNames: ['x', 'weight'], outputs: ['y'] });
    g.addNode({
      op: 'matmul', kind: 'matmul', name: 'mm',
      inputs: [g.values.get('y')!, b.constant('mw', 'float32', [8, 32], zeros(256)), b.constant('ty', 'bool', [], [1])],
      inputNames: ['x', 'y', 'transpose_y'], outputs: ['z'],
    });
    b.output(g.values.get('z')!);
    const f = findings(b.model);
    expect(f.map((x) => x.nodes[0]!.label)).toEqual(['lin', 'mm']);
    expect(dataOf(f[0]!)).toMatchObject({ weight: 'lw', transB: true, inFeatures: 64, outFeatures: 32 });
    expect(dataOf(f[1]!)).toMatchObject({ weight: 'mw', transB: true, inFeatures: 32, outFeatures: 8 });
  });

  it('reports a NeuralNetwork innerProduct (weights are layer parameters)', () => {
    const b = new ModelBuilder();
    const x = b.input('x', 'float32', [1, 512, 1, 1]);
    b.graph.addNode({
      op: 'innerProduct', kind: 'linear', name: 'ip', inputs: [x], outputs: ['y'],
      attrs: { inputChannels: { type: 'int', value: 512 }, outputChannels: { type: 'int', value: 10 }, hasBias: { type: 'int', value: 1 } },
    });
    b.output(b.graph.values.get('y')!);
    const [f] = findings(b.model);
    expect(dataOf(f!)).toMatchObject({ weight: null, weightShape: [10, 512], inFeatures: 512, outFeatures: 10, bias: 'bias', transB: true });
    // NeuralNetwork layers keep their weights as layer parameters graphlint does not re-encode.
    expect(f!.fixable).toBe(false);
    expect(f!.message).toMatch(/not automatic here: NeuralNetwork layers are not rewritten/);
  });

  it('does not offer to fix a MatMul whose input rank is not 2, 3 or 4', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 2, 3, 4, 8]);
    b.output(b.op('MatMul', [x, b.constant('w', 'float32', [8, 4], zeros(32))]));
    const [f] = findings(b.model);
    expect(f!.fixable).toBe(false);
    expect(f!.message).toMatch(/not automatic here: the input has rank 5/);
  });

  it('reports a Gemm with alpha ≠ 1 but does not offer to fix it', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 8]);
    b.output(b.op('Gemm', [x, b.constant('w', 'float32', [8, 4], zeros(32))], { alpha: float(0.5) }));
    const [f] = findings(b.model);
    expect(f!.fixable).toBe(false);
    expect(f!.message).toMatch(/not automatic here: alpha 0.5, beta 1/);
  });

  it('is not run for coreml-ep, which takes Gemm/MatMul with constant B (E5)', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 8]);
    b.output(b.op('Gemm', [x, b.constant('w', 'float32', [8, 4], zeros(32))]));
    expect(checkRule(rule, b.model, { target: 'coreml-ep' })).toHaveLength(0);
  });

  describe('near misses', () => {
    it('a MatMul of two activations (attention scores)', () => {
      const b = new ModelBuilder({ opset: 13 });
      const q = b.input('q', 'float32', [1, 3, 197, 64]);
      const k = b.input('k', 'float32', [1, 3, 64, 197]);
      b.output(b.op('MatMul', [q, k]));
      expect(findings(b.model)).toHaveLength(0);
    });

    it('a MatMul with a constant 3-D operand (batched weights)', () => {
      const b = new ModelBuilder({ opset: 13 });
      const x = b.input('x', 'float32', [4, 16, 8]);
      b.output(b.op('MatMul', [x, b.constant('w', 'float32', [4, 8, 8], zeros(256))]));
      expect(findings(b.model)).toHaveLength(0);
    });

    it('a matrix-vector product (rank-1 input)', () => {
      const b = new ModelBuilder({ opset: 13 });
      const x = b.input('x', 'float32', [8]);
      b.output(b.op('MatMul', [x, b.constant('w', 'float32', [8, 4], zeros(32))]));
      expect(findings(b.model)).toHaveLength(0);
    });

    it('a Gemm whose B is computed at run time', () => {
      const b = new ModelBuilder({ opset: 13 });
      const x = b.input('x', 'float32', [1, 8]);
      const w = b.input('w', 'float32', [8, 4]);
      b.output(b.op('Gemm', [x, w]));
      expect(findings(b.model)).toHaveLength(0);
    });
  });
});

const ONNX = join(CORPUS, 'onnx');

describe.skipIf(!existsSync(ONNX))('linear-to-conv on the corpus', () => {
  const count = (name: string): number => findings(readOnnx(join(ONNX, name))).length;

  it('counts the fully connected layers with constant weights', () => {
    // vit: 4 layers × (qkv MatMul, out-proj Gemm, 2 MLP Gemm/MatMul) + the head; convnext: 16 MLP MatMuls + the head.
    expect(count('vit_small_dynbatch_op13.onnx')).toBe(17);
    expect(count('convnext_mini_op17.onnx')).toBe(17);
    expect(count('efficientnet_mini_op13.onnx')).toBe(1);
    expect(count('ppocr_mobile_v2_cls.onnx')).toBe(1);
    expect(count('lstm_op13.onnx')).toBe(1);
    expect(count('yolox_nano.onnx')).toBe(0);
  });
});
