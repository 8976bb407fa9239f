/**
 * The facts every target decision and rule cites, by id. Ids are never renumbered; new
 * facts get new ids. docs/facts.md is the readable form (a test keeps them equal).
 * `guess` marks facts their own source calls a guess or asks to verify: rules built only on
 * them report at info or warning, never error.
 */
export interface Fact {
  readonly id: string;
  readonly text: string;
  readonly source: string;
  readonly guess: boolean;
}

export const FACTS: readonly Fact[] = [
  { id: 'S1', guess: false, source: 'graphlint seed documents (shared/seeds)',
    text: 'A STAR facial-landmark model converted to Core ML had 855 ops, 706 on the Neural Engine (82.6%), 149 on CPU, in 18 partitions; 174.5 ms a frame on M1. Each partition boundary costs a copy and a context switch.' },
  { id: 'S2', guess: false, source: 'graphlint seed documents (shared/seeds)',
    text: "The guide lists as Neural-Engine-hostile: squeeze-and-excitation blocks (global pool + FC), Swish/SiLU, InstanceNorm and LayerNorm (prefer BatchNorm), dynamic reshapes and control flow, explicit padding ops (use the convolution's padding), GELU, attention built from split/transpose/reshape." },
  { id: 'S3', guess: false, source: 'graphlint seed documents (shared/seeds)',
    text: 'A companion guide adds: dynamic tensor shapes, TopK, Scatter, GatherND, custom layers, very large spatial dimensions, odd channel counts (prefer multiples of 8 or 16), batch above 1.' },
  { id: 'S4', guess: false, source: 'graphlint seed documents (shared/seeds)',
    text: 'A speaker-embedding model (wespeaker) had 1001 SliceByIndex ops cutting 400-sample frames with a 160-sample hop from 160000 samples; a single Conv1D with an identity kernel (kernel 400, stride 160) does the same framing.' },
  { id: 'S5', guess: false, source: 'graphlint seed documents (shared/seeds)',
    text: 'Chaining Core ML models in a pipeline added about 0.18 s a chunk, more than the compute; separate calls were faster.' },
  { id: 'S6', guess: false, source: 'graphlint seed documents (shared/seeds)',
    text: "8-bit palettization cut weights 74% but did not speed inference (look-up tables); float16 is the Neural Engine's native type." },
  { id: 'A1', guess: false, source: 'hollance/neural-engine docs/16-bit.md',
    text: 'The Neural Engine computes in float16; activations above ~1e2 or below ~1e-4 lose precision or flush to zero.' },
  { id: 'A2', guess: false, source: 'apple/ml-ane-transformers huggingface/distilbert.py',
    text: "LayerNorm epsilon 1e-12 does not survive float16; Apple's port uses 1e-7." },
  { id: 'A3', guess: true, source: 'hollance/neural-engine docs/unsupported-layers.md',
    text: 'Reported not to run on the Neural Engine: custom layers, RNNs (LSTM/GRU), gather, dilated convolutions, broadcastable "ND" layers, some broadcasts (C×H×W · C×1×1), pooling with kernel > 13 or stride > 2, upsampling by more than 2 (some are the author’s guesses).' },
  { id: 'A4', guess: false, source: 'apple/coremltools#337',
    text: 'LSTMs were observed on the CPU (BNNS).' },
  { id: 'A5', guess: false, source: 'hollance/neural-engine docs/unsupported-layers.md',
    text: 'Core ML switches Neural Engine ↔ CPU cheaply and repeatedly, but tends to move to the GPU only once.' },
  { id: 'A6', guess: false, source: 'apple/coremltools#1761; vx-lang/Vx#436',
    text: 'compute units are a preference; placement also depends on shapes and neighbours; tiny ops may land on the CPU even when supported (a 4×4 matmul did).' },
  { id: 'A7', guess: false, source: 'microsoft/onnxruntime#14212',
    text: 'Rank 6 tensors are rejected ("ANE does not support blob with rank: 6").' },
  { id: 'A8', guess: false, source: 'ONNX Runtime coreml helper.cc CheckShapeForConvMemoryLimit; apple/ml-fastvlm#50',
    text: 'Dimensions above 16384 are rejected for convolutions (also seen on embedding tables).' },
  { id: 'A9', guess: false, source: 'apple/coremltools#2247',
    text: 'Very large spatial inputs fail Neural Engine compilation (1×3×5568×5568).' },
  { id: 'A10', guess: false, source: 'Apple Developer Forums thread 724930; coremltools docs "Flexible Input Shapes"',
    text: 'With a shape range only the default shape runs on the Neural Engine; with enumerated shapes every listed shape can.' },
  { id: 'A11', guess: false, source: 'apple/ml-ane-transformers README and reference/',
    text: 'Transformers run best in (B, C, 1, S) layout, with Linear as 1×1 Conv2d, LayerNorm over the channel axis, attention split per head (einsum), few transposes and reshapes.' },
  { id: 'A12', guess: false, source: 'Core ML Stable Diffusion model cards',
    text: "Stable Diffusion's split-einsum attention runs on all compute units; the original attention only on CPU and GPU." },
  { id: 'A13', guess: false, source: 'roboflow/rf-detr PR #1495; apple/ml-ane-transformers README',
    text: 'In detection heads, topk and the expand_dims/tile/gather that consume its indices leave the Neural Engine; embedding look-ups stay on the CPU (4 of 606 distilbert ops).' },
  { id: 'A14', guess: true, source: 'john-rocky/coreai-model-zoo PR #36 (third party: verify)',
    text: 'A single float32 op or constant can break Neural Engine residency in an ML Program.' },
  { id: 'A15', guess: true, source: 'alvaro-videla.com ane-book ch. 1 (verify)',
    text: 'The last axis should be 64-byte aligned; a singleton last axis is padded (third party restatement).' },
  { id: 'A16', guess: false, source: 'roboflow/rf-detr PR #1495',
    text: 'RF-DETR on M3 Pro, fp16, CPU_AND_NE: 592 ops on the Neural Engine, 7 on CPU (topk and the ops after it).' },
  { id: 'E1', guess: false, source: 'onnxruntime core/providers/partitioning_utils.cc CreateSupportedPartitionNodeGroups; coreml_execution_provider.cc',
    text: "Partitioning: a topological walk grows a group of supported nodes; an unsupported node on the group's border is deferred to the next group; there is no minimum group size, so one supported node can be its own partition." },
  { id: 'E2', guess: false, source: 'onnxruntime coreml builders/helper.cc IsInputSupported',
    text: 'Every input must have a known shape, no zero dimension, rank ≤ 5; with static-shape mode, no dynamic dimension.' },
  { id: 'E3', guess: false, source: 'onnxruntime coreml builders/impl/base_op_builder.cc',
    text: 'float inputs always; float16 and int64 inputs only when creating an ML Program.' },
  { id: 'E4', guess: false, source: 'onnxruntime coreml builders/helper.cc',
    text: 'Conv and ConvTranspose with any dimension above 16384 are rejected.' },
  { id: 'E5', guess: false, source: 'onnxruntime coreml builders/impl/*_op_builder.cc',
    text: 'Per-op conditions: Reshape needs a constant shape; Gather no scalar indices; Split constant splits; Resize 4-D with constant scales; LayerNormalization constant scale and bias; Gemm/MatMul constant B, transA 0, alpha = beta = 1; Slice constant starts/ends/axes/steps (ML Program); Pad constant non-negative pads, reflect only in ML Program.' },
  { id: 'E6', guess: false, source: 'coreml_execution_provider.cc',
    text: 'The provider logs one line per graph: "number of partitions supported by CoreML: P number of nodes in the graph: N number of nodes supported by CoreML: S".' },
  { id: 'E7', guess: false, source: 'onnxruntime tools/ci_build/github/apple/*.md vs builders/impl',
    text: 'The published op tables (coreml_supported_mlprogram_ops.md, coreml_supported_neuralnetwork_ops.md) are stale against the builders: the ML Program table omits Gather, BatchNormalization, ReduceMin, ReduceProd and Pad, and misspells ArgMax. Follow the builders.' },
  { id: 'E8', guess: false, source: 'microsoft/onnxruntime#28022',
    text: 'inswapper_128: 14 partitions, 212 of 226 nodes, because of 14 reflect Pads; rewriting each as Slice+Concat gave 1 partition, 312 of 312 nodes.' },
  { id: 'E9', guess: false, source: 'microsoft/onnxruntime#28183, PR #28289',
    text: "ORT's own EXTENDED/ALL optimizations can create ops the provider rejects (QuickGelu, FusedConv)." },
  { id: 'E10', guess: false, source: 'onnxruntime tools/python/util/onnx_model_utils.py optimize_model; usability_checker.py',
    text: 'ONNX Runtime runs its basic graph optimizations (constant folding, removal of Identity, Dropout and similar no-ops) before the provider is asked which nodes it supports; its usability checker optimizes at the same level first, which changes node counts (a BERT model: 3836 nodes as exported, 2943 after).' },
  { id: 'E11', guess: false, source: "onnxruntime tools/ci_build/github/apple/coreml_supported_{mlprogram,neuralnetwork}_ops.md vs core/providers/coreml/builders/op_builder_factory.cc and impl/*_op_builder.cc, both at commit cee6c0d91e58 (2026-03-13)",
    text: "At onnxruntime commit cee6c0d91e58 the published tables differ from the builders exactly so: the ML Program table leaves out BatchNormalization, Gather, ReduceMin and ReduceProd (their builders accept ML Program) and spells ArgMax as \"Argmax\", so the usability checker never matches it; the NeuralNetwork table leaves out ReduceMean and ReduceSum (builders exist). Pad, Flatten and LRN have NeuralNetwork builders only; both agree there." },
  { id: 'E12', guess: false, source: "onnxruntime core/providers/coreml/coreml_execution_provider.cc GetCapability (IsSubgraph && !EnableOnSubgraph); coreml_provider_factory.h COREML_FLAG_ENABLE_ON_SUBGRAPH",
    text: "The Core ML provider takes no node inside a nested graph (If/Loop/Scan bodies) unless the session enables it on subgraphs (COREML_FLAG_ENABLE_ON_SUBGRAPH, option EnableOnSubgraphs); by default those nodes run on the CPU provider." },
  { id: 'E13', guess: false, source: "onnxruntime tools/python/util/mobile_helpers/usability_checker.py (_check_partitioning_for_graph, check_partitioning); tools/python/util/onnx_model_utils.py is_fixed_size_tensor",
    text: "The usability checker judges a node by op type against the published tables, requires every input to have a fixed shape in ONNX shape inference (an omitted optional input, name '', counts as not fixed; a value typed without any shape counts as fixed) and input rank \u2264 5; per-op conditions are printed as unchecked caveats. It walks every nested graph as a graph of its own and adds the figures to the main graph's." },
  { id: 'E14', guess: false, source: "onnxruntime tools/python/util/mobile_helpers/usability_checker.py checker() \u2192 check_shapes(graph) without a logger",
    text: "The usability checker crashes (AttributeError: 'NoneType' object has no attribute 'warning') on a model whose shape inference yields no value_info in a graph of more than one node with a fixed-shape input, because checker() calls check_shapes() without a logger." },
  { id: 'E15', guess: false, source: "onnxruntime core/framework/graph_partitioner.cc PartitionOnnxFormatModel (InlineNodes after each round of GetCapability)",
    text: "When no execution provider claims a node whose op is defined as an ONNX function and ONNX Runtime has no kernel for it (HardSwish in ONNX Runtime 1.30), ONNX Runtime inlines the function body and asks the providers again about its nodes; the optimized model it writes shows the body (HardSigmoid and Mul for HardSwish)." },
  { id: 'A17', guess: false, source: "Apple Developer Documentation, MLComputeUnits.all (\"Use all compute units available, including the neural engine\"); coremltools docs, Typed Execution / compute units",
    text: "With compute units set to all (the default), Core ML may run each op on the Neural Engine, the GPU or the CPU; an op with no known obstacle is expected on the Neural Engine, which is what the default placement assumes (A6 says it is still a preference)." },
];

const BY_ID = new Map(FACTS.map((f) => [f.id, f]));

export function fact(id: string): Fact {
  const f = BY_ID.get(id);
  if (!f) throw new Error(`invariant: no fact ${id} in src/targets/facts.ts`);
  return f;
}

export function hasFact(id: string): boolean {
  return BY_ID.has(id);
}
