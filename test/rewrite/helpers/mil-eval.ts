import { constantNumbers, constantTensor } from '../../../src/analysis/constants.js';
import type { Graph, Node, Value } from '../../../src/ir/graph.js';

/**
 * A small float32 evaluator for the ML Program ops the rewrites touch and the models around
 * them use (vit_tiny_random, mobilenet_v3_small's head, the synthetic fan-outs), so ML Program
 * rewrites are checked numerically without Core ML. Float16 constants are computed in float32.
 * It evaluates what `wanted` needs, from `feeds` (any values, graph inputs or not).
 */
export interface T {
  readonly dims: number[];
  readonly data: Float32Array;
}

const count = (d: readonly number[]): number => d.reduce((a, b) => a * b, 1);

function strides(d: readonly number[]): number[] {
  const s = new Array<number>(d.length).fill(1);
  for (let i = d.length - 2; i >= 0; i--) s[i] = s[i + 1]! * d[i + 1]!;
  return s;
}

function index(coord: readonly number[], s: readonly number[]): number {
  let k = 0;
  for (let i = 0; i < coord.length; i++) k += coord[i]! * s[i]!;
  return k;
}

/** Calls f with each coordinate of `dims` (row-major) and its flat index. */
function each(dims: readonly number[], f: (c: number[], i: number) => void): void {
  const n = count(dims);
  const c = new Array<number>(dims.length).fill(0);
  for (let i = 0; i < n; i++) {
    f(c, i);
    for (let k = dims.length - 1; k >= 0; k--) {
      if (++c[k]! < dims[k]!) break;
      c[k] = 0;
    }
  }
}

function make(dims: readonly number[], data?: Float32Array): T {
  return { dims: [...dims], data: data ?? new Float32Array(count(dims)) };
}

function broadcast(a: T, b: T, f: (x: number, y: number) => number): T {
  const r = Math.max(a.dims.length, b.dims.length);
  const ad = [...new Array(r - a.dims.length).fill(1), ...a.dims];
  const bd = [...new Array(r - b.dims.length).fill(1), ...b.dims];
  const dims = ad.map((d, i) => Math.max(d, bd[i]!));
  const as = strides(ad);
  const bs = strides(bd);
  const out = make(dims);
  each(dims, (c, i) => {
    let ia = 0;
    let ib = 0;
    for (let k = 0; k < r; k++) {
      if (ad[k] !== 1) ia += c[k]! * as[k]!;
      if (bd[k] !== 1) ib += c[k]! * bs[k]!;
    }
    out.data[i] = f(a.data[ia]!, b.data[ib]!);
  });
  return out;
}

function transpose(x: T, perm: readonly number[]): T {
  const dims = perm.map((p) => x.dims[p]!);
  const s = strides(x.dims);
  const out = make(dims);
  each(dims, (c, i) => {
    let k = 0;
    for (let j = 0; j < perm.length; j++) k += c[j]! * s[perm[j]!]!;
    out.data[i] = x.data[k]!;
  });
  return out;
}

function norm(a: number, r: number): number {
  return a < 0 ? a + r : a;
}

export class MilEvaluator {
  private readonly values = new Map<Value, T>();

  constructor(private readonly graph: Graph) {}

  feed(v: Value, t: T): this {
    this.values.set(v, t);
    return this;
  }

  value(v: Value): T {
    const known = this.values.get(v);
    if (known) return known;
    const c = constantTensor(v);
    if (c) {
      const nums = c.dtype === 'string' ? [] : c.numbers(Number.MAX_SAFE_INTEGER) ?? [];
      const t = make(c.dtype === 'string' ? [0] : c.dims, Float32Array.from(nums));
      this.values.set(v, t);
      return t;
    }
    const p = v.producer;
    if (!p) throw new Error(`no value for ${v.name}`);
    const outs = this.run(p);
    p.outputs.forEach((o, i) => this.values.set(o, outs[i]!));
    return this.values.get(v)!;
  }

  private arg(n: Node, name: string): Value | undefined {
    const i = n.inputNames?.indexOf(name) ?? -1;
    return i >= 0 ? n.inputs[i] ?? undefined : undefined;
  }

  private nums(n: Node, name: string): number[] | undefined {
    const v = this.arg(n, name);
    return v ? constantNumbers(v, 1 << 20) : undefined;
  }

