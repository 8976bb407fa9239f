import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import rule from '../../rules/squeeze-excitation.js';
import { makeContext, ModelIndex } from '../../src/engine/context.js';
import { readModel } from '../../src/formats/index.js';
import { readOnnx } from '../../src/formats/onnx/index.js';
import { float, ModelBuilder } from '../../src/ir/build.js';
import type { Value } from '../../src/ir/graph.js';
import { CORPUS, onnxCorpus } from '../helpers/corpus.js';
import { checkRule } from '../helpers/rule-tester.js';

let counter = 0;
function k(b: ModelBuilder, value: number): Value {
  return b.constant(`k${counter++}`, 'float32', [], [value]);
}
function weights(b: ModelBuilder, dims: number[]): Value {
  const n = dims.reduce((a, c) => a * c, 1);
  return b.constant(`w${counter++}`, 'float32', dims, new Array(n).fill(0.01));
}

function data(model: ModelBuilder['model']): Array<Record<string, unknown>> {
  const ctx = makeContext(new ModelIndex(model), rule.meta.id, {}, 'ane', undefined);
  return rule.check(ctx).map((f) => f.data as Record<string, unknown>);
}

const C = 16;
const R = 4;

interface Se {
  opset?: number;
  pool?: 'gap' | 'reducemean' | 'reducemean-input' | 'reducemean-flat';
  fc?: 'conv' | 'gemm' | 'matmul';
  act?: 'relu' | 'silu' | 'hardswish' | 'none';
  gate?: 'sigmoid' | 'hardsigmoid' | 'written';
  swap?: boolean;
  poolOther?: boolean;
  expandKernel?: number;
}

/** conv → SE block → conv, in the requested spelling. Returns the model and the SE's Mul name. */
function se(o: Se = {}) {
  const opset = o.opset ?? 13;
  const b = new ModelBuilder({ opset });
  const inp = b.input('inp', 'float32', [1, 3, 32, 32]);
  const x = b.op('Conv', [inp, weights(b, [C, 3, 3, 3])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'body' });
  const other = o.poolOther ? b.op('Relu', [x]) : x;
  let pooled: Value;
  switch (o.pool ?? 'gap') {
    case 'gap': pooled = b.op('GlobalAveragePool', [other], {}, { name: 'pool' }); break;
    case 'reducemean': pooled = b.op('ReduceMean', [other], { axes: [2, 3], keepdims: 1 }, { name: 'pool' }); break;
    case 'reducemean-input': pooled = b.op('ReduceMean', [other, b.constant(`ax${counter++}`, 'int64', [2], [-2, -1])], {}, { name: 'pool' }); break;
    case 'reducemean-flat': pooled = b.op('ReduceMean', [other], { axes: [2, 3], keepdims: 0 }, { name: 'pool' }); break;
  }
  const fc = (v: Value, cin: number, cout: number, name: string, kernel = 1): Value => {
    switch (o.fc ?? 'conv') {
      case 'conv': return b.op('Conv', [v, weights(b, [cout, cin, kernel, kernel]), weights(b, [cout])], { kernel_shape: [kernel, kernel] }, { name });
      case 'gemm': return b.op('Gemm', [v, weights(b, [cout, cin]), weights(b, [cout])], { transB: 1 }, { name });
      case 'matmul': return b.op('Add', [b.op('MatMul', [v, weights(b, [cin, cout])], {}, { name }), weights(b, [cout])]);
    }
  };
  let v = pooled;
  if ((o.fc === 'gemm' || o.fc === 'matmul') && o.pool !== 'reducemean-flat') v = b.op('Flatten', [v], { axis: 1 });
  let h = fc(v, C, R, 'fc1');
  switch (o.act ?? 'relu') {
    case 'relu': h = b.op('Relu', [h]); break;
    case 'silu': h = b.op('Mul', [h, b.op('Sigmoid', [h])]); break;
    case 'hardswish': h = b.op('HardSwish', [h]); break;
    case 'none': break;
  }
  let g = fc(h, R, C, 'fc2', o.expandKernel ?? 1);
  switch (o.gate ?? 'sigmoid') {
    case 'sigmoid': g = b.op('Sigmoid', [g]); break;
    case 'hardsigmoid': g = b.op('HardSigmoid', [g], { alpha: float(1 / 6) }); break;
    case 'written': g = b.op('Div', [b.op('Clip', [b.op('Add', [g, k(b, 3)]), k(b, 0), k(b, 6)]), k(b, 6)]); break;
  }
  if (o.fc === 'gemm' || o.fc === 'matmul') g = b.op('Reshape', [g, b.constant(`shape${counter++}`, 'int64', [4], [1, C, 1, 1])]);
  const y = b.op('Mul', o.swap ? [g, x] : [x, g], {}, { name: 'scale' });
  b.output(b.op('Conv', [y, weights(b, [8, C, 1, 1])], { kernel_shape: [1, 1] }));
  return b.model;
}

