import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import protobuf from 'protobufjs';
import { descriptor as onnxDescriptor } from '../../proto/onnx.schema.js';
import { newManifest } from '../../src/formats/coreml/mlpackage.js';
import { writeOnnx } from '../../src/formats/onnx/index.js';
import { float, ModelBuilder } from '../../src/ir/build.js';
import type { Graph } from '../../src/ir/graph.js';
import { encodeModel, programSpec, weightFile } from '../formats/coreml/build.js';

/**
 * Seed models for the fuzz harness: models built here (so the suite runs without the
 * corpus) and, when ../shared/corpus is beside the checkout, the corpus files. A seed is
 * a set of files relative to a case directory, with the model at `entry`.
 */

export const FORMATS = ['onnx', 'mlmodel', 'mlpackage', 'mlmodelc', 'mil'] as const;
export type Format = (typeof FORMATS)[number];

export interface SeedFile {
  readonly rel: string;
  readonly data: Uint8Array;
}

export interface Seed {
  readonly name: string;
  readonly format: Format;
  /** The model, relative to the case directory. */
  readonly entry: string;
  readonly files: readonly SeedFile[];
  readonly size: number;
}

function seed(name: string, format: Format, entry: string, files: SeedFile[]): Seed {
  return { name, format, entry, files, size: files.reduce((n, f) => n + f.data.length, 0) };
}

// ---- ONNX -----------------------------------------------------------------------------------

function floatsOf(n: number, k = 1): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(i * k) * 0.5);
}

