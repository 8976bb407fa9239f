import type { Node } from '../../ir/graph.js';

/** What one node of the view stands for: one original node, or several (a fusion), or none. */
export type Origin = Node | readonly Node[];

/**
 * Node of the view → the original nodes it stands for, indexed by node id. Ids are unique in
 * a model and dense (taken in turn from the model's IdSource), so an array does what a Map of
 * a million nodes did without hashing each node; the node is kept beside its entry so a node
 * of another model with the same id is not mistaken for it.
 */
export class OriginTable {
  private readonly nodes: (Node | undefined)[] = [];
  private readonly origins: (Origin | undefined)[] = [];

  set(node: Node, origin: Origin): void {
    this.nodes[node.id] = node;
    this.origins[node.id] = origin;
  }

  get(node: Node): Origin | undefined {
    return this.nodes[node.id] === node ? this.origins[node.id] : undefined;
  }

  has(node: Node): boolean {
    return this.nodes[node.id] === node;
  }

  delete(node: Node): void {
    if (this.nodes[node.id] !== node) return;
    this.nodes[node.id] = undefined;
    this.origins[node.id] = undefined;
  }

  *entries(): Generator<[Node, Origin]> {
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i];
      if (n !== undefined) yield [n, this.origins[i]!];
    }
  }
}