describe('squeeze-excitation: blocks', () => {
  it('reports GlobalAveragePool → Conv 1×1 → Relu → Conv 1×1 → Sigmoid → Mul as one finding naming its 6 ops', () => {
    const model = se();
    const d = checkRule(rule, model);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes.map((p) => p.replace(/_\d+$/, ''))).toEqual(['main/pool', 'main/fc1', 'main/Relu', 'main/fc2', 'main/Sigmoid', 'main/scale']);
    expect(d[0]!.severity).toBe('warning');
    expect(d[0]!.message).toMatch(/GlobalAveragePool → Conv → Relu → Conv → sigmoid → Mul/);
    expect(d[0]!.message).toMatch(/S2/);
    expect(d[0]!.message).toMatch(/A6/);
    expect(d[0]!.message).toMatch(/C×H×W · C×1×1.*A3/);
    expect(data(model)[0]).toMatchObject({ input: 'body_out', pool: 'GlobalAveragePool', activation: 'Relu', gate: 'sigmoid' });
  });

  it('accepts the Mul operands in either order', () => {
    expect(checkRule(rule, se({ swap: true }))).toHaveLength(1);
  });

  it('accepts ReduceMean over [2, 3] as the squeeze', () => {
    const model = se({ pool: 'reducemean' });
    expect(checkRule(rule, model)).toHaveLength(1);
    expect(data(model)[0]).toMatchObject({ pool: 'ReduceMean', poolAxes: [2, 3] });
  });

  it('accepts ReduceMean with axes as an input (opset 18)', () => {
    expect(checkRule(rule, se({ opset: 18, pool: 'reducemean-input' }))).toHaveLength(1);
  });

  it('accepts Gemm layers with Flatten and Reshape around them, and suggests 1×1 convolutions', () => {
    const d = checkRule(rule, se({ fc: 'gemm' }));
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toHaveLength(8);
    expect(d[0]!.message).toMatch(/1×1 convolutions/);
  });

  it('accepts MatMul + Add layers after a ReduceMean without keepdims', () => {
    const d = checkRule(rule, se({ fc: 'matmul', pool: 'reducemean-flat' }));
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toHaveLength(9);
  });

  it('accepts a SiLU activation written out (EfficientNet)', () => {
    const model = se({ act: 'silu' });
    const d = checkRule(rule, model);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toHaveLength(7);
    expect(data(model)[0]).toMatchObject({ activation: 'SiLU' });
  });

  it('accepts a HardSwish activation and a HardSigmoid gate (MobileNetV3)', () => {
    const model = se({ act: 'hardswish', gate: 'hardsigmoid' });
    expect(checkRule(rule, model)).toHaveLength(1);
    expect(data(model)[0]).toMatchObject({ activation: 'HardSwish', gate: 'hard-sigmoid' });
  });

  it('accepts a hard sigmoid gate written out as Clip(x + 3, 0, 6) / 6', () => {
    const d = checkRule(rule, se({ gate: 'written' }));
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toHaveLength(8);
  });

  it('accepts a block with no activation between the FC layers', () => {
    const model = se({ act: 'none' });
    expect(checkRule(rule, model)).toHaveLength(1);
    expect(data(model)[0]).toMatchObject({ activation: 'none' });
  });

  it('speaks of ONNX Runtime on coreml-ep', () => {
    expect(checkRule(rule, se(), { target: 'coreml-ep' })[0]!.message).toMatch(/Core ML provider/);
  });
});

