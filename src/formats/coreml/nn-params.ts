import type { WeightParams } from '../../../proto/coreml.schema.js';
import { ModelError } from '../../errors.js';
import type { Attribute } from '../../ir/attribute.js';
import type { DType } from '../../ir/dtype.js';
import { Tensor } from '../../ir/tensor.js';
import type { Bytes, Decoded, PackedRef, Span } from '../wire/decoded.js';
import { isPackedRef } from '../wire/decoded.js';
import type { ByteSource } from '../wire/source.js';
import type { LayerParamFacts } from './kinds.js';
import { encodeElements, unpackMsbFirst } from './elements.js';
import { schema } from './schema.js';

/**
 * NeuralNetwork layer parameters → IR attributes, generically from our schema:
 * scalars → int/float/string, lists → ints/floats, weights (WeightParams) → lazy tensor
 * attributes, border amounts → ints [start0, end0, start1, end1, ...]. A sub-message that
 * is set (a oneof choice such as `same`, `reflection` or `leakyReLU`) → int attribute 1,
 * and its fields follow under `<field>.<name>`. Parameters kept as bytes give no attributes.
 *
 * Every attribute carries `origin: NN_PARAM`, so the writer can tell that none was edited.
 */

export const NN_PARAM = Symbol('nn-param');

export interface ParamContext {
  readonly source: ByteSource;
  readonly file: string;
}

const SKIP = new Set(['$type', '$span', '$unknown', '$entries']);

export function layerAttributes(
  type: string,
  params: unknown,
  ctx: ParamContext,
): { attrs: Map<string, Attribute>; facts: LayerParamFacts } {
  const attrs = new Map<string, Attribute>();
  if (params === null || typeof params !== 'object' || !('$type' in params)) return { attrs, facts: {} };
  const p = params as Record<string, unknown> & { $type: string };
  const shapes = weightShapes(type, p);
  walk(p, '', attrs, ctx, shapes);
  const num = (k: string): number | undefined => (typeof p[k] === 'number' ? (p[k] as number) : undefined);
  const facts: LayerParamFacts = {
    activation: type === 'activation' ? Object.keys(p).find((k) => !SKIP.has(k)) : undefined,
    unaryType: type === 'unary' ? num('type') ?? 0 : undefined,
    reduceMode: type === 'reduce' ? num('mode') ?? 0 : undefined,
    poolingType: type === 'pooling' ? num('type') ?? 0 : undefined,
    upsampleMode: type === 'upsample' ? num('mode') ?? 0 : undefined,
    isDeconvolution: p.isDeconvolution === true,
    instanceNormalization: p.instanceNormalization === true,
    acrossChannels: p.acrossChannels === true,
    hasWeights: p.weights !== undefined,
  };
  return { attrs, facts };
}

function walk(
  msg: Record<string, unknown> & { $type: string },
  prefix: string,
  attrs: Map<string, Attribute>,
  ctx: ParamContext,
  shapes: Record<string, number[]>,
): void {
  const s = schema(msg.$type);
  for (const [key, value] of Object.entries(msg)) {
    if (SKIP.has(key)) continue;
    const name = prefix + key;
    const field = s.byName.get(key);
    if (typeof value === 'number') {
      const float = field?.scalar === 'float' || field?.scalar === 'double';
      attrs.set(name, { type: float ? 'float' : 'int', value, origin: NN_PARAM });
    } else if (typeof value === 'boolean') {
      attrs.set(name, { type: 'int', value: value ? 1 : 0, origin: NN_PARAM });
    } else if (typeof value === 'string') {
      attrs.set(name, { type: 'string', value, origin: NN_PARAM });
    } else if (Array.isArray(value)) {
      if (value.every((x) => typeof x === 'number' || typeof x === 'boolean')) {
        const nums = value.map(Number);
        const float = field?.scalar === 'float' || field?.scalar === 'double';
        attrs.set(name, { type: float ? 'floats' : 'ints', value: nums, origin: NN_PARAM });
      }
    } else if (value && typeof value === 'object' && '$type' in value) {
      const sub = value as Record<string, unknown> & { $type: string };
      if (sub.$type === 'WeightParams') {
        const t = weightTensor(sub as unknown as Decoded<WeightParams>, shapes[name], ctx, name);
        if (t) attrs.set(name, { type: 'tensor', value: t, origin: NN_PARAM });
      } else if (sub.$type === 'BorderAmounts') {
        const edges = (sub.borderAmounts ?? []) as Array<{ startEdgeSize?: number; endEdgeSize?: number }>;
        attrs.set(name, { type: 'ints', value: edges.flatMap((e) => [e.startEdgeSize ?? 0, e.endEdgeSize ?? 0]), origin: NN_PARAM });
      } else if (sub.$type !== 'NeuralNetwork') {
        attrs.set(name, { type: 'int', value: 1, origin: NN_PARAM });
        walk(sub, `${name}.`, attrs, ctx, shapes);
      }
    }
  }
}

