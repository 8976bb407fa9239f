import type { Graph, Node, Value } from '../../ir/graph.js';
import { graphsWithin, type Model } from '../../ir/model.js';
import type { Tensor } from '../../ir/tensor.js';
import type { ValueType } from '../../ir/types.js';
import { type InferenceHost, NodeContext } from './context.js';
import { type Elements, tensorElements } from './data.js';
import { ShapeError } from './dims.js';
import { mergeTypes } from './merge.js';
import { findRule } from './registry.js';
import { TypeCache } from './type-cache.js';
import type { ShapeReport } from './report.js';

/** Opset assumed for the default domain when a model imports none (models built in memory). */
export const DEFAULT_OPSET = 21;

/**
 * Runs the rules over graphs in node order (the IR keeps nodes topologically sorted), once
 * per node and once per nested graph, so the work is linear in the size of the model.
 */
export class ShapeEngine implements InferenceHost {
  /** Elements of values computed by shape computations (and small constants, once read). */
  private readonly data = new Map<Value, Elements>();
  /** Constant tensors of values that are not initializers (Constant node outputs). */
  private readonly tensors = new Map<Value, Tensor>();
  private readonly done = new Set<Graph>();
  private readonly types = new TypeCache();

  constructor(private readonly model: Model, private readonly report: ShapeReport) {}

