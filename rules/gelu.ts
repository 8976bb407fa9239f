import { constantScalar } from '../src/analysis/constants.js';
import { soleUser, sortByGraphOrder } from '../src/analysis/normalization.js';
import { arg, numberParam, stringParam } from '../src/analysis/op-params.js';
import { hasCoefficients, polynomialIn } from '../src/analysis/polynomial.js';
import { defineRule, type Finding, type TargetId } from '../src/engine/rule.js';
import type { Node, Value } from '../src/ir/graph.js';
import { fixGelu } from '../src/rewrite/fixes/gelu.js';
import { rewriteBlocker } from '../src/rewrite/support.js';

type Approximation = 'exact' | 'tanh' | 'sigmoid';

const SQRT_HALF = Math.SQRT1_2; // 1/√2, for erf(x/√2)
const SQRT_2_PI = Math.sqrt(2 / Math.PI); // √(2/π) ≈ 0.7978845608
const CUBIC = 0.044715;
const QUICK = 1.702; // x·sigmoid(1.702·x)

/** ONNX Runtime contrib ops (com.microsoft) that compute GELU. */
const CONTRIB: Readonly<Record<string, Approximation>> = { Gelu: 'exact', BiasGelu: 'exact', FastGelu: 'tanh', QuickGelu: 'sigmoid' };

export default defineRule<Record<string, never>>({
  meta: {
    id: 'gelu',
    description: 'GELU, exact (erf) or tanh form, fused or written out',
    targets: ['ane', 'coreml-ep'],
    severity: 'warning',
    fixable: 'unsafe',
    facts: ['S2', 'A1', 'E9'],
    defaultOptions: {},
  },

  check(ctx) {
    const findings: Finding[] = [];
    for (const n of ctx.nodesOfKind('gelu')) findings.push(fused(ctx.target, n, fusedApproximation(n)));
    for (const n of ctx.nodesOfKind('unknown')) {
      const a = n.domain === 'com.microsoft' ? CONTRIB[n.op] : undefined;
      if (a) findings.push(fused(ctx.target, n, a));
    }
    for (const f of ctx.nodesOfKind('erf')) {
      const m = writtenOut(f, 'exact');
      if (m.ok) findings.push(written(ctx.target, m.value));
      else ctx.debug(`erf not part of a GELU: ${m.reason}`, f);
    }
    for (const f of ctx.nodesOfKind('tanh')) {
      const m = writtenOut(f, 'tanh');
      if (m.ok) findings.push(written(ctx.target, m.value));
      else if (m.near) ctx.debug(`tanh not part of a GELU: ${m.reason}`, f);
    }
    for (const s of ctx.nodesOfKind('sigmoid')) {
      const m = quickGelu(s);
      if (m) findings.push(written(ctx.target, m));
    }
    return findings;
  },

  fix: (finding, builder) => fixGelu(finding, builder),
});

interface Written {
  readonly approximation: Approximation;
  readonly x: Value;
  readonly root: Node;
  readonly nodes: Node[];
  /** The product of the constant factors outside the gate (0.5, or 1 for the sigmoid form). */
  readonly factor: number;
}

type Result = { ok: true; value: Written } | { ok: false; reason: string; near: boolean };

function fusedApproximation(n: Node): Approximation {
  const s = stringParam(n, 'approximate') ?? stringParam(n, 'mode');
  if (s !== undefined) {
    const u = s.toUpperCase();
    return u.startsWith('TANH') ? 'tanh' : u.startsWith('SIGMOID') ? 'sigmoid' : 'exact';
  }
  const mode = numberParam(n, 'mode'); // NeuralNetwork GeluLayerParams: 0 exact, 1 tanh, 2 sigmoid
  return mode === 1 ? 'tanh' : mode === 2 ? 'sigmoid' : 'exact';
}

/** Is `inner` the expected argument of erf/tanh/sigmoid as a polynomial of x? */
function argumentOf(inner: Value, x: Value, a: Approximation): Node[] | undefined {
  const p = polynomialIn(inner, x, { maxDegree: 3, maxNodes: 6 });
  if (!p) return undefined;
  const want: Record<number, number> =
    a === 'exact' ? { 1: SQRT_HALF } : a === 'tanh' ? { 1: SQRT_2_PI, 3: CUBIC * SQRT_2_PI } : { 1: QUICK };
  return hasCoefficients(p, want, a === 'sigmoid' ? 5e-3 : 2e-3) ? [...p.nodes] : undefined;
}

