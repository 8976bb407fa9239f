import { joinStrings } from '../../formats/coreml/elements.js';
import type { DType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import { Tensor } from '../../ir/tensor.js';
import { tensorType } from '../../ir/types.js';
import { FixDeclined, type NewValue, type ValueRef } from '../patch.js';
import {
  broadcastShape, concatShape, convShape, expandDimsShape, normAxis, padShape, reshapeShape, sliceShape, squeezeShape,
  transposeShape, type ConvSpec, type SliceSpec,
} from '../shapes.js';
import { tensorOf } from '../tensors.js';
import { dtypeOf, shapeOf, staticShape } from './common.js';
import type { BinaryKind, Emitter, OpFactory, UnaryKind } from './types.js';

/**
 * ML Program: kinds lowered to MIL ops (iOS 15+ opsets). Every parameter is an input
 * bound to a `const` op of its own, named after the op, as coremltools writes them.
 */
export class MilFactory implements OpFactory {
  readonly format = 'mil' as const;
  readonly indexType: DType = 'int32';

  constructor(readonly model: Model) {}

  constant(e: Emitter, base: string, tensor: Tensor): NewValue {
    return e.recordConstant(base, tensor, 'const-node');
  }

  private ints(e: Emitter, base: string, values: readonly number[], scalar = false): NewValue {
    return this.constant(e, base, tensorOf('int32', scalar ? [] : [values.length], values));
  }

  private bools(e: Emitter, base: string, values: readonly boolean[], scalar = false): NewValue {
    return this.constant(e, base, tensorOf('bool', scalar ? [] : [values.length], values.map(Number)));
  }

  private string(e: Emitter, base: string, value: string): NewValue {
    return this.constant(e, base, Tensor.fromBytes('string', [], joinStrings([value])));
  }

  private op(e: Emitter, op: string, base: string, args: ReadonlyArray<readonly [string, ValueRef]>, out: ReturnType<typeof tensorType>): NewValue {
    return e.recordNode({ op, kind: op, inputs: args.map(([, v]) => v), inputNames: args.map(([k]) => k) }, [out], base)[0]!;
  }

  conv(e: Emitter, x: ValueRef, weight: ValueRef, bias: ValueRef | null, spec: ConvSpec, base: string): NewValue {
    const w = staticShape(e, weight, 'weight');
    const k = w.length - 2;
    const custom = spec.pads.some((p) => p !== 0);
    const pad: number[] = [];
    for (let i = 0; i < k; i++) pad.push(spec.pads[i] ?? 0, spec.pads[i + k] ?? 0);
    const args: Array<readonly [string, ValueRef]> = [
      ['x', x], ['weight', weight],
      ['strides', this.ints(e, `${base}_strides`, spec.strides)],
      ['pad_type', this.string(e, `${base}_pad_type`, custom ? 'custom' : 'valid')],
      ['pad', this.ints(e, `${base}_pad`, pad)],
      ['dilations', this.ints(e, `${base}_dilations`, spec.dilations)],
      ['groups', this.ints(e, `${base}_groups`, [spec.groups], true)],
    ];
    if (bias) args.push(['bias', bias]);
    return this.op(e, 'conv', base, args, tensorType(dtypeOf(e, x), convShape(shapeOf(e, x), w, spec)));
  }

  reshape(e: Emitter, x: ValueRef, shape: readonly number[], base: string): NewValue {
    const s = shapeOf(e, x);
    // MIL's reshape has no "copy this dim" 0: spell it out.
    const spelled = shape.map((d, i) => {
      if (d !== 0) return d;
      const known = s?.[i];
      if (typeof known !== 'number') throw new FixDeclined('a reshape would copy a dimension that is not fixed');
      return known;
    });
    const out = tensorType(dtypeOf(e, x), reshapeShape(s, spelled));
    return this.op(e, 'reshape', base, [['x', x], ['shape', this.ints(e, `${base}_shape`, spelled)]], out);
  }

  transpose(e: Emitter, x: ValueRef, perm: readonly number[], base: string): NewValue {
    const out = tensorType(dtypeOf(e, x), transposeShape(shapeOf(e, x), perm));
    return this.op(e, 'transpose', base, [['x', x], ['perm', this.ints(e, `${base}_perm`, perm)]], out);
  }

  expandDims(e: Emitter, x: ValueRef, axes: readonly number[], base: string): NewValue {
    const out = tensorType(dtypeOf(e, x), expandDimsShape(shapeOf(e, x), axes));
    return this.op(e, 'expand_dims', base, [['x', x], ['axes', this.ints(e, `${base}_axes`, axes)]], out);
  }

  squeeze(e: Emitter, x: ValueRef, axes: readonly number[], base: string): NewValue {
    const out = tensorType(dtypeOf(e, x), squeezeShape(shapeOf(e, x), axes));
    return this.op(e, 'squeeze', base, [['x', x], ['axes', this.ints(e, `${base}_axes`, axes)]], out);
  }

  slice(e: Emitter, x: ValueRef, specs: readonly SliceSpec[], base: string): NewValue {
    const s = shapeOf(e, x);
    if (!s) throw new FixDeclined('slicing needs the rank of the input');
    const rank = s.length;
    const begin = new Array<number>(rank).fill(0);
    const end = new Array<number>(rank).fill(0);
    const stride = new Array<number>(rank).fill(1);
    const beginMask = new Array<boolean>(rank).fill(true);
    const endMask = new Array<boolean>(rank).fill(true);
    for (const sp of specs) {
      const a = normAxis(sp.axis, rank);
      begin[a] = sp.start;
      beginMask[a] = false;
      stride[a] = sp.step;
      if (sp.end !== null) {
        end[a] = sp.end;
        endMask[a] = false;
      }
    }
    const out = tensorType(dtypeOf(e, x), sliceShape(s, specs));
    return this.op(e, 'slice_by_index', base, [
      ['x', x], ['begin', this.ints(e, `${base}_begin`, begin)], ['end', this.ints(e, `${base}_end`, end)],
      ['stride', this.ints(e, `${base}_stride`, stride)], ['begin_mask', this.bools(e, `${base}_begin_mask`, beginMask)],
      ['end_mask', this.bools(e, `${base}_end_mask`, endMask)],
    ], out);
  }

  concat(e: Emitter, xs: readonly ValueRef[], axis: number, base: string): NewValue {
    const out = tensorType(dtypeOf(e, xs[0]!), concatShape(xs.map((v) => shapeOf(e, v)), axis));
    const args: Array<readonly [string, ValueRef]> = xs.map((v) => ['values', v] as const);
    args.push(['axis', this.ints(e, `${base}_axis`, [axis], true)], ['interleave', this.bools(e, `${base}_interleave`, [false], true)]);
    return this.op(e, 'concat', base, args, out);
  }

  pad(e: Emitter, x: ValueRef, pads: readonly number[], value: number, base: string): NewValue {
    const dtype = dtypeOf(e, x);
    const s = shapeOf(e, x);
    if (!s) throw new FixDeclined('padding needs the rank of the input');
    const r = s.length;
    const pairs: number[] = [];
    for (let i = 0; i < r; i++) pairs.push(pads[i] ?? 0, pads[i + r] ?? 0);
    return this.op(e, 'pad', base, [
      ['x', x], ['pad', this.ints(e, `${base}_pad`, pairs)], ['mode', this.string(e, `${base}_mode`, 'constant')],
      ['constant_val', this.constant(e, `${base}_constant_val`, tensorOf(dtype, [], [value]))],
    ], tensorType(dtype, padShape(s, pads)));
  }

  binary(e: Emitter, kind: BinaryKind, a: ValueRef, b: ValueRef, base: string): NewValue {
    const out = tensorType(dtypeOf(e, a), broadcastShape(shapeOf(e, a), shapeOf(e, b)));
    return this.op(e, kind, base, [['x', a], ['y', b]], out);
  }

  unary(e: Emitter, kind: UnaryKind, x: ValueRef, base: string): NewValue {
    return this.op(e, kind, base, [['x', x]], tensorType(dtypeOf(e, x), shapeOf(e, x)));
  }

  gelu(e: Emitter, x: ValueRef, approximation: 'exact' | 'tanh', base: string): NewValue {
    const mode = this.string(e, `${base}_mode`, approximation === 'tanh' ? 'TANH_APPROXIMATION' : 'EXACT');
    return this.op(e, 'gelu', base, [['x', x], ['mode', mode]], tensorType(dtypeOf(e, x), shapeOf(e, x)));
  }
}
