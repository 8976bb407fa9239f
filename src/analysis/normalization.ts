import type { Node, Value } from '../ir/graph.js';
import { constantScalar, isConstant } from './constants.js';
import { arg, intsParam, normalizeAxes, numberParam, rankOf, reduceAxes, sameAxes, shapeOf } from './op-params.js';

/**
 * Mean/variance normalization written out as elementwise ops, shared by the `layer-norm`
 * and `instance-norm` rules (which one reports an instance depends on the axes it reduces
 * over and on the reshapes around it; see `classifyNorm`).
 *
 *   d   = x − reduce_mean(x, axes)
 *   var = reduce_mean(d², axes)            d² as Pow(d, 2), Mul(d, d) or square(d)
 *   y   = d / sqrt(var + eps)              or d / (sqrt(var) + eps)
 *       = d · 1/sqrt(var + eps)            Reciprocal(Sqrt), rsqrt (MIL, NN), Pow(·, −0.5), Div(1, Sqrt)
 *   out = y · gamma + beta                 optional, either or both, either order, constants only
 *
 * The epsilon may sit on either side of its Add; the squared term may use the same Sub as
 * the numerator or a second Sub of the same x and mean.
 */
export interface NormCore {
  /** The node whose output is the normalized value (before any affine). */
  readonly core: Node;
  /** The last node of the instance (the affine Add/Mul when present, else `core`). */
  readonly root: Node;
  readonly x: Value;
  readonly axes: number[] | 'all' | undefined;
  readonly epsilon: number;
  /** Where epsilon enters: added to the variance, added to the standard deviation, or none. */
  readonly epsilonPlacement: 'variance' | 'std' | 'none';
  /** How 1/std is applied. */
  readonly divide: 'div-sqrt' | 'mul-reciprocal-sqrt' | 'mul-rsqrt' | 'mul-pow' | 'div-one-over-sqrt';
  readonly square: 'pow' | 'mul' | 'square';
  readonly scale: Value | null;
  readonly bias: Value | null;
  /** Every op of the instance (constants excluded), in graph order. */
  readonly nodes: readonly Node[];
}

type R<T> = { ok: true; value: T } | { ok: false; reason: string };
const yes = <T>(value: T): R<T> => ({ ok: true, value });
const no = <T>(reason: string): R<T> => ({ ok: false, reason });

interface Centered {
  x: Value;
  sub: Node;
  mean: Node;
  axes: number[] | 'all' | undefined;
}

/** `v` = x − reduce_mean(x). */
function centered(v: Value | null | undefined): R<Centered> {
  const sub = v?.producer;
  if (!sub || sub.kind !== 'sub') return no(`${v?.name ?? '?'} is not computed by a sub (expected x − mean(x))`);
  const x = arg(sub, 0);
  const m = arg(sub, 1);
  const mean = m?.producer;
  if (!x || !mean || mean.kind !== 'reduce_mean') return no(`${sub.label} does not subtract a reduce_mean`);
  if (arg(mean, 0) !== x) return no(`${sub.label} subtracts the mean of another value`);
  return yes({ x, sub, mean, axes: reduceAxes(mean) });
}

interface Variance {
  nodes: Node[];
  squareForm: NormCore['square'];
}

/** `sq` squares one value (Pow(v, 2), Mul(v, v), square(v)): that value and the spelling. */
function squared(sq: Node | null | undefined): { base: Value; form: NormCore['square'] } | undefined {
  if (!sq) return undefined;
  const base = arg(sq, 0);
  if (!base) return undefined;
  if (sq.kind === 'pow') return constantScalar(arg(sq, 1)) === 2 ? { base, form: 'pow' } : undefined;
  if (sq.kind === 'mul') return arg(sq, 1) === base ? { base, form: 'mul' } : undefined;
  if (sq.kind === 'square') return { base, form: 'square' };
  return undefined;
}

/**
 * `v` = the variance of x over the mean's axes: reduce_mean((x − mean)²), or
 * reduce_mean(x²) − mean² (the form of ONNX's own LayerNormalization function body).
 */
