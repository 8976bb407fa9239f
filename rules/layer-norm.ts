import { isConstant } from '../src/analysis/constants.js';
import { matchWrittenNorm, nnMvnLayerNorm, normFamily, type NormCore } from '../src/analysis/normalization.js';
import { arg, intsParam, normalizeAxes, numberParam, rankOf } from '../src/analysis/op-params.js';
import { defineRule, type Finding, type RuleContext, type TargetId } from '../src/engine/rule.js';
import type { Node, Value } from '../src/ir/graph.js';

interface Options {
  reportChannelAxis: boolean;
}

/** Below this an epsilon does not survive float16 (its smallest subnormal is 5.96e-8). */
const FP16_TINY = 1e-7;

/** Fused layer-norm ops outside the kinds table (ONNX Runtime's contrib ops). */
const CONTRIB_OPS = new Set(['LayerNormalization', 'SkipLayerNormalization']);

export default defineRule<Options>({
  meta: {
    id: 'layer-norm',
    description: 'layer normalization, fused or written out as reduce-mean/sub/pow/sqrt/div',
    targets: ['ane', 'coreml-ep'],
    severity: 'warning',
    facts: ['S2', 'A1', 'A2', 'A11', 'E5'],
    schema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        reportChannelAxis: {
          type: 'boolean',
          default: false,
          description:
            'Also report fused layer norms that already normalize over the channel axis of a rank-4 (B, C, 1, S) tensor, the layout Apple recommends (A11).',
        },
      },
    },
    defaultOptions: { reportChannelAxis: false },
  },

  check(ctx) {
    const findings: Finding[] = [];
    for (const n of ctx.nodesOfKind('layer_norm')) {
      const f = fused(ctx, n);
      if (f) findings.push(f);
    }
    for (const n of ctx.nodesOfOp('mvn')) {
      const m = nnMvnLayerNorm(n);
      if (m) findings.push(lowered(ctx.target, m));
    }
    for (const n of ctx.nodesOfKind('unknown')) {
      if (n.domain === 'com.microsoft' && CONTRIB_OPS.has(n.op)) {
        const f = fused(ctx, n);
        if (f) findings.push(f);
      }
    }
    for (const kind of ['real_div', 'mul']) {
      for (const n of ctx.nodesOfKind(kind)) {
        if (!readsCentered(n)) continue; // not a candidate: say nothing
        const m = matchWrittenNorm(n);
        if (!m.ok) {
          ctx.debug(`x − mean(x) is divided here but not by a standard deviation: ${m.reason}`, n);
          continue;
        }
        const fam = normFamily(m.value);
        if (fam.family === 'batch') {
          ctx.debug('mean/variance over the batch axis: neither a layer nor an instance normalization', n);
          continue;
        }
        if (fam.family !== 'layer') {
          ctx.debug(`a ${fam.family} normalization, reported by instance-norm`, n);
          continue;
        }
        findings.push(written(ctx.target, m.value));
      }
    }
    return findings;
  },
});

/** Cheap pre-filter: one input of a div/mul is produced by a sub that subtracts a reduce_mean. */
function readsCentered(n: Node): boolean {
  const ins = n.kind === 'real_div' ? [arg(n, 0)] : [arg(n, 0), arg(n, 1)];
  return ins.some((v) => {
    const p = v?.producer;
    return p?.kind === 'sub' && arg(p, 1)?.producer?.kind === 'reduce_mean';
  });
}

/** Axes of a fused layer norm, normalized when the rank is known. */
function fusedAxes(n: Node, x: Value | null | undefined): number[] | undefined {
  const rank = rankOf(x);
  if (n.op === 'mvn') return rank === undefined ? [-3, -2, -1] : normalizeAxes([-3, -2, -1], rank);
  if (n.op === 'layerNormalization') {
    const shape = intsParam(n, 'normalizedShape');
    const k = shape?.length ?? 1;
    const axes = Array.from({ length: k }, (_, i) => i - k);
    return rank === undefined ? axes : normalizeAxes(axes, rank);
  }
  const milAxes = n.inputNames ? intsParam(n, 'axes') : undefined;
  if (milAxes) return normalizeAxes(milAxes, rank);
  const axis = numberParam(n, 'axis') ?? -1;
  if (rank === undefined) return axis === -1 ? [-1] : undefined;
  const start = axis < 0 ? axis + rank : axis;
  return Array.from({ length: rank - start }, (_, i) => start + i);
}

