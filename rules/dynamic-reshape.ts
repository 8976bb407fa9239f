import { constantNumbers, isConstant } from '../src/analysis/constants.js';
import { dataInput, sliceParams } from '../src/analysis/slice-params.js';
import { defineRule, type Finding, type RuleContext, type TargetId } from '../src/engine/rule.js';
import { attrInt } from '../src/ir/attribute.js';
import type { Graph, Node, Value } from '../src/ir/graph.js';
import type { Model } from '../src/ir/model.js';

/**
 * When the computed shape becomes a constant:
 * - `now`: every dimension it reads is already fixed (constant folding, with shape inference, removes the chain);
 * - `input-shapes`: it reads only tensor shapes, some of them dynamic; fixing the graph inputs' shapes
 *   (`--input-shape`) makes it constant;
 * - `never`: it depends on tensor values (or on shapes that do, like NonZero's), so no input shape fixes it.
 */
export type ConstantWhen = 'now' | 'input-shapes' | 'never';

export interface DynamicReshapeData {
  /** Which operand is computed: shape (Reshape, Expand, ConstantOfShape, MIL reshape/fill), repeats, sizes or scales. */
  readonly operand: string;
  readonly value: string;
  readonly constantWhen: ConstantWhen;
  /** The nodes computing the operand, producers first (Constant nodes left out). */
  readonly chain: readonly string[];
  /** The dimensions it reads: `value[axis]` (axis null = every dimension), with the dimension when known. */
  readonly reads: ReadonlyArray<{ readonly value: string; readonly axis: number | null; readonly dim: number | string | null }>;
  /** Values it depends on through their contents rather than their shapes (a reason for `never`). */
  readonly dataInputs: readonly string[];
  /** Values whose shape it reads, where that shape depends on data, a loop or a branch (a reason for `never`). */
  readonly dataShapes: readonly string[];
  /** Graph inputs with dynamic dimensions (what `--input-shape` must fix for `input-shapes`). */
  readonly dynamicInputs: readonly string[];
}

/** Longest chain walked back from one operand; a longer one is reported as truncated. */
const CHAIN_LIMIT = 256;

export default defineRule({
  meta: {
    id: 'dynamic-reshape',
    description: 'reshapes whose target shape is computed at run time',
    targets: ['ane', 'coreml-ep'],
    severity: 'warning',
    fixable: 'safe',
    facts: ['S2', 'E5', 'E1'],
    defaultOptions: {},
  },

  check(ctx) {
    const candidates: Node[] = [];
    for (const kind of ['reshape', 'tile', 'fill', 'resize']) candidates.push(...ctx.nodesOfKind(kind));
    for (const op of ['Expand', 'broadcastToDynamic']) candidates.push(...ctx.nodesOfOp(op));
    let analysis: Analysis | undefined;
    const findings: Finding[] = [];
    for (const n of candidates) {
      const operand = shapeOperand(n);
      if (!operand) continue;
      if (isConstant(operand.value)) continue;
      analysis ??= new Analysis(ctx.model);
      const f = judge(n, operand, analysis, ctx);
      if (f) findings.push(f);
    }
    return findings;
  },
});

/** The operand that sets the output's shape, for the ops this rule covers. */
export function shapeOperand(n: Node): { value: Value; role: string } | undefined {
  const at = (i: number, role: string): { value: Value; role: string } | undefined => {
    const v = n.inputs[i];
    return v ? { value: v, role } : undefined;
  };
  const named = (name: string, role = name): { value: Value; role: string } | undefined => {
    const v = n.input(name);
    return v ? { value: v, role } : undefined;
  };
  switch (n.op) {
    case 'Reshape': case 'Expand': case 'reshapeDynamic': case 'broadcastToDynamic': return at(1, 'shape');
    case 'Tile': return at(1, 'repeats');
    case 'tile': return n.inputNames ? named('reps') : at(1, 'repeats'); // MIL, or NeuralNetwork with a second input
    case 'ConstantOfShape': case 'fillDynamic': return at(0, 'shape');
    case 'reshape': case 'fill': case 'resize': return n.inputNames ? named('shape') : undefined; // MIL
    case 'Upsample': return at(1, 'scales');
    case 'Resize':
      // opset 11+: X, roi, scales, sizes (sizes wins when given); opset 10: X, scales.
      if (n.inputs.length >= 4 && n.inputs[3]) return at(3, 'sizes');
      if (n.inputs.length >= 3) return at(2, 'scales');
      return at(1, 'scales');
    default: return undefined;
  }
}

