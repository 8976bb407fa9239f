import { constantNumbers } from '../src/analysis/constants.js';
import { dataInput, dimOf, isDataInput, sliceParams, type SliceAxis } from '../src/analysis/slice-params.js';
import { defineRule, type Finding, type TargetId } from '../src/engine/rule.js';
import { attrInt, attrInts } from '../src/ir/attribute.js';
import { isFloat } from '../src/ir/dtype.js';
import type { Graph, Node, Value } from '../src/ir/graph.js';
import { fixSliceFanOut } from '../src/rewrite/fixes/slice-fan-out.js';

interface Options {
  /** Fewest constant slices of one tensor that make a finding. */
  readonly minSlices: number;
}

const SLICE_KINDS = ['slice_by_index', 'slice_by_size'] as const;
const JOIN_KINDS = new Set(['concat', 'stack']);

/** One slice of the shared tensor, followed by at most one more slice (the two-level Focus form). */
interface Path {
  readonly first: Node;
  readonly second: Node | undefined;
  readonly out: Value;
  /** The axes cut by the slice (and the second slice, on other axes), by axis. */
  readonly axes: readonly SliceAxis[];
}

export type SlicePattern =
  | { readonly kind: 'framing'; readonly axis: number; readonly start: number; readonly size: number; readonly hop: number; readonly count: number }
  | { readonly kind: 'interleave'; readonly axis: number; readonly step: number; readonly phases: readonly number[]; readonly count: number }
  | {
    readonly kind: 'space-to-depth';
    readonly axes: readonly [number, number];
    readonly block: readonly [number, number];
    /** The (phase, phase) pair each slice takes, in the order the slices are listed. */
    readonly phases: ReadonlyArray<readonly [number, number]>;
    readonly count: number;
  };

export interface SliceFanOutData {
  readonly input: string;
  readonly count: number;
  readonly slices: ReadonlyArray<{ readonly node: string; readonly then?: string; readonly axes: readonly SliceAxis[] }>;
  /** Set when the slices are regular; what a strided-convolution rewrite needs. */
  readonly pattern: SlicePattern | null;
  /** How many different windows the slices take (fewer than count: some slices repeat). */
  readonly distinctWindows: number;
  /** The one concat/stack that joins every slice, when there is one. */
  readonly join: {
    readonly node: string; readonly op: string; readonly axis: number | null; readonly order: readonly number[]; readonly otherInputs: number;
    /** Set when each slice goes through an Unsqueeze (expand_dims) on this axis before the join: a stack written out. */
    readonly unsqueeze?: number;
  } | null;
  /** The ops that read the slices otherwise, e.g. ['Add', 'Div']. */
  readonly readers: readonly string[];
}

export default defineRule<Options>({
  meta: {
    id: 'slice-fan-out',
    description: 'one tensor sliced many times (e.g. audio framing)',
    targets: ['ane', 'coreml-ep'],
    severity: 'warning',
    fixable: 'safe',
    facts: ['S4', 'E5'],
    schema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        minSlices: {
          type: 'integer',
          minimum: 2,
          default: 4,
          description: 'Fewest constant slices reading the same tensor that make a finding.',
        },
      },
    },
    defaultOptions: { minSlices: 4 },
  },

  check(ctx) {
    const min = Math.max(2, ctx.options.minSlices ?? 4);
    // Keyed by the tensor and the graph of the slices: slices in different If branches never run together.
    const groups = new Map<Value, Map<Graph, Path[]>>();
    const claimed = new Set<Node>();
    const candidates: Node[] = [];
    for (const kind of SLICE_KINDS) for (const n of ctx.nodesOfKind(kind)) candidates.push(n); // not push(...): too many for a call
    for (const n of candidates) {
      // A finding needs `min` slices of one tensor: a slice whose input has fewer readers is in
      // none (the near-miss debug lines aside), nor is a second-level slice (its first level's path
      // holds it). Most slices of a big graph are like that.
      const input = dataInput(n);
      if (!ctx.debugging && input && input.uses.length < min) continue;
      const r = sliceParams(n);
      if (!r.ok) {
        ctx.debug(`not counted in a fan-out: ${r.reason}`, n);
        continue;
      }
      const data = r.params.data;
      if (data.constant || data.producer?.op === 'Constant' || data.producer?.kind === 'const') continue; // folded away
      const path = followSecond(n, r.params.axes);
      let byGraph = groups.get(data);
      if (!byGraph) groups.set(data, (byGraph = new Map()));
      let list = byGraph.get(n.graph);
      if (!list) byGraph.set(n.graph, (list = []));
      list.push(path);
      if (path.second) claimed.add(path.second);
    }

    const findings: Finding[] = [];
    for (const [data, byGraph] of groups) {
      for (const all of byGraph.values()) {
        // A second-level slice counted under its own input is part of its first-level slice's path.
        const paths = all.filter((p) => !claimed.has(p.first));
        if (paths.length < min) {
          if (paths.length >= 2) ctx.debug(`${data.name} is read by ${paths.length} slices here, fewer than minSlices ${min}`, paths[0]!.first);
          continue;
        }
        findings.push(finding(ctx.target, data, paths));
      }
    }
    return findings;
  },

  fix: (finding, builder) => fixSliceFanOut(finding, builder),
});

