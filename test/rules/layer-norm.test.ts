import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import rule from '../../rules/layer-norm.js';
import { makeContext, ModelIndex } from '../../src/engine/context.js';
import type { TargetId } from '../../src/engine/rule.js';
import { readModel } from '../../src/formats/index.js';
import { inferShapes } from '../../src/analysis/shapes/index.js';
import { readOnnx } from '../../src/formats/onnx/index.js';
import { encodeNumbers, float, ModelBuilder } from '../../src/ir/build.js';
import type { Value } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { tensorType } from '../../src/ir/types.js';
import { CORPUS, onnxCorpus, onnxTestdata } from '../helpers/corpus.js';
import { checkRule } from '../helpers/rule-tester.js';

const ops = (paths: readonly string[]): string[] => paths.map((p) => p.split('/').at(-1)!.replace(/_\d+$/, ''));

let counter = 0;
function k(b: ModelBuilder, value: number, dims: number[] = []): Value {
  return b.constant(`k${counter++}`, 'float32', dims, [value]);
}
function vec(b: ModelBuilder, n: number): Value {
  return b.constant(`w${counter++}`, 'float32', [n], Array.from({ length: n }, (_, i) => 1 + i / 10));
}

/** Data of the findings (checkRule gives diagnostics, which carry no data). */
function data(model: ModelBuilder['model'], target: TargetId = 'ane', options = rule.meta.defaultOptions): Array<Record<string, unknown>> {
  const ctx = makeContext(new ModelIndex(model), rule.meta.id, options, target, undefined);
  return rule.check(ctx).map((f) => f.data as Record<string, unknown>);
}

interface Written {
  square?: 'pow' | 'mul';
  divide?: 'div' | 'reciprocal' | 'pow' | 'one-over';
  epsLeft?: boolean;
  epsOutside?: boolean;
  affine?: boolean;
  secondSub?: boolean;
  axes?: number[];
  shape?: number[];
  opset?: number;
}

/** x − mean, (x − mean)², mean, + eps, sqrt, divide; optional gamma/beta. */
function writtenLayerNorm(o: Written = {}) {
  const opset = o.opset ?? 13;
  const b = new ModelBuilder({ opset });
  const shape = o.shape ?? [1, 8, 16];
  const axes = o.axes ?? [-1];
  const x = b.input('x', 'float32', shape);
  const reduce = (v: Value): Value =>
    opset >= 18 ? b.op('ReduceMean', [v, b.constant(`axes${counter++}`, 'int64', [axes.length], axes)]) : b.op('ReduceMean', [v], { axes });
  const mean = reduce(x);
  const d = b.op('Sub', [x, mean]);
  const d2 = o.secondSub ? b.op('Sub', [x, mean]) : d;
  const sq = o.square === 'mul' ? b.op('Mul', [d2, d2]) : b.op('Pow', [d2, k(b, 2)]);
  const variance = reduce(sq);
  let y: Value;
  if (o.divide === 'reciprocal' || o.divide === 'one-over') {
    const std = b.op('Sqrt', [b.op('Add', o.epsLeft ? [k(b, 1e-5), variance] : [variance, k(b, 1e-5)])]);
    const inv = o.divide === 'reciprocal' ? b.op('Reciprocal', [std]) : b.op('Div', [k(b, 1), std]);
    y = b.op('Mul', [d, inv]);
  } else if (o.divide === 'pow') {
    y = b.op('Mul', [b.op('Pow', [b.op('Add', [variance, k(b, 1e-5)]), k(b, -0.5)]), d]);
  } else if (o.epsOutside) {
    y = b.op('Div', [d, b.op('Add', [b.op('Sqrt', [variance]), k(b, 1e-5)])]);
  } else {
    y = b.op('Div', [d, b.op('Sqrt', [b.op('Add', o.epsLeft ? [k(b, 1e-5), variance] : [variance, k(b, 1e-5)])])]);
  }
  if (o.affine !== false) y = b.op('Add', [b.op('Mul', [y, vec(b, shape.at(-1)!)]), vec(b, shape.at(-1)!)]);
  b.output(b.op('Relu', [y]));
  return b.model;
}

