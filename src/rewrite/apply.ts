import type { Graph, Node, Value } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { isTopologicallyOrdered, topologicalOrder } from '../ir/topo.js';
import type { NameSource } from './builder.js';
import { isNew, type Patch, type ValueRef } from './patch.js';

/**
 * Applies one patch to the IR through its edit API and keeps a log to undo it: a failed
 * post-check rolls the patch back, leaving the graph (and the `changed` flags writers
 * use) as it was. Nodes a patch declares dead are not removed here: the clean-up after
 * the pass removes them, once the checks have passed.
 */
export class Transaction {
  /** Nodes the patch added. */
  readonly created: Node[] = [];
  /** Values the patch added (node outputs, constants). */
  readonly createdValues: Value[] = [];
  /** Nodes the patch declared dead. */
  readonly removals: Node[] = [];
  /** Existing nodes whose inputs, attributes or outputs' names the patch changed. */
  readonly edited = new Set<Node>();
  /** Values that lost readers: where the clean-up starts. */
  readonly released: Value[] = [];
  private readonly undo: Array<() => void> = [];
  private readonly flags = new Map<Node | Graph, boolean>();
  private applied = false;

  constructor(readonly model: Model, readonly patch: Patch, private readonly names: NameSource) {}

  apply(): void {
    if (this.applied) throw new Error('invariant: a transaction is applied once');
    this.applied = true;
    for (const g of this.model.allGraphs()) {
      this.flags.set(g, g.changed);
      if (g.parentNode) this.flags.set(g.parentNode, g.parentNode.changed);
    }
    const g = this.patch.graph;
    const made = new Map<number, Value>();
    const resolve = (r: ValueRef | null): Value | null => {
      if (r === null) return null;
      if (!isNew(r)) return r;
      const v = made.get(r.id);
      if (!v) throw new Error(`invariant: ${r.name} is read before the patch creates it`);
      return v;
    };
    let at = this.anchorIndex();
    for (const op of this.patch.ops) {
      switch (op.op) {
        case 'constant': {
          let v: Value;
          if (op.as === 'initializer') {
            v = g.addInitializer(op.out.name, op.tensor, op.out.type);
            this.undo.push(() => g.removeInitializer(v));
          } else {
            const node = g.addNode({ op: 'const', kind: 'const', name: op.out.name, inputs: [], outputs: [op.out.name] }, at++);
            v = node.outputs[0]!;
            v.constant = op.tensor;
            v.type = op.out.type;
            this.created.push(node);
            this.undo.push(() => g.removeNode(node));
          }
          made.set(op.out.id, v);
          this.createdValues.push(v);
          break;
        }
        case 'node': {
          const s = op.spec;
          const node = g.addNode({
            op: s.op, domain: s.domain, kind: s.kind, name: s.name, inputs: s.inputs.map(resolve),
            ...(s.inputNames ? { inputNames: s.inputNames } : {}), attrs: s.attrs, outputs: s.outputs.map((o) => o.name),
          }, at++);
          node.outputs.forEach((v, i) => {
            v.type = s.outputs[i]!.type;
            made.set(s.outputs[i]!.id, v);
            this.createdValues.push(v);
          });
          this.created.push(node);
          this.undo.push(() => g.removeNode(node));
          break;
        }
        case 'replace':
          this.replace(op.from, resolve(op.to)!, op.readers, isNew(op.to));
          break;
        case 'set-input': {
          const { node, index } = op;
          this.note(node);
          const old = node.inputs[index] ?? null;
          const to = resolve(op.to);
          if (index >= node.inputs.length) {
            // Appending an optional input: fill the gap with omitted ones.
            const length = node.inputs.length;
            while (node.inputs.length <= index) node.inputs.push(null);
            node.setInput(index, to);
            this.undo.push(() => {
              node.setInput(index, null);
              node.inputs.length = length;
            });
          } else {
            node.setInput(index, to);
            this.undo.push(() => node.setInput(index, old));
          }
          if (old) this.released.push(old);
          break;
        }
        case 'set-attr': {
          const { node, name } = op;
          this.note(node);
          const old = node.attrs.get(name);
          node.setAttr(name, op.attr);
          this.undo.push(() => node.setAttr(name, old));
          break;
        }
        case 'remove':
          this.removals.push(op.node);
          for (const v of op.node.inputs) if (v) this.released.push(v);
          break;
      }
    }
  }

  /** Puts the graph's nodes back in a topological order; false when the patch made a cycle. */
  reorder(): boolean {
    const g = this.patch.graph;
    if (isTopologicallyOrdered(g)) return true;
    const order = topologicalOrder(g);
    if (!order) return false;
    const before = [...g.nodes];
    setOrder(g, order);
    this.undo.push(() => {
      // The order before, unless a later patch (applied since, not rolled back) added nodes of its own.
      const known = new Set(before);
      if (g.nodes.every((n) => known.has(n))) {
        const present = new Set(g.nodes);
        setOrder(g, before.filter((n) => present.has(n)));
      }
    });
    return true;
  }

  /** Undoes every edit, newest first, and restores the `changed` flags. */
  rollback(): void {
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]!();
    this.undo.length = 0;
    // Rolled back out of order (after a later patch), the order may need repair.
    const g = this.patch.graph;
    if (!isTopologicallyOrdered(g)) {
      const order = topologicalOrder(g);
      if (order) setOrder(g, order);
    }
    for (const [x, changed] of this.flags) x.changed = changed;
  }

  private note(node: Node): void {
    if (!this.flags.has(node)) this.flags.set(node, node.changed);
    this.edited.add(node);
  }

  /** New nodes go right before the first node of the finding in this graph (order is repaired after). */
  private anchorIndex(): number {
    const g = this.patch.graph;
    const mine = new Set(this.patch.nodes.filter((n) => n.graph === g));
    const i = g.nodes.findIndex((n) => mine.has(n));
    return i >= 0 ? i : g.nodes.length;
  }

  private replace(from: Value, to: Value, readers: readonly Node[] | undefined, toIsNew: boolean): void {
    for (const u of [...from.uses]) {
      if (readers && !readers.includes(u.node)) continue;
      const { node, index } = u;
      this.note(node);
      node.setInput(index, to);
      this.undo.push(() => node.setInput(index, from));
    }
    this.released.push(from);
    if (readers) return;
    const g = from.graph;
    const at: number[] = [];
    g.outputs.forEach((v, i) => v === from && at.push(i));
    if (at.length === 0) return;
    // A graph output keeps its name: the new value takes it over (and the old one gets a
    // retired name until the clean-up removes it). An existing value cannot be renamed.
    if (toIsNew && to.graph === g) {
      const name = from.name;
      const toName = to.name;
      const aside = this.names.fresh(g, `${name}_replaced`);
      rename(from, aside);
      rename(to, name);
      if (from.producer) this.note(from.producer);
      this.undo.push(() => {
        rename(to, toName);
        rename(from, name);
      });
    }
    for (const i of at) g.outputs[i] = to;
    g.touch();
    this.undo.push(() => {
      for (const i of at) g.outputs[i] = from;
    });
  }
}

function setOrder(g: Graph, order: readonly Node[]): void {
  g.nodes.splice(0, g.nodes.length);
  for (const n of order) g.nodes.push(n);
}

function rename(v: Value, name: string): void {
  const g = v.graph;
  if (g.values.get(v.name) === v) g.values.delete(v.name);
  v.name = name;
  g.values.set(name, v);
  v.producer?.touch();
}
