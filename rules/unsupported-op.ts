import { optimizeForOrt } from '../src/analysis/ort-optimizations/index.js';
import { AneOpJudge } from '../src/analysis/unsupported-ops.js';
import { defineRule, type Finding, type RuleContext } from '../src/engine/rule.js';
import type { Node } from '../src/ir/graph.js';
import { fact } from '../src/targets/facts.js';
import type { CoremlEpJudgement } from '../src/targets/coreml-ep.js';
import { COREML_EP_SOURCE_COMMIT, coremlEpOpSupport, type CoremlFormat } from '../src/targets/coreml-ep-ops.js';
import { cachedPlan } from '../src/targets/plan.js';

export type Options = Record<string, never>;

const FORMAT_NAME: Readonly<Record<CoremlFormat, string>> = { mlprogram: 'ML Program', neuralnetwork: 'NeuralNetwork' };

export default defineRule<Options>({
  meta: {
    id: 'unsupported-op',
    description: 'ops with no accelerator path on the target (TopK, scatter, gather_nd, NonZero, NMS, control flow, ...)',
    targets: ['ane', 'coreml-ep'],
    severity: 'error',
    facts: ['S1', 'S2', 'S3', 'A3', 'A4', 'A13', 'A16', 'E1', 'E7', 'E10'],
    defaultOptions: {},
  },
  // For the provider, what ONNX Runtime's optimizations remove is read from the plan's view.
  readsPlan: ['coreml-ep'],
  check(ctx) {
    return ctx.target === 'coreml-ep' ? checkCoremlEp(ctx) : checkAne(ctx);
  },
});

function checkAne(ctx: RuleContext<Options>): Finding[] {
  const judge = new AneOpJudge(ctx.model);
  const findings: Finding[] = [];
  const nodes = ctx.nodes();
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    const v = judge.judge(n);
    if (v === undefined) continue;
    if ('skip' in v) {
      ctx.debug(v.skip, n);
      continue;
    }
    const name = opName(n);
    const about = [v.what.toLowerCase() === n.op.toLowerCase() ? '' : v.what, v.detail ?? ''].filter(Boolean).join(', ');
    findings.push({
      nodes: [n],
      severity: v.severity,
      fact: v.facts[0],
      message:
        `${name}${about ? ` (${about})` : ''} ${v.severity === 'error' ? 'has no Neural Engine path' : 'may not run on the Neural Engine'}: ` +
        `${v.why} (${citation(v.facts)}). ` +
        `${v.severity === 'error' ? 'Core ML runs it' : 'If so, Core ML runs it'} on the CPU or GPU, and every switch between devices costs a copy (S1). ${v.advice}`,
      data: { target: 'ane', op: n.op, domain: n.domain, kind: n.kind, variant: v.variant, facts: v.facts, ...(v.data ?? {}) },
    });
  }
  return findings;
}

function checkCoremlEp(ctx: RuleContext<Options>): Finding[] {
  if (ctx.model.format !== 'onnx') {
    // The provider runs ONNX graphs only; a Core ML model has nothing for it to claim.
    ctx.debug(`--target coreml-ep judges ONNX models; this is a ${ctx.model.format} model`);
    return [];
  }
  const format: CoremlFormat = ctx.coremlFormat;
  const other: CoremlFormat = format === 'mlprogram' ? 'neuralnetwork' : 'mlprogram';
  const localFunctions = new Set(ctx.model.functions.map((g) => g.path));
  // What ONNX Runtime's basic optimizations remove (folded, eliminated, padding fused away) is
  // never shown to the provider (E10). Nodes fused into another op are still judged as themselves.
  const removed = new Map<Node, string>();
  // The plan lint made for this file holds that optimized copy: the simulation runs once per file.
  const planned = cachedPlan(ctx.model, 'coreml-ep')?.judgement as CoremlEpJudgement | undefined;
  const view = planned?.view ?? optimizeForOrt(ctx.model);
  for (const [n, r] of view.removed) if (r.into === undefined) removed.set(n, `${r.pass}: ${r.reason}`);
  const findings: Finding[] = [];
  const nodes = ctx.nodes();
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    const gone = removed.get(n);
    if (gone !== undefined) {
      ctx.debug(`ONNX Runtime's basic optimizations remove it before the provider is asked (E10): ${gone}`, n);
      continue;
    }
    const defaultDomain = n.domain === '' || n.domain === 'ai.onnx';
    if (!defaultDomain && localFunctions.has(`${n.domain}:${n.op}`)) {
      ctx.debug(`${n.domain}:${n.op} is a model-local function: ONNX Runtime inlines it and judges its body`, n);
      continue;
    }
    const s = coremlEpOpSupport(n.op, n.domain);
    if (s[format]) continue;
    const name = opName(n);
    const why = !s.hasBuilder
      ? `the provider has no builder for ${name} in either format`
      : `the provider's ${name} builder does not build ${FORMAT_NAME[format]}${s.note ? ` (${s.note})` : ''}`;
    const instead = s.hasBuilder && s[other]
      ? ` The ${FORMAT_NAME[other]} format has a builder for it (set the provider's ModelFormat, graphlint option format: '${other}').`
      : '';
    findings.push({
      nodes: [n],
      fact: s.fact,
      message:
        `${name} is not claimed by ONNX Runtime's Core ML execution provider (${FORMAT_NAME[format]}): ${why}, ` +
        `read from the builders at onnxruntime ${COREML_EP_SOURCE_COMMIT.slice(0, 12)} rather than the published op tables (${s.fact}). ` +
        `It runs on the CPU provider, and the graph is cut into separate Core ML partitions around it (E1).${instead} ` +
        'Replace it with supported ops, or move it before or after the model.',
      data: { target: 'coreml-ep', op: n.op, domain: n.domain, format, hasBuilder: s.hasBuilder, otherFormat: s.hasBuilder && s[other] ? other : null },
    });
  }
  return findings;
}

/** `A3, A4`, saying which of them their sources call guesses. */
function citation(ids: readonly string[]): string {
  const guesses = ids.filter((id) => fact(id).guess);
  return guesses.length === 0 ? ids.join(', ') : `${ids.join(', ')}; ${guesses.join(', ')} partly a guess by its source`;
}

/** `TopK`, or `com.microsoft:FusedConv` outside the default domain. */
function opName(n: Node): string {
  return n.domain === '' || n.domain === 'ai.onnx' ? n.op : `${n.domain}:${n.op}`;
}