describe('layer-norm: fused', () => {
  it('reports a LayerNormalization op over the last axis, citing S2 and A11', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 8, 16]);
    const y = b.op('LayerNormalization', [x, vec(b, 16), vec(b, 16)], { axis: -1, epsilon: float(1e-5) }, { name: 'ln' });
    b.output(y);
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toEqual(['main/ln']);
    expect(d[0]!.severity).toBe('warning');
    expect(d[0]!.fixable).toBe(false);
    expect(d[0]!.message).toMatch(/LayerNormalization over axis \[2\] of a rank-3 tensor/);
    expect(d[0]!.message).toMatch(/S2/);
    expect(d[0]!.message).toMatch(/\(B, C, 1, S\).*A11/);
    expect(data(b.model)[0]).toMatchObject({ form: 'fused', axes: [2], epsilon: 1e-5, input: 'x' });
  });

  it('says an epsilon of 1e-12 flushes to zero in float16 (A2)', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 8, 16]);
    b.output(b.op('LayerNormalization', [x, vec(b, 16)], { epsilon: float(1e-12) }));
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toMatch(/epsilon 1e-12 flushes to zero in float16.*1e-7 \(A2\)/);
  });

  it('notes the Transpose that moves channels last (ConvNeXt style)', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 32, 8, 8]);
    const t = b.op('Transpose', [x], { perm: [0, 2, 3, 1] }, { name: 'to_nhwc' });
    const y = b.op('LayerNormalization', [t, vec(b, 32), vec(b, 32)], { axis: -1, epsilon: float(1e-6) }, { name: 'ln' });
    b.output(b.op('Transpose', [y], { perm: [0, 3, 1, 2] }));
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toMatch(/comes from to_nhwc, which moves channels last.*axis 1.*\(A11\)/);
    expect(data(b.model)[0]).toMatchObject({ channelsLastTranspose: 'main/to_nhwc' });
  });

  it('does not report a fused layer norm already over the channel axis of (B, C, 1, S), unless asked', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 64, 1, 128]);
    const y = b.op('LayerNormalization', [x, b.constant('g', 'float32', [64, 1, 1], new Array(64).fill(1))], { axis: 1 });
    b.output(y);
    // axis=1 on rank 4 normalizes axes [1, 2, 3]; Apple's layout normalizes axis 1 only (MIL axes).
    expect(checkRule(rule, b.model)).toHaveLength(1);

    const m = new ModelBuilder({ opset: 17 });
    const xm = m.input('x', 'float32', [1, 64, 1, 128]);
    const axes = m.graph.newValue('axes', tensorType('int32', [1]), Tensor.fromBytes('int32', [1], encodeNumbers('int32', [1])));
    const eps = m.graph.newValue('eps', tensorType('float32', []), Tensor.fromBytes('float32', [], encodeNumbers('float32', [1e-5])));
    const node = m.graph.addNode({ op: 'layer_norm', kind: 'layer_norm', name: 'ln', inputs: [xm, axes, eps], inputNames: ['x', 'axes', 'epsilon'], outputs: ['y'] });
    node.outputs[0]!.type = tensorType('float32', [1, 64, 1, 128]);
    m.output(node.outputs[0]!);
    expect(checkRule(rule, m.model)).toHaveLength(0);
    const d = checkRule(rule, m.model, { options: { reportChannelAxis: true } });
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toMatch(/already normalizes the channel axis.*A11/);
  });

  it('reads a MIL layer_norm with named inputs (axes, gamma, beta, epsilon)', () => {
    const m = new ModelBuilder({ opset: 17 });
    const x = m.input('x', 'float32', [1, 77, 512]);
    const c = (name: string, dtype: 'int32' | 'float32', dims: number[], v: number[]) =>
      m.graph.newValue(name, tensorType(dtype, dims), Tensor.fromBytes(dtype, dims, encodeNumbers(dtype, v)));
    const node = m.graph.addNode({
      op: 'layer_norm', kind: 'layer_norm', name: 'ln_mil',
      inputs: [x, c('axes', 'int32', [1], [-1]), c('gamma', 'float32', [512], new Array(512).fill(1)), c('beta', 'float32', [512], new Array(512).fill(0)), c('eps', 'float32', [], [1e-5])],
      inputNames: ['x', 'axes', 'gamma', 'beta', 'epsilon'], outputs: ['y'],
    });
    m.output(node.outputs[0]!);
    const d = checkRule(rule, m.model);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toEqual(['main/ln_mil']);
    expect(data(m.model)[0]).toMatchObject({ axes: [2], epsilon: expect.closeTo(1e-5, 9), scale: 'gamma', bias: 'beta' });
  });

  it('on coreml-ep, says a LayerNormalization with a computed scale stays on the CPU (E5)', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 8, 16]);
    const g = b.input('g', 'float32', [16]);
    b.output(b.op('LayerNormalization', [x, g]));
    const d = checkRule(rule, b.model, { target: 'coreml-ep' });
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toMatch(/constant scale and bias \(E5\)/);
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

