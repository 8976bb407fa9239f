import type { Attribute } from '../../ir/attribute.js';
import type { Graph, Node, Value } from '../../ir/graph.js';
import type { GraphPass } from './pass.js';
import { isDeterministic } from './constant-folding.js';
import type { OrtView } from './view.js';

/**
 * CommonSubexpressionElimination (onnxruntime core/optimizer/common_subexpression_elimination.cc):
 * value numbering over a graph in topological order. Two nodes with the same op, domain,
 * attributes and equivalent inputs compute the same value, so the later one's readers read the
 * earlier one's outputs and the later node goes. Graph inputs and initializers are each their
 * own value (ConstantSharing runs first to make equal small constants one value). Nodes with
 * nested graphs, non-deterministic ops and DequantizeLinear are never merged; attributes that
 * are graphs, tensors (other than scalars) or types make nodes distinct; a node whose output is
 * a graph output keeps it. Large effect on the corpus: ssdlite's 90 duplicated NonZero →
 * Transpose pairs, yolox's duplicated Focus slices.
 */
export const commonSubexpressionElimination: GraphPass = {
  id: 'common-subexpression-elimination',
  ortName: 'CommonSubexpressionElimination',
  keepsShapes: true,
  run(view: OrtView, graph: Graph): boolean {
    const classOf = new Map<Value, number>();
    let next = 0;
    const fresh = (n: Node): void => {
      for (const o of n.outputs) classOf.set(o, next++);
    };
    // Nodes are bucketed by op and input classes first; attribute keys (sorting, strings) are
    // made only for a node that shares its bucket, which few nodes of a big graph do.
    const buckets = new Map<string, Bucket>();
    const replace: Array<[Node, number, Value]> = [];
    for (const n of graph.nodes) {
      if (!supportedNode(n)) {
        fresh(n);
        continue;
      }
      let last = n.inputs.length;
      while (last > 0 && n.inputs[last - 1] === null) last--;
      let key = `${n.domain}:${n.op}|`;
      for (let i = 0; i < last; i++) {
        const v = n.inputs[i]!;
        let c = v === null ? undefined : classOf.get(v);
        if (v !== null && c === undefined) classOf.set(v, (c = next++));
        key += i === 0 ? (c ?? '-') : `,${c ?? '-'}`;
      }
      const bucket = buckets.get(key);
      if (bucket === undefined) {
        buckets.set(key, { first: n });
        fresh(n);
        continue;
      }
      const attrs = attributeKeyOf(n);
      if (attrs === undefined) {
        fresh(n);
        continue;
      }
      const reps = bucket.reps ?? startReps(bucket);
      let list = reps.get(attrs);
      if (!list) reps.set(attrs, (list = []));
      n.outputs.forEach((o, i) => {
        const rep = list[i];
        if (rep === undefined) {
          list[i] = o;
          classOf.set(o, next++);
        } else {
          classOf.set(o, classOf.get(rep)!);
          replace.push([n, i, rep]);
        }
      });
    }
    let changed = false;
    for (const [n, i, rep] of replace) {
      const o = n.outputs[i]!;
      if (o.isGraphOutput) continue;
      view.replaceUses(o, rep);
      changed = true;
      if (n.outputs.every((x) => x.uses.length === 0 && !x.isGraphOutput) && graph.contains(n)) {
        view.count(this.id);
        view.removeNode(n, this.id, `common-subexpression elimination: it computes the same as ${rep.producer?.label ?? rep.name}`, rep.producer ?? undefined);
      }
    }
    return changed;
  },
};

/** Nodes with the same op and input classes: the first one, and (once another arrives) the outputs seen per attribute key. */
interface Bucket {
  readonly first: Node;
  reps?: Map<string, Value[]>;
}

function startReps(bucket: Bucket): Map<string, Value[]> {
  const reps = new Map<string, Value[]>();
  const key = attributeKeyOf(bucket.first);
  if (key !== undefined) reps.set(key, [...bucket.first.outputs]);
  return (bucket.reps = reps);
}

function attributeKeyOf(n: Node): string | undefined {
  return n.hasAttrs ? attributeKey(n.attrs) : '';
}

function supportedNode(n: Node): boolean {
  if (n.subgraphs().length > 0) return false;
  if (!isDeterministic(n)) return false;
  return !((n.domain === '' || n.domain === 'ai.onnx') && n.op === 'DequantizeLinear');
}

/** A key equal for equal attributes, or undefined when an attribute makes the node distinct. */
function attributeKey(attrs: ReadonlyMap<string, Attribute>): string | undefined {
  const parts: string[] = [];
  for (const name of [...attrs.keys()].sort()) {
    const a = attrs.get(name)!;
    switch (a.type) {
      case 'int': case 'float': case 'string': parts.push(`${name}=${a.type}:${a.value}`); break;
      case 'ints': case 'floats': case 'strings': parts.push(`${name}=${a.type}:[${a.value.join(',')}]`); break;
      case 'tensor': {
        const t = a.value;
        if (t.elementCount !== 1 || !['float32', 'float16', 'int64'].includes(t.dtype)) return undefined;
        let n: number[] | undefined;
        try {
          n = t.numbers(1);
        } catch {
          return undefined;
        }
        if (!n) return undefined;
        parts.push(`${name}=tensor:${t.dtype}:${n[0]}`);
        break;
      }
      default: return undefined;
    }
  }
  return parts.join(';');
}
