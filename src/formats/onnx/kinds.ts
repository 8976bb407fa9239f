/**
 * ONNX op type (default domain) → canonical kind, spelled as Core ML's MIL spells the op
 * that does the same job. Ops with no MIL counterpart map to 'unknown' and keep their op name;
 * rules that care about them match on `op`.
 */
const ONNX_KINDS: Readonly<Record<string, string>> = {
  // arithmetic and comparison
  Add: 'add', Sub: 'sub', Mul: 'mul', Div: 'real_div', Pow: 'pow', Max: 'maximum', Min: 'minimum',
  Mod: 'mod', Equal: 'equal', Greater: 'greater', GreaterOrEqual: 'greater_equal', Less: 'less',
  LessOrEqual: 'less_equal', And: 'logical_and', Or: 'logical_or', Xor: 'logical_xor', Not: 'logical_not',
  // unary math
  Abs: 'abs', Acos: 'acos', Asin: 'asin', Atan: 'atan', Atanh: 'atanh', Ceil: 'ceil', Clip: 'clip',
  Cos: 'cos', Cosh: 'cosh', Erf: 'erf', Exp: 'exp', Floor: 'floor', Reciprocal: 'inverse', Log: 'log',
  Round: 'round', Sign: 'sign', Sin: 'sin', Sinh: 'sinh', Sqrt: 'sqrt', Tan: 'tan', Tanh: 'tanh',
  Cast: 'cast', Identity: 'identity',
  // activations
  Relu: 'relu', LeakyRelu: 'leaky_relu', Elu: 'elu', PRelu: 'prelu', Sigmoid: 'sigmoid',
  HardSigmoid: 'sigmoid_hard', Softplus: 'softplus', Softsign: 'softsign', Softmax: 'softmax',
  ThresholdedRelu: 'thresholded_relu', Gelu: 'gelu',
  // linear algebra, convolution, normalization, pooling
  Conv: 'conv', ConvTranspose: 'conv_transpose', Gemm: 'linear', MatMul: 'matmul', Einsum: 'einsum',
  BatchNormalization: 'batch_norm', InstanceNormalization: 'instance_norm',
  LayerNormalization: 'layer_norm', LpNormalization: 'l2_norm', LRN: 'local_response_norm',
  AveragePool: 'avg_pool', GlobalAveragePool: 'avg_pool', MaxPool: 'max_pool', GlobalMaxPool: 'max_pool',
  LpPool: 'l2_pool',
  // reductions
  ReduceMean: 'reduce_mean', ReduceSum: 'reduce_sum', ReduceMax: 'reduce_max', ReduceMin: 'reduce_min',
  ReduceProd: 'reduce_prod', ReduceL1: 'reduce_l1_norm', ReduceL2: 'reduce_l2_norm',
  ReduceLogSum: 'reduce_log_sum', ReduceLogSumExp: 'reduce_log_sum_exp',
  ReduceSumSquare: 'reduce_sum_square', ArgMax: 'reduce_argmax', ArgMin: 'reduce_argmin',
  // tensor manipulation
  Concat: 'concat', Split: 'split', Gather: 'gather', GatherElements: 'gather_along_axis',
  GatherND: 'gather_nd', ScatterElements: 'scatter_along_axis', Scatter: 'scatter_along_axis',
  ScatterND: 'scatter_nd', Unsqueeze: 'expand_dims', Squeeze: 'squeeze', Reshape: 'reshape',
  Flatten: 'flatten2d', Slice: 'slice_by_index', Transpose: 'transpose', Tile: 'tile', Pad: 'pad',
  Shape: 'shape', Range: 'range_1d', TopK: 'topk', NonZero: 'non_zero',
  NonMaxSuppression: 'non_maximum_suppression', OneHot: 'one_hot', CumSum: 'cumsum',
  ConstantOfShape: 'fill', Where: 'select', DepthToSpace: 'depth_to_space', SpaceToDepth: 'space_to_depth',
  Resize: 'resize', Upsample: 'resize', ReverseSequence: 'reverse_sequence', GridSample: 'resample',
  RoiAlign: 'crop_resize', Constant: 'const',
  // quantization
  DequantizeLinear: 'dequantize', QuantizeLinear: 'quantize',
  // control flow and recurrence
  If: 'cond', Loop: 'while_loop', LSTM: 'lstm', GRU: 'gru', RNN: 'rnn',
};

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

export function onnxKind(op: string, domain: string): string {
  if (!DEFAULT_DOMAINS.has(domain)) return 'unknown';
  return ONNX_KINDS[op] ?? 'unknown';
}

/** The op's name as reports and stats spell it: `Conv`, or `com.microsoft:FusedConv` off the default domain. */
export function onnxOpName(op: string, domain: string): string {
  return DEFAULT_DOMAINS.has(domain) ? op : `${domain}:${op}`;
}
