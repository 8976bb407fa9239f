import { describe, expect, it } from 'vitest';
import { ModelBuilder } from '../../src/ir/build.js';
import type { Node } from '../../src/ir/graph.js';
import { NodePositions } from '../../src/ir/node-table.js';

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

  it('keeps both nodes apart when the lists repeat an id (sub-models number their own nodes)', () => {
    const [a, b] = twoModels();
    const p = new NodePositions([a, b]);
    a.forEach((n, i) => expect([p.listOf(n), p.of(n)]).toEqual([0, i]));
    b.forEach((n, i) => expect([p.listOf(n), p.of(n)]).toEqual([1, i]));
  });
});