/**
 * GELU written out around erf or tanh `f`:
 *   0.5 · x · (1 + f(arg(x)))
 * with the three factors multiplied in any order (x·G·0.5, (0.5·x)·G, x·(0.5·G), /2 for ·0.5).
 */
function writtenOut(f: Node, a: 'exact' | 'tanh'): Result {
  const inner = arg(f, 0);
  if (!inner) return { ok: false, reason: `${f.label} has no input`, near: false };
  const gate = soleUser(f);
  if (!gate || gate.kind !== 'add' || gate.inputs.length !== 2) {
    return { ok: false, reason: `${f.label} is not read by a single add (expected 1 + ${f.kind})`, near: false };
  }
  const one = arg(gate, 0) === f.outputs[0] ? arg(gate, 1) : arg(gate, 0);
  if (Math.abs((constantScalar(one) ?? NaN) - 1) > 1e-6) return { ok: false, reason: `${gate.label} does not add 1`, near: false };

  let current = gate;
  let factor = 1;
  let x: Value | undefined;
  const nodes: Node[] = [f, gate];
  for (let step = 0; step < 3; step++) {
    const next = soleUser(current);
    if (!next) break;
    const mine = current.outputs[0];
    if (next.kind === 'real_div' && arg(next, 0) === mine) {
      const d = constantScalar(arg(next, 1));
      if (d === undefined || d === 0) break;
      factor /= d;
    } else if (next.kind === 'mul' && next.inputs.length === 2) {
      const other = arg(next, 0) === mine ? arg(next, 1) : arg(next, 0);
      if (!other) break;
      const c = constantScalar(other);
      if (c !== undefined) {
        factor *= c;
      } else if (x === undefined) {
        const found = pickX(other, inner, a);
        if (!found) {
          return { ok: false, reason: `${next.label} multiplies by ${other.name}, which is not the x inside ${f.label}`, near: true };
        }
        x = found.x;
        factor *= found.factor;
        nodes.push(...found.nodes);
      } else {
        break;
      }
    } else {
      break;
    }
    nodes.push(next);
    current = next;
    if (x !== undefined && Math.abs(factor - 0.5) < 1e-3) {
      const argNodes = argumentOf(inner, x, a)!;
      return { ok: true, value: { approximation: a, x, root: next, nodes: sortByGraphOrder([...nodes, ...argNodes]), factor } };
    }
  }
  const why = x === undefined ? `no multiplication by the x inside ${f.label} follows ${gate.label}` : `the constant factors multiply to ${factor}, not 0.5`;
  return { ok: false, reason: why, near: true };
}

/** The x of a product operand: the operand itself, or the x of 0.5·x / x/2 computed apart. */
function pickX(operand: Value, inner: Value, a: Approximation): { x: Value; factor: number; nodes: Node[] } | undefined {
  if (argumentOf(inner, operand, a)) return { x: operand, factor: 1, nodes: [] };
  const p = operand.producer;
  if (!p || operand.uses.length !== 1 || operand.isGraphOutput) return undefined;
  if (p.kind === 'mul' && p.inputs.length === 2) {
    for (const [i, j] of [[0, 1], [1, 0]] as const) {
      const c = constantScalar(arg(p, j));
      const x = arg(p, i);
      if (c !== undefined && x && argumentOf(inner, x, a)) return { x, factor: c, nodes: [p] };
    }
  }
  if (p.kind === 'real_div') {
    const d = constantScalar(arg(p, 1));
    const x = arg(p, 0);
    if (d !== undefined && d !== 0 && x && argumentOf(inner, x, a)) return { x, factor: 1 / d, nodes: [p] };
  }
  return undefined;
}

/** x·sigmoid(1.702·x), the sigmoid approximation (QuickGELU), rooted at the Mul. */
function quickGelu(s: Node): Written | undefined {
  const mul = soleUser(s);
  const inner = arg(s, 0);
  if (!mul || mul.kind !== 'mul' || mul.inputs.length !== 2 || !inner) return undefined;
  const x = arg(mul, 0) === s.outputs[0] ? arg(mul, 1) : arg(mul, 0);
  if (!x || x === inner) return undefined; // x·sigmoid(x) is SiLU
  const argNodes = argumentOf(inner, x, 'sigmoid');
  if (!argNodes) return undefined;
  return { approximation: 'sigmoid', x, root: mul, nodes: sortByGraphOrder([s, mul, ...argNodes]), factor: 1 };
}

