import { attrInt, attrInts } from '../../ir/attribute.js';
import type { Graph, Node, Value } from '../../ir/graph.js';
import { tensorType } from '../../ir/types.js';
import { dtypeOf, isConstantInitializer, isOpAtVersion, outputEdgeCount, producesGraphOutput, staticShape } from './graph-utils.js';
import type { GraphPass } from './pass.js';
import { constantTensor, type OrtView } from './view.js';

/**
 * ReshapeFusion (onnxruntime core/optimizer/reshape_fusion.cc), two parts:
 * 1. A Reshape whose shape is a Concat of (a) constant int64/int32 initializers, (b) the
 *    pattern Shape(root) → Gather(k, where k is the Concat position) → Unsqueeze(axes 0),
 *    which becomes 0 ("copy this dim"), or (c) any one-element input (known shape of one
 *    element, a Shape → Gather → Unsqueeze, or a Shape → Slice → Squeeze path), which
 *    becomes -1 (at most one) — gets a constant shape, and the Concat and the chains that fed
 *    only it are removed. This folds the dynamic-reshape idiom of exporters (ViT's
 *    Shape → Gather → Unsqueeze → Concat, PP-OCR's Shape → Cast → Slice → Cast → Concat,
 *    silero's framing reshape) even when the batch dim is unknown.
 * 2. A chain Reshape → Reshape/Squeeze/Unsqueeze whose last output has a fully known shape
 *    becomes one Reshape.
 */
export const reshapeFusion: GraphPass = {
  id: 'reshape-fusion',
  ortName: 'ReshapeFusion',
  run(view: OrtView, graph: Graph, opset: number): boolean {
    let changed = false;
    const nodes = [...graph.nodes];
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      if (!graph.contains(n) || !isOpAtVersion(n, 'Reshape', [5, 13, 14], opset)) continue;
      if ((attrInt(n.attrs, 'allowzero') ?? 0) !== 0) continue;
      if (fuseSubgraph(view, graph, n, opset) || fuseContiguous(view, graph, n)) {
        view.count(this.id);
        changed = true;
      }
    }
    return changed;
  },
};

function producerIn(graph: Graph, v: Value | null | undefined): Node | undefined {
  const p = v?.producer;
  return p && p.graph === graph ? p : undefined;
}

function fuseSubgraph(view: OrtView, graph: Graph, reshape: Node, opset: number): boolean {
  const root = reshape.inputs[0];
  const concat = producerIn(graph, reshape.inputs[1]);
  if (!root || !concat || !isOpAtVersion(concat, 'Concat', [1, 4, 11, 13], opset)) return false;
  if (producesGraphOutput(concat) || outputEdgeCount(concat) !== 1) return false;
  const shape: number[] = [];
  for (let i = 0; i < concat.inputs.length; i++) {
    const input = concat.inputs[i];
    if (isConstantInitializer(input) && (dtypeOf(input) === 'int64' || dtypeOf(input) === 'int32')) {
      const values = view.numbers(input, 64);
      if (!values) return false;
      shape.push(...values);
      continue;
    }
    if (shapeGatherPath(view, graph, input, root, shape.length, opset, false)) {
      shape.push(0);
      continue;
    }
    if (oneElement(view, graph, input, root, opset)) {
      shape.push(-1);
      continue;
    }
    return false;
  }
  if (shape.filter((d) => d === -1).length > 1) return false;
  const out = concat.outputs[0]!;
  if (out.isGraphOutput) return false;
  const parents = concat.inputs.map((v) => producerIn(graph, v)).filter((p): p is Node => !!p);
  view.removeNode(concat, 'reshape-fusion', `Reshape fusion replaces the computed shape of ${reshape.label} by a constant`);
  out.producer = null;
  out.type = tensorType('int64', [shape.length]);
  view.setConstant(out, constantTensor(out.type, shape, `shape of ${reshape.label}`));
  graph.initializers.push(out);
  for (const p of parents) removeBottomUp(view, graph, p, reshape.label);
  return true;
}

