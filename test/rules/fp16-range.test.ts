import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import rule from '../../rules/fp16-range.js';
import { FLOAT16_MIN_SUBNORMAL, flushesToZero, isSubnormal16, overflows, toFloat16 } from '../../src/analysis/float16.js';
import { makeContext, ModelIndex } from '../../src/engine/context.js';
import { readOnnx } from '../../src/formats/onnx/index.js';
import { float, ModelBuilder } from '../../src/ir/build.js';
import type { Value } from '../../src/ir/graph.js';
import { Model } from '../../src/ir/model.js';
import { Tensor } from '../../src/ir/tensor.js';
import { tensorType } from '../../src/ir/types.js';
import { hasFact } from '../../src/targets/facts.js';
import { onnxCorpus } from '../helpers/corpus.js';
import { checkRule } from '../helpers/rule-tester.js';

let counter = 0;
function k(b: ModelBuilder, value: number, dims: number[] = []): Value {
  return b.constant(`k${counter++}`, 'float32', dims, [value]);
}

function findings(model: Model, options = rule.meta.defaultOptions) {
  return rule.check(makeContext(new ModelIndex(model), rule.meta.id, options, 'ane', undefined));
}

describe('float16 arithmetic', () => {
  it('rounds like IEEE half precision', () => {
    expect(toFloat16(1)).toBe(1);
    expect(toFloat16(65504)).toBe(65504);
    expect(toFloat16(65519)).toBe(65504);
    expect(toFloat16(65520)).toBe(Infinity);
    expect(toFloat16(-1e9)).toBe(-Infinity);
    expect(toFloat16(2 ** -24)).toBe(2 ** -24);
    expect(toFloat16(2 ** -25)).toBe(0); // a tie rounds to even: 0
    expect(toFloat16(1.5 * 2 ** -25)).toBe(2 ** -24);
    expect(toFloat16(1e-7)).toBeCloseTo(2 * FLOAT16_MIN_SUBNORMAL, 12);
    expect(toFloat16(0.1)).toBeCloseTo(0.0999755859375, 12);
    expect(flushesToZero(1e-12)).toBe(true);
    expect(flushesToZero(1e-7)).toBe(false);
    expect(isSubnormal16(1e-7)).toBe(true);
    expect(isSubnormal16(1e-4)).toBe(false);
    expect(overflows(-3.4028234663852886e38)).toBe(true);
    expect(overflows(-Infinity)).toBe(false); // already inf: nothing changes
  });

  it('answers overflow and underflow as rounding does, at and around the edges', () => {
    const edges = [65504, 65519, 65519.99, 65520, 65536, 2 ** -24, 2 ** -25, 1.5 * 2 ** -25, 2 ** -26, 3e-8, 6e-8];
    const near = edges.flatMap((e) => [e, e * (1 + 1e-7), e * (1 - 1e-7), e * (1 + 1e-3), e * (1 - 1e-3)]);
    for (const x of [...near, ...near.map((v) => -v), 0, -0, 1, 1e-5, NaN, Infinity]) {
      const h = toFloat16(x);
      expect(overflows(x), String(x)).toBe(Number.isFinite(x) && !Number.isFinite(h));
      expect(flushesToZero(x), String(x)).toBe(Number.isFinite(x) && x !== 0 && h === 0);
    }
  });
});

