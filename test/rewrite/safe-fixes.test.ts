import { describe, expect, it } from 'vitest';
import { float, ModelBuilder } from '../../src/ir/build.js';
import type { Value } from '../../src/ir/graph.js';
import type { Model } from '../../src/ir/model.js';
import { fixBuilt, HAVE_CHECKER, HAVE_ORT, onnxChecker, ops, remainingFixable, seeded, verify, type Fixed } from './helpers/fix.js';

/**
 * Every safe rewrite on models built here, written as ONNX, fixed, written again, checked by
 * ONNX's checker and run in onnxruntime-node against the original on seeded random inputs.
 */

const SAFE = ['linear-to-conv', 'slice-fan-out', 'explicit-pad', 'dynamic-reshape'];

async function exact(f: Fixed, tolerance = 1e-5, shapes?: ReadonlyMap<string, readonly number[]>): Promise<void> {
  expect(f.outcome.failed, JSON.stringify(f.outcome.failed)).toEqual([]);
  if (HAVE_CHECKER) expect(onnxChecker(f.fixed)).toBeUndefined();
  if (HAVE_ORT) {
    const v = await verify(f, shapes);
    expect(v.maxRelDiff, `max abs ${v.maxAbsDiff}`).toBeLessThanOrEqual(tolerance);
  }
  expect(remainingFixable(f.fixed, SAFE)).toEqual([]);
}

const i64 = (b: ModelBuilder, name: string, values: number[]): Value => b.constant(name, 'int64', [values.length], values);

describe('linear-to-conv fix', () => {
  it('Gemm (transB 1, bias) on a rank-2 input → Unsqueeze, 1×1 Conv, Squeeze', async () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [3, 16]);
    const y = b.op('Gemm', [x, b.constant('w', 'float32', [5, 16], seeded(80, 1)), b.constant('c', 'float32', [5], seeded(5, 2))], { transB: 1 }, { name: 'fc', output: 'y' });
    b.output(y, 'float32', [3, 5]);
    const f = fixBuilt(b.model);
    expect(ops(f.model)).toEqual(['Unsqueeze', 'Conv', 'Squeeze']);
    expect(f.model.graph.outputs[0]!.name).toBe('y');
    await exact(f);
  });

  it('Gemm with transB 0 and a scalar bias: the weight is transposed once, the bias spread per channel', async () => {
    const b = new ModelBuilder({ opset: 11 });
    const x = b.input('x', 'float32', [2, 8]);
    b.output(b.op('Gemm', [x, b.constant('w', 'float32', [8, 4], seeded(32, 3)), b.constant('c', 'float32', [], [0.25])], { alpha: float(1), beta: float(1) }), 'float32', [2, 4]);
    const f = fixBuilt(b.model);
    expect(ops(f.model)).toEqual(['Unsqueeze', 'Conv', 'Squeeze']);
    await exact(f);
  });

  it('MatMul + Add on a rank-3 input → (B, C, 1, S) view, 1×1 Conv with the bias folded, and back (A11)', async () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', ['batch', 7, 16]);
    const mm = b.op('MatMul', [x, b.constant('w', 'float32', [16, 24], seeded(384, 4))], {}, { name: 'qkv' });
    b.output(b.op('Add', [b.constant('bias', 'float32', [24], seeded(24, 5)), mm], {}, { name: 'qkv_bias', output: 'qkv_out' }), 'float32', ['batch', 7, 24]);
    const f = fixBuilt(b.model);
    expect(ops(f.model)).toEqual(['Transpose', 'Unsqueeze', 'Conv', 'Squeeze', 'Transpose']);
    expect(f.model.graph.nodes.find((n) => n.op === 'Conv')!.inputs.map((v) => v!.name)).toContain('bias');
    await exact(f, 1e-5, new Map([['x', [2, 7, 16]]]));
  });

  it('MatMul on a rank-4 (B, H, W, C) input (ConvNeXt MLP) → NCHW, 1×1 Conv, NHWC; an Add with a per-row bias stays separate', async () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 4, 5, 8]);
    const mm = b.op('MatMul', [x, b.constant('w', 'float32', [8, 12], seeded(96, 6))], {}, { name: 'pw' });
    b.output(b.op('Add', [mm, b.constant('rowbias', 'float32', [5, 1], seeded(5, 7))]), 'float32', [1, 4, 5, 12]);
    const f = fixBuilt(b.model);
    expect(ops(f.model)).toEqual(['Transpose', 'Conv', 'Transpose', 'Add']);
    await exact(f);
  });
});