function judge(n: Node, operand: { value: Value; role: string }, a: Analysis, ctx: RuleContext<unknown>): Finding | undefined {
  const walk = a.walk(operand.value);
  if (a.valueKnown(operand.value) && walk.shapeLeaves.length === 0) {
    ctx.debug(`${operand.role} is computed from constants only; constant folding removes it`, n);
    return undefined;
  }
  const reads = a.valueKnown(operand.value) ? a.reads(operand.value) : [];
  const when: ConstantWhen = !a.valueKnown(operand.value)
    ? 'never'
    : reads.every((r) => r.fixed) || a.inputsStatic ? 'now' : 'input-shapes';
  const data: DynamicReshapeData = {
    operand: operand.role,
    value: operand.value.name,
    constantWhen: when,
    chain: walk.chain.map((c) => c.path),
    reads: reads.map((r) => ({ value: r.of.name, axis: r.axis, dim: r.dim })),
    dataInputs: walk.contents.map((v) => v.name),
    dataShapes: walk.shapes.map((v) => v.name),
    dynamicInputs: a.dynamicInputs.map((v) => v.name),
  };
  const chain = chainText(walk.chain);
  const what = `${n.label} (${n.op}) gets its ${operand.role} from ${chain} computed at run time${walk.truncated ? ' (chain cut at 256 nodes)' : ''}`;
  const why = whyText(n, operand.role, ctx.target);
  let tail: string;
  if (when === 'now') {
    tail = `Every dimension it reads is fixed already, so it is a constant in disguise: graphlint --fix folds the chain so the ${operand.role} is a constant.`;
  } else if (when === 'input-shapes') {
    const dyn = dynamicReads(reads);
    tail = `It reads only tensor shapes${dyn ? `, among them ${dyn}` : ''}; fix the dynamic input dimensions (${a.dynamicInputs.map((v) => v.name).join(', ')}) with --input-shape and graphlint --fix folds it into a constant, or re-export with static shapes.`;
  } else {
    const parts: string[] = [];
    if (walk.contents.length > 0) parts.push(`the values of ${list(walk.contents)}`);
    if (walk.shapes.length > 0) parts.push(`the shape of ${list(walk.shapes)}, which itself depends on data (or on a loop or branch)`);
    tail = `It depends on ${parts.join(' and ') || 'tensor values'}, so no input shape makes it constant: restructure the model so the ${operand.role} is a constant.`;
  }
  return {
    nodes: [n, ...walk.chain],
    message: `${what}. ${why} ${tail}`,
    data,
    fixable: when === 'now',
    fact: ctx.target === 'coreml-ep' ? 'E5' : 'S2',
    ...(when === 'now' ? { severity: 'info' as const } : {}),
  };
}

function whyText(n: Node, role: string, target: TargetId): string {
  if (target === 'coreml-ep') {
    if (n.op === 'Reshape') return `ONNX Runtime's Core ML provider takes Reshape only with a constant shape (E5), so it leaves this node to the CPU and the graph splits around it.`;
    if (n.op === 'Resize') return `ONNX Runtime's Core ML provider takes Resize only with constant scales (E5), so it leaves this node to the CPU and the graph splits around it.`;
    return `ONNX Runtime's Core ML provider wants constant shapes for Reshape and constant scales for Resize (E5); a computed ${role} for ${n.op} gives Core ML a dynamic shape at best.`;
  }
  return `Dynamic reshapes are listed among Neural-Engine-hostile patterns (S2).`;
}

function list(values: readonly Value[]): string {
  const shown = values.slice(0, 3).map((v) => `'${v.name}'`).join(', ');
  return values.length > 3 ? `${shown}, …` : shown;
}

function chainText(chain: readonly Node[]): string {
  if (chain.length === 0) return 'a value';
  const ops: string[] = [];
  for (const c of chain) if (ops[ops.length - 1] !== c.op) ops.push(c.op);
  const shown = ops.length > 6 ? [...ops.slice(0, 3), '…', ...ops.slice(-2)] : ops;
  return `a ${shown.join('→')} chain (${chain.length} node${chain.length === 1 ? '' : 's'})`;
}

