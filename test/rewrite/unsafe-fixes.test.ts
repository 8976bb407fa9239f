import { describe, expect, it } from 'vitest';
import { float, ModelBuilder } from '../../src/ir/build.js';
import type { Model } from '../../src/ir/model.js';
import { fixBuilt, HAVE_CHECKER, HAVE_ORT, onnxChecker, ops, remainingFixable, seeded, verify } from './helpers/fix.js';

/**
 * The unsafe rewrites (--fix-unsafe) change numerics a little, by the amounts their docs
 * give; without --fix-unsafe they are not applied.
 */

/** LayerNorm written out with epsilon 1e-12 (flushes to zero in float16). */
function writtenLayerNorm(): Model {
  const b = new ModelBuilder({ opset: 13 });
  const x = b.input('x', 'float32', [2, 5, 16]);
  const mean = b.op('ReduceMean', [x], { axes: [-1], keepdims: 1 });
  const c = b.op('Sub', [x, mean]);
  const v = b.op('ReduceMean', [b.op('Pow', [c, b.constant('two', 'float32', [], [2])])], { axes: [-1], keepdims: 1 });
  const std = b.op('Sqrt', [b.op('Add', [v, b.constant('eps', 'float32', [], [1e-12])], {}, { name: 'add_eps' })]);
  b.output(b.op('Div', [c, std], {}, { output: 'y' }), 'float32', [2, 5, 16]);
  return b.model;
}

describe('fp16-range fix (unsafe)', () => {
  it('is not applied by --fix, only by --fix-unsafe', () => {
    expect(fixBuilt(writtenLayerNorm()).outcome.applied).toEqual([]);
  });

  it('raises a vanishing epsilon constant to 1e-5: outputs move by about eps/(2·var)', async () => {
    const f = fixBuilt(writtenLayerNorm(), { unsafe: true });
    expect(f.outcome.applied.map((a) => a.ruleId)).toEqual(['fp16-range']);
    const add = f.model.graph.nodes.find((n) => n.name === 'add_eps')!;
    expect(add.inputs[1]!.constant!.numbers()![0]).toBeCloseTo(1e-5, 10);
    expect(f.model.graph.values.has('eps')).toBe(false); // the old constant is gone
    if (HAVE_CHECKER) expect(onnxChecker(f.fixed)).toBeUndefined();
    if (HAVE_ORT) {
      const v = await verify(f);
      // var of uniform[-1,1) data ≈ 1/3: relative change ≈ 1e-5 / (2/3) ≈ 1.5e-5 (more for rows of small variance).
      expect(v.maxRelDiff).toBeGreaterThan(0);
      expect(v.maxRelDiff).toBeLessThan(1e-3);
    }
    expect(remainingFixable(f.fixed, ['fp16-range'])).toEqual([]);
  });

  it('raises a LayerNormalization epsilon attribute and clamps a -1e9 mask constant to -65504', async () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 4, 8]);
    const m = b.input('mask', 'float32', [1, 4, 8]);
    const ln = b.op('LayerNormalization', [x, b.constant('g', 'float32', [8], seeded(8, 1, 1)), b.constant('bt', 'float32', [8], seeded(8, 2))], { epsilon: float(1e-12), axis: -1 }, { name: 'ln' });
    const masked = b.op('Add', [ln, b.op('Mul', [m, b.constant('big', 'float32', [], [-1e9])], {}, { name: 'mask_scale' })]);
    b.output(b.op('Softmax', [masked], { axis: -1 }), 'float32', [1, 4, 8]);
    const f = fixBuilt(b.model, { unsafe: true });
    expect(f.outcome.applied.map((a) => a.ruleId).sort()).toEqual(['fp16-range', 'fp16-range']);
    expect(f.model.graph.nodes.find((n) => n.name === 'ln')!.attrs.get('epsilon')).toMatchObject({ value: 1e-5 });
    expect(f.model.graph.nodes.find((n) => n.name === 'mask_scale')!.inputs[1]!.constant!.numbers()).toEqual([-65504]);
    if (HAVE_CHECKER) expect(onnxChecker(f.fixed)).toBeUndefined();
    if (HAVE_ORT) expect((await verify(f)).maxAbsDiff).toBeLessThan(1e-3);
  });
});

/** 0.5 · x · (1 + erf(x / √2)), as PyTorch exports nn.GELU(). */
function erfGelu(opset = 13): Model {
  const b = new ModelBuilder({ opset });
  const x = b.input('x', 'float32', [2, 3, 50]);
  const erf = b.op('Erf', [b.op('Div', [x, b.constant('sqrt2', 'float32', [], [Math.SQRT2])])]);
  const y = b.op('Mul', [b.op('Mul', [x, b.op('Add', [erf, b.constant('one', 'float32', [], [1])])]), b.constant('half', 'float32', [], [0.5])], {}, { output: 'y' });
  b.output(y, 'float32', [2, 3, 50]);
  return b.model;
}

describe('gelu fix (unsafe)', () => {
  it('is not applied by --fix', () => {
    expect(fixBuilt(erfGelu()).outcome.applied).toEqual([]);
  });

  it('exact GELU written out → the tanh approximation from tanh, mul and add (within about 5e-4)', async () => {
    const f = fixBuilt(erfGelu(), { unsafe: true });
    expect(f.outcome.applied.map((a) => a.ruleId)).toEqual(['gelu']);
    expect(ops(f.model)).not.toContain('Erf');
    expect(new Set(ops(f.model))).toEqual(new Set(['Mul', 'Add', 'Tanh']));
    expect(f.model.graph.outputs[0]!.name).toBe('y');
    if (HAVE_CHECKER) expect(onnxChecker(f.fixed)).toBeUndefined();
    if (HAVE_ORT) {
      const v = await verify(f);
      expect(v.maxAbsDiff).toBeGreaterThan(0);
      expect(v.maxAbsDiff).toBeLessThan(5e-4);
    }
    expect(remainingFixable(f.fixed, ['gelu'])).toEqual([]);
  });

  it('ONNX Gelu (opset 20) gets approximate = "tanh"', async () => {
    const b = new ModelBuilder({ opset: 20 });
    const x = b.input('x', 'float32', [4, 64]);
    b.output(b.op('Gelu', [x], {}, { name: 'gelu', output: 'y' }), 'float32', [4, 64]);
    const f = fixBuilt(b.model, { unsafe: true });
    expect(ops(f.model)).toEqual(['Gelu']);
    expect(f.model.graph.nodes[0]!.attrs.get('approximate')).toMatchObject({ value: 'tanh' });
    if (HAVE_ORT) expect((await verify(f)).maxAbsDiff).toBeLessThan(5e-4);
  });
});