/** Writes a builder's model with our writer and returns its files. */
function onnxFiles(b: ModelBuilder, external = false): SeedFile[] {
  const dir = mkdtempSync(join(tmpdir(), 'graphlint-fuzz-seed-'));
  try {
    const path = join(dir, 'm.onnx');
    writeOnnx(b.model, path, external ? { externalData: { location: 'weights.bin', minBytes: 256 } } : {});
    return readdirSync(dir).sort().map((f) => ({ rel: f, data: readFileSync(join(dir, f)) }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function convNet(): ModelBuilder {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', 'float32', [1, 3, 16, 16]);
  const w = b.constant('w', 'float32', [8, 3, 3, 3], floatsOf(8 * 27));
  const bias = b.constant('b', 'float32', [8], floatsOf(8, 3));
  const c = b.op('Conv', [x, w, bias], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] });
  const r = b.op('Relu', [c]);
  const p = b.op('Pad', [r, b.constant('pads', 'int64', [8], [0, 0, 1, 1, 0, 0, 1, 1])], { mode: 'reflect' });
  const m = b.op('MaxPool', [p], { kernel_shape: [2, 2], strides: [2, 2] });
  const g = b.op('GlobalAveragePool', [m]);
  const s = b.op('Reshape', [g, b.constant('shape', 'int64', [2], [1, -1])]);
  const fc = b.op('Gemm', [s, b.constant('fc', 'float32', [8, 4], floatsOf(32, 5)), b.constant('fcb', 'float32', [4], [0, 0, 0, 0])]);
  b.output(b.op('Softmax', [fc], { axis: 1 }), 'float32', [1, 4]);
  return b;
}

function layerNormNet(): ModelBuilder {
  const b = new ModelBuilder({ opset: 13 });
  const x = b.input('x', 'float32', ['batch', 16, 64]);
  const mean = b.op('ReduceMean', [x], { axes: [-1], keepdims: 1 });
  const d = b.op('Sub', [x, mean]);
  const sq = b.op('Pow', [d, b.constant('two', 'float32', [], [2])]);
  const v = b.op('ReduceMean', [sq], { axes: [-1], keepdims: 1 });
  const e = b.op('Add', [v, b.constant('eps', 'float32', [], [1e-12])]);
  const n = b.op('Div', [d, b.op('Sqrt', [e])]);
  const y = b.op('Add', [b.op('Mul', [n, b.constant('gamma', 'float32', [64], floatsOf(64))]), b.constant('beta', 'float32', [64], floatsOf(64, 2))]);
  // GELU (erf form) and SiLU after it.
  const h = b.op('Mul', [y, b.constant('rsqrt2', 'float32', [], [Math.SQRT1_2])]);
  const erf = b.op('Add', [b.op('Erf', [h]), b.constant('one', 'float32', [], [1])]);
  const gelu = b.op('Mul', [b.op('Mul', [y, erf]), b.constant('half', 'float32', [], [0.5])]);
  const silu = b.op('Mul', [gelu, b.op('Sigmoid', [gelu])]);
  const t = b.op('Transpose', [silu], { perm: [0, 2, 1] });
  const mm = b.op('MatMul', [b.op('Transpose', [t], { perm: [0, 2, 1] }), b.constant('proj', 'float32', [64, 32], floatsOf(64 * 32, 7))]);
  b.output(mm, 'float32', ['batch', 16, 32]);
  return b;
}

function dynamicNet(): ModelBuilder {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('audio', 'float32', ['batch', 'samples']);
  const shape = b.op('Shape', [x]);
  const n = b.op('Gather', [shape, b.constant('idx0', 'int64', [], [0])], { axis: 0 });
  const un = b.op('Unsqueeze', [n, b.constant('ax0', 'int64', [1], [0])]);
  const target = b.op('Concat', [un, b.constant('minus1', 'int64', [1], [-1]), b.constant('c1', 'int64', [1], [1])], { axis: 0 });
  const r = b.op('Reshape', [x, target]);
  const frames: ReturnType<ModelBuilder['op']>[] = [];
  for (let i = 0; i < 6; i++) {
    frames.push(b.op('Slice', [r, b.constant(`s${i}`, 'int64', [1], [i * 8]), b.constant(`e${i}`, 'int64', [1], [i * 8 + 16]), b.constant(`a${i}`, 'int64', [1], [1])]));
  }
  const cat = b.op('Concat', frames, { axis: 2 });
  const top = b.opN('TopK', [b.op('Flatten', [cat], { axis: 1 }), b.constant('k', 'int64', [1], [3])], 2, { axis: 1 });
  const nz = b.op('NonZero', [b.op('Cast', [top[1]!], { to: 9 })]);
  b.output(top[0]!, 'float32', ['batch', 3]);
  b.output(nz, 'int64', [2, null]);
  return b;
}

function controlFlowNet(depth: number): ModelBuilder {
  const b = new ModelBuilder({ opset: 17 });
  const cond = b.input('cond', 'bool', []);
  const x = b.input('x', 'float32', [1, 8]);
  const branch = (level: number, slot: string, parent: Graph): Graph => {
    const g = b.subgraph(slot, parent);
    let y;
    // Only the then-branch goes deeper: the else-branch is a leaf (2^depth graphs otherwise).
    if (level >= depth || slot.startsWith('else')) y = b.op(slot.startsWith('then') ? 'Relu' : 'Neg', [x], {}, { graph: g });
    else y = b.op('If', [cond], { then_branch: branch(level + 1, 'then_branch', g), else_branch: branch(level + 1, 'else_branch', g) }, { graph: g });
    b.output(y, 'float32', [1, 8], g);
    return g;
  };
  const out = b.op('If', [cond], { then_branch: branch(1, 'then_branch', b.graph), else_branch: branch(1, 'else_branch', b.graph) });
  // A Loop whose body adds a constant to the carried value.
  const body = b.subgraph('body');
  b.input('i', 'int64', [], body);
  const c = b.input('c', 'bool', [], body);
  const v = b.input('v', 'float32', [1, 8], body);
  b.output(b.op('Identity', [c], {}, { graph: body }), 'bool', [], body);
  b.output(b.op('Add', [v, b.constant('inc', 'float32', [8], floatsOf(8), body)], {}, { graph: body }), 'float32', [1, 8], body);
  const loop = b.op('Loop', [b.constant('trips', 'int64', [], [3]), cond, out], { body });
  b.output(b.op('LeakyRelu', [loop], { alpha: float(0.1) }), 'float32', [1, 8]);
  return b;
}

function externalNet(): ModelBuilder {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', 'float32', [1, 64]);
  const w = b.constant('w', 'float32', [64, 32], floatsOf(64 * 32, 3));
  const y = b.op('MatMul', [x, w]);
  b.output(b.op('Add', [y, b.constant('bias', 'float32', [32], floatsOf(32))]), 'float32', [1, 32]);
  return b;
}

/** Tensors stored in typed fields (not raw_data), a function, sparse and string data: written by protobufjs. */
function typedFieldsModel(): Uint8Array {
  const root = protobuf.Root.fromJSON(onnxDescriptor as protobuf.INamespace);
  const M = root.lookupType('graphlint.onnx.Model');
  const t = (name: string, data_type: number, dims: number[], field: string, values: unknown[]): object => ({ name, data_type, dims, [field]: values });
  const vi = (name: string, elem: number, dims: number[]): object => ({
    name, type: { tensor_type: { elem_type: elem, shape: { dim: dims.map((d) => ({ dim_value: d })) } } },
  });
  return M.encode(M.fromObject({
    ir_version: 8,
    producer_name: 'fuzz',
    opset_import: [{ domain: '', version: 17 }, { domain: 'local', version: 1 }],
    metadata_props: [{ key: 'k', value: 'v' }],
    graph: {
      name: 'typed',
      initializer: [
        t('f', 1, [2, 2], 'float_data', [1, 2, 3, 4]),
        t('i8', 3, [4], 'int32_data', [1, -2, 3, -4]),
        t('i64', 7, [2], 'int64_data', [2, -1]),
        t('d', 11, [2], 'double_data', [0.5, 1.5]),
        t('u64', 13, [1], 'uint64_data', [7]),
        t('h', 10, [2], 'int32_data', [0x3c00, 0x4000]),
        t('s', 8, [2], 'string_data', [Buffer.from('a'), Buffer.from('bc')]),
        t('b', 9, [3], 'int32_data', [1, 0, 1]),
        t('i4', 22, [3], 'int32_data', [0x21, 0x03]),
      ],
      sparse_initializer: [{ values: t('sv', 1, [2], 'float_data', [1, 2]), indices: t('si', 7, [2], 'int64_data', [0, 3]), dims: [4] }],
      input: [vi('x', 1, [2, 2])],
      node: [
        { op_type: 'Add', input: ['x', 'f'], output: ['a'], name: 'add' },
        { op_type: 'Reshape', input: ['a', 'i64'], output: ['r'] },
        { op_type: 'Twice', domain: 'local', input: ['r'], output: ['y'] },
        { op_type: 'Constant', output: ['c'], attribute: [{ name: 'value', type: 4, t: t('cv', 1, [1], 'float_data', [3]) }] },
        { op_type: 'Mul', input: ['y', 'c'], output: ['z'], attribute: [{ name: 'note', type: 3, s: Buffer.from('hi') }, { name: 'ints', type: 7, ints: [1, 2, 3] }, { name: 'fs', type: 6, floats: [0.5] }] },
      ],
      output: [vi('z', 1, [4])],
      value_info: [vi('a', 1, [2, 2])],
    },
    functions: [{
      name: 'Twice', domain: 'local', input: ['t_in'], output: ['t_out'], opset_import: [{ domain: '', version: 17 }],
      node: [{ op_type: 'Add', input: ['t_in', 't_in'], output: ['t_out'] }],
    }],
  })).finish();
}

export function builtOnnxSeeds(): Seed[] {
  const typed = typedFieldsModel();
  return [
    seed('built:conv', 'onnx', 'm.onnx', onnxFiles(convNet())),
    seed('built:layernorm-gelu', 'onnx', 'm.onnx', onnxFiles(layerNormNet())),
    seed('built:dynamic', 'onnx', 'm.onnx', onnxFiles(dynamicNet())),
    seed('built:control-flow', 'onnx', 'm.onnx', onnxFiles(controlFlowNet(3))),
    seed('built:nested-if-40', 'onnx', 'm.onnx', onnxFiles(controlFlowNet(40))),
    seed('built:external-data', 'onnx', 'm.onnx', onnxFiles(externalNet(), true)),
    seed('built:typed-fields', 'onnx', 'm.onnx', [{ rel: 'm.onnx', data: typed }]),
  ];
}

// ---- Core ML --------------------------------------------------------------------------------

/** A NeuralNetwork: convolution, activation, pooling, inner product, softmax. */
export function neuralNetworkSpec(): Uint8Array {
  const arr = (name: string, shape: number[]): object => ({ name, type: { multiArrayType: { shape, dataType: 0x10020 } } });
  return encodeModel({
    specificationVersion: 4,
    description: { input: [arr('x', [3, 8, 8])], output: [arr('y', [4])], metadata: { author: 'fuzz', userDefined: { k: 'v' } } },
    neuralNetwork: {
      layers: [
        { name: 'conv', input: ['x'], output: ['c'], convolution: {
          outputChannels: 4, kernelChannels: 3, kernelSize: [3, 3], stride: [1, 1], dilationFactor: [1, 1], valid: {},
          hasBias: true, weights: { floatValue: floatsOf(4 * 3 * 9) }, bias: { floatValue: [0, 0, 0, 0] } } },
        { name: 'relu', input: ['c'], output: ['r'], activation: { ReLU: {} } },
        { name: 'pool', input: ['r'], output: ['p'], pooling: { type: 1, kernelSize: [6, 6], stride: [1, 1], valid: {} } },
        { name: 'fc', input: ['p'], output: ['f'], innerProduct: { inputChannels: 4, outputChannels: 4, hasBias: false, weights: { floatValue: floatsOf(16) } } },
        { name: 'soft', input: ['f'], output: ['y'], softmax: {} },
      ],
    },
  });
}

function pipelineSpec(): Uint8Array {
  const arr = (name: string): object => ({ name, type: { multiArrayType: { shape: [4], dataType: 0x10020 } } });
  return encodeModel({
    specificationVersion: 5,
    description: { input: [arr('x')], output: [arr('z')] },
    pipeline: {
      names: ['one', 'two'],
      models: [
        { specificationVersion: 4, description: { input: [arr('x')], output: [arr('y')] },
          neuralNetwork: { layers: [{ name: 'a', input: ['x'], output: ['y'], activation: { sigmoid: {} } }] } },
        { specificationVersion: 4, description: { input: [arr('y')], output: [arr('z')] },
          neuralNetwork: { layers: [{ name: 'b', input: ['y'], output: ['z'], activation: { tanh: {} } }] } },
      ],
    },
  });
}

const WEIGHTS = '@model_path/weights/weight.bin';

/** MIL text in coremlc's program(1.0) style, reading one weight blob. */
export const MIL_V10 = `program(1.0)
[buildInfo = dict<tensor<string, []>, tensor<string, []>>({{"coremlc-version", "3500.32.1"}})]
{
    func main<ios17>(tensor<fp32, [1, 4]> a, tensor<fp32, [1, 4]> b) {
            tensor<int32, []> axis_0 = const()[name = tensor<string, []>("axis_0"), val = tensor<int32, []>(1)];
            tensor<fp32, [4]> w_0 = const()[name = tensor<string, []>("w_0"), val = tensor<fp32, [4]>(BLOBFILE(path = tensor<string, []>("${WEIGHTS}"), offset = tensor<uint64, []>(64)))];
            tensor<fp16, []> half_0 = const()[name = tensor<string, []>("half_0"), val = tensor<fp16, []>(-0x1.8p-3)];
            tensor<fp32, [1, 4]> s_0 = add(x = a, y = w_0)[name = tensor<string, []>("s_0")];
            tensor<fp32, [1, 8]> cat_0 = concat(axis = axis_0, interleave = tensor<bool, []>(false), values = (s_0, b))[name = tensor<string, []>("cat_0")];
            tensor<fp32, [1, 4]> p_0, tensor<fp32, [1, 4]> p_1 = split(axis = axis_0, num_splits = tensor<int32, []>(2), x = cat_0)[name = tensor<string, []>("split_0")];
            tensor<fp32, [1, 4]> g_0 = gelu(mode = tensor<string, []>("EXACT"), x = p_0)[name = tensor<string, []>("g_0")];
            tensor<int32, [2]> shape_0 = const()[name = tensor<string, []>("shape_0"), val = tensor<int32, [2]>([2, 2])];
            tensor<fp32, [2, 2]> r_0 = reshape(shape = shape_0, x = g_0)[name = tensor<string, []>("r_0")];
        } -> (r_0, p_1);
}
`;

/** MIL text in program(1.3) style: bare scalars, two functions, flexible shapes. */
export const MIL_V13 = `program(1.3)
[buildInfo = dict<string, string>({{"coremlc-version", "3600.25.1"}})]
{
    func main<ios18>(tensor<fp32, [?]> x) [FlexibleShapeInformation = tuple<tuple<string, dict<string, tensor<int32, [?]>>>, tuple<string, dict<string, list<tensor<int32, [2]>, ?>>>>((("DefaultShapes", {{"x", [4]}}), ("RangeDims", {{"x", [[1, -1]]}})))] {
            tensor<fp16, [3]> h = const()[val = tensor<fp16, [3]>([0x1p-24, 0x1.ff8p-15, -inf])];
            tensor<fp32, [?]> y = cast(dtype = string("fp32"), x = x);
            tensor<fp32, [?]> z = layer_norm(axes = [0], epsilon = fp32(0x1p-40), x = y);
        } -> (z);
    func second<ios18>(tensor<fp32, [4]> x) {
            tensor<fp32, [4]> w = const()[val = tensor<fp32, [4]>(BLOBFILE(path = string("${WEIGHTS}"), offset = uint64(64)))];
            tensor<fp32, [4]> z = add(x = x, y = w);
        } -> (z);
}
`;

const METADATA = JSON.stringify([{
  specificationVersion: 8, computePrecision: 'Mixed (Float16, Float32, Int32)', isUpdatable: '0', shortDescription: 'fuzz',
  modelType: { name: 'MLModelType_mlProgram' }, userDefinedMetadata: { k: 'v' },
  inputSchema: [{ name: 'a', type: 'MultiArray', shape: '[1, 4]', dataType: 'Float32' }],
  outputSchema: [{ name: 'r_0', type: 'MultiArray', shape: '[2, 2]', dataType: 'Float32' }],
}], null, 2);

/** coremldata.bin with a `spec` payload (a whole Model protobuf) or a `generic` one (a ModelDescription). */
export function coremldata(kind: 'spec' | 'generic', body: Uint8Array, typeTag = 502): Buffer {
  const head = Buffer.alloc(0x24 + kind.length + 32);
  head.writeUInt32LE(typeTag, 0);
  head.writeBigUInt64LE(BigInt(kind.length), 0x1c);
  head.write(kind, 0x24, 'latin1');
  head.writeBigUInt64LE(8n, 0x24 + kind.length);
  if (kind === 'spec') return Buffer.concat([head, body]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(body.length));
  return Buffer.concat([head, len, body, Buffer.alloc(16)]);
}

function descriptionBytes(): Uint8Array {
  const M = encodeModel({ specificationVersion: 8, description: { input: [{ name: 'a', type: { multiArrayType: { shape: [1, 4], dataType: 0x10020 } } }] } });
  // The description is field 2 of the Model: strip the tag and length.
  let at = 2; // field 1 (a varint) is two bytes
  if (M[at] !== 0x12) throw new Error('invariant: unexpected encoding of the description');
  at++;
  let len = 0;
  let shift = 0;
  while (M[at]! & 0x80) len |= (M[at++]! & 0x7f) << shift, shift += 7;
  len |= M[at++]! << shift;
  return M.subarray(at, at + len);
}

export function builtCoremlSeeds(): Seed[] {
  const blobSpec = programSpec({ blob: { fileName: WEIGHTS, offset: 64 } });
  const pkg = (name: string, spec: Uint8Array, weights?: Buffer): Seed => seed(name, 'mlpackage', 'm.mlpackage', [
    { rel: 'm.mlpackage/Manifest.json', data: Buffer.from(newManifest(weights !== undefined).text) },
    { rel: 'm.mlpackage/Data/com.apple.CoreML/model.mlmodel', data: spec },
    ...(weights ? [{ rel: 'm.mlpackage/Data/com.apple.CoreML/weights/weight.bin', data: weights }] : []),
  ]);
  const wf = weightFile();
  return [
    seed('built:program-inline', 'mlmodel', 'm.mlmodel', [{ rel: 'm.mlmodel', data: programSpec() }]),
    seed('built:program-blob', 'mlmodel', 'm.mlmodel', [{ rel: 'm.mlmodel', data: blobSpec }, { rel: 'weights/weight.bin', data: wf }]),
    seed('built:neuralnetwork', 'mlmodel', 'm.mlmodel', [{ rel: 'm.mlmodel', data: neuralNetworkSpec() }]),
    seed('built:pipeline', 'mlmodel', 'm.mlmodel', [{ rel: 'm.mlmodel', data: pipelineSpec() }]),
    pkg('built:package-blob', blobSpec, wf),
    pkg('built:package-inline', programSpec()),
    pkg('built:package-nn', neuralNetworkSpec()),
    seed('built:bundle-mil', 'mlmodelc', 'm.mlmodelc', [
      { rel: 'm.mlmodelc/model.mil', data: Buffer.from(MIL_V10) },
      { rel: 'm.mlmodelc/metadata.json', data: Buffer.from(METADATA) },
      { rel: 'm.mlmodelc/coremldata.bin', data: coremldata('generic', descriptionBytes()) },
      { rel: 'm.mlmodelc/weights/weight.bin', data: wf },
    ]),
    seed('built:bundle-spec', 'mlmodelc', 'm.mlmodelc', [
      { rel: 'm.mlmodelc/coremldata.bin', data: coremldata('spec', neuralNetworkSpec(), 500) },
    ]),
    seed('built:bundle-v13', 'mlmodelc', 'm.mlmodelc', [
      { rel: 'm.mlmodelc/model.mil', data: Buffer.from(MIL_V13) },
      { rel: 'm.mlmodelc/weights/weight.bin', data: wf },
    ]),
    seed('built:mil-v10', 'mil', 'model.mil', [{ rel: 'model.mil', data: Buffer.from(MIL_V10) }, { rel: 'weights/weight.bin', data: wf }]),
    seed('built:mil-v13', 'mil', 'model.mil', [{ rel: 'model.mil', data: Buffer.from(MIL_V13) }, { rel: 'weights/weight.bin', data: wf }]),
  ];
}

// ---- corpus ---------------------------------------------------------------------------------

const EXT: ReadonlyArray<readonly [RegExp, Format]> = [
  [/\.onnx$/, 'onnx'], [/\.mlmodel$/, 'mlmodel'], [/\.mlpackage$/, 'mlpackage'], [/\.mlmodelc$/, 'mlmodelc'], [/\.mil$/, 'mil'],
];

/** Every corpus model up to `maxBytes` (all files of a package counted), or [] when there is no corpus. */
export function corpusSeeds(corpus: string, maxBytes = Infinity): Seed[] {
  if (!existsSync(corpus)) return [];
  const out: Seed[] = [];
  const visit = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = lstatSync(p);
      const format = EXT.find(([re]) => re.test(name))?.[1];
      if (format) {
        const entry = format === 'mil' ? 'model.mil' : `m${name.slice(name.lastIndexOf('.'))}`;
        const files = st.isDirectory() ? readTree(p, entry) : st.isFile() ? [{ rel: entry, data: readFileSync(p) }] : [];
        const s = seed(`corpus:${relative(corpus, p)}`, format, entry, files);
        if (files.length > 0 && s.size <= maxBytes) out.push(s);
        // The model.mil of a compiled bundle is also a MIL text seed.
        const mil = files.find((f) => f.rel.endsWith('/model.mil'));
        if (format === 'mlmodelc' && mil && mil.data.length <= maxBytes) {
          out.push(seed(`corpus:${relative(corpus, p)}/model.mil`, 'mil', 'model.mil', [{ rel: 'model.mil', data: mil.data }]));
        }
      } else if (st.isDirectory()) {
        visit(p);
      }
    }
  };
  visit(corpus);
  return out;
}

function readTree(root: string, prefix: string): SeedFile[] {
  const out: SeedFile[] = [];
  const visit = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = lstatSync(p);
      if (st.isDirectory()) visit(p);
      else if (st.isFile()) out.push({ rel: join(prefix, relative(root, p)), data: readFileSync(p) });
    }
  };
  visit(root);
  return out;
}
