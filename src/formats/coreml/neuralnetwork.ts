import type { FeatureDescription, NeuralNetwork, NeuralNetworkLayer } from '../../../proto/coreml.schema.js';
import { ModelError } from '../../errors.js';
import { Graph, type Node, type Value } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import type { ValueType } from '../../ir/types.js';
import type { Decoded } from '../wire/decoded.js';
import { featureType, numbers } from './features.js';
import { nnLayerKind } from './kinds.js';
import { layerAttributes, type ParamContext } from './nn-params.js';

/**
 * NeuralNetwork (and its Classifier/Regressor forms) → IR.
 *
 * Layers name their inputs and outputs as strings, and unlike SSA a name may be written
 * again (in-place layers, loop bodies updating loop variables, branches writing a name
 * read after them). The reader keeps, per scope, the latest Value of each name; a rewrite
 * of a name gets a fresh IR name and remembers the wire name in `Value.origin`
 * (`{ nnName }`), which is what a writer must spell.
 *
 * `branch` and `loop` layers hold nested graphs (attribute `blocks`: if/else, or
 * condition/body). Names the nested layers write that are visible afterwards (defined
 * before, read later, or model outputs) become extra outputs of the control-flow node,
 * so data flow stays explicit. Node.origin = { layer, wireOutputs } where wireOutputs is
 * how many outputs the layer itself lists.
 */

export interface NnNodeOrigin {
  readonly layer: Decoded<NeuralNetworkLayer>;
  readonly wireOutputs: number;
}

export interface NnGraphOrigin {
  readonly network: Decoded<NeuralNetwork>;
}

const LAYER_FIELDS = new Set(['$type', '$span', '$unknown', '$entries', 'name', 'input', 'output', 'inputTensor', 'outputTensor', 'isUpdatable']);

/** The layer type: the name of the parameter field that is set (`unknown` when none we know). */
export function layerType(layer: Decoded<NeuralNetworkLayer>): string {
  for (const k of Object.keys(layer)) if (!LAYER_FIELDS.has(k)) return k;
  return 'unknown';
}

export function readNeuralNetwork(
  model: Model,
  net: Decoded<NeuralNetwork>,
  inputs: Decoded<FeatureDescription>[],
  outputs: Decoded<FeatureDescription>[],
  ctx: ParamContext,
): void {
  const reader = new NetworkReader(ctx, countReads(net, outputs));
  const scope = new Scope(model.graph, null);
  for (const f of inputs) {
    const v = scope.write(f.name ?? '', featureType(f.type).type);
    v.origin = f;
    model.graph.inputs.push(v);
  }
  reader.fill(scope, net, 0);
  for (const f of outputs) {
    const name = f.name ?? '';
    // A classifier's label output is computed by Core ML outside the layers: no producer.
    const v = scope.read(name) ?? scope.write(name, null);
    if (!v.type || v.type.kind !== 'tensor' || v.type.dtype === 'unknown') v.type = featureType(f.type).type ?? v.type;
    if (!v.origin) v.origin = f;
    model.graph.outputs.push(v);
  }
  model.info.set('layers', [...model.nodes()].length);
}

/** Latest Value per wire name, chained to the enclosing network's scope. */
class Scope {
  private readonly latest = new Map<string, Value>();
  /** Wire names written in this scope (for control-flow outputs). */
  readonly written = new Set<string>();
  /** Per base name, the suffix to try next: a name written n times costs n lookups, not n². */
  private readonly suffixes = new Map<string, number>();

  constructor(readonly graph: Graph, readonly parent: Scope | null) {}

  read(name: string): Value | undefined {
    return this.latest.get(name) ?? this.parent?.read(name);
  }

  write(name: string, type: ValueType | null): Value {
    if (name === '') throw new ModelError(`a layer output in '${this.graph.path}' has no name`);
    const irName = this.graph.values.has(name) ? this.fresh(`${name}_v`) : name;
    const v = this.graph.newValue(irName, type);
    if (irName !== name) v.origin = { nnName: name };
    this.latest.set(name, v);
    this.written.add(name);
    return v;
  }

  /** What graph.freshName(base) returns (base, base_1, base_2, ...), resuming where it left off. */
  private fresh(base: string): string {
    let i = this.suffixes.get(base) ?? 0;
    let name = i === 0 ? base : `${base}_${i}`;
    while (this.graph.lookup(name)) name = `${base}_${++i}`;
    this.suffixes.set(base, i + 1);
    return name;
  }
}

/** How many times each name is read, over the whole model: layer inputs, loop conditions, outputs. */
function countReads(net: Decoded<NeuralNetwork>, outputs: Decoded<FeatureDescription>[]): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (n: string): void => void counts.set(n, (counts.get(n) ?? 0) + 1);
  const visit = (n: Decoded<NeuralNetwork>, depth: number): void => {
    if (depth > 64) return;
    for (const l of n.layers ?? []) {
      for (const i of l.input ?? []) add(i);
      if (l.loop?.conditionVar) add(l.loop.conditionVar);
      for (const sub of nestedNetworks(l)) visit(sub, depth + 1);
    }
  };
  visit(net, 0);
  for (const o of outputs) add(o.name ?? '');
  return counts;
}

