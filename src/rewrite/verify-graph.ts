import type { Graph, Node, Value } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import type { Shape } from '../ir/shape.js';
import { formatType, type ValueType } from '../ir/types.js';
import type { Transaction } from './apply.js';

/**
 * The checks after a patch (ARCHITECTURE.md, Rewrites): the graph interface is unchanged,
 * no value dangles, the graph is still acyclic (and its nodes are put back in topological
 * order), and every value the patch made has a type that agrees with what inference says.
 * Each returns the problem in words, or undefined.
 */

export interface InterfaceEntry {
  readonly name: string;
  readonly type: ValueType | null;
}

export interface GraphInterface {
  readonly inputs: readonly InterfaceEntry[];
  readonly outputs: readonly InterfaceEntry[];
}

export function captureInterface(model: Model): GraphInterface {
  const entry = (v: Value): InterfaceEntry => ({ name: v.name, type: v.type });
  return { inputs: model.graph.inputs.map(entry), outputs: model.graph.outputs.map(entry) };
}

/** Names and order of the main graph's inputs and outputs, and their types where both are known. */
export function checkInterface(model: Model, before: GraphInterface): string | undefined {
  const g = model.graph;
  for (const [what, now, then] of [['input', g.inputs, before.inputs], ['output', g.outputs, before.outputs]] as const) {
    if (now.length !== then.length) return `the graph now has ${now.length} ${what}s instead of ${then.length}`;
    for (let i = 0; i < now.length; i++) {
      const v = now[i]!;
      const was = then[i]!;
      if (v.name !== was.name) return `graph ${what} ${i} is now '${v.name}' instead of '${was.name}'`;
      if (!compatible(v.type, was.type)) return `graph ${what} '${v.name}' is now ${formatType(v.type)} instead of ${formatType(was.type)}`;
    }
  }
  return undefined;
}

/** Structure after applying `tx`: declared-dead nodes are dead, nothing dangles, no cycle (order repaired). */
export function checkStructure(tx: Transaction): string | undefined {
  for (const n of tx.removals) {
    for (const out of n.outputs) {
      if (out.isGraphOutput) return `${n.label} should be dead but ${out.name} is a graph output`;
      const reader = out.uses.find((u) => !tx.removals.includes(u.node));
      if (reader) return `${n.label} should be dead but ${out.name} is still read by ${reader.node.label}`;
    }
  }
  const present = new NodeSets();
  const nodes = [...tx.created, ...tx.edited].filter((n) => present.has(n));
  for (const n of nodes) {
    for (const v of n.inputs) {
      if (v && !inScope(v, n.graph, present)) return `${n.label} reads ${v.name || 'a value'}, which nothing in scope defines`;
    }
  }
  const g = tx.patch.graph;
  for (const v of g.outputs) {
    if (!inScope(v, g, present)) return `graph output ${v.name} is not defined`;
  }
  if (!tx.reorder()) return 'the patch makes a cycle';
  return undefined;
}

/** Types after inference: each value the patch made is a tensor whose type agrees with the builder's. */
export function checkTypes(tx: Transaction, predicted: ReadonlyMap<Value, ValueType>): string | undefined {
  for (const v of tx.createdValues) {
    const t = v.type;
    if (!t || t.kind !== 'tensor' || t.dtype === 'unknown') return `${v.name} has no known tensor type after the patch`;
    const p = predicted.get(v);
    if (p && !compatible(t, p)) return `${v.name} is ${formatType(t)}, but the fix built it as ${formatType(p)}`;
  }
  return undefined;
}

export function compatible(a: ValueType | null, b: ValueType | null): boolean {
  if (a === null || b === null) return true;
  if (a.kind !== b.kind) return false;
  if (a.kind !== 'tensor' || b.kind !== 'tensor') return true;
  if (a.dtype !== b.dtype && a.dtype !== 'unknown' && b.dtype !== 'unknown') return false;
  return sameShape(a.shape, b.shape);
}

function sameShape(a: Shape, b: Shape): boolean {
  if (a === null || b === null) return true;
  if (a.length !== b.length) return false;
  return a.every((d, i) => {
    const e = b[i];
    return typeof d !== 'number' || typeof e !== 'number' || d === e;
  });
}

/** Membership of nodes in their graphs, built per graph when first asked. */
class NodeSets {
  private readonly sets = new Map<Graph, Set<Node>>();
  has(n: Node): boolean {
    let s = this.sets.get(n.graph);
    if (!s) this.sets.set(n.graph, (s = new Set(n.graph.nodes)));
    return s.has(n);
  }
}

/** Defined where `g` can read it: produced by a live node of `g` or an enclosing graph, or an input, initializer or inline constant there. */
function inScope(v: Value, g: Graph, present: NodeSets): boolean {
  let scope: Graph | null = g;
  while (scope && scope !== v.graph) scope = scope.parentGraph;
  if (!scope) return false;
  if (v.producer) return present.has(v.producer);
  if (scope.inputs.includes(v) || scope.initializers.includes(v)) return true;
  // ML Program immediate arguments are private constants of their node.
  return v.constant !== null && scope.values.get(v.name) !== v;
}
