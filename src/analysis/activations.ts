import type { Node, Value } from '../ir/graph.js';
import { constantScalar } from './constants.js';
import { arg, numberParam } from './op-params.js';

/**
 * The SiLU family and the hard sigmoid, fused or written out, in every spelling the
 * exporters produce. Shared by the `silu` rule (which reports them) and the
 * `squeeze-excitation` rule (which accepts them as the block's activation and gate).
 *
 * Forms recognised at a root node (the node whose output is the activation's output):
 * - fused: MIL `silu`, ONNX `HardSwish` (opset 14), ONNX `Swish` (opset 24);
 * - x·sigmoid(x), either operand order;
 * - x·HardSigmoid(x) with alpha 1/6, beta 0.5 (PyTorch's hardswish below opset 14, MIL);
 * - x·relu6(x+3)/6: Div by 6 or Mul by 1/6, applied to the product or to relu6(x+3) first,
 *   with relu6 as Clip(0,6) (bounds as attributes below opset 11, as inputs from 11),
 *   MIL relu6/clip, or Min(Relu(·), 6) / Min(Max(·, 0), 6).
 */
export type SwishFamily = 'silu' | 'hard-swish';

export interface SwishMatch {
  readonly family: SwishFamily;
  /** Short name of the spelling, for messages and fixes. */
  readonly form: 'silu' | 'hardswish' | 'swish' | 'x*sigmoid(x)' | 'x*hardsigmoid(x)' | 'x*relu6(x+3)/6';
  readonly root: Node;
  readonly x: Value;
  /** Every op of the instance, root included (constants excluded). */
  readonly nodes: readonly Node[];
}

export type Matched<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const yes = <T>(value: T): Matched<T> => ({ ok: true, value });
const no = <T>(reason: string): Matched<T> => ({ ok: false, reason });

const near = (x: number | undefined, want: number, tol = 2e-3): boolean =>
  x !== undefined && Math.abs(x - want) <= tol * Math.max(1, Math.abs(want));

/** alpha and beta of a hard sigmoid (ONNX/MIL default 0.2 and 0.5 when unstated). */
export function hardSigmoidParams(n: Node): { alpha: number; beta: number } {
  return { alpha: numberParam(n, 'alpha') ?? 0.2, beta: numberParam(n, 'beta') ?? 0.5 };
}

/** Lower and upper bound of a clip node in any format (±Infinity when absent). */
export function clipBounds(n: Node): { min: number | undefined; max: number | undefined } {
  if (n.inputNames) return { min: numberParam(n, 'alpha'), max: numberParam(n, 'beta') };
  if (n.attrs.has('minVal') || n.attrs.has('maxVal')) {
    return { min: numberParam(n, 'minVal') ?? -Infinity, max: numberParam(n, 'maxVal') ?? Infinity };
  }
  if (n.attrs.has('min') || n.attrs.has('max')) {
    return { min: numberParam(n, 'min') ?? -3.4028234663852886e38, max: numberParam(n, 'max') ?? 3.4028234663852886e38 };
  }
  const lo = arg(n, 1);
  const hi = arg(n, 2);
  return {
    min: lo ? constantScalar(lo) : -Infinity,
    max: hi ? constantScalar(hi) : Infinity,
  };
}