function variance(v: Value | null | undefined, c: Centered): R<Variance> {
  const reduce = v?.producer;
  const rank = rankOf(c.x);
  if (reduce?.kind === 'sub') {
    const meanOfSquare = arg(reduce, 0)?.producer;
    const squareOfMean = squared(arg(reduce, 1)?.producer);
    if (!meanOfSquare || meanOfSquare.kind !== 'reduce_mean' || !squareOfMean || squareOfMean.base !== c.mean.outputs[0]) {
      return no(`${reduce.label} is not mean(x²) − mean(x)²`);
    }
    const sq = arg(meanOfSquare, 0)?.producer;
    const inner = squared(sq);
    if (!inner || inner.base !== c.x) return no(`${meanOfSquare.label} does not average x²`);
    if (!sameAxes(reduceAxes(meanOfSquare), c.axes, rank)) return no(`${meanOfSquare.label} averages over other axes than the mean`);
    return yes({ nodes: [reduce, meanOfSquare, sq!, arg(reduce, 1)!.producer!], squareForm: inner.form });
  }
  if (!reduce || reduce.kind !== 'reduce_mean') return no(`${v?.name ?? '?'} is not a reduce_mean (expected the variance)`);
  const sq = arg(reduce, 0)?.producer;
  const s2 = squared(sq);
  if (!sq || !s2) return no(`${reduce.label} does not average a square`);
  const nodes = [reduce, sq];
  if (s2.base !== c.sub.outputs[0]) {
    const again = centered(s2.base);
    if (!again.ok || again.value.x !== c.x) return no(`${sq.label} squares something other than x − mean(x)`);
    if (again.value.mean !== c.mean) return no(`${sq.label} squares x minus another mean`);
    nodes.push(again.value.sub);
  }
  if (!sameAxes(reduceAxes(reduce), c.axes, rank)) return no(`${reduce.label} averages over other axes than the mean`);
  return yes({ nodes, squareForm: s2.form });
}

interface Std {
  nodes: Node[];
  variance: Variance;
  epsilon: number;
  placement: NormCore['epsilonPlacement'];
}

/** A constant scalar, possibly behind a Cast (ONNX function bodies cast epsilon to T). */
function scalarOf(v: Value | null | undefined): { value: number; cast: Node | null } | undefined {
  const direct = constantScalar(v);
  if (direct !== undefined) return { value: direct, cast: null };
  const p = v?.producer;
  if (p?.kind !== 'cast') return undefined;
  const inner = constantScalar(arg(p, 0));
  return inner === undefined ? undefined : { value: inner, cast: p };
}

/** `v` + eps (either order) → the other operand and eps (with its Cast, if any, in `nodes`). */
function plusEpsilon(v: Value | null | undefined): { node: Node; nodes: Node[]; other: Value; eps: number } | undefined {
  const p = v?.producer;
  if (!p || p.kind !== 'add' || p.inputs.length !== 2) return undefined;
  for (const [a, b] of [[0, 1], [1, 0]] as const) {
    const eps = scalarOf(arg(p, b));
    const other = arg(p, a);
    if (eps && eps.value >= 0 && eps.value < 1 && other) {
      return { node: p, nodes: eps.cast ? [p, eps.cast] : [p], other, eps: eps.value };
    }
  }
  return undefined;
}

/** `v` = sqrt(var + eps), sqrt(var) + eps, or sqrt(var). */
function stdDev(v: Value | null | undefined, c: Centered): R<Std> {
  const outer = plusEpsilon(v);
  if (outer && outer.other.producer?.kind === 'sqrt') {
    const sqrt = outer.other.producer;
    const vr = variance(arg(sqrt, 0), c);
    if (!vr.ok) return no(vr.reason);
    return yes({ nodes: [...outer.nodes, sqrt], variance: vr.value, epsilon: outer.eps, placement: 'std' });
  }
  const sqrt = v?.producer;
  if (!sqrt || sqrt.kind !== 'sqrt') return no(`${v?.name ?? '?'} is not a square root (expected the standard deviation)`);
  const inner = plusEpsilon(arg(sqrt, 0));
  if (inner) {
    const vr = variance(inner.other, c);
    if (!vr.ok) return no(vr.reason);
    return yes({ nodes: [sqrt, ...inner.nodes], variance: vr.value, epsilon: inner.eps, placement: 'variance' });
  }
  const vr = variance(arg(sqrt, 0), c);
  if (!vr.ok) return no(vr.reason);
  return yes({ nodes: [sqrt], variance: vr.value, epsilon: 0, placement: 'none' });
}

