import { onnxCorpus } from '../helpers/corpus.js';
import { readOnnx } from '../../src/formats/onnx/index.js';
import { inferShapes } from '../../src/analysis/shapes/index.js';
import { describe, expect, it } from 'vitest';
import rule from '../../rules/dimension-limit.js';
import { makeContext, ModelIndex } from '../../src/engine/context.js';
import { ModelBuilder } from '../../src/ir/build.js';
import { Model } from '../../src/ir/model.js';
import { Tensor } from '../../src/ir/tensor.js';
import { tensorType } from '../../src/ir/types.js';
import { hasFact } from '../../src/targets/facts.js';
import { checkRule } from '../helpers/rule-tester.js';

/** A Conv1D over a signal of `length` samples, with typed output. */
function conv1d(length: number | string, op = 'Conv') {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', 'float32', [1, 1, length]);
  const w = b.constant('w', 'float32', [4, 1, 3], Array(12).fill(0.1));
  const y = b.op(op, [x, w], { strides: [1] }, { name: 'conv' });
  y.type = tensorType('float32', [1, 4, typeof length === 'number' ? (op === 'Conv' ? length - 2 : length + 2) : length]);
  b.output(y);
  return b.model;
}

describe('dimension-limit: convolutions', () => {
  it('cites known facts', () => {
    for (const id of rule.meta.facts) expect(hasFact(id)).toBe(true);
  });

  it('reports a Conv with an axis above 16384 (ane: A8, A9)', () => {
    const d = checkRule(rule, conv1d(20000));
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toEqual(['main/conv']);
    expect(d[0]!.severity).toBe('error');
    expect(d[0]!.message).toMatch(/conv \(Conv\): input x \[1,1,20000\] has axis 2 above 16384; output conv_out \[1,4,19998\] has axis 2 above 16384\. Dimensions above 16384 are rejected for convolutions on the Neural Engine \(A8\).*\(A9\)/);
  });

  it('reports a Conv for coreml-ep (E4), and a ConvTranspose on its input and weight only', () => {
    const d = checkRule(rule, conv1d(20000), { target: 'coreml-ep' });
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toMatch(/refuses a Conv with any dimension above 16384 \(E4\)/);
    // ConvTranspose output above the limit, input below: ONNX Runtime checks input and weight only.
    const ct = checkRule(rule, conv1d(16383, 'ConvTranspose'), { target: 'coreml-ep' });
    expect(ct).toHaveLength(0);
    expect(checkRule(rule, conv1d(16383, 'ConvTranspose'))).toHaveLength(1); // the ane rule checks the output too
  });

  it('reports a weight above the limit (output channels), with the axes in data', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 8, 4, 4]);
    const w = new Tensor('float32', [20000, 8, 1, 1], { kind: 'missing', reason: 'test: never read' }, () => {
      throw new Error('the weight must not be read');
    });
    const wv = b.graph.addInitializer('w', w, tensorType('float32', [20000, 8, 1, 1]));
    b.output(b.op('Conv', [x, wv], {}, { name: 'wide' }));
    const ctx = makeContext(new ModelIndex(b.model), rule.meta.id, rule.meta.defaultOptions, 'coreml-ep', undefined);
    const f = rule.check(ctx);
    expect(f).toHaveLength(1);
    expect(f[0]!.data).toEqual({ maxDimension: 16384, values: [{ role: 'weight', name: 'w', shape: [20000, 8, 1, 1], axes: [0] }] });
  });

  it('reads a NeuralNetwork convolution weight from its parameter', () => {
    const m = new Model('mlmodel', '');
    const x = m.graph.newValue('x', tensorType('float32', [1, 3, 64, 64]));
    m.graph.inputs.push(x);
    const weights = Tensor.fromBytes('float32', [17000, 3, 1, 1], new Uint8Array(0));
    const n = m.graph.addNode({ op: 'convolution', kind: 'conv', name: 'c', inputs: [x], outputs: ['y'], attrs: { weights: { type: 'tensor', value: weights } } });
    m.graph.outputs.push(n.outputs[0]!);
    const d = checkRule(rule, m);
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toMatch(/weight weights \[17000,3,1,1\] has axis 0 above 16384/);
  });

  it('does not report 16384 exactly, or symbolic lengths', () => {
    expect(checkRule(rule, conv1d(16384))).toHaveLength(0);
    expect(checkRule(rule, conv1d('T'))).toHaveLength(0);
    expect(checkRule(rule, conv1d('T'), { target: 'coreml-ep' })).toHaveLength(0);
  });
});