const FORM_TEXT: Readonly<Record<Approximation, string>> = {
  exact: 'Exact GELU, x·Φ(x) with erf',
  tanh: 'GELU in its tanh approximation',
  sigmoid: 'GELU in its sigmoid approximation x·sigmoid(1.702·x)',
};

function fused(target: TargetId, n: Node, a: Approximation): Finding {
  const parts = [`${FORM_TEXT[a]} as one ${n.op} op.`];
  if (n.domain === 'com.microsoft') {
    parts.push(
      target === 'coreml-ep'
        ? `${n.op} is an ONNX Runtime contrib op that its own optimizations create; the Core ML provider does not take such fused ops (E9), so it runs on the CPU.`
        : `${n.op} is an ONNX Runtime contrib op (com.microsoft) created by its optimizations (E9); Core ML has no counterpart, and S2 lists GELU among the patterns the Neural Engine handles poorly.`,
    );
  } else {
    parts.push(
      target === 'coreml-ep'
        ? "ONNX Runtime's Core ML provider hands it to Core ML, where S2 lists GELU among the patterns the Neural Engine handles poorly."
        : 'S2 lists GELU among the patterns the Neural Engine handles poorly.',
    );
  }
  const blocked = rewriteBlocker(n);
  parts.push(todo(a, n.domain === 'com.microsoft', blocked, n.inputNames !== undefined));
  const x = n.inputNames ? n.input('x') : arg(n, 0);
  return {
    nodes: [n],
    message: parts.join(' '),
    fixable: a === 'exact' && !blocked,
    ...(n.domain === 'com.microsoft' ? { fact: 'E9' } : {}),
    data: { form: 'fused', op: n.op, domain: n.domain, approximation: a, input: x?.name ?? null, output: n.outputs[0]?.name ?? null },
  };
}

function written(target: TargetId, w: Written): Finding {
  const ops = w.nodes.map((n) => n.op).join(', ');
  const parts = [`${FORM_TEXT[w.approximation]}, written out as ${w.nodes.length} ops (${ops}).`];
  const base =
    target === 'coreml-ep'
      ? "ONNX Runtime's Core ML provider hands these ops to Core ML one by one, where S2 lists GELU among the patterns the Neural Engine handles poorly"
      : 'S2 lists GELU among the patterns the Neural Engine handles poorly, and written out it costs one Neural Engine op per step';
  const cube = w.approximation === 'tanh' ? '; the x³ term is computed in float16 (A1) and overflows for |x| above about 40' : '';
  parts.push(`${base}${cube}.`);
  const blocked = rewriteBlocker(w.root);
  parts.push(todo(w.approximation, false, blocked, w.root.inputNames !== undefined));
  return {
    nodes: w.nodes,
    message: parts.join(' '),
    fixable: w.approximation === 'exact' && !blocked,
    ...(w.approximation === 'tanh' ? { fact: 'A1' } : {}),
    data: {
      form: w.approximation === 'exact' ? 'erf' : w.approximation,
      approximation: w.approximation,
      input: w.x.name,
      output: w.root.outputs[0]?.name ?? null,
      factor: w.factor,
    },
  };
}

function todo(a: Approximation, contrib: boolean, blocked: string | undefined, mil: boolean): string {
  const steps: string[] = [];
  if (contrib) steps.push('lint the model as exported, or run ONNX Runtime at the basic optimization level so it does not fuse GELU into a contrib op (E9)');
  if (a === 'exact' && blocked) {
    steps.push(`replace exact GELU with its tanh approximation (not done automatically: ${blocked})`);
  } else if (a === 'exact' && mil) {
    steps.push('graphlint --fix-unsafe replaces exact GELU with one gelu op in its tanh approximation (mode TANH_APPROXIMATION; it differs from exact GELU by at most about 5e-4)');
  } else if (a === 'exact') {
    steps.push(
      'graphlint --fix-unsafe replaces exact GELU with the tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), built from tanh, mul and add only (it differs from exact GELU by at most about 5e-4)',
    );
  }
  steps.push('where accuracy allows, retrain with ReLU, which S2 does not list');
  return `To do: ${steps.join('; ')}.`;
}

