import type { Node, Value } from '../../ir/graph.js';
import { copyBody } from './clone.js';
import type { OrtView } from './view.js';

/**
 * The If part of ConstantFolding (onnxruntime constant_folding.cc ConstantFoldIfNode, Graph::
 * InlineIfSubgraph): an If whose condition is a constant initializer (in this or an enclosing
 * scope) is replaced by the nodes of the branch the condition picks; the branch's initializers
 * join the graph and the If's readers read the branch's outputs. This is what fixing input
 * shapes does to silero_vad: the shape guards (`If(Equal(Shape(x)[i], k))`) become constant and
 * their branches are inlined. graphlint needs the condition's value, which shape inference
 * computes for shape arithmetic; an If whose condition is constant but unknown to graphlint
 * stays (and the view says so through `undecidedIfs`).
 */
export function inlineIf(view: OrtView, n: Node): boolean {
  const cond = n.inputs[0];
  if (!cond || !view.isConstant(cond)) return false;
  const value = view.numbers(cond, 1);
  if (!value || value.length !== 1) {
    view.undecidedIfs.add(n);
    return false;
  }
  const branch = n.attrs.get(value[0] ? 'then_branch' : 'else_branch');
  if (branch?.type !== 'graph') return false;
  const body = branch.value;
  if (body.outputs.length !== n.outputs.length) return false;
  const graph = n.graph;
  const at = graph.nodes.indexOf(n);
  const created: Array<[Node, Node]> = [];
  const tail = graph.nodes.splice(at + 1);
  const map = copyBody(body, graph, (v) => v, (c, o) => created.push([c, o]), { keepLabels: false, rename: true });
  for (const v of body.initializers) graph.initializers.push(map.get(v)!);
  for (const t of tail) graph.nodes.push(t); // not push(...): the tail of a big graph is too many arguments
  for (const [c, o] of created) view.adopt(c, o);
  const other = n.attrs.get(value[0] ? 'else_branch' : 'then_branch');
  if (other?.type === 'graph') view.dropGraph(other.value, 'if-inlining', 'it is in the branch of a constant If that is not taken');
  view.dropGraph(body, 'if-inlining', 'inlined into the enclosing graph');
  n.outputs.forEach((out, i) => {
    const src = body.outputs[i]!;
    const replacement: Value = map.get(src) ?? src;
    view.replaceUses(out, replacement);
    if (replacement.type === null) replacement.type = out.type;
  });
  view.removeNode(n, 'if-inlining', `constant folding inlines the ${value[0] ? 'then' : 'else'} branch (its condition is constant)`);
  return true;
}
