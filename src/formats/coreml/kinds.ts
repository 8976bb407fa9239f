/**
 * THE table of Core ML op kinds: NeuralNetwork layer types and ML Program (MIL) op types
 * → the canonical kind shared by all formats (spelled as MIL spells it).
 *
 * `unknown` entries are deliberate: the layer has no single MIL counterpart, and rules
 * that care match on `op`. A layer whose kind depends on its parameters (activation,
 * unary, reduce, pooling, ...) names the parameter here and resolves it in nnLayerKind.
 */

/** NeuralNetworkLayer oneof field name → kind ('=param' entries are resolved from params). */
export const NN_LAYER_KINDS: Readonly<Record<string, string>> = {
  convolution: '=convolution', // conv, or conv_transpose when isDeconvolution
  pooling: '=pooling', // max_pool / avg_pool / l2_pool by type
  activation: '=activation', // by the nonlinearity that is set
  innerProduct: 'linear',
  embedding: 'gather', // a table lookup: MIL expresses it as gather
  batchnorm: '=batchnorm', // batch_norm, or instance_norm when instanceNormalization
  mvn: '=mvn', // across channels: layer_norm over C,H,W; else instance_norm (no affine)
  l2normalize: 'l2_norm',
  softmax: 'softmax',
  lrn: 'local_response_norm',
  crop: 'crop',
  padding: 'pad',
  upsample: '=upsample', // upsample_nearest_neighbor / upsample_bilinear by mode
  resizeBilinear: 'resize_bilinear',
  cropResize: 'crop_resize',
  unary: '=unary', // sqrt, rsqrt, inverse, pow, exp, log, abs, threshold by type
  add: 'add',
  multiply: 'mul',
  average: 'unknown', // element-wise mean of inputs: no MIL op
  scale: 'mul', // multiply by a constant (plus optional bias)
  bias: 'add',
  max: 'maximum',
  min: 'minimum',
  dot: 'unknown', // cosine/dot of two vectors: no MIL op
  reduce: '=reduce', // reduce_* by mode
  loadConstant: 'const',
  reshape: 'reshape',
  flatten: 'reshape',
  permute: 'transpose',
  concat: 'concat',
  split: 'split',
  sequenceRepeat: 'tile',
  reorganizeData: 'unknown', // space_to_depth / depth_to_space / pixel_shuffle by mode (kept as bytes)
  slice: 'slice_by_index',
  simpleRecurrent: 'rnn',
  gru: 'gru',
  uniDirectionalLSTM: 'lstm',
  biDirectionalLSTM: 'lstm',
  custom: 'unknown', // user code: nothing to know
  copy: 'identity',
  branch: 'cond',
  loop: 'while_loop',
  loopBreak: 'unknown', // control inside a loop body: no MIL op
  loopContinue: 'unknown',
  rangeStatic: 'range_1d',
  rangeDynamic: 'range_1d',
  clip: 'clip', ceil: 'ceil', floor: 'floor', sign: 'sign', round: 'round', exp2: 'exp2',
  sin: 'sin', cos: 'cos', tan: 'tan', asin: 'asin', acos: 'acos', atan: 'atan',
  sinh: 'sinh', cosh: 'cosh', tanh: 'tanh', atanh: 'atanh',
  asinh: 'unknown', acosh: 'unknown', // MIL has no inverse hyperbolic sine/cosine
  erf: 'erf', gelu: 'gelu',
  equal: 'equal', notEqual: 'not_equal', lessThan: 'less', lessEqual: 'less_equal',
  greaterThan: 'greater', greaterEqual: 'greater_equal',
  logicalOr: 'logical_or', logicalXor: 'logical_xor', logicalNot: 'logical_not', logicalAnd: 'logical_and',
  modBroadcastable: 'mod', minBroadcastable: 'minimum', maxBroadcastable: 'maximum',
  addBroadcastable: 'add', powBroadcastable: 'pow', divideBroadcastable: 'real_div',
  floorDivBroadcastable: 'floor_div', multiplyBroadcastable: 'mul', subtractBroadcastable: 'sub',
  tile: 'tile', stack: 'stack', gather: 'gather', scatter: 'scatter', gatherND: 'gather_nd',
  scatterND: 'scatter_nd', softmaxND: 'softmax', gatherAlongAxis: 'gather_along_axis',
  scatterAlongAxis: 'scatter_along_axis', reverse: 'reverse', reverseSeq: 'reverse_sequence',
  splitND: 'split', concatND: 'concat', transpose: 'transpose', sliceStatic: 'slice_by_index',
  sliceDynamic: 'slice_by_index', slidingWindows: 'sliding_windows', topK: 'topk',
  argMin: 'reduce_argmin', argMax: 'reduce_argmax', embeddingND: 'gather',
  batchedMatmul: '=batchedMatmul', // linear when it carries weights, else matmul
  getShape: 'shape', loadConstantND: 'const', fillLike: 'fill_like', fillStatic: 'fill', fillDynamic: 'fill',
  broadcastToLike: 'unknown', // MIL has no broadcast op (coremltools uses tile)
  broadcastToStatic: 'unknown', broadcastToDynamic: 'unknown',
  squeeze: 'squeeze', expandDims: 'expand_dims', flattenTo2D: 'flatten2d', reshapeLike: 'reshape_like',
  reshapeStatic: 'reshape', reshapeDynamic: 'reshape', rankPreservingReshape: 'reshape', constantPad: 'pad',
  randomNormalLike: 'random_normal', randomNormalStatic: 'random_normal', randomNormalDynamic: 'random_normal',
  randomUniformLike: 'random_uniform', randomUniformStatic: 'random_uniform', randomUniformDynamic: 'random_uniform',
  randomBernoulliLike: 'random_bernoulli', randomBernoulliStatic: 'random_bernoulli',
  randomBernoulliDynamic: 'random_bernoulli', categoricalDistribution: 'random_categorical',
  reduceL1: 'reduce_l1_norm', reduceL2: 'reduce_l2_norm', reduceMax: 'reduce_max', reduceMin: 'reduce_min',
  reduceSum: 'reduce_sum', reduceProd: 'reduce_prod', reduceMean: 'reduce_mean', reduceLogSum: 'reduce_log_sum',
  reduceSumSquare: 'reduce_sum_square', reduceLogSumExp: 'reduce_log_sum_exp',
  whereNonZero: 'non_zero', matrixBandPart: 'band_part', lowerTriangular: 'band_part', upperTriangular: 'band_part',
  whereBroadcastable: 'select', layerNormalization: 'layer_norm', NonMaximumSuppression: 'non_maximum_suppression',
  oneHot: 'one_hot', cumSum: 'cumsum', clampedReLU: 'clamped_relu', argSort: 'argsort',
  pooling3d: 'unknown', // 3-D pooling: type kept as bytes, and MIL pools are 2-D/3-D alike by name
  globalPooling3d: 'unknown',
  sliceBySize: 'slice_by_size', convolution3d: 'conv',
};

