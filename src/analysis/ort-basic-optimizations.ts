import type { Node, Value } from '../ir/graph.js';
import { attrString, attrFloat, attrInt, attrInts } from '../ir/attribute.js';
import { isStatic } from '../ir/shape.js';
import { constantNumbers } from './constants.js';

/**
 * Nodes that ONNX Runtime's basic (level 1) graph optimizations remove before any execution
 * provider is asked what it supports (E10), so a provider never judges them. Each comes with
 * the reason, for --debug.
 *
 * Modelled, from onnxruntime core/optimizer (constant_folding.cc, pad_fusion.cc and the
 * level-1 rule list in graph_transformer_utils.cc), in our words:
 * - constant folding: in topological order, a deterministic node without subgraphs whose
 *   inputs are all constant initializers (or outputs folded before) becomes an initializer;
 *   a Shape node folds when its input's shape is fully known; Constant nodes are initializers;
 * - Identity and Dropout elimination, unless the node produces a graph output;
 * - Pad fusion: a zero, constant-mode Pad of the spatial axes only, read by nothing but one
 *   Conv, AveragePool or MaxPool (possibly through one Cast) with explicit padding, is folded
 *   into that op's pads (only for ops at the versions ONNX Runtime's rule lists: default-domain
 *   opset below 21 here).
 *
 * Not modelled: shapes ONNX Runtime infers that the IR does not carry yet (fewer Shape nodes
 * fold here until shape inference fills `value.type`), If nodes with a constant condition
 * (ONNX Runtime inlines the taken branch), and the other level-1 rewrites (Expand, Unsqueeze,
 * Slice and Cast eliminations, Conv+BN/Add/Mul fusions, ...), which need shapes or values.
 * Initializers that are also graph inputs are overridable and count as not constant.
 *
 * `nodes` must be in graph order with enclosing graphs before nested ones (RuleContext.nodes()).
 */
export function ortRemovedNodes(nodes: readonly Node[], defaultOpset: number): Map<Node, string> {
  const removed = new Map<Node, string>();
  const constant = new Set<Value>();
  const isConstant = (v: Value | null): boolean => v === null || constant.has(v) || (v.constant !== null && !v.isGraphInput);
  for (const n of nodes) {
    if (n.domain !== '' && n.domain !== 'ai.onnx') continue;
    let fold = false;
    if (n.op === 'Constant') fold = true;
    else if (n.op === 'Shape') {
      const t = n.inputs[0]?.type;
      fold = t?.kind === 'tensor' && isStatic(t.shape);
    } else if (!NON_DETERMINISTIC.has(n.op) && n.subgraphs().length === 0 && n.inputs.length > 0) {
      fold = n.inputs.every(isConstant);
    }
    if (fold) {
      removed.set(n, 'its inputs are all constant: constant folding turns it into an initializer');
      for (const o of n.outputs) constant.add(o);
      continue;
    }
    if ((n.op === 'Identity' || n.op === 'Dropout') && !n.outputs.some((o) => o.isGraphOutput)) {
      removed.set(n, `${n.op} elimination removes it`);
      continue;
    }
    if (n.op === 'Pad' && defaultOpset < 21) {
      const into = padFusionTarget(n, defaultOpset);
      if (into) removed.set(n, `Pad fusion folds it into the pads of ${into.label}`);
    }
  }
  return removed;
}

/** Ops whose output changes from run to run: never folded. */
const NON_DETERMINISTIC = new Set([
  'RandomNormal', 'RandomNormalLike', 'RandomUniform', 'RandomUniformLike', 'Multinomial', 'Bernoulli',
]);

/** The Conv/AveragePool/MaxPool a Pad would be fused into, or undefined. */
function padFusionTarget(pad: Node, opset: number): Node | undefined {
  const out = pad.outputs[0];
  if (!out || out.isGraphOutput || out.uses.length !== 1 || pad.inputs.length > 3) return undefined;
  const mode = attrString(pad.attrs, 'mode');
  if (mode !== undefined && mode !== 'constant') return undefined;
  let pads: readonly number[] | undefined;
  if (opset >= 11) {
    pads = constantNumbers(pad.inputs[1], 64);
    if (!pads) return undefined;
    const value = pad.inputs[2];
    if (value) {
      const v = constantNumbers(value, 1);
      if (!v || v.some((x) => x !== 0)) return undefined;
    }
  } else {
    pads = attrInts(pad.attrs, 'pads');
    const value = attrFloat(pad.attrs, 'value');
    if (!pads || (value !== undefined && value !== 0)) return undefined;
  }
  const half = pads.length / 2;
  if (pads.length < 4 || pads[0] !== 0 || pads[1] !== 0 || pads[half] !== 0 || pads[half + 1] !== 0) return undefined;
  if (pads.some((p) => p < 0)) return undefined;
  let child = out.uses[0]!.node;
  if (child.op === 'Cast') {
    const castOut = child.outputs[0];
    if (!castOut || castOut.isGraphOutput || castOut.uses.length !== 1) return undefined;
    child = castOut.uses[0]!.node;
  }
  if (child.domain !== '' && child.domain !== 'ai.onnx') return undefined;
  if (child.op !== 'Conv' && child.op !== 'AveragePool' && child.op !== 'MaxPool') return undefined;
  if (child.outputs.filter((o) => o.name !== '').length > 1) return undefined;
  const autoPad = attrString(child.attrs, 'auto_pad');
  if (autoPad !== undefined && autoPad !== 'NOTSET') return undefined;
  if (child.op === 'AveragePool') {
    const own = attrInts(child.attrs, 'pads') ?? [];
    if (own.some((p) => p !== 0) && attrInt(child.attrs, 'count_include_pad') === 0) return undefined;
  }
  return child;
}
