import type { Graph, Node } from './graph.js';

/**
 * Nodes of `graph` in a topological order that keeps the current order wherever it is
 * already valid (Kahn's algorithm, ready nodes taken by original position). A node with
 * subgraphs depends on the values its subgraphs read from this graph.
 * Returns undefined when the graph has a cycle.
 */
export function topologicalOrder(graph: Graph): Node[] | undefined {
  const nodes = graph.nodes;
  const position = new Map<Node, number>();
  nodes.forEach((n, i) => position.set(n, i));
  const pending = new Map<Node, number>();
  const dependents = new Map<Node, Node[]>();
  for (const n of nodes) {
    const deps = new Set<Node>();
    const reads = n.subgraphs().length > 0 ? [...n.inputs, ...n.implicitInputs()] : n.inputs;
    for (const v of reads) {
      const p = v?.producer;
      if (p && p !== n && position.has(p)) deps.add(p);
      else if (p === n) return undefined;
    }
    pending.set(n, deps.size);
    for (const d of deps) {
      let list = dependents.get(d);
      if (!list) dependents.set(d, (list = []));
      list.push(n);
    }
  }
  // A binary heap on original position keeps the output stable.
  const heap: Node[] = [];
  const less = (a: Node, b: Node): boolean => position.get(a)! < position.get(b)!;
  const push = (n: Node): void => {
    heap.push(n);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const pop = (): Node => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  for (const n of nodes) if (pending.get(n) === 0) push(n);
  const order: Node[] = [];
  while (heap.length > 0) {
    const n = pop();
    order.push(n);
    for (const d of dependents.get(n) ?? []) {
      const left = pending.get(d)! - 1;
      pending.set(d, left);
      if (left === 0) push(d);
    }
  }
  return order.length === nodes.length ? order : undefined;
}

/** True when `graph.nodes` is already in a valid topological order. */
export function isTopologicallyOrdered(graph: Graph): boolean {
  const seen = new Set<Node>();
  for (const n of graph.nodes) {
    for (const v of n.inputs) {
      const p = v?.producer;
      if (p && p.graph === graph && !seen.has(p)) return false;
    }
    seen.add(n);
  }
  return true;
}