/** ActivationParams: the nonlinearity that is set → kind. */
export const NN_ACTIVATION_KINDS: Readonly<Record<string, string>> = {
  linear: 'linear_activation', ReLU: 'relu', leakyReLU: 'leaky_relu', thresholdedReLU: 'thresholded_relu',
  PReLU: 'prelu', tanh: 'tanh', scaledTanh: 'scaled_tanh', sigmoid: 'sigmoid', sigmoidHard: 'sigmoid_hard',
  ELU: 'elu', softsign: 'softsign', softplus: 'softplus', parametricSoftplus: 'softplus_parametric',
};

/** UnaryFunctionLayerParams.type → kind. */
export const NN_UNARY_KINDS: readonly string[] = ['sqrt', 'rsqrt', 'inverse', 'pow', 'exp', 'log', 'abs', 'threshold'];

/** ReduceLayerParams.mode → kind. */
export const NN_REDUCE_KINDS: readonly string[] = [
  'reduce_sum', 'reduce_mean', 'reduce_prod', 'reduce_log_sum', 'reduce_sum_square',
  'reduce_l1_norm', 'reduce_l2_norm', 'reduce_max', 'reduce_min', 'reduce_argmax',
];

/** PoolingLayerParams.type → kind. */
export const NN_POOLING_KINDS: readonly string[] = ['max_pool', 'avg_pool', 'l2_pool'];

/**
 * ML Program op types whose kind is their own name (every op of the iOS 15-18 opsets
 * graphlint knows). Anything else is `unknown`.
 */