  private str(n: Node, name: string): string | undefined {
    const v = this.arg(n, name);
    const t = v ? constantTensor(v) : undefined;
    return t && t.dtype === 'string' ? new TextDecoder().decode(t.bytes()) : undefined;
  }

  private x(n: Node, name = 'x'): T {
    const v = this.arg(n, name);
    if (!v) throw new Error(`${n.label}: no ${name}`);
    return this.value(v);
  }

  private run(n: Node): T[] {
    switch (n.op) {
      case 'add': return [broadcast(this.x(n), this.x(n, 'y'), (a, b) => a + b)];
      case 'sub': return [broadcast(this.x(n), this.x(n, 'y'), (a, b) => a - b)];
      case 'mul': return [broadcast(this.x(n), this.x(n, 'y'), (a, b) => a * b)];
      case 'real_div': return [broadcast(this.x(n), this.x(n, 'y'), (a, b) => a / b)];
      case 'relu': return [map(this.x(n), (a) => Math.max(0, a))];
      case 'tanh': return [map(this.x(n), Math.tanh)];
      case 'thresholded_relu': {
        const alpha = this.nums(n, 'alpha')?.[0] ?? 1;
        return [map(this.x(n), (a) => (a > alpha ? a : 0))];
      }
      case 'sigmoid_hard': {
        const alpha = this.nums(n, 'alpha')?.[0] ?? 0.2;
        const beta = this.nums(n, 'beta')?.[0] ?? 0.5;
        return [map(this.x(n), (a) => Math.min(1, Math.max(0, alpha * a + beta)))];
      }
      case 'gelu': {
        const mode = this.str(n, 'mode') ?? 'EXACT';
        const k = Math.sqrt(2 / Math.PI);
        return [map(this.x(n), mode === 'TANH_APPROXIMATION' ? (a) => 0.5 * a * (1 + Math.tanh(k * (a + 0.044715 * a ** 3))) : (a) => 0.5 * a * (1 + erf(a / Math.SQRT2)))];
      }
      case 'reshape': {
        const x = this.x(n);
        const shape = this.nums(n, 'shape')!;
        const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
        return [make(shape.map((d) => (d === -1 ? x.data.length / known : d)), x.data)];
      }
      case 'transpose': {
        const x = this.x(n);
        return [transpose(x, this.nums(n, 'perm')!.map((p) => norm(p, x.dims.length)))];
      }
      case 'expand_dims': {
        const x = this.x(n);
        const axes = this.nums(n, 'axes')!;
        const r = x.dims.length + axes.length;
        const at = new Set(axes.map((a) => norm(a, r)));
        const dims: number[] = [];
        let k = 0;
        for (let i = 0; i < r; i++) dims.push(at.has(i) ? 1 : x.dims[k++]!);
        return [make(dims, x.data)];
      }
      case 'squeeze': {
        const x = this.x(n);
        const axes = this.nums(n, 'axes') ?? x.dims.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
        const at = new Set(axes.map((a) => norm(a, x.dims.length)));
        return [make(x.dims.filter((_, i) => !at.has(i)), x.data)];
      }
      case 'linear': {
        const x = this.x(n);
        const w = this.x(n, 'weight');
        const bias = this.arg(n, 'bias') ? this.x(n, 'bias') : undefined;
        const [out, inn] = [w.dims[0]!, w.dims[1]!];
        const rows = x.data.length / inn;
        const y = make([...x.dims.slice(0, -1), out]);
        for (let r = 0; r < rows; r++) {
          for (let o = 0; o < out; o++) {
            let acc = bias ? bias.data[o]! : 0;
            for (let i = 0; i < inn; i++) acc += x.data[r * inn + i]! * w.data[o * inn + i]!;
            y.data[r * out + o] = acc;
          }
        }
        return [y];
      }
      case 'matmul': {
        let a = this.x(n);
        let b = this.x(n, 'y');
        if (this.nums(n, 'transpose_x')?.[0]) a = swapLast(a);
        if (this.nums(n, 'transpose_y')?.[0]) b = swapLast(b);
        return [matmul(a, b)];
      }
      case 'conv': return [this.conv(n)];
      case 'concat': {
        const xs = n.inputs.filter((_, i) => n.inputNames![i] === 'values').map((v) => this.value(v!));
        return [concat(xs, norm(this.nums(n, 'axis')![0]!, xs[0]!.dims.length))];
      }
      case 'stack': {
        const xs = n.inputs.filter((_, i) => n.inputNames![i] === 'values').map((v) => this.value(v!));
        const axis = norm(this.nums(n, 'axis')![0]!, xs[0]!.dims.length + 1);
        const lifted = xs.map((x) => make([...x.dims.slice(0, axis), 1, ...x.dims.slice(axis)], x.data));
        return [concat(lifted, axis)];
      }
      case 'slice_by_index': return [this.slice(n)];
      case 'softmax': {
        const x = this.x(n);
        const axis = norm(this.nums(n, 'axis')?.[0] ?? -1, x.dims.length);
        return [reduceApply(x, axis, (v) => {
          const m = Math.max(...v);
          const e = v.map((a) => Math.exp(a - m));
          const s = e.reduce((p, q) => p + q, 0);
          return e.map((a) => a / s);
        })];
      }
      case 'layer_norm': {
        const x = this.x(n);
        const axes = (this.nums(n, 'axes') ?? [-1]).map((a) => norm(a, x.dims.length));
        if (axes.length !== 1 || axes[0] !== x.dims.length - 1) throw new Error('layer_norm: last axis only');
        const eps = this.nums(n, 'epsilon')?.[0] ?? 1e-5;
        const gamma = this.arg(n, 'gamma') ? this.x(n, 'gamma') : undefined;
        const beta = this.arg(n, 'beta') ? this.x(n, 'beta') : undefined;
        return [reduceApply(x, axes[0]!, (v) => {
          const mean = v.reduce((p, q) => p + q, 0) / v.length;
          const vr = v.reduce((p, q) => p + (q - mean) ** 2, 0) / v.length;
          return v.map((a, i) => ((a - mean) / Math.sqrt(vr + eps)) * (gamma?.data[i] ?? 1) + (beta?.data[i] ?? 0));
        })];
      }
      case 'reduce_mean': {
        const x = this.x(n);
        const axes = this.nums(n, 'axes')!.map((a) => norm(a, x.dims.length));
        const keep = !!this.nums(n, 'keep_dims')?.[0];
        const dims = x.dims.map((d, i) => (axes.includes(i) ? 1 : d));
        const out = make(dims);
        const os = strides(dims);
        const per = axes.reduce((p, a) => p * x.dims[a]!, 1);
        each(x.dims, (c, i) => {
          out.data[index(c.map((v, k) => (axes.includes(k) ? 0 : v)), os)]! += x.data[i]! / per;
        });
        return [keep ? out : make(dims.filter((_, i) => !axes.includes(i)), out.data)];
      }
      case 'split': {
        const x = this.x(n);
        const axis = norm(this.nums(n, 'axis')![0]!, x.dims.length);
        const sizes = this.nums(n, 'split_sizes') ?? new Array(n.outputs.length).fill(x.dims[axis]! / n.outputs.length);
        const outs: T[] = [];
        let at = 0;
        for (const s of sizes) {
          outs.push(sliceAxis(x, axis, at, at + s, 1));
          at += s;
        }
        return outs;
      }
      case 'pad': {
        const x = this.x(n);
        const pad = this.nums(n, 'pad')!;
        const mode = this.str(n, 'mode') ?? 'constant';
        const fill = this.nums(n, 'constant_val')?.[0] ?? 0;
        const r = x.dims.length;
        const k = pad.length / 2;
        const before = x.dims.map((_, i) => (i >= r - k ? pad[2 * (i - (r - k))]! : 0));
        const dims = x.dims.map((d, i) => (i >= r - k ? d + pad[2 * (i - (r - k))]! + pad[2 * (i - (r - k)) + 1]! : d));
        const out = make(dims);
        const s = strides(x.dims);
        each(dims, (c, i) => {
          let inside = true;
          const src = c.map((v, j) => {
            let q = v - before[j]!;
            const d = x.dims[j]!;
            if (q < 0 || q >= d) {
              if (mode === 'reflect') q = q < 0 ? -q : 2 * (d - 1) - q;
              else if (mode === 'replicate') q = q < 0 ? 0 : d - 1;
              else inside = false;
            }
            return q;
          });
          out.data[i] = inside ? x.data[index(src, s)]! : fill;
        });
        return [out];
      }
      default:
        throw new Error(`mil-eval: ${n.op} is not evaluated`);
    }
  }

