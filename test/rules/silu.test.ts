import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import rule from '../../rules/silu.js';
import { makeContext, ModelIndex } from '../../src/engine/context.js';
import { readModel } from '../../src/formats/index.js';
import { readOnnx } from '../../src/formats/onnx/index.js';
import { float, ModelBuilder } from '../../src/ir/build.js';
import type { Value } from '../../src/ir/graph.js';
import { CORPUS, onnxCorpus, onnxTestdata } from '../helpers/corpus.js';
import { checkRule } from '../helpers/rule-tester.js';

let counter = 0;
function k(b: ModelBuilder, value: number): Value {
  return b.constant(`k${counter++}`, 'float32', [], [value]);
}

function data(model: ModelBuilder['model']): Array<Record<string, unknown>> {
  const ctx = makeContext(new ModelIndex(model), rule.meta.id, {}, 'ane', undefined);
  return rule.check(ctx).map((f) => f.data as Record<string, unknown>);
}

/** A conv output to activate (x is not a graph input, as in a real network). */
function start(opset = 13) {
  const b = new ModelBuilder({ opset });
  const inp = b.input('inp', 'float32', [1, 3, 16, 16]);
  const w = b.constant(`w${counter++}`, 'float32', [8, 3, 1, 1], new Array(24).fill(0.1));
  const x = b.op('Conv', [inp, w], { kernel_shape: [1, 1] }, { name: 'conv' });
  return { b, x };
}

const ops = (paths: readonly string[]): string[] => paths.map((p) => p.split('/').at(-1)!.replace(/_\d+$/, ''));

/** x · relu6(x + 3) / 6 in its exporter spellings. */
function hardSwish(o: { opset?: number; clip?: 'inputs' | 'attrs' | 'min-relu'; div?: 'div' | 'mul'; inner?: boolean }) {
  const { b, x } = start(o.opset ?? 11);
  const plus = b.op('Add', [x, k(b, 3)]);
  let r: Value;
  if (o.clip === 'attrs') r = b.op('Clip', [plus], { min: float(0), max: float(6) });
  else if (o.clip === 'min-relu') r = b.op('Min', [b.op('Relu', [plus]), k(b, 6)]);
  else r = b.op('Clip', [plus, k(b, 0), k(b, 6)]);
  const scale = (v: Value): Value => (o.div === 'mul' ? b.op('Mul', [v, k(b, 1 / 6)]) : b.op('Div', [v, k(b, 6)]));
  const y = o.inner ? b.op('Mul', [x, scale(r)]) : scale(b.op('Mul', [x, r]));
  b.output(y);
  return b.model;
}

describe('silu: SiLU', () => {
  it('reports x · sigmoid(x), naming Sigmoid and Mul, at warning', () => {
    const { b, x } = start();
    b.output(b.op('Mul', [x, b.op('Sigmoid', [x], {}, { name: 'sig' })], {}, { name: 'mul' }));
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toEqual(['main/sig', 'main/mul']);
    expect(d[0]!.severity).toBe('warning');
    expect(d[0]!.message).toMatch(/SiLU \(Swish\) written out as x·sigmoid\(x\)/);
    expect(d[0]!.message).toMatch(/S2 lists Swish\/SiLU/);
    expect(data(b.model)[0]).toMatchObject({ family: 'silu', form: 'x*sigmoid(x)', input: 'conv_out' });
  });

  it('reports sigmoid(x) · x (operands swapped)', () => {
    const { b, x } = start();
    b.output(b.op('Mul', [b.op('Sigmoid', [x]), x]));
    expect(checkRule(rule, b.model)).toHaveLength(1);
  });

  it('reports a fused MIL silu', () => {
    const b = new ModelBuilder();
    const x = b.input('x', 'float32', [1, 8, 4, 4]);
    const n = b.graph.addNode({ op: 'silu', kind: 'silu', name: 'act', inputs: [x], inputNames: ['x'], outputs: ['y'] });
    b.output(n.outputs[0]!);
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toEqual(['main/act']);
    expect(d[0]!.message).toMatch(/SiLU as one silu op/);
  });

  it('speaks of ONNX Runtime on coreml-ep', () => {
    const { b, x } = start();
    b.output(b.op('Mul', [x, b.op('Sigmoid', [x])]));
    expect(checkRule(rule, b.model, { target: 'coreml-ep' })[0]!.message).toMatch(/Core ML provider hands these ops to Core ML/);
  });
});

