import type { Node, Value } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';

/**
 * Small graph questions ONNX Runtime's rewrite rules ask (onnxruntime core/graph/graph_utils.cc),
 * in the IR's terms. An "edge" is a value produced by a node of the same graph; initializers,
 * graph inputs and values of enclosing graphs are not edges.
 */

export function isDefaultDomain(n: Node): boolean {
  return n.domain === '' || n.domain === 'ai.onnx';
}

/** Number of inputs that come from other nodes of the same graph. */
export function inputEdgeCount(n: Node): number {
  let k = 0;
  for (const v of n.inputs) if (v?.producer && v.producer.graph === n.graph) k++;
  return k;
}

/** Readers of all of a node's outputs (each reading counted once per input slot). */
export function outputEdgeCount(n: Node): number {
  let k = 0;
  for (const o of n.outputs) k += o.uses.length;
  return k;
}

/** The single node reading the node's outputs, when there is exactly one reading. */
export function onlyConsumer(n: Node): Node | undefined {
  if (outputEdgeCount(n) !== 1) return undefined;
  for (const o of n.outputs) if (o.uses.length === 1) return o.uses[0]!.node;
  return undefined;
}

export function producesGraphOutput(n: Node): boolean {
  return n.outputs.some((o) => o.isGraphOutput);
}

/** A constant initializer ONNX Runtime can rely on (not an overridable graph input), in this or an outer scope. */
export function isConstantInitializer(v: Value | null | undefined): boolean {
  return !!v && v.constant !== null && v.producer === null && !v.isGraphInput;
}

/** ONNX's rule that a node has only one used output and it is not a graph output (graph_utils CanRemoveNode). */
export function canRemoveNode(n: Node): boolean {
  const used = n.outputs.filter((o) => o.uses.length > 0 || o.isGraphOutput);
  if (used.length > 1) return false;
  if (producesGraphOutput(n)) return false;
  return inputEdgeCount(n) === 1 || n.inputs.length === 1;
}

/** The input ONNX Runtime wires through when it removes a node (the single edge, else the single input). */
export function removalInput(n: Node): Value | undefined {
  const edges = n.inputs.filter((v): v is Value => !!v?.producer && v.producer.graph === n.graph);
  if (edges.length === 1) return edges[0];
  if (n.inputs.length === 1 && n.inputs[0]) return n.inputs[0];
  return undefined;
}

/** The version of the default-domain opset the model imports. */
export function defaultOpset(model: Model): number {
  return model.opsets.get('') ?? model.opsets.get('ai.onnx') ?? 21;
}

/**
 * The version an op's schema has at `opset` (the schema's since-version), for the ops the
 * passes match; undefined for others. Read from the ONNX operator changelog.
 */
const SINCE: Readonly<Record<string, readonly number[]>> = {
  Add: [1, 6, 7, 13, 14], Sub: [1, 6, 7, 13, 14], Mul: [1, 6, 7, 13, 14], Div: [1, 6, 7, 13, 14],
  MatMul: [1, 9, 13], Gemm: [1, 6, 7, 9, 11, 13], Conv: [1, 11, 22],
  BatchNormalization: [1, 6, 7, 9, 14, 15], Pad: [1, 2, 11, 13, 18, 19, 21, 23, 24, 25],
  AveragePool: [1, 7, 10, 11, 19, 22], MaxPool: [1, 8, 10, 11, 12, 22], Cast: [1, 6, 9, 13, 19, 21, 23, 24, 25],
  Slice: [1, 10, 11, 13], Unsqueeze: [1, 11, 13, 21, 23, 24, 25], Expand: [8, 13],
  Identity: [1, 13, 14, 16, 19, 21, 23, 24, 25], Dropout: [1, 6, 7, 10, 12, 13, 22],
  Transpose: [1, 13, 21, 23, 24, 25], Reshape: [1, 5, 13, 14, 19, 21, 23, 24, 25],
  Squeeze: [1, 11, 13, 21, 23, 24, 25], HardSwish: [14, 22], HardSigmoid: [1, 6, 22],
  Concat: [1, 4, 11, 13], Gather: [1, 11, 13], Shape: [1, 13, 15, 19, 21, 23, 24, 25],
  Split: [1, 2, 11, 13, 18], Resize: [10, 11, 13, 18, 19], Relu: [1, 6, 13, 14], Sigmoid: [1, 6, 13], Tanh: [1, 6, 13],
  LeakyRelu: [1, 6, 16], PRelu: [1, 6, 7, 9, 16], Elu: [1, 6, 22], Softplus: [1, 22], Gelu: [20], Pow: [1, 7, 12, 13, 15],
  Max: [1, 6, 8, 12, 13], Softmax: [1, 11, 13], Clip: [1, 6, 11, 12, 13],
};

export function sinceVersion(op: string, opset: number): number | undefined {
  const list = SINCE[op];
  if (!list) return undefined;
  let found: number | undefined;
  for (const v of list) if (v <= opset) found = v;
  return found;
}

/** graph_utils IsSupportedOptypeVersionAndDomain for the default domain. */
export function isOpAtVersion(n: Node, op: string, versions: readonly number[], opset: number): boolean {
  if (n.op !== op || !isDefaultDomain(n)) return false;
  const v = sinceVersion(op, opset);
  return v !== undefined && versions.includes(v);
}

/** Static dims of a value's tensor type, or undefined. */
export function staticShape(v: Value | null | undefined): number[] | undefined {
  const t = v?.type;
  if (!t || t.kind !== 'tensor' || t.shape === null) return undefined;
  if (!t.shape.every((d) => typeof d === 'number' && d >= 0)) return undefined;
  return t.shape as number[];
}

export function dtypeOf(v: Value | null | undefined): string | undefined {
  const t = v?.type;
  return t && (t.kind === 'tensor' || t.kind === 'sparse') ? t.dtype : undefined;
}
