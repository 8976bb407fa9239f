import { describe, expect, it } from 'vitest';
import { Build, floats, int, ints, str, typeOf } from './build.js';

describe('convolution, pooling and resize shapes', () => {
  it('convolves with pads, strides and dilations; channels from the weights', () => {
    const b = new Build(17);
    const x = b.input('x', 'float32', ['n', 3, 224, 224]);
    const w = b.input('w', 'float32', [32, 3, 3, 3]);
    const c = b.op('Conv', [x, w], { pads: ints(1, 1, 1, 1), strides: ints(2, 2) });
    const d = b.op('Conv', [x, w], { dilations: ints(2, 2) });
    b.infer();
    expect(typeOf(c)).toBe('float32[n,32,112,112]');
    expect(typeOf(d)).toBe('float32[n,32,220,220]');
  });

  it('pads SAME like ONNX, keeps a symbolic length only where the window maps it to itself', () => {
    const b = new Build(17);
    const x = b.input('x', 'float32', [1, 8, 'h', 15]);
    const w = b.input('w', 'float32', [8, 1, 3, 3]);
    const same = b.op('Conv', [x, w], { auto_pad: str('SAME_UPPER'), group: int(8) });
    const strided = b.op('Conv', [x, w], { auto_pad: str('SAME_LOWER'), strides: ints(2, 2), group: int(8) });
    b.infer();
    expect(typeOf(same)).toBe('float32[1,8,h,15]');
    expect(typeOf(strided)).toBe('float32[1,8,?,8]');
  });

  it('pools with ceil_mode and gives MaxPool indices the same shape', () => {
    const b = new Build(17);
    const x = b.input('x', 'float32', [1, 4, 7, 7]);
    const mp = b.node('MaxPool', [x], ['y', 'i'], { kernel_shape: ints(2, 2), strides: ints(2, 2), ceil_mode: int(1) });
    const ap = b.op('AveragePool', [x], { kernel_shape: ints(3, 3) });
    const gp = b.op('GlobalAveragePool', [x]);
    b.infer();
    expect(mp.outputs.map(typeOf)).toEqual(['float32[1,4,4,4]', 'int64[1,4,4,4]']);
    expect(typeOf(ap)).toBe('float32[1,4,5,5]');
    expect(typeOf(gp)).toBe('float32[1,4,1,1]');
  });

  it('transposes convolutions with output_padding, group and output_shape', () => {
    const b = new Build(17);
    const x = b.input('x', 'float32', [1, 8, 10, 'w']);
    const w = b.input('k', 'float32', [8, 2, 3, 3]);
    const ct = b.op('ConvTranspose', [x, w], { strides: ints(2, 2), pads: ints(1, 1, 1, 1), output_padding: ints(1, 1), group: int(4) });
    const os = b.op('ConvTranspose', [x, w], { output_shape: ints(21, 30) });
    b.infer();
    expect(typeOf(ct)).toBe('float32[1,8,20,?]');
    expect(typeOf(os)).toBe('float32[1,2,21,30]');
  });

  it('resizes by scales (float32 floor) or sizes; Upsample by its scales', () => {
    const b = new Build(13);
    const x = b.input('x', 'float32', ['n', 3, 10, 15]);
    const empty = b.init('roi', [], [0], 'float32');
    const byScale = b.op('Resize', [x, empty, b.init('sc', [1, 1, 2, 0.6], [4], 'float32')]);
    const bySize = b.op('Resize', [x, empty, b.init('sc0', [], [0], 'float32'), b.init('sz', [1, 3, 20, 30])]);
    const unknown = b.op('Resize', [x, empty, b.input('scales', 'float32', [4])]);
    b.infer();
    expect(typeOf(byScale)).toBe('float32[n,3,20,9]');
    expect(typeOf(bySize)).toBe('float32[1,3,20,30]');
    expect(typeOf(unknown)).toBe('float32[?,?,?,?]');
    const b7 = new Build(7);
    const up = b7.op('Upsample', [b7.input('x', 'float32', [1, 1, 2, 3])], { scales: floats(1, 1, 2, 2) });
    b7.infer();
    expect(typeOf(up)).toBe('float32[1,1,4,6]');
  });

  it('samples grids and aligns regions', () => {
    const b = new Build(16);
    const gs = b.op('GridSample', [b.input('x', 'float32', ['n', 3, 32, 32]), b.input('g', 'float32', ['n', 7, 9, 2])]);
    const ra = b.op('RoiAlign', [b.input('f', 'float32', [1, 16, 50, 50]), b.input('r', 'float32', ['k', 4]), b.input('bi', 'int64', ['k'])], { output_height: int(7), output_width: int(7) });
    b.infer();
    expect(typeOf(gs)).toBe('float32[n,3,7,9]');
    expect(typeOf(ra)).toBe('float32[k,16,7,7]');
  });
});