  private conv(n: Node): T {
    const x = this.x(n);
    const w = this.x(n, 'weight');
    const bias = this.arg(n, 'bias') ? this.x(n, 'bias') : undefined;
    const k = w.dims.length - 2;
    if (k < 1 || k > 2) throw new Error('conv: 1-D and 2-D only');
    const st = this.nums(n, 'strides') ?? new Array(k).fill(1);
    const dil = this.nums(n, 'dilations') ?? new Array(k).fill(1);
    const groups = this.nums(n, 'groups')?.[0] ?? 1;
    const padType = this.str(n, 'pad_type') ?? 'valid';
    if (padType === 'same') throw new Error('conv: same padding not evaluated');
    const pad = padType === 'custom' ? this.nums(n, 'pad')! : new Array(2 * k).fill(0);
    // As 2-D: a 1-D convolution is one with height 1.
    const [N, C] = [x.dims[0]!, x.dims[1]!];
    const [H, W] = k === 2 ? [x.dims[2]!, x.dims[3]!] : [1, x.dims[2]!];
    const [O, CG] = [w.dims[0]!, w.dims[1]!];
    const [KH, KW] = k === 2 ? [w.dims[2]!, w.dims[3]!] : [1, w.dims[2]!];
    const [SH, SW] = k === 2 ? [st[0]!, st[1]!] : [1, st[0]!];
    const [DH, DW] = k === 2 ? [dil[0]!, dil[1]!] : [1, dil[0]!];
    const [PT, PL] = k === 2 ? [pad[0]!, pad[2]!] : [0, pad[0]!];
    const [PB, PR] = k === 2 ? [pad[1]!, pad[3]!] : [0, pad[1]!];
    const OH = Math.floor((H + PT + PB - DH * (KH - 1) - 1) / SH) + 1;
    const OW = Math.floor((W + PL + PR - DW * (KW - 1) - 1) / SW) + 1;
    const OG = O / groups;
    const out = make(k === 2 ? [N, O, OH, OW] : [N, O, OW]);
    const xd = x.data;
    const wd = w.data;
    for (let b = 0; b < N; b++) {
      for (let o = 0; o < O; o++) {
        const g = Math.floor(o / OG);
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            let acc = bias ? bias.data[o]! : 0;
            for (let c = 0; c < CG; c++) {
              const ci = g * CG + c;
              for (let kh = 0; kh < KH; kh++) {
                const ih = oh * SH - PT + kh * DH;
                if (ih < 0 || ih >= H) continue;
                const xrow = ((b * C + ci) * H + ih) * W;
                const wrow = ((o * CG + c) * KH + kh) * KW;
                for (let kw = 0; kw < KW; kw++) {
                  const iw = ow * SW - PL + kw * DW;
                  if (iw < 0 || iw >= W) continue;
                  acc += xd[xrow + iw]! * wd[wrow + kw]!;
                }
              }
            }
            out.data[((b * O + o) * OH + oh) * OW + ow] = acc;
          }
        }
      }
    }
    void C;
    return out;
  }

  private slice(n: Node): T {
    let x = this.x(n);
    const r = x.dims.length;
    const begin = this.nums(n, 'begin')!;
    const end = this.nums(n, 'end')!;
    const stride = this.nums(n, 'stride') ?? new Array(r).fill(1);
    const bm = this.nums(n, 'begin_mask') ?? new Array(r).fill(0);
    const em = this.nums(n, 'end_mask') ?? new Array(r).fill(0);
    const sq = this.nums(n, 'squeeze_mask') ?? new Array(r).fill(0);
    for (let a = 0; a < r; a++) {
      const d = x.dims[a]!;
      const st = stride[a]!;
      let b = bm[a] ? (st > 0 ? 0 : d - 1) : begin[a]!;
      let e: number | null = em[a] ? null : end[a]!;
      if (b < 0) b += d;
      if (e !== null && e < 0) e += d;
      x = sliceAxis(x, a, b, e, st);
    }
    const dims = x.dims.filter((_, i) => !sq[i]);
    return make(dims, x.data);
  }

  /** Outputs of the graph given its inputs. */
  outputs(): T[] {
    return this.graph.outputs.map((v) => this.value(v));
  }
}