function dynamicReads(reads: readonly Read[]): string {
  const out = new Set<string>();
  for (const r of reads) {
    if (r.fixed) continue;
    const where = r.axis === null ? `the shape of '${r.of.name}'` : `'${r.of.name}'[${r.axis}]`;
    out.add(typeof r.dim === 'string' ? `${where} ('${r.dim}')` : where);
  }
  const list = [...out];
  return list.length > 3 ? `${list.slice(0, 3).join(', ')}, …` : list.join(', ');
}

interface Read {
  readonly shapeNode: Node;
  readonly of: Value;
  /** null: every dimension (Size, or a Shape whose elements could not be told apart). */
  readonly axis: number | null;
  readonly dim: number | string | null;
  readonly fixed: boolean;
}

interface Walk {
  /** Producers first; Constant nodes and constants left out. */
  readonly chain: Node[];
  readonly shapeLeaves: Node[];
  /** Values read for their contents (data). */
  readonly contents: Value[];
  /** Values read for a shape that no input shape fixes. */
  readonly shapes: Value[];
  readonly truncated: boolean;
}

/** Per element of a small integer vector: the (Shape node, axis) reads it depends on. */
type Elems =
  | { readonly list: ReadonlyArray<ReadonlySet<string>> }
  | { readonly all: ReadonlySet<string> }
  /** A Shape of a value whose rank is unknown: constant indices into it still name axes. */
  | { readonly shapeOf: { readonly node: Node; readonly of: Value } };

/** Ops whose output shape does not follow from their inputs' shapes. */
const DATA_DEPENDENT = new Set(['NonZero', 'Unique', 'NonMaxSuppression', 'Compress', 'StringSplit', 'non_zero', 'non_maximum_suppression', 'whereNonZero', 'NonMaximumSuppression']);
const RANDOM = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli', 'random_normal', 'random_uniform', 'random_bernoulli', 'random_categorical']);
/** ONNX ops: the inputs (by position) whose values set the output's shape. */
const ONNX_SHAPE_PARAMS: Readonly<Record<string, readonly number[]>> = {
  Reshape: [1], Expand: [1], Tile: [1], ConstantOfShape: [0], Resize: [1, 2, 3], Upsample: [1], Slice: [1, 2, 3, 4],
  Pad: [1, 3], Squeeze: [1], Unsqueeze: [1], Split: [1], TopK: [1], Range: [0, 1, 2], OneHot: [1], CenterCropPad: [1],
  ReduceMean: [1], ReduceSum: [1], ReduceMax: [1], ReduceMin: [1], ReduceProd: [1], ReduceL1: [1], ReduceL2: [1],
  ReduceLogSum: [1], ReduceLogSumExp: [1], ReduceSumSquare: [1], EyeLike: [], Trilu: [],
};
/** MIL / NeuralNetwork inputs (by name) whose values set the output's shape. */
const NAMED_SHAPE_PARAMS = new Set(['shape', 'reps', 'begin', 'end', 'stride', 'begin_mask', 'end_mask', 'squeeze_mask', 'size', 'pad', 'split_sizes', 'num_splits', 'k', 'axes', 'start', 'step', 'target_size_height', 'target_size_width']);
const ELEMENTWISE = new Set([
  'add', 'sub', 'mul', 'real_div', 'floor_div', 'mod', 'maximum', 'minimum', 'pow', 'equal', 'not_equal', 'less', 'less_equal',
  'greater', 'greater_equal', 'select', 'logical_and', 'logical_or', 'logical_not', 'logical_xor', 'floor', 'ceil', 'round',
  'abs', 'sign', 'sqrt', 'clip', 'cast', 'identity', 'inverse',
]);
const PASS_THROUGH = new Set(['expand_dims', 'squeeze', 'reshape', 'flatten2d']);
/** Named ML Program operands that are data (the rest are settings). */
const TENSOR_OPERANDS = new Set(['x', 'y', 'a', 'b', 'cond', 'alpha', 'beta']);

/**
 * Lazily built once per check: which values have a shape that follows from the graph inputs'
 * shapes alone (`shapeKnown`), and which have a value computed from shapes and constants
 * alone (`valueKnown`). One pass over the nodes in graph order.
 */
export class Analysis {
  private readonly shapeKnownOf = new Map<Value, boolean>();
  private readonly valueKnownOf = new Map<Value, boolean>();
  private readonly elems = new Map<Value, Elems>();
  private readonly leafOf = new Map<string, { node: Node; of: Value; axis: number | null }>();
  readonly dynamicInputs: Value[];
  /** Every graph input has a fixed shape: then every shape-only computation is a constant. */
  readonly inputsStatic: boolean;

