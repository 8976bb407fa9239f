import type { Node } from './node.js';

/**
 * A map from nodes, indexed by node id. Ids are unique in a model and dense (taken in turn from
 * the model's IdSource), so an array does what a Map of a million nodes does without hashing
 * each node; the node is kept beside its entry, so a node of another model with the same id
 * is not mistaken for it. A table of a few nodes with high ids (a nested graph's) stays small:
 * the engine keeps such arrays sparse.
 */
export class NodeTable<T> {
  private readonly nodes: (Node | undefined)[] = [];
  private readonly items: (T | undefined)[] = [];

  set(node: Node, item: T): void {
    this.nodes[node.id] = node;
    this.items[node.id] = item;
  }

  get(node: Node): T | undefined {
    return this.nodes[node.id] === node ? this.items[node.id] : undefined;
  }

  has(node: Node): boolean {
    return this.nodes[node.id] === node;
  }

  delete(node: Node): void {
    if (this.nodes[node.id] !== node) return;
    this.nodes[node.id] = undefined;
    this.items[node.id] = undefined;
  }

  *entries(): Generator<[Node, T]> {
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i];
      if (n !== undefined) yield [n, this.items[i]!];
    }
  }
}
