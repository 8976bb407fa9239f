import { describe, expect, it } from 'vitest';
import type { Node } from '../../src/ir/graph.js';
import { ModelBuilder } from '../../src/ir/build.js';
import { graphsWithin, type Model } from '../../src/ir/model.js';
import { partition, valueBytes } from '../../src/targets/partition.js';
import { decision, type Decision, type Judgement } from '../../src/targets/types.js';

/** A judgement that accelerates exactly the nodes whose op is in `ops`. */
function judge(model: Model, accelerated: (n: Node) => boolean): Judgement {
  const decisions = new Map<Node, Decision>();
  for (const g of graphsWithin(model.graph)) {
    for (const n of g.nodes) decisions.set(n, accelerated(n) ? decision('claimed', 'test', 'E1', 'claimed') : decision('unclaimed', 'test', 'E1', 'op-type'));
  }
  return { target: 'coreml-ep', judged: model, decisions, originsOf: (n) => [n], notes: [], guesses: [] };
}

describe('partitioning (E1 walk)', () => {
  it('splits a chain at an unsupported node, one boundary each way, with bytes', () => {
    const b = new ModelBuilder();
    const x = b.input('x', 'float32', [1, 3, 8, 8]);
    const a = b.op('Relu', [x], {}, { name: 'a' });
    const u = b.op('TopK', [a], {}, { name: 'u' });
    b.output(b.op('Sigmoid', [u], {}, { name: 'c' }));
    for (const g of graphsWithin(b.model.graph)) for (const n of g.nodes) for (const o of n.outputs) o.type ??= { kind: 'tensor', dtype: 'float32', shape: [1, 3, 8, 8] };
    const plan = partition(judge(b.model, (n) => n.op !== 'TopK'));
    expect(plan.count).toBe(2);
    expect(plan.partitions.map((p) => [p.device, p.nodes.map((n) => n.label)])).toEqual([
      ['claimed', ['a']], ['unclaimed', ['u']], ['claimed', ['c']],
    ]);
    expect(plan.boundaries.map((x) => [x.value.name, x.from, x.to, x.bytes])).toEqual([
      ['a_out', 0, 1, 768], ['u_out', 1, 2, 768],
    ]);
  });

  it('defers an unsupported node on the border, so a reader after it starts a new group', () => {
    // x -> A (ok) -> U (no) -> C (ok), and A -> C directly: C waits for U, so it cannot join A's group
    const b = new ModelBuilder();
    const x = b.input('x', 'float32', [4]);
    const a = b.op('Relu', [x], {}, { name: 'A' });
    const u = b.op('TopK', [a], {}, { name: 'U' });
    b.output(b.op('Add', [a, u], {}, { name: 'C' }));
    const plan = partition(judge(b.model, (n) => n.op !== 'TopK'));
    expect(plan.partitions.filter((p) => p.accelerated).map((p) => p.nodes.map((n) => n.label))).toEqual([['A'], ['C']]);
  });

  it('keeps independent supported nodes in one group, and a lone supported node is a partition', () => {
    const b = new ModelBuilder();
    const x = b.input('x', 'float32', [4]);
    const u = b.op('TopK', [x], {}, { name: 'U' });
    const p = b.op('Relu', [x], {}, { name: 'P' });
    const q = b.op('Sigmoid', [x], {}, { name: 'Q' });
    b.output(b.op('Add', [p, q], {}, { name: 'R' }));
    b.output(u);
    const plan = partition(judge(b.model, (n) => n.op !== 'TopK'));
    expect(plan.count).toBe(1);
    expect(plan.partitions.find((x) => x.accelerated)!.nodes.map((n) => n.label)).toEqual(['P', 'Q', 'R']);
    const lone = partition(judge(b.model, (n) => n.label === 'P'));
    expect(lone.count).toBe(1);
    expect(lone.supported).toBe(1);
  });

  it('partitions nested graphs on their own; an outer value read in a body crosses into the body\'s partition', () => {
    const b = new ModelBuilder();
    const x = b.input('x', 'float32', [2]);
    const c = b.input('c', 'bool', []);
    const pre = b.op('Relu', [x], {}, { name: 'pre' });
    const then = b.subgraph('then_branch');
    b.output(b.op('Neg', [pre], {}, { graph: then, name: 'neg' }), 'float32', [2], then);
    const other = b.subgraph('else_branch');
    b.output(b.op('Abs', [pre], {}, { graph: other, name: 'abs' }), 'float32', [2], other);
    b.output(b.op('If', [c], { then_branch: then, else_branch: other }, { name: 'if' }));
    const plan = partition(judge(b.model, (n) => n.op !== 'If'));
    expect(plan.partitions.map((p) => `${p.graph.path}:${p.nodes.map((n) => n.label).join(',')}`)).toEqual([
      'main:pre', 'main:if', 'main/if.then_branch:neg', 'main/if.else_branch:abs',
    ]);
    expect(plan.count).toBe(3);
    expect(plan.boundaries.map((x) => [x.value.name, x.from, x.to])).toEqual([['pre_out', 0, 2], ['pre_out', 0, 3]]);
  });

  it('reports null bytes for a value whose shape is not fully known', () => {
    const b = new ModelBuilder();
    const x = b.input('x', 'float16', ['N', 8]);
    expect(valueBytes(x)).toBeNull();
    x.type = { kind: 'tensor', dtype: 'float16', shape: [2, 8] };
    expect(valueBytes(x)).toBe(32);
  });
});
