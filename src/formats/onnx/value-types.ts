import type { Type as TypeProto } from '../../../proto/onnx.schema.js';
import type { Dim } from '../../ir/shape.js';
import type { ValueType } from '../../ir/types.js';
import type { Decoded } from '../wire/decoded.js';
import { dtypeFromOnnx } from './dtypes.js';

/** The IR type of an ONNX TypeProto; null when absent or empty. */
export function typeOf(t: Decoded<TypeProto> | undefined): ValueType | null {
  if (!t) return null;
  if (t.tensor_type) {
    const shape = t.tensor_type.shape ? (t.tensor_type.shape.dim ?? []).map(dimOf) : null;
    return { kind: 'tensor', dtype: dtypeFromOnnx(t.tensor_type.elem_type), shape };
  }
  if (t.sparse_tensor_type) {
    const shape = t.sparse_tensor_type.shape ? (t.sparse_tensor_type.shape.dim ?? []).map(dimOf) : null;
    return { kind: 'sparse', dtype: dtypeFromOnnx(t.sparse_tensor_type.elem_type), shape };
  }
  if (t.sequence_type) return { kind: 'sequence', elem: typeOf(t.sequence_type.elem_type) };
  if (t.map_type) return { kind: 'map', key: dtypeFromOnnx(t.map_type.key_type), value: typeOf(t.map_type.value_type) };
  if (t.optional_type) return { kind: 'optional', elem: typeOf(t.optional_type.elem_type) };
  if (t.opaque_type) return { kind: 'opaque', name: `${t.opaque_type.domain ?? ''}.${t.opaque_type.name ?? ''}` };
  return null;
}

function dimOf(d: { dim_value?: number; dim_param?: string }): Dim {
  if (d.dim_value !== undefined) return d.dim_value;
  if (d.dim_param) return d.dim_param;
  return null;
}
