import { matchSwish, type SwishMatch } from '../src/analysis/activations.js';
import { sortByGraphOrder } from '../src/analysis/normalization.js';
import { arg } from '../src/analysis/op-params.js';
import { defineRule, type Finding, type TargetId } from '../src/engine/rule.js';
import type { Node } from '../src/ir/graph.js';

/** Kinds (or ONNX ops) whose output, multiplied by something, can make a SiLU-family activation. */
const GATE_KINDS = new Set(['sigmoid', 'sigmoid_hard', 'clip', 'relu6', 'minimum', 'real_div', 'mul']);

export default defineRule<Record<string, never>>({
  meta: {
    id: 'silu',
    description: 'SiLU / Swish / HardSwish (x·sigmoid(x) and relatives)',
    targets: ['ane', 'coreml-ep'],
    severity: 'warning',
    facts: ['S2'],
    defaultOptions: {},
  },

  check(ctx) {
    const findings: Finding[] = [];
    const claimed = new Set<Node>();
    const report = (m: SwishMatch): void => {
      if (m.nodes.some((n) => claimed.has(n))) return;
      for (const n of m.nodes) claimed.add(n);
      findings.push(finding(ctx.target, m));
    };
    for (const n of [...ctx.nodesOfKind('silu'), ...ctx.nodesOfOp('HardSwish'), ...ctx.nodesOfOp('Swish')]) {
      const m = matchSwish(n);
      if (m.ok) report(m.value);
      else ctx.debug(m.reason, n);
    }
    // Roots of written-out forms: the Mul (or the Div by 6) that produces the activation.
    const roots = [...ctx.nodesOfKind('mul'), ...ctx.nodesOfKind('real_div')].sort((a, b) => b.id - a.id);
    for (const n of roots) {
      if (claimed.has(n)) continue;
      const producers = [arg(n, 0), arg(n, 1)].map((v) => v?.producer?.kind ?? op(v?.producer));
      if (!producers.some((k) => k !== undefined && GATE_KINDS.has(k))) continue; // not a candidate
      const m = matchSwish(n);
      if (m.ok) report(m.value);
      else if (producers.some((k) => k === 'sigmoid' || k === 'sigmoid_hard')) ctx.debug(m.reason, n);
    }
    return findings;
  },
});

function op(n: Node | null | undefined): string | undefined {
  return n?.op === 'HardSigmoid' ? 'sigmoid_hard' : undefined;
}

const FORM_TEXT: Readonly<Record<SwishMatch['form'], string>> = {
  silu: 'SiLU as one silu op',
  swish: 'SiLU as one Swish op',
  hardswish: 'HardSwish as one HardSwish op',
  'x*sigmoid(x)': 'SiLU (Swish) written out as x·sigmoid(x)',
  'x*hardsigmoid(x)': 'HardSwish written out as x·HardSigmoid(x)',
  'x*relu6(x+3)/6': 'HardSwish written out as x·relu6(x + 3)/6',
};

function finding(target: TargetId, m: SwishMatch): Finding {
  const nodes = sortByGraphOrder(m.nodes);
  const written = nodes.length > 1;
  const parts = [`${FORM_TEXT[m.form]}${written ? ` (${nodes.length} ops: ${nodes.map((n) => n.op).join(', ')})` : ''}.`];
  const hard = m.family === 'hard-swish';
  const why = hard
    ? 'S2 lists Swish/SiLU among the patterns the Neural Engine handles poorly; HardSwish is its piecewise-linear relative, so treat this as a hint and measure'
    : 'S2 lists Swish/SiLU among the patterns the Neural Engine handles poorly';
  parts.push(
    target === 'coreml-ep'
      ? `ONNX Runtime's Core ML provider hands ${written ? 'these ops' : 'it'} to Core ML, where the same applies: ${why}.`
      : `${why}.`,
  );
  const steps: string[] = [];
  if (m.form === 'x*relu6(x+3)/6') {
    steps.push('export at opset 14 or later so it becomes one HardSwish op (or x·HardSigmoid(x) with alpha 1/6: two ops instead of four)');
  }
  steps.push(hard ? 'where accuracy allows, retrain with ReLU or ReLU6, which S2 does not list' : 'where accuracy allows, retrain with ReLU or ReLU6, which S2 does not list; otherwise check the partition report for where it lands');
  parts.push(`To do: ${steps.join('; ')}.`);
  return {
    nodes,
    message: parts.join(' '),
    // HardSwish rests on S2 only by analogy: a hint, not a warning.
    ...(hard ? { severity: 'info' as const } : {}),
    data: { family: m.family, form: m.form, input: m.x.name, output: m.root.outputs[0]?.name ?? null },
  };
}