describe('silu: HardSwish', () => {
  it('reports the HardSwish op (opset 14) at info', () => {
    const { b, x } = start(14);
    b.output(b.op('HardSwish', [x], {}, { name: 'hs' }));
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toEqual(['main/hs']);
    expect(d[0]!.severity).toBe('info');
    expect(d[0]!.message).toMatch(/HardSwish as one HardSwish op/);
  });

  it('reports x · HardSigmoid(x) with alpha 1/6, beta 0.5 (PyTorch below opset 14)', () => {
    const { b, x } = start(13);
    b.output(b.op('Mul', [x, b.op('HardSigmoid', [x], { alpha: float(1 / 6), beta: float(0.5) })]));
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(ops(d[0]!.nodes)).toEqual(['HardSigmoid', 'Mul']);
    expect(data(b.model)[0]).toMatchObject({ family: 'hard-swish', form: 'x*hardsigmoid(x)' });
  });

  it('reports x · Clip(x + 3, 0, 6) / 6 with bounds as inputs (opset 11), naming 4 ops', () => {
    const d = checkRule(rule, hardSwish({ opset: 11 }));
    expect(d).toHaveLength(1);
    expect(ops(d[0]!.nodes)).toEqual(['Add', 'Clip', 'Mul', 'Div']);
    expect(d[0]!.message).toMatch(/x·relu6\(x \+ 3\)\/6 \(4 ops/);
    expect(d[0]!.message).toMatch(/opset 14 or later/);
  });

  it('reports Clip with min/max attributes (opset 9)', () => {
    expect(checkRule(rule, hardSwish({ opset: 9, clip: 'attrs' }))).toHaveLength(1);
  });

  it('reports Mul by 1/6 instead of Div by 6', () => {
    expect(checkRule(rule, hardSwish({ div: 'mul' }))).toHaveLength(1);
  });

  it('reports x · (relu6(x + 3) / 6) (the division applied first)', () => {
    const d = checkRule(rule, hardSwish({ inner: true }));
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toHaveLength(4);
  });

  it('reports relu6 written as Min(Relu(x + 3), 6)', () => {
    const d = checkRule(rule, hardSwish({ clip: 'min-relu', div: 'mul' }));
    expect(d).toHaveLength(1);
    expect(ops(d[0]!.nodes)).toEqual(['Add', 'Relu', 'Min', 'Mul', 'Mul']);
  });

  it('reports a MIL relu6 form', () => {
    const { b, x } = start();
    const plus = b.op('Add', [x, k(b, 3)]);
    const r6 = b.graph.addNode({ op: 'relu6', kind: 'relu6', name: 'r6', inputs: [plus], inputNames: ['x'], outputs: ['r6_out'] });
    b.output(b.op('Mul', [b.op('Mul', [r6.outputs[0]!, x]), k(b, 1 / 6)]));
    expect(checkRule(rule, b.model)).toHaveLength(1);
  });
});

describe('silu: MIL argument order', () => {
  it("reads MIL arguments by name, whatever their order, and includes coremltools' thresholded_relu(x, -3)", () => {
    const b = new ModelBuilder();
    const x = b.input('x', 'float32', [1, 8, 4, 4]);
    const g = b.graph;
    const c = (name: string, v: number): Value => b.constant(name, 'float32', [], [v]);
    const t = g.addNode({ op: 'thresholded_relu', kind: 'thresholded_relu', name: 't', inputs: [c('a3', -3), x], inputNames: ['alpha', 'x'], outputs: ['t_out'] });
    const sh = g.addNode({ op: 'sigmoid_hard', kind: 'sigmoid_hard', name: 'sh', inputs: [c('al', 1 / 6), c('be', 0.5), t.outputs[0]!], inputNames: ['alpha', 'beta', 'x'], outputs: ['sh_out'] });
    const m = g.addNode({ op: 'mul', kind: 'mul', name: 'hs', inputs: [sh.outputs[0]!, t.outputs[0]!], inputNames: ['y', 'x'], outputs: ['y'] });
    b.output(m.outputs[0]!);
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toEqual(['main/t', 'main/sh', 'main/hs']);
    expect(data(b.model)[0]).toMatchObject({ form: 'x*hardsigmoid(x)', input: 'x' });
  });
});

describe('silu: near misses', () => {
  it('does not report a squeeze-and-excitation gate: x · sigmoid(f(pool(x)))', () => {
    const { b, x } = start();
    const pooled = b.op('GlobalAveragePool', [x]);
    const w = b.constant('fc', 'float32', [8, 8, 1, 1], new Array(64).fill(0.1));
    const gate = b.op('Sigmoid', [b.op('Conv', [pooled, w], { kernel_shape: [1, 1] })]);
    b.output(b.op('Mul', [gate, x]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('does not report Swish with beta ≠ 1: x · sigmoid(2x)', () => {
    const { b, x } = start();
    b.output(b.op('Mul', [x, b.op('Sigmoid', [b.op('Mul', [x, k(b, 2)])])]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('does not report x · HardSigmoid(x) with the default alpha 0.2', () => {
    const { b, x } = start();
    b.output(b.op('Mul', [x, b.op('HardSigmoid', [x])]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('does not report a plain ReLU6 (Clip 0..6) or x · relu6(x + 3) / 5', () => {
    const { b, x } = start();
    const relu6 = b.op('Clip', [x, k(b, 0), k(b, 6)]);
    const r = b.op('Clip', [b.op('Add', [relu6, k(b, 3)]), k(b, 0), k(b, 6)]);
    b.output(b.op('Div', [b.op('Mul', [relu6, r]), k(b, 5)]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('does not report y · relu6(x + 3) / 6 for another tensor y', () => {
    const { b, x } = start();
    const y = b.input('y', 'float32', [1, 8, 16, 16]);
    const r = b.op('Clip', [b.op('Add', [x, k(b, 3)]), k(b, 0), k(b, 6)]);
    b.output(b.op('Div', [b.op('Mul', [y, r]), k(b, 6)]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });
});

describe('silu: ONNX backend test models', () => {
  for (const file of onnxTestdata().filter((f) => /test_(hardswish|hardsigmoid|sigmoid)/.test(f))) {
    const name = basename(join(file, '..'));
    const want = name.startsWith('test_hardswish') ? 1 : 0;
    it(`${name}: ${want}`, () => {
      expect(checkRule(rule, readOnnx(file))).toHaveLength(want);
    });
  }
});

describe('silu: corpus', () => {
  // efficientnet: 41 Sigmoid·Mul pairs = 31 SiLU (21 in the MBConv bodies + 10 inside the SE
  // blocks, between fc1 and fc2) + 10 SE gates, which multiply the block input, not x.
  const expected: Record<string, number> = {
    'efficientnet_mini_op13.onnx': 31,
    'yolox_nano.onnx': 104,
    'ppocrv4_det.onnx': 24,
    'ppocr_mobile_v2_cls.onnx': 18,
    'ssdlite320_mobilenet_v3_large_op17.onnx': 20,
  };
  for (const file of onnxCorpus()) {
    const name = basename(file);
    const want = expected[name] ?? 0;
    it(`${name}: ${want} SiLU-family activation(s)`, () => {
      const d = checkRule(rule, readOnnx(file));
      expect(d).toHaveLength(want);
      if (name.startsWith('efficientnet')) {
        expect(d.filter((x) => x.nodes.some((p) => p.includes('/activation/')))).toHaveLength(10);
        expect(d.some((x) => x.nodes.some((p) => p.includes('scale_activation')))).toBe(false);
      }
      // paddle2onnx names nodes p2o.<Op>.<n>
      if (name.startsWith('ppocr')) for (const x of d) expect(x.nodes.map((p) => p.split('.')[1])).toEqual(['Add', 'Clip', 'Mul', 'Div']);
      if (name.startsWith('ssdlite')) for (const x of d) expect(ops(x.nodes)).toEqual(['HardSwish']);
    });
  }
});

const COREML = join(CORPUS, 'coreml');
if (!existsSync(COREML)) console.warn(`SKIPPED: ${COREML} not found; Core ML corpus tests need ../shared/corpus beside the checkout`);

describe.skipIf(!existsSync(COREML))('silu: Core ML corpus', () => {
  // mobilenet_v3_small: coremltools writes hardswish as mul(t, sigmoid_hard(t)) with t = thresholded_relu(x, -3), 19 times.
  // parakeet: 17 conformer layers × 3 MIL silu; its 17 GLU gates (a · sigmoid(b)) are not SiLU.
  const expected: Record<string, number> = {
    'converted/mobilenet_v3_small.mlpackage': 19,
    'converted/mobilenet_v3_small.mlmodel': 19,
    'converted/mobilenet_v3_small_int8_ios18.mlpackage': 19,
    'converted/vit_tiny_random.mlpackage': 0,
    'real/partial/parakeet_eou_1280ms_streaming_encoder.mlpackage': 51,
  };
  for (const [rel, want] of Object.entries(expected)) {
    it(`${rel}: ${want} SiLU-family activation(s)`, () => {
      const path = join(COREML, rel);
      if (!existsSync(path)) return;
      expect(checkRule(rule, readModel(path))).toHaveLength(want);
    });
  }
});
