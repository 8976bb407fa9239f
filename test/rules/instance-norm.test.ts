import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import rule from '../../rules/instance-norm.js';
import { makeContext, ModelIndex } from '../../src/engine/context.js';
import { readModel } from '../../src/formats/index.js';
import { inferShapes } from '../../src/analysis/shapes/index.js';
import { readOnnx } from '../../src/formats/onnx/index.js';
import { encodeNumbers, float, ModelBuilder } from '../../src/ir/build.js';
import type { Value } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { tensorType } from '../../src/ir/types.js';
import { CORPUS, onnxCorpus, onnxTestdata } from '../helpers/corpus.js';
import { checkRule } from '../helpers/rule-tester.js';

let counter = 0;
function k(b: ModelBuilder, value: number): Value {
  return b.constant(`k${counter++}`, 'float32', [], [value]);
}
function vec(b: ModelBuilder, dims: number[], value = 1): Value {
  const n = dims.reduce((a, c) => a * c, 1);
  return b.constant(`v${counter++}`, 'float32', dims, new Array(n).fill(value));
}
function ints(b: ModelBuilder, values: number[]): Value {
  return b.constant(`i${counter++}`, 'int64', [values.length], values);
}

function data(model: ModelBuilder['model']): Array<Record<string, unknown>> {
  const ctx = makeContext(new ModelIndex(model), rule.meta.id, {}, 'ane', undefined);
  return rule.check(ctx).map((f) => f.data as Record<string, unknown>);
}

const ops = (paths: readonly string[]): string[] => paths.map((p) => p.split('/').at(-1)!.replace(/_\d+$/, ''));

/** mean/variance normalization of v over `axes`, written out; returns the normalized value. */
function meanVar(b: ModelBuilder, v: Value, axes: number[]): Value {
  const mean = b.op('ReduceMean', [v], { axes });
  const d = b.op('Sub', [v, mean]);
  const variance = b.op('ReduceMean', [b.op('Pow', [d, k(b, 2)])], { axes });
  return b.op('Div', [d, b.op('Sqrt', [b.op('Add', [variance, k(b, 1e-5)])])]);
}

describe('instance-norm: instance normalization', () => {
  it('reports an InstanceNormalization op, citing S2 and BatchNorm', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 8, 16, 16]);
    b.output(b.op('InstanceNormalization', [x, vec(b, [8]), vec(b, [8], 0)], { epsilon: float(1e-5) }, { name: 'in' }));
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toEqual(['main/in']);
    expect(d[0]!.severity).toBe('warning');
    expect(d[0]!.message).toMatch(/Instance normalization as one InstanceNormalization op \(epsilon 1e-5\)/);
    expect(d[0]!.message).toMatch(/S2 lists InstanceNorm.*BatchNorm/);
    expect(data(b.model)[0]).toMatchObject({ form: 'fused', input: 'x', rank: 4 });
  });

  it('reports a MIL instance_norm and says epsilon 1e-12 flushes to zero in float16', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 8, 16, 16]);
    const eps = b.graph.newValue('eps', tensorType('float32', []), Tensor.fromBytes('float32', [], encodeNumbers('float32', [1e-12])));
    const n = b.graph.addNode({ op: 'instance_norm', kind: 'instance_norm', name: 'in_mil', inputs: [x, eps], inputNames: ['x', 'epsilon'], outputs: ['y'] });
    b.output(n.outputs[0]!);
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toMatch(/flushes to zero in float16 \(A1, A2\)/);
  });

  it('reports a written-out instance norm over axes [2, 3] of a rank-4 tensor, with its affine', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 8, 16, 16]);
    const y = b.op('Add', [b.op('Mul', [meanVar(b, x, [2, 3]), vec(b, [8, 1, 1])]), vec(b, [8, 1, 1], 0)]);
    b.output(b.op('Relu', [y]));
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toHaveLength(9);
    expect(d[0]!.message).toMatch(/Instance normalization written out as 9 ops .* over axes \[2, 3\] with scale and shift/);
    expect(d[0]!.message).toMatch(/one InstanceNormalization op/);
  });

  it('speaks of ONNX Runtime on coreml-ep', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 8, 16, 16]);
    b.output(b.op('InstanceNormalization', [x, vec(b, [8]), vec(b, [8], 0)]));
    expect(checkRule(rule, b.model, { target: 'coreml-ep' })[0]!.message).toMatch(/Core ML provider/);
  });
});