describe('layer-norm: NeuralNetwork lowering', () => {
  it('reports reshape → mvn → scale → reshape (per-feature scale) as one layer norm naming its 4 layers', () => {
    const d = checkRule(rule, nnMvnModel([1, 1, 192]));
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toEqual(['main/r1', 'main/mvn', 'main/scale', 'main/r2']);
    expect(d[0]!.message).toMatch(/lowered by coremltools to 4 NeuralNetwork layers/);
  });

  it('leaves an mvn with a per-channel scale to instance-norm', () => {
    expect(checkRule(rule, nnMvnModel([37, 1, 1]))).toHaveLength(0);
  });
});

describe('layer-norm: written out', () => {
  it('reports the exporter form ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div + Mul/Add as one finding naming all 9 ops', () => {
    const model = writtenLayerNorm();
    const d = checkRule(rule, model);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes.map((p) => p.split('/')[1]!.replace(/_\d+$/, ''))).toEqual(['ReduceMean', 'Sub', 'Pow', 'ReduceMean', 'Add', 'Sqrt', 'Div', 'Mul', 'Add']);
    expect(d[0]!.message).toMatch(/written out as 9 ops/);
    expect(d[0]!.message).toMatch(/float16 \(A1\)/);
    expect(d[0]!.message).toMatch(/one LayerNormalization op/);
    expect(data(model)[0]).toMatchObject({ form: 'written-out', axes: [2], epsilonPlacement: 'variance', divide: 'div-sqrt', square: 'pow' });
    expect((data(model)[0]!.epsilon as number)).toBeCloseTo(1e-5, 9);
  });

  it('accepts Mul(d, d) for the square', () => {
    const d = checkRule(rule, writtenLayerNorm({ square: 'mul' }));
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toHaveLength(9);
  });

  it('accepts Mul by Reciprocal(Sqrt(var + eps))', () => {
    const model = writtenLayerNorm({ divide: 'reciprocal' });
    const d = checkRule(rule, model);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toHaveLength(10);
    expect(data(model)[0]).toMatchObject({ divide: 'mul-reciprocal-sqrt' });
  });

  it('accepts Mul by Div(1, Sqrt(...))', () => {
    const model = writtenLayerNorm({ divide: 'one-over' });
    expect(checkRule(rule, model)).toHaveLength(1);
    expect(data(model)[0]).toMatchObject({ divide: 'div-one-over-sqrt' });
  });

  it('accepts the rsqrt form Pow(var + eps, -0.5)', () => {
    const model = writtenLayerNorm({ divide: 'pow' });
    const d = checkRule(rule, model);
    expect(d).toHaveLength(1);
    expect(data(model)[0]).toMatchObject({ divide: 'mul-pow' });
  });

  it('accepts a MIL rsqrt with its own epsilon', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 4, 32]);
    const mean = b.op('ReduceMean', [x], { axes: [-1] });
    const dd = b.op('Sub', [x, mean]);
    const variance = b.op('ReduceMean', [b.op('Mul', [dd, dd])], { axes: [-1] });
    const eps = b.graph.newValue('eps', tensorType('float32', []), Tensor.fromBytes('float32', [], encodeNumbers('float32', [1e-6])));
    const r = b.graph.addNode({ op: 'rsqrt', kind: 'rsqrt', name: 'rsqrt', inputs: [variance, eps], inputNames: ['x', 'epsilon'], outputs: ['r'] });
    b.output(b.op('Mul', [dd, r.outputs[0]!]));
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toContain('main/rsqrt');
    expect(data(b.model)[0]).toMatchObject({ divide: 'mul-rsqrt' });
    expect(data(b.model)[0]!.epsilon as number).toBeCloseTo(1e-6, 9);
  });

  it('accepts the epsilon on the left of its Add', () => {
    expect(checkRule(rule, writtenLayerNorm({ epsLeft: true }))).toHaveLength(1);
  });

  it('accepts the epsilon added to the standard deviation', () => {
    const model = writtenLayerNorm({ epsOutside: true });
    expect(checkRule(rule, model)).toHaveLength(1);
    expect(data(model)[0]).toMatchObject({ epsilonPlacement: 'std' });
  });

  it('reports the form without gamma/beta, naming 7 ops', () => {
    const model = writtenLayerNorm({ affine: false });
    const d = checkRule(rule, model);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toHaveLength(7);
    expect(d[0]!.message).toMatch(/without an affine/);
    expect(data(model)[0]).toMatchObject({ scale: null, bias: null });
  });

  it('accepts a second Sub for the squared term', () => {
    const d = checkRule(rule, writtenLayerNorm({ secondSub: true }));
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toHaveLength(10);
  });

  it('accepts ReduceMean with axes as an input (opset 18)', () => {
    const d = checkRule(rule, writtenLayerNorm({ opset: 18 }));
    expect(d).toHaveLength(1);
  });

  it('reports a written-out norm over the channel axis of (B, C, 1, S): one op is still better than seven', () => {
    const d = checkRule(rule, writtenLayerNorm({ shape: [1, 64, 1, 32], axes: [1], affine: false }));
    expect(d).toHaveLength(1);
    expect(d[0]!.message).not.toMatch(/keep activations as \(B, C, 1, S\)/);
  });

  it('speaks of ONNX Runtime on coreml-ep', () => {
    const d = checkRule(rule, writtenLayerNorm(), { target: 'coreml-ep' });
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toMatch(/Core ML provider/);
  });
});

