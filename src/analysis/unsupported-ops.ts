import type { Severity } from '../report/result.js';
import type { Node, Value } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import type { Attribute } from '../ir/attribute.js';
import { isInteger } from '../ir/dtype.js';
import { constantNumbers, constantTensor } from './constants.js';

/**
 * The ops with no Neural Engine path, in one table keyed by canonical kind (so ONNX,
 * NeuralNetwork and ML Program graphs share it), with op-name fallbacks for ops whose kind is
 * 'unknown'. Each entry names the facts it rests on; an entry resting only on a fact its
 * source calls a guess (A3) reports at warning, never error.
 *
 * Some entries apply to every node of their kind; others (dilated convolution, large
 * pooling windows, upsampling by more than 2, gather) only when a condition holds, and say
 * why in `detail`.
 */

export interface AneEntry {
  /** How messages name the op family: 'TopK', 'control flow (If)'. */
  readonly what: string;
  /** Fact ids, the main one first. */
  readonly facts: readonly string[];
  readonly severity: Severity;
  /** Why it leaves the Neural Engine, as a clause. */
  readonly why: string;
  /** What to do, as a sentence. */
  readonly advice: string;
}

/** A verdict for one node: the entry, plus what the condition found. */
export interface AneVerdict extends AneEntry {
  /** Which row matched: the kind, the op fallback, or a condition name. */
  readonly variant: string;
  /** Extra words for the message (the dilation, the window, the factor). */
  readonly detail?: string;
  /** What a later fix or the partition engine may want. */
  readonly data?: Record<string, unknown>;
}

const DYNAMIC_OUTPUT = 'its output size depends on the values it is given (a data-dependent shape), and dynamic tensor shapes keep work off the Neural Engine';

const CONTROL_FLOW: AneEntry = {
  what: 'control flow',
  facts: ['S2'],
  severity: 'error',
  why: 'control flow is listed among the Neural-Engine-hostile constructs; the branch or loop is run by the CPU',
  advice: 'Remove the condition or loop from the graph (fix the input it depends on, unroll a fixed loop), or split the model into one model per branch.',
};

/** Kind → entry, for kinds that never run on the Neural Engine. */
export const ANE_UNSUPPORTED_KINDS: Readonly<Record<string, AneEntry>> = {
  topk: {
    what: 'TopK', facts: ['A13', 'A16', 'S3'], severity: 'error',
    why: 'topk leaves the Neural Engine, and so do the ops that read its indices',
    advice: 'Do the top-k selection after the model (on the CPU, in app code), or keep it at the very end so the graph switches only once.',
  },
  non_zero: {
    what: 'NonZero', facts: ['S3'], severity: 'error', why: DYNAMIC_OUTPUT,
    advice: 'Use a fixed-size mask instead (multiply by the condition, or Where), or move the selection after the model.',
  },
  non_maximum_suppression: {
    what: 'NonMaxSuppression', facts: ['S3'], severity: 'error', why: DYNAMIC_OUTPUT,
    advice: 'Run non-maximum suppression after the model (app code or Vision), as detection apps usually do.',
  },
  gather_nd: {
    what: 'GatherND', facts: ['S3'], severity: 'error', why: 'GatherND is listed among the ops that keep work off the Neural Engine',
    advice: 'Express the lookup as Gather on one axis, a Slice, or a one-hot MatMul, or move it after the model.',
  },
  scatter: {
    what: 'Scatter', facts: ['S3'], severity: 'error', why: 'scatter ops are listed among the ops that keep work off the Neural Engine',
    advice: 'Express the update with Where/Mul by a mask or with Concat of slices, or move it out of the model.',
  },
  scatter_along_axis: {
    what: 'ScatterElements', facts: ['S3'], severity: 'error', why: 'scatter ops are listed among the ops that keep work off the Neural Engine',
    advice: 'Express the update with Where/Mul by a mask or with Concat of slices, or move it out of the model.',
  },
  scatter_nd: {
    what: 'ScatterND', facts: ['S3'], severity: 'error', why: 'scatter ops are listed among the ops that keep work off the Neural Engine',
    advice: 'Express the update with Where/Mul by a mask or with Concat of slices, or move it out of the model.',
  },
  cond: { ...CONTROL_FLOW, what: 'control flow (If)' },
  while_loop: { ...CONTROL_FLOW, what: 'control flow (Loop)' },
  lstm: {
    what: 'LSTM', facts: ['A4', 'A3'], severity: 'error', why: 'LSTMs were observed running on the CPU',
    advice: 'Expect this part on the CPU: keep the recurrent part small or in its own model, or replace the recurrence (convolution or attention over the sequence) if the model allows.',
  },
  gru: {
    what: 'GRU', facts: ['A3'], severity: 'warning', why: 'recurrent layers (RNNs) are reported not to run on the Neural Engine',
    advice: 'Expect this part on the CPU: keep the recurrent part small or in its own model, or replace the recurrence if the model allows.',
  },
  rnn: {
    what: 'RNN', facts: ['A3'], severity: 'warning', why: 'recurrent layers (RNNs) are reported not to run on the Neural Engine',
    advice: 'Expect this part on the CPU: keep the recurrent part small or in its own model, or replace the recurrence if the model allows.',
  },
};

