import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import rule from '../../rules/unsupported-op.js';
import { ANE_FOREIGN_DOMAIN, ANE_UNSUPPORTED_KINDS, ANE_UNSUPPORTED_OPS } from '../../src/analysis/unsupported-ops.js';
import { makeContext, ModelIndex } from '../../src/engine/context.js';
import type { CoremlFormat, TargetId } from '../../src/engine/rule.js';
import { readOnnx } from '../../src/formats/onnx/index.js';
import { ModelBuilder, type AttrInput } from '../../src/ir/build.js';
import type { Value } from '../../src/ir/graph.js';
import { Model } from '../../src/ir/model.js';
import { COREML_EP_OPS, coremlEpClaimsOpType } from '../../src/targets/coreml-ep-ops.js';
import { fact, hasFact } from '../../src/targets/facts.js';
import { onnxCorpus, REPO_ROOT } from '../helpers/corpus.js';
import { checkRule } from '../helpers/rule-tester.js';

let counter = 0;
function ints(b: ModelBuilder, values: number[]): Value {
  return b.constant(`i${counter++}`, 'int64', [values.length], values);
}
function floats(b: ModelBuilder, values: number[], dims = [values.length]): Value {
  return b.constant(`f${counter++}`, 'float32', dims, values);
}

/** Findings with their data (checkRule gives diagnostics, which carry none). */
function findings(model: Model, target: TargetId = 'ane', coremlFormat: CoremlFormat = 'mlprogram') {
  return rule.check(makeContext(new ModelIndex(model), rule.meta.id, {}, target, undefined, coremlFormat));
}

/** x → Relu → <op> → Relu, for one op under test. */
function oneOp(op: string, extra: (b: ModelBuilder, x: Value) => Value[] = () => [], attrs: Record<string, AttrInput> = {}, outputs = 1, domain = '') {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', 'float32', [1, 8, 16, 16]);
  const r = b.op('Relu', [x]);
  const outs = b.opN(op, [r, ...extra(b, r)], outputs, attrs, { name: 'target', domain });
  b.output(b.op('Relu', [outs[0]!]));
  return b.model;
}

describe('unsupported-op: the tables', () => {
  it('cites only known facts, and never reports at error on guesses alone', () => {
    const entries = [...Object.values(ANE_UNSUPPORTED_KINDS), ...Object.values(ANE_UNSUPPORTED_OPS), ANE_FOREIGN_DOMAIN];
    for (const e of entries) {
      for (const id of e.facts) expect(hasFact(id), id).toBe(true);
      if (e.facts.every((id) => fact(id).guess)) expect(e.severity, e.what).not.toBe('error');
    }
    for (const [op, s] of Object.entries(COREML_EP_OPS)) expect(hasFact(s.fact), op).toBe(true);
    for (const id of rule.meta.facts) expect(hasFact(id), id).toBe(true);
  });

  it('records what ONNX Runtime builds in each format (builders, not the published tables: E7)', () => {
    expect(coremlEpClaimsOpType('Gather', '', 'mlprogram')).toBe(true); // missing from the ML Program table
    expect(coremlEpClaimsOpType('BatchNormalization', '', 'mlprogram')).toBe(true); // missing from the ML Program table
    expect(coremlEpClaimsOpType('Flatten', '', 'mlprogram')).toBe(false);
    expect(coremlEpClaimsOpType('Flatten', '', 'neuralnetwork')).toBe(true);
    expect(coremlEpClaimsOpType('Pad', '', 'mlprogram')).toBe(false);
    expect(coremlEpClaimsOpType('HardSigmoid', '', 'mlprogram')).toBe(false);
    expect(coremlEpClaimsOpType('HardSigmoid', '', 'neuralnetwork')).toBe(false);
    expect(coremlEpClaimsOpType('Erf', '', 'neuralnetwork')).toBe(false);
    expect(coremlEpClaimsOpType('Conv', 'com.microsoft', 'mlprogram')).toBe(false);
  });
});