describe('layer-norm: MIL argument order', () => {
  it('reads sub(y=mean, x=x), real_div(y=std, x=d) and pow(y=2, x=d) by name', () => {
    const b = new ModelBuilder();
    const x = b.input('x', 'float32', [1, 4, 32]);
    const g = b.graph;
    let n = 0;
    const mil = (op: string, args: Record<string, Value>): Value =>
      g.addNode({ op, kind: op, name: `${op}_${n++}`, inputs: Object.values(args), inputNames: Object.keys(args), outputs: [`${op}_${n}_out`] }).outputs[0]!;
    const axes = b.constant('axes', 'int32', [1], [-1]);
    const mean = mil('reduce_mean', { axes, x });
    const d = mil('sub', { y: mean, x });
    const v = mil('reduce_mean', { axes, x: mil('pow', { y: k(b, 2), x: d }) });
    const std = mil('sqrt', { x: mil('add', { y: k(b, 1e-5), x: v }) });
    b.output(mil('real_div', { y: std, x: d }));
    const r = checkRule(rule, b.model);
    expect(r).toHaveLength(1);
    expect(r[0]!.nodes).toHaveLength(7);
  });
});

describe('layer-norm: variance as mean(x²) − mean(x)²', () => {
  it("reports ONNX's own LayerNormalization function body (epsilon behind a Cast)", () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [4, 32]);
    const mean = b.op('ReduceMean', [x], { axes: [1] });
    const meanSq = b.op('ReduceMean', [b.op('Mul', [x, x])], { axes: [1] });
    const variance = b.op('Sub', [meanSq, b.op('Mul', [mean, mean])]);
    const eps = b.op('Cast', [k(b, 1e-5)], { to: 1 });
    const std = b.op('Sqrt', [b.op('Add', [variance, eps])]);
    b.output(b.op('Div', [b.op('Sub', [x, mean]), std]));
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(ops(d[0]!.nodes)).toEqual(['ReduceMean', 'Mul', 'ReduceMean', 'Mul', 'Sub', 'Cast', 'Add', 'Sqrt', 'Sub', 'Div']);
  });

  it('does not report mean(x²) − mean(y)²', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [4, 32]);
    const y = b.input('y', 'float32', [4, 32]);
    const mean = b.op('ReduceMean', [x], { axes: [1] });
    const my = b.op('ReduceMean', [y], { axes: [1] });
    const variance = b.op('Sub', [b.op('ReduceMean', [b.op('Mul', [x, x])], { axes: [1] }), b.op('Mul', [my, my])]);
    b.output(b.op('Div', [b.op('Sub', [x, mean]), b.op('Sqrt', [b.op('Add', [variance, k(b, 1e-5)])])]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });
});

