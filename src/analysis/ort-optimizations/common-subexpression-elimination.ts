import type { Attribute } from '../../ir/attribute.js';
import type { Graph, Node, Value } from '../../ir/graph.js';
import type { GraphPass } from './pass.js';
import { isDeterministic } from './constant-folding.js';
import type { OrtView } from './view.js';
import { stringHash } from '../../ir/string-map.js';

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
    if (!mayRepeat(view, graph)) return false;
    const classes = new ValueClasses();
    // Nodes are bucketed by a number made from op and input classes; the first node of a
    // bucket is compared exactly, and attribute keys (sorting, strings) are made only for a
    // node that matches one, which few nodes of a big graph do. No string per node.
    const buckets = new Map<number, Node | Node[]>();
    const reps = new Map<Node, Map<string, Value[]>>();
    const ops = new OpIds();
    const replace: Array<[Node, number, Value]> = [];
    // Nodes that may equal another node. The others cannot: they read, as its only reader, a
    // value nothing else can equal (a constant, an input, or an output of such a node). In a
    // big model nearly every node is like that (each layer reads its own weights), so the
    // tables below stay small.
    const candidates = new Set<Node>();
    const nodes = graph.nodes;
    for (let at = 0; at < nodes.length; at++) {
      const n = nodes[at]!;
      if (!supportedNode(n)) continue; // its outputs keep classes of their own (made when read)
      if (readsAlone(n, candidates)) continue;
      candidates.add(n);
      const last = givenInputs(n);
      let key = ops.of(n) * 31 + last;
      for (let i = 0; i < last; i++) key = mix(key, classes.ofInput(n.inputs[i]!));
      const held = buckets.get(key);
      const first = held === undefined ? undefined
        : held instanceof Array ? held.find((m) => sameInputs(m, n, last, classes))
        : sameInputs(held, n, last, classes) ? held : undefined;
      if (first === undefined) {
        if (held === undefined) buckets.set(key, n);
        else if (held instanceof Array) held.push(n);
        else buckets.set(key, [held, n]);
        continue;
      }
      const attrs = attributeKeyOf(n);
      if (attrs === undefined) continue;
      const byAttrs = reps.get(first) ?? startReps(reps, first);
      let list = byAttrs.get(attrs);
      if (!list) byAttrs.set(attrs, (list = []));
      n.outputs.forEach((o, i) => {
        const rep = list[i];
        if (rep === undefined) {
          list[i] = o;
        } else {
          classes.merge(o, rep);
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

/**
 * Value numbering: equal numbers for values known to be equal. A node's output is numbered
 * from its producer's id and its position (node ids are unique in a model), so the common
 * case needs no table; values without a producer are numbered when first read, and an output
 * found to equal an earlier one takes that one's number. 0 stands for an omitted input.
 */
class ValueClasses {
  private readonly merged = new Map<Value, number>();
  private readonly unproduced = new Map<Value, number>();
  private nextUnproduced = -1;

  ofInput(v: Value | null): number {
    if (v === null) return 0;
    if (this.merged.size > 0) {
      const c = this.merged.get(v);
      if (c !== undefined) return c;
    }
    const produced = producedClass(v);
    if (produced !== undefined) return produced;
    let c = this.unproduced.get(v);
    if (c === undefined) this.unproduced.set(v, (c = this.nextUnproduced--));
    return c;
  }

  merge(v: Value, into: Value): void {
    this.merged.set(v, this.ofInput(into));
  }
}

/** Outputs numbered from their producer's id; a node with more (a wide Split) numbers the rest from the table. */
const OUTPUTS_PER_ID = 64;

/** The number of a node output from its producer's id and its position, when it has one (positive). */
function producedClass(v: Value): number | undefined {
  const p = v.producer;
  if (p === null) return undefined;
  const at = p.outputs.indexOf(v);
  return at >= 0 && at < OUTPUTS_PER_ID ? p.id * OUTPUTS_PER_ID + at + 1 : undefined;
}

/** Folds a class number (up to 2^53) into a 32-bit bucket key. */
function mix(key: number, c: number): number {
  return (Math.imul(key ^ (c | 0), 0x01000193) ^ ((c / 4294967296) | 0)) | 0;
}

/** A small number per domain and op, so a bucket key needs no string. */
class OpIds {
  private readonly byDomain = new Map<string, Map<string, number>>();
  private next = 1;

  of(n: Node): number {
    let ops = this.byDomain.get(n.domain);
    if (!ops) this.byDomain.set(n.domain, (ops = new Map()));
    let id = ops.get(n.op);
    if (id === undefined) ops.set(n.op, (id = this.next++));
    return id;
  }
}

/**
 * False when no two supported nodes have the same op, inputs and attributes, so the pass has
 * nothing to merge: until a first merge every value is its own class, so a first merge needs
 * two such nodes. Checked with a hash per node in a typed array, sorted: on a big graph with
 * nothing to merge (the usual case) that costs a tenth of the value numbering's tables.
 */
function mayRepeat(view: OrtView, graph: Graph): boolean {
  // The supported nodes' places in the graph's list, and their hashes: arrays at the list's
  // size, not a filtered list grown one node at a time.
  const all = graph.nodes;
  const lists = scratchOf(view, 3 * all.length);
  const places = lists.subarray(0, all.length);
  const hashes = lists.subarray(all.length, 2 * all.length);
  const opHashes = new Map<string, number>();
  let count = 0;
  for (let p = 0; p < all.length; p++) {
    const n = all[p]!;
    if (!supportedNode(n)) continue;
    let key = opHashes.get(n.op);
    if (key === undefined) opHashes.set(n.op, (key = stringHash(n.op)));
    const last = givenInputs(n);
    key = mix(key, last);
    for (let i = 0; i < last; i++) key = mix(key, naturalClass(n.inputs[i]!));
    places[count] = p;
    hashes[count++] = key;
  }
  const sorted = lists.subarray(2 * all.length, 2 * all.length + count);
  sorted.set(hashes.subarray(0, count));
  sorted.sort();
  const repeated = new Set<number>();
  for (let k = 1; k < sorted.length; k++) if (sorted[k] === sorted[k - 1]) repeated.add(sorted[k]!);
  if (repeated.size === 0) return false;
  // Equal hashes: look closer (a 32-bit hash of a million nodes has a few collisions).
  // Per hash, one entry per distinct op and inputs, with the attribute keys seen for it: nodes
  // that differ only in attributes (a hundred thousand Transposes of one tensor) stay linear.
  // Before any merge each value is its own class, so equal classes are the very same inputs.
  const classes = new ValueClasses();
  const groups = new Map<number, Array<{ readonly first: Node; readonly attrs: Set<string> }>>();
  for (let k = 0; k < count; k++) {
    const h = hashes[k]!;
    if (!repeated.has(h)) continue;
    const n = all[places[k]!]!;
    let group = groups.get(h);
    if (!group) groups.set(h, (group = []));
    const attrs = attributeKeyOf(n);
    const last = givenInputs(n);
    const entry = group.find((e) => sameInputs(e.first, n, last, classes));
    if (!entry) {
      group.push({ first: n, attrs: new Set(attrs === undefined ? [] : [attrs]) });
      continue;
    }
    if (attrs === undefined) continue;
    if (entry.attrs.has(attrs)) return true;
    entry.attrs.add(attrs);
  }
  return false;
}

/**
 * Scratch Int32s for mayRepeat, kept with the view for the next round: an ArrayBuffer that
 * outlives a young-generation collection counts as V8's external memory until the next full
 * collection, and enough of it forces one (of the whole heap: about a second on a million nodes).
 */
const scratch = new WeakMap<OrtView, Int32Array>();

function scratchOf(view: OrtView, size: number): Int32Array {
  let lists = scratch.get(view);
  if (lists === undefined || lists.length < size) scratch.set(view, (lists = new Int32Array(size)));
  return lists;
}

/** A number for a value before any merge: from its producer's id, else from its name (a hash: equal values, equal numbers). */
function naturalClass(v: Value | null): number {
  if (v === null) return 0;
  return producedClass(v) ?? -1 - (stringHash(v.name) >>> 1);
}

/**
 * True when `n` is the only reader of an input that no other value can equal: one without a
 * producer (graph input, initializer, a value of an enclosing graph), or one whose producer
 * could not equal any node. No other node reads that input's class, so none can equal `n`.
 */
function readsAlone(n: Node, candidates: ReadonlySet<Node>): boolean {
  for (const v of n.inputs) {
    if (v !== null && v.uses.length === 1 && (v.producer === null || v.producer.graph !== n.graph || !candidates.has(v.producer))) return true;
  }
  return false;
}

/** How many inputs count: trailing omitted ones do not. */
function givenInputs(n: Node): number {
  let last = n.inputs.length;
  while (last > 0 && n.inputs[last - 1] === null) last--;
  return last;
}

/** Same op and domain, and equal input classes (the first `last` inputs given, as for `n`). */
function sameInputs(m: Node, n: Node, last: number, classes: ValueClasses): boolean {
  if (m.op !== n.op || m.domain !== n.domain || givenInputs(m) !== last) return false;
  for (let i = 0; i < last; i++) if (classes.ofInput(m.inputs[i]!) !== classes.ofInput(n.inputs[i]!)) return false;
  return true;
}

/** The outputs of a bucket's first node under its attribute key, made when a second node matches it. */
function startReps(reps: Map<Node, Map<string, Value[]>>, first: Node): Map<string, Value[]> {
  const byAttrs = new Map<string, Value[]>();
  const key = attributeKeyOf(first);
  if (key !== undefined) byAttrs.set(key, [...first.outputs]);
  reps.set(first, byAttrs);
  return byAttrs;
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
