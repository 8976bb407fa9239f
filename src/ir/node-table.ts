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

/**
 * The position of each node of a list, by node id. An Int32Array: building it stores no pointer
 * per node (a NodeTable stores two, which on a million nodes is most of its cost). The list
 * answers which node is at a position, so a node of another model with the same id is not
 * mistaken for one of the list. Ids much sparser than the list (a nested graph's few nodes
 * numbered after a big main graph's) go in a Map instead.
 */
export class NodePositions {
  private readonly byId: Int32Array | undefined;
  private readonly byNode: Map<Node, number> | undefined;

  constructor(private readonly nodes: readonly Node[]) {
    let maxId = -1;
    for (let i = 0; i < nodes.length; i++) maxId = Math.max(maxId, nodes[i]!.id);
    if (maxId < 4 * nodes.length + 1024) {
      const byId = new Int32Array(maxId + 1).fill(-1);
      for (let i = 0; i < nodes.length; i++) byId[nodes[i]!.id] = i;
      this.byId = byId;
    } else {
      const byNode = new Map<Node, number>();
      for (let i = 0; i < nodes.length; i++) byNode.set(nodes[i]!, i);
      this.byNode = byNode;
    }
  }

  of(node: Node): number | undefined {
    if (this.byNode) return this.byNode.get(node);
    const i = this.byId![node.id];
    return i !== undefined && i >= 0 && this.nodes[i] === node ? i : undefined;
  }
}
