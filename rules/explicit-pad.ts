import { constantNumbers, constantScalar, constantTensor } from '../src/analysis/constants.js';
import { dataInput, isDataInput } from '../src/analysis/slice-params.js';
import { defineRule, type CoremlFormat, type Finding, type TargetId } from '../src/engine/rule.js';
import { attrFloat, attrInt, attrInts, attrString } from '../src/ir/attribute.js';
import type { Node, Value } from '../src/ir/graph.js';
import { fixExplicitPad } from '../src/rewrite/fixes/explicit-pad.js';
import { rewriteBlocker } from '../src/rewrite/support.js';

/** A pad op's parameters, whatever the format spells them. */
export interface PadSpec {
  /** constant, reflect, edge (replicate) or wrap. */
  readonly mode: string;
  /** The fill of a constant pad; null when it is not a constant. */
  readonly value: number | null;
  /** [begin, end] per padded axis; null when the amounts are computed at run time. */
  readonly pairs: ReadonlyArray<readonly [number, number]> | null;
  /** The axis of each pair; negative = counted from the end (MIL and NeuralNetwork pad the last axes). */
  readonly axes: readonly number[] | null;
}

export interface ExplicitPadData {
  readonly mode: string;
  readonly value: number | null;
  /** Per padded axis (absolute when the rank is known), what the pad adds. */
  readonly pads: ReadonlyArray<{ readonly axis: number; readonly begin: number; readonly end: number }> | null;
  /** The op the pad can fold into, when it can. */
  readonly foldInto: {
    readonly node: string;
    readonly op: string;
    /** ONNX: the consumer's pads attribute after folding ([x1_begin, x2_begin, ..., x1_end, x2_end]). */
    readonly pads: readonly number[] | null;
    /** AveragePool: folding needs count_include_pad = 1 (the zeros the pad added count in the mean). */
    readonly countIncludePad?: boolean;
  } | null;
  /** Why a constant pad cannot be folded (null when it can, or for reflect/edge pads). */
  readonly notFoldable: string | null;
  /** Every amount is zero: the fix removes the pad. */
  readonly noOp?: boolean;
}

const REPLACING_MODES = new Set(['reflect', 'edge', 'wrap']);
const NON_NEGATIVE_KINDS = new Set(['relu', 'relu6', 'sigmoid', 'sigmoid_hard', 'softmax', 'abs', 'exp', 'softplus']);

export default defineRule({
  meta: {
    id: 'explicit-pad',
    description: 'pad ops that could be folded into the following op, and reflect pads',
    targets: ['ane', 'coreml-ep'],
    severity: 'warning',
    fixable: 'safe',
    facts: ['S2', 'E5', 'E8'],
    defaultOptions: {},
  },

  check(ctx) {
    const findings: Finding[] = [];
    for (const pad of ctx.nodesOfKind('pad')) {
      const spec = padSpec(pad);
      if (!spec) {
        ctx.debug(`${pad.op}: parameters not readable (kept as bytes)`, pad);
        continue;
      }
      const f = judge(pad, spec, ctx.target, ctx.coremlFormat, (reason) => ctx.debug(reason, pad));
      if (f) findings.push(f);
    }
    return findings;
  },

  fix: (finding, builder) => fixExplicitPad(finding, builder),
});

