import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import rule from '../../rules/gelu.js';
import { makeContext, ModelIndex } from '../../src/engine/context.js';
import { readModel } from '../../src/formats/index.js';
import { readOnnx } from '../../src/formats/onnx/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import type { Value } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { tensorType } from '../../src/ir/types.js';
import { CORPUS, onnxCorpus } from '../helpers/corpus.js';
import { checkRule } from '../helpers/rule-tester.js';

let counter = 0;
function k(b: ModelBuilder, value: number): Value {
  return b.constant(`k${counter++}`, 'float32', [], [value]);
}

function data(model: ModelBuilder['model']): Array<Record<string, unknown>> {
  const ctx = makeContext(new ModelIndex(model), rule.meta.id, {}, 'ane', undefined);
  return rule.check(ctx).map((f) => f.data as Record<string, unknown>);
}

/** Prepends a producer so x is not a graph input (as in a real MLP: MatMul → Add → GELU). */
function start(opset = 13) {
  const b = new ModelBuilder({ opset });
  const inp = b.input('inp', 'float32', [1, 8, 64]);
  const x = b.op('Add', [inp, b.constant(`bias${counter++}`, 'float32', [64], new Array(64).fill(0.1))], {}, { name: 'bias_add' });
  return { b, x };
}

const ops = (paths: readonly string[]): string[] => paths.map((p) => p.split('/').at(-1)!.replace(/_\d+$/, ''));

describe('gelu: exact (erf) written out', () => {
  it('PyTorch order: x · (1 + erf(x / 1.4142)) · 0.5, naming all 5 ops, fixable (unsafe)', () => {
    const { b, x } = start();
    const erf = b.op('Erf', [b.op('Div', [x, k(b, 1.4142135381698608)])]);
    const y = b.op('Mul', [b.op('Mul', [x, b.op('Add', [erf, k(b, 1)])]), k(b, 0.5)]);
    b.output(y);
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(ops(d[0]!.nodes)).toEqual(['Div', 'Erf', 'Add', 'Mul', 'Mul']);
    expect(d[0]!.fixable).toBe(true);
    expect(d[0]!.message).toMatch(/Exact GELU/);
    expect(d[0]!.message).toMatch(/S2/);
    expect(d[0]!.message).toMatch(/--fix-unsafe replaces exact GELU with the tanh approximation/);
    expect(data(b.model)[0]).toMatchObject({ form: 'erf', approximation: 'exact', input: 'bias_add_out', factor: 0.5 });
  });

  it('TF order: (0.5 · x) · (1 + erf(x · 0.7071)), with the 0.5 applied first', () => {
    const { b, x } = start();
    const half = b.op('Mul', [k(b, 0.5), x]);
    const erf = b.op('Erf', [b.op('Mul', [x, k(b, 0.7071067811865476)])]);
    b.output(b.op('Mul', [half, b.op('Add', [k(b, 1), erf])]));
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(ops(d[0]!.nodes)).toEqual(['Mul', 'Mul', 'Erf', 'Add', 'Mul']);
  });

  it('0.5 applied to the gate: x · (0.5 · (1 + erf(x/√2)))', () => {
    const { b, x } = start();
    const g = b.op('Mul', [b.op('Add', [b.op('Erf', [b.op('Div', [x, k(b, Math.SQRT2)])]), k(b, 1)]), k(b, 0.5)]);
    b.output(b.op('Mul', [x, g]));
    expect(checkRule(rule, b.model)).toHaveLength(1);
  });

  it('divides by 2 instead of multiplying by 0.5', () => {
    const { b, x } = start();
    const m = b.op('Mul', [b.op('Add', [b.op('Erf', [b.op('Div', [x, k(b, Math.SQRT2)])]), k(b, 1)]), x]);
    b.output(b.op('Div', [m, k(b, 2)]));
    expect(checkRule(rule, b.model)).toHaveLength(1);
  });
});

describe('gelu: tanh form written out', () => {
  it('0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))) with Pow(x, 3): reported, not fixable, x³ overflow (A1)', () => {
    const { b, x } = start();
    const cube = b.op('Pow', [x, k(b, 3)]);
    const inner = b.op('Mul', [k(b, 0.7978845608028654), b.op('Add', [x, b.op('Mul', [k(b, 0.044715), cube])])]);
    const t = b.op('Tanh', [inner]);
    b.output(b.op('Mul', [b.op('Mul', [k(b, 0.5), x]), b.op('Add', [k(b, 1), t])]));
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toHaveLength(8);
    expect(d[0]!.fixable).toBe(false);
    expect(d[0]!.message).toMatch(/tanh approximation, written out as 8 ops/);
    expect(d[0]!.message).toMatch(/x³ term .*float16 \(A1\)/);
    expect(data(b.model)[0]).toMatchObject({ form: 'tanh', approximation: 'tanh' });
  });

  it('x³ as x · x · x and the 0.5 applied last', () => {
    const { b, x } = start();
    const cube = b.op('Mul', [b.op('Mul', [x, x]), x]);
    const inner = b.op('Mul', [b.op('Add', [x, b.op('Mul', [cube, k(b, 0.044715)])]), k(b, 0.7978846)]);
    const g = b.op('Add', [b.op('Tanh', [inner]), k(b, 1)]);
    b.output(b.op('Mul', [b.op('Mul', [x, g]), k(b, 0.5)]));
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toHaveLength(9);
  });
});

