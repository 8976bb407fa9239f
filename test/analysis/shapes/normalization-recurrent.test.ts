import { describe, expect, it } from 'vitest';
import { Build, int, str, typeOf } from './build.js';

describe('normalization shapes', () => {
  it('keeps the input shape; training BatchNormalization gives per-channel statistics', () => {
    const b = new Build(15);
    const x = b.input('x', 'float32', ['n', 16, 8, 8]);
    const p = b.input('p', 'float32', [16]);
    const bn = b.op('BatchNormalization', [x, p, p, p, p]);
    const train = b.node('BatchNormalization', [x, p, p, p, p], ['y', 'rm', 'rv'], { training_mode: int(1) });
    const inorm = b.op('InstanceNormalization', [x, p, p]);
    b.infer();
    expect(typeOf(bn)).toBe('float32[n,16,8,8]');
    expect(train.outputs.map(typeOf)).toEqual(['float32[n,16,8,8]', 'float32[16]', 'float32[16]']);
    expect(typeOf(inorm)).toBe('float32[n,16,8,8]');
  });

  it('gives LayerNormalization statistics of the leading dims, in stash_type', () => {
    const b = new Build(17);
    const x = b.input('x', 'float16', ['b', 't', 64]);
    const ln = b.node('LayerNormalization', [x, b.input('s', 'float16', [64])], ['y', 'mean', 'inv'], { axis: int(-1) });
    b.infer();
    expect(ln.outputs.map(typeOf)).toEqual(['float16[b,t,64]', 'float32[b,t,1]', 'float32[b,t,1]']);
  });
});

describe('recurrent shapes', () => {
  it('shapes LSTM outputs by direction, hidden size and layout', () => {
    const b = new Build(14);
    const x = b.input('x', 'float32', ['seq', 'batch', 32]);
    const w = b.input('w', 'float32', [2, 256, 32]);
    const r = b.input('r', 'float32', [2, 256, 64]);
    const lstm = b.node('LSTM', [x, w, r], ['y', 'yh', 'yc'], { direction: str('bidirectional'), hidden_size: int(64) });
    const gru = b.node('GRU', [b.input('xb', 'float32', ['batch', 'seq', 32]), w, b.input('r3', 'float32', [1, 48, 16])], ['gy', 'gh'], { layout: int(1) });
    b.infer();
    expect(lstm.outputs.map(typeOf)).toEqual(['float32[seq,2,batch,64]', 'float32[2,batch,64]', 'float32[2,batch,64]']);
    // without hidden_size, R's last dim says it
    expect(gru.outputs.map(typeOf)).toEqual(['float32[batch,seq,1,16]', 'float32[batch,1,16]']);
  });
});