function judge(pad: Node, spec: PadSpec, target: TargetId, coremlFormat: CoremlFormat, debug: (reason: string) => void): Finding | undefined {
  const rank = rankOf(dataInput(pad));
  const pads = spec.pairs && spec.axes
    ? spec.pairs.map(([begin, end], i) => ({ axis: norm(spec.axes![i]!, rank), begin, end }))
    : null;
  const touched = pads?.filter((p) => p.begin !== 0 || p.end !== 0) ?? null;
  const where = touched ? touched.map((p) => `axis ${p.axis} +${p.begin}/+${p.end}`).join(', ') : 'amounts computed at run time';
  const base = { mode: spec.mode, value: spec.value, pads };
  const negative = pads?.some((p) => p.begin < 0 || p.end < 0) ?? false;
  const blocked = rewriteBlocker(pad);
  const byHand = blocked ? ` (not done automatically: ${blocked})` : '';

  if (touched !== null && touched.length === 0) {
    const kept = pad.outputs[0]!.isGraphOutput;
    return {
      nodes: [pad],
      message: `${pad.label} pads nothing: every amount is zero, so it only copies its input. ${blocked || kept ? `Remove it${kept ? ' (not done automatically: its result is a graph output)' : byHand}.` : 'graphlint --fix removes it.'}`,
      data: { ...base, foldInto: null, notFoldable: null, noOp: true } satisfies ExplicitPadData,
      fixable: !blocked && !kept,
      fact: 'S2',
      severity: 'info',
    };
  }

  if (REPLACING_MODES.has(spec.mode)) {
    // Slice+Concat pays off where the provider claims it and not the pad: ONNX Runtime's ML
    // Program builders (E8; measured 4 → 1 partitions on four reflect pads). A NeuralNetwork
    // concat must be on the channel axis (E5), and the Neural Engine takes the pad as it is,
    // so there the rewrite only adds ops.
    const helps = target === 'coreml-ep' && coremlFormat === 'mlprogram';
    const fixable = helps && pads !== null && !negative && !blocked;
    const why = target === 'coreml-ep'
      ? spec.mode === 'reflect'
        ? `ONNX Runtime's Core ML provider does not claim reflect pads: its NeuralNetwork builder takes constant pads only (E5) and its ML Program builders have no Pad (E7), so each one splits the graph: one model had 14 partitions from 14 reflect pads and 1 after rewriting them as Slice+Concat (E8).`
        : `ONNX Runtime's Core ML provider takes constant pads, and reflect ones only in an ML Program (E5); ${spec.mode} is not among them, so each one splits the graph (E8).`
      : `Explicit padding ops are listed among Neural-Engine-hostile patterns (S2), and ${spec.mode} padding has no convolution attribute to fold into.`;
    const todo = !helps
      ? target === 'coreml-ep'
        ? `Rewriting it as Slice+Concat does not help a NeuralNetwork, whose concat must be on the channel axis (E5); build an ML Program instead (--coreml-format mlprogram), where graphlint --fix can.`
        : `Where the graph also runs through ONNX Runtime's Core ML provider, lint with --target coreml-ep: graphlint --fix rewrites it there as Slice+Concat (E8).`
      : fixable
      ? `graphlint --fix rewrites it as Slice+Concat of the border rows (E8).`
      : blocked && pads !== null && !negative
        ? `Rewrite it as Slice+Concat of the border rows (E8)${byHand}.`
        : `Make the pad amounts constant and non-negative, then rewrite it as Slice+Concat (E8).`;
    return {
      nodes: [pad],
      message: `${pad.label} is a ${spec.mode} pad (${where}). ${why} ${todo}`,
      data: { ...base, foldInto: null, notFoldable: null } satisfies ExplicitPadData,
      fixable,
      fact: target === 'coreml-ep' ? 'E8' : 'S2',
    };
  }

  if (spec.mode !== 'constant') {
    debug(`unknown pad mode ${spec.mode}`);
    return undefined;
  }

  const fold = foldTarget(pad, spec, pads, rank);
  if (fold.ok) {
    const consumer = fold.consumer;
    const why = target === 'coreml-ep'
      ? `The provider claims constant pads (E5), but folding saves an op and a copy of the padded tensor.`
      : `Explicit padding ops are listed among Neural-Engine-hostile patterns (S2); the ${consumer.op}'s own padding does the same for free.`;
    return {
      nodes: [pad, consumer],
      message: `${pad.label} zero-pads (${where}) right before ${consumer.label} (${consumer.op}), its only reader. ${why} ${blocked ? `Move the padding into ${consumer.label}'s own${byHand}.` : `graphlint --fix moves the padding into ${consumer.label}'s pads.`}`,
      data: { ...base, foldInto: fold.into, notFoldable: null } satisfies ExplicitPadData,
      fixable: !blocked,
      fact: target === 'coreml-ep' ? 'E5' : 'S2',
      ...(target === 'coreml-ep' ? { severity: 'info' as const } : {}),
    };
  }

  // A constant pad that stays: the provider rejects it only for the reasons E5 names.
  const data: ExplicitPadData = { ...base, foldInto: null, notFoldable: fold.reason };
  if (target === 'coreml-ep') {
    if (pads === null || negative) {
      return {
        nodes: [pad],
        message: `${pad.label} pads with ${pads === null ? 'amounts computed at run time' : 'negative amounts (a crop)'}; ONNX Runtime's Core ML provider takes Pad only with constant, non-negative pads (E5), so it is left to the CPU. Make the pads constant (or use a Slice for the crop).`,
        data,
        fixable: false,
        fact: 'E5',
      };
    }
    debug(`constant pad kept: ${fold.reason}; the provider claims it (E5)`);
    return undefined;
  }
  return {
    nodes: [pad],
    message: `${pad.label} is an explicit constant pad (${where}) that cannot be folded: ${fold.reason}. Explicit padding ops are listed among Neural-Engine-hostile patterns (S2); where you can, pad inside the convolution or pooling instead.`,
    data,
    fixable: false,
    severity: 'info',
    fact: 'S2',
  };
}

