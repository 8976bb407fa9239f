import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inferShapes } from '../../src/analysis/shapes/index.js';
import { readModel } from '../../src/formats/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import { judgeAne } from '../../src/targets/ane.js';
import { hasFact } from '../../src/targets/facts.js';
import { partition } from '../../src/targets/partition.js';
import { CORPUS, onnxCorpus } from '../helpers/corpus.js';

const corpus = onnxCorpus();

describe.skipIf(corpus.length === 0)('--target ane on the corpus', () => {
  it.each(corpus.map((p) => [p.split('/').pop()!, p] as const))('%s: every decision cites a fact; hostile ops land off the Neural Engine', (name, path) => {
    const model = readModel(path);
    inferShapes(model);
    const j = judgeAne(model);
    expect(j.decisions.size).toBeGreaterThan(0);
    for (const [n, d] of j.decisions) {
      expect(hasFact(d.fact), `${n.path} cites ${d.fact}`).toBe(true);
      expect(d.reason.length).toBeGreaterThan(0);
      if (['lstm', 'gru', 'rnn', 'topk', 'gather_nd', 'non_zero', 'non_maximum_suppression'].includes(n.kind)) {
        expect(d.accelerated, `${n.path} (${n.kind})`).toBe(false);
      }
    }
    const plan = partition(j);
    expect(plan.supported).toBeLessThanOrEqual(plan.nodes);
    if (name.startsWith('lstm') || name.startsWith('silero')) {
      const lstms = [...j.decisions].filter(([n]) => n.kind === 'lstm');
      expect(lstms.length).toBeGreaterThan(0);
      for (const [, d] of lstms) expect(d).toMatchObject({ device: 'cpu', fact: 'A4' });
    }
  });

  it('sends the ssdlite TopK tail and every GatherND to the CPU', () => {
    const model = readModel(join(CORPUS, 'onnx', 'ssdlite320_mobilenet_v3_large_op17.onnx'));
    inferShapes(model);
    const j = judgeAne(model);
    const topk = [...j.decisions].filter(([n]) => n.kind === 'topk');
    const gnd = [...j.decisions].filter(([n]) => n.kind === 'gather_nd');
    expect(topk.length).toBeGreaterThan(0);
    expect(gnd.length).toBeGreaterThan(0);
    for (const [, d] of [...topk, ...gnd]) expect(d.device).toBe('cpu');
    expect(topk.every(([, d]) => d.fact === 'A13')).toBe(true);
    // the backbone stays on the Neural Engine
    expect([...j.decisions].filter(([n, d]) => n.kind === 'conv' && d.device === 'ane').length).toBeGreaterThan(40);
  });
});

describe('--target ane on built models', () => {
  it('a model with nothing hostile is one Neural Engine partition', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 3, 32, 32]);
    const w1 = b.constant('w1', 'float32', [8, 3, 3, 3], new Array(216).fill(0.01));
    const w2 = b.constant('w2', 'float32', [8, 8, 1, 1], new Array(64).fill(0.01));
    const h = b.op('Relu', [b.op('Conv', [x, w1], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })]);
    const p = b.op('GlobalAveragePool', [b.op('Conv', [h, w2], { kernel_shape: [1, 1] })]);
    const flat = b.op('Flatten', [p]);
    b.output(b.op('Gemm', [flat, b.constant('fc', 'float32', [8, 4], new Array(32).fill(0.1)), b.constant('fb', 'float32', [4], [0, 0, 0, 0])]));
    inferShapes(b.model);
    const plan = partition(judgeAne(b.model));
    expect(plan.count).toBe(1);
    expect(plan.partitions).toHaveLength(1);
    expect(plan.supported).toBe(plan.nodes);
    expect(plan.boundaries).toEqual([]);
  });

  it('marks decisions resting on guesses and says so', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 3, 32, 32]);
    const w = b.constant('w', 'float32', [3, 3, 3, 3], new Array(81).fill(0.01));
    b.output(b.op('Conv', [x, w], { kernel_shape: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] }));
    inferShapes(b.model);
    const j = judgeAne(b.model);
    const [d] = [...j.decisions.values()];
    expect(d).toMatchObject({ device: 'cpu', fact: 'A3', guess: true });
    expect(j.guesses).toEqual(['A3']);
    expect(j.notes.join(' ')).toMatch(/guesses \(A3\)/);
  });
});