describe('instance-norm: group normalization', () => {
  it("reports PyTorch's GroupNorm export (Reshape → InstanceNormalization → Reshape(Shape(x)) → Mul → Add) once, naming all 6 ops", () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 32, 8, 8]);
    const grouped = b.op('Reshape', [x, ints(b, [0, 4, -1])]);
    const normed = b.op('InstanceNormalization', [grouped, vec(b, [4]), vec(b, [4], 0)], { epsilon: float(1e-5) });
    const back = b.op('Reshape', [normed, b.op('Shape', [x])]);
    const y = b.op('Add', [b.op('Mul', [back, vec(b, [32, 1, 1])]), vec(b, [32, 1, 1], 0)]);
    b.output(y);
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(ops(d[0]!.nodes)).toEqual(['Reshape', 'InstanceNormalization', 'Shape', 'Reshape', 'Mul', 'Add']);
    expect(d[0]!.message).toMatch(/Group normalization written as Reshape → InstanceNormalization → Reshape with scale and shift/);
    expect(d[0]!.message).toMatch(/GroupNorm is its grouped form/);
    expect(data(b.model)[0]).toMatchObject({ form: 'reshape-instance-norm', groups: 4, input: 'x' });
  });

  it('reports the GroupNormalization op (opset 18)', () => {
    const b = new ModelBuilder({ opset: 18 });
    const x = b.input('x', 'float32', [1, 32, 8, 8]);
    b.output(b.op('GroupNormalization', [x, vec(b, [4]), vec(b, [4], 0)], { num_groups: 4, epsilon: float(1e-5) }, { name: 'gn' }));
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toEqual(['main/gn']);
    expect(d[0]!.message).toMatch(/GroupNormalization op \(4 groups\)/);
  });

  it('reports a written-out group norm: Reshape [0, G, -1] → mean/variance over the last axis → Reshape back → Mul → Add', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 32, 8, 8]);
    const grouped = b.op('Reshape', [x, ints(b, [0, 4, -1])]);
    const back = b.op('Reshape', [meanVar(b, grouped, [-1]), ints(b, [1, 32, 8, 8])]);
    b.output(b.op('Add', [b.op('Mul', [back, vec(b, [32, 1, 1])]), vec(b, [32, 1, 1], 0)]));
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toHaveLength(11);
    expect(d[0]!.message).toMatch(/Group normalization written out as 11 ops/);
    expect(data(b.model)[0]).toMatchObject({ form: 'written-out-group', groups: 4 });
  });
});

describe('instance-norm: near misses', () => {
  it('does not report a LayerNormalization or a written-out norm over the last axis of a rank-3 tensor', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 8, 16]);
    const ln = b.op('LayerNormalization', [x, vec(b, [16])]);
    b.output(meanVar(b, ln, [-1]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it("does not take a transformer's (B·S, C) reshape around a layer norm for a group norm", () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [2, 10, 16]);
    const flat = b.op('Reshape', [x, ints(b, [20, 16])]);
    flat.type = tensorType('float32', [20, 16]);
    const back = b.op('Reshape', [meanVar(b, flat, [-1]), ints(b, [2, 10, 16])]);
    b.output(back);
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('does not report a batch norm', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 8, 16, 16]);
    b.output(b.op('BatchNormalization', [x, vec(b, [8]), vec(b, [8], 0), vec(b, [8], 0), vec(b, [8])]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });
});