type Fold = { ok: true; consumer: Node; into: NonNullable<ExplicitPadData['foldInto']> } | { ok: false; reason: string };

/** Whether a constant pad folds into its only reader's padding, and the reader's pads after folding. */
function foldTarget(pad: Node, spec: PadSpec, pads: ExplicitPadData['pads'], rank: number | undefined): Fold {
  if (pads === null) return { ok: false, reason: 'the pad amounts are computed at run time' };
  if (pads.some((p) => p.begin < 0 || p.end < 0)) return { ok: false, reason: 'it crops (negative pads)' };
  const out = pad.outputs[0]!;
  if (out.isGraphOutput || out.uses.length !== 1) return { ok: false, reason: `its result has ${out.uses.length} readers${out.isGraphOutput ? ' and is a graph output' : ''}` };
  const use = out.uses[0]!;
  const c = use.node;
  if (!isDataInput(c, use.index)) return { ok: false, reason: `${c.label} reads it as ${c.inputNames?.[use.index] ?? `input ${use.index}`}, not as its data` };
  const kind = consumerKind(c);
  if (!kind) return { ok: false, reason: `its reader ${c.label} is ${c.op}, not a convolution or a (local) pooling` };
  const r = rank ?? consumerRank(c) ?? (spec.axes?.every((a) => a >= 0) ? spec.axes.length : undefined);
  if (r === undefined) return { ok: false, reason: 'the rank of the padded tensor is unknown' };
  const abs = pads.map((p) => ({ ...p, axis: p.axis < 0 ? p.axis + r : p.axis }));
  if (abs.some((p) => (p.begin !== 0 || p.end !== 0) && p.axis < 2)) return { ok: false, reason: 'it pads the batch or channel axis' };
  if (spec.value === null) return { ok: false, reason: 'the fill value is computed at run time' };
  if (kind === 'max_pool') {
    const lowest = spec.value === -Infinity || spec.value <= -3.4e38;
    if (!lowest && !(spec.value === 0 && nonNegative(dataInput(pad)))) {
      return { ok: false, reason: `MaxPool pads with -inf, and the pad fills ${spec.value} into an input that may be negative` };
    }
  } else if (spec.value !== 0) {
    return { ok: false, reason: `it fills ${spec.value}, and ${c.op} pads with zeros` };
  }
  const spatial = r - 2;
  const add = Array.from({ length: spatial * 2 }, () => 0);
  for (const p of abs) {
    if (p.axis < 2 || p.axis >= r) continue;
    add[p.axis - 2] += p.begin;
    add[p.axis - 2 + spatial] += p.end;
  }
  let merged: number[] | null = null;
  let countIncludePad: boolean | undefined;
  if (c.op === 'Conv' || c.op === 'AveragePool' || c.op === 'MaxPool') {
    const autoPad = attrString(c.attrs, 'auto_pad') ?? 'NOTSET';
    if (autoPad !== 'NOTSET' && autoPad !== 'VALID') return { ok: false, reason: `${c.label} uses auto_pad ${autoPad}` };
    const own = autoPad === 'VALID' ? [] : [...(attrInts(c.attrs, 'pads') ?? [])];
    merged = add.map((x, i) => x + (own[i] ?? 0));
    if (c.op === 'AveragePool') {
      const include = attrInt(c.attrs, 'count_include_pad') ?? 0;
      if (include === 0 && own.some((x) => x !== 0)) {
        return { ok: false, reason: `${c.label} excludes its own padding from the mean, and the pad's zeros count` };
      }
      countIncludePad = true;
    }
  }
  return {
    ok: true,
    consumer: c,
    into: { node: c.path, op: c.op, pads: merged, ...(countIncludePad !== undefined ? { countIncludePad } : {}) },
  };
}

/** conv / avg_pool / max_pool when the reader is a local (not global) convolution or pooling. */
function consumerKind(c: Node): 'conv' | 'avg_pool' | 'max_pool' | undefined {
  if (c.kind !== 'conv' && c.kind !== 'avg_pool' && c.kind !== 'max_pool') return undefined;
  if (c.op === 'GlobalAveragePool' || c.op === 'GlobalMaxPool') return undefined;
  if (attrInt(c.attrs, 'globalPooling') === 1) return undefined;
  return c.kind;
}