describe('fp16-range: vanishing epsilons', () => {
  it('cites known facts and applies to ane only', () => {
    for (const id of rule.meta.facts) expect(hasFact(id)).toBe(true);
    expect(rule.meta.targets).toEqual(['ane']);
    expect(rule.meta.fixable).toBe('unsafe');
  });

  function layerNormOp(epsilon: number) {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 8, 16]);
    b.output(b.op('LayerNormalization', [x, k(b, 1, [16]), k(b, 0, [16])], { axis: -1, epsilon: float(epsilon) }, { name: 'ln' }));
    return b.model;
  }

  it('reports LayerNormalization epsilon 1e-12 (A2), with what the fix needs', () => {
    const d = checkRule(rule, layerNormOp(1e-12));
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toEqual(['main/ln']);
    expect(d[0]!.message).toMatch(/ln \(LayerNormalization\) has epsilon 1e-12, which is 0 in float16.*\(A1\).*1e-7 \(A2\)\. Raise it to 1e-5 \(or at least 1e-7\)/);
    expect(findings(layerNormOp(1e-12))[0]!.data).toEqual({ where: 'attribute', attribute: 'epsilon', value: expect.closeTo(1e-12, 20), float16: 0, suggested: 1e-5 });
  });

  it('does not report epsilon 1e-5 or 1e-7 (subnormal but nonzero), unless asked, then at info', () => {
    expect(checkRule(rule, layerNormOp(1e-5))).toHaveLength(0);
    expect(checkRule(rule, layerNormOp(1e-7))).toHaveLength(0);
    const f = findings(layerNormOp(1e-6), { reportSubnormal: true });
    expect(f).toHaveLength(1);
    expect(f[0]!.severity).toBe('info');
    expect(f[0]!.message).toMatch(/^Epsilon 1e-6 of ln \(LayerNormalization\) survives float16 only as a subnormal/);
    expect(findings(layerNormOp(1e-4), { reportSubnormal: true })).toHaveLength(0); // normal in float16
  });

  it('reports the epsilon constant of a written-out layer norm (Add before Sqrt)', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 8, 16]);
    const mean = b.op('ReduceMean', [x], { axes: [-1] });
    const d = b.op('Sub', [x, mean]);
    const variance = b.op('ReduceMean', [b.op('Pow', [d, k(b, 2)])], { axes: [-1] });
    const eps = k(b, 1e-12);
    const std = b.op('Sqrt', [b.op('Add', [variance, eps], {}, { name: 'add_eps' })], {}, { name: 'sqrt' });
    b.output(b.op('Div', [d, std]));
    const f = checkRule(rule, b.model);
    expect(f).toHaveLength(1);
    expect(f[0]!.nodes).toEqual(['main/add_eps']);
    expect(f[0]!.message).toMatch(new RegExp(`Constant ${eps.name} = 1e-12 \\(read by add_eps\\) is 0 in float16.*It is the epsilon added before sqrt \\(Sqrt\\)`));
    expect(findings(b.model)[0]!.data).toMatchObject({ where: 'constant', value: eps.name, float16: 0 });
  });

  it('reports an offset inside Log and a Max clamp floor, named with their Constant node', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 400]);
    const tiny = b.op('Constant', [], { value_float: float(1e-10) }, { name: 'tiny' });
    const logged = b.op('Log', [b.op('Add', [x, tiny], {}, { name: 'offset' })]);
    const floor = b.op('Max', [logged, k(b, 1e-12)], {}, { name: 'floor' });
    b.output(floor);
    const f = checkRule(rule, b.model);
    expect(f.map((x) => x.nodes)).toEqual([['main/tiny', 'main/offset'], ['main/floor']]);
    expect(f[0]!.message).toMatch(/epsilon added before Log_\d+ \(Log\)/);
    expect(f[1]!.message).toMatch(/It is a clamp floor/);
  });

  it('reports an epsilon attribute of a NeuralNetwork layer and a MIL epsilon input', () => {
    const m = new Model('mlpackage', '');
    const g = m.graph;
    const x = g.newValue('x', tensorType('float32', [1, 8, 16]));
    g.inputs.push(x);
    const mvn = g.addNode({ op: 'mvn', kind: 'layer_norm', name: 'mvn', inputs: [x], outputs: ['y'], attrs: { epsilon: { type: 'float', value: 1e-12 } } });
    const eps = g.addNode({ op: 'const', kind: 'const', name: 'eps', inputs: [], outputs: ['eps_v'] });
    eps.outputs[0]!.constant = Tensor.fromBytes('float32', [], new Uint8Array(new Float32Array([1e-12]).buffer));
    const ln = g.addNode({ op: 'layer_norm', kind: 'layer_norm', name: 'ln', inputs: [mvn.outputs[0]!, eps.outputs[0]!], outputs: ['z'], inputNames: ['x', 'epsilon'] });
    g.outputs.push(ln.outputs[0]!);
    const f = checkRule(rule, m);
    expect(f.map((x) => x.nodes)).toEqual([['main/mvn'], ['main/eps', 'main/ln']]);
    expect(f[1]!.message).toMatch(/It is the epsilon of ln \(layer_norm\)/);
  });

  it('does not report tiny constants that are only compared, zeros, float16 constants, or vectors', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 4]);
    const g = b.op('Greater', [x, k(b, 1e-12)]);
    const z = b.op('Add', [x, k(b, 0)]);
    const h = b.op('Add', [z, b.constant('half', 'float16', [], [0])]);
    const v = b.op('Add', [h, b.constant('vec', 'float32', [4], [1e-12, 1, 2, 3])]);
    b.output(b.op('Where', [g, v, x]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });
});

