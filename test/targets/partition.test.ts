import { describe, expect, it } from 'vitest';
import type { Node } from '../../src/ir/graph.js';
import { ModelBuilder } from '../../src/ir/build.js';
import { graphsWithin, type Model } from '../../src/ir/model.js';
import { partition, valueBytes } from '../../src/targets/partition.js';
import { decision, type Decision, type Judgement } from '../../src/targets/types.js';
import { ifModel } from '../helpers/if-model.js';

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
    const plan = partition(judge(ifModel(), (n) => n.op !== 'If'));
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

  it('groups random graphs as a plain walk with fresh state for each side does', () => {
    // The walk reuses its lists from one side to the next (and keeps them in arrays by index):
    // a reference written with Sets and lists made afresh must group every node the same way.
    let seed = 7;
    const random = (k: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % k;
    };
    for (let trial = 0; trial < 150; trial++) {
      const b = new ModelBuilder();
      const values = [b.input('x', 'float32', [4])];
      const size = 3 + random(30);
      for (let i = 0; i < size; i++) {
        const a = values[random(values.length)]!;
        const ins = random(2) === 0 ? [a] : [a, values[random(values.length)]!];
        values.push(b.op(ins.length === 1 ? 'Relu' : 'Add', ins, {}, { name: `n${i}` }));
      }
      b.output(values[values.length - 1]!);
      const flags = new Map(b.model.graph.nodes.map((n) => [n, random(3) !== 0]));
      const plan = partition(judge(b.model, (n) => flags.get(n)!));
      const got = plan.partitions.map((p) => `${p.accelerated ? 'ane' : 'cpu'}:${p.nodes.map((n) => n.label).join(',')}`).sort();
      expect(got, `trial ${trial}`).toEqual(referenceGroups(b.model.graph.nodes, flags).sort());
    }
  });
});

/** CreateSupportedPartitionNodeGroups as partition.ts's comment tells it, for both sides, with nothing shared. */
function referenceGroups(nodes: readonly Node[], accelerated: ReadonlyMap<Node, boolean>): string[] {
  const out: string[] = [];
  for (const side of [true, false]) {
    const inDegree = new Map<Node, number>(nodes.map((n) => [n, 0]));
    const readers = (n: Node): Node[] => n.outputs.flatMap((o) => o.uses.map((u) => u.node)).filter((r) => r !== n && inDegree.has(r));
    for (const n of nodes) for (const r of readers(n)) inDegree.set(r, inDegree.get(r)! + 1);
    let queue = nodes.filter((n) => inDegree.get(n) === 0);
    let deferred: Node[] = [];
    let group: Node[] = [];
    let border = new Set<Node>();
    const close = (): void => {
      if (group.length > 0) out.push(`${side ? 'ane' : 'cpu'}:${group.map((n) => n.label).join(',')}`);
      group = [];
      border = new Set();
    };
    while (queue.length > 0 || deferred.length > 0) {
      if (queue.length === 0) {
        close();
        queue = deferred;
        deferred = [];
        continue;
      }
      const n = queue.shift()!;
      const member = accelerated.get(n) === side;
      if (!member && border.has(n)) {
        deferred.push(n);
        continue;
      }
      if (member) {
        group.push(n);
        border.delete(n);
      }
      for (const r of readers(n)) {
        if (member) border.add(r);
        inDegree.set(r, inDegree.get(r)! - 1);
        if (inDegree.get(r) === 0) queue.push(r);
      }
    }
    close();
  }
  return out;
}