describe('dimension-limit: other ops (ane only, warning)', () => {
  function embedding(vocab: number) {
    const b = new ModelBuilder({ opset: 17 });
    const ids = b.input('ids', 'int64', [1, 8]);
    const table = new Tensor('float32', [vocab, 64], { kind: 'missing', reason: 'test: never read' }, () => {
      throw new Error('the table must not be read');
    });
    const t = b.graph.addInitializer('table', table, tensorType('float32', [vocab, 64]));
    const e = b.op('Gather', [t, ids], {}, { name: 'embed' });
    e.type = tensorType('float32', [1, 8, 64]);
    b.output(e);
    return b.model;
  }

  it('warns about an embedding table above the limit (A8)', () => {
    const d = checkRule(rule, embedding(30522));
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toEqual(['main/embed']);
    expect(d[0]!.severity).toBe('warning');
    expect(d[0]!.message).toMatch(/embed \(Gather\): input 0 table \[30522,64\] has axis 0 above 16384\. The Neural Engine's limit of 16384 was seen on convolutions and on embedding tables \(A8\)/);
  });

  it('warns where a long tensor is produced, once, not at every reader', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 64, 100]);
    const t = b.op('Tile', [x, b.constant('reps', 'int64', [3], [1, 1, 200])], {}, { name: 'tile' });
    t.type = tensorType('float32', [1, 64, 20000]);
    const r = b.op('Relu', [t], {}, { name: 'relu' });
    r.type = tensorType('float32', [1, 64, 20000]);
    b.output(r);
    const d = checkRule(rule, b.model);
    expect(d.map((f) => f.nodes[0])).toEqual(['main/tile', 'main/relu']);
    expect(d[0]!.message).toMatch(/output 0 tile_out \[1,64,20000\]/);
  });

  it('says nothing about other ops for coreml-ep, small tables, or symbolic dims', () => {
    expect(checkRule(rule, embedding(30522), { target: 'coreml-ep' })).toHaveLength(0);
    expect(checkRule(rule, embedding(16384))).toHaveLength(0);
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 'T', 64]);
    b.output(b.op('Relu', [x]), 'float32', [1, 'T', 64]);
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('follows maxDimension', () => {
    expect(checkRule(rule, embedding(30522), { options: { maxDimension: 32768 } })).toHaveLength(0);
    expect(checkRule(rule, embedding(5000), { options: { maxDimension: 4096 } })).toHaveLength(1);
  });
});

const corpusFiles = onnxCorpus();
describe.skipIf(corpusFiles.length === 0)('dimension-limit: corpus', () => {
  it(`reports nothing on the ${corpusFiles.length} ONNX corpus models once shapes are inferred`, () => {
    let typed = 0;
    for (const file of corpusFiles) {
      const model = readOnnx(file);
      inferShapes(model);
      for (const g of model.allGraphs()) for (const n of g.nodes) for (const v of n.outputs) if (v.type?.kind === 'tensor' && v.type.shape) typed++;
      expect({ file, findings: checkRule(rule, model) }).toEqual({ file, findings: [] });
    }
    // The check is meaningful only if inference gave the rule shapes to look at.
    expect(typed).toBeGreaterThan(5000);
  });
});