export const MIL_OPS: ReadonlySet<string> = new Set([
  // elementwise and activations
  'abs', 'acos', 'add', 'asin', 'atan', 'atanh', 'ceil', 'clip', 'cos', 'cosh', 'equal', 'erf', 'exp',
  'exp2', 'floor', 'floor_div', 'greater', 'greater_equal', 'inverse', 'less', 'less_equal', 'log',
  'logical_and', 'logical_not', 'logical_or', 'logical_xor', 'maximum', 'minimum', 'mod', 'mul',
  'not_equal', 'pow', 'real_div', 'round', 'rsqrt', 'sign', 'sin', 'sinh', 'sqrt', 'square', 'sub',
  'tan', 'tanh', 'threshold', 'clamped_relu', 'elu', 'gelu', 'leaky_relu', 'linear_activation', 'prelu',
  'relu', 'relu6', 'scaled_tanh', 'sigmoid', 'sigmoid_hard', 'silu', 'softplus', 'softplus_parametric',
  'softmax', 'softsign', 'thresholded_relu',
  // linear algebra, convolution, normalization, pooling
  'conv', 'conv_transpose', 'linear', 'matmul', 'einsum', 'batch_norm', 'instance_norm', 'l2_norm',
  'layer_norm', 'local_response_norm', 'avg_pool', 'max_pool', 'l2_pool',
  // reductions
  'reduce_argmax', 'reduce_argmin', 'reduce_l1_norm', 'reduce_l2_norm', 'reduce_log_sum',
  'reduce_log_sum_exp', 'reduce_max', 'reduce_mean', 'reduce_min', 'reduce_prod', 'reduce_sum',
  'reduce_sum_square',
  // tensor manipulation
  'batch_to_space', 'band_part', 'cast', 'concat', 'crop', 'crop_resize', 'cumsum', 'depth_to_space',
  'expand_dims', 'fill', 'fill_like', 'flatten2d', 'gather', 'gather_along_axis', 'gather_nd', 'identity',
  'non_maximum_suppression', 'non_zero', 'one_hot', 'pad', 'pixel_shuffle', 'pixel_unshuffle', 'range_1d',
  'resample', 'reshape', 'reshape_like', 'resize', 'resize_bilinear', 'resize_nearest_neighbor', 'reverse',
  'reverse_sequence', 'scatter', 'scatter_along_axis', 'scatter_nd', 'select', 'shape', 'slice_by_index',
  'slice_by_size', 'slice_update', 'sliding_windows', 'space_to_batch', 'space_to_depth', 'split', 'squeeze',
  'stack', 'tile', 'topk', 'argsort', 'transpose', 'upsample_bilinear', 'upsample_nearest_neighbor',
  'random_bernoulli', 'random_categorical', 'random_normal', 'random_uniform',
  'scaled_dot_product_attention',
  // constants, quantization and compression
  'const', 'constexpr_affine_dequantize', 'constexpr_cast', 'constexpr_lut_to_dense',
  'constexpr_sparse_to_dense', 'constexpr_blockwise_shift_scale', 'constexpr_sparse_blockwise_shift_scale',
  'constexpr_lut_to_sparse', 'quantize', 'dequantize',
  // control flow, lists, recurrence, state, classifier output
  'cond', 'while_loop', 'make_list', 'list_length', 'list_read', 'list_write', 'list_gather', 'list_scatter',
  'lstm', 'gru', 'rnn', 'read_state', 'write_state', 'coreml_update_state', 'classify',
]);

export function milKind(op: string): string {
  return MIL_OPS.has(op) ? op : 'unknown';
}

/** Parameters a layer's kind may depend on (already decoded by the NeuralNetwork reader). */
export interface LayerParamFacts {
  readonly activation?: string;
  readonly unaryType?: number;
  readonly reduceMode?: number;
  readonly poolingType?: number;
  readonly upsampleMode?: number;
  readonly isDeconvolution?: boolean;
  readonly instanceNormalization?: boolean;
  readonly acrossChannels?: boolean;
  readonly hasWeights?: boolean;
}

export function nnLayerKind(type: string, p: LayerParamFacts): string {
  const entry = NN_LAYER_KINDS[type];
  if (entry === undefined) return 'unknown';
  if (!entry.startsWith('=')) return entry;
  switch (entry) {
    case '=convolution': return p.isDeconvolution ? 'conv_transpose' : 'conv';
    case '=pooling': return NN_POOLING_KINDS[p.poolingType ?? 0] ?? 'unknown';
    case '=activation': return (p.activation && NN_ACTIVATION_KINDS[p.activation]) || 'unknown';
    case '=batchnorm': return p.instanceNormalization ? 'instance_norm' : 'batch_norm';
    case '=mvn': return p.acrossChannels ? 'layer_norm' : 'instance_norm';
    case '=upsample': return p.upsampleMode === 1 ? 'upsample_bilinear' : 'upsample_nearest_neighbor';
    case '=unary': return NN_UNARY_KINDS[p.unaryType ?? 0] ?? 'unknown';
    case '=reduce': return NN_REDUCE_KINDS[p.reduceMode ?? 0] ?? 'unknown';
    case '=batchedMatmul': return p.hasWeights ? 'linear' : 'matmul';
    default: throw new Error(`invariant: no resolver for ${entry}`);
  }
}
