import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import rule, { type ExplicitPadData } from '../../rules/explicit-pad.js';
import { makeContext, ModelIndex } from '../../src/engine/context.js';
import type { Finding, TargetId } from '../../src/engine/rule.js';
import { readOnnx } from '../../src/formats/onnx/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import type { Value } from '../../src/ir/graph.js';
import type { Model } from '../../src/ir/model.js';
import { Tensor } from '../../src/ir/tensor.js';
import { tensorType } from '../../src/ir/types.js';
import { hasFact } from '../../src/targets/facts.js';
import { CORPUS } from '../helpers/corpus.js';
import { checkRule } from '../helpers/rule-tester.js';

function findings(model: Model, target: TargetId = 'ane'): Finding[] {
  checkRule(rule, model, { target });
  return rule.check(makeContext(new ModelIndex(model), rule.meta.id, {}, target, []));
}

const dataOf = (f: Finding): ExplicitPadData => f.data as ExplicitPadData;

function weight(b: ModelBuilder, name = 'w'): Value {
  return b.constant(name, 'float32', [8, 8, 3, 3], new Array(8 * 8 * 9).fill(0.1));
}

/** x → Pad(pads, mode, value) → reader; opset 11+ form (pads as an input). */
function padThen(reader: (b: ModelBuilder, padded: Value) => Value, options: { pads?: number[]; mode?: string; value?: number; before?: (b: ModelBuilder, x: Value) => Value } = {}) {
  const b = new ModelBuilder({ opset: 13 });
  let x = b.input('x', 'float32', [1, 8, 32, 32]);
  if (options.before) x = options.before(b, x);
  const pads = b.constant('pads', 'int64', [8], options.pads ?? [0, 0, 1, 1, 0, 0, 1, 1]);
  const inputs: (Value | null)[] = [x, pads];
  if (options.value !== undefined) inputs.push(b.constant('fill', 'float32', [], [options.value]));
  const padded = b.op('Pad', inputs, options.mode ? { mode: options.mode } : {}, { name: 'pad' });
  padded.type = tensorType('float32', null);
  b.output(reader(b, padded));
  return b.model;
}

const conv = (attrs: Record<string, number[] | string> = {}) => (b: ModelBuilder, v: Value): Value =>
  b.op('Conv', [v, weight(b)], { kernel_shape: [3, 3], ...attrs }, { name: 'conv' });