function map(x: T, f: (a: number) => number): T {
  return make(x.dims, x.data.map(f));
}

function swapLast(x: T): T {
  const r = x.dims.length;
  const perm = [...Array(r).keys()];
  [perm[r - 1], perm[r - 2]] = [perm[r - 2]!, perm[r - 1]!];
  return transpose(x, perm);
}

function matmul(a: T, b: T): T {
  const [m, k] = [a.dims[a.dims.length - 2]!, a.dims[a.dims.length - 1]!];
  const nn = b.dims[b.dims.length - 1]!;
  const batchA = a.dims.slice(0, -2);
  const batchB = b.dims.slice(0, -2);
  const batch = batchA.length >= batchB.length ? batchA : batchB;
  const nb = count(batch);
  const out = make([...batch, m, nn]);
  const ca = count(batchA) === nb ? m * k : 0;
  const cb = count(batchB) === nb ? k * nn : 0;
  for (let t = 0; t < nb; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < nn; j++) {
        let acc = 0;
        for (let q = 0; q < k; q++) acc += a.data[t * ca + i * k + q]! * b.data[t * cb + q * nn + j]!;
        out.data[t * m * nn + i * nn + j] = acc;
      }
    }
  }
  return out;
}

function concat(xs: readonly T[], axis: number): T {
  const dims = [...xs[0]!.dims];
  dims[axis] = xs.reduce((s, x) => s + x.dims[axis]!, 0);
  const out = make(dims);
  const os = strides(dims);
  let at = 0;
  for (const x of xs) {
    each(x.dims, (c, i) => {
      const cc = [...c];
      cc[axis]! += at;
      out.data[index(cc, os)] = x.data[i]!;
    });
    at += x.dims[axis]!;
  }
  return out;
}

