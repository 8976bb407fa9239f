import type { DType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import type { Dim } from '../ir/shape.js';

/**
 * Numeric verification of a rewrite (`--verify`): the original and the fixed ONNX model
 * run in onnxruntime-node on the same seeded random inputs, and every output is compared.
 *
 * onnxruntime-node is large (about 290 MB) and optional: graphlint installs and runs
 * without it, and loads it here only when asked.
 *
 * Differences, per output: the largest absolute difference of any element, and the
 * relative difference = that largest absolute difference divided by the largest absolute
 * value of the output in the original model (so an element near zero does not make a
 * reassociated sum look wrong). Integer and boolean outputs must match exactly.
 */

export const DEFAULT_TOLERANCE = 1e-4;

export const ORT_INSTALL_HINT =
  'npm install onnxruntime-node (set ONNXRUNTIME_NODE_INSTALL=skip, or onnxruntime-node-install=skip in .npmrc, where its extra download is not reachable)';

export class VerifyUnavailable extends Error {
  override readonly name = 'VerifyUnavailable';
}

export interface VerifyOptions {
  /** `--input-shape` dims; other dims that are not numbers become 1. */
  readonly inputShapes?: ReadonlyMap<string, readonly Dim[]>;
  readonly seed?: number;
  /** Largest relative difference that passes (default 1e-4). */
  readonly tolerance?: number;
  /** How many random input sets (default 2). */
  readonly runs?: number;
}

export interface OutputDiff {
  readonly name: string;
  readonly maxAbsDiff: number;
  readonly maxRelDiff: number;
}

export interface VerifyResult {
  readonly inputs: number;
  readonly maxAbsDiff: number;
  readonly maxRelDiff: number;
  readonly ok: boolean;
  readonly tolerance: number;
  readonly outputs: readonly OutputDiff[];
}

/** The parts of onnxruntime-node's API used here (its types are not needed to build graphlint). */
interface OrtTensor {
  readonly type: string;
  readonly data: ArrayLike<number | bigint | boolean>;
  readonly dims: readonly number[];
}
interface OrtSession {
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}
interface Ort {
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: string | Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
}

let loaded: Ort | undefined;

/** Test hook: the package name loaded (tests point it at a missing one). */
export const ortModule = { id: 'onnxruntime-node' };

/** onnxruntime-node, loaded on first use; VerifyUnavailable (with how to install it) when it is missing. */
export async function loadOrt(): Promise<Ort> {
  if (loaded && ortModule.id === 'onnxruntime-node') return loaded;
  const id = ortModule.id;
  try {
    const m = (await import(id)) as Ort & { default?: Ort };
    loaded = m.InferenceSession ? m : m.default!;
    return loaded;
  } catch (e) {
    throw new VerifyUnavailable(`--verify needs onnxruntime-node, which is not installed or does not load here (${(e as Error).message.split('\n')[0]}). Install it with: ${ORT_INSTALL_HINT}`);
  }
}

interface InputSpec {
  readonly name: string;
  readonly dtype: DType;
  readonly dims: readonly number[];
}

/** The graph inputs a run must feed, with concrete dims. */
export function inputSpecs(model: Model, inputShapes?: ReadonlyMap<string, readonly Dim[]>): InputSpec[] {
  return model.graph.inputs.filter((v) => !v.constant && !model.graph.initializers.includes(v)).map((v) => {
    const t = v.type?.kind === 'tensor' ? v.type : undefined;
    const shape = inputShapes?.get(v.name) ?? t?.shape ?? [];
    return { name: v.name, dtype: t?.dtype ?? 'float32', dims: shape.map((d) => (typeof d === 'number' && d >= 0 ? d : 1)) };
  });
}

/** Seeded uniform numbers in [0, 1) (mulberry32). */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeInput(ort: Ort, spec: InputSpec, next: () => number): OrtTensor {
  const n = spec.dims.reduce((a, b) => a * b, 1);
  const fill = <T extends { [i: number]: number | bigint }>(arr: T, f: () => number | bigint): T => {
    for (let i = 0; i < n; i++) arr[i] = f();
    return arr;
  };
  const uniform = (): number => next() * 2 - 1;
  const small = (): number => Math.floor(next() * 4);
  switch (spec.dtype) {
    case 'float32': return new ort.Tensor('float32', fill(new Float32Array(n), uniform), spec.dims);
    case 'float64': return new ort.Tensor('float64', fill(new Float64Array(n), uniform), spec.dims);
    case 'float16': return new ort.Tensor('float16', fill(new Uint16Array(n), () => halfBits(uniform())), spec.dims);
    case 'int64': return new ort.Tensor('int64', fill(new BigInt64Array(n), () => BigInt(small())), spec.dims);
    case 'int32': return new ort.Tensor('int32', fill(new Int32Array(n), small), spec.dims);
    case 'int8': return new ort.Tensor('int8', fill(new Int8Array(n), small), spec.dims);
    case 'uint8': return new ort.Tensor('uint8', fill(new Uint8Array(n), small), spec.dims);
    case 'bool': return new ort.Tensor('bool', fill(new Uint8Array(n), () => (next() < 0.5 ? 0 : 1)), spec.dims);
    default: throw new VerifyUnavailable(`--verify cannot make random ${spec.dtype} inputs (input ${spec.name})`);
  }
}

function halfBits(x: number): number {
  const f = new Float32Array([x]);
  const bits = new Uint32Array(f.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = ((bits >>> 23) & 0xff) - 127 + 15;
  const mant = bits & 0x7fffff;
  if (exp <= 0) return sign;
  return sign | (exp << 10) | (mant >> 13);
}

/**
 * Runs both models on `runs` seeded random input sets and compares every output.
 * `original` and `fixed` are file paths or model bytes; `model` gives the inputs to feed.
 */
export async function compareOnnx(original: string | Uint8Array, fixed: string | Uint8Array, model: Model, options: VerifyOptions = {}): Promise<VerifyResult> {
  const ort = await loadOrt();
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const runs = options.runs ?? 2;
  const opts = { graphOptimizationLevel: 'disabled', logSeverityLevel: 3 };
  const a = await ort.InferenceSession.create(original, opts);
  const b = await ort.InferenceSession.create(fixed, opts);
  const specs = inputSpecs(model, options.inputShapes);
  const diffs = new Map<string, { abs: number; rel: number }>();
  try {
    for (let r = 0; r < runs; r++) {
      const next = random((options.seed ?? 1) + r * 7919);
      const feeds: Record<string, OrtTensor> = {};
      for (const s of specs) feeds[s.name] = makeInput(ort, s, next);
      const [ya, yb] = [await a.run(feeds), await b.run(feeds)];
      for (const name of a.outputNames) {
        const d = compare(ya[name]!, yb[name]);
        const prev = diffs.get(name) ?? { abs: 0, rel: 0 };
        diffs.set(name, { abs: Math.max(prev.abs, d.abs), rel: Math.max(prev.rel, d.rel) });
      }
    }
  } finally {
    await a.release?.();
    await b.release?.();
  }
  const outputs = [...diffs].map(([name, d]) => ({ name, maxAbsDiff: d.abs, maxRelDiff: d.rel }));
  const maxAbsDiff = Math.max(0, ...outputs.map((o) => o.maxAbsDiff));
  const maxRelDiff = Math.max(0, ...outputs.map((o) => o.maxRelDiff));
  return { inputs: runs, maxAbsDiff, maxRelDiff, ok: maxRelDiff <= tolerance, tolerance, outputs };
}

function compare(x: OrtTensor, y: OrtTensor | undefined): { abs: number; rel: number } {
  if (!y || y.dims.join(',') !== x.dims.join(',') || y.data.length !== x.data.length) return { abs: Infinity, rel: Infinity };
  const isFloat = x.type.startsWith('float');
  const value = (t: OrtTensor, i: number): number => {
    const v = t.data[i]!;
    if (t.type === 'float16' && typeof v === 'number' && t.data instanceof Uint16Array) return halfToNumber(v);
    return typeof v === 'bigint' ? Number(v) : Number(v);
  };
  let abs = 0;
  let scale = 0;
  for (let i = 0; i < x.data.length; i++) {
    const p = value(x, i);
    const q = value(y, i);
    if (Number.isNaN(p) || Number.isNaN(q)) {
      if (Number.isNaN(p) !== Number.isNaN(q)) abs = Infinity;
      continue;
    }
    const d = p === q ? 0 : Math.abs(p - q);
    if (d > abs) abs = d;
    if (Math.abs(p) > scale && Number.isFinite(p)) scale = Math.abs(p);
  }
  if (!isFloat) return { abs, rel: abs === 0 ? 0 : Infinity };
  return { abs, rel: abs === 0 ? 0 : scale === 0 ? Infinity : abs / scale };
}

function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
