import { WriteError } from '../../errors.js';
import type { DType } from '../../ir/dtype.js';
import type { Shape } from '../../ir/shape.js';
import type { Tensor } from '../../ir/tensor.js';
import type { ValueType } from '../../ir/types.js';
import { blobCodeOf, dtypeFromText, milCodeOf } from './dtypes.js';
import { decodeElements, splitStrings } from './elements.js';
import type { MilLit, MilTypeAst } from './mil-text/parser.js';
import { codec } from './schema.js';

/**
 * IR (and model.mil syntax) → ML Program proto messages, as plain objects that
 * protobufjs encodes (fields in number order, as Core ML's tools write them). Used for
 * operations the IR created or changed, and for converting model.mil to a spec.
 *
 * Immediate tensors are stored the way coremltools stores them: fp32 in `floats`,
 * fp64 in `doubles`, int32/int16/uint16 in `ints`, int64/uint64 in `longInts`, bool in
 * `bools`, strings in `strings`, and every other type (fp16, 8-bit and sub-byte ints,
 * uint32, ...) as raw little-endian bytes.
 */

export type Obj = Record<string, unknown>;

/** Where a constant's bytes go when they are not inlined: a weight file and offset. */
export type BlobSink = (t: Tensor) => { fileName: string; offset: number } | undefined;

export function encodeMessage(type: string, obj: Obj): Uint8Array {
  const c = codec(type);
  return c.encode(c.fromObject(prune(obj) as Obj)).finish();
}

/**
 * Drops proto3 default scalars (0, '', false, empty bytes or lists), which Core ML's tools
 * never write. Messages stay, even empty ones (an unknown dimension is an empty message),
 * and list elements stay whatever their value.
 */
function prune(x: unknown): unknown {
  if (Array.isArray(x)) return x.map((e) => (e !== null && typeof e === 'object' && !(e instanceof Uint8Array) ? prune(e) : e));
  if (x === null || typeof x !== 'object' || x instanceof Uint8Array) return x;
  const out: Obj = {};
  for (const [k, v] of Object.entries(x)) {
    if (v === undefined || v === 0 || v === '' || v === false) continue;
    if ((Array.isArray(v) || v instanceof Uint8Array) && v.length === 0) continue;
    out[k] = prune(v);
  }
  return out;
}

export function shapeDims(shape: Shape): Obj {
  if (shape === null) return { rank: -1 };
  return {
    rank: shape.length,
    dimensions: shape.map((d) => (typeof d === 'number' ? { constant: { size: d } } : { unknown: {} })),
  };
}

function milCode(dtype: DType, what: string): number {
  try {
    return milCodeOf(dtype);
  } catch {
    throw new WriteError(`${what}: element type ${dtype} has no ML Program data type`);
  }
}

export function typeFromIr(t: ValueType | null, what: string): Obj {
  if (t === null) throw new WriteError(`${what}: the value has no known type, which an ML Program needs`);
  switch (t.kind) {
    case 'tensor': return { tensorType: { dataType: milCode(t.dtype, what), ...shapeDims(t.shape) } };
    case 'sequence': return { listType: { type: typeFromIr(t.elem, what), length: { unknown: {} } } };
    case 'map': return { dictionaryType: { keyType: { tensorType: { dataType: milCode(t.key, what) } }, valueType: typeFromIr(t.value, what) } };
    default: throw new WriteError(`${what}: a ${t.kind} value cannot be written into an ML Program`);
  }
}

export function typeFromAst(t: MilTypeAst, what: string): Obj {
  switch (t.k) {
    case 'tensor': {
      const dtype = dtypeFromText(t.dtype);
      if (!dtype) throw new WriteError(`${what}: unknown element type '${t.dtype}'`);
      return { tensorType: { dataType: milCode(dtype, what), ...shapeDims(t.dims) } };
    }
    case 'list': return { listType: { type: typeFromAst(t.elem, what), length: t.length === null ? { unknown: {} } : { constant: { size: t.length } } } };
    case 'tuple': return { tupleType: { types: t.items.map((x) => typeFromAst(x, what)) } };
    case 'dict': return { dictionaryType: { keyType: typeFromAst(t.key, what), valueType: typeFromAst(t.value, what) } };
    case 'state': return { stateType: { wrappedType: typeFromAst(t.wrapped, what) } };
  }
}