function fusedEpsilon(n: Node): number {
  if (n.op === 'mvn') return numberParam(n, 'epsilon') ?? 1e-9;
  if (n.op === 'layerNormalization') return numberParam(n, 'eps') ?? 1e-5;
  return numberParam(n, 'epsilon') ?? 1e-5;
}

function fused(ctx: RuleContext<Options>, n: Node): Finding | undefined {
  const x = n.inputNames ? n.input('x') : arg(n, 0);
  const rank = rankOf(x);
  const axes = fusedAxes(n, x);
  const epsilon = fusedEpsilon(n);
  const channelAxis = rank === 4 && axes !== undefined && axes.length === 1 && axes[0] === 1;
  if (channelAxis && !ctx.options.reportChannelAxis) {
    ctx.debug('fused layer norm over the channel axis of a rank-4 tensor: already the (B, C, 1, S) layout (A11)', n);
    return undefined;
  }
  const scale = n.inputNames ? n.input('gamma') ?? null : arg(n, 1) ?? null;
  const bias = n.inputNames ? n.input('beta') ?? null : arg(n, 2) ?? null;
  const what = `Layer normalization ${n.op} over ${axesText(axes, rank)} (epsilon ${fmt(epsilon)})`;
  const parts = [what + '.', whyFused(ctx.target, { axes, rank, channelAxis, scale, bias, onnx: !n.inputNames && n.op === 'LayerNormalization' })];
  const moved = channelsLast(x, axes, rank);
  const note = transposeNote(moved);
  if (note) parts.push(note);
  const eps = epsilonNote(epsilon);
  if (eps) parts.push(eps);
  parts.push(todo(ctx.target, { written: false, channelAxis }));
  return {
    nodes: [n],
    message: parts.join(' '),
    ...(epsilon < FP16_TINY ? { fact: 'A2' } : {}),
    data: {
      form: 'fused',
      op: n.op,
      input: x?.name ?? null,
      output: n.outputs[0]?.name ?? null,
      rank: rank ?? null,
      axes: axes ?? null,
      epsilon,
      scale: scale?.name ?? null,
      bias: bias?.name ?? null,
      channelsLastTranspose: moved?.path ?? null,
    },
  };
}

/** coremltools' NeuralNetwork lowering: reshape → mvn → scale → reshape. */
function lowered(target: TargetId, m: NonNullable<ReturnType<typeof nnMvnLayerNorm>>): Finding {
  const rank = rankOf(m.x0);
  const parts = [
    `Layer normalization over the last axis, lowered by coremltools to ${m.nodes.length} NeuralNetwork layers (${m.nodes.map((n) => n.op).join(', ')}; epsilon ${fmt(m.epsilon)}).`,
    whyFused(target, { axes: [-1], rank, channelAxis: false, scale: null, bias: null, onnx: false }),
  ];
  const eps = epsilonNote(m.epsilon);
  if (eps) parts.push(eps);
  parts.push(todo(target, { written: false, channelAxis: false }));
  return {
    nodes: m.nodes,
    message: parts.join(' '),
    ...(m.epsilon < FP16_TINY ? { fact: 'A2' } : {}),
    data: { form: 'nn-mvn', op: 'mvn', input: m.x0.name, output: m.nodes.at(-1)!.outputs[0]?.name ?? null, rank: rank ?? null, axes: [-1], epsilon: m.epsilon },
  };
}

function written(target: TargetId, m: NormCore): Finding {
  const rank = rankOf(m.x);
  const axes = m.axes === undefined || m.axes === 'all' ? undefined : normalizeAxes(m.axes, rank);
  const channelAxis = rank === 4 && axes !== undefined && axes.length === 1 && axes[0] === 1;
  const ops = m.nodes.map((k) => k.op).join(', ');
  const affine = m.scale && m.bias ? ' with scale and shift' : m.scale ? ' with a scale' : m.bias ? ' with a shift' : ' without an affine';
  const where = m.epsilonPlacement === 'std' ? 'added to the standard deviation' : m.epsilonPlacement === 'none' ? 'none' : 'added to the variance';
  const parts = [
    `Layer normalization written out as ${m.nodes.length} ops (${ops}) over ${m.axes === 'all' ? 'all axes' : axesText(axes, rank)}${affine}; epsilon ${fmt(m.epsilon)} (${where}).`,
  ];
  parts.push(
    target === 'ane'
      ? 'On the Neural Engine each op runs separately with two reductions, and the squared deviations are computed in float16 (A1), which overflows once |x − mean| exceeds about 255; S2 lists LayerNorm among the patterns the Neural Engine handles poorly.'
      : "ONNX Runtime's Core ML provider hands these ops to Core ML one by one, where the same Neural Engine limits apply (S2): two reductions and float16 squares (A1).",
  );
  const moved = channelsLast(m.x, axes, rank);
  const note = transposeNote(moved);
  if (note) parts.push(note);
  const eps = epsilonNote(m.epsilon);
  if (eps) parts.push(eps);
  parts.push(todo(target, { written: true, channelAxis }));
  return {
    nodes: m.nodes,
    message: parts.join(' '),
    ...(m.epsilon < FP16_TINY ? { fact: 'A2' } : {}),
    data: {
      form: 'written-out',
      input: m.x.name,
      output: m.root.outputs[0]?.name ?? null,
      rank: rank ?? null,
      axes: m.axes === 'all' ? 'all' : axes ?? null,
      epsilon: m.epsilon,
      epsilonPlacement: m.epsilonPlacement,
      divide: m.divide,
      square: m.square,
      scale: m.scale?.name ?? null,
      bias: m.bias?.name ?? null,
      channelsLastTranspose: moved?.path ?? null,
    },
  };
}