/** x[1, L] cut into `count` frames of `size` every `hop`, joined by one Concat on `axis`. */
function framing(count: number, size: number, hop: number, length: number, axis: number): Model {
  const b = new ModelBuilder({ opset: 13 });
  const x = b.input('x', 'float32', [1, length]);
  const axes = i64(b, 'axes', [1]);
  const frames = Array.from({ length: count }, (_, i) => b.op('Slice', [x, i64(b, `s${i}`, [i * hop]), i64(b, `e${i}`, [i * hop + size]), axes], {}, { name: `frame${i}` }));
  b.output(b.op('Concat', frames, { axis }, { name: 'join' }), 'float32', null);
  return b.model;
}

describe('slice-fan-out fix', () => {
  it('framing joined by a Concat on axis 0 → one Conv1D with a one-hot kernel (S4), then the layout back', async () => {
    const f = fixBuilt(framing(8, 40, 16, 200, 0));
    expect(ops(f.model)).toEqual(['Slice', 'Unsqueeze', 'Conv', 'Transpose', 'Reshape']);
    const conv = f.model.graph.nodes.find((n) => n.op === 'Conv')!;
    expect(conv.attrs.get('strides')).toMatchObject({ value: [16] });
    expect(conv.inputs[1]!.constant!.dims).toEqual([40, 1, 40]);
    await exact(f, 0);
  });

  it('framing joined on the sliced axis (frames back to back): the transposes and reshape follow', async () => {
    await exact(fixBuilt(framing(6, 30, 12, 120, 1)), 0);
  });

  it('back-to-back chunks (hop = size) → one reshape, no convolution', async () => {
    const f = fixBuilt(framing(4, 25, 25, 100, 0));
    expect(ops(f.model)).toEqual(['Reshape', 'Transpose', 'Reshape']);
    await exact(f, 0);
  });

  it('a stack written as Unsqueeze → Concat (the bundled example) → Unsqueeze, Conv, Transpose', async () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('audio', 'float32', ['batch', 1520]);
    const axis = i64(b, 'axis_1', [1]);
    const frames = Array.from({ length: 8 }, (_, i) => {
      const s = b.op('Slice', [x, i64(b, `s${i}`, [i * 160]), i64(b, `e${i}`, [i * 160 + 400]), axis], {}, { name: `frame_${i}` });
      return b.op('Unsqueeze', [s, axis], {}, { name: `frame_${i}_unsqueeze` });
    });
    b.output(b.op('Concat', frames, { axis: 1 }, { name: 'stack_frames', output: 'frames' }), 'float32', ['batch', 8, 400]);
    const f = fixBuilt(b.model);
    expect(ops(f.model)).toEqual(['Unsqueeze', 'Conv', 'Transpose']);
    expect(f.model.graph.outputs[0]!.name).toBe('frames');
    await exact(f, 0, new Map([['audio', [3, 1520]]]));
  });

  it('de-interleave joined by a Concat (every 4th element at 4 phases, in any order) → kernel = stride = 4', async () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('codes', 'float32', [10, 16]);
    const parts = [2, 0, 3, 1].map((p) => b.op('Slice', [x, i64(b, `s${p}`, [p]), i64(b, `e${p}`, [2 ** 40]), i64(b, `a${p}`, [1]), i64(b, `p${p}`, [4])], {}, { name: `phase${p}` }));
    b.output(b.op('Concat', parts, { axis: 1 }, { name: 'join' }), 'float32', null);
    const f = fixBuilt(b.model);
    expect(ops(f.model)).toContain('Conv');
    await exact(f, 0);
  });

  it('the YOLOX Focus (two-level strided slices, channel concat) → one Conv [4C, C, 2, 2] stride 2 straight on the input', async () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('images', 'float32', [1, 3, 16, 16]);
    const big = 2 ** 40;
    const parts: Value[] = [];
    for (const [h, w] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
      const rows = b.op('Slice', [x, i64(b, `hs${h}${w}`, [h]), i64(b, `he${h}${w}`, [big]), i64(b, `ha${h}${w}`, [2]), i64(b, `hp${h}${w}`, [2])]);
      parts.push(b.op('Slice', [rows, i64(b, `ws${h}${w}`, [w]), i64(b, `we${h}${w}`, [big]), i64(b, `wa${h}${w}`, [3]), i64(b, `wp${h}${w}`, [2])]));
    }
    b.output(b.op('Concat', parts, { axis: 1 }, { name: 'cat' }), 'float32', null);
    const f = fixBuilt(b.model);
    expect(ops(f.model)).toEqual(['Conv']);
    expect(f.model.graph.nodes[0]!.inputs[1]!.constant!.dims).toEqual([12, 3, 2, 2]);
    await exact(f, 0);
  });

  it('space-to-depth stacked on a new axis (not the channel concat) → the general reshape, Conv, transpose', async () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [2, 8, 6]);
    const parts: Value[] = [];
    for (const [h, w] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
      const s = b.op('Slice', [x, i64(b, `s${h}${w}`, [h, w]), i64(b, `e${h}${w}`, [2 ** 40, 2 ** 40]), i64(b, `a${h}${w}`, [1, 2]), i64(b, `p${h}${w}`, [2, 2])]);
      parts.push(b.op('Unsqueeze', [s, i64(b, `u${h}${w}`, [0])]));
    }
    b.output(b.op('Concat', parts, { axis: 0 }), 'float32', null);
    await exact(fixBuilt(b.model), 0);
  });

  it('repeated windows without a pattern (UltraFace box decoding) → one slice per distinct window, shared', async () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('boxes', 'float32', [1, 20, 4]);
    const halves = [[0, 2], [2, 4], [0, 2], [2, 4]].map(([s, e], i) => b.op('Slice', [x, i64(b, `s${i}`, [s!]), i64(b, `e${i}`, [e!]), i64(b, `a${i}`, [2])], {}, { name: `half${i}` }));
    b.output(b.op('Add', [halves[0]!, halves[1]!]), 'float32', null);
    b.output(b.op('Sub', [halves[2]!, halves[3]!]), 'float32', null);
    const f = fixBuilt(b.model);
    expect(ops(f.model).filter((o) => o === 'Slice')).toHaveLength(2);
    await exact(f, 0);
  });
});