/** The slice and, when its only reader is another constant slice on other axes, that one too. */
function followSecond(first: Node, axes: readonly SliceAxis[]): Path {
  const out = first.outputs[0]!;
  const only = out.uses.length === 1 && !out.isGraphOutput ? out.uses[0]! : undefined;
  if (only && isDataInput(only.node, only.index) && (SLICE_KINDS as readonly string[]).includes(only.node.kind)) {
    const r = sliceParams(only.node);
    if (r.ok && r.params.axes.length > 0 && r.params.axes.every((a) => !axes.some((b) => b.axis === a.axis))) {
      const combined = [...axes, ...r.params.axes].sort((a, b) => a.axis - b.axis);
      return { first, second: only.node, out: only.node.outputs[0]!, axes: combined };
    }
  }
  return { first, second: undefined, out, axes };
}

function finding(target: TargetId, data: Value, paths: Path[]): Finding {
  const pattern = regularPattern(data, paths);
  const windows = new Set(paths.map((p) => JSON.stringify(p.axes)));
  const join = joinOf(paths);
  const readers = join ? [] : [...new Set(paths.flatMap((p) => p.out.uses.map((u) => u.node.op)))].sort();
  const nodes = paths.flatMap((p) => (p.second ? [p.first, p.second] : [p.first]));
  const data_: SliceFanOutData = {
    input: data.name,
    count: paths.length,
    slices: paths.map((p) => ({ node: p.first.path, ...(p.second ? { then: p.second.path } : {}), axes: p.axes })),
    pattern,
    distinctWindows: windows.size,
    join: join ?? null,
    readers,
  };
  const n = paths.length;
  const ops = nodes.length + (join ? 1 : 0);
  const what = describe(paths, pattern, windows.size);
  const joined = join ? `, joined again by ${join.node.split('/').pop()} (${join.op})` : readers.length > 0 ? `, read by ${readers.join(', ')}` : '';
  const why = target === 'coreml-ep'
    ? `ONNX Runtime's Core ML provider claims slices with constant starts, ends, axes and steps (E5), but each is still its own Core ML op: ${ops} ops where one would do.`
    : `On the Neural Engine each slice is a separate op: a speaker-embedding model had 1001 slice ops cutting its frames where one strided Conv1D does the same framing (S4).`;
  const blocker = pattern !== null ? joinBlocker(data, join) : undefined;
  const dedupe = pattern === null && windows.size < n && paths.every((p) => !p.out.isGraphOutput);
  const fixable = (pattern !== null && blocker === undefined) || dedupe;
  const todo = pattern !== null && fixable
    ? `graphlint --fix replaces the ${n} slices and the ${join!.op} with ${remedy(pattern, true)}.`
    : pattern !== null
      ? `Replace them with ${remedy(pattern, false)} (not done automatically: ${blocker}).`
      : dedupe
        ? `graphlint --fix keeps one slice per distinct window (${windows.size}) and shares it.`
        : windows.size < n
          ? `Slice each distinct window once and share it, or cut the tensor with one Split.`
          : `Cut the tensor with one Split or one strided op where the windows allow it.`;
  return {
    nodes,
    message: `${data.name} is read by ${n} slices${what}${joined}. ${why} ${todo}`,
    data: data_,
    fixable,
    fact: target === 'coreml-ep' ? 'E5' : 'S4',
    ...(target === 'coreml-ep' ? { severity: 'info' as const } : {}),
  };
}