function sliceAxis(x: T, axis: number, begin: number, end: number | null, step: number): T {
  const d = x.dims[axis]!;
  const idx: number[] = [];
  if (step > 0) for (let i = Math.max(0, Math.min(begin, d)); i < Math.min(end ?? d, d); i += step) idx.push(i);
  else for (let i = Math.min(begin, d - 1); i > Math.max(end ?? -1, -1); i += step) idx.push(i);
  const dims = [...x.dims];
  dims[axis] = idx.length;
  const out = make(dims);
  const s = strides(x.dims);
  each(dims, (c, i) => {
    const cc = [...c];
    cc[axis] = idx[c[axis]!]!;
    out.data[i] = x.data[index(cc, s)]!;
  });
  return out;
}

function reduceApply(x: T, axis: number, f: (v: number[]) => number[]): T {
  const out = make(x.dims);
  const s = strides(x.dims);
  const outer = x.dims.map((d, i) => (i === axis ? 1 : d));
  each(outer, (c) => {
    const v: number[] = [];
    for (let k = 0; k < x.dims[axis]!; k++) {
      const cc = [...c];
      cc[axis] = k;
      v.push(x.data[index(cc, s)]!);
    }
    f(v).forEach((y, k) => {
      const cc = [...c];
      cc[axis] = k;
      out.data[index(cc, s)] = y;
    });
  });
  return out;
}

/** erf (Abramowitz–Stegun 7.1.26 is too coarse here: a series/continued fraction to ~1e-12). */
function erf(x: number): number {
  const t = Math.abs(x);
  if (t < 3) {
    let sum = t;
    let term = t;
    for (let n = 1; n < 80; n++) {
      term *= (-t * t) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc asymptotic continued fraction for large |x|
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (t + f);
  return Math.sign(x) * (1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f));
}

/** Seeded uniform [-1, 1) numbers. */
export function randomTensor(dims: readonly number[], seed: number): T {
  let s = seed >>> 0;
  const data = new Float32Array(count(dims));
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 4294967296) * 2 - 1;
  }
  return make(dims, data);
}

export function maxDiff(a: T, b: T): { abs: number; rel: number } {
  if (a.dims.join(',') !== b.dims.join(',')) throw new Error(`shapes differ: [${a.dims}] vs [${b.dims}]`);
  let abs = 0;
  let scale = 0;
  for (let i = 0; i < a.data.length; i++) {
    abs = Math.max(abs, Math.abs(a.data[i]! - b.data[i]!));
    scale = Math.max(scale, Math.abs(a.data[i]!));
  }
  return { abs, rel: scale === 0 ? abs : abs / scale };
}