/** Op name → entry, for ops whose kind is 'unknown' (checked only then). */
export const ANE_UNSUPPORTED_OPS: Readonly<Record<string, AneEntry>> = {
  /** ONNX Scan: a loop over a sequence, nested graph and all. */
  Scan: { ...CONTROL_FLOW, what: 'control flow (Scan)' },
  /** NeuralNetwork custom layer: user code Core ML runs on the CPU. */
  custom: {
    what: 'custom layer', facts: ['S3', 'A3'], severity: 'error', why: 'custom layers run the app\'s own code, never on the Neural Engine',
    advice: 'Replace the custom layer with built-in layers, or move its work out of the model.',
  },
};

/** ONNX ops outside the default domains (com.microsoft, ai.onnx.ml, ...), unless a model-local function defines them. */
export const ANE_FOREIGN_DOMAIN: AneEntry = {
  what: 'op outside the ONNX standard', facts: ['S3'], severity: 'warning',
  why: 'Core ML has no counterpart for it, so converting it needs a custom layer (or fails), and custom layers keep work off the Neural Engine',
  advice: 'Export with standard ONNX ops only (turn off runtime-specific fusions such as ONNX Runtime\'s extended optimizations), or replace the op before converting.',
};

const A3_CONDITION = {
  facts: ['A3'], severity: 'warning' as Severity,
  why: 'it is reported not to run on the Neural Engine',
};

/** Kinds that read a tensor and pass shape numbers through unchanged (for shape arithmetic). */
const SHAPE_PASS_THROUGH = new Set([
  'cast', 'concat', 'gather', 'slice_by_index', 'squeeze', 'expand_dims', 'identity', 'reshape', 'add', 'sub', 'mul',
  'real_div', 'floor_div', 'mod', 'maximum', 'minimum', 'reduce_prod', 'flatten2d',
]);

/** Kinds that only reshape or relabel indices on the way from topk to a gather. */
const INDEX_PASS_THROUGH = new Set(['squeeze', 'expand_dims', 'reshape', 'cast', 'identity', 'flatten2d', 'transpose']);

/**
 * Per-run state: which values are shape arithmetic (computed from `shape` ops), memoised so
 * the whole check stays linear in the graph size.
 */
export class AneOpJudge {
  private readonly shapeComputed = new Map<Value, boolean>();
  private readonly localFunctions: ReadonlySet<string>;

  constructor(model: Model) {
    this.localFunctions = new Set(model.functions.map((g) => g.path));
  }

  /** The verdict for `n` on the Neural Engine, or a reason it is fine (for --debug), or undefined (nothing to say). */
  judge(n: Node): AneVerdict | { readonly skip: string } | undefined {
    const byKind = ANE_UNSUPPORTED_KINDS[n.kind];
    if (byKind) return { ...byKind, variant: n.kind };
    switch (n.kind) {
      case 'gather': return this.gather(n);
      case 'conv': case 'conv_transpose': return dilated(n);
      case 'max_pool': case 'avg_pool': case 'l2_pool': return largePool(n);
      case 'resize': case 'upsample_nearest_neighbor': case 'upsample_bilinear': return upsample(n);
      default: break;
    }
    if (n.kind !== 'unknown') return undefined;
    const byOp = ANE_UNSUPPORTED_OPS[n.op];
    if (byOp) return { ...byOp, variant: n.op };
    if (isForeignOnnxOp(n)) {
      if (this.localFunctions.has(`${n.domain}:${n.op}`)) return { skip: `${n.domain}:${n.op} is a model-local function; its body is checked instead` };
      return { ...ANE_FOREIGN_DOMAIN, variant: 'foreign-domain' };
    }
    return undefined;
  }

