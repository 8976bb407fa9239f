import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import rule, { type BatchSizeData } from '../../rules/batch-size.js';
import { makeContext, ModelIndex } from '../../src/engine/context.js';
import type { Finding, TargetId } from '../../src/engine/rule.js';
import { readOnnx } from '../../src/formats/onnx/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import type { Model } from '../../src/ir/model.js';
import type { Dim } from '../../src/ir/shape.js';
import { hasFact } from '../../src/targets/facts.js';
import { CORPUS, onnxCorpus } from '../helpers/corpus.js';
import { checkRule } from '../helpers/rule-tester.js';

function findings(model: Model, target: TargetId = 'ane'): Finding[] {
  checkRule(rule, model, { target });
  return rule.check(makeContext(new ModelIndex(model), rule.meta.id, {}, target, []));
}

/** Inputs of the given shapes, each read by a Relu named after it. */
function inputs(...shapes: Array<readonly Dim[]>) {
  const b = new ModelBuilder({ opset: 17 });
  shapes.forEach((s, i) => b.output(b.op('Relu', [b.input(`in${i}`, 'float32', s)], {}, { name: `read${i}` })));
  return b.model;
}

describe('batch-size', () => {
  it('cites known facts', () => {
    for (const id of rule.meta.facts) expect(hasFact(id)).toBe(true);
  });

  it('reports a fixed batch above 1 (S3)', () => {
    const [f, ...rest] = findings(inputs([8, 3, 224, 224]));
    expect(rest).toHaveLength(0);
    expect(f!.nodes.map((n) => n.label)).toEqual(['read0']);
    expect(f!.data as BatchSizeData).toEqual({ input: 'in0', axis: 0, batch: 8, shape: [8, 3, 224, 224] });
    expect(f!.message).toMatch(/Input 'in0' \[8, 3, 224, 224\] has a fixed batch of 8 \(axis 0\)/);
    expect(f!.message).toMatch(/\(S3\)/);
    expect(f!.message).toMatch(/--input-shape in0=1,3,224,224/);
  });

  it('takes axis 1 as the batch of a NeuralNetwork rank-5 input (S, B, C, H, W)', () => {
    const m = inputs([1, 4, 3, 32, 32]);
    m.info.set('modelType', 'neuralNetwork');
    expect((findings(m)[0]!.data as BatchSizeData).axis).toBe(1);
  });

  describe('near misses', () => {
    it('batch 1', () => expect(findings(inputs([1, 3, 224, 224]))).toHaveLength(0));
    it('a dynamic batch (dynamic-shape reports it)', () => expect(findings(inputs(['N', 3, 224, 224]))).toHaveLength(0));
    it('a rank-1 input (no batch axis)', () => expect(findings(inputs([16000]))).toHaveLength(0));
    it('an LSTM state [layers, batch, hidden] with a dynamic batch', () => expect(findings(inputs(['batch', 512], [2, 'batch', 64]))).toHaveLength(0));
    it('a leading 2 when another input has batch 1', () => expect(findings(inputs([1, 512], [2, 1, 128]))).toHaveLength(0));
    it('a NeuralNetwork (C, H, W) input: no batch axis', () => {
      const m = inputs([3, 224, 224]);
      m.info.set('modelType', 'neuralNetwork');
      expect(findings(m)).toHaveLength(0);
    });
  });
});

describe.skipIf(!existsSync(join(CORPUS, 'onnx')))('batch-size on the corpus', () => {
  it('finds no fixed batch above 1 (every corpus model has batch 1 or a dynamic batch)', () => {
    for (const file of onnxCorpus()) expect(findings(readOnnx(file)), file).toHaveLength(0);
  });
});
