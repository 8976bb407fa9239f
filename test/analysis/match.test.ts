import { describe, expect, it } from 'vitest';
import { any, match, near, op, same, scalar, isSelfContained } from '../../src/analysis/match.js';
import { ModelBuilder } from '../../src/ir/build.js';

function layerNormGraph(swapSub = false) {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', 'float32', [1, 8, 16]);
  const mean = b.op('ReduceMean', [x], { axes: [-1] });
  const centered = swapSub ? b.op('Sub', [x, mean]) : b.op('Sub', [x, mean]);
  const variance = b.op('ReduceMean', [b.op('Pow', [centered, b.constant('two', 'float32', [], [2])])], { axes: [-1] });
  const std = b.op('Sqrt', [b.op('Add', [b.constant('eps', 'float32', [], [1e-5]), variance])]);
  const out = b.op('Div', [centered, std]);
  b.output(out);
  return { b, out };
}

const LAYER_NORM = op('real_div', [
  op('sub', [any('x'), op('reduce_mean', [same('x')])], { capture: 'centered' }),
  op('sqrt', [op('add', [op('reduce_mean', [op('pow', [op('sub', [any('x')]), scalar(near(2), '2')])]), scalar((e) => e > 0, 'a positive epsilon', 'eps')], { commutative: true })]),
]);

describe('pattern matching', () => {
  it('matches a written-out layer norm through a commutative add and binds values', () => {
    const { out } = layerNormGraph();
    const r = match(out.producer!, LAYER_NORM);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.match.nodes.map((n) => n.op)).toEqual(['Div', 'Sub', 'ReduceMean', 'Sqrt', 'Add', 'ReduceMean', 'Pow']);
    expect(r.match.numberOf.get('eps')).toBeCloseTo(1e-5);
    expect(r.match.valueOf.get('x')!.name).toBe('x');
    expect(isSelfContained(r.match, out.producer!)).toBe(true);
  });

  it('explains why a near miss failed', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [4]);
    const y = b.op('Div', [x, b.op('Sqrt', [x])]);
    const r = match(y.producer!, LAYER_NORM);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(/x has no producer \(expected sub\)/);
  });

  it('a shared intermediate makes the match not self-contained', () => {
    const { b, out } = layerNormGraph();
    const r = match(out.producer!, LAYER_NORM);
    if (!r.ok) throw new Error(r.reason);
    b.output(r.match.nodeOf.get('centered')!.outputs[0]!);
    expect(isSelfContained(r.match, out.producer!)).toBe(false);
  });
});
