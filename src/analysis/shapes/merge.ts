import type { Dim, Shape } from '../../ir/shape.js';
import { formatType, type ValueType } from '../../ir/types.js';
import { unionShapes } from './dims.js';

export interface Merged {
  readonly type: ValueType | null;
  /** Set when declared and inferred facts disagree; `type` is then the declared one. */
  readonly conflict?: string;
}

/**
 * What is known of a value given its declared type and an inferred one, as ONNX merges
 * them: the declared type stays, unknown parts are filled in, and a symbolic dim gives
 * way to a number. A disagreement keeps the declared type whole and says why.
 */
export function mergeTypes(declared: ValueType | null, inferred: ValueType | null): Merged {
  if (inferred === null) return { type: declared };
  if (declared === null) return { type: inferred };
  try {
    return { type: merge(declared, inferred) };
  } catch (e) {
    if (!(e instanceof Conflict)) throw e;
    return { type: declared, conflict: `declared ${formatType(declared)}, inferred ${formatType(inferred)}: ${e.message}` };
  }
}

class Conflict extends Error {}

function merge(d: ValueType, i: ValueType): ValueType {
  if (d.kind === 'tensor' || d.kind === 'sparse') {
    if (i.kind !== d.kind) throw new Conflict(`${i.kind} is not ${d.kind}`);
    if (d.dtype !== 'unknown' && i.dtype !== 'unknown' && d.dtype !== i.dtype) {
      throw new Conflict('element types differ');
    }
    const dtype = d.dtype === 'unknown' ? i.dtype : d.dtype;
    const shape = mergeShape(d.shape, i.shape);
    return dtype === d.dtype && shape === d.shape ? d : { kind: d.kind, dtype, shape };
  }
  if (d.kind !== i.kind) throw new Conflict(`${i.kind} is not ${d.kind}`);
  switch (d.kind) {
    case 'sequence':
    case 'optional': {
      const ie = (i as typeof d).elem;
      const elem = d.elem === null ? ie : ie === null ? d.elem : merge(d.elem, ie);
      return elem === d.elem ? d : { kind: d.kind, elem };
    }
    case 'map': {
      const im = i as typeof d;
      if (im.key !== d.key) throw new Conflict('map key types differ');
      const value = d.value === null ? im.value : im.value === null ? d.value : merge(d.value, im.value);
      return value === d.value ? d : { kind: 'map', key: d.key, value };
    }
    case 'opaque':
      return d;
  }
}

function mergeShape(d: Shape, i: Shape): Shape {
  if (i === null) return d;
  if (d === null) return i;
  if (d.length !== i.length) throw new Conflict(`ranks ${d.length} and ${i.length} differ`);
  let out: Dim[] | null = null;
  for (let k = 0; k < d.length; k++) {
    const a = d[k]!;
    const b = i[k]!;
    if (typeof a === 'number') {
      if (typeof b === 'number' && a !== b) throw new Conflict(`dim ${k} is ${a} but inferred ${b}`);
      continue;
    }
    // A number refines a symbol or an unknown; a symbol fills an unknown.
    if ((typeof b === 'number') || (a === null && b !== null)) {
      out ??= [...d];
      out[k] = b;
    }
  }
  return out ?? d;
}


/**
 * What two possible types of one value have in common (If branches, a Loop's initial and
 * final state): element types that agree, and dims that agree.
 */
export function unionTypes(a: ValueType | null, b: ValueType | null): ValueType | null {
  if (a === null || b === null) return null;
  if ((a.kind === 'tensor' || a.kind === 'sparse') && b.kind === a.kind) {
    const dtype = a.dtype === b.dtype ? a.dtype : 'unknown';
    const shape = unionShapes(a.shape, b.shape);
    return dtype === 'unknown' && shape === null ? null : { kind: a.kind, dtype, shape };
  }
  if ((a.kind === 'sequence' || a.kind === 'optional') && b.kind === a.kind) {
    return { kind: a.kind, elem: unionTypes(a.elem, b.elem) };
  }
  return null;
}

/** The type without dims (a loop-carried value whose shape may change per iteration). */
export function withoutShape(t: ValueType | null): ValueType | null {
  if (t === null) return null;
  switch (t.kind) {
    case 'tensor':
    case 'sparse':
      return t.dtype === 'unknown' ? null : { kind: t.kind, dtype: t.dtype, shape: null };
    case 'sequence':
    case 'optional':
      return { kind: t.kind, elem: withoutShape(t.elem) };
    default:
      return t;
  }
}
