import { describe, expect, it } from 'vitest';
import { ModelBuilder } from '../../src/ir/build.js';
import type { Node } from '../../src/ir/graph.js';
import { NodeMap, NodePositions, NodeTable } from '../../src/ir/node-table.js';

/** Two models whose nodes take the same ids (each model numbers its own). */
function twoModels(): [Node[], Node[]] {
  const make = (): Node[] => {
    const b = new ModelBuilder({ opset: 17 });
    let x = b.input('x', 'float32', [2]);
    for (let i = 0; i < 6; i++) x = b.op('Relu', [x]);
    b.output(x);
    return [...b.model.graph.nodes];
  };
  return [make(), make()];
}

describe('NodePositions', () => {
  it('finds the list and place of each node, and no node of another model with the same id', () => {
    const [a, other] = twoModels();
    expect(a.map((n) => n.id)).toEqual(other.map((n) => n.id));
    const lists = [a.slice(0, 2), a.slice(2)];
    const p = new NodePositions(lists);
    a.forEach((n, i) => {
      expect(p.listOf(n)).toBe(i < 2 ? 0 : 1);
      expect(p.of(n)).toBe(i < 2 ? i : i - 2);
    });
    for (const n of other) {
      expect(p.of(n)).toBeUndefined();
      expect(p.listOf(n)).toBeUndefined();
    }
  });

  it('answers the same for one list, which it keeps without a list per id', () => {
    const [a, other] = twoModels();
    const some = [a[4]!, a[1]!, a[2]!]; // out of id order, and not every node
    const p = new NodePositions([some]);
    for (const n of a) {
      const at = some.indexOf(n);
      expect(p.of(n)).toBe(at >= 0 ? at : undefined);
      expect(p.listOf(n)).toBe(at >= 0 ? 0 : undefined);
    }
    for (const n of other) expect(p.of(n)).toBeUndefined();
    // An id twice in the one list: a Map keeps both places apart.
    const twice = new NodePositions([[a[0]!, other[0]!]]);
    expect([twice.of(a[0]!), twice.of(other[0]!)]).toEqual([0, 1]);
  });

  it('keeps both nodes apart when the lists repeat an id (sub-models number their own nodes)', () => {
    const [a, b] = twoModels();
    const p = new NodePositions([a, b]);
    a.forEach((n, i) => expect([p.listOf(n), p.of(n)]).toEqual([0, i]));
    b.forEach((n, i) => expect([p.listOf(n), p.of(n)]).toEqual([1, i]));
  });
});

describe('NodeMap', () => {
  it('answers as a Map does, in the order of setting, with ids repeated by another model and ids past its capacity', () => {
    const [a, other] = twoModels();
    const mine = new NodeMap<string>(4); // a's last ids lie past it
    const theirs = new Map<Node, string>();
    // Out of id order, both models, one overwrite of each kind of place.
    const steps: Array<[Node, string]> = [
      [a[3]!, 'a3'], [other[3]!, 'o3'], [a[0]!, 'a0'], [a[5]!, 'a5'], [other[0]!, 'o0'],
      [a[3]!, 'a3 again'], [other[3]!, 'o3 again'], [a[5]!, 'a5 again'], [a[1]!, 'a1'],
    ];
    for (const [n, v] of steps) {
      mine.set(n, v);
      theirs.set(n, v);
    }
    expect(mine.size).toBe(theirs.size);
    expect([...mine]).toEqual([...theirs]);
    expect([...mine.keys()]).toEqual([...theirs.keys()]);
    expect([...mine.values()]).toEqual([...theirs.values()]);
    for (const n of [...a, ...other]) {
      expect(mine.get(n)).toBe(theirs.get(n));
      expect(mine.has(n)).toBe(theirs.has(n));
    }
    const seen: string[] = [];
    mine.forEach((v, n, m) => {
      expect(m).toBe(mine);
      seen.push(`${n.id}:${v}`);
    });
    expect(seen).toEqual([...theirs].map(([n, v]) => `${n.id}:${v}`));
  });

  it("is sized by what the model's id source issued: above every node's id", () => {
    const b = new ModelBuilder({ opset: 17 });
    expect(b.model.ids.issued).toBe(0);
    let x = b.input('x', 'float32', [2]);
    for (let i = 0; i < 6; i++) x = b.op('Relu', [x]);
    b.output(x);
    const ids = b.model.graph.nodes.map((n) => n.id);
    expect(b.model.ids.issued).toBe(Math.max(...ids) + 1);
    expect(b.model.ids.issued).toBe(ids.length);
  });
});

describe('NodeTable', () => {
  it('answers as a Map does through sets, deletes and sets again, with repeated ids and ids far past its arrays', () => {
    const [a, other] = twoModels();
    const mine = new NodeTable<string>(); // grows by the next id only: a[5] first lies far out
    const theirs = new Map<Node, string>();
    const steps: Array<[Node, string | null]> = [
      [a[5]!, 'a5'], [a[0]!, 'a0'], [other[0]!, 'o0'], [a[1]!, 'a1'], [a[2]!, 'a2'], [other[2]!, 'o2'],
      [a[0]!, null], [other[0]!, 'o0 again'], [a[0]!, 'a0 back'], [a[5]!, null], [a[3]!, 'a3'], [a[4]!, 'a4'], [a[5]!, 'a5 back'],
      [other[2]!, null], [a[2]!, 'a2 again'],
    ];
    for (const [n, v] of steps) {
      if (v === null) {
        mine.delete(n);
        theirs.delete(n);
      } else {
        mine.set(n, v);
        theirs.set(n, v);
      }
      for (const m of [...a, ...other]) {
        expect(mine.get(m)).toBe(theirs.get(m));
        expect(mine.has(m)).toBe(theirs.has(m));
      }
    }
    const byId = (e: [Node, string]): string => `${e[0].id}:${e[1]}`;
    expect([...mine.entries()].map(byId).sort()).toEqual([...theirs].map(byId).sort());
  });
});
