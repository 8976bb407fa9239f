import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import rule, { type DynamicShapeData } from '../../rules/dynamic-shape.js';
import { makeContext, ModelIndex } from '../../src/engine/context.js';
import type { Finding, TargetId } from '../../src/engine/rule.js';
import { readOnnx } from '../../src/formats/onnx/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import type { Model } from '../../src/ir/model.js';
import type { Dim } from '../../src/ir/shape.js';
import { hasFact } from '../../src/targets/facts.js';
import { CORPUS } from '../helpers/corpus.js';
import { checkRule } from '../helpers/rule-tester.js';

function findings(model: Model, target: TargetId = 'ane'): Finding[] {
  checkRule(rule, model, { target });
  return rule.check(makeContext(new ModelIndex(model), rule.meta.id, {}, target, []));
}

const dataOf = (f: Finding): DynamicShapeData => f.data as DynamicShapeData;

/** One input of the given shape, read by a Relu (named `reader`). */
function oneInput(shape: readonly Dim[] | null, name = 'x') {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input(name, 'float32', shape);
  b.output(b.op('Relu', [x], {}, { name: 'reader' }));
  return b;
}

describe('dynamic-shape', () => {
  it('cites known facts', () => {
    for (const id of rule.meta.facts) expect(hasFact(id)).toBe(true);
  });

  it('reports a symbolic batch through the nodes that read the input (A10 on ane)', () => {
    const [f, ...rest] = findings(oneInput(['batch', 3, 224, 224]).model);
    expect(rest).toHaveLength(0);
    expect(f!.nodes.map((n) => n.label)).toEqual(['reader']);
    expect(dataOf(f!)).toEqual({ input: 'x', shape: ['batch', 3, 224, 224], dynamicAxes: [0], flexible: null });
    expect(f!.message).toMatch(/Input 'x' \[batch, 3, 224, 224\] has a dynamic dimension \(axis 0 \('batch'\)\)/);
    expect(f!.message).toMatch(/only the default shape on the Neural Engine; enumerated shapes can each run there \(A10\)/);
    expect(f!.message).toMatch(/--input-shape x=N,3,224,224/);
  });

  it('reports unknown dims, and 0 dims (how some exporters write unknown)', () => {
    const [f] = findings(oneInput([null, 0, 64]).model);
    expect(dataOf(f!).dynamicAxes).toEqual([0, 1]);
    expect(f!.message).toMatch(/\[\?, 0\?, 64\] has dynamic dimensions \(axis 0, 1\)/);
  });

  it('reports an input with no shape at all', () => {
    const [f] = findings(oneInput(null).model);
    expect(dataOf(f!).shape).toBeNull();
    expect(f!.message).toMatch(/has no declared shape/);
  });

  it('cites E2 on coreml-ep', () => {
    const [f] = findings(oneInput(['N', 16]).model, 'coreml-ep');
    expect(f!.message).toMatch(/needs every input shape known \(E2\)/);
  });

  it('reports a Core ML shape range, and not enumerated shapes (A10)', () => {
    const range = oneInput([1, 3, null, null]);
    range.model.info.set('flexibleShape:x', 'range 1..1 x 3..3 x 64..512 x 64..*');
    const [f] = findings(range.model);
    expect(dataOf(f!).flexible).toBe('range 1..1 x 3..3 x 64..512 x 64..*');
    expect(f!.message).toMatch(/Input 'x' has a shape range \(range 1..1 x 3..3 x 64..512 x 64..\*\)/);
    expect(f!.message).toMatch(/enumerated shapes/);

    const single = oneInput([1, 3, 64, 64]);
    single.model.info.set('flexibleShape:x', 'range 1..1 x 3..3 x 64..64 x 64..64');
    expect(findings(single.model)).toHaveLength(0);

    const enumerated = oneInput([1, 3, null, null]);
    enumerated.model.info.set('flexibleShape:x', 'enumerated 1x3x64x64 | 1x3x128x128');
    expect(findings(enumerated.model)).toHaveLength(0);
  });

  describe('near misses', () => {
    it('a static input', () => expect(findings(oneInput([1, 3, 224, 224]).model)).toHaveLength(0));

    it('an initializer listed among the graph inputs (ONNX IR < 4)', () => {
      const b = oneInput([1, 4]);
      const w = b.constant('w', 'float32', [4], [1, 2, 3, 4]);
      b.graph.inputs.push(w);
      b.output(b.op('Add', [b.graph.inputs[0]!, w]));
      expect(findings(b.model)).toHaveLength(0);
    });

    it('an input nothing reads', () => {
      const b = new ModelBuilder({ opset: 17 });
      b.input('unused', 'float32', ['N']);
      const x = b.input('x', 'float32', [4]);
      b.output(b.op('Relu', [x]));
      expect(findings(b.model)).toHaveLength(0);
    });
  });
});

const ONNX = join(CORPUS, 'onnx');

describe.skipIf(!existsSync(ONNX))('dynamic-shape on the corpus', () => {
  const inputs = (name: string): string[] => findings(readOnnx(join(ONNX, name))).map((f) => dataOf(f).input);

  it('reports the dynamic inputs and nothing on static models', () => {
    expect(inputs('vit_small_dynbatch_op13.onnx')).toEqual(['input']);
    expect(inputs('ppocr_mobile_v2_cls.onnx')).toEqual(['x']);
    expect(inputs('ppocrv4_det.onnx')).toEqual(['x']);
    expect(inputs('silero_vad_v4.onnx').sort()).toEqual(['c', 'h', 'input']);
    expect(inputs('silero_vad_v5.onnx').sort()).toEqual(['input', 'state']);
    for (const name of ['ultraface_rfb_320.onnx', 'yolox_nano.onnx', 'efficientnet_mini_op13.onnx', 'lstm_op13.onnx', 'raft_small_2iter_op17.onnx']) {
      expect(inputs(name), name).toEqual([]);
    }
  });
});