/** `v` computed as relu6(u): the ops and u. */
export function relu6Of(v: Value): Matched<{ input: Value; nodes: Node[] }> {
  const p = v.producer;
  if (!p) return no(`${v.name} has no producer (expected relu6/clip)`);
  const input = arg(p, 0);
  if ((p.kind === 'relu6' || p.kind === 'clip') && !input) return no(`${p.label} has no input`);
  if (p.kind === 'relu6') return yes({ input: input!, nodes: [p] });
  if (p.kind === 'clip') {
    const { min, max } = clipBounds(p);
    if (!near(min, 0) || !near(max, 6)) return no(`${p.label} clips to [${min}, ${max}], not [0, 6]`);
    return yes({ input: input!, nodes: [p] });
  }
  if (p.kind === 'minimum' && p.inputs.length === 2) {
    for (const [a, b] of [[0, 1], [1, 0]] as const) {
      if (!near(constantScalar(arg(p, b)), 6)) continue;
      const q = arg(p, a)?.producer;
      if (q?.kind === 'relu') return yes({ input: arg(q, 0)!, nodes: [p, q] });
      if (q?.kind === 'maximum' && q.inputs.length === 2) {
        for (const [c, d] of [[0, 1], [1, 0]] as const) {
          if (near(constantScalar(arg(q, d)), 0) && arg(q, c)) return yes({ input: arg(q, c)!, nodes: [p, q] });
        }
      }
    }
    return no(`${p.label} is not min(relu(·), 6)`);
  }
  return no(`${p.label} is ${p.kind}, expected relu6 or clip(0, 6)`);
}

/** `v` computed as u + 3 (either order): the add node and u. */
function plusThree(v: Value): Matched<{ input: Value; node: Node }> {
  const p = v.producer;
  if (!p || p.kind !== 'add' || p.inputs.length !== 2) return no(`${v.name} is not computed by an add (expected x + 3)`);
  for (const [a, b] of [[0, 1], [1, 0]] as const) {
    if (near(constantScalar(arg(p, b)), 3) && arg(p, a)) return yes({ input: arg(p, a)!, node: p });
  }
  return no(`${p.label} does not add 3`);
}

/** `root` divides by 6 or multiplies by 1/6: the other operand. */
function sixth(root: Node): Value | undefined {
  if (root.kind === 'real_div' && near(constantScalar(arg(root, 1)), 6)) return arg(root, 0) ?? undefined;
  if (root.kind === 'mul' && root.inputs.length === 2) {
    for (const [a, b] of [[0, 1], [1, 0]] as const) if (near(constantScalar(arg(root, b)), 1 / 6)) return arg(root, a) ?? undefined;
  }
  return undefined;
}

/**
 * relu6(u + 3) / 6 written out, rooted at the Div (or Mul by 1/6): a hard sigmoid of u
 * (alpha 1/6, beta 0.5). Returns u and the ops.
 */
export function writtenHardSigmoid(root: Node): Matched<{ input: Value; nodes: Node[] }> {
  const r = sixth(root);
  if (!r) return no(`${root.label} does not divide by 6`);
  const relu6 = relu6Of(r);
  if (!relu6.ok) return no(relu6.reason);
  const plus = plusThree(relu6.value.input);
  if (!plus.ok) return no(plus.reason);
  return yes({ input: plus.value.input, nodes: [root, ...relu6.value.nodes, plus.value.node] });
}

/** A gate: sigmoid, hard sigmoid (any alpha), or relu6(u+3)/6. Returns its input and ops. */
export function gateOf(v: Value): Matched<{ input: Value; nodes: Node[]; kind: 'sigmoid' | 'hard-sigmoid' }> {
  const p = v.producer;
  if (!p) return no(`${v.name} has no producer (expected a sigmoid)`);
  const input = arg(p, 0);
  if (p.kind === 'sigmoid' || p.kind === 'sigmoid_hard' || p.op === 'HardSigmoid') {
    if (!input) return no(`${p.label} has no input`);
    return yes({ input, nodes: [p], kind: p.kind === 'sigmoid' ? 'sigmoid' : 'hard-sigmoid' });
  }
  const w = writtenHardSigmoid(p);
  if (w.ok) return yes({ ...w.value, kind: 'hard-sigmoid' });
  return no(`${p.label} is ${p.kind}, expected sigmoid or hard sigmoid`);
}

const FUSED: Readonly<Record<string, SwishMatch['form']>> = { silu: 'silu', HardSwish: 'hardswish', Swish: 'swish' };

function isDefaultDomain(n: Node): boolean {
  return n.domain === '' || n.domain === 'ai.onnx';
}

