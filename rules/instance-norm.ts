import {
  affineAfter,
  groupSandwich,
  matchWrittenNorm,
  nnMvnLayerNorm,
  normFamily,
  sortByGraphOrder,
  type NormCore,
} from '../src/analysis/normalization.js';
import { arg, numberParam, rankOf } from '../src/analysis/op-params.js';
import { defineRule, type Finding, type TargetId } from '../src/engine/rule.js';
import type { Node, Value } from '../src/ir/graph.js';

/** Below this an epsilon does not survive float16 (its smallest subnormal is 5.96e-8). */
const FP16_TINY = 1e-7;

export default defineRule<Record<string, never>>({
  meta: {
    id: 'instance-norm',
    description: 'instance and group normalization',
    targets: ['ane', 'coreml-ep'],
    severity: 'warning',
    facts: ['S2', 'A1', 'A2'],
    defaultOptions: {},
  },

  check(ctx) {
    const findings: Finding[] = [];
    for (const n of ctx.nodesOfKind('instance_norm')) {
      const x = n.inputNames ? n.input('x') : arg(n, 0);
      if (!x) continue;
      if (nnMvnLayerNorm(n)) {
        ctx.debug('coremltools lowering of a layer norm (reshape → mvn → scale), reported by layer-norm', n);
        continue;
      }
      const epsilon = numberParam(n, 'epsilon') ?? 1e-5;
      const g = groupSandwich(x, n);
      if (g.ok) {
        const aff = affineAfter(g.value.after);
        const nodes = [g.value.before, n, ...(g.value.shapeOf ? [g.value.shapeOf] : []), g.value.after, ...aff.nodes];
        findings.push(
          report(ctx.target, {
            family: 'group',
            what: `Group normalization written as ${g.value.before.op} → ${n.op} → ${g.value.after.op}${affineText(aff.scale, aff.bias)}`,
            nodes: sortByGraphOrder(nodes),
            epsilon,
            data: {
              form: 'reshape-instance-norm',
              op: n.op,
              groups: g.value.groups ?? null,
              input: g.value.x0.name,
              output: aff.root.outputs[0]?.name ?? null,
              epsilon,
              scale: aff.scale?.name ?? null,
              bias: aff.bias?.name ?? null,
            },
          }),
        );
        continue;
      }
      ctx.debug(`not a group normalization: ${g.reason}`, n);
      findings.push(
        report(ctx.target, {
          family: 'instance',
          what: `Instance normalization as one ${n.op} op`,
          nodes: [n],
          epsilon,
          data: { form: 'fused', op: n.op, input: x.name, output: n.outputs[0]?.name ?? null, epsilon, rank: rankOf(x) ?? null },
        }),
      );
    }
    for (const n of ctx.nodesOfOp('GroupNormalization')) {
      if (n.domain !== '' && n.domain !== 'ai.onnx') continue;
      const epsilon = numberParam(n, 'epsilon') ?? 1e-5;
      const groups = numberParam(n, 'num_groups');
      findings.push(
        report(ctx.target, {
          family: 'group',
          what: `Group normalization as one GroupNormalization op${groups !== undefined ? ` (${groups} groups)` : ''}`,
          nodes: [n],
          epsilon,
          data: { form: 'fused', op: n.op, groups: groups ?? null, input: arg(n, 0)?.name ?? null, output: n.outputs[0]?.name ?? null, epsilon },
        }),
      );
    }
    for (const kind of ['real_div', 'mul']) {
      for (const n of ctx.nodesOfKind(kind)) {
        if (!readsCentered(n)) continue;
        const m = matchWrittenNorm(n);
        if (!m.ok) continue; // layer-norm explains these near misses
        const fam = normFamily(m.value);
        if (fam.family === 'layer' || fam.family === 'batch') continue;
        findings.push(written(ctx.target, m.value, fam));
      }
    }
    return findings;
  },
});

function readsCentered(n: Node): boolean {
  const ins = n.kind === 'real_div' ? [arg(n, 0)] : [arg(n, 0), arg(n, 1)];
  return ins.some((v) => {
    const p = v?.producer;
    return p?.kind === 'sub' && arg(p, 1)?.producer?.kind === 'reduce_mean';
  });
}

