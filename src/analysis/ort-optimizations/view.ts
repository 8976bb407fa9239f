import type { Graph, Node, NodeSpec, Value } from '../../ir/graph.js';
import { graphsWithin, type Model } from '../../ir/model.js';
import { isStatic } from '../../ir/shape.js';
import { Tensor } from '../../ir/tensor.js';
import type { DType } from '../../ir/dtype.js';
import { tensorType, type ValueType } from '../../ir/types.js';
import { encodeNumbers } from '../../ir/build.js';
import { ShapeEngine } from '../shapes/engine.js';
import { emptyReport } from '../shapes/report.js';
import { inferenceOf } from '../shapes/index.js';
import { copyModel } from './clone.js';
import { NodeTable } from '../../ir/node-table.js';
import { evaluate, EVAL_LIMIT, type Small } from './evaluate.js';

/** Why an original node is not in the optimized graph. */
export interface Removal {
  /** The pass that removed it (its file name under src/analysis/ort-optimizations). */
  readonly pass: string;
  readonly reason: string;
  /** The node of the optimized graph it went into (fusions), when there is one. */
  readonly into?: Node;
}

/**
 * The graph ONNX Runtime's Core ML provider is asked about: a copy of the user's model with
 * ONNX Runtime's basic optimizations applied (E10), plus what maps it back to the original.
 * Passes edit the copy through the methods here, which keep the bookkeeping right.
 */
export class OrtView {
  readonly model: Model;
  /**
   * Copy node → the original nodes it stands for (several for a fusion, none for a node a pass
   * made up). One original is held as itself: a million arrays of one cost more than the copy.
   * An adopted model's nodes stand for themselves without an entry (see standsForItself).
   */
  private readonly origins = new NodeTable<Node | readonly Node[]>();
  /**
   * Adopting: nodes with ids below this were the user's, and stand for themselves while their
   * flag in `ownSettled` is 0; once 1, the table says what they stand for (nothing, without an
   * entry). Filling the table instead wrote two pointers per node of a million-node model; the
   * few low ids that change go in the table's side Map, which is slower to ask for every node
   * than this flag. -1: a copy, where every node has its entry.
   */
  private readonly ownBelow: number = -1;
  private readonly ownSettled: Uint8Array = new Uint8Array(0);
  /** Original nodes no longer in the view. */
  readonly removed = new Map<Node, Removal>();
  /** If nodes with a constant condition whose value graphlint could not compute (so they stay). */
  readonly undecidedIfs = new Set<Node>();
  /** Nodes of the user's model (all graphs) before any pass, counted as the view was made. */
  readonly nodesBefore: number = 0;
  /** Pass id → how many times it changed the graph. */
  readonly applied = new Map<string, number>();
  private engine: ShapeEngine;
  /** Infer the whole copy again after every change (tests compare it with the incremental way). */
  private readonly fullReinference: boolean;
  /** Graphs whose node lists still hold removed nodes (see compact). */
  private readonly uncompacted = new Set<Graph>();

  /**
   * With `adopt`, the view is `original` itself, edited in place (each node stands for itself
   * until a pass changes that): for a caller done with the model, it saves the copy, which on
   * a big graph costs as much as reading the file. optimizeForOrt decides when that is safe.
   */
  constructor(readonly original: Model, options: { readonly fullReinference?: boolean; readonly adopt?: boolean } = {}) {
    this.fullReinference = options.fullReinference ?? false;
    if (options.adopt) {
      this.model = original;
      let count = 0;
      for (const g of graphsWithin(original.graph)) count += g.nodes.length;
      this.nodesBefore = count;
      // Every node there is took its id from the model's source: ids below what it has issued.
      this.ownBelow = original.ids.issued;
      this.ownSettled = new Uint8Array(this.ownBelow);
      // The inference of the model goes on from where lint's left it.
      this.engine = (this.fullReinference ? undefined : inferenceOf(original)) ?? this.inferAll();
      return;
    }
    const copies: Node[] = [];
    let count = 0;
    this.model = copyModel(original, (c, o) => {
      this.origins.set(c, o);
      copies[o.id] = c;
      count++;
    });
    this.nodesBefore = count;
    // The user's model was just inferred (lint does it first): the copy learns from that
    // inference instead of running its own, which costs as much on a big graph.
    const known = this.fullReinference ? undefined : inferenceOf(original);
    if (known) {
      this.engine = new ShapeEngine(this.model, emptyReport());
      known.teach(this.engine, this.model, (n) => copies[n.id]);
    } else {
      this.engine = this.inferAll();
    }
  }

