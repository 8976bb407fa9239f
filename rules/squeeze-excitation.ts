import { gateOf, matchSwish } from '../src/analysis/activations.js';
import { constantTensor, isConstant } from '../src/analysis/constants.js';
import { sortByGraphOrder } from '../src/analysis/normalization.js';
import { arg, intsParam, normalizeAxes, numberParam, rankOf, reduceAxes, shapeOf } from '../src/analysis/op-params.js';
import { defineRule, type Finding, type TargetId } from '../src/engine/rule.js';
import type { Node, Value } from '../src/ir/graph.js';

/** Shape-only ops an exporter may put between the pool, the FC layers and the gate. */
const RESHAPES = new Set(['reshape', 'flatten2d', 'squeeze', 'expand_dims']);

/** Activations accepted between the two FC layers (besides the SiLU family). */
const ACTIVATIONS = new Set(['relu', 'relu6', 'clip', 'leaky_relu', 'prelu', 'elu', 'sigmoid', 'tanh', 'gelu', 'silu', 'sigmoid_hard']);

type R<T> = { ok: true; value: T } | { ok: false; reason: string };
const yes = <T>(value: T): R<T> => ({ ok: true, value });
const no = <T>(reason: string): R<T> => ({ ok: false, reason });

export default defineRule<Record<string, never>>({
  meta: {
    id: 'squeeze-excitation',
    description: 'squeeze-and-excitation blocks (global pool → reduce → expand → sigmoid → scale)',
    targets: ['ane', 'coreml-ep'],
    severity: 'warning',
    facts: ['S2', 'A3', 'A6'],
    defaultOptions: {},
  },

  check(ctx) {
    const findings: Finding[] = [];
    for (const n of ctx.nodesOfKind('mul')) {
      if (n.inputs.length !== 2) continue;
      let nearMiss: string | undefined;
      for (const [a, b] of [[0, 1], [1, 0]] as const) {
        const x = arg(n, a);
        const gated = arg(n, b);
        if (!x || !gated) continue;
        const r = block(n, x, gated);
        if (r.ok) {
          findings.push(finding(ctx.target, r.value));
          nearMiss = undefined;
          break;
        }
        if (r.reason !== NOT_A_GATE) nearMiss ??= r.reason;
      }
      if (nearMiss) ctx.debug(`a gated multiply, but not a squeeze-and-excitation block: ${nearMiss}`, n);
    }
    return findings;
  },
});

const NOT_A_GATE = 'not a gate';

interface Block {
  readonly root: Node;
  readonly x: Value;
  readonly nodes: Node[];
  readonly pool: Node;
  readonly poolAxes: number[] | 'global';
  readonly reduce: Fc;
  readonly activation: string;
  readonly expand: Fc;
  readonly gate: 'sigmoid' | 'hard-sigmoid';
}

interface Fc {
  readonly layer: Node;
  readonly nodes: Node[];
  readonly input: Value;
}

/** Walks back over shape-only ops with a single reader. */
function skipReshapes(v: Value, nodes: Node[]): Value {
  let cur = v;
  for (let i = 0; i < 4; i++) {
    const p = cur.producer;
    const next = p && arg(p, 0);
    if (!p || !next || !RESHAPES.has(p.kind) || cur.uses.length !== 1) break;
    nodes.push(p);
    cur = next;
  }
  return cur;
}

function block(root: Node, x: Value, gated: Value): R<Block> {
  const nodes: Node[] = [root];
  const g = gateOf(skipReshapes(gated, nodes));
  if (!g.ok) return no(NOT_A_GATE);
  nodes.push(...g.value.nodes);
  if (g.value.input === x) return no(NOT_A_GATE); // x·sigmoid(x): SiLU, not a block
  const expand = fc(skipReshapes(g.value.input, nodes));
  if (!expand.ok) return no(`the gate's input: ${expand.reason}`);
  nodes.push(...expand.value.nodes);

  let activation = 'none';
  let hidden = expand.value.input;
  const a = hidden.producer;
  if (a) {
    const swish = matchSwish(a);
    if (swish.ok) {
      activation = swish.value.family === 'silu' ? 'SiLU' : 'HardSwish';
      nodes.push(...swish.value.nodes);
      hidden = swish.value.x;
    } else if (ACTIVATIONS.has(a.kind) && arg(a, 0)) {
      activation = a.op;
      nodes.push(a);
      hidden = arg(a, 0)!;
    }
  }
  const reduce = fc(hidden);
  if (!reduce.ok) return no(`before the expand layer ${expand.value.layer.label}: ${reduce.reason}`);
  nodes.push(...reduce.value.nodes);
  const pooled = skipReshapes(reduce.value.input, nodes);
  const pool = globalPool(pooled.producer);
  if (!pool.ok) return no(pool.reason);
  if (arg(pool.value.node, 0) !== x) return no(`${pool.value.node.label} pools another tensor than the one ${root.label} scales`);
  nodes.push(pool.value.node);
  return yes({
    root,
    x,
    nodes: sortByGraphOrder(nodes),
    pool: pool.value.node,
    poolAxes: pool.value.axes,
    reduce: reduce.value,
    activation,
    expand: expand.value,
    gate: g.value.kind,
  });
}