  private gather(n: Node): AneVerdict | { readonly skip: string } {
    const data = n.input('x') ?? n.inputs[0];
    const indices = n.input('indices') ?? n.inputs[1];
    if (data && this.isShapeComputed(data)) {
      return { skip: 'gather reads shape numbers (Shape → Gather): shape arithmetic, left to dynamic-shape and dynamic-reshape' };
    }
    const fromTopk = indices ? topkIndicesSource(indices) : undefined;
    if (fromTopk) {
      return {
        what: 'Gather', variant: 'gather-topk-indices', facts: ['A13'], severity: 'warning',
        why: 'it reads the indices of a TopK, and in detection heads such gathers leave the Neural Engine together with the TopK',
        advice: 'Move the TopK and the gathers that use its indices after the model, together.',
        detail: `indices from ${fromTopk.label}`, data: { topk: fromTopk.path },
      };
    }
    const table = data ? constantTensor(data) : undefined;
    if (table && isInteger(table.dtype)) {
      return { skip: 'gather from an integer constant: index arithmetic, not a tensor op' };
    }
    if (n.op === 'embedding' || n.op === 'embeddingND') {
      const w = n.attrs.get('weights');
      return {
        what: 'embedding', variant: 'gather-embedding', facts: ['A13', 'A3'], severity: 'warning',
        why: 'embedding look-ups stay on the CPU',
        advice: 'Expect this look-up on the CPU; if the vocabulary is small, a one-hot MatMul (inner product) keeps it on the Neural Engine.',
        data: { tableShape: w?.type === 'tensor' ? w.value.dims : undefined },
      };
    }
    if (data && table) {
      return {
        what: 'Gather', variant: 'gather-embedding', facts: ['A13', 'A3'], severity: 'warning',
        why: 'it looks up rows of a constant table (an embedding), and embedding look-ups stay on the CPU',
        advice: 'Expect this look-up on the CPU; if the vocabulary is small, a one-hot MatMul keeps it on the Neural Engine.',
        detail: `table ${data.name}`, data: { table: data.name, tableShape: table.dims },
      };
    }
    return {
      what: 'Gather', variant: 'gather', ...A3_CONDITION,
      advice: 'Where the indices are constant, a Slice (or Split) does the same job on the Neural Engine.',
    };
  }

  /** True when `v` is computed from a `shape` op through shape-arithmetic ops only (looks 8 ops up at most). */
  isShapeComputed(v: Value): boolean {
    return this.shapeSource(v, 0) === 'yes';
  }

  private shapeSource(v: Value, depth: number): 'yes' | 'no' | 'too-far' {
    const known = this.shapeComputed.get(v);
    if (known !== undefined) return known ? 'yes' : 'no';
    if (depth >= SHAPE_SEARCH_DEPTH) return 'too-far';
    const p = v.producer;
    let result: 'yes' | 'no' | 'too-far' = 'no';
    if (p && (p.kind === 'shape' || (p.kind === 'unknown' && p.op === 'Size'))) result = 'yes';
    else if (p && SHAPE_PASS_THROUGH.has(p.kind)) {
      for (const x of p.inputs) {
        if (!x) continue;
        const r = this.shapeSource(x, depth + 1);
        if (r === 'yes') {
          result = 'yes';
          break;
        }
        if (r === 'too-far') result = 'too-far';
      }
    }
    // Only complete answers are remembered, so a later, shallower look can still decide.
    if (result !== 'too-far') this.shapeComputed.set(v, result === 'yes');
    return result;
  }
}

/** Shape arithmetic chains are short (Shape → Gather → Unsqueeze → Concat → ...). */
const SHAPE_SEARCH_DEPTH = 8;

function isForeignOnnxOp(n: Node): boolean {
  // Core ML nodes have no domain; the ONNX default domain is spelled '' or 'ai.onnx'.
  return n.domain !== '' && n.domain !== 'ai.onnx';
}

/** The topk node whose indices output reaches `v` through index-preserving ops, if any. */
function topkIndicesSource(v: Value): Node | undefined {
  let cur: Value | null | undefined = v;
  for (let depth = 0; cur && depth < 4; depth++) {
    const p: Node | null = cur.producer;
    if (!p) return undefined;
    if (p.kind === 'topk') return p.outputs.indexOf(cur) === 1 ? p : undefined;
    if (!INDEX_PASS_THROUGH.has(p.kind)) return undefined;
    cur = p.input('x') ?? p.inputs[0];
  }
  return undefined;
}

/** Numbers of a parameter: an attribute under any of `names`, else a constant input of that name. */
export function numbersParam(n: Node, names: readonly string[]): readonly number[] | undefined {
  for (const name of names) {
    const a: Attribute | undefined = n.attrs.get(name);
    if (a) {
      if (a.type === 'ints' || a.type === 'floats') return a.value;
      if (a.type === 'int' || a.type === 'float') return [a.value];
    }
    const input = n.input(name);
    if (input) {
      const nums = constantNumbers(input, 16);
      if (nums) return nums;
    }
  }
  return undefined;
}

