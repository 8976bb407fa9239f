import { describe, expect, it } from 'vitest';
import { MIL_OPS, milKind, NN_ACTIVATION_KINDS, NN_LAYER_KINDS, nnLayerKind } from '../../../src/formats/coreml/kinds.js';
import { readModel } from '../../../src/formats/index.js';
import type { Model } from '../../../src/ir/model.js';
import { corpusModels, corpusPath, HAVE_CORPUS } from './corpus.js';

/** Every layer and op type in the corpus has an entry in THE table (kinds.ts). */

function* everyModel(m: Model): Generator<Model> {
  yield m;
  for (const s of m.submodels) yield* everyModel(s);
}

describe('Core ML kinds table', () => {
  it('maps the obvious ones to their MIL spelling', () => {
    expect(nnLayerKind('innerProduct', {})).toBe('linear');
    expect(nnLayerKind('convolution', {})).toBe('conv');
    expect(nnLayerKind('convolution', { isDeconvolution: true })).toBe('conv_transpose');
    expect(nnLayerKind('activation', { activation: 'ReLU' })).toBe('relu');
    expect(nnLayerKind('reduce', { reduceMode: 1 })).toBe('reduce_mean');
    expect(nnLayerKind('sliceStatic', {})).toBe('slice_by_index');
    expect(nnLayerKind('layerNormalization', {})).toBe('layer_norm');
    expect(nnLayerKind('batchedMatmul', { hasWeights: true })).toBe('linear');
    expect(nnLayerKind('batchedMatmul', {})).toBe('matmul');
    expect(nnLayerKind('custom', {})).toBe('unknown');
    expect(milKind('conv')).toBe('conv');
    expect(milKind('layer_norm')).toBe('layer_norm');
    expect(milKind('my_custom_op')).toBe('unknown');
    for (const k of Object.values(NN_ACTIVATION_KINDS)) expect(MIL_OPS.has(k)).toBe(true);
    // Every resolved NN kind is a MIL op name (or a deliberate unknown).
    for (const [layer, kind] of Object.entries(NN_LAYER_KINDS)) {
      if (!kind.startsWith('=')) expect(kind === 'unknown' || MIL_OPS.has(kind), layer).toBe(true);
    }
  });

  it.skipIf(!HAVE_CORPUS)('has an entry for every NeuralNetwork layer type and ML Program op type in the corpus', () => {
    const layers = new Set<string>();
    const ops = new Set<string>();
    for (const rel of corpusModels()) {
      for (const m of everyModel(readModel(corpusPath(rel)))) {
        const type = String(m.info.get('modelType'));
        for (const g of m.allGraphs()) {
          for (const n of g.nodes) {
            if (type.startsWith('neuralNetwork')) layers.add(n.op);
            else if (type === 'mlProgram') ops.add(n.op);
            // Other model types are one summary node each; their kind is deliberately unknown.
            else expect(n.kind).toBe('unknown');
            if (n.op === 'activation') expect(n.kind).not.toBe('unknown');
          }
        }
      }
    }
    const missingLayers = [...layers].filter((l) => !(l in NN_LAYER_KINDS));
    const missingOps = [...ops].filter((o) => !MIL_OPS.has(o));
    expect(missingLayers).toEqual([]);
    expect(missingOps).toEqual([]);
    expect(layers.size).toBeGreaterThan(25);
    expect(ops.size).toBeGreaterThan(60);
  });
});