  /**
   * Brings shapes and known elements up to date after edits, so `numbers` sees the new graph:
   * only what the edits since the last call can have changed is inferred again (on a big
   * graph a whole inference costs as much as all the passes together).
   */
  reinfer(): void {
    this.compact();
    if (this.fullReinference) {
      this.inferAll();
      return;
    }
    this.engine.inferEdited(this.model.graph, (n) => n.changed);
    clearEditMarks(this.model.graph);
  }

  /**
   * Drops the edit marks of a pass whose edits cannot change any inference
   * (GraphPass.keepsInference): inferring its readers again would only find what is known (on
   * a big graph, sharing constants marks a reader per constant). Right only when every mark is
   * such a pass's: optimizeForOrt infers again before each pass that follows any other edit.
   */
  forgetEdits(): void {
    clearEditMarks(this.model.graph);
  }

  /** A whole shape inference of the copy by a new engine. */
  private inferAll(): ShapeEngine {
    this.compact();
    this.engine = new ShapeEngine(this.model, emptyReport());
    this.engine.inferGraph(this.model.graph);
    clearEditMarks(this.model.graph);
    return this.engine;
  }

  /** Known small elements of a value (numbers only), or undefined. */
  numbers(v: Value | null | undefined, limit = 1024): number[] | undefined {
    if (!v) return undefined;
    const e = this.engine.elements(v, limit);
    if (e === undefined || !e.every((x) => typeof x === 'number')) return undefined;
    return e as number[];
  }

  originsOf(n: Node): readonly Node[] {
    if (this.standsForItself(n)) return [n];
    const o = this.origins.get(n);
    return o === undefined ? [] : o instanceof Array ? o : [o];
  }

  /** True when `n` has origins: an entry, or an adopted node's own. */
  private hasOrigins(n: Node): boolean {
    return this.standsForItself(n) || this.origins.has(n);
  }

  /** An adopted node of the user's that stands for itself, with no entry. */
  private standsForItself(n: Node): boolean {
    return n.id < this.ownBelow && this.ownSettled[n.id] === 0;
  }

  /** What `n` stands for from now on. */
  private setOrigins(n: Node, origins: Node | readonly Node[]): void {
    if (n.id < this.ownBelow) this.ownSettled[n.id] = 1;
    this.origins.set(n, origins);
  }

  /** Drops what `n` stood for. */
  private forgetOrigins(n: Node): void {
    if (n.id < this.ownBelow) this.ownSettled[n.id] = 1;
    this.origins.delete(n);
  }

  count(pass: string): void {
    this.applied.set(pass, (this.applied.get(pass) ?? 0) + 1);
  }

  /** True when a value is a constant ONNX Runtime can rely on: an initializer that is not a graph input. */
  isConstant(v: Value | null | undefined): boolean {
    return !!v && v.constant !== null && v.producer === null && !v.isGraphInput;
  }

  /** Removes a node whose used outputs have already been rewired (or were never used). */
  removeNode(n: Node, pass: string, reason: string, into?: Node): void {
    for (const o of this.originsOf(n)) this.removed.set(o, { pass, reason, ...(into ? { into } : {}) });
    this.detach(n);
    this.forgetOrigins(n);
  }