describe('squeeze-excitation: near misses', () => {
  it('does not report when the pooled tensor is not the one scaled', () => {
    expect(checkRule(rule, se({ poolOther: true }))).toHaveLength(0);
  });

  it('does not report a 3×3 convolution as the expand layer', () => {
    expect(checkRule(rule, se({ expandKernel: 3 }))).toHaveLength(0);
  });

  it('does not report a classifier head (GlobalAveragePool → Flatten → Gemm) or x · sigmoid(x)', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, C, 8, 8]);
    const s = b.op('Mul', [x, b.op('Sigmoid', [x])]);
    const head = b.op('Gemm', [b.op('Flatten', [b.op('GlobalAveragePool', [s])]), weights(b, [10, C])], { transB: 1 });
    b.output(head);
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('does not report a ReduceMean over the batch axis', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [2, C, 8, 8]);
    const p = b.op('ReduceMean', [x], { axes: [0], keepdims: 1 });
    const g = b.op('Sigmoid', [b.op('Conv', [b.op('Relu', [b.op('Conv', [p, weights(b, [R, C, 1, 1])])]), weights(b, [C, R, 1, 1])])]);
    b.output(b.op('Mul', [x, g]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('does not report a gated unit whose gate reads a full-resolution convolution (ConvGRU)', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, C, 8, 8]);
    const z = b.op('Sigmoid', [b.op('Conv', [x, weights(b, [C, C, 3, 3])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })]);
    b.output(b.op('Mul', [z, x]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });
});

describe('squeeze-excitation: corpus', () => {
  const expected: Record<string, number> = {
    'efficientnet_mini_op13.onnx': 10,
    'ppocrv4_det.onnx': 10,
    'ppocr_mobile_v2_cls.onnx': 9,
    'ssdlite320_mobilenet_v3_large_op17.onnx': 8,
  };
  for (const file of onnxCorpus()) {
    const name = basename(file);
    const want = expected[name] ?? 0;
    it(`${name}: ${want} SE block(s)`, () => {
      const d = checkRule(rule, readOnnx(file));
      expect(d).toHaveLength(want);
      // EfficientNet: pool, fc1, SiLU (Sigmoid + Mul), fc2, Sigmoid, Mul; the others: pool, fc1, Relu, fc2, gate, Mul.
      for (const x of d) expect(x.nodes).toHaveLength(name.startsWith('efficientnet') ? 7 : 6);
    });
  }
});

const COREML = join(CORPUS, 'coreml');
if (!existsSync(COREML)) console.warn(`SKIPPED: ${COREML} not found; Core ML corpus tests need ../shared/corpus beside the checkout`);

describe.skipIf(!existsSync(COREML))('squeeze-excitation: Core ML corpus', () => {
  // MIL: reduce_mean → conv → relu → conv → sigmoid_hard → mul; NeuralNetwork: global pooling layer instead of reduce_mean.
  const expected: Record<string, number> = {
    'converted/mobilenet_v3_small.mlpackage': 9,
    'converted/mobilenet_v3_small.mlmodel': 9,
    'converted/mobilenet_v3_small_int8_ios18.mlpackage': 9,
    'converted/mobilenet_v3_small_palettized4_ios18.mlpackage': 9,
    'converted/vit_tiny_random.mlpackage': 0,
  };
  for (const [rel, want] of Object.entries(expected)) {
    it(`${rel}: ${want} SE block(s)`, () => {
      const path = join(COREML, rel);
      if (!existsSync(path)) return;
      expect(checkRule(rule, readModel(path))).toHaveLength(want);
    });
  }
});
