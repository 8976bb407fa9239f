import { describe, expect, it } from 'vitest';
import { ModelBuilder } from '../../src/ir/build.js';
import type { Graph } from '../../src/ir/graph.js';
import { isTopologicallyOrdered, topologicalOrder } from '../../src/ir/topo.js';

/** Every use recorded on a value matches the node input that holds it, and vice versa. */
function usesConsistent(g: Graph): boolean {
  for (const n of g.nodes) {
    for (let i = 0; i < n.inputs.length; i++) {
      const v = n.inputs[i];
      if (v && !v.uses.some((u) => u.node === n && u.index === i)) return false;
    }
  }
  for (const v of g.values.values()) {
    for (const u of v.uses) if (u.node.inputs[u.index] !== v) return false;
  }
  return true;
}

describe('graph edits', () => {
  it('add, replace uses and remove keep producers and uses consistent', () => {
    const b = new ModelBuilder();
    const x = b.input('x', 'float32', [1, 4]);
    const a = b.op('Relu', [x]);
    const c = b.op('Sigmoid', [a]);
    const d = b.op('Mul', [a, c]);
    b.output(d);
    const g = b.graph;
    expect(usesConsistent(g)).toBe(true);
    expect(a.uses.map((u) => u.node.op)).toEqual(['Sigmoid', 'Mul']);

    // Route around the Relu: every reader of its output now reads x.
    const relu = a.producer!;
    g.replaceUses(a, x);
    expect(a.uses).toHaveLength(0);
    expect(x.uses).toHaveLength(3);
    g.removeNode(relu);
    expect(g.nodes.map((n) => n.op)).toEqual(['Sigmoid', 'Mul']);
    expect(usesConsistent(g)).toBe(true);
    expect(g.values.has(a.name)).toBe(false);
  });

  it('refuses to remove a node whose output is still read', () => {
    const b = new ModelBuilder();
    const x = b.input('x', 'float32', [1]);
    const y = b.op('Relu', [x]);
    b.output(b.op('Neg', [y]));
    expect(() => b.graph.removeNode(y.producer!)).toThrow(/dangling/);
  });

  it('replacing a graph output value updates the graph outputs', () => {
    const b = new ModelBuilder();
    const x = b.input('x', 'float32', [1]);
    const y = b.op('Relu', [x]);
    b.output(y);
    const z = b.op('Neg', [x]);
    b.graph.replaceUses(y, z);
    expect(b.graph.outputs[0]).toBe(z);
  });

  it('marks edited nodes and every enclosing graph as changed', () => {
    const b = new ModelBuilder();
    const cond = b.input('c', 'bool', []);
    const x = b.input('x', 'float32', [2]);
    const then = b.subgraph('then_branch');
    const inner = b.op('Relu', [x], {}, { graph: then });
    b.output(inner, 'float32', [2], then);
    const other = b.subgraph('else_branch');
    b.output(b.op('Neg', [x], {}, { graph: other }), 'float32', [2], other);
    const out = b.op('If', [cond], { then_branch: then, else_branch: other });
    b.output(out);
    for (const g of b.model.allGraphs()) {
      g.changed = false;
      for (const n of g.nodes) n.changed = false;
    }
    inner.producer!.setAttr('note', { type: 'string', value: 'x' });
    expect(then.changed).toBe(true);
    expect(out.producer!.changed).toBe(true);
    expect(b.graph.changed).toBe(true);
    expect(other.changed).toBe(false);
    expect(inner.producer!.path).toBe('main/If_2.then_branch/Relu_0');
  });
});

describe('topological order', () => {
  it('sorts an out-of-order graph stably and detects cycles', () => {
    const b = new ModelBuilder();
    const x = b.input('x', 'float32', [1]);
    const a = b.op('Relu', [x]);
    const c = b.op('Neg', [a]);
    b.output(c);
    const g = b.graph;
    g.nodes.reverse();
    expect(isTopologicallyOrdered(g)).toBe(false);
    expect(topologicalOrder(g)!.map((n) => n.op)).toEqual(['Relu', 'Neg']);
    // A cycle: Relu reads Neg's output.
    a.producer!.setInput(0, c);
    expect(topologicalOrder(g)).toBeUndefined();
  });

  it('orders a node after the producers its subgraphs read from the outer graph', () => {
    const b = new ModelBuilder();
    const cond = b.input('c', 'bool', []);
    const x = b.input('x', 'float32', [2]);
    const then = b.subgraph('then_branch');
    const other = b.subgraph('else_branch');
    const ifNode = b.op('If', [cond], { then_branch: then, else_branch: other }).producer!;
    const outer = b.op('Relu', [x]);
    b.output(b.op('Neg', [outer], {}, { graph: then }), 'float32', [2], then);
    b.output(b.op('Abs', [outer], {}, { graph: other }), 'float32', [2], other);
    const order = topologicalOrder(b.graph)!;
    expect(order.indexOf(outer.producer!)).toBeLessThan(order.indexOf(ifNode));
  });
});
