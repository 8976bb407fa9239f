import type { Attribute } from '../../ir/attribute.js';
import type { DType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import type { Tensor } from '../../ir/tensor.js';
import { tensorType } from '../../ir/types.js';
import { FixDeclined, type NewValue, type ValueRef } from '../patch.js';
import { dtypeOf, shapeOf, staticShape } from './common.js';
import {
  broadcastShape, concatShape, convShape, expandDimsShape, padShape, reshapeShape, sliceShape, squeezeShape,
  transposeShape, type ConvSpec, type SliceSpec,
} from '../shapes.js';
import { tensorOf } from '../tensors.js';
import type { BinaryKind, Emitter, OpFactory, UnaryKind } from './types.js';

/** "To the end" for Slice ends: ONNX clamps ends to the dimension. */
const END = Number.MAX_SAFE_INTEGER;

const BINARY: Readonly<Record<BinaryKind, string>> = { add: 'Add', sub: 'Sub', mul: 'Mul', real_div: 'Div' };
const UNARY: Readonly<Record<UnaryKind, string>> = { tanh: 'Tanh', erf: 'Erf', sqrt: 'Sqrt', relu: 'Relu', sigmoid: 'Sigmoid' };

const ints = (value: readonly number[]): Attribute => ({ type: 'ints', value });
const int = (value: number): Attribute => ({ type: 'int', value });

/** ONNX: kinds lowered to the default domain's ops for the model's opset. */
export class OnnxFactory implements OpFactory {
  readonly format = 'onnx' as const;
  readonly indexType: DType = 'int64';
  readonly opset: number;
  /** Before IR version 4 an initializer must also be a graph input: new constants are Constant nodes then. */
  private readonly constantNodes: boolean;

  constructor(model: Model) {
    this.opset = model.opsets.get('') ?? model.opsets.get('ai.onnx') ?? 21;
    this.constantNodes = Number(model.info.get('irVersion') ?? 8) < 4;
  }

  constant(e: Emitter, base: string, tensor: Tensor): NewValue {
    if (!this.constantNodes) return e.recordConstant(base, tensor, 'initializer');
    return e.recordNode({ op: 'Constant', kind: 'const', inputs: [], attrs: { value: { type: 'tensor', value: tensor } } }, [tensorType(tensor.dtype, tensor.dims)], base)[0]!;
  }

  private index(e: Emitter, base: string, values: readonly number[]): NewValue {
    return this.constant(e, base, tensorOf('int64', [values.length], values));
  }

  conv(e: Emitter, x: ValueRef, weight: ValueRef, bias: ValueRef | null, spec: ConvSpec, base: string): NewValue {
    const w = staticShape(e, weight, 'weight');
    const attrs: Record<string, Attribute> = {
      kernel_shape: ints(w.slice(2)), strides: ints(spec.strides), pads: ints(spec.pads), dilations: ints(spec.dilations), group: int(spec.groups),
    };
    const out = tensorType(dtypeOf(e, x), convShape(shapeOf(e, x), w, spec));
    return e.recordNode({ op: 'Conv', kind: 'conv', inputs: bias ? [x, weight, bias] : [x, weight], attrs }, [out], base)[0]!;
  }

  reshape(e: Emitter, x: ValueRef, shape: readonly number[], base: string): NewValue {
    const out = tensorType(dtypeOf(e, x), reshapeShape(shapeOf(e, x), shape));
    return e.recordNode({ op: 'Reshape', kind: 'reshape', inputs: [x, this.index(e, `${base}_shape`, shape)] }, [out], base)[0]!;
  }

  transpose(e: Emitter, x: ValueRef, perm: readonly number[], base: string): NewValue {
    const out = tensorType(dtypeOf(e, x), transposeShape(shapeOf(e, x), perm));
    return e.recordNode({ op: 'Transpose', kind: 'transpose', inputs: [x], attrs: { perm: ints(perm) } }, [out], base)[0]!;
  }

  expandDims(e: Emitter, x: ValueRef, axes: readonly number[], base: string): NewValue {
    const out = tensorType(dtypeOf(e, x), expandDimsShape(shapeOf(e, x), axes));
    if (this.opset >= 13) {
      return e.recordNode({ op: 'Unsqueeze', kind: 'expand_dims', inputs: [x, this.index(e, `${base}_axes`, axes)] }, [out], base)[0]!;
    }
    return e.recordNode({ op: 'Unsqueeze', kind: 'expand_dims', inputs: [x], attrs: { axes: ints(axes) } }, [out], base)[0]!;
  }

  squeeze(e: Emitter, x: ValueRef, axes: readonly number[], base: string): NewValue {
    const out = tensorType(dtypeOf(e, x), squeezeShape(shapeOf(e, x), axes));
    if (this.opset >= 13) {
      return e.recordNode({ op: 'Squeeze', kind: 'squeeze', inputs: [x, this.index(e, `${base}_axes`, axes)] }, [out], base)[0]!;
    }
    return e.recordNode({ op: 'Squeeze', kind: 'squeeze', inputs: [x], attrs: { axes: ints(axes) } }, [out], base)[0]!;
  }

  slice(e: Emitter, x: ValueRef, specs: readonly SliceSpec[], base: string): NewValue {
    const out = tensorType(dtypeOf(e, x), sliceShape(shapeOf(e, x), specs));
    const starts = specs.map((s) => s.start);
    const ends = specs.map((s) => (s.end === null ? (s.step > 0 ? END : -END) : s.end));
    const axes = specs.map((s) => s.axis);
    if (this.opset >= 10) {
      const inputs = [x, this.index(e, `${base}_starts`, starts), this.index(e, `${base}_ends`, ends), this.index(e, `${base}_axes`, axes)];
      if (specs.some((s) => s.step !== 1)) inputs.push(this.index(e, `${base}_steps`, specs.map((s) => s.step)));
      return e.recordNode({ op: 'Slice', kind: 'slice_by_index', inputs }, [out], base)[0]!;
    }
    if (specs.some((s) => s.step !== 1)) throw new FixDeclined(`a strided Slice needs opset 10 or later (the model has ${this.opset})`);
    return e.recordNode({ op: 'Slice', kind: 'slice_by_index', inputs: [x], attrs: { starts: ints(starts), ends: ints(ends), axes: ints(axes) } }, [out], base)[0]!;
  }

  concat(e: Emitter, xs: readonly ValueRef[], axis: number, base: string): NewValue {
    const out = tensorType(dtypeOf(e, xs[0]!), concatShape(xs.map((v) => shapeOf(e, v)), axis));
    return e.recordNode({ op: 'Concat', kind: 'concat', inputs: xs, attrs: { axis: int(axis) } }, [out], base)[0]!;
  }

  pad(e: Emitter, x: ValueRef, pads: readonly number[], value: number, base: string): NewValue {
    const dtype = dtypeOf(e, x);
    const out = tensorType(dtype, padShape(shapeOf(e, x), pads));
    if (this.opset >= 11) {
      const fill = this.constant(e, `${base}_value`, tensorOf(dtype, [], [value]));
      return e.recordNode({ op: 'Pad', kind: 'pad', inputs: [x, this.index(e, `${base}_pads`, pads), fill], attrs: { mode: { type: 'string', value: 'constant' } } }, [out], base)[0]!;
    }
    return e.recordNode({ op: 'Pad', kind: 'pad', inputs: [x], attrs: { pads: ints(pads), value: { type: 'float', value }, mode: { type: 'string', value: 'constant' } } }, [out], base)[0]!;
  }

  binary(e: Emitter, kind: BinaryKind, a: ValueRef, b: ValueRef, base: string): NewValue {
    const out = tensorType(dtypeOf(e, a), broadcastShape(shapeOf(e, a), shapeOf(e, b)));
    return e.recordNode({ op: BINARY[kind], kind, inputs: [a, b] }, [out], base)[0]!;
  }

  unary(e: Emitter, kind: UnaryKind, x: ValueRef, base: string): NewValue {
    const out = tensorType(dtypeOf(e, x), shapeOf(e, x));
    return e.recordNode({ op: UNARY[kind], kind, inputs: [x] }, [out], base)[0]!;
  }

  gelu(e: Emitter, x: ValueRef, approximation: 'exact' | 'tanh', base: string): NewValue | undefined {
    if (this.opset < 20) return undefined;
    const out = tensorType(dtypeOf(e, x), shapeOf(e, x));
    return e.recordNode({ op: 'Gelu', kind: 'gelu', inputs: [x], attrs: { approximate: { type: 'string', value: approximation === 'tanh' ? 'tanh' : 'none' } } }, [out], base)[0]!;
  }
}