function describe(paths: Path[], pattern: SlicePattern | null, distinct: number): string {
  if (pattern?.kind === 'framing') {
    if (pattern.hop === pattern.size) return ` into ${pattern.count} back-to-back chunks of ${pattern.size} on axis ${pattern.axis}`;
    const overlap = pattern.hop < pattern.size ? 'overlapping ' : '';
    return ` into ${pattern.count} ${overlap}frames of ${pattern.size} with a hop of ${pattern.hop} on axis ${pattern.axis}`;
  }
  if (pattern?.kind === 'interleave') {
    return ` taking every ${ordinal(pattern.step)} element on axis ${pattern.axis} at ${pattern.count} phases (${pattern.phases.join(', ')})`;
  }
  if (pattern?.kind === 'space-to-depth') {
    const [a, b] = pattern.axes;
    const pairs = paths.some((p) => p.second) ? ' (each a pair of strided slices)' : '';
    return `${pairs} into the ${pattern.block[0]}×${pattern.block[1]} phases of a space-to-depth on axes ${a} and ${b} (the Focus layout)`;
  }
  const shown = [...new Set(paths.map((p) => p.axes.map(fmtAxis).join(' ')))];
  const dup = distinct < paths.length ? ` (${distinct} distinct windows, so some slices repeat)` : '';
  return ` at ${shown.slice(0, 4).join('; ')}${shown.length > 4 ? '; …' : ''}${dup}`;
}

/** Why a regular fan-out is not rewritten automatically, or undefined when it is. */
function joinBlocker(data: Value, join: SliceFanOutData['join'] | undefined): string | undefined {
  if (!join) return 'the slices are not joined by a single concat';
  if (join.otherInputs > 0) return 'the join also takes other inputs';
  if (join.unsqueeze !== undefined && join.axis !== null) {
    const rank = data.type?.kind === 'tensor' && data.type.shape ? data.type.shape.length + 1 : undefined;
    const norm = (a: number): number => (a < 0 && rank !== undefined ? a + rank : a);
    if (norm(join.unsqueeze) !== norm(join.axis)) return 'each slice is unsqueezed on another axis than the concat joins';
  }
  const t = data.type?.kind === 'tensor' ? data.type.dtype : undefined;
  if (!t || !isFloat(t)) return `the sliced tensor is ${t ?? 'of unknown type'}, and a convolution copies floating-point values only`;
  return undefined;
}

function remedy(p: SlicePattern, fixed: boolean): string {
  switch (p.kind) {
    case 'framing':
      if (p.hop === p.size) return fixed ? `one reshape (the ${p.count} chunks lie back to back)` : `one Split into ${p.count} chunks`;
      return `one convolution with a one-hot kernel of ${p.size} and stride ${p.hop}, which produces all ${p.count} frames at once (S4)`;
    case 'interleave':
      return `one strided convolution with one-hot kernels (kernel ${p.step}, stride ${p.step}) or a reshape`;
    case 'space-to-depth':
      return `one strided convolution with one-hot kernels (kernel ${p.block[0]}×${p.block[1]}, stride ${p.block[0]}×${p.block[1]}), i.e. a space-to-depth`;
  }
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : n % 10 === 1 ? 'st' : n % 10 === 2 ? 'nd' : n % 10 === 3 ? 'rd' : 'th';
  return `${n}${suffix}`;
}

function fmtAxis(a: SliceAxis): string {
  return `axis ${a.axis} [${a.start}:${a.end ?? ''}${a.step !== 1 ? `:${a.step}` : ''}]`;
}