/** The SiLU-family activation whose output `root` computes, or why not. */
export function matchSwish(root: Node): Matched<SwishMatch> {
  const input = arg(root, 0);
  if (root.kind === 'silu' && input) return yes({ family: 'silu', form: 'silu', root, x: input, nodes: [root] });
  if ((root.op === 'HardSwish' || root.op === 'Swish') && isDefaultDomain(root) && input) {
    const form = FUSED[root.op]!;
    if (root.op === 'Swish') {
      const alpha = numberParam(root, 'alpha') ?? 1;
      if (!near(alpha, 1)) return no(`${root.label} is Swish with alpha ${alpha}, not SiLU`);
    }
    return yes({ family: form === 'hardswish' ? 'hard-swish' : 'silu', form, root, x: input, nodes: [root] });
  }
  if (root.kind !== 'mul' && root.kind !== 'real_div') return no(`${root.label} is ${root.kind}`);

  // x·relu6(x+3)/6 with the division applied last.
  const product = sixth(root);
  if (product?.producer?.kind === 'mul') {
    const m = product.producer;
    for (const [a, b] of [[0, 1], [1, 0]] as const) {
      const x = arg(m, a);
      const r = arg(m, b);
      if (!x || !r) continue;
      const relu6 = relu6Of(r);
      if (!relu6.ok) continue;
      const plus = plusThree(relu6.value.input);
      if (!plus.ok || plus.value.input !== x) continue;
      return yes({ family: 'hard-swish', form: 'x*relu6(x+3)/6', root, x, nodes: [root, m, ...relu6.value.nodes, plus.value.node] });
    }
  }
  if (root.kind !== 'mul' || root.inputs.length !== 2) return no(`${root.label} does not compute x·relu6(x+3)/6`);

  let reason = `${root.label}: neither operand is a sigmoid of the other`;
  for (const [a, b] of [[0, 1], [1, 0]] as const) {
    const x = arg(root, a);
    const g = arg(root, b);
    const p = g?.producer;
    if (!x || !g || !p) continue;
    if (p.kind === 'sigmoid') {
      if (arg(p, 0) === x) return yes({ family: 'silu', form: 'x*sigmoid(x)', root, x, nodes: [root, p] });
      reason = `${root.label} multiplies ${x.name} by the sigmoid of another value (${arg(p, 0)?.name}): a gate, not SiLU`;
      continue;
    }
    if (p.kind === 'sigmoid_hard' || p.op === 'HardSigmoid') {
      const { alpha, beta } = hardSigmoidParams(p);
      if (arg(p, 0) !== x) {
        reason = `${root.label} multiplies ${x.name} by the hard sigmoid of another value: a gate, not hard-swish`;
        continue;
      }
      if (!near(alpha, 1 / 6) || !near(beta, 0.5)) {
        reason = `${p.label} has alpha ${alpha}, beta ${beta}; hard-swish needs 1/6 and 0.5`;
        continue;
      }
      // coremltools writes hardswish as t = thresholded_relu(x, -3); t · sigmoid_hard(t): the
      // thresholded_relu (read only by these two) belongs to the activation.
      const t = x.producer;
      if (t?.kind === 'thresholded_relu' && near(numberParam(t, 'alpha'), -3) && x.uses.length === 2 && arg(t, 0)) {
        return yes({ family: 'hard-swish', form: 'x*hardsigmoid(x)', root, x: arg(t, 0)!, nodes: [root, p, t] });
      }
      return yes({ family: 'hard-swish', form: 'x*hardsigmoid(x)', root, x, nodes: [root, p] });
    }
    const w = writtenHardSigmoid(p);
    if (w.ok) {
      if (w.value.input === x) return yes({ family: 'hard-swish', form: 'x*relu6(x+3)/6', root, x, nodes: [root, ...w.value.nodes] });
      reason = `${root.label} multiplies ${x.name} by a hard sigmoid of another value: a gate, not hard-swish`;
    }
  }
  return no(reason);
}
