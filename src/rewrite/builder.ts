import type { Attribute } from '../ir/attribute.js';
import type { DType } from '../ir/dtype.js';
import type { Graph, Node, Value } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import type { Dim } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import type { TensorType } from '../ir/types.js';
import { tensorType } from '../ir/types.js';
import type { BinaryKind, Emitter, OpFactory, UnaryKind } from './factory/types.js';
import { FixDeclined, isNew, NewValue, type NewNodeSpec, type Patch, type PatchOp, type ValueRef } from './patch.js';
import type { ConvSpec, SliceSpec } from './shapes.js';

/**
 * Value names for one fix session: never a name any graph of the model uses (nested
 * graphs must not shadow outer names), nor one a patch reserved, nor one a removed value
 * had (ONNX value_info may still declare it with its old type).
 */
export class NameSource {
  private readonly taken = new Set<string>();

  constructor(model: Model) {
    for (const g of model.allGraphs()) for (const name of g.values.keys()) this.taken.add(name);
  }

  fresh(graph: Graph, base: string): string {
    let name = base;
    for (let i = 1; graph.lookup(name) || this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }

  retire(name: string): void {
    this.taken.add(name);
  }
}

export interface BuilderOptions {
  readonly model: Model;
  readonly factory: OpFactory;
  readonly names: NameSource;
  /** Elements of a value known from shapes alone (the fix loop's shape engine; ONNX only). */
  readonly elements?: (v: Value) => readonly Dim[] | undefined;
  /** Where new nodes go until the fix says otherwise (the graph of the finding's first node). */
  readonly graph?: Graph;
}

/**
 * The recording builder a rule's `fix` writes its patch with. It never edits the IR: every
 * call records an op, and `patch()` returns them as data for the fix loop to apply.
 * Kind-level calls (conv, reshape, slice, ...) go through the model format's op factory,
 * so one fix serves ONNX and ML Program alike; each created value is typed.
 */
export class PatchBuilder implements Emitter {
  readonly model: Model;
  readonly factory: OpFactory;
  private readonly names: NameSource;
  private readonly known: ((v: Value) => readonly Dim[] | undefined) | undefined;
  private readonly ops: PatchOp[] = [];
  private created = 0;
  private current: Graph | undefined;
  /** True while `current` is only the default: the first `at` may still move it. */
  private defaulted = false;
  private readonly writes = new Set<Node>();
  private readonly reads = new Set<Node>();

  constructor(options: BuilderOptions) {
    this.model = options.model;
    this.factory = options.factory;
    this.names = options.names;
    this.known = options.elements;
    if (options.graph) {
      this.current = options.graph;
      this.defaulted = true;
    }
  }

  get format(): 'onnx' | 'mil' {
    return this.factory.format;
  }

  /** Integer type of index parameters in this format (int64 for ONNX, int32 for ML Program). */
  get indexType(): DType {
    return this.factory.indexType;
  }

  /** The default-domain opset of an ONNX model (0 for other formats). */
  get opset(): number {
    return this.format === 'onnx' ? this.model.opsets.get('') ?? this.model.opsets.get('ai.onnx') ?? 21 : 0;
  }

  get graph(): Graph {
    if (!this.current) throw new Error('invariant: a fix must name the node it edits (builder.at) before building');
    return this.current;
  }

  /** Sets the graph new nodes go in: the graph of `node`. */
  at(node: Node): this {
    if (this.defaulted && this.ops.length === 0) this.current = undefined;
    this.defaulted = false;
    if (this.current && this.current !== node.graph) this.decline(`the finding spans several graphs (${this.current.path}, ${node.graph.path})`);
    this.current = node.graph;
    return this;
  }

  decline(reason: string): never {
    throw new FixDeclined(reason);
  }

  // ---- reading ----

  typeOf(v: ValueRef): TensorType | undefined {
    if (isNew(v)) return v.type;
    return v.type?.kind === 'tensor' ? v.type : undefined;
  }

  /** Elements of `v` when shapes alone fix them (a shape computation), from the fix loop's shape inference. */
  elements(v: Value): readonly Dim[] | undefined {
    return this.known?.(v);
  }

  // ---- the Emitter the factories use ----

