import type { DType } from './dtype.js';
import { formatShape, type Shape } from './shape.js';

/** The type of a value. Most are tensors; ONNX also has sequences, maps, optionals. */
export type ValueType =
  | { readonly kind: 'tensor'; readonly dtype: DType; readonly shape: Shape }
  | { readonly kind: 'sparse'; readonly dtype: DType; readonly shape: Shape }
  | { readonly kind: 'sequence'; readonly elem: ValueType | null }
  | { readonly kind: 'map'; readonly key: DType; readonly value: ValueType | null }
  | { readonly kind: 'optional'; readonly elem: ValueType | null }
  | { readonly kind: 'opaque'; readonly name: string };

export type TensorType = Extract<ValueType, { kind: 'tensor' }>;

export function tensorType(dtype: DType, shape: Shape): TensorType {
  return { kind: 'tensor', dtype, shape };
}

export function formatType(t: ValueType | null): string {
  if (t === null) return '?';
  switch (t.kind) {
    case 'tensor': return `${t.dtype}${formatShape(t.shape)}`;
    case 'sparse': return `sparse ${t.dtype}${formatShape(t.shape)}`;
    case 'sequence': return `seq(${formatType(t.elem)})`;
    case 'map': return `map(${t.key},${formatType(t.value)})`;
    case 'optional': return `optional(${formatType(t.elem)})`;
    case 'opaque': return `opaque(${t.name})`;
  }
}
