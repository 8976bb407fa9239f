import type { Node } from './node.js';

/**
 * A map from nodes, indexed by node id. Ids are unique in a model and dense (taken in turn from
 * the model's IdSource), so an array does what a Map of a million nodes does without hashing
 * each node (about ten times faster here) and without the Map's rebuilds as it grows. The node
 * is kept beside its entry, so a node of another model with the same id is not mistaken for it.
 * The arrays hold ids below `capacity`, and grow by one when the next id comes; a node whose id
 * lies further out (a few nested nodes numbered after a big graph's, which would make the arrays
 * sparse and hashed), or whose place another node with its id holds (sub-models number their
 * own nodes), goes in a Map beside.
 */
export class NodeTable<T> {
  private readonly nodes: (Node | undefined)[];
  private readonly items: (T | undefined)[];
  private readonly others = new Map<Node, T>();

  /** `capacity`: one more than the highest id most nodes set will have (the model's IdSource.issued). */
  constructor(capacity = 0) {
    this.nodes = new Array(capacity);
    this.items = new Array(capacity);
  }

  set(node: Node, item: T): void {
    const id = node.id;
    if (this.others.size === 0 || !this.others.has(node)) {
      if (id < this.nodes.length) {
        const held = this.nodes[id];
        if (held === undefined || held === node) {
          this.nodes[id] = node;
          this.items[id] = item;
          return;
        }
      } else if (id === this.nodes.length) {
        this.nodes.push(node);
        this.items.push(item);
        return;
      }
    }
    this.others.set(node, item);
  }

  get(node: Node): T | undefined {
    if (this.nodes[node.id] === node) return this.items[node.id];
    return this.others.size === 0 ? undefined : this.others.get(node);
  }

  has(node: Node): boolean {
    return this.nodes[node.id] === node || (this.others.size > 0 && this.others.has(node));
  }

  delete(node: Node): void {
    if (this.nodes[node.id] === node) {
      this.nodes[node.id] = undefined;
      this.items[node.id] = undefined;
    } else {
      this.others.delete(node);
    }
  }

  *entries(): Generator<[Node, T]> {
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i];
      if (n !== undefined) yield [n, this.items[i]!];
    }
    yield* this.others;
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
  /** Which list each id's node is in; none for one list (each node is in the first). */
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
      // One list (most callers) needs no list per id: a place of -1 says "none".
      const listById = lists.length > 1 ? new Int32Array(maxId + 1) : undefined;
      const placeById = new Int32Array(maxId + 1).fill(-1);
      let repeated = false;
      for (let l = 0; l < lists.length && !repeated; l++) {
        const list = lists[l]!;
        for (let i = 0; i < list.length; i++) {
          const id = list[i]!.id;
          if (placeById[id] !== -1) {
            repeated = true;
            break;
          }
          if (listById) listById[id] = l;
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
    const i = this.placeById![node.id];
    if (i === undefined || i < 0) return undefined;
    const l = this.listById ? this.listById[node.id]! : 0;
    return this.lists[l]![i] === node ? i : undefined;
  }

  /** Which list holds the node; undefined for a node of none. */
  listOf(node: Node): number | undefined {
    if (this.byNode) return this.byNode.get(node)?.list;
    const i = this.placeById![node.id];
    if (i === undefined || i < 0) return undefined;
    const l = this.listById ? this.listById[node.id]! : 0;
    return this.lists[l]![i] === node ? l : undefined;
  }
}

/**
 * A Map from nodes, in the order they were set, for the judgements of every node of a model:
 * a NodeTable and that order. Entries are not deleted.
 */
export class NodeMap<V> implements ReadonlyMap<Node, V> {
  private readonly table: NodeTable<V>;
  private readonly order: Node[] = [];

  /** `capacity`: as NodeTable's. */
  constructor(capacity: number) {
    this.table = new NodeTable<V>(capacity);
  }

  get size(): number {
    return this.order.length;
  }

  set(node: Node, item: V): this {
    if (!this.table.has(node)) this.order.push(node);
    this.table.set(node, item);
    return this;
  }

  get(node: Node): V | undefined {
    return this.table.get(node);
  }

  has(node: Node): boolean {
    return this.table.has(node);
  }

  forEach(callback: (item: V, node: Node, map: ReadonlyMap<Node, V>) => void, thisArg?: unknown): void {
    const order = this.order;
    for (let i = 0; i < order.length; i++) {
      const n = order[i]!;
      callback.call(thisArg, this.table.get(n)!, n, this);
    }
  }

  *entries(): IterableIterator<[Node, V]> {
    for (const n of this.order) yield [n, this.table.get(n)!];
  }

  *keys(): IterableIterator<Node> {
    yield* this.order;
  }

  *values(): IterableIterator<V> {
    for (const n of this.order) yield this.table.get(n)!;
  }

  [Symbol.iterator](): IterableIterator<[Node, V]> {
    return this.entries();
  }
}