/** The rank of a convolution's or pooling's input, from its kernel. */
function consumerRank(c: Node): number | undefined {
  const k = attrInts(c.attrs, 'kernel_shape') ?? attrInts(c.attrs, 'kernelSize');
  if (k) return k.length + 2;
  const w = constantTensor(c.inputNames ? c.input('weight') : c.inputs[1]);
  return w ? w.dims.length : undefined;
}

function nonNegative(v: Value | null | undefined): boolean {
  const p = v?.producer;
  if (!p) return false;
  if (NON_NEGATIVE_KINDS.has(p.kind)) return true;
  if (p.kind === 'clip') {
    const min = p.inputNames ? constantScalar(p.input('alpha'))
      : p.inputs.length > 1 ? constantScalar(p.inputs[1]) : attrFloat(p.attrs, 'min') ?? attrFloat(p.attrs, 'minVal');
    return min !== undefined && min >= 0;
  }
  return false;
}

function rankOf(v: Value | null | undefined): number | undefined {
  return v?.type?.kind === 'tensor' && v.type.shape ? v.type.shape.length : undefined;
}

function norm(axis: number, rank: number | undefined): number {
  return axis < 0 && rank !== undefined ? axis + rank : axis;
}

/** Reads a pad node of any format; undefined when its parameters are not readable. */
export function padSpec(n: Node): PadSpec | undefined {
  if (n.op === 'Pad') return onnxPad(n);
  if (n.op === 'pad') return milPad(n);
  if (n.op === 'padding') return nnPadding(n);
  return undefined; // NeuralNetwork constantPad keeps its parameters as bytes
}

function onnxPad(n: Node): PadSpec {
  const mode = attrString(n.attrs, 'mode') ?? 'constant';
  let pads: readonly number[] | undefined;
  let value: number | null = 0;
  let axes: readonly number[] | undefined;
  if (n.inputs.length >= 2) {
    pads = constantNumbers(n.inputs[1]);
    const cv = n.inputs[2];
    if (cv) value = constantScalar(cv) ?? null;
    if (n.inputs[3]) {
      axes = constantNumbers(n.inputs[3]);
      if (!axes) return { mode, value, pairs: null, axes: null };
    }
  } else {
    pads = attrInts(n.attrs, 'pads') ?? attrInts(n.attrs, 'paddings');
    value = attrFloat(n.attrs, 'value') ?? 0;
  }
  if (!pads || pads.length % 2 !== 0) return { mode, value, pairs: null, axes: null };
  const k = pads.length / 2;
  const pairs = Array.from({ length: k }, (_, i) => [pads![i]!, pads![i + k]!] as const);
  return { mode, value, pairs, axes: axes ? [...axes] : pairs.map((_, i) => i) };
}

function milPad(n: Node): PadSpec {
  const modeValue = n.inputNames ? n.input('mode') : undefined;
  const mode = normMode(attrString(n.attrs, 'mode') ?? (modeValue ? constantString(modeValue) : undefined) ?? 'constant');
  const cv = n.inputNames ? n.input('constant_val') : undefined;
  const value = cv ? constantScalar(cv) ?? null : 0;
  const pad = constantNumbers(n.inputNames ? n.input('pad') : n.inputs[1]);
  if (!pad || pad.length % 2 !== 0) return { mode, value, pairs: null, axes: null };
  const k = pad.length / 2;
  const pairs = Array.from({ length: k }, (_, i) => [pad[2 * i]!, pad[2 * i + 1]!] as const);
  return { mode, value, pairs, axes: pairs.map((_, i) => i - k) };
}

function nnPadding(n: Node): PadSpec {
  const mode = attrInt(n.attrs, 'reflection') === 1 ? 'reflect' : attrInt(n.attrs, 'replication') === 1 ? 'edge' : 'constant';
  const value = attrFloat(n.attrs, 'constant.value') ?? 0;
  const amounts = attrInts(n.attrs, 'paddingAmounts') ?? [];
  // BorderAmounts of the padding layer: height, then width.
  const pairs = Array.from({ length: amounts.length / 2 }, (_, i) => [amounts[2 * i]!, amounts[2 * i + 1]!] as const);
  return { mode, value, pairs, axes: pairs.map((_, i) => i - pairs.length) };
}

function normMode(m: string): string {
  return m === 'replicate' ? 'edge' : m;
}

function constantString(v: Value): string | undefined {
  const t = constantTensor(v);
  if (!t || t.dtype !== 'string' || t.elementCount !== 1) return undefined;
  try {
    return new TextDecoder().decode(t.bytes());
  } catch {
    return undefined;
  }
}