/** Shapes of a layer's weight fields, where the layer's parameters say them. */
function weightShapes(type: string, p: Record<string, unknown>): Record<string, number[]> {
  const n = (k: string, fallback = 0): number => (typeof p[k] === 'number' ? (p[k] as number) : fallback);
  const list = (k: string): number[] => (Array.isArray(p[k]) ? (p[k] as number[]) : []);
  switch (type) {
    case 'convolution': {
      const [kh = 3, kw = 3] = list('kernelSize');
      const out = n('outputChannels');
      const groups = Math.max(1, n('nGroups', 1));
      const w = p.isDeconvolution === true ? [n('kernelChannels'), out / groups, kh, kw] : [out, n('kernelChannels'), kh, kw];
      return { weights: w, bias: [out] };
    }
    case 'innerProduct': return { weights: [n('outputChannels'), n('inputChannels')], bias: [n('outputChannels')] };
    case 'batchedMatmul': {
      const [a, b] = [n('weightMatrixFirstDimension'), n('weightMatrixSecondDimension')];
      return { weights: [a, b], bias: [b] };
    }
    case 'embedding': case 'embeddingND':
      return { weights: [n('outputChannels'), n('inputDim')], bias: [n('outputChannels')] };
    case 'batchnorm': {
      const c = [n('channels')];
      return { gamma: c, beta: c, mean: c, variance: c };
    }
    case 'loadConstant': case 'loadConstantND': return { data: list('shape') };
    case 'scale': return { scale: list('shapeScale'), bias: list('shapeBias') };
    case 'bias': return { bias: list('shape') };
    case 'layerNormalization': return { gamma: list('normalizedShape'), beta: list('normalizedShape') };
    default: return {};
  }
}

const QUANT_DTYPES: Readonly<Record<number, DType>> = { 1: 'uint1', 2: 'uint2', 3: 'uint3', 4: 'uint4', 6: 'uint6', 8: 'uint8' };

/**
 * A lazy tensor over a WeightParams' storage. The element count comes from the bytes
 * stored; the layer's shape is used when it agrees, a flat shape otherwise.
 */
export function weightTensor(w: Decoded<WeightParams>, shape: number[] | undefined, ctx: ParamContext, what: string): Tensor | undefined {
  let dtype: DType;
  let bytes: Bytes | undefined;
  let count: number;
  if (w.floatValue !== undefined) {
    const t = floatTensor(w.floatValue, shape, ctx);
    t.origin = w;
    return t;
  } else if (w.float16Value) {
    bytes = w.float16Value;
    dtype = 'float16';
    if (bytes.length % 2 !== 0) throw new ModelError(`${what}: float16 weights of odd length ${bytes.length}`, ctx.file);
    count = bytes.length / 2;
  } else if (w.int8RawValue) {
    bytes = w.int8RawValue;
    dtype = 'int8';
    count = bytes.length;
  } else if (w.rawValue) {
    bytes = w.rawValue;
    const bits = w.quantization?.numberOfBits ?? 0;
    if (w.quantization) {
      if (!Number.isInteger(bits) || bits < 1 || bits > 8) throw new ModelError(`${what}: ${bits}-bit quantized weights`, ctx.file);
      dtype = QUANT_DTYPES[bits] ?? 'unknown';
      count = Math.floor((bytes.length * 8) / bits);
      const want = product(shape);
      if (want !== undefined && want <= count && Math.ceil((want * bits) / 8) === bytes.length) count = want;
    } else {
      dtype = 'float32';
      if (bytes.length % 4 !== 0) throw new ModelError(`${what}: raw float weights of length ${bytes.length}`, ctx.file);
      count = bytes.length / 4;
    }
  } else {
    return undefined;
  }
  const dims = product(shape) === count ? shape! : [count];
  const b = bytes;
  const bits = w.quantization?.numberOfBits ?? 8;
  if (w.rawValue && w.quantization && bits < 8 && dtype !== 'unknown') {
    // Sub-byte values are stored MSB-first; the IR's element bytes are LSB-first, so the
    // bytes are repacked when read (and are not a plain copy of the file range).
    const n = count;
    const d = dtype;
    const t = new Tensor(d, dims, { kind: 'memory' }, () => {
      const raw = b.data ?? new Uint8Array(ctx.source.read(b.offset, b.length));
      return encodeElements(d, unpackMsbFirst(raw, bits, n));
    });
    t.origin = w;
    return t;
  }
  const t = b.data
    ? Tensor.fromBytes(dtype, dims, b.data)
    : new Tensor(dtype, dims, { kind: 'file', file: ctx.file, offset: b.offset, length: b.length },
      () => new Uint8Array(ctx.source.read(b.offset, b.length)), dtype === 'unknown' ? undefined : b.length);
  t.origin = w;
  return t;
}

function floatTensor(values: number[] | PackedRef, shape: number[] | undefined, ctx: ParamContext): Tensor {
  if (!isPackedRef(values)) {
    const bytes = new Uint8Array(new Float32Array(values).buffer);
    return Tensor.fromBytes('float32', product(shape) === values.length ? shape! : [values.length], bytes);
  }
  // Packed floats on the wire are little-endian float32: exactly the element bytes.
  const spans = values.parts.filter((p): p is Span => typeof p !== 'number');
  const loose = values.parts.length - spans.length;
  const count = spans.reduce((a, s) => a + (s.end - s.start) / 4, loose);
  if (!Number.isInteger(count)) throw new ModelError('packed float weights are not a multiple of 4 bytes', ctx.file);
  const dims = product(shape) === count ? shape! : [count];
  const load = (): Uint8Array => {
    const out = new Uint8Array(count * 4);
    const view = new DataView(out.buffer);
    let at = 0;
    for (const p of values.parts) {
      if (typeof p === 'number') {
        view.setFloat32(at, p, true);
        at += 4;
      } else {
        out.set(ctx.source.read(p.start, p.end - p.start), at);
        at += p.end - p.start;
      }
    }
    return out;
  };
  const only = spans.length === 1 && loose === 0 ? spans[0]! : undefined;
  const storage = only
    ? { kind: 'file' as const, file: ctx.file, offset: only.start, length: only.end - only.start }
    : { kind: 'memory' as const };
  return new Tensor('float32', dims, storage, load, count * 4);
}

function product(shape: number[] | undefined): number | undefined {
  if (!shape || shape.length === 0 || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) return undefined;
  return shape.reduce((a, b) => a * b, 1);
}