describe('fp16-range: constants beyond ±65504', () => {
  it('reports an attention mask built as (1 - mask) × -1e9', () => {
    const b = new ModelBuilder({ opset: 17 });
    const mask = b.input('mask', 'float32', [1, 1, 1, 8]);
    const scores = b.input('scores', 'float32', [1, 4, 8, 8]);
    const big = k(b, -1e9);
    const m = b.op('Mul', [b.op('Sub', [k(b, 1), mask]), big], {}, { name: 'neg' });
    b.output(b.op('Softmax', [b.op('Add', [scores, m])], { axis: -1 }));
    const f = checkRule(rule, b.model);
    expect(f).toHaveLength(1);
    expect(f[0]!.nodes).toEqual(['main/neg']);
    expect(f[0]!.message).toMatch(new RegExp(`Constant ${big.name} \\(read by neg\\) holds -1e\\+9, beyond the float16 range of ±65504: on the Neural Engine, which computes in float16 \\(A1\\), it becomes -inf.*Clamp it to -65504`));
    expect(findings(b.model)[0]!.data).toMatchObject({ where: 'constant', value: big.name, values: 1, largest: -1e9, clampTo: -65504 });
  });

  it('reports a Where fill of -3.4e38 and a ConstantOfShape fill of -1e9', () => {
    const b = new ModelBuilder({ opset: 17 });
    const c = b.input('c', 'bool', [1, 8]);
    const x = b.input('x', 'float32', [1, 8]);
    const w = b.op('Where', [c, x, k(b, -3.4028234663852886e38)], {}, { name: 'masked' });
    const fill = b.op('ConstantOfShape', [b.constant('shape', 'int64', [2], [1, 8])], { value: Tensor.fromBytes('float32', [1], new Uint8Array(new Float32Array([-1e9]).buffer)) }, { name: 'fill' });
    b.output(b.op('Add', [w, fill]));
    const f = checkRule(rule, b.model);
    expect(f.map((x) => x.nodes[0])).toEqual(['main/masked', 'main/fill']);
    expect(f[0]!.message).toMatch(/holds -3\.40282e\+38/);
    expect(f[1]!.message).toMatch(/^The fill value of fill holds -1e\+9/);
  });

  it('reports a small vector holding some huge values', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 3, 4, 4]);
    b.output(b.op('Mul', [x, b.constant('scale', 'float32', [1, 3, 1, 1], [1, 2e6, 3e6])], {}, { name: 'scale' }));
    const f = checkRule(rule, b.model);
    expect(f.map((x) => x.nodes[0])).toEqual(['main/scale']);
    expect(f[0]!.message).toMatch(/holds 2 values such as 3000000/);
  });

  it('never reads weights, however small (Conv kernels, BatchNormalization statistics, MatMul operands, embedding tables)', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 3, 4, 4]);
    const unreadable = (name: string, dims: number[]) => {
      const t = new Tensor('float32', dims, { kind: 'missing', reason: 'test' }, () => {
        throw new Error(`${name} is a weight: it must stay on disk`);
      });
      return b.graph.addInitializer(name, t, tensorType('float32', dims));
    };
    const conv = b.op('Conv', [x, unreadable('w', [3, 3, 1, 1]), unreadable('bias', [3])]);
    const bn = b.op('BatchNormalization', [conv, unreadable('g', [3]), unreadable('be', [3]), unreadable('m', [3]), unreadable('v', [3])]);
    const mm = b.op('MatMul', [bn, unreadable('mm', [4, 4])]);
    b.output(b.op('Gather', [unreadable('table', [10, 4]), b.input('ids', 'int64', [2])]));
    b.output(mm);
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('does not report clamp bounds, comparisons, values already inf, or integers', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 3, 4, 4]);
    const c = b.op('Clip', [x, k(b, -3.4e38), k(b, 3.4e38)]);
    const g = b.op('Greater', [c, k(b, 1e9)]);
    const inf = b.op('Where', [g, c, k(b, -Infinity)]);
    const s = b.op('Slice', [inf, b.constant('st', 'int64', [1], [0]), b.constant('en', 'int64', [1], [9.2e18]), b.constant('ax', 'int64', [1], [1])]);
    b.output(s);
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('never reads a constant bigger than 4096 elements', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 5000]);
    const weights = new Tensor('float32', [5000], { kind: 'missing', reason: 'test' }, () => {
      throw new Error('weights must stay on disk');
    });
    const w = b.graph.addInitializer('w', weights, tensorType('float32', [5000]));
    b.output(b.op('Mul', [x, w]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });
});

describe('fp16-range: corpus', () => {
  const files = onnxCorpus();
  // silero v4 multiplies the spectrum magnitude by 2^20 before Log, in both sample-rate branches.
  const expected: Record<string, number> = { 'silero_vad_v4.onnx': 2 };
  for (const file of files) {
    const name = basename(file);
    const want = expected[name] ?? 0;
    it(`${name}: ${want} finding(s)`, () => {
      const d = checkRule(rule, readOnnx(file));
      expect(d).toHaveLength(want);
      for (const x of d) expect(x.message).toMatch(/holds 1048576, beyond the float16 range/);
    });
  }
});
