import { describe, expect, it } from 'vitest';
import { Build, int, ints, typeOf } from './build.js';

describe('tensor manipulation shapes', () => {
  it('folds Shape → Gather → Unsqueeze → Concat into a Reshape target, symbols included', () => {
    const b = new Build(13);
    const x = b.input('x', 'float32', ['batch', 192, 14, 14]);
    const shape = b.op('Shape', [x]);
    const n = b.op('Gather', [shape, b.init('zero', [0], [])], { axis: int(0) });
    const n1 = b.op('Unsqueeze', [n, b.init('axes', [0])]);
    const target = b.op('Concat', [n1, b.init('c', [192]), b.init('m', [-1])], { axis: int(0) });
    const r = b.op('Reshape', [x, target]);
    b.infer();
    expect(typeOf(shape)).toBe('int64[4]');
    expect(typeOf(n)).toBe('int64[]');
    expect(typeOf(target)).toBe('int64[3]');
    // -1 is solved by cancelling `batch` and 192 against the input's dims
    expect(typeOf(r)).toBe('float32[batch,192,196]');
  });

  it('solves Reshape -1 with numbers, copies 0 dims, and honours allowzero', () => {
    const b = new Build(14);
    const x = b.input('x', 'float32', [2, 3, 4]);
    const a = b.op('Reshape', [x, b.init('t1', [0, -1])]);
    const z = b.op('Reshape', [b.input('e', 'float32', [0, 3]), b.init('t2', [3, 0])], { allowzero: int(1) });
    const unknown = b.op('Reshape', [x, b.input('t3', 'int64', [2])]);
    b.infer();
    expect(typeOf(a)).toBe('float32[2,12]');
    expect(typeOf(z)).toBe('float32[3,0]');
    // a target of unknown values but known length gives the rank
    expect(typeOf(unknown)).toBe('float32[?,?]');
  });

  it('squeezes and unsqueezes with axes as attributes before opset 13 and as inputs after', () => {
    const b11 = new Build(11);
    const x = b11.input('x', 'float32', [1, 'n', 1]);
    const s11 = b11.op('Squeeze', [x], { axes: ints(0) });
    const u11 = b11.op('Unsqueeze', [x], { axes: ints(-1, 0) });
    const all = b11.op('Squeeze', [b11.input('y', 'float32', [1, 3, 1])]);
    b11.infer();
    expect(typeOf(s11)).toBe('float32[n,1]');
    expect(typeOf(u11)).toBe('float32[1,1,n,1,1]');
    expect(typeOf(all)).toBe('float32[3]');

    const b13 = new Build(13);
    const y = b13.input('x', 'float32', [1, 'n', 1]);
    const s13 = b13.op('Squeeze', [y, b13.init('a', [2])]);
    const u13 = b13.op('Unsqueeze', [y, b13.init('b', [1])]);
    const unknownAxes = b13.op('Unsqueeze', [y, b13.input('axes', 'int64', [2])]);
    const symbolic = b13.op('Squeeze', [y]); // without axes, `n` might be 1
    b13.infer();
    expect(typeOf(s13)).toBe('float32[1,n]');
    expect(typeOf(u13)).toBe('float32[1,1,n,1]');
    expect(typeOf(unknownAxes)).toBe('float32[?,?,?,?,?]');
    expect(typeOf(symbolic)).toBe('float32?');
  });

  it('flattens and transposes', () => {
    const b = new Build(13);
    const x = b.input('x', 'float32', ['b', 3, 4, 5]);
    const f = b.op('Flatten', [x], { axis: int(2) });
    const f1 = b.op('Flatten', [x]);
    const t = b.op('Transpose', [x], { perm: ints(0, 2, 3, 1) });
    const rev = b.op('Transpose', [x]);
    b.infer();
    expect(typeOf(f)).toBe('float32[?,20]');
    expect(typeOf(f1)).toBe('float32[b,60]');
    expect(typeOf(t)).toBe('float32[b,4,5,3]');
    expect(typeOf(rev)).toBe('float32[5,4,3,b]');
  });

  it('slices with attributes (opset 9) and inputs (opset 13), steps and clamping', () => {
    const b9 = new Build(9);
    const x9 = b9.input('x', 'float32', [20, 10, 5]);
    const s9 = b9.op('Slice', [x9], { starts: ints(0, 1), ends: ints(3, 1000), axes: ints(0, 1) });
    b9.infer();
    expect(typeOf(s9)).toBe('float32[3,9,5]');

    const b = new Build(13);
    const x = b.input('x', 'float32', [20, 10, 'n']);
    const neg = b.op('Slice', [x, b.init('s', [20, 10]), b.init('e', [0, 1]), b.init('a', [0, 1]), b.init('st', [-1, -3])]);
    const full = b.op('Slice', [x, b.init('s2', [0]), b.init('e2', [9223372036854775807]), b.init('a2', [2])]);
    const part = b.op('Slice', [x, b.init('s3', [1]), b.init('e3', [3]), b.init('a3', [2])]);
    const unknown = b.op('Slice', [x, b.input('si', 'int64', [1]), b.init('e4', [3]), b.init('a4', [1])]);
    b.infer();
    expect(typeOf(neg)).toBe('float32[19,3,n]');
    expect(typeOf(full)).toBe('float32[20,10,n]'); // a full slice keeps a symbol
    expect(typeOf(part)).toBe('float32[20,10,?]');
    expect(typeOf(unknown)).toBe('float32[20,?,n]');
  });

  it('gathers, concatenates and splits (attribute before 13, input after, num_outputs from 18)', () => {
    const b = new Build(13);
    const x = b.input('x', 'float32', ['b', 6, 4]);
    const g = b.op('Gather', [x, b.input('i', 'int64', [2, 3])], { axis: int(1) });
    const c = b.op('Concat', [x, b.input('y', 'float32', ['b', 2, 4])], { axis: int(-2) });
    const cs = b.op('Concat', [x, b.input('z', 'float32', [null, 'k', 4])], { axis: int(1) });
    const sp = b.node('Split', [x, b.init('sizes', [2, 4])], ['p', 'q'], { axis: int(1) });
    const even = b.node('Split', [x], ['r', 's', 't'], { axis: int(1) });
    b.infer();
    expect(typeOf(g)).toBe('float32[b,2,3,4]');
    expect(typeOf(c)).toBe('float32[b,8,4]');
    expect(typeOf(cs)).toBe('float32[b,?,4]');
    expect(sp.outputs.map(typeOf)).toEqual(['float32[b,2,4]', 'float32[b,4,4]']);
    expect(even.outputs.map(typeOf)).toEqual(['float32[b,2,4]', 'float32[b,2,4]', 'float32[b,2,4]']);

    const b11 = new Build(11);
    const sp11 = b11.node('Split', [b11.input('x', 'float32', [7])], ['a', 'b'], { split: ints(3, 4) });
    b11.infer();
    expect(sp11.outputs.map(typeOf)).toEqual(['float32[3]', 'float32[4]']);

    const b18 = new Build(18);
    const sp18 = b18.node('Split', [b18.input('x', 'float32', [7])], ['a', 'b', 'c'], { num_outputs: int(3) });
    b18.infer();
    expect(sp18.outputs.map(typeOf)).toEqual(['float32[3]', 'float32[3]', 'float32[1]']);
  });

  it('pads by attribute (opset 2) or input (opset 11), keeping symbols padded by 0', () => {
    const b2 = new Build(2);
    const p2 = b2.op('Pad', [b2.input('x', 'float32', [1, 3])], { pads: ints(0, 1, 0, 2) });
    b2.infer();
    expect(typeOf(p2)).toBe('float32[1,6]');
    const b = new Build(13);
    const p = b.op('Pad', [b.input('x', 'float32', ['n', 3, 4]), b.init('pads', [0, 1, 1, 0, 1, 1])]);
    const unknown = b.op('Pad', [b.input('y', 'float32', [2, 2]), b.input('pp', 'int64', [4])]);
    b.infer();
    expect(typeOf(p)).toBe('float32[n,5,6]');
    expect(typeOf(unknown)).toBe('float32[?,?]');
  });

  it('expands, tiles, fills and counts', () => {
    const b = new Build(13);
    const x = b.input('x', 'float32', [3, 1]);
    const e = b.op('Expand', [x, b.init('to', [2, 1, 6])]);
    const t = b.op('Tile', [b.input('y', 'float32', ['n', 2]), b.init('rep', [1, 3])]);
    const c = b.op('ConstantOfShape', [b.init('dims', [2, 5])]);
    const r = b.op('Range', [b.init('s', [1], []), b.init('l', [10], []), b.init('d', [3], [])]);
    const size = b.op('Size', [x]);
    b.infer();
    expect(typeOf(e)).toBe('float32[2,3,6]');
    expect(typeOf(t)).toBe('float32[n,6]');
    expect(typeOf(c)).toBe('float32[2,5]');
    expect(typeOf(r)).toBe('int64[3]');
    expect(typeOf(size)).toBe('int64[]');
  });

  it('slices Shape with start/end from opset 15', () => {
    const b = new Build(15);
    const s = b.op('Shape', [b.input('x', 'float32', [2, 3, 4])], { start: int(-2) });
    b.infer();
    expect(typeOf(s)).toBe('int64[2]');
  });

  it('gives TopK exactly k elements, NonZero (rank, ?), OneHot the known depth', () => {
    const b = new Build(13);
    const x = b.input('x', 'float32', [3, 'n']);
    const top = b.node('TopK', [x, b.init('k', [2])], ['v', 'i']);
    const nz = b.op('NonZero', [x]);
    const oh = b.op('OneHot', [b.input('idx', 'int64', [4]), b.init('depth', [10], []), b.input('vals', 'float32', [2])], { axis: int(0) });
    b.infer();
    expect(top.outputs.map(typeOf)).toEqual(['float32[3,2]', 'int64[3,2]']);
    expect(typeOf(nz)).toBe('int64[2,?]');
    expect(typeOf(oh)).toBe('float32[10,4]');
  });

  it('reads Constant nodes and propagates their values', () => {
    const b = new Build(13);
    const k = b.op('Constant', [], { value_ints: ints(2, -1) });
    const r = b.op('Reshape', [b.input('x', 'float32', [4, 3]), k]);
    const f = b.op('Constant', [], { value_float: { type: 'float', value: 1.5 } });
    b.infer();
    expect(typeOf(k)).toBe('int64[2]');
    expect(typeOf(r)).toBe('float32[2,6]');
    expect(typeOf(f)).toBe('float32[]');
  });
});