/** The regular layouts a strided op can replace; null when the slices follow none. */
export function regularPattern(data: Value, paths: readonly Path[]): SlicePattern | null {
  const first = paths[0]!.axes;
  if (first.length === 0 || first.length > 2) return null;
  const axisSet = first.map((a) => a.axis).join(',');
  if (!paths.every((p) => p.axes.map((a) => a.axis).join(',') === axisSet)) return null;

  if (first.length === 1) {
    const axis = first[0]!.axis;
    const step = first[0]!.step;
    if (!paths.every((p) => p.axes[0]!.step === step)) return null;
    const dim = dimOf(data, axis);
    if (step === 1) {
      const windows = paths.map((p) => ({ start: p.axes[0]!.start, end: p.axes[0]!.end ?? dim }));
      if (windows.some((w) => w.end === undefined || w.start < 0 || w.end < 0)) return null;
      const size = windows[0]!.end! - windows[0]!.start;
      if (size <= 0 || windows.some((w) => w.end! - w.start !== size)) return null;
      const starts = [...new Set(windows.map((w) => w.start))].sort((a, b) => a - b);
      if (starts.length !== paths.length) return null;
      const hop = starts[1]! - starts[0]!;
      if (hop <= 0 || starts.some((s, i) => s !== starts[0]! + i * hop)) return null;
      return { kind: 'framing', axis, start: starts[0]!, size, hop, count: starts.length };
    }
    if (step > 1) {
      const ends = new Set(paths.map((p) => p.axes[0]!.end));
      const phases = paths.map((p) => p.axes[0]!.start);
      if (ends.size !== 1 || phases.some((s) => s < 0 || s >= step) || new Set(phases).size !== phases.length) return null;
      return { kind: 'interleave', axis, step, phases: [...phases].sort((a, b) => a - b), count: phases.length };
    }
    return null;
  }

  // Two axes, both strided: the phases of a space-to-depth block.
  const [a, b] = [first[0]!, first[1]!];
  const block = [a.step, b.step] as const;
  if (block[0] < 2 || block[1] < 2) return null;
  const seen = new Set<string>();
  const phases: Array<readonly [number, number]> = [];
  for (const p of paths) {
    const [x, y] = [p.axes[0]!, p.axes[1]!];
    if (x.step !== block[0] || y.step !== block[1]) return null;
    if (x.end !== a.end || y.end !== b.end) return null;
    if (x.start < 0 || x.start >= block[0] || y.start < 0 || y.start >= block[1]) return null;
    const key = `${x.start},${y.start}`;
    if (seen.has(key)) return null;
    seen.add(key);
    phases.push([x.start, y.start]);
  }
  if (phases.length !== block[0] * block[1]) return null;
  return { kind: 'space-to-depth', axes: [a.axis, b.axis], block, phases, count: phases.length };
}

/**
 * The single concat/stack that reads every slice exactly once, if any, directly or each
 * through an Unsqueeze (MIL expand_dims) on one same axis (a stack written as Unsqueeze → Concat).
 */
function joinOf(paths: readonly Path[]): NonNullable<SliceFanOutData['join']> | undefined {
  let join: Node | undefined;
  let lift: number | null | undefined;
  const byOut = new Map<Value, number>();
  for (const [i, p] of paths.entries()) {
    let v = p.out;
    if (v.isGraphOutput || v.uses.length !== 1) return undefined;
    let u = v.uses[0]!.node;
    const axis = unsqueezeAxis(u);
    if (lift !== undefined && (axis ?? null) !== lift) return undefined;
    lift = axis ?? null;
    if (axis !== undefined) {
      v = u.outputs[0]!;
      if (v.isGraphOutput || v.uses.length !== 1) return undefined;
      u = v.uses[0]!.node;
    }
    if (!JOIN_KINDS.has(u.kind)) return undefined;
    if (join && join !== u) return undefined;
    join = u;
    byOut.set(v, i);
  }
  if (!join) return undefined;
  const order: number[] = [];
  let other = 0;
  join.inputs.forEach((v, i) => {
    if (join!.inputNames && join!.inputNames[i] !== 'values') return; // MIL: axis, interleave
    const k = v ? byOut.get(v) : undefined;
    if (k === undefined) other++;
    else order.push(k);
  });
  return { node: join.path, op: join.op, axis: joinAxis(join) ?? null, order, otherInputs: other, ...(lift !== null && lift !== undefined ? { unsqueeze: lift } : {}) };
}

/** The one constant axis of an Unsqueeze / expand_dims, when `n` is one. */
export function unsqueezeAxis(n: Node): number | undefined {
  if (n.kind !== 'expand_dims') return undefined;
  const axes = attrInts(n.attrs, 'axes') ?? constantNumbers(n.inputNames ? n.input('axes') : n.inputs[1], 8);
  return axes && axes.length === 1 ? axes[0] : undefined;
}

function joinAxis(n: Node): number | undefined {
  const a = attrInt(n.attrs, 'axis');
  if (a !== undefined) return a;
  const v = n.inputNames ? n.input('axis') : undefined;
  const nums = v ? constantNumbers(v, 1) : undefined;
  return nums?.[0];
}
