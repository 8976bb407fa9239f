import type { Attribute } from './attribute.js';
import type { DType } from './dtype.js';
import { onnxKind } from '../formats/onnx/kinds.js';
import { Graph, type Value } from './graph.js';
import { Model } from './model.js';
import type { Dim } from './shape.js';
import { Tensor } from './tensor.js';
import { tensorType } from './types.js';

/** Plain JS values accepted as attributes; wrap floats that look like integers with `float()`. */
export type AttrInput = number | string | readonly number[] | readonly string[] | Graph | Attribute | Tensor;

/** Marks a number (or list) as a float attribute even when it is integral, e.g. `alpha: float(1)`. */
export function float(value: number): Attribute {
  return { type: 'float', value };
}
export function floats(value: readonly number[]): Attribute {
  return { type: 'floats', value };
}

function isAttribute(x: unknown): x is Attribute {
  return typeof x === 'object' && x !== null && 'type' in x && !(x instanceof Tensor) && !('nodes' in x);
}

function toAttribute(v: AttrInput): Attribute {
  if (v instanceof Tensor) return { type: 'tensor', value: v };
  if (isAttribute(v)) return v;
  if (typeof v === 'number') return Number.isInteger(v) ? { type: 'int', value: v } : { type: 'float', value: v };
  if (typeof v === 'string') return { type: 'string', value: v };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return { type: 'strings', value: v as string[] };
    const nums = v as number[];
    return nums.every(Number.isInteger) ? { type: 'ints', value: nums } : { type: 'floats', value: nums };
  }
  return { type: 'graph', value: v as Graph };
}

/** Element bytes for a constant given as numbers. */
export function encodeNumbers(dtype: DType, values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  const sizes: Partial<Record<DType, number>> = { float32: 4, float64: 8, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1, float16: 2, int16: 2 };
  const size = sizes[dtype];
  if (size === undefined) throw new Error(`encodeNumbers: ${dtype} is not supported`);
  const out = new Uint8Array(n * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    switch (dtype) {
      case 'float32': view.setFloat32(i * 4, v, true); break;
      case 'float64': view.setFloat64(i * 8, v, true); break;
      case 'int64': view.setBigInt64(i * 8, BigInt(Math.trunc(v)), true); break;
      case 'int32': view.setInt32(i * 4, v, true); break;
      case 'int16': view.setInt16(i * 2, v, true); break;
      case 'int8': view.setInt8(i, v); break;
      case 'uint8': view.setUint8(i, v); break;
      case 'bool': view.setUint8(i, v ? 1 : 0); break;
      case 'float16': view.setUint16(i * 2, floatToHalf(v), true); break;
    }
  }
  return out;
}

function floatToHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = ((bits >>> 23) & 0xff) - 127 + 15;
  const mant = bits & 0x7fffff;
  if (exp >= 31) return sign | 0x7c00 | (Number.isNaN(value) ? 0x200 : 0);
  if (exp <= 0) return exp < -10 ? sign : sign | ((mant | 0x800000) >> (14 - exp));
  return sign | (exp << 10) | (mant >> 13);
}

/**
 * Builds ONNX-flavoured models in memory, for tests, examples and benchmarks:
 *
 *   const b = new ModelBuilder({ opset: 17 });
 *   const x = b.input('x', 'float32', [1, 3, 'H', 'W']);
 *   const y = b.op('Relu', [x]);
 *   b.output(y, 'float32', [1, 3, 'H', 'W']);
 *   const model = b.model;
 */
export class ModelBuilder {
  readonly model: Model;
  private counter = 0;

  constructor(options: { opset?: number; irVersion?: number; name?: string; opsets?: Record<string, number> } = {}) {
    this.model = new Model('onnx', '', options.name ?? 'main');
    const opset = options.opset ?? 17;
    this.model.opsets.set('', opset);
    for (const [d, v] of Object.entries(options.opsets ?? {})) this.model.opsets.set(d, v);
    this.model.info.set('irVersion', options.irVersion ?? irVersionFor(opset));
  }

  get graph(): Graph {
    return this.model.graph;
  }

  input(name: string, dtype: DType, shape: readonly Dim[] | null, graph = this.graph): Value {
    const v = graph.newValue(name, tensorType(dtype, shape));
    graph.inputs.push(v);
    return v;
  }

  /** An initializer from numbers (or raw element bytes). */
  constant(name: string, dtype: DType, dims: readonly number[], data: ArrayLike<number> | Uint8Array, graph = this.graph): Value {
    const bytes = data instanceof Uint8Array ? data : encodeNumbers(dtype, data);
    const t = Tensor.fromBytes(dtype, dims, bytes);
    return graph.addInitializer(name, t, tensorType(dtype, dims));
  }

  /** Adds a node with one output and returns it. */
  op(op: string, inputs: readonly (Value | null)[], attrs: Record<string, AttrInput> = {}, options: { name?: string; domain?: string; output?: string; graph?: Graph } = {}): Value {
    return this.opN(op, inputs, 1, attrs, options)[0]!;
  }

  /** Adds a node with `outputs` outputs and returns them. */
  opN(op: string, inputs: readonly (Value | null)[], outputs: number, attrs: Record<string, AttrInput> = {}, options: { name?: string; domain?: string; output?: string; graph?: Graph } = {}): Value[] {
    const graph = options.graph ?? this.graph;
    const id = this.counter++;
    const name = options.name ?? `${op}_${id}`;
    const outNames = Array.from({ length: outputs }, (_, i) =>
      graph.freshName(i === 0 && options.output ? options.output : `${name}_out${outputs > 1 ? i : ''}`));
    const attributes: Record<string, Attribute> = {};
    for (const [k, v] of Object.entries(attrs)) attributes[k] = toAttribute(v);
    const node = graph.addNode({ op, domain: options.domain ?? '', kind: kindOf(op, options.domain ?? ''), name, inputs, outputs: outNames, attrs: attributes });
    return node.outputs;
  }

  output(value: Value, dtype?: DType, shape?: readonly Dim[] | null, graph = this.graph): Value {
    if (dtype !== undefined) value.type = tensorType(dtype, shape ?? null);
    graph.outputs.push(value);
    return value;
  }

  /** A nested graph for If/Loop/Scan bodies, named by the attribute that will hold it. */
  subgraph(slot: string, parent = this.graph): Graph {
    return new Graph(slot, this.model.ids, 'main', parent, slot);
  }
}

function kindOf(op: string, domain: string): string {
  return onnxKind(op, domain);
}

/** The lowest IR version that can carry a given default-domain opset. */
export function irVersionFor(opset: number): number {
  if (opset <= 8) return 3;
  if (opset <= 10) return 5;
  if (opset <= 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}
