import { constantNumbers, constantTensor, SMALL_CONSTANT } from '../src/analysis/constants.js';
import { FLOAT16_MAX, flushesToZero, isSubnormal16, overflows, toFloat16 } from '../src/analysis/float16.js';
import { defineRule, type Finding, type RuleContext } from '../src/engine/rule.js';
import type { Node, Value } from '../src/ir/graph.js';
import type { DType } from '../src/ir/dtype.js';
import { fixFp16Range } from '../src/rewrite/fixes/fp16-range.js';
import { rewriteBlocker } from '../src/rewrite/support.js';

export interface Options {
  /** Also report epsilons that survive only as float16 subnormals (nonzero but below 6.1e-5), at info. */
  readonly reportSubnormal: boolean;
}

const DEFAULTS: Options = { reportSubnormal: false };

/** What the fix (issue 6, --fix-unsafe) raises a vanished epsilon to: PyTorch's LayerNorm default. */
export const SUGGESTED_EPSILON = 1e-5;

/** Readers for which a constant turning into ±inf or 0 changes nothing that matters. */
const COMPARISONS = new Set(['equal', 'not_equal', 'greater', 'greater_equal', 'less', 'less_equal']);
const SATURATING = new Set([...COMPARISONS, 'clip', 'maximum', 'minimum']);

/** Element types a converter casts to float16 for the Neural Engine. */
const WIDE_FLOATS: ReadonlySet<DType> = new Set<DType>(['float32', 'float64', 'bfloat16']);

export default defineRule<Options>({
  meta: {
    id: 'fp16-range',
    description: 'constants or attributes that do not survive float16 (e.g. LayerNorm epsilon 1e-12)',
    targets: ['ane'],
    severity: 'warning',
    fixable: 'unsafe',
    facts: ['A1', 'A2'],
    schema: {
      type: 'object',
      properties: {
        reportSubnormal: {
          type: 'boolean',
          default: false,
          description:
            'Also report epsilons that stay nonzero in float16 only as subnormals (below 6.1e-5, e.g. 1e-6), at info. Off by default: Apple\'s own port uses 1e-7 (A2).',
        },
      },
      additionalProperties: false,
    },
    defaultOptions: DEFAULTS,
  },
  check(ctx) {
    const options: Options = { ...DEFAULTS, ...(ctx.options ?? {}) };
    const findings: Finding[] = [];
    const seen = new Set<Value>();
    const nodes = ctx.nodes();
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      epsilonAttribute(ctx, n, options, findings);
      fillValue(n, findings);
      for (const v of n.inputs) {
        // Only constants are judged: the set of those seen stays small on a big graph.
        if (!v || (v.constant === null && v.producer?.op !== 'Constant') || seen.has(v)) continue;
        seen.add(v);
        constantValue(ctx, v, options, findings);
      }
    }
    // A finding graphlint cannot write back (NeuralNetwork layers) is not offered as a fix.
    return findings.map((f) => (f.fixable !== false && f.nodes.some((n) => rewriteBlocker(n)) ? { ...f, fixable: false } : f));
  },

  fix: (finding, builder) => fixFp16Range(finding, builder),
});

/** A float attribute named epsilon (ONNX norms, NeuralNetwork mvn/batchnorm/layerNormalization/unary). */
function epsilonAttribute(ctx: RuleContext<Options>, n: Node, options: Options, findings: Finding[]): void {
  for (const name of ['epsilon', 'eps']) {
    const a = n.attrs.get(name);
    if (a?.type !== 'float') continue;
    const eps = a.value;
    if (flushesToZero(eps)) {
      findings.push({
        nodes: [n],
        fact: 'A2',
        message:
          `${n.label} (${n.op}) has ${name} ${fmt(eps)}, which is 0 in float16, the Neural Engine's native type (A1): the smallest nonzero float16 is 6e-8. ` +
          `With a zero epsilon a constant (zero-variance) input divides by zero and gives inf or NaN; Apple's own port raised LayerNorm epsilon 1e-12 to 1e-7 (A2). ` +
          `Raise it to ${fmt(SUGGESTED_EPSILON)} (or at least 1e-7).`,
        data: { where: 'attribute', attribute: name, value: eps, float16: 0, suggested: SUGGESTED_EPSILON },
      });
    } else if (options.reportSubnormal && isSubnormal16(eps)) {
      findings.push(subnormalFinding(n, `${name} ${fmt(eps)} of ${n.label} (${n.op})`, eps, { where: 'attribute', attribute: name }));
    } else if (eps !== 0 && Number.isFinite(eps)) {
      ctx.debug(`${name} ${fmt(eps)} is ${fmt(toFloat16(eps))} in float16: kept`, n);
    }
  }
}