/** A TensorValue holding `t`'s elements (reads the tensor: only for small constants). */
export function tensorValue(t: Tensor): Obj {
  const bytes = t.bytes();
  const n = t.elementCount;
  switch (t.dtype) {
    case 'float32': return { floats: { values: decodeElements('float32', bytes, n) } };
    case 'float64': return { doubles: { values: decodeElements('float64', bytes, n) } };
    case 'int32': case 'int16': case 'uint16': return { ints: { values: decodeElements(t.dtype, bytes, n) } };
    case 'int64': case 'uint64': return { longInts: { values: decodeElements(t.dtype, bytes, n) } };
    case 'bool': return { bools: { values: decodeElements('bool', bytes, n).map((x) => x !== 0) } };
    case 'string': return { strings: { values: splitStrings(bytes, n) } };
    default: return { bytes: { values: bytes } };
  }
}

/** Element types coremltools keeps in the weight file, and from how many elements. */
const BLOB_TYPES = new Set<DType>(['float16', 'float32', 'uint8', 'int8']);
export const BLOB_MIN_ELEMENTS = 10;

export function wantsBlob(t: Tensor): boolean {
  return BLOB_TYPES.has(t.dtype) && t.elementCount >= BLOB_MIN_ELEMENTS && blobCodeOf(t.dtype) !== undefined;
}

/** A Value for a constant tensor: a reference to its blob, or immediate. */
export function valueFromTensor(t: Tensor, sink: BlobSink | undefined, what: string): Obj {
  const type = { tensorType: { dataType: milCode(t.dtype, what), ...shapeDims(t.dims) } };
  const origin = t.origin as { blob?: { path: string; offset: number }; blobFileValue?: { fileName?: string; offset?: number } } | undefined;
  // A tensor that already lives in a weight file keeps its reference (the file is copied).
  if (origin?.blob) return { type, blobFileValue: { fileName: origin.blob.path, offset: origin.blob.offset } };
  if (origin?.blobFileValue && (t.storage.kind === 'external' || t.storage.kind === 'missing')) {
    return { type, blobFileValue: { fileName: origin.blobFileValue.fileName ?? '', offset: origin.blobFileValue.offset ?? 0 } };
  }
  if (t.storage.kind === 'missing') throw new WriteError(`${what}: the constant's weights are not available (${t.storage.reason})`);
  const placed = sink && wantsBlob(t) ? sink(t) : undefined;
  if (placed) return { type, blobFileValue: placed };
  return { type, immediateValue: { tensor: tensorValue(t) } };
}

/** A scalar attribute value (int → int32, float → fp32, string). */
export function scalarValue(kind: 'int' | 'float' | 'string', v: number | string): Obj {
  if (kind === 'string') return { type: { tensorType: { dataType: milCodeOf('string') } }, immediateValue: { tensor: { strings: { values: [v] } } } };
  if (kind === 'int') return { type: { tensorType: { dataType: milCodeOf('int32') } }, immediateValue: { tensor: { ints: { values: [v] } } } };
  return { type: { tensorType: { dataType: milCodeOf('float32') } }, immediateValue: { tensor: { floats: { values: [v] } } } };
}

/** A non-tensor model.mil literal (dict, tuple, list) as a Value; typed by its own type. */
export function valueFromLit(lit: MilLit, type: MilTypeAst, what: string, depth = 0): Obj {
  if (depth > 32) throw new WriteError(`${what}: value nested too deeply`);
  const v = lit.k === 'typed' ? lit.value : lit;
  const t = lit.k === 'typed' ? lit.type : type;
  const typeObj = typeFromAst(t, what);
  if (t.k === 'dict' && v.k === 'dict') {
    const values = v.entries.map(([k, x]) => ({ key: valueFromLit(k, t.key, what, depth + 1), value: valueFromLit(x, t.value, what, depth + 1) }));
    return { type: typeObj, immediateValue: { dictionary: { values } } };
  }
  if (t.k === 'tuple' && v.k === 'tuple') {
    return { type: typeObj, immediateValue: { tuple: { values: v.items.map((x, i) => valueFromLit(x, t.items[i] ?? t.items[0]!, what, depth + 1)) } } };
  }
  if (t.k === 'list' && (v.k === 'array' || v.k === 'tuple')) {
    return { type: typeObj, immediateValue: { list: { values: v.items.map((x) => valueFromLit(x, t.elem, what, depth + 1)) } } };
  }
  if (t.k === 'tensor') {
    const dtype = dtypeFromText(t.dtype);
    const flat: MilLit[] = [];
    const walk = (x: MilLit): void => void (x.k === 'array' ? x.items.forEach(walk) : flat.push(x));
    walk(v);
    if (dtype === 'string') return { type: typeObj, immediateValue: { tensor: { strings: { values: flat.map((x) => (x.k === 'str' ? x.v : '')) } } } };
    if (dtype === 'bool') return { type: typeObj, immediateValue: { tensor: { bools: { values: flat.map((x) => x.k === 'bool' && x.v) } } } };
  }
  throw new WriteError(`${what}: this model.mil value cannot be converted`);
}