/** `v` = 1/std in one of its spellings. */
function inverseStd(v: Value | null | undefined, c: Centered): R<{ std: Std; nodes: Node[]; divide: NormCore['divide'] }> {
  const p = v?.producer;
  if (!p) return no(`${v?.name ?? '?'} has no producer (expected 1/std)`);
  if (p.kind === 'inverse') {
    const s = stdDev(arg(p, 0), c);
    if (!s.ok) return no(s.reason);
    // MIL inverse carries its own epsilon (added to the denominator).
    return yes({ std: s.value, nodes: [p], divide: 'mul-reciprocal-sqrt' });
  }
  if (p.kind === 'real_div' && constantScalar(arg(p, 0)) === 1) {
    const s = stdDev(arg(p, 1), c);
    if (!s.ok) return no(s.reason);
    return yes({ std: s.value, nodes: [p], divide: 'div-one-over-sqrt' });
  }
  if (p.kind === 'rsqrt' || (p.kind === 'pow' && near(constantScalar(arg(p, 1)), -0.5))) {
    // MIL and NeuralNetwork rsqrt carry their own epsilon (added under the root).
    const own = p.kind === 'rsqrt' ? numberParam(p, 'epsilon') : undefined;
    const inner = plusEpsilon(arg(p, 0));
    const vr = variance(inner ? inner.other : arg(p, 0), c);
    if (!vr.ok) return no(vr.reason);
    const epsilon = (inner?.eps ?? 0) + (own ?? 0);
    const std: Std = {
      nodes: inner ? inner.nodes : [],
      variance: vr.value,
      epsilon,
      placement: epsilon > 0 || inner ? 'variance' : 'none',
    };
    return yes({ std, nodes: [p], divide: p.kind === 'rsqrt' ? 'mul-rsqrt' : 'mul-pow' });
  }
  return no(`${p.label} is ${p.kind}, expected 1/sqrt(variance + eps)`);
}

function near(x: number | undefined, want: number): boolean {
  return x !== undefined && Math.abs(x - want) < 1e-6;
}

/** The written-out normalization whose normalized value `core` computes (before any affine). */
export function matchNormCore(core: Node): R<Omit<NormCore, 'root' | 'scale' | 'bias' | 'nodes'> & { nodes: Node[] }> {
  if (core.kind === 'real_div') {
    const c = centered(arg(core, 0));
    if (!c.ok) return no(c.reason);
    const s = stdDev(arg(core, 1), c.value);
    if (!s.ok) return no(s.reason);
    return yes(assemble(core, c.value, s.value, [], 'div-sqrt'));
  }
  if (core.kind === 'mul' && core.inputs.length === 2) {
    let reason = `${core.label} does not multiply x − mean(x) by 1/std`;
    for (const [a, b] of [[0, 1], [1, 0]] as const) {
      const c = centered(arg(core, a));
      if (!c.ok) continue;
      const inv = inverseStd(arg(core, b), c.value);
      if (!inv.ok) {
        reason = inv.reason;
        continue;
      }
      return yes(assemble(core, c.value, inv.value.std, inv.value.nodes, inv.value.divide));
    }
    return no(reason);
  }
  return no(`${core.label} is ${core.kind}, expected a div or mul`);
}

function assemble(core: Node, c: Centered, s: Std, extra: Node[], divide: NormCore['divide']) {
  const v = s.variance;
  const nodes = [core, ...extra, ...s.nodes, ...v.nodes, c.sub, c.mean];
  return {
    core,
    x: c.x,
    axes: c.axes,
    epsilon: s.epsilon,
    epsilonPlacement: s.placement,
    divide,
    square: v.squareForm,
    nodes: [...new Set(nodes)],
  };
}