/** ONNX ConstantOfShape carries its fill value as a tensor attribute. */
function fillValue(n: Node, findings: Finding[]): void {
  if (n.op !== 'ConstantOfShape') return;
  const a = n.attrs.get('value');
  if (a?.type !== 'tensor' || !WIDE_FLOATS.has(a.value.dtype)) return;
  let nums: number[] | undefined;
  try {
    nums = a.value.numbers(1);
  } catch {
    return;
  }
  const x = nums?.[0];
  if (x === undefined || !overflows(x)) return;
  findings.push(overflowFinding([n], `the fill value of ${n.label}`, [x], { where: 'attribute', attribute: 'value', node: n.path }));
}

function constantValue(ctx: RuleContext<Options>, v: Value, options: Options, findings: Finding[]): void {
  const dtype = floatDtype(v);
  if (dtype === undefined || !WIDE_FLOATS.has(dtype)) return;
  const count = constantTensor(v)?.elementCount;
  if (count !== undefined && count > 1 && isWeight(v)) return; // weights stay on disk, however small
  const nums = constantNumbers(v, SMALL_CONSTANT); // never more than a small constant
  if (!nums || nums.length === 0) return;
  const producer = v.producer && (v.producer.kind === 'const' || v.producer.op === 'Constant') ? [v.producer] : [];

  // Underflow: a scalar that vanishes (an epsilon, an offset inside log/sqrt, a clamp floor).
  if (nums.length === 1) {
    const x = nums[0]!;
    const readers = readersExcept(v, COMPARISONS);
    if (readers.length > 0 && flushesToZero(x)) {
      findings.push({
        nodes: [...producer, ...readers],
        fact: 'A1',
        message:
          `Constant ${v.name} = ${fmt(x)} (read by ${labels(readers)}) is 0 in float16, the Neural Engine's native type (A1); the smallest nonzero float16 is 6e-8. ` +
          `${epsilonRole(readers)}Apple's own port raised LayerNorm epsilon 1e-12 to 1e-7 for this reason (A2). Raise it to ${fmt(SUGGESTED_EPSILON)} (or at least 1e-7).`,
        data: { where: 'constant', value: v.name, number: x, float16: 0, suggested: SUGGESTED_EPSILON },
      });
      return;
    }
    if (readers.length > 0 && options.reportSubnormal && isSubnormal16(x) && readers.some(isEpsilonReader)) {
      findings.push(subnormalFinding(readers[0]!, `constant ${v.name} = ${fmt(x)}`, x, { where: 'constant', value: v.name }, [...producer, ...readers]));
      return;
    }
  }

  // Overflow: values beyond ±65504 become ±inf (attention masks of -1e9 or -3.4e38).
  const big = nums.filter(overflows);
  if (big.length === 0) return;
  const readers = readersExcept(v, SATURATING);
  if (readers.length === 0) {
    ctx.debug(`${v.name} holds ${fmt(big[0]!)} (inf in float16) but is only compared or used as a clamp bound`, v.uses[0]?.node);
    return;
  }
  findings.push(overflowFinding([...producer, ...readers], `constant ${v.name} (read by ${labels(readers)})`, big, { where: 'constant', value: v.name }));
}

function overflowFinding(nodes: Node[], what: string, big: readonly number[], where: Record<string, unknown>): Finding {
  const worst = big.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a));
  const count = big.length === 1 ? 'holds' : `holds ${big.length} values such as`;
  const largest = fmt(worst);
  return {
    nodes,
    fact: 'A1',
    message:
      `${capitalize(what)} ${count} ${largest}, beyond the float16 range of ±${FLOAT16_MAX}: on the Neural Engine, which computes in float16 (A1), it becomes ${worst < 0 ? '-inf' : 'inf'}, ` +
      'and inf times 0 or inf minus inf gives NaN (a classic with attention masks built as (1 - mask) × -1e9). ' +
      `Clamp it to ${worst < 0 ? '-' : ''}${FLOAT16_MAX} (or use -1e4 for masks).`,
    data: { ...where, values: big.length, largest: worst, clampTo: Math.sign(worst) * FLOAT16_MAX },
  };
}