/** A fully-connected step on the pooled vector: 1×1 Conv, Gemm/linear, or MatMul, with an optional bias Add. */
function fc(v: Value): R<Fc> {
  let p = v.producer;
  if (!p) return no(`${v.name} has no producer (expected a 1×1 convolution or a fully-connected layer)`);
  const nodes: Node[] = [];
  if (p.kind === 'add' && p.inputs.length === 2) {
    const inner = [arg(p, 0), arg(p, 1)].find((u) => u && !isConstant(u) && isFcNode(u.producer));
    const other = arg(p, 0) === inner ? arg(p, 1) : arg(p, 0);
    if (inner?.producer && other && isConstant(other) && inner.uses.length === 1) {
      nodes.push(p);
      p = inner.producer;
    }
  }
  if (!isFcNode(p)) return no(`${p.label} is ${p.kind}, expected a 1×1 convolution or a fully-connected layer`);
  if (p.kind === 'conv' && !isPointwise(p)) return no(`${p.label} is not a 1×1 convolution`);
  const input = arg(p, 0);
  if (!input) return no(`${p.label} has no input`);
  nodes.push(p);
  return yes({ layer: p, nodes, input });
}

function isFcNode(n: Node | null | undefined): boolean {
  return n !== null && n !== undefined && (n.kind === 'conv' || n.kind === 'linear' || n.kind === 'matmul');
}

function isPointwise(n: Node): boolean {
  const k = intsParam(n, 'kernel_shape') ?? intsParam(n, 'kernelSize');
  if (k) return k.every((d) => d === 1);
  const w = n.inputNames ? n.input('weight') : arg(n, 1);
  const t = constantTensor(w);
  const dims = t?.dims ?? shapeOf(w);
  if (!dims || dims.length < 3) return false;
  return dims.slice(2).every((d) => d === 1);
}

/** Global average pooling: GlobalAveragePool, NN global pooling, or reduce_mean that keeps the batch axis. */
function globalPool(n: Node | null | undefined): R<{ node: Node; axes: number[] | 'global' }> {
  if (!n) return no('the squeeze input has no producer (expected a global average pool)');
  if (n.op === 'GlobalAveragePool' || (n.kind === 'avg_pool' && numberParam(n, 'globalPooling') === 1)) {
    return yes({ node: n, axes: 'global' });
  }
  if (n.kind === 'avg_pool') {
    // MIL avg_pool is global when its kernel covers the whole (known) spatial extent.
    const k = intsParam(n, 'kernel_sizes');
    const s = shapeOf(arg(n, 0));
    if (k && s && s.length === k.length + 2 && k.every((d, i) => d === s[i + 2])) return yes({ node: n, axes: 'global' });
    return no(`${n.label} is an average pool that graphlint cannot show to be global`);
  }
  if (n.kind === 'reduce_mean') {
    const axes = reduceAxes(n);
    if (axes === undefined || axes === 'all' || axes.length === 0) return no(`${n.label} does not reduce over spatial axes only`);
    const rank = rankOf(arg(n, 0));
    const norm = normalizeAxes(axes, rank);
    if (norm.includes(0)) return no(`${n.label} reduces over the batch axis`);
    return yes({ node: n, axes: norm });
  }
  return no(`${n.label} is ${n.kind}, expected a global average pool`);
}

function finding(target: TargetId, b: Block): Finding {
  const act = b.activation === 'none' ? 'no activation' : b.activation;
  const pool = b.poolAxes === 'global' ? b.pool.op : `${b.pool.op} over axes [${b.poolAxes.join(', ')}]`;
  const parts = [
    `Squeeze-and-excitation block of ${b.nodes.length} ops: ${pool} → ${b.reduce.layer.op} → ${act} → ${b.expand.layer.op} → ${b.gate} → ${b.root.op} with the block input ${b.x.name}.`,
  ];
  const why =
    'S2 lists squeeze-and-excitation (global pool + FC) among the patterns the Neural Engine handles poorly: the FC layers work on a C×1×1 vector, small enough that Core ML may run them on the CPU (A6), and the final C×H×W · C×1×1 broadcast multiply is reported not to run on the Neural Engine (A3, partly a guess)';
  parts.push(target === 'coreml-ep' ? `ONNX Runtime's Core ML provider hands the block to Core ML, where the same applies: ${why}.` : `${why}.`);
  const steps: string[] = [];
  if (b.reduce.layer.kind !== 'conv' || b.expand.layer.kind !== 'conv') {
    steps.push('express the FC layers as 1×1 convolutions on the (N, C, 1, 1) tensor and drop the reshapes');
  }
  steps.push('check the partition report for where the block lands; where accuracy allows, retrain without SE or with fewer SE blocks');
  parts.push(`To do: ${steps.join('; ')}.`);
  return {
    nodes: b.nodes,
    message: parts.join(' '),
    data: {
      input: b.x.name,
      output: b.root.outputs[0]?.name ?? null,
      pool: b.pool.op,
      poolAxes: b.poolAxes,
      reduce: b.reduce.layer.op,
      activation: b.activation,
      expand: b.expand.layer.op,
      gate: b.gate,
    },
  };
}