describe('explicit-pad fix', () => {
  it('a zero pad before a Conv moves into its pads', async () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 2, 9, 9]);
    const p = b.op('Pad', [x, i64(b, 'pads', [0, 0, 1, 2, 0, 0, 1, 0])], {}, { name: 'pad' });
    b.output(b.op('Conv', [p, b.constant('w', 'float32', [3, 2, 3, 3], seeded(54, 8))], { kernel_shape: [3, 3], pads: [0, 1, 0, 1] }, { name: 'conv' }), 'float32', null);
    const f = fixBuilt(b.model);
    expect(ops(f.model)).toEqual(['Conv']);
    expect(f.model.graph.nodes[0]!.attrs.get('pads')).toMatchObject({ value: [1, 3, 1, 1] });
    await exact(f);
  });

  it('a zero pad before an AveragePool folds with count_include_pad = 1; before a MaxPool after Relu it folds too', async () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 2, 8, 8]);
    const p1 = b.op('Pad', [x, i64(b, 'pads1', [0, 0, 1, 1, 0, 0, 1, 1])]);
    const avg = b.op('AveragePool', [p1], { kernel_shape: [3, 3] });
    const p2 = b.op('Pad', [b.op('Relu', [avg]), i64(b, 'pads2', [0, 0, 1, 1, 0, 0, 1, 1])]);
    b.output(b.op('MaxPool', [p2], { kernel_shape: [2, 2] }), 'float32', null);
    const f = fixBuilt(b.model);
    expect(ops(f.model)).toEqual(['AveragePool', 'Relu', 'MaxPool']);
    expect(f.model.graph.nodes[0]!.attrs.get('count_include_pad')).toMatchObject({ value: 1 });
    await exact(f);
  });

  it('a pad of zeros everywhere is removed', async () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 2, 4, 4]);
    b.output(b.op('Relu', [b.op('Pad', [x, i64(b, 'pads', [0, 0, 0, 0, 0, 0, 0, 0])])]), 'float32', null);
    const f = fixBuilt(b.model);
    expect(ops(f.model)).toEqual(['Relu']);
    await exact(f, 0);
  });

  it.each(['reflect', 'edge', 'wrap'])('a %s pad on two axes → Slice + Concat of the border rows (E8)', async (mode) => {
    const b = new ModelBuilder({ opset: mode === 'wrap' ? 19 : 13 });
    const x = b.input('x', 'float32', [1, 2, 6, 7]);
    b.output(b.op('Pad', [x, i64(b, 'pads', [0, 0, 2, 3, 0, 0, 1, 2])], { mode }, { name: 'pad', output: 'y' }), 'float32', null);
    // A rewrite for ONNX Runtime's Core ML provider building an ML Program (E8); on the ANE the pad stays.
    expect(fixBuilt(b.model).outcome.applied).toEqual([]);
    const f = fixBuilt(b.model, { target: 'coreml-ep' });
    expect(ops(f.model)).not.toContain('Pad');
    expect(ops(f.model)).toContain('Concat');
    expect(f.model.graph.outputs[0]!.name).toBe('y');
    await exact(f, 0);
  });
});