describe('layer-norm: near misses', () => {
  it('does not report x − mean divided by a constant', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 8, 16]);
    b.output(b.op('Div', [b.op('Sub', [x, b.op('ReduceMean', [x], { axes: [-1] })]), k(b, 4)]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('does not report a variance over other axes than the mean', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 8, 16]);
    const dd = b.op('Sub', [x, b.op('ReduceMean', [x], { axes: [-1] })]);
    const v = b.op('ReduceMean', [b.op('Pow', [dd, k(b, 2)])], { axes: [1] });
    b.output(b.op('Div', [dd, b.op('Sqrt', [b.op('Add', [v, k(b, 1e-5)])])]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('does not report a centered value divided by the std of another tensor', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 8, 16]);
    const z = b.input('z', 'float32', [1, 8, 16]);
    const dd = b.op('Sub', [x, b.op('ReduceMean', [x], { axes: [-1] })]);
    const dz = b.op('Sub', [z, b.op('ReduceMean', [z], { axes: [-1] })]);
    const v = b.op('ReduceMean', [b.op('Pow', [dz, k(b, 2)])], { axes: [-1] });
    b.output(b.op('Div', [dd, b.op('Sqrt', [b.op('Add', [v, k(b, 1e-5)])])]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('does not report x minus the mean of another tensor', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 8, 16]);
    const z = b.input('z', 'float32', [1, 8, 16]);
    const dd = b.op('Sub', [x, b.op('ReduceMean', [z], { axes: [-1] })]);
    const v = b.op('ReduceMean', [b.op('Pow', [dd, k(b, 2)])], { axes: [-1] });
    b.output(b.op('Div', [dd, b.op('Sqrt', [b.op('Add', [v, k(b, 1e-5)])])]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('leaves an instance normalization (axes [2, 3] of a rank-4 tensor) to instance-norm', () => {
    expect(checkRule(rule, writtenLayerNorm({ shape: [1, 8, 16, 16], axes: [2, 3], affine: false }))).toHaveLength(0);
  });

  it('does not report a BatchNormalization or an RMS norm (no mean subtraction)', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 8, 16]);
    const ms = b.op('ReduceMean', [b.op('Pow', [x, k(b, 2)])], { axes: [-1] });
    b.output(b.op('Div', [x, b.op('Sqrt', [b.op('Add', [ms, k(b, 1e-6)])])]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });
});

describe('layer-norm: ONNX backend test models', () => {
  const models = onnxTestdata().filter((f) => /test_(layer_normalization|mvn)/.test(f));
  for (const file of models) {
    const name = basename(join(file, '..'));
    // Every LayerNormalization test, fused or expanded into its function body, is one layer norm;
    // MeanVarianceNormalization (axes [0, 2, 3], across the batch) is not one.
    const want = name.startsWith('test_mvn') ? 0 : 1;
    it(`${name}: ${want}`, () => {
      expect(checkRule(rule, readOnnx(file))).toHaveLength(want);
    });
  }
});

describe('layer-norm: corpus', () => {
  const files = onnxCorpus();
  const expected: Record<string, number> = {
    'vit_small_dynbatch_op13.onnx': 9,
    'convnext_mini_op17.onnx': 13,
  };
  for (const file of files) {
    const name = basename(file);
    const want = expected[name] ?? 0;
    it(`${name}: ${want} layer norm(s)`, () => {
      const d = checkRule(rule, readOnnx(file));
      expect(d).toHaveLength(want);
      if (name.startsWith('vit')) for (const x of d) expect(x.nodes).toHaveLength(9);
      if (name.startsWith('convnext')) for (const x of d) expect(x.message).toMatch(/moves channels last/);
    });
    it(`${name}: ${want} layer norm(s) once shapes are inferred (ranks decide layer vs instance)`, () => {
      const model = readOnnx(file);
      inferShapes(model);
      const d = checkRule(rule, model);
      expect(d).toHaveLength(want);
      if (name.startsWith('vit')) for (const x of d) expect(x.message).toMatch(/over axis \[2\] of a rank-3 tensor/);
    });
  }
});

const COREML = join(CORPUS, 'coreml');
if (!existsSync(COREML)) console.warn(`SKIPPED: ${COREML} not found; Core ML corpus tests need ../shared/corpus beside the checkout`);

describe.skipIf(!existsSync(COREML))('layer-norm: Core ML corpus', () => {
  // vit_tiny: MIL layer_norm ×9 in the package; reshape → mvn → scale → reshape ×9 in the NeuralNetwork model.
  // DTLN: a TF 'instant layer norm' written out in MIL (reduce_mean, sub, mul, reduce_mean, add, sqrt, real_div, mul, add).
  const expected: Record<string, number> = {
    'converted/vit_tiny_random.mlpackage': 9,
    'converted/vit_tiny_random.mlmodel': 9,
    'converted/mobilenet_v3_small.mlpackage': 0,
    'converted/tiny_image_classifier.mlpackage': 0,
    'real/partial/parakeet_eou_1280ms_streaming_encoder.mlpackage': 102,
    'real/partial/parakeet_eou_1280ms_streaming_encoder.mlmodelc': 102,
    'real/mlprogram/DTLN_AEC_128_Part1.mlpackage': 2,
  };
  for (const [rel, want] of Object.entries(expected)) {
    it(`${rel}: ${want} layer norm(s)`, () => {
      const path = join(COREML, rel);
      if (!existsSync(path)) return;
      expect(checkRule(rule, readModel(path))).toHaveLength(want);
    });
  }
});