  inferGraph(graph: Graph): void {
    if (this.done.has(graph)) return;
    this.done.add(graph);
    const nodes = graph.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      this.inferNode(node);
    }
  }

  /**
   * Infers again, after edits to an inferred graph, what they can have changed: the nodes
   * `edited` names, then every node reading a value whose type or known elements came out
   * different, in node order. A graph with no edit in it (Graph.changed) is skipped; a node
   * holding graphs is inferred again, bodies and all, whenever anything before it changed.
   * The edits must keep every surviving value's meaning (ONNX Runtime's rewrites do), so what
   * is known of a value not inferred again stays true.
   */
  inferEdited(graph: Graph, edited: (n: Node) => boolean): void {
    if (!graph.changed) return;
    const refreshed = new Set<Value>();
    const nodes = graph.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      if (node.removed) continue;
      const nested = node.subgraphs();
      let again = edited(node) || (nested.length > 0 && (refreshed.size > 0 || nested.some(([, g]) => g.changed)));
      if (!again) {
        for (const v of node.inputs) {
          if (v !== null && refreshed.has(v)) {
            again = true;
            break;
          }
        }
      }
      if (!again) continue;
      const types = node.outputs.map((o) => o.type);
      const data = node.outputs.map((o) => this.data.get(o));
      // An edited node may compute something else now: what was known of its outputs goes.
      for (const o of node.outputs) this.forgetElements(o);
      for (const [, g] of nested) this.forget(g);
      this.inferNode(node);
      node.outputs.forEach((o, i) => {
        if (o.type !== types[i] || !sameElements(this.data.get(o), data[i])) refreshed.add(o);
      });
    }
  }

  /**
   * Makes this engine (new, for `copy`, a structural copy of the model this engine inferred)
   * know what this one knows of computed values, instead of inferring the copy again: the
   * copy has the same types (shared), so an inference would compute the same elements.
   * `copyOfNode` gives a node's copy; constants' elements are read again when asked.
   */
  teach(learner: ShapeEngine, copy: Model, copyOfNode: (n: Node) => Node | undefined): void {
    const copyOf = (v: Value): Value | undefined => {
      const p = v.producer;
      if (p === null) return undefined;
      const i = p.outputs.indexOf(v);
      return i < 0 ? undefined : copyOfNode(p)?.outputs[i];
    };
    for (const [v, e] of this.data) {
      const c = copyOf(v);
      if (c !== undefined) learner.data.set(c, e);
    }
    for (const [v, t] of this.tensors) {
      const c = copyOf(v);
      if (c !== undefined) learner.tensors.set(c, t);
    }
    for (const g of graphsWithin(copy.graph)) learner.done.add(g);
  }

  /** Drops what is known of a value's elements (it was given other ones: folded into a constant). */
  forgetElements(value: Value): void {
    this.data.delete(value);
    this.tensors.delete(value);
  }

  /** Marks a graph and those nested in it as not inferred, so they are inferred again. */
  private forget(graph: Graph): void {
    this.done.delete(graph);
    const nodes = graph.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      for (const o of n.outputs) this.forgetElements(o);
      for (const [, g] of n.subgraphs()) this.forget(g);
    }
  }

  private inferNode(node: Node): void {
    const rule = findRule(node.op, node.domain);
    if (rule === undefined) {
      this.report.uncovered.push(node);
    } else {
      const ctx = new NodeContext(node, this.opsetOf(node.domain), this);
      try {
        rule(ctx);
        this.commit(ctx);
      } catch (e) {
        const message = e instanceof ShapeError ? e.message : `internal error: ${e instanceof Error ? e.message : String(e)}`;
        this.report.problems.push({ node, message });
      }
    }
    // Bodies the rule did not visit (an uncovered op, a failed rule) are still inferred from what they declare.
    const subs = node.subgraphs();
    for (let i = 0; i < subs.length; i++) this.inferGraph(subs[i]![1]);
  }

  private commit(ctx: NodeContext): void {
    const node = ctx.node;
    const outputs = node.outputs;
    const data = ctx.outputData;
    const tensors = ctx.outputTensors;
    for (let i = 0; i < outputs.length; i++) {
      const v = outputs[i]!;
      const inferred = ctx.outputs[i];
      if (inferred !== undefined) this.setType(v, inferred, node);
      const e = data?.[i];
      if (e !== undefined) this.data.set(v, e);
      const t = tensors?.[i];
      if (t !== undefined) this.tensors.set(v, t);
    }
  }

  private setType(v: Value, inferred: ValueType | null, node: Node | null): void {
    const merged = mergeTypes(v.type, inferred);
    if (merged.conflict !== undefined && v.type !== null && inferred !== null) {
      this.report.contradictions.push({ value: v, node, declared: v.type, inferred, message: merged.conflict });
      return;
    }
    if (merged.type !== v.type) {
      v.type = merged.type === null ? null : this.types.share(merged.type);
      this.report.refined++;
    }
  }

  elements(value: Value, limit: number): Elements | undefined {
    const known = this.data.get(value);
    if (known !== undefined) return known.length <= limit ? known : undefined;
    const tensor = value.constant ?? this.tensors.get(value);
    if (tensor === undefined) return isEmpty(value) ? [] : undefined;
    const read = tensorElements(tensor, limit);
    if (read !== undefined) this.data.set(value, read);
    return read;
  }

  tensorOf(value: Value): Tensor | undefined {
    return value.constant ?? this.tensors.get(value);
  }

  mayKnow(value: Value): boolean {
    return value.constant !== null || this.data.has(value) || this.tensors.has(value) || isEmpty(value);
  }

  inferSubgraph(graph: Graph, inputs: readonly (ValueType | null)[]): (ValueType | null)[] {
    if (inputs.length !== graph.inputs.length) {
      throw new ShapeError(`body ${graph.path} has ${graph.inputs.length} inputs but is given ${inputs.length}`);
    }
    graph.inputs.forEach((v, i) => this.setType(v, inputs[i] ?? null, null));
    this.inferGraph(graph);
    return graph.outputs.map((v) => v.type);
  }

  private opsetOf(domain: string): number {
    const opsets = this.model.opsets;
    if (domain === '' || domain === 'ai.onnx') return opsets.get('') ?? opsets.get('ai.onnx') ?? DEFAULT_OPSET;
    return opsets.get(domain) ?? 1;
  }
}

function sameElements(a: Elements | undefined, b: Elements | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A tensor with a 0 in its static shape has no elements: nothing to read to know them. */
function isEmpty(value: Value): boolean {
  const t = value.type;
  return t !== null && t.kind === 'tensor' && t.shape !== null && t.shape.some((d) => d === 0);
}
