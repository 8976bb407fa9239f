import type { Attribute } from '../../ir/attribute.js';
import { Graph, type Node, type Value } from '../../ir/graph.js';
import { Model } from '../../ir/model.js';

/**
 * A structural copy of an ONNX model's main graph (and the graphs nested in it), for
 * analyses that rewrite the graph the way ONNX Runtime would before judging it. The user's
 * model is never edited: the copy has its own graphs, nodes and values; tensors (immutable,
 * lazy) and value types are shared. Node labels are kept, so every copied node has the same
 * path as its original.
 */
/** A copy of `source`; `onNode` hears of each copied node with the original it was copied from. */
export function copyModel(source: Model, onNode: (copy: Node, original: Node) => void): Model {
  const model = new Model(source.format, source.path, source.graph.name);
  for (const [k, v] of source.opsets) model.opsets.set(k, v);
  for (const [k, v] of source.metadata) model.metadata.set(k, v);
  for (const [k, v] of source.info) model.info.set(k, v);
  const map = copyBody(source.graph, model.graph, () => undefined, onNode, { keepLabels: true });
  model.graph.origin = source.graph.origin;
  const to = model.graph;
  for (const v of source.graph.initializers) to.initializers.push(map.get(v)!);
  for (const v of source.graph.inputs) to.inputs.push(map.get(v)!);
  for (const v of source.graph.outputs) to.outputs.push(map.get(v)!);
  return model;
}

/** The copy of each value of the copied graph (undefined for one not copied). */
export interface ValueCopies {
  get(v: Value): Value | undefined;
}

export interface CopyOptions {
  /**
   * Keep the original node labels (a model copy into new, empty graphs: they are taken there
   * unchecked); otherwise labels come from names in the new graph.
   */
  readonly keepLabels: boolean;
  /** Give copied values fresh names in `to` (inlining into a graph that may use the names already). */
  readonly rename?: boolean;
}

/**
 * Copies the values and nodes of `from` into `to` (nested graphs copied recursively) and
 * returns the value map. Values of enclosing scopes are found through `resolve`. Initializers,
 * inputs and outputs are created but not listed in `to`: the caller decides where they go.
 */
export function copyBody(
  from: Graph,
  to: Graph,
  resolve: (v: Value) => Value | undefined,
  onNode: (copy: Node, original: Node) => void,
  options: CopyOptions,
): ValueCopies {
  // A node output's copy is found through its producer's copy, by node id (ids are dense in a
  // model): a Map of every value of a million-node graph cost more than the copies. Values
  // without a producer here (initializers, inputs) are few enough for a Map.
  const unproduced = new Map<Value, Value>();
  const copies: Node[] = [];
  const map: ValueCopies = {
    get(v: Value): Value | undefined {
      const p = v.producer;
      if (p !== null && p.graph === from && v.name !== '') {
        const c = copies[p.id];
        if (c !== undefined) {
          const i = p.outputs.indexOf(v);
          if (i >= 0) return c.outputs[i];
        }
      }
      return unproduced.get(v);
    },
  };
  const value = (v: Value): Value => {
    const mine = map.get(v);
    if (mine) return mine;
    if (v.graph !== from) {
      const outer = resolve(v);
      if (!outer) throw new Error(`invariant: outer value ${v.name} of ${from.path} has no copy`);
      return outer;
    }
    const name = v.name === '' ? to.freshName('__omitted') : options.rename ? to.freshName(v.name) : v.name;
    const c = to.newValue(name, v.type, v.constant);
    unproduced.set(v, c);
    return c;
  };
  // Kept labels are taken unchecked (no label table is filled); names are all added.
  to.reserve(options.keepLabels ? 0 : from.nodes.length, from.nodes.length + from.initializers.length + from.inputs.length);
  for (const v of from.initializers) value(v);
  for (const v of from.inputs) value(v);
  for (const n of from.nodes) {
    if (n.removed) continue; // removed by the pass running now, not yet compacted away (OrtView.compact)
    // Attributes are shared with the original (copied on the first edit) unless they hold graphs.
    const attrs = n.subgraphs().length > 0 ? new Map<string, Attribute>() : undefined;
    const nested: Array<[Graph, Graph]> = [];
    if (attrs) for (const [name, a] of n.attrs) {
      if (a.type === 'graph') {
        const g = new Graph(a.value.name, to.ids, 'main', to, name);
        nested.push([a.value, g]);
        attrs.set(name, { type: 'graph', value: g });
      } else if (a.type === 'graphs') {
        const gs = a.value.map((sub, i) => {
          const g = new Graph(sub.name, to.ids, 'main', to, `${name}[${i}]`);
          nested.push([sub, g]);
          return g;
        });
        attrs.set(name, { type: 'graphs', value: gs });
      } else {
        attrs.set(name, a);
      }
    }
    const outputNames = n.outputs.map((o) => (o.name === '' ? '' : options.rename ? to.freshName(o.name) : o.name));
    const node = to.addNode({
      op: n.op, domain: n.domain, kind: n.kind, name: n.name,
      inputs: n.inputs.map((v) => (v ? value(v) : null)),
      outputs: outputNames,
      attrs,
      ...(n.inputNames ? { inputNames: n.inputNames } : {}),
      // A copy into a new graph keeps the original's labels, unique there already.
      ...(options.keepLabels ? { label: n.label, labelIsNew: true } : {}),
      origin: n.origin ?? null,
    });
    if (!attrs) node.shareAttributesOf(n);
    n.outputs.forEach((o, i) => {
      node.outputs[i]!.type = o.type;
    });
    copies[n.id] = node;
    onNode(node, n);
    for (const [src, dst] of nested) {
      dst.origin = src.origin; // the format's declarations (read-only: the copy is never written)
      const inner = copyBody(src, dst, (v) => map.get(v) ?? resolve(v), onNode, { keepLabels: options.keepLabels });
      for (const v of src.initializers) dst.initializers.push(inner.get(v)!);
      for (const v of src.inputs) dst.inputs.push(inner.get(v)!);
      for (const v of src.outputs) dst.outputs.push(inner.get(v) ?? map.get(v) ?? resolve(v)!);
    }
  }
  for (const v of from.outputs) if (v.graph === from) value(v);
  return map;
}