describe('dynamic-reshape fix and constant folding', () => {
  /** x → Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])): the exporters' flatten. */
  function flatten(batch: number | string): Model {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [batch, 3, 4]);
    const n = b.op('Gather', [b.op('Shape', [x]), b.constant('zero', 'int64', [], [0])], { axis: 0 });
    const target = b.op('Concat', [b.op('Unsqueeze', [n, i64(b, 'ax0', [0])]), i64(b, 'minus1', [-1])], { axis: 0 });
    b.output(b.op('Reshape', [x, target], {}, { name: 'flatten', output: 'y' }), 'float32', null);
    return b.model;
  }

  it('a shape chain over static shapes is folded into a constant; the chain goes', async () => {
    const f = fixBuilt(flatten(2));
    expect(ops(f.model)).toEqual(['Reshape']);
    expect(f.model.graph.nodes[0]!.inputs[1]!.constant!.numbers()).toEqual([2, -1]);
    await exact(f, 0);
  });

  it('with a dynamic batch it is folded only when --input-shape fixes it', async () => {
    expect(fixBuilt(flatten('N')).outcome.applied).toEqual([]);
    const shapes = new Map([['x', [5, 3, 4]]]);
    const f = fixBuilt(flatten('N'), { inputShapes: shapes });
    expect(f.outcome.applied.map((a) => a.ruleId)).toEqual(['dynamic-reshape']);
    await exact(f, 0, shapes);
  });

  it('pad amounts computed from shapes are folded, and the now-constant reflect pad is rewritten in a later pass', async () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 1, 64]);
    // pads = [0, 0, 0, 0, 0, len/8]: computed from the input's shape at run time.
    const len = b.op('Gather', [b.op('Shape', [x]), b.constant('two', 'int64', [], [2])], { axis: 0 });
    const tail = b.op('Unsqueeze', [b.op('Div', [len, b.constant('eight', 'int64', [], [8])]), i64(b, 'ax', [0])]);
    const pads = b.op('Concat', [i64(b, 'zeros5', [0, 0, 0, 0, 0]), tail], { axis: 0 });
    b.output(b.op('Pad', [x, pads], { mode: 'reflect' }, { name: 'pad', output: 'y' }), 'float32', null);
    const f = fixBuilt(b.model, { target: 'coreml-ep' });
    expect(f.outcome.applied.map((a) => `${a.ruleId}@${a.pass}`)).toEqual(['constant-folding@1', 'explicit-pad@2']);
    expect(ops(f.model)).toEqual(['Slice', 'Concat']);
    await exact(f, 0);
  });
});