/** The single reader of a node's only output, when there is exactly one. */
export function soleUser(n: Node): Node | undefined {
  const out = n.outputs[0];
  if (!out || n.outputs.length !== 1 || out.isGraphOutput || out.uses.length !== 1) return undefined;
  return out.uses[0]!.node;
}

/**
 * A per-channel affine after a normalized value: Mul by a constant, Add of a constant, or
 * both in either order. Only absorbed when each step is the sole reader of the one before.
 */
export function affineAfter(n: Node): { root: Node; scale: Value | null; bias: Value | null; nodes: Node[] } {
  let root = n;
  let scale: Value | null = null;
  let bias: Value | null = null;
  const nodes: Node[] = [];
  for (let step = 0; step < 2; step++) {
    const next = soleUser(root);
    if (!next || (next.kind !== 'mul' && next.kind !== 'add') || next.inputs.length !== 2) break;
    const mine = root.outputs[0];
    const other = arg(next, 0) === mine ? arg(next, 1) : arg(next, 0);
    if (!other || other === mine || !isConstant(other)) break;
    if (next.kind === 'mul') {
      if (scale) break;
      scale = other;
    } else {
      if (bias) break;
      bias = other;
    }
    nodes.push(next);
    root = next;
  }
  return { root, scale, bias, nodes };
}

/** The full written-out normalization (core + affine) whose core is `core`. */
export function matchWrittenNorm(core: Node): R<NormCore> {
  const m = matchNormCore(core);
  if (!m.ok) return m;
  const aff = affineAfter(core);
  const nodes = [...m.value.nodes, ...aff.nodes];
  return yes({ ...m.value, root: aff.root, scale: aff.scale, bias: aff.bias, nodes: sortByGraphOrder(nodes) });
}

/** Nodes in creation order (graph order for a model as read), without duplicates. */
export function sortByGraphOrder(nodes: readonly Node[]): Node[] {
  return [...new Set(nodes)].sort((a, b) => a.id - b.id);
}

/**
 * Layer, instance or group normalization, by the axes a mean/variance normalization of
 * `x` reduces over:
 * - `instance` when the rank is known (≥ 3) and the axes are exactly the spatial axes
 *   2..rank−1 (not the channel axis 1, not the batch axis);
 * - `layer` otherwise: the trailing axes (including rank-3 [B, S, C] over its last axis),
 *   the channel axis 1 of a (B, C, 1, S) tensor, or axes graphlint cannot resolve.
 * A group normalization is recognised separately, by the reshapes around it (`groupSandwich`).
 */
export function classifyAxes(axes: number[] | 'all' | undefined, x: Value): 'layer' | 'instance' {
  const rank = rankOf(x);
  if (axes === undefined || axes === 'all' || rank === undefined || rank < 4) return 'layer';
  const norm = normalizeAxes(axes, rank);
  if (norm.some((a) => a < 0)) return 'layer';
  const spatial = Array.from({ length: rank - 2 }, (_, i) => i + 2);
  return norm.length === spatial.length && norm.every((a, i) => a === spatial[i]) ? 'instance' : 'layer';
}

/**
 * Group normalization as exporters write it (PyTorch's GroupNorm below opset 18):
 *   Reshape(x0, [N, G, −1]) → normalize each group (InstanceNormalization, or mean/variance
 *   over the last axis) → Reshape back to x0's shape → Mul gamma → Add beta.
 * `first` is the node reading the reshaped tensor (the normalization), `last` the last node
 * of the normalization. Returns the reshapes (and the Shape feeding the second) or why not.
 */