  constructor(model: Model) {
    const inputs = model.graph.inputs.filter((v) => !v.constant);
    this.dynamicInputs = inputs.filter((v) => {
      const s = v.type?.kind === 'tensor' ? v.type.shape : null;
      return !s || s.some((d) => typeof d !== 'number' || d <= 0);
    });
    this.inputsStatic = this.dynamicInputs.length === 0;
    this.visitModel(model, 0);
  }

  private visitModel(model: Model, depth: number): void {
    if (depth > 16) return;
    // A pipeline stage's inputs are fed like the model's own: their shapes are what the caller fixes.
    for (const v of model.graph.inputs) {
      if (v.constant) continue;
      this.shapeKnownOf.set(v, true);
      this.valueKnownOf.set(v, false);
    }
    for (const g of [model.graph, ...model.functions]) this.visitGraph(g, 0);
    for (const m of model.submodels) this.visitModel(m, depth + 1);
  }

  /** Nested graphs first, so an If can look at what its branches return. Values nested graphs bind are unknown. */
  private visitGraph(g: Graph, depth: number): void {
    if (depth > 64) return;
    for (const n of g.nodes) {
      for (const [, sub] of n.subgraphs()) this.visitGraph(sub, depth + 1);
      this.visit(n);
    }
  }

  shapeKnown(v: Value | null): boolean {
    if (!v) return true;
    if (isConstant(v)) return true;
    return this.shapeKnownOf.get(v) ?? false;
  }

  valueKnown(v: Value | null): boolean {
    if (!v) return true;
    if (isConstant(v)) return true;
    return this.valueKnownOf.get(v) ?? false;
  }

  private visit(n: Node): void {
    const branches = n.subgraphs();
    const nested = branches.length > 0;
    let shape: boolean;
    let value: boolean;
    if (nested && (n.op === 'If' || n.op === 'cond') && branches.every(([, b]) => b.outputs.length === n.outputs.length)) {
      // Either branch's result: known when the condition is, and both branches' results are.
      const cond = n.inputNames ? n.input('pred') ?? null : n.inputs[0] ?? null;
      const condKnown = this.valueKnown(cond);
      n.outputs.forEach((out, i) => {
        this.shapeKnownOf.set(out, condKnown && branches.every(([, b]) => this.shapeKnown(b.outputs[i]!)));
        this.valueKnownOf.set(out, condKnown && branches.every(([, b]) => this.valueKnown(b.outputs[i]!)));
      });
      return;
    }
    if (nested || RANDOM.has(n.op)) {
      shape = !nested && n.inputs.every((v) => this.shapeKnown(v));
      value = false;
    } else if (DATA_DEPENDENT.has(n.op)) {
      shape = false;
      value = false;
    } else if (isShapeOf(n)) {
      shape = true;
      value = this.shapeKnown(dataInput(n));
    } else {
      const params = shapeParamIndexes(n);
      shape = n.inputs.every((v, i) => (params.has(i) ? this.valueKnown(v) : this.shapeKnown(v)));
      value = n.op === 'Constant' || n.kind === 'const' || n.inputs.every((v) => this.valueKnown(v));
      if (n.inputs.length === 0 && n.op !== 'Constant' && n.kind !== 'const') value = false;
    }
    for (const out of n.outputs) {
      this.shapeKnownOf.set(out, shape);
      this.valueKnownOf.set(out, value);
    }
  }

  /** The nodes computing `v`, stopping at constants, Shape nodes and values that depend on data. */
  walk(v: Value): Walk {
    const chain: Node[] = [];
    const shapeLeaves: Node[] = [];
    const contents: Value[] = [];
    const shapes: Value[] = [];
    const seen = new Set<Node>();
    const seenData = new Set<Value>();
    let truncated = false;
    const note = (into: Value[], x: Value): void => {
      if (seenData.has(x)) return;
      seenData.add(x);
      into.push(x);
    };
    const noteData = (x: Value): void => note(contents, x);
    const visit = (x: Value | null): void => {
      if (!x || isConstant(x)) return;
      const p = x.producer;
      if (!p) return noteData(x); // a graph input's contents, or a value bound by an enclosing loop
      // Shape arithmetic is followed even when it mixes in data, to show where the data enters.
      if (!this.valueKnown(x) && !isShapeOf(p) && !isShapeArithmetic(p)) return noteData(x);
      if (seen.has(p)) return;
      if (chain.length >= CHAIN_LIMIT) {
        truncated = true;
        return;
      }
      seen.add(p);
      if (isShapeOf(p)) {
        shapeLeaves.push(p);
        chain.push(p);
        const of = dataInput(p);
        if (of && !this.shapeKnown(of)) note(shapes, of);
        return;
      }
      for (const i of p.inputs) visit(i);
      chain.push(p);
    };
    visit(v);
    return { chain, shapeLeaves, contents, shapes, truncated };
  }