/** coremltools' NeuralNetwork lowering of LayerNorm: reshapeStatic → mvn → scale → reshapeStatic. */
function nnMvnModel(scaleShape: number[]) {
  const b = new ModelBuilder();
  const x = b.input('x', 'float32', [1, 37, 192]);
  const g = b.graph;
  const r1 = g.addNode({ op: 'reshapeStatic', kind: 'reshape', name: 'r1', inputs: [x], outputs: ['r1_out'], attrs: { targetShape: { type: 'ints', value: [1, 37, 1, 192] } } });
  const mvn = g.addNode({ op: 'mvn', kind: 'instance_norm', name: 'mvn', inputs: [r1.outputs[0]!], outputs: ['mvn_out'], attrs: { normalizeVariance: { type: 'int', value: 1 }, epsilon: { type: 'float', value: 1e-6 } } });
  const sc = g.addNode({ op: 'scale', kind: 'mul', name: 'scale', inputs: [mvn.outputs[0]!], outputs: ['sc_out'], attrs: { shapeScale: { type: 'ints', value: scaleShape } } });
  const r2 = g.addNode({ op: 'reshapeStatic', kind: 'reshape', name: 'r2', inputs: [sc.outputs[0]!], outputs: ['y'], attrs: { targetShape: { type: 'ints', value: [1, 37, 192] } } });
  b.output(r2.outputs[0]!);
  return b.model;
}

describe('instance-norm: NeuralNetwork mvn', () => {
  it("does not report coremltools' layer-norm lowering (reshape → mvn → per-feature scale), which layer-norm reports", () => {
    expect(checkRule(rule, nnMvnModel([1, 1, 192]))).toHaveLength(0);
  });

  it('reports an mvn with a per-channel scale as an instance norm', () => {
    const d = checkRule(rule, nnMvnModel([37, 1, 1]));
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toEqual(['main/mvn']);
    expect(d[0]!.message).toMatch(/as one mvn op/);
  });
});

describe('instance-norm: ONNX backend test models', () => {
  for (const file of onnxTestdata().filter((f) => /test_(instancenorm|layer_normalization_4d|mvn)/.test(f))) {
    const name = basename(join(file, '..'));
    const want = name.startsWith('test_instancenorm') ? 1 : 0;
    it(`${name}: ${want}`, () => {
      expect(checkRule(rule, readOnnx(file))).toHaveLength(want);
    });
  }
});

describe('instance-norm: corpus', () => {
  const expected: Record<string, number> = { 'raft_small_2iter_op17.onnx': 21 };
  for (const file of onnxCorpus()) {
    const name = basename(file);
    const want = expected[name] ?? 0;
    it(`${name}: ${want} instance/group norm(s)`, () => {
      const d = checkRule(rule, readOnnx(file));
      expect(d).toHaveLength(want);
      for (const x of d) expect(ops(x.nodes)).toEqual(['InstanceNormalization']);
    });
    it(`${name}: ${want} instance/group norm(s) once shapes are inferred`, () => {
      const model = readOnnx(file);
      inferShapes(model);
      expect(checkRule(rule, model)).toHaveLength(want);
    });
  }
});

const COREML = join(CORPUS, 'coreml');
if (!existsSync(COREML)) console.warn(`SKIPPED: ${COREML} not found; Core ML corpus tests need ../shared/corpus beside the checkout`);

describe.skipIf(!existsSync(COREML))('instance-norm: Core ML corpus', () => {
  // vit_tiny's NeuralNetwork mvn layers are layer norms lowered by coremltools (reported by layer-norm).
  const expected: Record<string, number> = {
    'converted/vit_tiny_random.mlmodel': 0,
    'converted/vit_tiny_random.mlpackage': 0,
    'converted/mobilenet_v3_small.mlmodel': 0,
  };
  for (const [rel, want] of Object.entries(expected)) {
    it(`${rel}: ${want} instance/group norm(s)`, () => {
      const path = join(COREML, rel);
      if (!existsSync(path)) return;
      expect(checkRule(rule, readModel(path))).toHaveLength(want);
    });
  }
});
