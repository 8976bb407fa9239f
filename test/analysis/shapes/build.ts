import { inferShapes, type ShapeReport } from '../../../src/analysis/shapes/index.js';
import type { Attribute } from '../../../src/ir/attribute.js';
import type { DType } from '../../../src/ir/dtype.js';
import type { Graph, Node, Value } from '../../../src/ir/graph.js';
import { Model } from '../../../src/ir/model.js';
import type { Dim, Shape } from '../../../src/ir/shape.js';
import { Tensor } from '../../../src/ir/tensor.js';
import { formatType, type ValueType } from '../../../src/ir/types.js';

/** A small model built in memory for one rule's test. */
export class Build {
  readonly model = new Model('onnx', '');
  readonly g: Graph = this.model.graph;

  constructor(opset?: number) {
    if (opset !== undefined) this.model.opsets.set('', opset);
  }

  input(name: string, dtype: DType, shape: Shape, g: Graph = this.g): Value {
    const v = g.newValue(name, { kind: 'tensor', dtype, shape });
    g.inputs.push(v);
    return v;
  }

  /** An initializer holding `values` (int64 by default). */
  init(name: string, values: readonly number[], dims: readonly number[] = [values.length], dtype: DType = 'int64'): Value {
    const t = tensorOf(dtype, dims, values);
    return this.g.addInitializer(name, t, { kind: 'tensor', dtype, shape: [...dims] });
  }

  node(op: string, inputs: readonly (Value | null)[], outputs: readonly string[] | string, attrs: Record<string, Attribute> = {}, g: Graph = this.g): Node {
    return g.addNode({ op, kind: 'unknown', inputs, outputs: typeof outputs === 'string' ? [outputs] : outputs, attrs });
  }

  /** Adds a node and returns its first output. */
  op(op: string, inputs: readonly (Value | null)[], attrs: Record<string, Attribute> = {}, g: Graph = this.g): Value {
    return this.node(op, inputs, [g.freshName(op.toLowerCase())], attrs, g).outputs[0]!;
  }

  infer(options?: Parameters<typeof inferShapes>[1]): ShapeReport {
    return inferShapes(this.model, options);
  }
}

export function tensorOf(dtype: DType, dims: readonly number[], values: readonly number[]): Tensor {
  const size = { int64: 8, int32: 4, float32: 4, bool: 1, uint8: 1, float64: 8 }[dtype as string] ?? 4;
  const bytes = new Uint8Array(values.length * size);
  const view = new DataView(bytes.buffer);
  values.forEach((x, i) => {
    // INT64_MAX is not a JS number: 2**63 stands for it
    if (dtype === 'int64') view.setBigInt64(i * 8, x >= 2 ** 63 ? 2n ** 63n - 1n : BigInt(x), true);
    else if (dtype === 'int32') view.setInt32(i * 4, x, true);
    else if (dtype === 'float32') view.setFloat32(i * 4, x, true);
    else if (dtype === 'float64') view.setFloat64(i * 8, x, true);
    else view.setUint8(i, x);
  });
  return Tensor.fromBytes(dtype, dims, bytes);
}

export const int = (value: number): Attribute => ({ type: 'int', value });
export const ints = (...value: number[]): Attribute => ({ type: 'ints', value });
export const float = (value: number): Attribute => ({ type: 'float', value });
export const floats = (...value: number[]): Attribute => ({ type: 'floats', value });
export const str = (value: string): Attribute => ({ type: 'string', value });
export const graph = (value: Graph): Attribute => ({ type: 'graph', value });
export const tensor = (value: Tensor): Attribute => ({ type: 'tensor', value });

/** A value's type as text (`float32[batch,3,?]`), for compact expectations. */
export const typeOf = (v: Value | null | undefined): string => formatType(v?.type ?? null);

export function tt(dtype: DType, shape: readonly Dim[] | null): ValueType {
  return { kind: 'tensor', dtype, shape };
}
