/**
 * Which ONNX op types ONNX Runtime's Core ML execution provider can claim at all, per model
 * format it builds (ML Program or NeuralNetwork). This is the op-type gate only: a listed op
 * is still refused when a per-op condition fails (constant inputs, ranks, modes: E5) or an
 * input is unsupported (E2, E3). Ops that are not listed have no builder and are never
 * claimed.
 *
 * Source of truth: the builders, not the published tables (E7). Read from
 * onnxruntime/core/providers/coreml/builders/op_builder_factory.cc (which op types have a
 * builder) and impl/*_op_builder.cc (SupportsMLProgram, and checks that refuse a whole op
 * type in one format) at onnxruntime commit cee6c0d91e583d43f5ecef6391e93c19b4042c0f
 * (2026-03-13, the same commit as fixtures/ort-usability). Written down in our own words.
 *
 * Known differences from the published tables at that commit (checked against the real
 * checker run in fixtures/ort-usability): the ML Program table leaves out BatchNormalization,
 * Gather, ReduceMin and ReduceProd although their builders accept ML Program; Flatten, Pad
 * and LRN have builders for NeuralNetwork only; HardSigmoid, Neg, Log, LSTM and If have no
 * builder in either format.
 */

import type { CoremlFormat } from '../engine/rule.js';
export type { CoremlFormat };
export const COREML_FORMATS: readonly CoremlFormat[] = ['mlprogram', 'neuralnetwork'];

export interface CoremlEpOpSupport {
  /** A builder exists and accepts this op type when the provider creates an ML Program. */
  readonly mlprogram: boolean;
  /** A builder exists and accepts this op type when the provider creates a NeuralNetwork. */
  readonly neuralnetwork: boolean;
  /** The fact the entry rests on (facts.ts). */
  readonly fact: string;
  /** Why a format is refused, or the main condition a claimed op still has to meet. */
  readonly note?: string;
}

/** The onnxruntime commit the table was read from. */
export const COREML_EP_SOURCE_COMMIT = 'cee6c0d91e583d43f5ecef6391e93c19b4042c0f';

const BOTH = { mlprogram: true, neuralnetwork: true, fact: 'E7' } as const;
const ML_PROGRAM_ONLY = { mlprogram: true, neuralnetwork: false, fact: 'E7' } as const;
const NEURAL_NETWORK_ONLY = { mlprogram: false, neuralnetwork: true, fact: 'E7' } as const;