describe('explicit-pad', () => {
  it('cites known facts', () => {
    for (const id of rule.meta.facts) expect(hasFact(id)).toBe(true);
  });

  it('folds a zero pad on H and W into the Conv that reads it, adding to its own pads', () => {
    const [f, ...rest] = findings(padThen(conv({ pads: [1, 0, 1, 0] })));
    expect(rest).toHaveLength(0);
    expect(f!.nodes.map((n) => n.label)).toEqual(['pad', 'conv']);
    expect(f!.fixable).toBe(true);
    expect(dataOf(f!).foldInto).toEqual({ node: 'main/conv', op: 'Conv', pads: [2, 1, 2, 1] });
    expect(f!.message).toMatch(/pad zero-pads \(axis 2 \+1\/\+1, axis 3 \+1\/\+1\) right before conv \(Conv\), its only reader/);
    expect(f!.message).toMatch(/\(S2\)/);
  });

  it('reads the opset-2 attribute form and folds into AveragePool with count_include_pad', () => {
    const b = new ModelBuilder({ opset: 9 });
    const x = b.input('x', 'float32', [1, 8, 32, 32]);
    const p = b.op('Pad', [x], { pads: [0, 0, 0, 1, 0, 0, 0, 1], mode: 'constant' }, { name: 'pad' });
    b.output(b.op('AveragePool', [p], { kernel_shape: [2, 2], strides: [2, 2] }, { name: 'pool' }));
    const [f] = findings(b.model);
    expect(dataOf(f!).foldInto).toEqual({ node: 'main/pool', op: 'AveragePool', pads: [0, 1, 0, 1], countIncludePad: true });
  });

  it('folds into MaxPool only when the padded input cannot be negative', () => {
    const relu = { before: (b: ModelBuilder, x: Value) => b.op('Relu', [x]) };
    const pool = (b: ModelBuilder, v: Value): Value => b.op('MaxPool', [v], { kernel_shape: [3, 3] }, { name: 'pool' });
    expect(findings(padThen(pool, relu))[0]!.fixable).toBe(true);
    const [f] = findings(padThen(pool));
    expect(f!.fixable).toBe(false);
    expect(f!.severity).toBe('info');
    expect(dataOf(f!).notFoldable).toMatch(/MaxPool pads with -inf/);
  });

  it('reports a reflect pad anywhere; for coreml-ep (ML Program) it is fixable as Slice+Concat (E5, E7, E8)', () => {
    const model = padThen((b, v) => b.op('Relu', [v]), { mode: 'reflect' });
    const [f] = findings(model);
    // On the ANE the rewrite only adds ops: reported, not fixed.
    expect(f!.fixable).toBe(false);
    expect(f!.message).toMatch(/pad is a reflect pad \(axis 2 \+1\/\+1, axis 3 \+1\/\+1\)/);
    const [e] = findings(model, 'coreml-ep');
    expect(e!.fixable).toBe(true);
    expect(e!.message).toMatch(/does not claim reflect pads.*constant pads only \(E5\).*no Pad \(E7\)/);
    expect(e!.message).toMatch(/14 partitions from 14 reflect pads and 1 after rewriting them as Slice\+Concat \(E8\)/);
    expect(e!.severity).toBeUndefined();
  });

  it('reports an edge pad', () => {
    const [f] = findings(padThen(conv(), { mode: 'edge' }));
    expect(dataOf(f!).mode).toBe('edge');
    expect(f!.message).toMatch(/edge pad/);
  });

  it('reports a pad that pads nothing as a removable no-op', () => {
    const [f] = findings(padThen(conv(), { pads: [0, 0, 0, 0, 0, 0, 0, 0] }));
    expect(dataOf(f!).noOp).toBe(true);
    expect(f!.fixable).toBe(true);
    expect(f!.message).toMatch(/pads nothing/);
  });

  it('reads an ML Program pad with a reflect mode given as a string constant', () => {
    const b = new ModelBuilder();
    const x = b.input('x', 'float32', [1, 8, 32]);
    const g = b.graph;
    const mode = g.newValue('mode', tensorType('string', []), Tensor.fromBytes('string', [], new TextEncoder().encode('reflect')));
    g.addNode({ op: 'pad', kind: 'pad', name: 'p', inputs: [x, b.constant('amounts', 'int32', [2], [3, 3]), mode], inputNames: ['x', 'pad', 'mode'], outputs: ['y'] });
    b.output(g.values.get('y')!);
    const [f] = findings(b.model);
    expect(dataOf(f!)).toMatchObject({ mode: 'reflect', pads: [{ axis: 2, begin: 3, end: 3 }] });
  });

  it('folds an ML Program pad into a conv whose named arguments come in any order', () => {
    const b = new ModelBuilder();
    const g = b.graph;
    const x = b.input('x', 'float32', [1, 1, 16, 16]);
    g.addNode({
      op: 'pad', kind: 'pad', name: 'p', outputs: ['padded'], inputNames: ['constant_val', 'x', 'pad'],
      inputs: [b.constant('zero', 'float32', [], [0]), x, b.constant('amounts', 'int32', [8], [0, 0, 0, 0, 2, 1, 2, 1])],
    });
    g.addNode({
      op: 'conv', kind: 'conv', name: 'c', outputs: ['y'], inputNames: ['strides', 'weight', 'x'],
      inputs: [b.constant('strides', 'int32', [2], [1, 1]), b.constant('w', 'float32', [4, 1, 3, 3], new Array(36).fill(0)), g.values.get('padded')!],
    });
    b.output(g.values.get('y')!);
    const [f] = findings(b.model);
    expect(f!.nodes.map((n) => n.label)).toEqual(['p', 'c']);
    expect(dataOf(f!).pads).toEqual([{ axis: 0, begin: 0, end: 0 }, { axis: 1, begin: 0, end: 0 }, { axis: 2, begin: 2, end: 1 }, { axis: 3, begin: 2, end: 1 }]);
    expect(dataOf(f!).foldInto).toMatchObject({ node: 'main/c', op: 'conv', pads: null });
  });

  it('reports Pad → Unsqueeze → Conv (silero) as info only: it does not fold through the Unsqueeze', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 512]);
    const p = b.op('Pad', [x, b.constant('pads', 'int64', [4], [0, 64, 0, 64])], {}, { name: 'pad' });
    const u = b.op('Unsqueeze', [p, b.constant('axes', 'int64', [1], [1])]);
    b.output(b.op('Conv', [u, b.constant('w', 'float32', [4, 1, 256], new Array(1024).fill(0))], { kernel_shape: [256] }));
    const [f] = findings(b.model);
    expect(f!.severity).toBe('info');
    expect(f!.fixable).toBe(false);
    expect(dataOf(f!).notFoldable).toMatch(/its reader Unsqueeze_\d+ is Unsqueeze/);
    expect(findings(b.model, 'coreml-ep')).toHaveLength(0);
  });

  it('on coreml-ep reports pads the provider rejects: computed amounts (E5)', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 8, 32, 32]);
    const pads = b.input('pads', 'int64', [8]);
    b.output(b.op('Conv', [b.op('Pad', [x, pads], {}, { name: 'pad' }), weight(b)], { kernel_shape: [3, 3] }));
    const [f] = findings(b.model, 'coreml-ep');
    expect(f!.severity).toBeUndefined();
    expect(f!.fixable).toBe(false);
    expect(f!.message).toMatch(/constant, non-negative pads \(E5\)/);
  });

  describe('near misses (not foldable)', () => {
    const notFoldable = (model: Model, reason: RegExp): void => {
      const [f] = findings(model);
      expect(f!.fixable).toBe(false);
      expect(f!.severity).toBe('info');
      expect(dataOf(f!).notFoldable).toMatch(reason);
      expect(findings(model, 'coreml-ep')).toHaveLength(0); // the provider claims constant pads
    };

    it('a pad on the channel axis', () => notFoldable(padThen(conv(), { pads: [0, 1, 0, 0, 0, 1, 0, 0] }), /batch or channel axis/));
    it('a non-zero fill', () => notFoldable(padThen(conv(), { value: 1 }), /it fills 1/));
    it('a Conv with auto_pad SAME_UPPER', () => notFoldable(padThen(conv({ auto_pad: 'SAME_UPPER' })), /auto_pad SAME_UPPER/));
    it('a pad with two readers', () => notFoldable(padThen((b, v) => b.op('Add', [b.op('Conv', [v, weight(b)], { kernel_shape: [3, 3] }), b.op('Conv', [v, weight(b, 'w2')], { kernel_shape: [3, 3] })])), /2 readers/));
    it('a pad read by a global pooling', () => notFoldable(padThen((b, v) => b.op('GlobalAveragePool', [v])), /not a convolution or a \(local\) pooling/));
  });
});