  /** Replaces every use of `from` (nodes anywhere, graph outputs) by `to`. */
  replaceUses(from: Value, to: Value): void {
    from.graph.replaceUses(from, to);
    // Readers in nested graphs of other scopes are covered by `uses`; outputs of the graph that owns `from` above.
  }

  /** Removes `n` and makes the readers of its output `out` read `input` instead (Identity-like eliminations). */
  bypass(n: Node, input: Value, pass: string, reason: string, out = n.outputs[0]!): void {
    this.replaceUses(out, input);
    this.removeNode(n, pass, reason);
  }

  /**
   * Turns a node into constants: its outputs become initializers (keeping their names), with
   * the elements when they are small and known, else with only their shape.
   */
  foldToConstant(n: Node, pass: string, reason: string, computed?: readonly (Small | undefined)[]): void {
    const g = n.graph;
    const outs = [...n.outputs];
    const results = computed ?? evaluate(n, n.inputs.map((v) => (v ? this.small(v) : undefined)));
    this.removeNode(n, pass, reason);
    outs.forEach((o, i) => {
      if (o.name === '') return;
      o.producer = null;
      const r = results?.[i];
      if (r) {
        o.type = tensorType(r.dtype, r.dims);
        this.setConstant(o, constantTensor(o.type, r.data, `folded from ${n.op} ${n.label}`));
      } else {
        this.setConstant(o, constantTensor(o.type, this.numbers(o), `folded from ${n.op} ${n.label}`));
      }
      g.initializers.push(o);
    });
  }

  /**
   * Gives a value (whose producer is gone) a constant tensor: its readers are marked edited, so
   * the next `reinfer` infers them again from the constant.
   */
  setConstant(v: Value, tensor: Tensor): void {
    v.constant = tensor;
    this.engine.forgetElements(v);
    for (const u of v.uses) u.node.touch();
  }