  name(base: string): string {
    const clean = this.format === 'mil' ? base.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=\d)/, '_') : base;
    return this.names.fresh(this.graph, clean);
  }

  recordConstant(base: string, tensor: Tensor, as: 'initializer' | 'const-node'): NewValue {
    const out = new NewValue(this.created++, this.name(base), tensorType(tensor.dtype, tensor.dims), this.graph);
    this.ops.push({ op: 'constant', out, tensor, as });
    return out;
  }

  recordNode(
    spec: { op: string; domain?: string; kind: string; inputs: readonly (ValueRef | null)[]; inputNames?: readonly string[]; attrs?: Readonly<Record<string, Attribute>> },
    outputs: readonly TensorType[],
    base: string,
  ): NewValue[] {
    const outs = outputs.map((t, i) => new NewValue(this.created++, this.name(outputs.length > 1 ? `${base}_${i}` : base), t, this.graph));
    for (const v of spec.inputs) this.noteRead(v);
    const node: NewNodeSpec = {
      op: spec.op, domain: spec.domain ?? '', kind: spec.kind, name: outs[0]?.name ?? this.name(base),
      inputs: [...spec.inputs], ...(spec.inputNames ? { inputNames: [...spec.inputNames] } : {}),
      attrs: new Map(Object.entries(spec.attrs ?? {})), outputs: outs,
    };
    this.ops.push({ op: 'node', spec: node });
    return outs;
  }

  private noteRead(v: ValueRef | null): void {
    if (v && !isNew(v) && v.producer) this.reads.add(v.producer);
  }

  // ---- kinds, lowered by the format's factory ----

  constant(base: string, tensor: Tensor): NewValue {
    return this.factory.constant(this, base, tensor);
  }

  conv(x: ValueRef, weight: ValueRef, bias: ValueRef | null, spec: ConvSpec, base: string): NewValue {
    return this.factory.conv(this, x, weight, bias, spec, base);
  }

  reshape(x: ValueRef, shape: readonly number[], base: string): NewValue {
    return this.factory.reshape(this, x, shape, base);
  }

  transpose(x: ValueRef, perm: readonly number[], base: string): NewValue {
    return this.factory.transpose(this, x, perm, base);
  }

  expandDims(x: ValueRef, axes: readonly number[], base: string): NewValue {
    return this.factory.expandDims(this, x, axes, base);
  }

  squeeze(x: ValueRef, axes: readonly number[], base: string): NewValue {
    return this.factory.squeeze(this, x, axes, base);
  }

  slice(x: ValueRef, specs: readonly SliceSpec[], base: string): NewValue {
    return this.factory.slice(this, x, specs, base);
  }

  concat(xs: readonly ValueRef[], axis: number, base: string): ValueRef {
    if (xs.length === 1) return xs[0]!;
    return this.factory.concat(this, xs, axis, base);
  }

  pad(x: ValueRef, pads: readonly number[], value: number, base: string): NewValue {
    return this.factory.pad(this, x, pads, value, base);
  }

  binary(kind: BinaryKind, a: ValueRef, b: ValueRef, base: string): NewValue {
    return this.factory.binary(this, kind, a, b, base);
  }

  unary(kind: UnaryKind, x: ValueRef, base: string): NewValue {
    return this.factory.unary(this, kind, x, base);
  }

  gelu(x: ValueRef, approximation: 'exact' | 'tanh', base: string): NewValue | undefined {
    return this.factory.gelu(this, x, approximation, base);
  }

  // ---- edits of existing nodes ----

  /** Every reader of `from` (and a graph output that is `from`) reads `to` instead; `readers` limits it. */
  replace(from: Value, to: ValueRef, readers?: readonly Node[]): void {
    if (!this.current) this.current = from.producer?.graph ?? from.graph;
    for (const u of from.uses) if (!readers || readers.includes(u.node)) this.writes.add(u.node);
    if (!readers && from.producer) this.writes.add(from.producer);
    this.noteRead(to);
    this.ops.push({ op: 'replace', from, to, ...(readers ? { readers: [...readers] } : {}) });
  }

  setInput(node: Node, index: number, to: ValueRef | null): void {
    this.at(node);
    this.writes.add(node);
    this.noteRead(to);
    this.ops.push({ op: 'set-input', node, index, to });
  }

  setAttr(node: Node, name: string, attr: Attribute | undefined): void {
    this.at(node);
    this.writes.add(node);
    this.ops.push({ op: 'set-attr', node, name, attr });
  }

  /** Declares that `node` is dead once the patch is applied (the clean-up removes it; a check fails if it is still read). */
  remove(node: Node): void {
    this.at(node);
    this.writes.add(node);
    this.ops.push({ op: 'remove', node });
  }

  /** The recorded patch. */
  patch(ruleId: string, nodes: readonly Node[], summary: string): Patch {
    if (this.ops.length === 0) this.decline('the fix recorded nothing');
    for (const n of nodes) this.writes.add(n);
    return { ruleId, nodes: [...nodes], graph: this.graph, ops: [...this.ops], writes: new Set(this.writes), reads: new Set(this.reads), summary };
  }
}

export type { ConvSpec, SliceSpec } from './shapes.js';
export { FixDeclined, NewValue, type ValueRef } from './patch.js';