  /** The dimensions a shape-only value reads, and whether each is fixed already. */
  reads(v: Value): Read[] {
    const keys = this.keysOf(this.elementsOf(v, 0));
    const out: Read[] = [];
    const done = new Set<string>();
    for (const k of keys) {
      const leaf = this.leafOf.get(k)!;
      const id = `${leaf.of.name}\u0000${leaf.axis ?? '*'}`;
      if (done.has(id)) continue;
      done.add(id);
      const shape = leaf.of.type?.kind === 'tensor' ? leaf.of.type.shape : null;
      if (leaf.axis === null) {
        out.push({ shapeNode: leaf.node, of: leaf.of, axis: null, dim: null, fixed: !!shape && shape.every(isFixedDim) });
      } else {
        const d = shape?.[leaf.axis] ?? null;
        out.push({ shapeNode: leaf.node, of: leaf.of, axis: leaf.axis, dim: d, fixed: isFixedDim(d) });
      }
    }
    return out;
  }

  private keysOf(e: Elems): Set<string> {
    if ('list' in e) return new Set(e.list.flatMap((x) => [...x]));
    if ('all' in e) return new Set(e.all);
    return new Set([this.key(e.shapeOf.node, e.shapeOf.of, null)]);
  }

  private key(node: Node, of: Value, axis: number | null): string {
    const k = `${node.id}:${axis ?? '*'}`;
    if (!this.leafOf.has(k)) this.leafOf.set(k, { node, of, axis });
    return k;
  }

  /** Which reads each element of a shape-only vector depends on (falls back to "all of them"). */
  private elementsOf(v: Value | null, depth: number): Elems {
    if (!v) return { list: [] };
    const known = this.elems.get(v);
    if (known) return known;
    const e = this.computeElements(v, depth);
    this.elems.set(v, e);
    return e;
  }