/** Shape(root) → Gather(index) → Unsqueeze(axes [0]) → (this input). */
function shapeGatherPath(view: OrtView, graph: Graph, input: Value | null, root: Value, index: number, opset: number, oneElementOnly: boolean): boolean {
  const unsqueeze = producerIn(graph, input);
  if (!unsqueeze || !isOpAtVersion(unsqueeze, 'Unsqueeze', [1, 11, 13], opset) || unsqueeze.inputs[0] === null) return false;
  const gather = producerIn(graph, unsqueeze.inputs[0]);
  if (!gather || !isOpAtVersion(gather, 'Gather', [1, 11, 13], opset)) return false;
  const shapeNode = producerIn(graph, gather.inputs[0]);
  if (!shapeNode || shapeNode.op !== 'Shape') return false;
  if (opset >= 15 && ((attrInt(shapeNode.attrs, 'start') ?? 0) !== 0 || shapeNode.attrs.has('end'))) return false;
  const axes = attrInts(unsqueeze.attrs, 'axes') ?? view.numbers(unsqueeze.inputs[1], 8);
  if (!axes || axes.length !== 1 || axes[0] !== 0) return false;
  if (oneElementOnly && elementCount(gather.inputs[1]) === 1) return true;
  const idx = gather.inputs[1];
  if (!idx || idx.constant === null || idx.producer !== null) return false;
  const dims = idx.constant.dims;
  if (!(dims.length === 0 || (dims.length === 1 && dims[0] === 1))) return false;
  const k = view.numbers(idx, 1);
  if (!k || k[0] !== index) return false;
  const src = shapeNode.inputs[0];
  if (src === root) return true;
  const a = src?.type;
  const b = root.type;
  if (a?.kind === 'tensor' && b?.kind === 'tensor' && a.shape && b.shape) {
    if (a.shape.length === b.shape.length && a.shape.every((d, j) => typeof d === 'number' && d === b.shape![j])) return true;
    // Observed with ONNX Runtime 1.30 (newer than the source read): the dim being copied may be
    // the same symbol in both (ViT's batch dim read from the image input, copied into the
    // reshape of the patch embedding).
    const x = a.shape[index];
    return typeof x === 'string' && x === b.shape[index];
  }
  return false;
}

function elementCount(v: Value | null | undefined): number | undefined {
  const s = staticShape(v);
  return s ? s.reduce((x, y) => x * y, 1) : undefined;
}

/** Is_One_Element_Output_Subgraph: this Concat input surely holds one element. */
function oneElement(view: OrtView, graph: Graph, input: Value | null, root: Value, opset: number): boolean {
  if (!input) return false;
  if (elementCount(input) === 1) return true;
  if (shapeGatherPath(view, graph, input, root, -1, opset, true)) return true;
  const unsqueeze = producerIn(graph, input);
  if (!unsqueeze || !isOpAtVersion(unsqueeze, 'Unsqueeze', [1, 11, 13], opset)) return false;
  const axes = attrInts(unsqueeze.attrs, 'axes') ?? view.numbers(unsqueeze.inputs[1], 8);
  if (!axes || axes.length !== 1 || axes[0] !== 0) return false;
  const before = producerIn(graph, unsqueeze.inputs[0]);
  if (before && (isOpAtVersion(before, 'Div', [7, 13, 14], opset) || isOpAtVersion(before, 'Mul', [7, 13, 14], opset))) {
    return before.inputs.every((v) => elementCount(v) === 1 || shapeSliceSqueeze(view, graph, v, root, opset));
  }
  return elementCount(unsqueeze.inputs[0]) === 1 || shapeSliceSqueeze(view, graph, unsqueeze.inputs[0], root, opset);
}

