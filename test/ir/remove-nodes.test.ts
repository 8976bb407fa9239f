import { describe, expect, it } from 'vitest';
import { ModelBuilder } from '../../src/ir/build.js';

function chain(n: number): ModelBuilder {
  const b = new ModelBuilder();
  let x = b.input('x', 'float32', [1, 4]);
  for (let i = 0; i < n; i++) x = b.op('Relu', [x], {}, { name: `r${i}` });
  b.output(b.op('Identity', [x], {}, { name: 'last' }), 'float32', [1, 4]);
  return b;
}

describe('Graph.removeNodes and contains', () => {
  it('removes a batch in one pass, keeping the list object, uses, values and labels consistent', () => {
    const b = chain(6);
    const g = b.graph;
    const list = g.nodes;
    const [r0, r1, r2, r3] = g.nodes;
    // r1..r3 read each other; r4 is rewired to read r0 first.
    const r4 = g.nodes[4]!;
    r4.setInput(0, r0!.outputs[0]!);
    g.removeNodes([r3!, r1!, r2!]);
    expect(g.nodes).toBe(list);
    expect(g.nodes.map((n) => n.name)).toEqual(['r0', 'r4', 'r5', 'last']);
    expect(r0!.outputs[0]!.uses.map((u) => u.node.name)).toEqual(['r4']);
    for (const n of [r1!, r2!, r3!]) {
      expect(g.contains(n)).toBe(false);
      expect(n.removed).toBe(true);
      expect(g.values.has(n.outputs[0]!.name)).toBe(false);
    }
    expect(g.contains(r0!)).toBe(true);
    // Labels of removed nodes are free again.
    expect(g.addNode({ op: 'Relu', kind: 'relu', name: 'r2', inputs: [r0!.outputs[0]!], outputs: ['again'] }).label).toBe('r2');
  });

  it('refuses a batch that would leave a value dangling', () => {
    const b = chain(3);
    const g = b.graph;
    expect(() => g.removeNodes([g.nodes[1]!])).toThrow(/dangling/);
    expect(() => g.removeNodes([g.nodes[3]!])).toThrow(/dangling/); // a graph output
    expect(g.nodes.length).toBe(4);
  });

  it('single removals mark the node removed too', () => {
    const b = chain(2);
    const g = b.graph;
    const last = g.nodes[2]!;
    g.outputs.length = 0;
    g.removeNode(last);
    expect(g.contains(last)).toBe(false);
  });
});