describe('unsupported-op: ane, ops that always leave the Neural Engine', () => {
  const cases: Array<[string, string, () => Model, RegExp]> = [
    ['TopK', 'error', () => oneOp('TopK', (b) => [ints(b, [3])], {}, 2), /TopK has no Neural Engine path.*A13, A16, S3/],
    ['NonZero', 'error', () => oneOp('NonZero'), /NonZero has no Neural Engine path: its output size depends on the values.*\(S3\)/],
    ['NonMaxSuppression', 'error', () => oneOp('NonMaxSuppression', (b, x) => [x]), /NonMaxSuppression has no Neural Engine path.*Run non-maximum suppression after the model/],
    ['GatherND', 'error', () => oneOp('GatherND', (b) => [ints(b, [0])]), /GatherND has no Neural Engine path.*\(S3\)/],
    ['ScatterElements', 'error', () => oneOp('ScatterElements', (b, x) => [ints(b, [0]), x]), /ScatterElements has no Neural Engine path.*\(S3\)/],
    ['ScatterND', 'error', () => oneOp('ScatterND', (b, x) => [ints(b, [0]), x]), /ScatterND has no Neural Engine path.*\(S3\)/],
    ['LSTM', 'error', () => oneOp('LSTM', (b) => [floats(b, [1]), floats(b, [1])], { hidden_size: 4 }), /LSTM has no Neural Engine path: LSTMs were observed running on the CPU \(A4, A3; A3 partly a guess/],
    ['GRU', 'warning', () => oneOp('GRU', (b) => [floats(b, [1]), floats(b, [1])], { hidden_size: 4 }), /GRU may not run on the Neural Engine.*\(A3; A3 partly a guess by its source\)/],
    ['RNN', 'warning', () => oneOp('RNN', (b) => [floats(b, [1]), floats(b, [1])], { hidden_size: 4 }), /RNN may not run on the Neural Engine/],
  ];
  for (const [op, severity, build, message] of cases) {
    it(`reports ${op} (${severity})`, () => {
      const d = checkRule(rule, build());
      expect(d).toHaveLength(1);
      expect(d[0]!.nodes).toEqual(['main/target']);
      expect(d[0]!.severity).toBe(severity);
      expect(d[0]!.message).toMatch(message);
      expect(d[0]!.message).toMatch(/every switch between devices costs a copy \(S1\)/);
    });
  }

  it('reports If, and an unsupported op inside its branch, by path', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [4]);
    const cond = b.input('c', 'bool', []);
    const then = b.subgraph('then_branch');
    const t = b.opN('TopK', [x, ints(b, [2])], 2, {}, { name: 'inner_topk', graph: then });
    b.output(t[0]!, 'float32', [2], then);
    const other = b.subgraph('else_branch');
    b.output(b.op('Relu', [x], {}, { graph: other }), 'float32', [4], other);
    b.output(b.op('If', [cond], { then_branch: then, else_branch: other }, { name: 'branch' }));
    const d = checkRule(rule, b.model);
    expect(d.map((f) => f.nodes[0])).toEqual(['main/branch', 'main/branch.then_branch/inner_topk']);
    expect(d[0]!.message).toMatch(/If \(control flow \(If\)\) has no Neural Engine path: control flow is listed.*\(S2\)/);
  });

  it('reports Loop and Scan (op fallback for a kind-less op)', () => {
    const loop = oneOp('Loop', (b) => [ints(b, [1])], { body: new ModelBuilder().subgraph('body') });
    expect(checkRule(rule, loop)[0]!.message).toMatch(/control flow \(Loop\)/);
    const scan = oneOp('Scan', () => [], { body: new ModelBuilder().subgraph('body'), num_scan_inputs: 1 });
    const d = checkRule(rule, scan);
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toMatch(/Scan \(control flow \(Scan\)\)/);
  });

  it('reports a NeuralNetwork custom layer and an ONNX op from another domain', () => {
    const m = new Model('mlmodel', '');
    const g = m.graph;
    const x = g.newValue('x');
    g.inputs.push(x);
    const n = g.addNode({ op: 'custom', kind: 'unknown', name: 'my_layer', inputs: [x], outputs: ['y'] });
    g.outputs.push(n.outputs[0]!);
    const d = checkRule(rule, m);
    expect(d).toHaveLength(1);
    expect(d[0]!.severity).toBe('error');
    expect(d[0]!.message).toMatch(/^custom \(custom layer\) has no Neural Engine path: custom layers run the app's own code.*\(S3, A3/);

    const foreign = checkRule(rule, oneOp('FusedConv', (b) => [floats(b, [1], [1, 8, 1, 1])], {}, 1, 'com.microsoft'));
    expect(foreign).toHaveLength(1);
    expect(foreign[0]!.severity).toBe('warning');
    expect(foreign[0]!.message).toMatch(/^com\.microsoft:FusedConv \(op outside the ONNX standard\) may not run on the Neural Engine: Core ML has no counterpart/);
  });

  it('reports Core ML spellings through their kinds (NeuralNetwork LSTM, MIL topk)', () => {
    const m = new Model('mlpackage', '');
    const g = m.graph;
    const x = g.newValue('x');
    g.inputs.push(x);
    const a = g.addNode({ op: 'uniDirectionalLSTM', kind: 'lstm', name: 'rnn', inputs: [x], outputs: ['h'] });
    const t = g.addNode({ op: 'topk', kind: 'topk', name: 'best', inputs: [a.outputs[0]!], outputs: ['v', 'i'], inputNames: ['x'] });
    g.outputs.push(t.outputs[0]!);
    const d = checkRule(rule, m);
    expect(d.map((f) => f.nodes[0])).toEqual(['main/rnn', 'main/best']);
    expect(d[0]!.message).toMatch(/uniDirectionalLSTM \(LSTM\) has no Neural Engine path/);
    expect(d[1]!.message).toMatch(/^topk has no Neural Engine path/);
  });
});

