import { sliceParams, type SliceAxis } from '../../analysis/slice-params.js';
import type { Finding } from '../../engine/rule.js';
import type { Node, Value } from '../../ir/graph.js';
import type { Dim } from '../../ir/shape.js';
import type { PatchBuilder } from '../builder.js';
import type { ValueRef } from '../patch.js';
import { rewriteBlocker } from '../support.js';
import { oneHotKernel, tensorOf } from '../tensors.js';

/** The parts of rules/slice-fan-out.ts SliceFanOutData the fix reads. */
type Pattern =
  | { readonly kind: 'framing'; readonly axis: number; readonly start: number; readonly size: number; readonly hop: number; readonly count: number }
  | { readonly kind: 'interleave'; readonly axis: number; readonly step: number; readonly phases: readonly number[]; readonly count: number }
  | { readonly kind: 'space-to-depth'; readonly axes: readonly [number, number]; readonly block: readonly [number, number]; readonly phases: ReadonlyArray<readonly [number, number]>; readonly count: number };

interface Data {
  readonly slices: ReadonlyArray<{ readonly node: string; readonly then?: string; readonly axes: readonly SliceAxis[] }>;
  readonly pattern: Pattern | null;
  readonly distinctWindows: number;
  readonly join: { readonly node: string; readonly op: string; readonly axis: number | null; readonly order: readonly number[]; readonly unsqueeze?: number } | null;
}

/** Convolution inputs above this size are refused on the Neural Engine and by ONNX Runtime's Core ML provider (A8, E4). */
const CONV_DIM_LIMIT = 16384;

interface Slice {
  readonly first: Node;
  readonly second: Node | undefined;
  readonly out: Value;
  /** The Unsqueeze between the slice and the join, when the join is a written-out stack. */
  readonly lift: Node | undefined;
}

/**
 * slice-fan-out: N regular slices of one tensor joined by one concat (or stack) become one
 * strided convolution whose kernel is one-hot, so each output element copies exactly one
 * input element (S4), plus the reshape/transpose back to the joined layout:
 *
 *   framing (windows of `size` every `hop`): Conv1D, kernel = size, stride = hop, one output
 *     channel per position in the window; over 16384 samples (A8, E4) the signal is folded
 *     into rows of `hop` and a 2-D kernel ⌈size/hop⌉ × hop with stride 1 × hop does the same;
 *   back-to-back chunks (hop = size): a reshape, no convolution;
 *   interleave (every `step`-th element at several phases): kernel = stride = step;
 *   space-to-depth (Focus): a 2-D kernel = stride = block; when the join is on the channel
 *     axis of an NCHW tensor, one convolution [k·C, C, b, b] straight on the input.
 *
 * Repeated windows without a pattern are deduplicated instead: one slice per window, shared.
 */
export function fixSliceFanOut(f: Finding, b: PatchBuilder): string {
  const d = f.data as Data;
  b.at(f.nodes[0]!);
  const blocked = rewriteBlocker(f.nodes[0]!);
  if (blocked) b.decline(blocked);
  const slices = d.slices.map((s) => resolve(f, s.node, s.then, b));
  if (!d.pattern) return dedupe(f, slices, b);
  if (!d.join) b.decline('the slices are not joined by a single concat');
  for (const s of slices) {
    for (const n of [s.first, s.second]) {
      const r = n ? sliceParams(n) : undefined;
      if (r && (!r.ok || r.params.squeezed.length > 0)) b.decline(`${n!.label} squeezes an axis`);
    }
  }
  const first = sliceParams(slices[0]!.first);
  if (!first.ok) return b.decline(first.reason);
  const x = first.params.data;
  const xt = b.typeOf(x);
  if (!xt?.shape) b.decline('the rank of the sliced tensor is not known');
  const join = joinNode(slices, b);
  const lifted = slices[0]!.lift !== undefined;
  const rank = xt.shape.length;
  // The join as a stack (new axis) or a concat, on an axis of the slices' own rank.
  const stack = lifted || join.kind === 'stack';
  const axis = normalize(d.join.axis ?? 0, stack ? rank + 1 : rank);
  if (lifted && normalize(d.join.unsqueeze!, rank + 1) !== axis) b.decline('each slice is unsqueezed on another axis than the concat joins');

  const plan = core(b, x, xt.shape, d.pattern, d.join.order, d, rank);
  const y = arrange(b, plan, rank, stack, axis, d.pattern, `${x.name}_fanout`);
  b.replace(join.outputs[0]!, y);
  b.remove(join);
  for (const s of slices) {
    b.remove(s.first);
    if (s.second) b.remove(s.second);
    if (s.lift) b.remove(s.lift);
  }
  const what = d.pattern.kind === 'framing' && d.pattern.hop === d.pattern.size ? 'one reshape' : plan.folded ? 'one convolution (folded into rows of the hop)' : 'one strided convolution with a one-hot kernel';
  return `${slices.length} slices${lifted ? ', their unsqueezes' : ''} and ${join.label} (${join.op}) → ${what}`;
}

