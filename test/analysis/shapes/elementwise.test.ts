import { describe, expect, it } from 'vitest';
import { Build, int, typeOf } from './build.js';

describe('element-wise shapes', () => {
  it('broadcasts numbers, ones and symbols as ONNX does', () => {
    const b = new Build(17);
    const x = b.input('x', 'float32', ['batch', 3, 1, 5]);
    const y = b.input('y', 'float32', [4, 1]);
    const z = b.input('z', 'float32', ['n', 1]);
    const w = b.input('w', 'float32', [null, 5]);
    const xy = b.op('Add', [x, y]);
    const xz = b.op('Mul', [x, z]);
    const xw = b.op('Sub', [x, w]);
    b.infer();
    expect(typeOf(xy)).toBe('float32[batch,3,4,5]');
    // 1 against a symbol keeps the symbol; two different unknowns give an unknown
    expect(typeOf(xz)).toBe('float32[batch,3,n,5]');
    expect(typeOf(xw)).toBe('float32[batch,3,?,5]');
  });

  it('reports dims that cannot broadcast instead of throwing', () => {
    const b = new Build(17);
    const out = b.op('Add', [b.input('a', 'float32', [3]), b.input('b', 'float32', [4])]);
    const report = b.infer();
    expect(out.type).toBeNull();
    expect(report.problems.map((p) => p.message)).toEqual(['dims 3 and 4 do not broadcast']);
  });

  it('gives comparisons and logic bool outputs, Where the type of its branches', () => {
    const b = new Build(17);
    const a = b.input('a', 'int64', [2, 1]);
    const c = b.input('c', 'int64', [3]);
    const eq = b.op('Equal', [a, c]);
    const and = b.op('And', [eq, eq]);
    const where = b.op('Where', [eq, b.input('x', 'float16', [1]), b.input('y', 'float16', [2, 3])]);
    const not = b.op('Not', [and]);
    b.infer();
    expect(typeOf(eq)).toBe('bool[2,3]');
    expect(typeOf(and)).toBe('bool[2,3]');
    expect(typeOf(not)).toBe('bool[2,3]');
    expect(typeOf(where)).toBe('float16[2,3]');
  });

  it('casts to the `to` type and CastLike to its second input', () => {
    const b = new Build(17);
    const x = b.input('x', 'float32', [2, 'n']);
    const cast = b.op('Cast', [x], { to: int(7) });
    const like = b.op('CastLike', [x, b.input('t', 'float16', [])]);
    b.infer();
    expect(typeOf(cast)).toBe('int64[2,n]');
    expect(typeOf(like)).toBe('float16[2,n]');
  });

  it('keeps the first input shape before opset 7 (legacy broadcast) and 8 for Max', () => {
    const b = new Build(6);
    const add = b.op('Add', [b.input('a', 'float32', [2, 3]), b.input('b', 'float32', [3])], { broadcast: int(1) });
    const max = b.op('Max', [b.input('c', 'float32', [2, 3]), b.input('d', 'float32', [2, 3])]);
    b.infer();
    expect(typeOf(add)).toBe('float32[2,3]');
    expect(typeOf(max)).toBe('float32[2,3]');
  });

  it('broadcasts all inputs of Max/Min/Sum/Mean from opset 8', () => {
    const b = new Build(13);
    const s = b.op('Sum', [b.input('a', 'float32', [3, 1]), b.input('b', 'float32', [1, 4]), b.input('c', 'float32', [4])]);
    b.infer();
    expect(typeOf(s)).toBe('float32[3,4]');
  });

  it('passes any type through Identity, and Dropout gives a bool mask', () => {
    const b = new Build(13);
    const seq = b.g.newValue('s', { kind: 'sequence', elem: { kind: 'tensor', dtype: 'float32', shape: [2] } });
    b.g.inputs.push(seq);
    const id = b.op('Identity', [seq]);
    const drop = b.node('Dropout', [b.input('x', 'float32', [4, 'k'])], ['y', 'mask']);
    b.infer();
    expect(typeOf(id)).toBe('seq(float32[2])');
    expect(drop.outputs.map(typeOf)).toEqual(['float32[4,k]', 'bool[4,k]']);
  });

  it('checks the softmax axis from opset 13', () => {
    const b = new Build(13);
    const sm = b.op('Softmax', [b.input('x', 'float32', [2, 3])], { axis: int(2) });
    const report = b.infer();
    expect(sm.type).toBeNull();
    expect(report.problems).toHaveLength(1);
  });

  it('has unary ops keep type and shape', () => {
    const b = new Build(17);
    const x = b.input('x', 'float32', ['b', 8]);
    const outs = ['Relu', 'Sigmoid', 'Erf', 'HardSwish', 'Clip', 'LeakyRelu', 'Sqrt'].map((op) => b.op(op, [x]));
    const isnan = b.op('IsNaN', [x]);
    b.infer();
    for (const o of outs) expect(typeOf(o)).toBe('float32[b,8]');
    expect(typeOf(isnan)).toBe('bool[b,8]');
  });
});