describe('unsupported-op: ane, gather', () => {
  it('reports a Gather reading TopK indices (A13), through a Squeeze', () => {
    const b = new ModelBuilder({ opset: 17 });
    const scores = b.input('scores', 'float32', [1, 100]);
    const boxes = b.input('boxes', 'float32', [100, 4]);
    const [, idx] = b.opN('TopK', [scores, ints(b, [10])], 2, {}, { name: 'topk' });
    const sq = b.op('Squeeze', [idx!, ints(b, [0])]);
    b.output(b.op('Gather', [boxes, sq], {}, { name: 'pick' }));
    const all = findings(b.model);
    expect(all.map((f) => f.nodes[0]!.label)).toEqual(['topk', 'pick']);
    expect(all[1]!.severity).toBe('warning');
    expect(all[1]!.message).toMatch(/Gather \(indices from topk\) may not run on the Neural Engine: it reads the indices of a TopK.*\(A13\)/);
    expect(all[1]!.data).toMatchObject({ variant: 'gather-topk-indices', topk: 'main/topk' });
  });

  it('reports an embedding look-up (constant table) and a plain gather, as warnings', () => {
    const b = new ModelBuilder({ opset: 17 });
    const ids = b.input('ids', 'int64', [1, 8]);
    const table = floats(b, Array.from({ length: 40 }, (_, i) => i), [10, 4]);
    const e = b.op('Gather', [table, ids], {}, { name: 'embed' });
    b.output(b.op('Gather', [e, ints(b, [0])], { axis: 1 }, { name: 'first' }));
    const all = findings(b.model);
    expect(all.map((f) => [f.nodes[0]!.label, f.severity, (f.data as { variant: string }).variant])).toEqual([
      ['embed', 'warning', 'gather-embedding'],
      ['first', 'warning', 'gather'],
    ]);
    expect(all[0]!.message).toMatch(/embedding look-ups stay on the CPU \(A13, A3; A3 partly a guess/);
    expect(all[1]!.message).toMatch(/a Slice \(or Split\) does the same job/);
  });

  it('reports a NeuralNetwork embedding layer (table in its parameters) as an embedding look-up', () => {
    const m = new Model('mlmodel', '');
    const ids = m.graph.newValue('ids');
    m.graph.inputs.push(ids);
    const n = m.graph.addNode({ op: 'embedding', kind: 'gather', name: 'embed', inputs: [ids], outputs: ['e'] });
    m.graph.outputs.push(n.outputs[0]!);
    const d = checkRule(rule, m);
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toMatch(/^embedding may not run on the Neural Engine: embedding look-ups stay on the CPU \(A13, A3/);
  });

  it('does not report a gather from an integer constant (index arithmetic)', () => {
    const b = new ModelBuilder({ opset: 17 });
    const i = b.input('i', 'int64', [1]);
    b.output(b.op('Gather', [ints(b, [3, 1, 2, 0]), i]));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('does not report shape arithmetic (Shape → Gather, also through Cast/Concat)', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 'N', 4]);
    const s = b.op('Shape', [x]);
    const g1 = b.op('Gather', [s, ints(b, [1])]);
    const c = b.op('Concat', [b.op('Cast', [s], { to: 7 }), ints(b, [2])], { axis: 0 });
    const g2 = b.op('Gather', [c, ints(b, [0])]);
    b.output(b.op('Concat', [g1, g2], { axis: 0 }));
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });
});

describe('unsupported-op: ane, conditions from A3', () => {
  it('reports a dilated convolution, not an undilated one', () => {
    const conv = (dilations: number[]) => oneOp('Conv', (b) => [floats(b, Array(72).fill(0.1), [1, 8, 3, 3])], { dilations, pads: [2, 2, 2, 2] });
    const d = checkRule(rule, conv([2, 2]));
    expect(d).toHaveLength(1);
    expect(d[0]!.severity).toBe('warning');
    expect(d[0]!.message).toMatch(/Conv \(dilated convolution, dilation 2×2\) may not run on the Neural Engine.*\(A3; A3 partly a guess/);
    expect(checkRule(rule, conv([1, 1]))).toHaveLength(0);
  });

  it('reports pooling with a window above 13 or a stride above 2, not 13 and 2', () => {
    const pool = (kernel_shape: number[], strides: number[]) => oneOp('MaxPool', () => [], { kernel_shape, strides });
    expect(checkRule(rule, pool([15, 15], [1, 1]))[0]!.message).toMatch(/pooling with a large window or stride, window 15×15/);
    expect(checkRule(rule, pool([3, 3], [3, 3]))[0]!.message).toMatch(/stride 3×3/);
    expect(checkRule(rule, pool([13, 13], [2, 2]))).toHaveLength(0);
    expect(checkRule(rule, oneOp('GlobalAveragePool'))).toHaveLength(0);
  });

  it('reports upsampling by more than 2 (Resize scales or sizes), not by 2', () => {
    const byScales = (f: number) => oneOp('Resize', (b) => [floats(b, []), floats(b, [1, 1, f, f])], { mode: 'nearest' });
    expect(checkRule(rule, byScales(4))[0]!.message).toMatch(/Resize \(upsampling by more than 2, factor 4×4\)/);
    expect(checkRule(rule, byScales(2))).toHaveLength(0);
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 8, 16, 16]);
    b.output(b.op('Resize', [x, floats(b, []), floats(b, []), ints(b, [1, 8, 128, 128])], { mode: 'nearest' }));
    expect(checkRule(rule, b.model)[0]!.message).toMatch(/factor 8×8/);
    // Sizes without a known input shape: the factor is unknown, never guessed.
    const unknown = new ModelBuilder({ opset: 17 });
    const y = unknown.input('y', 'float32', [1, 8, 'H', 'W']);
    unknown.output(unknown.op('Resize', [y, floats(unknown, []), floats(unknown, []), ints(unknown, [1, 8, 128, 128])], { mode: 'nearest' }));
    expect(checkRule(rule, unknown.model)).toHaveLength(0);
  });
});