  private computeElements(v: Value, depth: number): Elems {
    if (isConstant(v)) {
      const nums = constantNumbers(v, 64);
      return nums ? { list: nums.map(() => new Set<string>()) } : { all: new Set() };
    }
    const p = v.producer;
    if (!p || depth > CHAIN_LIMIT) return { all: new Set() };
    const data = (): Elems => this.elementsOf(dataInput(p), depth + 1);
    if (isShapeOf(p)) {
      const x = dataInput(p);
      if (!x) return { all: new Set() };
      if (p.op === 'Size') return { list: [new Set([this.key(p, x, null)])] };
      const rank = x.type?.kind === 'tensor' && x.type.shape ? x.type.shape.length : undefined;
      if (rank === undefined) {
        const plain = attrInt(p.attrs, 'start') === undefined && attrInt(p.attrs, 'end') === undefined;
        return plain ? { shapeOf: { node: p, of: x } } : { all: new Set([this.key(p, x, null)]) };
      }
      const norm = (a: number): number => Math.min(rank, Math.max(0, a < 0 ? a + rank : a));
      const start = norm(attrInt(p.attrs, 'start') ?? 0);
      const end = norm(attrInt(p.attrs, 'end') ?? rank);
      const list: Set<string>[] = [];
      for (let a = start; a < end; a++) list.push(new Set([this.key(p, x, a)]));
      return { list };
    }
    const all = (): Elems => {
      const s = new Set<string>();
      for (const i of p.inputs) {
        if (!i) continue;
        for (const k of this.keysOf(this.elementsOf(i, depth + 1))) s.add(k);
      }
      return { all: s };
    };
    if (p.kind === 'gather') {
      const data = this.elementsOf(dataInput(p), depth + 1);
      const idx = constantNumbers(p.inputNames ? p.input('indices') : p.inputs[1], 64);
      if (!idx) return all();
      if ('shapeOf' in data) {
        if (idx.some((i) => i < 0)) return all();
        return { list: idx.map((i) => new Set([this.key(data.shapeOf.node, data.shapeOf.of, i)])) };
      }
      if (!('list' in data)) return all();
      const picked: ReadonlySet<string>[] = [];
      for (const i of idx) {
        const j = i < 0 ? i + data.list.length : i;
        const s = data.list[j];
        if (!s) return all();
        picked.push(s);
      }
      return { list: picked };
    }
    if (p.kind === 'slice_by_index') {
      const r = sliceParams(p);
      const data = r.ok ? this.elementsOf(r.params.data, depth + 1) : undefined;
      if (!data) return all();
      if (!r.ok) return all();
      if ('shapeOf' in data) {
        const a = r.params.axes[0];
        if (r.params.axes.length !== 1 || !a || a.axis !== 0 || a.step <= 0 || a.start < 0 || a.end === null || a.end < a.start) return all();
        const list: Set<string>[] = [];
        for (let i = a.start; i < a.end; i += a.step) list.push(new Set([this.key(data.shapeOf.node, data.shapeOf.of, i)]));
        return { list };
      }
      if (!('list' in data)) return all();
      if (r.params.axes.length === 0) return data;
      const a = r.params.axes[0]!;
      if (r.params.axes.length > 1 || (a.axis !== 0 && a.axis !== -1)) return all();
      const len = data.list.length;
      const out: ReadonlySet<string>[] = [];
      const start = a.start < 0 ? a.start + len : a.start;
      const end = a.end === null ? (a.step > 0 ? len : -1) : a.end < 0 ? a.end + len : a.end;
      for (let i = start; a.step > 0 ? i < Math.min(end, len) : i > end; i += a.step) {
        const s = data.list[i];
        if (s) out.push(s);
      }
      return { list: out };
    }
    if (p.kind === 'concat') {
      const parts = p.inputs.map((i, k) => (p.inputNames && p.inputNames[k] !== 'values') ? undefined : this.elementsOf(i, depth + 1));
      const list: ReadonlySet<string>[] = [];
      for (const e of parts) {
        if (!e) continue;
        if (!('list' in e)) return all();
        list.push(...e.list);
      }
      return { list };
    }
    if (PASS_THROUGH.has(p.kind)) return data();
    if (ELEMENTWISE.has(p.kind)) {
      // ML Program ops also take settings as named inputs (cast's dtype, clip's bounds are operands).
      const operands = p.inputs.filter((i, k): i is Value => i !== null && (!p.inputNames || TENSOR_OPERANDS.has(p.inputNames[k]!)));
      const parts = operands.map((i) => this.elementsOf(i, depth + 1));
      if (parts.length === 1) return parts[0]!; // cast, identity, floor, ...
      if (parts.some((e) => !('list' in e))) return all();
      const lists = parts.map((e) => (e as { list: ReadonlyArray<ReadonlySet<string>> }).list);
      const len = Math.max(0, ...lists.map((l) => l.length));
      if (lists.some((l) => l.length !== len && l.length !== 1)) return all();
      const out: Set<string>[] = [];
      for (let i = 0; i < len; i++) {
        const s = new Set<string>();
        for (const l of lists) for (const k of l.length === 1 ? l[0]! : l[i]!) s.add(k);
        out.push(s);
      }
      return { list: out };
    }
    return all();
  }
}

/** Small integer-vector ops that shape computations are made of. */
function isShapeArithmetic(n: Node): boolean {
  return ELEMENTWISE.has(n.kind) || PASS_THROUGH.has(n.kind) || n.kind === 'concat' || n.kind === 'gather' || n.kind === 'slice_by_index';
}

function isFixedDim(d: number | string | null | undefined): boolean {
  return typeof d === 'number' && d > 0;
}

function isShapeOf(n: Node): boolean {
  return n.kind === 'shape' || n.op === 'Size';
}

function shapeParamIndexes(n: Node): Set<number> {
  const out = new Set<number>();
  if (n.inputNames) {
    n.inputNames.forEach((name, i) => {
      if (NAMED_SHAPE_PARAMS.has(name)) out.add(i);
    });
    return out;
  }
  for (const i of ONNX_SHAPE_PARAMS[n.op] ?? []) out.add(i);
  // NeuralNetwork layers that take their target shape as a second input.
  if (['reshapeDynamic', 'broadcastToDynamic', 'tile', 'sliceDynamic', 'rangeDynamic'].includes(n.op)) for (let i = 1; i < n.inputs.length; i++) out.add(i);
  if (n.op === 'fillDynamic') out.add(0);
  return out;
}