function dilated(n: Node): AneVerdict | undefined {
  const d = numbersParam(n, ['dilations', 'dilationFactor']);
  if (!d || !d.some((x) => x > 1)) return undefined;
  return {
    what: 'dilated convolution', variant: 'dilated-conv', ...A3_CONDITION,
    advice: 'If it lands on the CPU or GPU in a profile, replace the dilation (e.g. space-to-batch around an undilated convolution) or accept the switch.',
    detail: `dilation ${d.join('×')}`, data: { dilations: [...d] },
  };
}

/** A3: pooling with a window above 13 or a stride above 2. */
export const ANE_MAX_POOL_KERNEL = 13;
export const ANE_MAX_POOL_STRIDE = 2;

function largePool(n: Node): AneVerdict | undefined {
  const kernel = numbersParam(n, ['kernel_shape', 'kernelSize', 'kernel_sizes']);
  const strides = numbersParam(n, ['strides', 'stride']);
  const bigKernel = kernel?.some((k) => k > ANE_MAX_POOL_KERNEL) ?? false;
  const bigStride = strides?.some((s) => s > ANE_MAX_POOL_STRIDE) ?? false;
  if (!bigKernel && !bigStride) return undefined;
  const parts = [bigKernel ? `window ${kernel!.join('×')}` : '', bigStride ? `stride ${strides!.join('×')}` : ''].filter(Boolean);
  return {
    what: 'pooling with a large window or stride', variant: 'large-pool', ...A3_CONDITION,
    advice: `Split the pooling into smaller steps (windows up to ${ANE_MAX_POOL_KERNEL}, strides up to ${ANE_MAX_POOL_STRIDE}), e.g. two pools in a row.`,
    detail: parts.join(', '), data: { kernel: kernel ? [...kernel] : undefined, strides: strides ? [...strides] : undefined },
  };
}

/** A3: upsampling by more than 2. */
export const ANE_MAX_UPSAMPLE = 2;

function upsample(n: Node): AneVerdict | undefined {
  const factors = upsampleFactors(n);
  if (!factors || !factors.some((f) => f > ANE_MAX_UPSAMPLE)) return undefined;
  return {
    what: 'upsampling by more than 2', variant: 'large-upsample', ...A3_CONDITION,
    advice: 'Upsample in steps of 2 (e.g. ×8 as three ×2 resizes) if a profile shows it off the Neural Engine.',
    detail: `factor ${factors.map((f) => +f.toFixed(3)).join('×')}`, data: { factors },
  };
}

/** The spatial scale factors of a resize/upsample, when constant; undefined otherwise. */
function upsampleFactors(n: Node): number[] | undefined {
  if (n.kind === 'upsample_nearest_neighbor' || n.kind === 'upsample_bilinear') {
    if (n.op === 'upsample') {
      const nn = numbersParam(n, ['scalingFactor']);
      return nn ? [...nn] : undefined;
    }
    const h = numbersParam(n, ['scale_factor_height']);
    const w = numbersParam(n, ['scale_factor_width']);
    return h && w ? [h[0]!, w[0]!] : undefined;
  }
  // ONNX Resize (X, roi, scales, sizes) and Upsample (X, scales) / Upsample-7 (scales attribute).
  if (n.op === 'Upsample') {
    const s = numbersParam(n, ['scales']) ?? constantNumbers(n.inputs[1], 16);
    return s ? spatial(s) : undefined;
  }
  if (n.op === 'Resize') {
    const scales = n.inputs[2] ? constantNumbers(n.inputs[2], 16) : undefined;
    if (scales && scales.length > 0) return spatial(scales);
    const sizes = n.inputs[3] ? constantNumbers(n.inputs[3], 16) : undefined;
    const x = n.inputs[0]?.type;
    if (sizes && x?.kind === 'tensor' && x.shape && x.shape.length === sizes.length) {
      const f: number[] = [];
      for (let i = 0; i < sizes.length; i++) {
        const d = x.shape[i];
        if (typeof d !== 'number' || d <= 0) return undefined;
        f.push(sizes[i]! / d);
      }
      return spatial(f);
    }
  }
  return undefined;
}

/** The factors past the first two axes (N, C) when there are more than two. */
function spatial(f: readonly number[]): number[] {
  return f.length > 2 ? f.slice(2) : [...f];
}