function subnormalFinding(at: Node, what: string, x: number, where: Record<string, unknown>, nodes: Node[] = [at]): Finding {
  return {
    nodes,
    severity: 'info',
    fixable: false,
    fact: 'A1',
    message:
      `${capitalize(what)} survives float16 only as a subnormal (${fmt(toFloat16(x))}; normal float16 starts at 6.1e-5), ` +
      'with few bits of precision, and hardware that flushes subnormals makes it 0 (A1). Apple\'s port uses 1e-7, also subnormal (A2), so this is usually fine; ' +
      'raise it to 6.1e-5 or more if a float16 run shows inf or NaN here.',
    data: { ...where, number: x, float16: toFloat16(x), suggested: SUGGESTED_EPSILON },
  };
}

/** The element type of a constant value, including ONNX Constant nodes with value_float(s). */
function floatDtype(v: Value): DType | undefined {
  const t = constantTensor(v);
  if (t) return t.dtype;
  const p = v.producer;
  if (p && p.op === 'Constant' && (p.attrs.has('value_float') || p.attrs.has('value_floats'))) return 'float32';
  return undefined;
}

function readersExcept(v: Value, harmless: ReadonlySet<string>): Node[] {
  const out: Node[] = [];
  for (const u of v.uses) if (!harmless.has(u.node.kind) && !out.includes(u.node)) out.push(u.node);
  return out;
}

/**
 * Kinds whose constant inputs past the data input are weights (and gather's table, input 0).
 * Scalars are still read: one number is not a weight, and epsilons live there.
 */
const WEIGHTED_KINDS = new Set([
  'conv', 'conv_transpose', 'linear', 'matmul', 'einsum', 'batch_norm', 'instance_norm', 'layer_norm', 'prelu',
  'lstm', 'gru', 'rnn', 'gather',
]);
/** The names MIL gives weight inputs of those kinds. */
const WEIGHT_INPUT_NAMES = new Set(['weight', 'bias', 'gamma', 'beta', 'mean', 'variance', 'alpha', 'y', 'weight_ih', 'weight_hh', 'values']);

function isWeight(v: Value): boolean {
  for (const u of v.uses) {
    const n = u.node;
    if (!WEIGHTED_KINDS.has(n.kind)) continue;
    const name = n.inputNames?.[u.index];
    if (n.kind === 'gather' ? (name === undefined ? u.index === 0 : name === 'x') : name === undefined ? u.index >= 1 : WEIGHT_INPUT_NAMES.has(name)) return true;
  }
  return false;
}

/** An add whose result goes into sqrt/rsqrt/log/division: the usual home of an epsilon. */
function isEpsilonReader(n: Node): boolean {
  if (NORM_KINDS.has(n.kind) || n.kind === 'maximum') return true;
  if (n.kind !== 'add') return false;
  return n.outputs.some((o) => o.uses.some((u) => EPSILON_SINKS.has(u.node.kind)));
}

const NORM_KINDS = new Set(['layer_norm', 'instance_norm', 'batch_norm', 'l2_norm', 'rsqrt']);

const EPSILON_SINKS = new Set(['sqrt', 'rsqrt', 'log', 'real_div', 'inverse', 'pow']);

function epsilonRole(readers: readonly Node[]): string {
  const norm = readers.find((r) => NORM_KINDS.has(r.kind));
  if (norm) return `It is the epsilon of ${norm.label} (${norm.op}): with a zero epsilon, a constant (zero-variance) input divides by zero and gives inf or NaN. `;
  const add = readers.find((r) => r.kind === 'add' && r.outputs.some((o) => o.uses.some((u) => EPSILON_SINKS.has(u.node.kind))));
  if (add) {
    const sink = add.outputs.flatMap((o) => o.uses).find((u) => EPSILON_SINKS.has(u.node.kind))!.node;
    return `It is the epsilon added before ${sink.label} (${sink.op}): without it, a zero input gives inf or NaN there. `;
  }
  if (readers.some((r) => r.kind === 'maximum')) return 'It is a clamp floor: without it, a zero passes through to what follows. ';
  return '';
}

function labels(nodes: readonly Node[]): string {
  const shown = nodes.slice(0, 3).map((n) => n.label).join(', ');
  return nodes.length > 3 ? `${shown} and ${nodes.length - 3} more` : shown;
}

/** A float32 value as people write it: 1e-6, not 9.999999974752427e-7. */
function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e9) return String(x);
  const r = Number(x.toPrecision(6));
  return r !== 0 && (Math.abs(r) < 1e-3 || Math.abs(r) >= 1e9) ? r.toExponential() : String(r);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