/** Shape(root) → Slice(one element) → Squeeze → (this value). */
function shapeSliceSqueeze(view: OrtView, graph: Graph, v: Value | null | undefined, root: Value, opset: number): boolean {
  const squeeze = producerIn(graph, v);
  if (!squeeze || !isOpAtVersion(squeeze, 'Squeeze', [1, 11, 13], opset)) return false;
  const slice = producerIn(graph, squeeze.inputs[0]);
  if (!slice || !isOpAtVersion(slice, 'Slice', [1, 11, 13], opset)) return false;
  const shapeNode = producerIn(graph, slice.inputs[0]);
  if (!shapeNode || shapeNode.op !== 'Shape' || shapeNode.inputs[0] !== root) return false;
  const starts = attrInts(slice.attrs, 'starts') ?? view.numbers(slice.inputs[1], 4);
  const ends = attrInts(slice.attrs, 'ends') ?? view.numbers(slice.inputs[2], 4);
  if (!starts || !ends || starts.length !== 1 || ends.length !== 1) return false;
  return (ends[0]! >= 2147483647 && starts[0] === -1) || Math.abs(ends[0]! - starts[0]!) === 1;
}

/** graph_utils RemoveNodesWithOneOutputBottomUp: the start node, then parents left without readers. */
function removeBottomUp(view: OrtView, graph: Graph, start: Node, label: string): void {
  const queue: Node[] = [start];
  const done = new Set<Node>();
  while (queue.length > 0) {
    const n = queue.shift()!;
    if (done.has(n) || !graph.contains(n)) continue;
    done.add(n);
    if (outputEdgeCount(n) > 1 || producesGraphOutput(n)) continue;
    for (const v of n.inputs) {
      const p = producerIn(graph, v);
      if (p) queue.push(p);
    }
    if (n === start || outputEdgeCount(n) === 0) {
      if (outputEdgeCount(n) > 0) {
        // the start node's last reader was the Concat, already gone
        continue;
      }
      view.removeNode(n, 'reshape-fusion', `Reshape fusion: it only fed the computed shape of ${label}`);
    }
  }
}

/** FuseContiguousReshapes: Reshape → (Reshape | Squeeze | Unsqueeze)+ with a known final shape becomes one Reshape. */
function fuseContiguous(view: OrtView, graph: Graph, reshape: Node): boolean {
  const chain: Node[] = [reshape];
  let finalShape: number[] | undefined;
  for (;;) {
    const cur = chain[chain.length - 1]!;
    if (producesGraphOutput(cur) || outputEdgeCount(cur) !== 1) break;
    const next = cur.outputs[0]!.uses[0]?.node;
    if (!next || next.graph !== graph || !['Reshape', 'Squeeze', 'Unsqueeze'].includes(next.op)) break;
    const s = staticShape(next.outputs[0]);
    if (!s) break;
    finalShape = s;
    chain.push(next);
  }
  if (chain.length < 2 || !finalShape) return false;
  const last = chain[chain.length - 1]!;
  const out = last.outputs[0]!;
  const at = graph.nodes.indexOf(last);
  const shapeValue = graph.addInitializer(graph.freshName(`${reshape.name || reshape.label}_new_shape`),
    constantTensor(tensorType('int64', [finalShape.length]), finalShape, 'fused reshape shape'), tensorType('int64', [finalShape.length]));
  const fused = view.addNode(graph, {
    op: 'Reshape', kind: 'reshape', name: graph.freshName(`${reshape.name || reshape.label}_new_reshape`),
    inputs: [reshape.inputs[0]!, shapeValue], outputs: [graph.freshName(`${out.name}_fused`)],
  }, chain, at + 1);
  fused.outputs[0]!.type = out.type;
  view.replaceUses(out, fused.outputs[0]!);
  for (const n of [...chain].reverse()) view.removeNode(n, 'reshape-fusion', `Reshape fusion merges the Reshape chain into ${fused.label}`, fused);
  view.renameValue(fused.outputs[0]!, out.name);
  return true;
}
