import { describe, expect, it } from 'vitest';
import { Build, int, ints, typeOf } from './build.js';

describe('reduction shapes', () => {
  it('takes axes from the attribute before opset 13 (ReduceSum) / 18 (others)', () => {
    const b = new Build(13);
    const x = b.input('x', 'float32', ['b', 3, 4]);
    const mean = b.op('ReduceMean', [x], { axes: ints(-1) });
    const meanFlat = b.op('ReduceMean', [x], { axes: ints(1, 2), keepdims: int(0) });
    const sum = b.op('ReduceSum', [x, b.init('ax', [1])]);
    const all = b.op('ReduceMax', [x]);
    b.infer();
    expect(typeOf(mean)).toBe('float32[b,3,1]');
    expect(typeOf(meanFlat)).toBe('float32[b]');
    expect(typeOf(sum)).toBe('float32[b,1,4]');
    expect(typeOf(all)).toBe('float32[1,1,1]');
  });

  it('takes axes from input 1 from opset 18, with noop_with_empty_axes', () => {
    const b = new Build(18);
    const x = b.input('x', 'float32', [2, 3, 4]);
    const mean = b.op('ReduceMean', [x, b.init('ax', [0, 2])], { keepdims: int(0) });
    const noop = b.op('ReduceL2', [x], { noop_with_empty_axes: int(1) });
    const unknownKeep = b.op('ReduceProd', [x, b.input('a', 'int64', [1])]);
    const unknownDrop = b.op('ReduceMin', [x, b.input('c', 'int64', [2])], { keepdims: int(0) });
    b.infer();
    expect(typeOf(mean)).toBe('float32[3]');
    expect(typeOf(noop)).toBe('float32[2,3,4]');
    expect(typeOf(unknownKeep)).toBe('float32[?,?,?]');
    expect(typeOf(unknownDrop)).toBe('float32?'); // repeated axes would drop fewer dims
  });

  it('gives ArgMax/ArgMin int64 outputs', () => {
    const b = new Build(13);
    const x = b.input('x', 'float16', [2, 'n', 4]);
    const am = b.op('ArgMax', [x], { axis: int(1) });
    const an = b.op('ArgMin', [x], { axis: int(-1), keepdims: int(0) });
    b.infer();
    expect(typeOf(am)).toBe('int64[2,1,4]');
    expect(typeOf(an)).toBe('int64[2,n]');
  });

  it('reports an axis out of range', () => {
    const b = new Build(13);
    const r = b.op('ReduceMean', [b.input('x', 'float32', [2, 3])], { axes: ints(2) });
    const report = b.infer();
    expect(r.type).toBeNull();
    expect(report.problems[0]?.message).toMatch(/out of range/);
  });
});