describe('unsupported-op: ane, near misses', () => {
  it('says nothing about ordinary ops, or calls of a model-local function', () => {
    const b = new ModelBuilder({ opset: 17, opsets: { 'my.domain': 1 } });
    const x = b.input('x', 'float32', [1, 8, 16, 16]);
    const y = b.op('Conv', [x, floats(b, Array(64).fill(0.1), [8, 8, 1, 1])]);
    const z = b.op('MyBlock', [b.op('Sigmoid', [y])], {}, { domain: 'my.domain' });
    b.output(b.op('Softmax', [z], { axis: 1 }));
    const fn = b.model.newGraph('MyBlock', 'my.domain:MyBlock');
    b.model.functions.push(fn);
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });
});

describe('unsupported-op: coreml-ep', () => {
  it('reports an op with no builder, citing E7 and E1', () => {
    const d = checkRule(rule, oneOp('TopK', (b) => [ints(b, [3])], {}, 2), { target: 'coreml-ep' });
    expect(d).toHaveLength(1);
    expect(d[0]!.severity).toBe('error');
    expect(d[0]!.message).toMatch(/TopK is not claimed by ONNX Runtime's Core ML execution provider \(ML Program\): the provider has no builder for TopK in either format.*\(E7\).*\(E1\)/);
  });

  it('follows --coreml-format: Flatten has a NeuralNetwork builder only, Erf an ML Program one only', () => {
    const flatten = oneOp('Flatten', () => [], { axis: 1 });
    const d = checkRule(rule, flatten, { target: 'coreml-ep' });
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toMatch(/builder does not build ML Program.*The NeuralNetwork format has a builder for it/);
    expect(checkRule(rule, flatten, { target: 'coreml-ep', coremlFormat: 'neuralnetwork' })).toHaveLength(0);
    const erf = oneOp('Erf');
    expect(checkRule(rule, erf, { target: 'coreml-ep' })).toHaveLength(0);
    const nn = findings(erf, 'coreml-ep', 'neuralnetwork');
    expect(nn).toHaveLength(1);
    expect(nn[0]!.data).toMatchObject({ format: 'neuralnetwork', hasBuilder: true, otherFormat: 'mlprogram' });
  });

  it('reports ops outside the default domain, and a reflect Pad (no ML Program builder)', () => {
    expect(checkRule(rule, oneOp('QuickGelu', () => [], {}, 1, 'com.microsoft'), { target: 'coreml-ep' })[0]!.message).toMatch(/^com\.microsoft:QuickGelu is not claimed/);
    const pad = oneOp('Pad', (b) => [ints(b, [0, 0, 1, 1, 0, 0, 1, 1])], { mode: 'reflect' });
    expect(checkRule(rule, pad, { target: 'coreml-ep' })).toHaveLength(1);
  });

  it('does not report what ONNX Runtime removes before asking the provider (E10)', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 8, 16, 16]);
    // Constant folding: Equal and Where on constants only; Shape of a fully known shape.
    const folded = b.op('Where', [b.op('Equal', [ints(b, [1]), ints(b, [1])]), floats(b, [1]), floats(b, [2])]);
    const fill = b.op('ConstantOfShape', [b.op('Shape', [x])]);
    // Identity and Dropout elimination; a zero Pad fused into the Conv after it.
    const i = b.op('Dropout', [b.op('Identity', [x])]);
    const padded = b.op('Pad', [i, ints(b, [0, 0, 1, 1, 0, 0, 1, 1])]);
    const conv = b.op('Conv', [padded, floats(b, Array(576).fill(0.01), [8, 8, 3, 3])]);
    b.output(b.op('Add', [b.op('Mul', [conv, folded]), b.op('Cast', [fill], { to: 1 })]));
    expect(checkRule(rule, b.model, { target: 'coreml-ep' })).toHaveLength(0);
  });

  it('still reports what stays: an Identity producing a graph output, a Pad read twice, a Where on data', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 8, 16, 16]);
    const padded = b.op('Pad', [x, ints(b, [0, 0, 1, 1, 0, 0, 1, 1])], {}, { name: 'pad' });
    const w = floats(b, Array(576).fill(0.01), [8, 8, 3, 3]);
    b.output(b.op('Conv', [padded, w]));
    b.output(b.op('Conv', [padded, w]));
    b.output(b.op('Where', [b.op('Greater', [x, floats(b, [0])], {}, { name: 'gt' }), x, floats(b, [0])], {}, { name: 'where' }));
    b.output(b.op('Identity', [x], {}, { name: 'same' }));
    const d = checkRule(rule, b.model, { target: 'coreml-ep' });
    expect(d.map((f) => f.nodes[0])).toEqual(['main/pad', 'main/gt', 'main/where', 'main/same']);
  });

  it('says nothing for a Core ML model (the provider runs ONNX graphs)', () => {
    const m = new Model('mlpackage', '');
    const x = m.graph.newValue('x');
    m.graph.inputs.push(x);
    const n = m.graph.addNode({ op: 'topk', kind: 'topk', inputs: [x], outputs: ['v', 'i'] });
    m.graph.outputs.push(n.outputs[0]!);
    expect(checkRule(rule, m, { target: 'coreml-ep' })).toHaveLength(0);
  });
});