function whyFused(
  target: TargetId,
  o: { axes: number[] | undefined; rank: number | undefined; channelAxis: boolean; scale: Value | null; bias: Value | null; onnx: boolean },
): string {
  if (target === 'coreml-ep') {
    const dynamicAffine = o.onnx && ((o.scale && !isConstant(o.scale)) || (o.bias && !isConstant(o.bias)));
    return dynamicAffine
      ? "ONNX Runtime's Core ML provider takes LayerNormalization only with constant scale and bias (E5); this one has a computed one, so it stays on the CPU."
      : "ONNX Runtime's Core ML provider passes it to Core ML, where the Neural Engine limits for LayerNorm apply (S2).";
  }
  if (o.channelAxis) return 'It already normalizes the channel axis of a (B, C, 1, S) tensor, the layout Apple recommends (A11), but S2 still lists LayerNorm among the patterns the Neural Engine handles poorly.';
  return 'S2 lists LayerNorm among the patterns the Neural Engine handles poorly; Apple runs transformers on it with activations in (B, C, 1, S) layout and LayerNorm over the channel axis (A11).';
}

function todo(target: TargetId, o: { written: boolean; channelAxis: boolean }): string {
  const steps: string[] = [];
  if (o.written) steps.push('export it as one LayerNormalization op (opset 17+) or layer_norm so Core ML sees a single normalization');
  if (target === 'ane' && !o.channelAxis) steps.push('for transformers, keep activations as (B, C, 1, S) and normalize over axis 1 (A11)');
  steps.push('where the architecture allows, use BatchNorm as S2 suggests (at inference it folds into the preceding convolution)');
  return `To do: ${steps.join('; ')}.`;
}

/** The Transpose that moved channels (axis 1) last before a last-axis normalization, if any. */
function channelsLast(x: Value | null | undefined, axes: readonly number[] | undefined, rank: number | undefined): Node | undefined {
  const t = x?.producer;
  if (!t || t.kind !== 'transpose') return undefined;
  const perm = intsParam(t, 'perm');
  if (!perm || perm.length < 3 || perm[perm.length - 1] !== 1) return undefined;
  const last = perm.length - 1;
  const ok = axes !== undefined && axes.length === 1 && (axes[0] === -1 || axes[0] === last) && (rank === undefined || rank === perm.length);
  return ok ? t : undefined;
}

function transposeNote(t: Node | undefined): string | undefined {
  return t ? `Its input comes from ${t.label}, which moves channels last to normalize them; normalizing axis 1 of the channels-first tensor instead removes that Transpose and the one back (A11).` : undefined;
}

function epsilonNote(eps: number): string | undefined {
  if (eps >= FP16_TINY || eps === 0) return undefined;
  return `Its epsilon ${fmt(eps)} flushes to zero in float16; Apple's port uses 1e-7 (A2).`;
}

function axesText(axes: readonly number[] | undefined, rank: number | undefined): string {
  if (!axes) return 'axes graphlint cannot resolve';
  const r = rank === undefined ? '' : ` of a rank-${rank} tensor`;
  return `${axes.length === 1 ? 'axis' : 'axes'} [${axes.join(', ')}]${r}`;
}

function fmt(x: number): string {
  return x === 0 ? '0' : Math.abs(x) < 1e-3 ? x.toExponential(0) : String(+x.toPrecision(6));
}
