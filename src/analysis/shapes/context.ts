import { attrFloat, attrInt, attrInts, attrString, type Attribute } from '../../ir/attribute.js';
import type { DType } from '../../ir/dtype.js';
import type { Graph, Node, Value } from '../../ir/graph.js';
import type { Shape } from '../../ir/shape.js';
import type { Tensor } from '../../ir/tensor.js';
import type { ValueType } from '../../ir/types.js';
import { allIntegers, DATA_LIMIT, type Elements } from './data.js';
import { fail } from './dims.js';

/** What a rule needs from the engine that runs it. */
export interface InferenceHost {
  /** Known elements of a value (propagated or constant), up to `limit` elements. */
  elements(value: Value, limit: number): Elements | undefined;
  /** The constant tensor behind a value (an initializer or a Constant node's output). */
  tensorOf(value: Value): Tensor | undefined;
  /** True when elements may be known without reading anything (a constant or a propagated value). */
  mayKnow(value: Value): boolean;
  /** Gives a subgraph's inputs these types (merged into what they declare), infers it, returns its output types. */
  inferSubgraph(graph: Graph, inputs: readonly (ValueType | null)[]): (ValueType | null)[];
}

/** The tensor facts of an input: dtype 'unknown' and shape null when not known. */
export interface TensorFacts {
  readonly dtype: DType;
  readonly shape: Shape;
}

const NO_TENSOR: TensorFacts = { dtype: 'unknown', shape: null };

/**
 * One node seen by its inference rule: typed access to inputs, attributes and small
 * constant data, and a place to put output types. Outputs are committed by the engine
 * only when the rule returns, so a rule that fails halfway leaves nothing behind.
 */
export class NodeContext {
  readonly outputs: (ValueType | null | undefined)[];
  /** Elements of outputs, when a rule computed them (made on first use: most nodes have none). */
  outputData: (Elements | undefined)[] | undefined;
  /** Constant tensors behind outputs (Constant nodes), read only if some rule asks; made on first use. */
  outputTensors: (Tensor | undefined)[] | undefined;

  constructor(
    readonly node: Node,
    /** Version of the node's domain in the model's opset imports. */
    readonly opset: number,
    private readonly host: InferenceHost,
  ) {
    this.outputs = new Array(node.outputs.length).fill(undefined);
  }

  get inputCount(): number {
    return this.node.inputs.length;
  }

  get outputCount(): number {
    return this.node.outputs.length;
  }

  /** Input `i` is given (not omitted, not past the end). */
  has(i: number): boolean {
    return this.node.inputs[i] != null;
  }

  input(i: number): Value | null {
    return this.node.inputs[i] ?? null;
  }

  type(i: number): ValueType | null {
    return this.node.inputs[i]?.type ?? null;
  }

  tensor(i: number): TensorFacts {
    const t = this.type(i);
    return t !== null && (t.kind === 'tensor' || t.kind === 'sparse') ? t : NO_TENSOR;
  }

  dtype(i: number): DType {
    return this.tensor(i).dtype;
  }

  shape(i: number): Shape {
    return this.tensor(i).shape;
  }

  rank(i: number): number | undefined {
    return this.tensor(i).shape?.length;
  }

  /** Input `i`'s shape, which must have rank `r` when known. */
  shapeOfRank(i: number, r: number): Shape {
    const s = this.shape(i);
    if (s !== null && s.length !== r) fail(`input ${i} must have rank ${r}, has ${s.length}`);
    return s;
  }

  /** The known elements of input `i` (a constant or a propagated shape computation). */
  data(i: number, limit = DATA_LIMIT): Elements | undefined {
    const v = this.node.inputs[i];
    return v ? this.host.elements(v, limit) : undefined;
  }

  /** Input `i` is a constant or carries propagated elements (asking reads nothing). */
  mayKnow(i: number): boolean {
    const v = this.node.inputs[i];
    return v != null && this.host.mayKnow(v);
  }

  /** The known elements of any value (a subgraph's output, say). */
  dataOf(value: Value, limit = DATA_LIMIT): Elements | undefined {
    return this.host.elements(value, limit);
  }

  /** The constant tensor input `i` reads, if it is one (nothing is read). */
  constantTensor(i: number): Tensor | undefined {
    const v = this.node.inputs[i];
    return v ? this.host.tensorOf(v) : undefined;
  }

  /** Input `i`'s elements when every one is a known integer. */
  ints(i: number): readonly number[] | undefined {
    const e = this.data(i);
    return e !== undefined && allIntegers(e) ? e : undefined;
  }

  attr(name: string): Attribute | undefined {
    return this.node.attrs.get(name);
  }

  int(name: string, def: number): number;
  int(name: string): number | undefined;
  int(name: string, def?: number): number | undefined {
    return attrInt(this.node.attrs, name) ?? def;
  }

  float(name: string, def: number): number {
    return attrFloat(this.node.attrs, name) ?? def;
  }

  string(name: string, def: string): string {
    return attrString(this.node.attrs, name) ?? def;
  }

  intList(name: string): readonly number[] | undefined {
    return attrInts(this.node.attrs, name);
  }

  /** The graph held by attribute `name`. */
  graph(name: string): Graph | undefined {
    const a = this.node.attrs.get(name);
    return a?.type === 'graph' ? a.value : undefined;
  }

  inferSubgraph(graph: Graph, inputs: readonly (ValueType | null)[]): (ValueType | null)[] {
    return this.host.inferSubgraph(graph, inputs);
  }

  /** Sets output `i` to a tensor type; nothing is recorded when nothing is known. */
  out(i: number, dtype: DType, shape: Shape): void {
    if (i >= this.outputs.length) return;
    this.outputs[i] = dtype === 'unknown' && shape === null ? null : { kind: 'tensor', dtype, shape };
  }

  outType(i: number, type: ValueType | null): void {
    if (i < this.outputs.length) this.outputs[i] = type;
  }

  /** Output `i` holds this constant; its elements are read only when a rule asks for them. */
  outTensor(i: number, tensor: Tensor): void {
    if (i < this.outputs.length) (this.outputTensors ??= new Array(this.outputs.length).fill(undefined))[i] = tensor;
  }

  /** Records the elements of output `i` for the shape computations that read it. */
  outData(i: number, elements: Elements): void {
    if (i < this.outputs.length && elements.length <= DATA_LIMIT) (this.outputData ??= new Array(this.outputs.length).fill(undefined))[i] = elements;
  }
}

/** A rule: reads its node through the context and sets what it can of the outputs. */
export type ShapeRule = (ctx: NodeContext) => void;

/** Rules by op type (default domain) or `domain:op` for other domains. */
export type RuleTable = Readonly<Record<string, ShapeRule>>;