/** ONNX op type (default domain) → what the provider's builders accept. */
export const COREML_EP_OPS: Readonly<Record<string, CoremlEpOpSupport>> = {
  // activations
  Sigmoid: BOTH,
  Tanh: BOTH,
  Relu: BOTH,
  PRelu: { ...BOTH, note: 'the slope must be a constant of shape [C,1,1] or a single value; input rank 3 or 4' },
  LeakyRelu: BOTH,
  Gelu: { ...ML_PROGRAM_ONLY, note: 'the activation builder refuses Gelu when building a NeuralNetwork' },
  Softplus: { ...ML_PROGRAM_ONLY, note: 'the activation builder refuses Softplus when building a NeuralNetwork' },
  Elu: { ...ML_PROGRAM_ONLY, note: 'the activation builder refuses Elu when building a NeuralNetwork' },
  // unary
  Erf: { ...ML_PROGRAM_ONLY, note: 'the unary builder refuses Erf when building a NeuralNetwork' },
  Round: { ...ML_PROGRAM_ONLY, note: 'the unary builder refuses Round when building a NeuralNetwork' },
  Exp: { ...ML_PROGRAM_ONLY, note: 'the unary builder refuses Exp when building a NeuralNetwork' },
  Reciprocal: BOTH,
  Sqrt: BOTH,
  // binary elementwise
  Add: BOTH,
  Sub: BOTH,
  Mul: BOTH,
  Div: BOTH,
  Pow: { ...BOTH, note: 'both inputs must have the same element type' },
  Max: { ...ML_PROGRAM_ONLY, note: 'the binary builder refuses Max when building a NeuralNetwork' },
  // pooling
  AveragePool: { ...BOTH, note: '2-D pooling on rank-4 input only' },
  MaxPool: { ...BOTH, note: '2-D pooling on rank-4 input only' },
  GlobalAveragePool: { ...BOTH, note: 'rank-4 input only' },
  GlobalMaxPool: { ...BOTH, note: 'rank-4 input only' },
  // reductions
  ReduceMean: { ...BOTH, note: 'axes must be constant' },
  ReduceSum: { ...BOTH, note: 'axes must be constant' },
  ReduceMax: { ...ML_PROGRAM_ONLY, note: 'the reduction builder refuses ReduceMax when building a NeuralNetwork' },
  ReduceMin: { ...ML_PROGRAM_ONLY, note: 'the reduction builder refuses ReduceMin when building a NeuralNetwork' },
  ReduceProd: { ...ML_PROGRAM_ONLY, note: 'the reduction builder refuses ReduceProd when building a NeuralNetwork' },
  // normalization
  BatchNormalization: { ...BOTH, note: 'rank-4 input, constant scale, bias, mean and variance' },
  LayerNormalization: { ...ML_PROGRAM_ONLY, note: 'the normalization builder accepts ML Program only; scale and bias must be constant' },
  InstanceNormalization: { ...ML_PROGRAM_ONLY, note: 'the normalization builder accepts ML Program only; scale and bias must be constant' },
  GroupNormalization: { ...ML_PROGRAM_ONLY, note: 'the normalization builder accepts ML Program only; scale and bias must be constant' },
  LRN: { ...NEURAL_NETWORK_ONLY, note: 'the LRN builder does not support ML Program' },
  // everything else with a builder
  ArgMax: { ...BOTH, note: 'select_last_index is not supported' },
  Cast: { ...BOTH, note: 'NeuralNetwork: only an int64 → int32 Cast right after ArgMax' },
  Clip: BOTH,
  Concat: { ...BOTH, note: 'NeuralNetwork: rank-4 inputs concatenated on the channel axis only' },
  Conv: { ...BOTH, note: '1-D or 2-D, constant weight and bias, no dimension above 16384 (E4)' },
  ConvTranspose: { ...ML_PROGRAM_ONLY, note: 'the ConvTranspose builder requires ML Program; constant weight' },
  DepthToSpace: BOTH,
  Flatten: { ...NEURAL_NETWORK_ONLY, note: 'the Flatten builder does not support ML Program' },
  Gather: { ...BOTH, note: 'no scalar indices, output rank ≤ 5 (E5)' },
  Gemm: { ...BOTH, note: 'constant B, transA 0, alpha = beta = 1 (E5)' },
  MatMul: { ...BOTH, note: 'ML Program: constant B (E5)' },
  GridSample: { ...ML_PROGRAM_ONLY, note: 'the GridSample builder requires ML Program; rank-4 input' },
  Pad: { ...NEURAL_NETWORK_ONLY, note: 'the Pad builder does not support ML Program; constant mode, constant non-negative pads on the last two axes' },
  Reshape: { ...BOTH, note: 'constant shape (E5)' },
  Resize: { ...BOTH, note: 'constant scales or sizes, last two axes only (E5)' },
  Shape: BOTH,
  Slice: { ...BOTH, note: 'constant starts, ends, axes and steps (E5)' },
  Softmax: BOTH,
  Split: { ...BOTH, note: 'constant splits (E5)' },
  Squeeze: { ...BOTH, note: 'constant axes' },
  Transpose: BOTH,
  Unsqueeze: { ...ML_PROGRAM_ONLY, note: 'the squeeze builder refuses Unsqueeze when building a NeuralNetwork' },
};

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

const NONE: CoremlEpOpSupport = { mlprogram: false, neuralnetwork: false, fact: 'E7' };

/**
 * The provider's op-type gate for one node: the table entry, or "no builder" for op types
 * it does not list and for ops outside the default ONNX domain.
 */
export function coremlEpOpSupport(op: string, domain: string): CoremlEpOpSupport & { readonly hasBuilder: boolean } {
  const entry = DEFAULT_DOMAINS.has(domain) ? COREML_EP_OPS[op] : undefined;
  return entry ? { ...entry, hasBuilder: true } : { ...NONE, hasBuilder: false };
}

/** True when the provider has a builder that accepts this op type in `format`. */
export function coremlEpClaimsOpType(op: string, domain: string, format: CoremlFormat): boolean {
  const s = coremlEpOpSupport(op, domain);
  return format === 'mlprogram' ? s.mlprogram : s.neuralnetwork;
}