function written(target: TargetId, m: NormCore, fam: ReturnType<typeof normFamily>): Finding {
  const ops = (nodes: readonly Node[]): string => nodes.map((n) => n.op).join(', ');
  if (fam.family === 'group' && fam.sandwich) {
    const s = fam.sandwich.value;
    const aff = affineAfter(s.after);
    const nodes = sortByGraphOrder([s.before, ...m.nodes, ...(s.shapeOf ? [s.shapeOf] : []), s.after, ...aff.nodes]);
    return report(target, {
      family: 'group',
      what: `Group normalization written out as ${nodes.length} ops (${ops(nodes)})`,
      nodes,
      epsilon: m.epsilon,
      data: {
        form: 'written-out-group',
        groups: s.groups ?? null,
        input: s.x0.name,
        output: aff.root.outputs[0]?.name ?? null,
        epsilon: m.epsilon,
        epsilonPlacement: m.epsilonPlacement,
        scale: aff.scale?.name ?? m.scale?.name ?? null,
        bias: aff.bias?.name ?? m.bias?.name ?? null,
      },
    });
  }
  const axes = m.axes === 'all' || m.axes === undefined ? null : m.axes;
  return report(target, {
    family: 'instance',
    what: `Instance normalization written out as ${m.nodes.length} ops (${ops(m.nodes)}) over axes [${axes?.join(', ') ?? '?'}]${affineText(m.scale, m.bias)}`,
    nodes: m.nodes,
    epsilon: m.epsilon,
    data: {
      form: 'written-out',
      input: m.x.name,
      output: m.root.outputs[0]?.name ?? null,
      axes,
      epsilon: m.epsilon,
      epsilonPlacement: m.epsilonPlacement,
      scale: m.scale?.name ?? null,
      bias: m.bias?.name ?? null,
    },
  });
}

function affineText(scale: Value | null, bias: Value | null): string {
  return scale && bias ? ' with scale and shift' : scale ? ' with a scale' : bias ? ' with a shift' : '';
}

interface Report {
  family: 'instance' | 'group';
  what: string;
  nodes: readonly Node[];
  epsilon: number;
  data: Record<string, unknown>;
}

function report(target: TargetId, r: Report): Finding {
  const name = r.family === 'group' ? 'GroupNorm' : 'InstanceNorm';
  const stats = r.family === 'group' ? 'for each channel group of each sample' : 'for each channel of each sample';
  const why =
    `It computes mean and variance ${stats} at run time, so it cannot be folded into a convolution the way BatchNorm can; ` +
    `S2 lists InstanceNorm among the patterns the Neural Engine handles poorly and suggests BatchNorm${r.family === 'group' ? ` (${name} is its grouped form)` : ''}`;
  const parts = [`${r.what} (epsilon ${fmt(r.epsilon)}).`];
  parts.push(target === 'coreml-ep' ? `ONNX Runtime's Core ML provider hands it to Core ML, where the same applies. ${why}.` : `${why}.`);
  if (r.epsilon > 0 && r.epsilon < FP16_TINY) parts.push(`Its epsilon ${fmt(r.epsilon)} flushes to zero in float16 (A1, A2); use 1e-7 or more.`);
  const steps = ['where the architecture allows, retrain with BatchNorm as S2 suggests (at inference it folds into the preceding convolution)'];
  if (r.nodes.length > 1 && r.family === 'instance') steps.unshift('export it as one InstanceNormalization op so Core ML sees a single normalization');
  steps.push('otherwise check the partition report for where it lands');
  parts.push(`To do: ${steps.join('; ')}.`);
  return {
    nodes: r.nodes,
    message: parts.join(' '),
    ...(r.epsilon > 0 && r.epsilon < FP16_TINY ? { fact: 'A2' } : {}),
    data: r.data,
  };
}

function fmt(x: number): string {
  return x === 0 ? '0' : Math.abs(x) < 1e-3 ? x.toExponential(0) : String(+x.toPrecision(6));
}
