import type { Value } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';

/** Largest constant (in elements) a rule may read; bigger ones are weights and stay on disk. */
export const SMALL_CONSTANT = 4096;

/**
 * The tensor behind a value when it is a constant: an initializer, a MIL const (its output
 * carries the tensor), or an ONNX Constant node. Undefined otherwise. Reads no bytes.
 */
export function constantTensor(v: Value | null | undefined): Tensor | undefined {
  if (!v) return undefined;
  if (v.constant) return v.constant;
  const p = v.producer;
  if (p && p.op === 'Constant' && (p.domain === '' || p.domain === 'ai.onnx')) {
    const a = p.attrs.get('value');
    if (a?.type === 'tensor') return a.value;
  }
  return undefined;
}

/**
 * The numbers of a small constant value (at most `limit` elements), or undefined when the
 * value is not constant, too big, or not numeric. ONNX Constant nodes with scalar or list
 * attributes (value_float, value_ints, ...) count too.
 */
export function constantNumbers(v: Value | null | undefined, limit = SMALL_CONSTANT): number[] | undefined {
  if (!v) return undefined;
  const t = constantTensor(v);
  if (t) {
    try {
      return t.numbers(limit);
    } catch {
      return undefined; // unreadable payload (missing external file, bad size): not a usable constant
    }
  }
  const p = v.producer;
  if (p && p.op === 'Constant' && (p.domain === '' || p.domain === 'ai.onnx')) {
    for (const [name, a] of p.attrs) {
      if ((name === 'value_float' || name === 'value_int') && (a.type === 'float' || a.type === 'int')) return [a.value];
      if ((name === 'value_floats' || name === 'value_ints') && (a.type === 'floats' || a.type === 'ints')) {
        return a.value.length <= limit ? [...a.value] : undefined;
      }
    }
  }
  return undefined;
}

/** The single number of a constant that holds one element (any shape), else undefined. */
export function constantScalar(v: Value | null | undefined): number | undefined {
  const n = constantNumbers(v, 1);
  return n && n.length === 1 ? n[0] : undefined;
}

export function isConstant(v: Value | null | undefined): boolean {
  if (!v) return false;
  return constantTensor(v) !== undefined || constantNumbers(v, 0) !== undefined || (v.producer?.op === 'Constant');
}
