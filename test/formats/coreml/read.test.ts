import { describe, expect, it } from 'vitest';
import { readModel } from '../../../src/formats/index.js';
import type { Model } from '../../../src/ir/model.js';
import { Tensor } from '../../../src/ir/tensor.js';
import { corpusModels, corpusPath, HAVE_CORPUS } from './corpus.js';

/**
 * Every corpus model reads, and its summary facts match the corpus MANIFEST (an
 * independent count: layers / operations / statements including nested blocks and other
 * functions, spec version, model type).
 */

interface Expect {
  nodes: number;
  spec?: number;
  type: string;
  precision?: string;
  inputs?: string[];
  outputs?: string[];
  ops?: Record<string, number>;
  stages?: number;
}

const EXPECTED: Record<string, Expect> = {
  'converted/control_flow_branch_loop.mlmodel': { nodes: 21, spec: 4, type: 'neuralNetwork', inputs: ['x', 'n'], ops: { branch: 1, loop: 1 } },
  'converted/control_flow_cond_while_ios17.mlpackage': { nodes: 38, spec: 8, type: 'mlProgram', ops: { cond: 1, while_loop: 1 } },
  'converted/mobilenet_v3_small.mlmodel': { nodes: 160, spec: 4, type: 'neuralNetwork' },
  'converted/mobilenet_v3_small.mlpackage': { nodes: 605, spec: 7, type: 'mlProgram', inputs: ['x'], outputs: ['var_763'] },
  'converted/mobilenet_v3_small_int8_ios18.mlpackage': { nodes: 605, spec: 9, type: 'mlProgram', ops: { constexpr_blockwise_shift_scale: 49 } },
  'converted/mobilenet_v3_small_nn_4bit_lut.mlmodel': { nodes: 160, spec: 4, type: 'neuralNetwork' },
  'converted/mobilenet_v3_small_nn_fp16.mlmodel': { nodes: 160, spec: 4, type: 'neuralNetwork' },
  'converted/mobilenet_v3_small_nn_int8_linear.mlmodel': { nodes: 160, spec: 4, type: 'neuralNetwork' },
  'converted/mobilenet_v3_small_palettized4_ios18.mlpackage': { nodes: 605, spec: 9, type: 'mlProgram', ops: { constexpr_lut_to_dense: 49 } },
  'converted/stateful_accumulator_ios18.mlpackage': { nodes: 3, spec: 9, type: 'mlProgram' },
  'converted/tiny_enumerated_shapes_ios17.mlpackage': { nodes: 29, spec: 8, type: 'mlProgram' },
  'converted/tiny_image_classifier.mlmodel': { nodes: 8, spec: 4, type: 'neuralNetworkClassifier', inputs: ['image'], ops: { gelu: 1, softmaxND: 1 } },
  'converted/tiny_image_classifier.mlpackage': { nodes: 36, spec: 6, type: 'mlProgram', outputs: ['classLabel', 'classLabel_probs'] },
  'converted/tiny_range_shapes.mlmodel': { nodes: 8, spec: 4, type: 'neuralNetwork' },
  'converted/vit_tiny_random.mlmodel': { nodes: 137, spec: 5, type: 'neuralNetwork', ops: { batchedMatmul: 8, mvn: 9 } },
  'converted/vit_tiny_random.mlpackage': { nodes: 240, spec: 7, type: 'mlProgram', ops: { layer_norm: 9 } },
  'real/compiled/Argmax.mlmodelc': { nodes: 3, spec: 7, type: 'mlProgram', precision: 'Mixed (Float16, Int32)' },
  'real/compiled/ProgrammingLanguageClassifier.mlmodelc': { nodes: 1, spec: 3, type: 'textClassifier', inputs: ['text'], outputs: ['label'] },
  'real/compiled/TokenDurationPrediction.mlmodelc': { nodes: 19, spec: 7, type: 'mlProgram', ops: { slice_by_index: 2 } },
  'real/compiled/TransposeEncoder.mlmodelc': { nodes: 2, spec: 7, type: 'mlProgram', precision: 'Mixed (Float16, Int32)' },
  'real/compiled/add_model.mlmodelc': { nodes: 1, spec: 7, type: 'mlProgram', precision: 'Float16', inputs: ['x', 'y'], outputs: ['var_3'] },
  'real/mil-text/flexible-multifunction.model.mil': { nodes: 2, type: 'mlProgram' },
  'real/mil-text/flexible-weighted-legacy.model.mil': { nodes: 2, type: 'mlProgram' },
  'real/mil-text/fp16-subnormal-cast.model.mil': { nodes: 3, type: 'mlProgram' },
  'real/mil-text/pipeline-cast-model0.model.mil': { nodes: 1, type: 'mlProgram' },
  'real/mil-text/quantized-constexpr.model.mil': { nodes: 2, type: 'mlProgram', ops: { constexpr_affine_dequantize: 1 } },
  'real/mlprogram/DTLN_AEC_128_Part1.mlpackage': { nodes: 184, spec: 7, type: 'mlProgram' },
  'real/neuralnetwork/Image2Image.mlmodel': { nodes: 1, spec: 1, type: 'neuralNetwork' },
  'real/neuralnetwork/MNIST.mlmodel': { nodes: 10, spec: 1, type: 'neuralNetworkClassifier', inputs: ['image'] },
  'real/neuralnetwork/PoseEstimation_cpm.mlmodel': { nodes: 757, spec: 1, type: 'neuralNetwork', ops: { activation: 386, convolution: 145, batchnorm: 93, unary: 93 } },
  'real/neuralnetwork/PoseEstimation_hourglass.mlmodel': { nodes: 844, spec: 1, type: 'neuralNetwork' },
  'real/neuralnetwork/keras2coreml_Dense_ImageNet_small.mlmodel': { nodes: 2, spec: 1, type: 'neuralNetwork' },
  'real/other/DocumentClassification.mlmodel': { nodes: 0, spec: 1, type: 'pipelineClassifier', stages: 3 },
  'real/other/NamesDT.mlmodel': { nodes: 0, spec: 1, type: 'pipelineClassifier', stages: 3 },
  'real/other/ProgrammingLanguageClassifier.mlmodel': { nodes: 1, spec: 3, type: 'textClassifier' },
  'real/other/SentimentPolarity.mlmodel': { nodes: 0, spec: 1, type: 'pipelineClassifier', stages: 3 },
  'real/other/onehot_simple.mlmodel': { nodes: 0, spec: 1, type: 'pipeline', stages: 17 },
  'real/partial/parakeet_eou_1280ms_decoder.mlmodelc': { nodes: 39, spec: 8, type: 'mlProgram', ops: { lstm: 1 } },
  'real/partial/parakeet_eou_1280ms_joint_decision.mlmodelc': { nodes: 51, spec: 8, type: 'mlProgram', ops: { topk: 1 } },
  'real/partial/parakeet_eou_1280ms_parakeet_eou_preprocessor.mlmodelc': { nodes: 90, spec: 8, type: 'mlProgram' },
  'real/partial/parakeet_eou_1280ms_streaming_encoder.mlmodelc': { nodes: 2971, spec: 8, type: 'mlProgram', precision: 'Mixed (Float16, Float32, Int32)' },
  'real/partial/parakeet_eou_1280ms_streaming_encoder.mlpackage': { nodes: 2971, spec: 8, type: 'mlProgram' },
};

