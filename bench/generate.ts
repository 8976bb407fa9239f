/**
 * The benchmark's inputs, built with graphlint's own ModelBuilder and ONNX writer:
 *
 * - weight models: a stack of transformer-like layers whose MatMul weights add up to a
 *   target size. Weights are ranges of one generated blob file (Tensor.fromFile), so the
 *   writer streams them and the generator never holds more than a chunk of them;
 * - synthetic graphs: N small ops in repeated blocks with many small constants, the shape
 *   of a large exported model with its weights shared (so the file stays small).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { writeOnnx } from '../src/formats/onnx/index.js';
import { float, ModelBuilder } from '../src/ir/build.js';
import type { Value } from '../src/ir/graph.js';
import { Tensor } from '../src/ir/tensor.js';

/** Writes `bytes` of seeded pseudo-random float32 values (in [-0.05, 0.05)) to `path`, in chunks. */
export function writeBlob(path: string, bytes: number): void {
  const CHUNK = 16 << 20;
  const buf = new Float32Array(CHUNK / 4);
  const out = new Uint8Array(buf.buffer);
  let s = 0x2545f491;
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < bytes; ) {
      for (let i = 0; i < buf.length; i++) {
        s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
        buf[i] = ((s >>> 0) / 4294967296 - 0.5) * 0.1;
      }
      const n = Math.min(CHUNK, bytes - done);
      for (let off = 0; off < n; ) off += writeSync(fd, out, off, n - off);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

export interface WeightModelSpec {
  /** Total weight bytes wanted (approximately). */
  readonly weightBytes: number;
  /** The blob weights are taken from; it must hold at least `blobBytes`. */
  readonly blob: string;
  readonly blobBytes: number;
  /** Put tensors of at least 1 KiB in this data file beside the model. */
  readonly externalData?: string;
}

/** Hidden size per target weight size: a few to a few dozen layers each. */
function hiddenFor(bytes: number): number {
  if (bytes < 50e6) return 256;
  if (bytes < 5e9) return 1024;
  return 2048;
}

/**
 * A decoder-only transformer stack (pre-norm attention and MLP blocks) with weights of
 * about `weightBytes`: 12·d² floats per layer. Returns the number of nodes.
 */
export function writeWeightModel(path: string, spec: WeightModelSpec): { nodes: number; weightBytes: number } {
  const d = hiddenFor(spec.weightBytes);
  const heads = d / 64;
  const layers = Math.max(1, Math.round(spec.weightBytes / (48 * d * d)));
  const b = new ModelBuilder({ opset: 17, name: 'bench_transformer' });
  let blobAt = 0;
  let total = 0;
  /** A [rows, cols] float32 weight taken from the blob (wrapping around), never loaded. */
  const weight = (name: string, rows: number, cols: number): Value => {
    const length = rows * cols * 4;
    if (length > spec.blobBytes) throw new Error(`blob of ${spec.blobBytes} bytes is smaller than weight ${name}`);
    if (blobAt + length > spec.blobBytes) blobAt = 0;
    const t = Tensor.fromFile('float32', [rows, cols], spec.blob, blobAt, length);
    blobAt += length + 4096; // shift so that no two consecutive weights share bytes
    total += length;
    return b.graph.addInitializer(name, t, { kind: 'tensor', dtype: 'float32', shape: [rows, cols] });
  };
  const vec = (name: string, n: number, value: number): Value => b.constant(name, 'float32', [n], new Array(n).fill(value));
  const shape = (name: string, dims: number[]): Value => b.constant(name, 'int64', [dims.length], dims);

  let x = b.input('tokens', 'float32', ['batch', 'seq', d]);
  const splitHeads = shape('split_heads', [0, 0, heads, 64]);
  const mergeHeads = shape('merge_heads', [0, 0, d]);
  const scale = b.constant('attn_scale', 'float32', [], [1 / 8]);
  for (let l = 0; l < layers; l++) {
    const p = `layer${l}`;
    const ln1 = b.op('LayerNormalization', [x, vec(`${p}.ln1.scale`, d, 1), vec(`${p}.ln1.bias`, d, 0)], { axis: -1, epsilon: float(1e-5) });
    const proj = (n: string): Value => {
      const y = b.op('MatMul', [ln1, weight(`${p}.attn.${n}`, d, d)]);
      const r = b.op('Reshape', [y, splitHeads]);
      return b.op('Transpose', [r], { perm: [0, 2, 1, 3] });
    };
    const q = proj('q');
    const k = b.op('Transpose', [proj('k')], { perm: [0, 1, 3, 2] });
    const v = proj('v');
    const scores = b.op('Mul', [b.op('MatMul', [q, k]), scale]);
    const probs = b.op('Softmax', [scores], { axis: -1 });
    const ctx = b.op('Transpose', [b.op('MatMul', [probs, v])], { perm: [0, 2, 1, 3] });
    const merged = b.op('Reshape', [ctx, mergeHeads]);
    const attn = b.op('MatMul', [merged, weight(`${p}.attn.o`, d, d)]);
    x = b.op('Add', [x, attn]);
    const ln2 = b.op('LayerNormalization', [x, vec(`${p}.ln2.scale`, d, 1), vec(`${p}.ln2.bias`, d, 0)], { axis: -1, epsilon: float(1e-5) });
    const up = b.op('MatMul', [ln2, weight(`${p}.mlp.up`, d, 4 * d)]);
    const act = b.op('Gelu', [up], {}, { domain: 'com.microsoft' });
    const down = b.op('MatMul', [act, weight(`${p}.mlp.down`, 4 * d, d)]);
    x = b.op('Add', [x, down]);
  }
  b.output(x, 'float32', ['batch', 'seq', d]);
  b.model.opsets.set('com.microsoft', 1);
  writeOnnx(b.model, path, spec.externalData ? { externalData: { location: spec.externalData, minBytes: 1024 } } : {});
  return { nodes: b.graph.nodes.length, weightBytes: total };
}

/**
 * A graph of `nodes` nodes (rounded to whole blocks of 16): repeated blocks of MatMul,
 * bias Add, Relu, Reshape/Transpose, Slice, Concat, Softmax, ReduceMean, a written-out
 * sigmoid-gated unit and a residual Add, with per-block constants. Weights are shared
 * by all blocks, so a million nodes make a file of tens of megabytes, not gigabytes.
 */
export function writeSyntheticGraph(path: string, nodes: number): { nodes: number } {
  const BLOCK = 16;
  const blocks = Math.max(1, Math.round(nodes / BLOCK));
  const D = 64;
  const b = new ModelBuilder({ opset: 17, name: 'bench_synthetic' });
  let x = b.input('x', 'float32', ['batch', 128, D]);
  const w = b.constant('shared_w', 'float32', [D, D], new Array(D * D).fill(0).map((_, i) => ((i * 7919) % 97) / 970 - 0.05));
  const toHeads = b.constant('to_heads', 'int64', [4], [0, 128, 4, 16]);
  const back = b.constant('back', 'int64', [3], [0, 128, D]);
  const axes = b.constant('axis_last', 'int64', [1], [-1]);
  for (let i = 0; i < blocks; i++) {
    const p = `b${i}`;
    const bias = b.constant(`${p}.bias`, 'float32', [D], new Array(D).fill(i % 13 / 100));
    const starts = b.constant(`${p}.starts`, 'int64', [1], [0]);
    const ends = b.constant(`${p}.ends`, 'int64', [1], [D / 2]);
    const mm = b.op('MatMul', [x, w]);
    const h = b.op('Relu', [b.op('Add', [mm, bias])]);
    const heads = b.op('Transpose', [b.op('Reshape', [h, toHeads])], { perm: [0, 2, 1, 3] });
    const flat = b.op('Reshape', [b.op('Transpose', [heads], { perm: [0, 2, 1, 3] }), back]);
    const left = b.op('Slice', [flat, starts, ends, axes]);
    const right = b.op('Slice', [flat, ends, b.constant(`${p}.end2`, 'int64', [1], [D]), axes]);
    const cat = b.op('Concat', [right, left], { axis: -1 });
    const soft = b.op('Softmax', [cat], { axis: -1 });
    const mean = b.op('ReduceMean', [soft], { axes: [-1], keepdims: 1 });
    const centred = b.op('Sub', [soft, mean]);
    const gate = b.op('Sigmoid', [centred]);
    x = b.op('Add', [x, b.op('Mul', [centred, gate])]);
  }
  b.output(x, 'float32', ['batch', 128, D]);
  writeOnnx(b.model, path);
  return { nodes: b.graph.nodes.length };
}