export function groupSandwich(
  input: Value,
  last: Node,
): R<{ before: Node; after: Node; shapeOf: Node | null; x0: Value; groups: number | undefined }> {
  const before = input.producer;
  if (!before || before.kind !== 'reshape') return no(`${input.name} does not come from a reshape`);
  const after = soleUser(last);
  if (!after || after.kind !== 'reshape') return no(`${last.label} is not read by a single reshape`);
  const x0 = arg(before, 0);
  if (!x0) return no(`${before.label} has no input`);
  const target = intsParam(before, 'shape', 1);
  const groups = target && target.length === 3 && target[2] === -1 ? target[1] : undefined;
  // Grouping means (N, C, ...) → (N, G, rest): a constant [N, G, −1] target, or known ranks
  // 3 after and ≥ 4 before. A transformer's (B·S, C) ⇄ (B, S, C) reshape is not a grouping.
  const r0 = rankOf(x0);
  const r1 = rankOf(input);
  if (groups === undefined && !(r1 === 3 && r0 !== undefined && r0 >= 4)) {
    return no(`${before.label} does not split channels into groups (target [N, G, -1])`);
  }
  // The second reshape must restore x0's shape: by Shape(x0), by a constant equal to x0's
  // static shape, or (PyTorch's form) after a constant [N, G, -1] grouping.
  const shapeInput = after.inputNames ? after.input('shape') : arg(after, 1);
  const shapeNode = shapeInput?.producer?.kind === 'shape' && arg(shapeInput.producer, 0) === x0 ? shapeInput.producer : null;
  if (!shapeNode) {
    const back = intsParam(after, 'shape', 1);
    const s0 = shapeOf(x0);
    const restores = back && s0 && back.length === s0.length && back.every((d, i) => d === s0[i] || (d === 0 && i === 0));
    if (!restores && groups === undefined) return no(`${after.label} does not restore the shape of ${x0.name}`);
  }
  return yes({ before, after, shapeOf: shapeNode && shapeNode.outputs[0]!.uses.length === 1 ? shapeNode : null, x0, groups });
}

/** Which rule a written-out normalization belongs to, with the group reshapes when grouped. */
export function normFamily(m: NormCore): {
  family: 'layer' | 'instance' | 'group' | 'batch';
  sandwich?: ReturnType<typeof groupSandwich> & { ok: true };
} {
  const sandwich = groupSandwich(m.x, m.root);
  if (sandwich.ok) return { family: 'group', sandwich };
  // Statistics over the batch axis (ONNX MeanVarianceNormalization's default [0, 2, 3]) are
  // neither a layer nor an instance norm.
  if (Array.isArray(m.axes) && normalizeAxes(m.axes, rankOf(m.x)).includes(0)) return { family: 'batch' };
  return { family: classifyAxes(m.axes, m.x) };
}

/**
 * coremltools' NeuralNetwork lowering of a layer norm over the last axis:
 *   reshapeStatic(x, [..., 1, C]) → mvn (over H, W, not across channels) → scale (per-feature
 *   gamma/beta of shape [1, 1, C]) → reshapeStatic back.
 * The mvn has kind `instance_norm` (it normalizes H×W), but with H = 1 and a per-feature affine
 * it computes a layer norm; the `layer-norm` rule reports it and `instance-norm` leaves it.
 */
export function nnMvnLayerNorm(n: Node): { nodes: Node[]; x0: Value; scale: Node; epsilon: number } | undefined {
  if (n.op !== 'mvn') return undefined;
  const input = arg(n, 0);
  const before = input?.producer;
  if (!before || before.kind !== 'reshape' || input!.uses.length !== 1) return undefined;
  const target = intsParam(before, 'targetShape') ?? intsParam(before, 'shape', 1);
  if (!target || target.length < 3 || target[target.length - 2] !== 1) return undefined;
  const scale = soleUser(n);
  if (!scale || scale.op !== 'scale') return undefined;
  const shape = intsParam(scale, 'shapeScale');
  const features = target[target.length - 1]!;
  if (!shape || shape.length === 0 || shape[shape.length - 1] !== features || features <= 1) return undefined;
  const x0 = arg(before, 0);
  if (!x0) return undefined;
  const after = soleUser(scale);
  const nodes = [before, n, scale, ...(after?.kind === 'reshape' ? [after] : [])];
  return { nodes, x0, scale, epsilon: numberParam(n, 'epsilon') ?? 1e-9 };
}
