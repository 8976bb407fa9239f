import type { Attribute } from '../../ir/attribute.js';
import type { DType } from '../../ir/dtype.js';
import type { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import type { Tensor } from '../../ir/tensor.js';
import type { TensorType } from '../../ir/types.js';
import type { NewValue, ValueRef } from '../patch.js';
import type { ConvSpec, SliceSpec } from '../shapes.js';

/**
 * What an op factory needs from the recording builder: a graph, fresh names, and a way
 * to record a constant or a node. The factory decides how the target format spells a kind.
 */
export interface Emitter {
  readonly model: Model;
  readonly graph: Graph;
  /** The tensor type of a value (existing or created by this patch); undefined when not a known tensor. */
  typeOf(v: ValueRef): TensorType | undefined;
  /** A fresh value name derived from `base`, reserved for this fix session. */
  name(base: string): string;
  recordConstant(base: string, tensor: Tensor, as: 'initializer' | 'const-node'): NewValue;
  recordNode(spec: {
    readonly op: string;
    readonly domain?: string;
    readonly kind: string;
    readonly inputs: readonly (ValueRef | null)[];
    readonly inputNames?: readonly string[];
    readonly attrs?: Readonly<Record<string, Attribute>>;
  }, outputs: readonly TensorType[], base: string): NewValue[];
}

export type BinaryKind = 'add' | 'sub' | 'mul' | 'real_div';
export type UnaryKind = 'tanh' | 'erf' | 'sqrt' | 'relu' | 'sigmoid';

/**
 * The op factory of one format: kinds in, the format's ops out. A fix is written once
 * against these; ONNX lowers them to its ops and attributes for the model's opset, ML
 * Program to MIL ops for the program's opset. New weights become constants.
 */
export interface OpFactory {
  readonly format: 'onnx' | 'mil';
  /** Integer type of index parameters (ONNX int64, MIL int32). */
  readonly indexType: DType;
  /** A constant tensor (a weight, a shape vector). */
  constant(e: Emitter, base: string, tensor: Tensor): NewValue;
  conv(e: Emitter, x: ValueRef, weight: ValueRef, bias: ValueRef | null, spec: ConvSpec, base: string): NewValue;
  reshape(e: Emitter, x: ValueRef, shape: readonly number[], base: string): NewValue;
  transpose(e: Emitter, x: ValueRef, perm: readonly number[], base: string): NewValue;
  expandDims(e: Emitter, x: ValueRef, axes: readonly number[], base: string): NewValue;
  squeeze(e: Emitter, x: ValueRef, axes: readonly number[], base: string): NewValue;
  slice(e: Emitter, x: ValueRef, specs: readonly SliceSpec[], base: string): NewValue;
  concat(e: Emitter, xs: readonly ValueRef[], axis: number, base: string): NewValue;
  /** A constant pad with `value` (ONNX pads order: all begins, then all ends, one per axis). */
  pad(e: Emitter, x: ValueRef, pads: readonly number[], value: number, base: string): NewValue;
  binary(e: Emitter, kind: BinaryKind, a: ValueRef, b: ValueRef, base: string): NewValue;
  unary(e: Emitter, kind: UnaryKind, x: ValueRef, base: string): NewValue;
  /** GELU in one op when the format has one (MIL gelu; ONNX Gelu from opset 20), else undefined. */
  gelu(e: Emitter, x: ValueRef, approximation: 'exact' | 'tanh', base: string): NewValue | undefined;
}
