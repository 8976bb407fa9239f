import type { Graph, Node, Value } from '../../ir/graph.js';
import { topologicalOrder } from '../../ir/topo.js';

/**
 * The IR keeps nodes in topological order. ONNX asks the same of files, but some list nodes
 * out of order (ONNX Runtime sorts them itself): those are sorted here. A cycle cannot be
 * sorted and is refused. Node ids grow in reading order, so finding a node that reads a
 * later one takes one pass and no allocation; only an unsorted graph pays for sorting.
 */
export function sortNodes(graph: Graph, fail: (what: string) => never): void {
  const later = (n: Node, v: Value | null): boolean => {
    const p = v?.producer;
    return p !== null && p !== undefined && p.graph === graph && p.id >= n.id;
  };
  let sorted = true;
  // Indexed loops: this one runs once per graph, over every node, and for-of's iterators
  // were not optimised away there (an object per step).
  const nodes = graph.nodes;
  for (let k = 0; sorted && k < nodes.length; k++) {
    const n = nodes[k]!;
    const inputs = n.inputs;
    for (let i = 0; i < inputs.length; i++) if (later(n, inputs[i]!)) sorted = false;
    if (sorted && n.hasAttrs && n.subgraphs().length > 0) for (const v of n.implicitInputs()) if (later(n, v)) sorted = false;
  }
  if (sorted) return;
  const order = topologicalOrder(graph);
  if (!order) fail(`its nodes form a cycle (${cycleOf(graph)}); a graph must be acyclic`);
  graph.nodes.length = 0;
  for (const n of order!) graph.nodes.push(n);
}

/** Names the nodes of one cycle: `A → B → A`. */
function cycleOf(graph: Graph): string {
  const deps = (n: Node): Node[] => {
    const reads = n.hasAttrs && n.subgraphs().length > 0 ? [...n.inputs, ...n.implicitInputs()] : n.inputs;
    const out: Node[] = [];
    for (const v of reads) if (v?.producer && v.producer.graph === graph) out.push(v.producer);
    return out;
  };
  // Iterative depth-first search: 0 unseen, 1 on the path, 2 done.
  const state = new Map<Node, number>();
  for (const start of graph.nodes) {
    if (state.has(start)) continue;
    const path: Node[] = [start];
    const next: Node[][] = [deps(start)];
    state.set(start, 1);
    while (path.length > 0) {
      const todo = next[next.length - 1]!;
      const d = todo.pop();
      if (d === undefined) {
        state.set(path.pop()!, 2);
        next.pop();
        continue;
      }
      const s = state.get(d);
      if (s === 1) {
        const cycle = path.slice(path.indexOf(d));
        if (cycle.length === 1) return `node '${d.label}' reads its own output`;
        const names = cycle.slice(0, 6).map((n) => `'${n.label}'`);
        return `${names.join(' reads ')}${cycle.length > 6 ? ' ...' : ''} reads '${cycle[0]!.label}'`;
      }
      if (s === undefined) {
        state.set(d, 1);
        path.push(d);
        next.push(deps(d));
      }
    }
  }
  return 'a node reads its own output';
}