describe('unsupported-op: corpus', () => {
  const files = onnxCorpus();
  const count = (d: ReturnType<typeof checkRule>, op: string, severity = 'error') =>
    d.filter((x) => x.severity === severity && x.message.startsWith(`${op} `)).length;

  it.skipIf(files.length === 0)('ane: ssdlite320 reports its detection post-processing', () => {
    const d = checkRule(rule, readOnnx(files.find((f) => f.includes('ssdlite320'))!));
    expect(count(d, 'TopK')).toBe(90);
    expect(count(d, 'NonZero')).toBe(180);
    expect(count(d, 'GatherND')).toBe(180);
    expect(count(d, 'NonMaxSuppression')).toBe(1);
    expect(count(d, 'If')).toBe(1);
    expect(d.filter((x) => /indices from/.test(x.message))).toHaveLength(90);
    expect(d.find((x) => x.message.startsWith('NonMaxSuppression'))!.nodes[0]).toMatch(/^main\/If_3385\.else_branch\//);
  });

  const recurrent: Record<string, { lstm: number; ifs: number }> = {
    'lstm_op13.onnx': { lstm: 2, ifs: 0 },
    'silero_vad_v4.onnx': { lstm: 8, ifs: 9 },
    'silero_vad_v5.onnx': { lstm: 4, ifs: 25 },
    'silero_vad_v6_16k_op15.onnx': { lstm: 2, ifs: 12 },
  };
  for (const [name, want] of Object.entries(recurrent)) {
    it.skipIf(files.length === 0)(`ane: ${name} reports ${want.lstm} LSTM and ${want.ifs} If`, () => {
      const d = checkRule(rule, readOnnx(files.find((f) => basename(f) === name)!));
      expect(count(d, 'LSTM')).toBe(want.lstm);
      expect(count(d, 'If')).toBe(want.ifs);
    });
  }

  for (const name of ['efficientnet_mini_op13.onnx', 'convnext_mini_op17.onnx', 'yolox_nano.onnx', 'ppocr_mobile_v2_cls.onnx', 'raft_small_2iter_op17.onnx']) {
    it.skipIf(files.length === 0)(`ane: nothing in ${name}`, () => {
      expect(checkRule(rule, readOnnx(files.find((f) => basename(f) === name)!))).toHaveLength(0);
    });
  }

  /**
   * A real run of ONNX Runtime's own usability checker (fixtures/ort-usability) judged op types
   * from the published tables, which are stale (E7): these op types have builders the tables
   * leave out. Every other op type the checker called unsupported must be reported here too.
   */
  const STALE: Record<string, readonly string[]> = {
    mlprogram: ['BatchNormalization', 'Gather', 'ReduceMin', 'ReduceProd'],
    neuralnetwork: ['ReduceMean'],
  };
  const figures = JSON.parse(readFileSync(join(REPO_ROOT, 'fixtures/ort-usability/coreml-checker-figures.json'), 'utf8')) as {
    models: Record<string, { as_is: Record<string, { unsupported_ops: string[] }> }>;
  };
  for (const file of files) {
    const name = basename(file);
    const checker = figures.models[name];
    if (!checker) continue;
    for (const format of ['mlprogram', 'neuralnetwork'] as const) {
      it(`coreml-ep (${format}): ${name} reports every op type ONNX Runtime's checker found unsupported, less the stale table entries`, () => {
        const ours = new Set(
          findings(readOnnx(file), 'coreml-ep', format).map((f) => (f.data as { op: string }).op),
        );
        const theirs = checker.as_is[format]!.unsupported_ops.map((o) => o.replace(/^ai\.onnx:/, '')).filter((o) => !STALE[format]!.includes(o));
        for (const op of theirs) expect([...ours], `${op} in ${name}`).toContain(op);
        // Models without shape arithmetic: exactly the checker's list (less stale entries).
        if (format === 'mlprogram' && /^(convnext|efficientnet|ppocr|raft|ultraface|yolox)/.test(name)) {
          expect([...ours].sort()).toEqual([...new Set(theirs)].sort());
        }
      });
    }
  }

  it.skipIf(files.length === 0)('coreml-ep: ssdlite320 reports TopK, NonZero, GatherND and NonMaxSuppression', () => {
    const d = checkRule(rule, readOnnx(files.find((f) => f.includes('ssdlite320'))!), { target: 'coreml-ep' });
    expect(count(d, 'TopK')).toBe(90);
    expect(count(d, 'NonZero')).toBe(180);
    expect(count(d, 'GatherND')).toBe(180);
    expect(count(d, 'NonMaxSuppression')).toBe(1);
  });
});