/** Nodes in every graph of the model (nested blocks and other functions included). */
function allNodes(m: Model): number {
  let n = 0;
  for (const g of m.allGraphs()) n += g.nodes.length;
  return n;
}

/** The CONTRACT's stats: main graph plus nested graphs, ops keyed by the format's op name. */
function stats(m: Model): { nodes: number; ops: Record<string, number> } {
  const ops: Record<string, number> = {};
  let nodes = 0;
  for (const n of m.nodes()) {
    nodes++;
    ops[n.op] = (ops[n.op] ?? 0) + 1;
  }
  return { nodes, ops };
}

function leafStages(m: Model): number {
  return m.submodels.reduce((a, s) => a + (s.submodels.length > 0 ? leafStages(s) : 1), 0);
}

const models = corpusModels();

describe.skipIf(!HAVE_CORPUS)('Core ML corpus: reading', () => {
  it(`knows what to expect of all ${models.length} corpus models`, () => {
    expect(models.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(models)('%s reads with the summary the MANIFEST gives', (rel) => {
    const before = Tensor.readCount;
    const m = readModel(corpusPath(rel));
    const e = EXPECTED[rel]!;
    expect(allNodes(m)).toBe(e.nodes);
    expect(m.info.get('modelType')).toBe(e.type);
    if (e.spec !== undefined) expect(m.info.get('specVersion')).toBe(e.spec);
    if (e.precision) expect(m.info.get('computePrecision')).toBe(e.precision);
    if (e.inputs) expect(m.graph.inputs.map((v) => v.name)).toEqual(e.inputs);
    if (e.outputs) expect(m.graph.outputs.map((v) => v.name)).toEqual(e.outputs);
    const s = stats(m);
    for (const [op, count] of Object.entries(e.ops ?? {})) expect(s.ops[op]).toBe(count);
    if (e.stages !== undefined) expect(leafStages(m)).toBe(e.stages);
    if (e.type === 'mlProgram') expect(String(m.info.get('opset'))).toMatch(/^CoreML\d$/);
    // Every node has a kind from the table (or a deliberate unknown), never an empty one.
    for (const g of m.allGraphs()) for (const n of g.nodes) expect(n.kind).not.toBe('');
    // Reading (what linting does) loads no weights.
    expect(Tensor.readCount).toBe(before);
  });
});

describe.skipIf(!HAVE_CORPUS)('Core ML corpus: flexible shapes', () => {
  it('records ranged and enumerated inputs so a rule can tell them apart', () => {
    const enumerated = readModel(corpusPath('converted/tiny_enumerated_shapes_ios17.mlpackage'));
    expect(enumerated.info.get('flexibleShape:x')).toBe('enumerated 1x3x64x64 | 1x3x128x128 | 1x3x96x160');
    expect(enumerated.graph.inputs[0]!.type).toEqual({ kind: 'tensor', dtype: 'float16', shape: [1, 3, null, null] });
    const ranged = readModel(corpusPath('converted/tiny_range_shapes.mlmodel'));
    expect(ranged.info.get('flexibleShape:x')).toBe('range 1..1 x 3..3 x 32..256 x 32..256');
    expect(ranged.graph.inputs[0]!.type).toEqual({ kind: 'tensor', dtype: 'float32', shape: [1, 3, null, null] });
    const compiled = readModel(corpusPath('real/compiled/TransposeEncoder.mlmodelc'));
    expect(compiled.info.get('flexibleShape:x')).toBe('range 1..1 x 1..2048 x 1..2048');
    expect(compiled.info.get('flexibleShapes')).toBe('x');
  });

  it('keeps MIL constants lazy and BLOBFILE weights on disk', () => {
    const m = readModel(corpusPath('converted/mobilenet_v3_small.mlpackage'));
    const consts = [...m.nodes()].filter((n) => n.kind === 'const');
    const blobs = consts.map((n) => n.outputs[0]!.constant!).filter((t) => t.storage.kind === 'external');
    expect(blobs.length).toBe(88);
    expect(blobs.every((t) => !t.loaded)).toBe(true);
    const before = Tensor.readCount;
    expect(blobs[0]!.bytes().byteLength).toBe(blobs[0]!.byteLength);
    expect(Tensor.readCount).toBe(before + 1);
  });

  it('reads a model whose weight files are absent, and says so when asked for the weights', () => {
    const m = readModel(corpusPath('real/partial/parakeet_eou_1280ms_streaming_encoder.mlpackage'));
    const missing = [...m.nodes()].map((n) => n.outputs[0]?.constant).filter((t) => t?.storage.kind === 'missing');
    expect(missing.length).toBe(457);
    expect(() => missing[0]!.bytes()).toThrow(/not present/);
  });

  it('gives MIL named arguments as inputNames, list arguments as repeated names', () => {
    const m = readModel(corpusPath('real/partial/parakeet_eou_1280ms_streaming_encoder.mlmodelc'));
    const concat = [...m.nodes()].find((n) => n.op === 'concat')!;
    expect(concat.inputNames).toEqual(['axis', 'interleave', 'values', 'values']);
    expect(concat.input('axis')?.constant?.numbers()).toEqual([2]);
    expect(concat.kind).toBe('concat');
  });
});
