import type { DType } from '../../ir/dtype.js';
import type { Shape } from '../../ir/shape.js';
import type { TensorType } from '../../ir/types.js';
import { FixDeclined, type ValueRef } from '../patch.js';
import type { Emitter } from './types.js';

/** Types of the values a factory reads; a value of unknown type declines the fix. */
export function typeOf(e: Emitter, v: ValueRef): TensorType {
  const t = e.typeOf(v);
  if (!t) throw new FixDeclined(`the type of ${v.name || 'a value'} is not known`);
  return t;
}

export function dtypeOf(e: Emitter, v: ValueRef): DType {
  return typeOf(e, v).dtype;
}

export function shapeOf(e: Emitter, v: ValueRef): Shape {
  return typeOf(e, v).shape;
}

export function staticShape(e: Emitter, v: ValueRef, what: string): readonly number[] {
  const s = shapeOf(e, v);
  if (!s || !s.every((d): d is number => typeof d === 'number')) throw new FixDeclined(`the ${what}'s shape is not fixed`);
  return s;
}
