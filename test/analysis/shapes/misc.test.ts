import { describe, expect, it } from 'vitest';
import { Build, int, str, typeOf } from './build.js';

describe('linear algebra shapes', () => {
  it('multiplies matrices with numpy rules (1-D operands, broadcast batch dims)', () => {
    const b = new Build(13);
    const a = b.input('a', 'float32', ['b', 1, 5, 6]);
    const w = b.input('w', 'float32', [3, 6, 7]);
    const v = b.input('v', 'float32', [6]);
    const mm = b.op('MatMul', [a, w]);
    const mv = b.op('MatMul', [a, v]);
    const vm = b.op('MatMul', [v, w]);
    const gemm = b.op('Gemm', [b.input('x', 'float32', ['n', 6]), b.input('y', 'float32', [10, 6])], { transB: int(1) });
    const bad = b.op('MatMul', [b.input('p', 'float32', [2, 3]), b.input('q', 'float32', [4, 5])]);
    const report = b.infer();
    expect(typeOf(mm)).toBe('float32[b,3,5,7]');
    expect(typeOf(mv)).toBe('float32[b,1,5]');
    expect(typeOf(vm)).toBe('float32[3,7]');
    expect(typeOf(gemm)).toBe('float32[n,10]');
    expect(bad.type).toBeNull();
    expect(report.problems).toHaveLength(1);
  });

  it('labels Einsum dims by letter, explicit or implicit output', () => {
    const b = new Build(12);
    const x = b.input('x', 'float32', ['b', 4, 5]);
    const y = b.input('y', 'float32', ['b', 5, 6]);
    const bmm = b.op('Einsum', [x, y], { equation: str('bij,bjk->bik') });
    const tr = b.op('Einsum', [b.input('m', 'float32', [3, 4])], { equation: str('ij') });
    const implicit = b.op('Einsum', [b.input('m2', 'float32', [3, 4])], { equation: str('ji') });
    const ell = b.op('Einsum', [b.input('e', 'float32', [2, 3, 4, 5])], { equation: str('...ij->...ji') });
    b.infer();
    expect(typeOf(bmm)).toBe('float32[b,4,6]');
    expect(typeOf(tr)).toBe('float32[3,4]');
    expect(typeOf(implicit)).toBe('float32[4,3]');
    expect(typeOf(ell)).toBe('float32[2,3,5,4]');
  });
});

describe('other ops', () => {
  it('quantizes to the zero point type and dequantizes to float32', () => {
    const b = new Build(13);
    const x = b.input('x', 'float32', [2, 3]);
    const q = b.op('QuantizeLinear', [x, b.input('s', 'float32', []), b.input('z', 'int8', [])]);
    const q8 = b.op('QuantizeLinear', [x, b.input('s2', 'float32', [])]);
    const dq = b.op('DequantizeLinear', [q, b.input('s3', 'float32', [])]);
    const dyn = b.node('DynamicQuantizeLinear', [x], ['y', 'ys', 'yz']);
    b.infer();
    expect(typeOf(q)).toBe('int8[2,3]');
    expect(typeOf(q8)).toBe('uint8[2,3]');
    expect(typeOf(dq)).toBe('float32[2,3]');
    expect(dyn.outputs.map(typeOf)).toEqual(['uint8[2,3]', 'float32[]', 'uint8[]']);
  });

  it('knows what it can of data-dependent outputs', () => {
    const b = new Build(17);
    const nms = b.op('NonMaxSuppression', [b.input('boxes', 'float32', [1, 100, 4]), b.input('scores', 'float32', [1, 1, 100])]);
    const win = b.op('HannWindow', [b.init('size', [10], [])]);
    const uniq = b.node('Unique', [b.input('u', 'float32', [2, 3])], ['y', 'idx', 'inv', 'cnt']);
    b.infer();
    expect(typeOf(nms)).toBe('int64[?,3]');
    expect(typeOf(win)).toBe('float32[10]');
    expect(uniq.outputs.map(typeOf)).toEqual(['float32[?]', 'int64[?]', 'int64[6]', 'int64[?]']);
  });

  it('types losses by reduction', () => {
    const b = new Build(13);
    const x = b.input('x', 'float32', ['n', 5, 7]);
    const t = b.input('t', 'int64', ['n', 7]);
    const none = b.op('NegativeLogLikelihoodLoss', [x, t], { reduction: str('none') });
    const mean = b.op('NegativeLogLikelihoodLoss', [x, t]);
    const sce = b.node('SoftmaxCrossEntropyLoss', [x, t], ['loss', 'logp']);
    b.infer();
    expect(typeOf(none)).toBe('float32[n,7]');
    expect(typeOf(mean)).toBe('float32[]');
    expect(sce.outputs.map(typeOf)).toEqual(['float32[]', 'float32[n,5,7]']);
  });
});

describe('sequence and optional shapes', () => {
  it('carries element types through sequence ops', () => {
    const b = new Build(17);
    const x = b.input('x', 'float32', [2, 3]);
    const y = b.input('y', 'float32', [2, 4]);
    const seq = b.op('SequenceConstruct', [x, y]);
    const ins = b.op('SequenceInsert', [b.op('SequenceEmpty', [], { dtype: int(1) }), x]);
    const at = b.op('SequenceAt', [seq, b.init('zero', [0], [])]);
    const len = b.op('SequenceLength', [seq]);
    const cat = b.op('ConcatFromSequence', [seq], { axis: int(1) });
    const split = b.op('SplitToSequence', [x], { axis: int(1), keepdims: int(0) });
    const opt = b.op('Optional', [x]);
    const got = b.op('OptionalGetElement', [opt]);
    b.infer();
    expect(typeOf(seq)).toBe('seq(float32[2,?])');
    expect(typeOf(ins)).toBe('seq(float32?)');
    expect(typeOf(at)).toBe('float32[2,?]');
    expect(typeOf(len)).toBe('int64[]');
    expect(typeOf(cat)).toBe('float32[2,?]');
    expect(typeOf(split)).toBe('seq(float32[2])');
    expect(typeOf(opt)).toBe('optional(float32[2,3])');
    expect(typeOf(got)).toBe('float32[2,3]');
  });
});