describe('gelu: fused and approximations', () => {
  it('Gelu op (opset 20), exact: fixable', () => {
    const b = new ModelBuilder({ opset: 20 });
    const x = b.input('x', 'float32', [1, 8, 64]);
    b.output(b.op('Gelu', [x], {}, { name: 'gelu' }));
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toEqual(['main/gelu']);
    expect(d[0]!.fixable).toBe(true);
    expect(d[0]!.message).toMatch(/as one Gelu op/);
  });

  it('Gelu op with approximate="tanh": reported, not fixable', () => {
    const b = new ModelBuilder({ opset: 20 });
    const x = b.input('x', 'float32', [1, 8, 64]);
    b.output(b.op('Gelu', [x], { approximate: 'tanh' }));
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(d[0]!.fixable).toBe(false);
    expect(d[0]!.message).toMatch(/tanh approximation as one Gelu op/);
  });

  it('MIL gelu with mode TANH_APPROXIMATION (a string constant input)', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 8, 64]);
    const mode = b.graph.newValue('mode', tensorType('string', []), Tensor.fromBytes('string', [], new TextEncoder().encode('TANH_APPROXIMATION')));
    const n = b.graph.addNode({ op: 'gelu', kind: 'gelu', name: 'gelu_0', inputs: [x, mode], inputNames: ['x', 'mode'], outputs: ['y'] });
    b.output(n.outputs[0]!);
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(d[0]!.fixable).toBe(false);
    expect(data(b.model)[0]).toMatchObject({ approximation: 'tanh', input: 'x' });
  });

  it('ONNX Runtime contrib QuickGelu: cites E9, on coreml-ep says it runs on the CPU', () => {
    const b = new ModelBuilder({ opset: 17, opsets: { 'com.microsoft': 1 } });
    const x = b.input('x', 'float32', [1, 8, 64]);
    b.output(b.op('QuickGelu', [x], {}, { domain: 'com.microsoft', name: 'qg' }));
    const d = checkRule(rule, b.model, { target: 'coreml-ep' });
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toMatch(/contrib op.*\(E9\)/);
    expect(d[0]!.message).toMatch(/CPU/);
    expect(d[0]!.fixable).toBe(false);
  });

  it('QuickGELU written out: x · sigmoid(1.702 · x)', () => {
    const { b, x } = start();
    b.output(b.op('Mul', [x, b.op('Sigmoid', [b.op('Mul', [x, k(b, 1.702)])])]));
    const d = checkRule(rule, b.model);
    expect(d).toHaveLength(1);
    expect(ops(d[0]!.nodes)).toEqual(['Mul', 'Sigmoid', 'Mul']);
    expect(d[0]!.message).toMatch(/sigmoid approximation/);
  });
});

describe('gelu: near misses', () => {
  it('does not report an erf that is not followed by + 1', () => {
    const { b, x } = start();
    b.output(b.op('Mul', [x, b.op('Erf', [b.op('Div', [x, k(b, Math.SQRT2)])])]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('does not report erf(x / 2) (wrong scale)', () => {
    const { b, x } = start();
    const g = b.op('Add', [b.op('Erf', [b.op('Div', [x, k(b, 2)])]), k(b, 1)]);
    b.output(b.op('Mul', [b.op('Mul', [x, g]), k(b, 0.5)]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('does not report (1 + erf(x/√2)) multiplied by another tensor', () => {
    const { b, x } = start();
    const y = b.input('y', 'float32', [1, 8, 64]);
    const g = b.op('Add', [b.op('Erf', [b.op('Div', [x, k(b, Math.SQRT2)])]), k(b, 1)]);
    b.output(b.op('Mul', [b.op('Mul', [y, g]), k(b, 0.5)]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('does not report a factor of 0.25 instead of 0.5', () => {
    const { b, x } = start();
    const g = b.op('Add', [b.op('Erf', [b.op('Div', [x, k(b, Math.SQRT2)])]), k(b, 1)]);
    b.output(b.op('Mul', [b.op('Mul', [x, g]), k(b, 0.25)]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('does not report a plain Tanh activation or x · sigmoid(x) (SiLU)', () => {
    const { b, x } = start();
    const t = b.op('Tanh', [x]);
    b.output(b.op('Mul', [t, b.op('Sigmoid', [t])]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });
});

describe('gelu: corpus', () => {
  const expected: Record<string, number> = { 'vit_small_dynbatch_op13.onnx': 4, 'convnext_mini_op17.onnx': 8 };
  for (const file of onnxCorpus()) {
    const name = basename(file);
    const want = expected[name] ?? 0;
    it(`${name}: ${want} GELU(s)`, () => {
      const d = checkRule(rule, readOnnx(file));
      expect(d).toHaveLength(want);
      for (const x of d) {
        expect(ops(x.nodes)).toEqual(['Div', 'Erf', 'Add', 'Mul', 'Mul']);
        expect(x.fixable).toBe(true);
      }
    });
  }
});

const COREML = join(CORPUS, 'coreml');
if (!existsSync(COREML)) console.warn(`SKIPPED: ${COREML} not found; Core ML corpus tests need ../shared/corpus beside the checkout`);

describe.skipIf(!existsSync(COREML))('gelu: Core ML corpus', () => {
  // Fused MIL/NeuralNetwork ops and their written-out forms, as coremltools produces them.
  const expected: Record<string, number> = {
    'converted/vit_tiny_random.mlpackage': 4,
    'converted/vit_tiny_random.mlmodel': 4,
    'converted/tiny_image_classifier.mlpackage': 1,
    'converted/tiny_image_classifier.mlmodel': 1,
    'converted/mobilenet_v3_small.mlpackage': 0,
    'real/partial/parakeet_eou_1280ms_streaming_encoder.mlpackage': 0,
  };
  for (const [rel, want] of Object.entries(expected)) {
    it(`${rel}: ${want} GELU(s)`, () => {
      const path = join(COREML, rel);
      if (!existsSync(path)) return;
      expect(checkRule(rule, readModel(path))).toHaveLength(want);
    });
  }
});
