import { constantNumbers, isConstant } from './constants.js';
import { dataInput, sliceParams } from './slice-params.js';
import { attrInt } from '../ir/attribute.js';
import type { Graph, Node, Value } from '../ir/graph.js';
import type { Model } from '../ir/model.js';

/**
 * Which values of a model follow from the graph inputs' shapes alone, and which dimensions a
 * shape computation reads: the analysis behind the dynamic-reshape rule (moved here from
 * rules/dynamic-reshape.ts to keep the rule file small).
 */

/** Longest chain walked back from one operand; a longer one is reported as truncated. */
const CHAIN_LIMIT = 256;

export interface Read {
  readonly shapeNode: Node;
  readonly of: Value;
  /** null: every dimension (Size, or a Shape whose elements could not be told apart). */
  readonly axis: number | null;
  readonly dim: number | string | null;
  readonly fixed: boolean;
}

export interface Walk {
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
        for (const x of e.list) list.push(x);
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