function nestedNetworks(l: Decoded<NeuralNetworkLayer>): Decoded<NeuralNetwork>[] {
  const out: Decoded<NeuralNetwork>[] = [];
  if (l.branch) for (const n of [l.branch.ifBranch, l.branch.elseBranch]) if (n) out.push(n);
  if (l.loop) for (const n of [l.loop.conditionNetwork, l.loop.bodyNetwork]) if (n) out.push(n);
  return out;
}

class NetworkReader {
  constructor(private readonly ctx: ParamContext, private readonly reads: Map<string, number>) {}

  fill(scope: Scope, net: Decoded<NeuralNetwork>, depth: number): void {
    if (depth > 64) throw new ModelError('NeuralNetwork control flow nested more than 64 deep', this.ctx.file);
    scope.graph.origin = { network: net } satisfies NnGraphOrigin;
    for (const layer of net.layers ?? []) this.layer(scope, layer, depth);
  }

  private layer(scope: Scope, layer: Decoded<NeuralNetworkLayer>, depth: number): void {
    const graph = scope.graph;
    const type = layerType(layer);
    const name = layer.name ?? '';
    const { attrs, facts } = layerAttributes(type, (layer as unknown as Record<string, unknown>)[type], this.ctx);
    const inputs = (layer.input ?? []).map((n) => {
      const v = scope.read(n);
      if (!v) throw new ModelError(`layer '${name}' in '${graph.path}' reads '${n}', which no earlier layer or input defines`, this.ctx.file);
      return v;
    });
    const nets = nestedNetworks(layer);
    const blocks = nets.map((_, i) => new Graph(`${name}.blocks[${i}]`, graph.ids, 'main', graph, `blocks[${i}]`));
    if (blocks.length > 0) attrs.set('blocks', { type: 'graphs', value: blocks });
    const node = graph.addNode({
      op: type, kind: nnLayerKind(type, facts), name, inputs, outputs: [], attrs,
      origin: { layer, wireOutputs: (layer.output ?? []).length } satisfies NnNodeOrigin,
    });
    const tensors = layer.outputTensor ?? [];
    (layer.output ?? []).forEach((out, i) => {
      const t = tensors[i];
      const dims = t ? numbers(t.dimValue) : [];
      // NeuralNetwork layers declare rank and dims (spec 4+), not element types.
      const type: ValueType | null = t && dims.length === (t.rank ?? 0) ? { kind: 'tensor', dtype: 'unknown', shape: dims.map((d) => (d > 0 ? d : null)) } : null;
      this.output(scope, node, out, type);
    });
    if (nets.length > 0) this.controlFlow(scope, node, nets, blocks, depth, layer.loop?.conditionVar);
  }

  private output(scope: Scope, node: Node, name: string, type: ValueType | null): Value {
    const v = scope.write(name, type);
    v.producer = node;
    node.outputs.push(v);
    return v;
  }

  /** Fills the nested graphs, then exposes what they write that is visible afterwards. */
  private controlFlow(scope: Scope, node: Node, nets: Decoded<NeuralNetwork>[], blocks: Graph[], depth: number, conditionVar?: string): void {
    const inner = nets.map((net, i) => {
      const s = new Scope(blocks[i]!, scope);
      this.fill(s, net, depth + 1);
      return s;
    });
    const insideReads = new Map<string, number>();
    const count = (n: Decoded<NeuralNetwork>): void => {
      for (const l of n.layers ?? []) {
        for (const i of l.input ?? []) insideReads.set(i, (insideReads.get(i) ?? 0) + 1);
        if (l.loop?.conditionVar) insideReads.set(l.loop.conditionVar, (insideReads.get(l.loop.conditionVar) ?? 0) + 1);
        nestedNetworks(l).forEach(count);
      }
    };
    nets.forEach(count);
    // A loop's condition variable is read by the loop itself, not after it.
    if (conditionVar) insideReads.set(conditionVar, (insideReads.get(conditionVar) ?? 0) + 1);
    const exported: string[] = [];
    const seen = new Set<string>();
    for (const s of inner) {
      for (const name of s.written) {
        if (seen.has(name)) continue;
        seen.add(name);
        const before = scope.read(name) !== undefined;
        const readAfter = (this.reads.get(name) ?? 0) > (insideReads.get(name) ?? 0);
        if (before || readAfter) exported.push(name);
      }
    }
    inner.forEach((s, i) => {
      for (const name of exported) {
        const latest = s.read(name);
        if (latest && latest.graph === blocks[i]) blocks[i]!.outputs.push(latest);
      }
    });
    for (const name of exported) this.output(scope, node, name, null);
  }
}
