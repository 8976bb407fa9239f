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
 * Where each node of some lists is (which list, and its place there), by node id. Int32Arrays:
 * building them stores no pointer per node (a NodeTable stores two, which on a million nodes is
 * most of its cost). The lists confirm the node at a place, so a node of another model with the
 * same id is not mistaken for one of theirs. Ids much sparser than the nodes (a nested graph's
 * few nodes numbered after a big main graph's), or repeated (sub-models number their own
 * nodes), go in a Map instead.
 */
export class NodePositions {
  private readonly lists: readonly (readonly Node[])[];
  private readonly listById: Int32Array | undefined;
  private readonly placeById: Int32Array | undefined;
  private readonly byNode: Map<Node, { readonly list: number; readonly place: number }> | undefined;

  constructor(lists: readonly (readonly Node[])[]) {
    this.lists = lists;
    let maxId = -1;
    let count = 0;
    for (const list of lists) {
      count += list.length;
      for (let i = 0; i < list.length; i++) maxId = Math.max(maxId, list[i]!.id);
    }
    if (maxId < 4 * count + 1024) {
      const listById = new Int32Array(maxId + 1).fill(-1);
      const placeById = new Int32Array(maxId + 1);
      let repeated = false;
      for (let l = 0; l < lists.length && !repeated; l++) {
        const list = lists[l]!;
        for (let i = 0; i < list.length; i++) {
          const id = list[i]!.id;
          if (listById[id] !== -1) {
            repeated = true;
            break;
          }
          listById[id] = l;
          placeById[id] = i;
        }
      }
      if (!repeated) {
        this.listById = listById;
        this.placeById = placeById;
        return;
      }
    }
    const byNode = new Map<Node, { list: number; place: number }>();
    lists.forEach((list, l) => list.forEach((n, i) => byNode.set(n, { list: l, place: i })));
    this.byNode = byNode;
  }

  /** The node's place in its list; undefined for a node of none. */
  of(node: Node): number | undefined {
    if (this.byNode) return this.byNode.get(node)?.place;
    const l = this.listById![node.id];
    if (l === undefined || l < 0) return undefined;
    const i = this.placeById![node.id]!;
    return this.lists[l]![i] === node ? i : undefined;
  }

  /** Which list holds the node; undefined for a node of none. */
  listOf(node: Node): number | undefined {
    if (this.byNode) return this.byNode.get(node)?.list;
    const l = this.listById![node.id];
    if (l === undefined || l < 0) return undefined;
    return this.lists[l]![this.placeById![node.id]!] === node ? l : undefined;
  }
}

/**
 * A Map from nodes, in the order they were set, for the judgements of every node of a model:
 * the entry of a node with an id below `capacity` sits at that id in an array (a Map of a
 * million nodes hashes each and rebuilds its table as it grows, about ten times slower here);
 * a node with a higher id, or whose id another node holds (sub-models number their own
 * nodes), goes in a Map beside. Entries are not deleted.
 */
export class NodeMap<V> implements ReadonlyMap<Node, V> {
  private readonly nodes: (Node | undefined)[];
  private readonly items: (V | undefined)[];
  private readonly others = new Map<Node, V>();
  private readonly order: Node[] = [];

  /** `capacity`: one more than the highest id most nodes set will have. */
  constructor(capacity: number) {
    this.nodes = new Array(capacity);
    this.items = new Array(capacity);
  }

  get size(): number {
    return this.order.length;
  }

  set(node: Node, item: V): this {
    const id = node.id;
    if (id < this.nodes.length) {
      const held = this.nodes[id];
      if (held === undefined) {
        this.nodes[id] = node;
        this.items[id] = item;
        this.order.push(node);
        return this;
      }
      if (held === node) {
        this.items[id] = item;
        return this;
      }
    }
    if (!this.others.has(node)) this.order.push(node);
    this.others.set(node, item);
    return this;
  }

  get(node: Node): V | undefined {
    const id = node.id;
    return id < this.nodes.length && this.nodes[id] === node ? this.items[id] : this.others.get(node);
  }

  has(node: Node): boolean {
    const id = node.id;
    return (id < this.nodes.length && this.nodes[id] === node) || this.others.has(node);
  }

  forEach(callback: (item: V, node: Node, map: ReadonlyMap<Node, V>) => void, thisArg?: unknown): void {
    for (const n of this.order) callback.call(thisArg, this.get(n)!, n, this);
  }

  *entries(): IterableIterator<[Node, V]> {
    for (const n of this.order) yield [n, this.get(n)!];
  }

  *keys(): IterableIterator<Node> {
    yield* this.order;
  }

  *values(): IterableIterator<V> {
    for (const n of this.order) yield this.get(n)!;
  }

  [Symbol.iterator](): IterableIterator<[Node, V]> {
    return this.entries();
  }
}