function resolve(f: Finding, path: string, then: string | undefined, b: PatchBuilder): Slice {
  const first = f.nodes.find((n) => n.path === path);
  const second = then ? f.nodes.find((n) => n.path === then) : undefined;
  if (!first || (then && !second)) b.decline('the finding no longer matches the graph');
  const out = (second ?? first).outputs[0]!;
  const only = out.uses.length === 1 && !out.isGraphOutput ? out.uses[0]!.node : undefined;
  const lift = only && only.kind === 'expand_dims' ? only : undefined;
  return { first, second, out, lift };
}

function joinNode(slices: readonly Slice[], b: PatchBuilder): Node {
  const v = slices[0]!.lift?.outputs[0] ?? slices[0]!.out;
  const join = v.uses[0]?.node;
  if (!join || (join.kind !== 'concat' && join.kind !== 'stack')) return b.decline('the join is gone');
  return join;
}

function normalize(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Repeated windows: every slice path that repeats an earlier one is replaced by it. */
function dedupe(f: Finding, slices: readonly Slice[], b: PatchBuilder): string {
  const kept = new Map<string, Slice>();
  let merged = 0;
  for (const s of slices) {
    const key = signature(s, b);
    const same = kept.get(key);
    if (!same) {
      kept.set(key, s);
      continue;
    }
    if (s.out.isGraphOutput) b.decline(`${s.out.name} is a graph output`);
    b.replace(s.out, same.out);
    if (s.second) b.remove(s.second);
    if (s.second && s.first.outputs[0]!.uses.length > 1) continue; // its first level is shared with another path
    b.remove(s.first);
    merged++;
  }
  if (merged === 0) b.decline('no slice repeats another');
  return `${slices.length} slices → ${kept.size} (one per distinct window, shared)`;
}

/** What a slice path computes, for telling repeats apart: op, parameters and masks of each level. */
function signature(s: Slice, b: PatchBuilder): string {
  const part = (n: Node | undefined): string => {
    if (!n) return '';
    const r = sliceParams(n);
    if (!r.ok) b.decline(r.reason);
    return `${n.op}:${JSON.stringify(r.params.axes)}:${r.params.squeezed.join(',')}`;
  };
  return `${part(s.first)}|${part(s.second)}`;
}

/** The convolution (or reshape) result and the meaning of each of its axes. */
interface Plan {
  readonly value: ValueRef;
  /** Per axis: 'o<k>' = the k-th axis of the input not sliced; 'S' = which slice; 'W', 'W1', 'W2' = within a slice. */
  readonly labels: readonly string[];
  /** Sizes of the labelled axes (numbers where known). */
  readonly dims: ReadonlyMap<string, Dim>;
  readonly folded: boolean;
}

function core(b: PatchBuilder, x: Value, shape: readonly Dim[], p: Pattern, order: readonly number[], d: Data, rank: number): Plan {
  const sliced = p.kind === 'space-to-depth' ? [...p.axes] : [p.axis];
  const others = [...Array(rank).keys()].filter((a) => !sliced.includes(a));
  const otherLabels = others.map((_, k) => `o${k}`);
  const dims = new Map<string, Dim>(others.map((a, k) => [`o${k}`, shape[a] ?? null]));
  const dtype = b.typeOf(x)!.dtype;
  const name = `${x.name}_fanout`;
  for (const a of sliced) if (typeof shape[a] !== 'number') b.decline(`axis ${a} of the sliced tensor has no fixed size`);

  // Space-to-depth joined on the channels of an NCHW tensor: one convolution, straight on the input.
  if (p.kind === 'space-to-depth' && rank === 4 && p.axes[0] === 2 && p.axes[1] === 3 && d.join!.axis !== null
    && normalize(d.join!.axis, 4) === 1 && d.join!.unsqueeze === undefined && typeof shape[1] === 'number') {
    const [bh, bw] = p.block;
    const [h, w] = [shape[2] as number, shape[3] as number];
    if (h % bh !== 0 || w % bw !== 0) b.decline(`the ${h}×${w} input does not divide into ${bh}×${bw} blocks`);
    const c = shape[1];
    const ones: number[][] = [];
    for (const s of order) for (let ch = 0; ch < c; ch++) ones.push([ch, ...p.phases[s]!]);
    const kernel = b.constant(`${name}_kernel`, oneHotKernel(dtype, [order.length * c, c, bh, bw], ones));
    const y = b.conv(x, kernel, null, { strides: [bh, bw], pads: [0, 0, 0, 0], dilations: [1, 1], groups: 1 }, `${name}_conv`);
    return { value: y, labels: ['direct'], dims: new Map(), folded: false };
  }

  // Other axes first, the sliced ones last, flattened to [P, (1,) ...sliced].
  let v: ValueRef = x;
  const moved = [...others, ...sliced];
  if (moved.some((a, i) => a !== i)) v = b.transpose(v, moved, `${name}_moved`);
  const slicedDims = sliced.map((a) => shape[a] as number);
  if (others.length !== 1) v = b.reshape(v, [-1, ...slicedDims], `${name}_flat`);

  if (p.kind === 'framing') {
    const { start, size, hop, count } = p;
    if (!isInOrder(order)) b.decline('the join takes the frames out of order');
    const length = slicedDims[0]!;
    const span = (count - 1) * hop + size;
    if (hop === size) {
      if (start !== 0 || span !== length) v = b.slice(v, [{ axis: 1, start, end: start + span, step: 1 }], `${name}_span`);
      const target = unflatten(b, others.map((_, k) => dims.get(`o${k}`)!), [count, size]);
      v = b.reshape(v, target, `${name}_chunks`);
      dims.set('S', count).set('W', size);
      return { value: v, labels: [...otherLabels, 'S', 'W'], dims, folded: false };
    }
    const window = Array.from({ length: size }, (_, k) => [0, k]);
    let folded = false;
    if (span <= CONV_DIM_LIMIT) {
      if (start !== 0 || span !== length) v = b.slice(v, [{ axis: 1, start, end: start + span, step: 1 }], `${name}_span`);
      v = b.expandDims(v, [1], `${name}_channel`);
      const kernel = b.constant(`${name}_kernel`, oneHotKernel(dtype, [size, 1, size], window));
      v = b.conv(v, kernel, null, { strides: [hop], pads: [0, 0], dilations: [1], groups: 1 }, `${name}_conv`);
    } else {
      // Folded into rows of `hop` samples, so no convolution dimension exceeds the limit.
      folded = true;
      const kh = Math.ceil(size / hop);
      const rows = count - 1 + kh;
      if (rows > CONV_DIM_LIMIT || hop > CONV_DIM_LIMIT) b.decline(`the frames need ${rows} rows of ${hop}, beyond the convolution limit of ${CONV_DIM_LIMIT}`);
      const need = rows * hop;
      const have = length - start;
      if (start !== 0 || need < length) v = b.slice(v, [{ axis: 1, start, end: start + Math.min(need, have), step: 1 }], `${name}_span`);
      if (need > have) {
        // Zeros after the last frame (they meet zero weights only). A Concat where the other dims are
        // fixed: ONNX Runtime's Core ML provider builds no ML Program Pad (E7).
        const outer = others.map((a) => shape[a]);
        if (outer.every((x): x is number => typeof x === 'number')) {
          const p = outer.reduce((a, c) => a * c, 1);
          const zeros = b.constant(`${name}_tail_zeros`, tensorOf(dtype, [p, need - have], new Float64Array(p * (need - have))));
          v = b.concat([v, zeros], 1, `${name}_tail`);
        } else {
          v = b.pad(v, [0, 0, 0, need - have], 0, `${name}_tail`);
        }
      }
      v = b.reshape(v, [-1, 1, rows, hop], `${name}_rows`);
      const kernel = b.constant(`${name}_kernel`, oneHotKernel(dtype, [size, 1, kh, hop], Array.from({ length: size }, (_, k) => [0, Math.floor(k / hop), k % hop])));
      v = b.conv(v, kernel, null, { strides: [1, hop], pads: [0, 0, 0, 0], dilations: [1, 1], groups: 1 }, `${name}_conv`);
      v = b.squeeze(v, [3], `${name}_frames`);
    }
    dims.set('W', size).set('S', count);
    return { value: restore(b, v, others, dims, [size, count], name), labels: [...otherLabels, 'W', 'S'], dims, folded };
  }

  if (p.kind === 'interleave') {
    const { step } = p;
    const length = slicedDims[0]!;
    if (length % step !== 0) b.decline(`axis ${p.axis} (${length}) is not a multiple of the step ${step}`);
    if (length > CONV_DIM_LIMIT) b.decline(`axis ${p.axis} (${length}) is beyond the convolution limit of ${CONV_DIM_LIMIT}`);
    for (const s of d.slices) if (s.axes[0]!.end !== null && s.axes[0]!.end < length) b.decline('a phase stops before the end of the axis');
    v = b.expandDims(v, [1], `${name}_channel`);
    const kernel = b.constant(`${name}_kernel`, oneHotKernel(dtype, [order.length, 1, step], order.map((s) => [0, d.slices[s]!.axes[0]!.start])));
    v = b.conv(v, kernel, null, { strides: [step], pads: [0, 0], dilations: [1], groups: 1 }, `${name}_conv`);
    dims.set('S', order.length).set('W', length / step);
    return { value: restore(b, v, others, dims, [order.length, length / step], name), labels: [...otherLabels, 'S', 'W'], dims, folded: false };
  }

  const [bh, bw] = p.block;
  const [h, w] = slicedDims as [number, number];
  if (h % bh !== 0 || w % bw !== 0) b.decline(`the ${h}×${w} input does not divide into ${bh}×${bw} blocks`);
  if (h > CONV_DIM_LIMIT || w > CONV_DIM_LIMIT) b.decline(`the ${h}×${w} input is beyond the convolution limit of ${CONV_DIM_LIMIT}`);
  v = b.expandDims(v, [1], `${name}_channel`);
  const kernel = b.constant(`${name}_kernel`, oneHotKernel(dtype, [order.length, 1, bh, bw], order.map((s) => [0, ...p.phases[s]!])));
  v = b.conv(v, kernel, null, { strides: [bh, bw], pads: [0, 0, 0, 0], dilations: [1, 1], groups: 1 }, `${name}_conv`);
  dims.set('S', order.length).set('W1', h / bh).set('W2', w / bw);
  return { value: restore(b, v, others, dims, [order.length, h / bh, w / bw], name), labels: [...otherLabels, 'S', 'W1', 'W2'], dims, folded: false };
}

function isInOrder(order: readonly number[]): boolean {
  return order.every((s, q) => s === q);
}

/** [P, ...core] back to [...other dims, ...core]. */
function restore(b: PatchBuilder, v: ValueRef, others: readonly number[], dims: ReadonlyMap<string, Dim>, coreDims: readonly number[], name: string): ValueRef {
  if (others.length === 1) return v;
  return b.reshape(v, unflatten(b, others.map((_, k) => dims.get(`o${k}`)!), coreDims), `${name}_unflat`);
}

/** A reshape target: the known dims, with -1 for the one that is not known. */
function unflatten(b: PatchBuilder, outer: readonly Dim[], inner: readonly number[]): number[] {
  const unknown = outer.filter((x) => typeof x !== 'number').length;
  if (unknown > 1) b.decline('more than one dimension of the sliced tensor is not fixed');
  return [...outer.map((x) => (typeof x === 'number' ? x : -1)), ...inner];
}

/** Transposes (and reshapes) the plan's result into the joined layout: a stack or a concat on `axis`. */
function arrange(b: PatchBuilder, plan: Plan, rank: number, stack: boolean, axis: number, p: Pattern, name: string): ValueRef {
  if (plan.labels[0] === 'direct') return plan.value;
  // The layout of one slice, then the slice axis inserted where the join puts it.
  const sliced = p.kind === 'space-to-depth' ? [...p.axes] : [p.axis];
  const layout: string[] = [];
  let k = 0;
  for (let a = 0; a < rank; a++) {
    if (!sliced.includes(a)) layout.push(`o${k++}`);
    else layout.push(p.kind === 'space-to-depth' ? (a === sliced[0] ? 'W1' : 'W2') : 'W');
  }
  const target = [...layout];
  target.splice(axis, 0, 'S');
  const perm = target.map((l) => plan.labels.indexOf(l));
  if (perm.some((i) => i < 0)) b.decline('internal: a label went missing');
  let v = plan.value;
  if (perm.some((x, i) => x !== i)) v = b.transpose(v, perm, `${name}_layout`);
  if (stack) return v;
  // A concat on `axis` is the stack with the slice axis merged into the next one.
  const merged: Dim[] = target.map((l) => plan.dims.get(l) ?? null);
  const joined = typeof merged[axis] === 'number' && typeof merged[axis + 1] === 'number' ? (merged[axis] as number) * (merged[axis + 1] as number) : null;
  merged.splice(axis, 2, joined);
  return b.reshape(v, unflatten(b, merged, []), `${name}_joined`);
}