  /** The elements of a constant value when they are known and small (EVAL_LIMIT), for folding. */
  small(v: Value): Small | undefined {
    if (!this.isConstant(v) || !v.constant) return undefined;
    const t = v.constant;
    if (t.elementCount > EVAL_LIMIT || t.storage.kind === 'missing') return undefined;
    try {
      const data = t.numbers(EVAL_LIMIT);
      return data ? { dtype: t.dtype, dims: t.dims, data } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Adds a node to the copy that stands for `origins` (fusions, decompositions, inlined branches). */
  addNode(graph: Graph, spec: NodeSpec, origins: readonly Node[], index?: number): Node {
    const node = graph.addNode({ ...spec, origin: null }, index ?? graph.nodes.length);
    const flat: Node[] = [];
    for (const o of origins) flat.push(...(this.hasOrigins(o) ? this.originsOf(o) : [o]));
    this.setOrigins(node, flat);
    return node;
  }

  /** A node copied from another node of the view (inlining) stands for what that node stood for. */
  adopt(copy: Node, from: Node): void {
    this.setOrigins(copy, this.originsOf(from));
  }

  /**
   * Forgets the nodes of a graph that leaves the view with its holder (an inlined or dropped
   * branch). Originals that live on in adopted copies are not marked removed.
   */
  dropGraph(g: Graph, pass: string, reason: string): void {
    const dropped: Node[] = [];
    const visit = (graph: Graph): void => {
      for (const n of graph.nodes) {
        if (n.removed) continue;
        dropped.push(n);
        for (const [, sub] of n.subgraphs()) visit(sub);
      }
    };
    visit(g);
    const gone = new Set(dropped);
    const alive = new Set<Node>();
    for (const [n, ns] of this.origins.entries()) {
      if (gone.has(n)) continue;
      if (ns instanceof Array) for (const o of ns) alive.add(o);
      else alive.add(ns);
    }
    // An adopted node of the user's that stays and stands for itself has no entry: it is asked
    // of each original here, instead of a walk over every node for them.
    const lives = (o: Node): boolean => alive.has(o) || (!o.removed && !gone.has(o) && this.standsForItself(o));
    for (const n of dropped) {
      for (const o of this.originsOf(n)) if (!lives(o)) this.removed.set(o, { pass, reason });
      this.forgetOrigins(n);
    }
  }

  /** The originals of `from` are now stood for by `to` as well (a fusion keeps its inputs' meaning). */
  mergeOrigins(to: Node, from: Node): void {
    this.setOrigins(to, [...this.originsOf(to), ...this.originsOf(from)]);
  }

  /**
   * Gives `v` the name `name` when nothing else in its graph holds it any more (a fused node's
   * output takes over the name of the output it replaces).
   */
  renameValue(v: Value, name: string): void {
    const g = v.graph;
    const holder = g.values.get(name);
    if (holder && holder !== v && (holder.producer !== null || holder.uses.length > 0 || holder.isGraphOutput || holder.constant)) return;
    g.values.delete(v.name);
    v.name = name;
    g.values.set(name, v);
  }

  /** Takes a node out of its graph without any checks: uses of its inputs go, its outputs lose their producer. */
  private detach(n: Node): void {
    n.inputs.forEach((v, i) => {
      if (!v) return;
      const at = v.uses.findIndex((u) => u.node === n && u.index === i);
      if (at >= 0) v.uses.splice(at, 1);
    });
    n.removed = true;
    this.uncompacted.add(n.graph);
    for (const o of n.outputs) if (o.producer === n) o.producer = null;
  }

  /**
   * Drops removed nodes from the node lists. Removal only marks a node (splicing it out of a
   * list of a million nodes, once per removal, made the simulation quadratic); passes skip
   * marked nodes (`graph.contains`) and this runs between passes, before shapes are inferred.
   */
  compact(): void {
    for (const g of this.uncompacted) {
      const list = g.nodes;
      let kept = 0;
      for (let i = 0; i < list.length; i++) {
        const n = list[i]!;
        if (!n.removed) list[kept++] = n;
      }
      list.length = kept;
    }
    this.uncompacted.clear();
  }
}

/** Clears Node.changed and Graph.changed across the copy: the marks say what to infer again. */
function clearEditMarks(graph: Graph): void {
  if (!graph.changed) return; // an edit marks every graph that holds it, so nothing below is marked
  graph.changed = false;
  const nodes = graph.nodes;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    n.changed = false;
    const subs = n.subgraphs();
    for (let j = 0; j < subs.length; j++) clearEditMarks(subs[j]![1]);
  }
}

/** A constant standing for a value ONNX Runtime computed: real elements when known, else only dtype and shape. */
export function constantTensor(type: ValueType | null, elements: readonly number[] | undefined, what: string): Tensor {
  const dtype = type?.kind === 'tensor' ? type.dtype : 'unknown';
  const shape = type?.kind === 'tensor' && isStatic(type.shape) ? type.shape : undefined;
  const dims = shape ?? (elements ? [elements.length] : []);
  if (elements && (shape === undefined || shape.reduce((a, b) => a * b, 1) === elements.length)) {
    try {
      return Tensor.fromBytes(dtype, dims, encode(dtype, elements));
    } catch {
      // a dtype encodeNumbers does not write: fall through to a shape-only constant
    }
  }
  return new Tensor(dtype, dims, { kind: 'missing', reason: `${what}: computed by ONNX Runtime, not by graphlint` }, () => {
    throw new Error(`invariant: the elements of a constant ${what} are not known to graphlint`);
  });
}

/** encodeNumbers, with int64 values at or beyond ±2^63 (INT64_MAX read as a double) clamped instead of wrapped. */
function encode(dtype: DType, values: readonly number[]): Uint8Array {
  if (dtype !== 'int64') return encodeNumbers(dtype, values);
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    const b = v >= 9223372036854775807 ? 9223372036854775807n : v <= -9223372036854775808 ? -9223372036854775808n : BigInt(Math.trunc(v));
    view.setBigInt64(i * 8, b, true);
  });
  return out;
}