const ONNX = join(CORPUS, 'onnx');

describe.skipIf(!existsSync(ONNX))('explicit-pad on the corpus', () => {
  const load = (name: string): Model => readOnnx(join(ONNX, name));

  it('raft_small: 3 Pads that pad nothing before AveragePool', () => {
    const f = findings(load('raft_small_2iter_op17.onnx'));
    expect(f).toHaveLength(3);
    for (const x of f) expect(dataOf(x).noOp).toBe(true);
  });

  it('silero: reflect pads before the STFT convolution, one per sample-rate branch', () => {
    expect(findings(load('silero_vad_v4.onnx')).map((f) => dataOf(f).mode)).toEqual(['reflect', 'reflect']);
    expect(findings(load('silero_vad_v5.onnx')).map((f) => dataOf(f).mode)).toEqual(['reflect', 'reflect']);
    const v6 = findings(load('silero_vad_v6_16k_op15.onnx'));
    expect(v6).toHaveLength(1);
    expect(dataOf(v6[0]!)).toMatchObject({ mode: 'reflect', pads: null }); // amounts computed at run time
    expect(v6[0]!.fixable).toBe(false);
  });

  it('reports nothing on models without Pad', () => {
    for (const name of ['efficientnet_mini_op13.onnx', 'vit_small_dynbatch_op13.onnx', 'ultraface_rfb_320.onnx', 'yolox_nano.onnx', 'lstm_op13.onnx']) {
      expect(findings(load(name)), name).toHaveLength(0);
    }
  });
});
