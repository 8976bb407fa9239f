import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { LEVEL1_PASSES, optimizeForOrt } from '../../src/analysis/ort-optimizations/index.js';
import { inferShapes } from '../../src/analysis/shapes/index.js';
import { ShapeEngine } from '../../src/analysis/shapes/engine.js';
import { readModel } from '../../src/formats/index.js';
import { float, ModelBuilder } from '../../src/ir/build.js';
import { graphsWithin, type Model } from '../../src/ir/model.js';
import { CORPUS, onnxCorpus } from '../helpers/corpus.js';
import { checkerRuns, FIGURES_FILE } from './checker-runs.js';

const count = (m: Model): number => [...graphsWithin(m.graph)].reduce((k, g) => k + g.nodes.length, 0);
const ops = (m: Model): string[] => [...graphsWithin(m.graph)].flatMap((g) => g.nodes.map((n) => n.op));
/** A float32's little-endian bytes from its bits (a NaN's payload survives no number). */
const nanBytes = (bits: number): Uint8Array => new Uint8Array(new Uint32Array([bits]).buffer);

describe('ONNX Runtime basic optimizations on the corpus', () => {
  const figures = JSON.parse(readFileSync(FIGURES_FILE, 'utf8')).models as Record<string, {
    graph: { basic_incl_subgraphs?: number };
    fixed_shapes: { graph?: { basic_incl_subgraphs?: number } };
  }>;
  const cases = onnxCorpus().length === 0 ? [] : checkerRuns().filter((r) => r.mode === 'mlprogram');
  it.each(cases.map((r) => [`${r.model} ${r.run}`, r] as const))('%s: as many nodes as ONNX Runtime 1.30 leaves', (_, run) => {
    const entry = figures[run.model]!;
    const expected = run.run === 'as_is' ? entry.graph.basic_incl_subgraphs : (entry.fixed_shapes.graph ?? entry.graph).basic_incl_subgraphs;
    if (expected === undefined) return; // ONNX Runtime itself failed (silero_vad_v5 with fixed shapes)
    const model = readModel(join(CORPUS, 'onnx', run.model));
    inferShapes(model, run.inputShapes ? { inputShapes: run.inputShapes } : {});
    const before = count(model);
    const view = optimizeForOrt(model);
    expect(count(view.model)).toBe(expected);
    expect(count(model)).toBe(before); // the user's model is not edited
    for (const [original] of view.removed) expect(original.graph.nodes).toContain(original);
  });
});

describe('ONNX Runtime basic optimizations, pass by pass', () => {
  it('drops Identity and Dropout, folds constants and Shape of a static value', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 4]);
    const shape = b.op('Shape', [x]);
    const k = b.constant('k', 'int64', [2], [4, 1]);
    const target = b.op('Mul', [shape, b.constant('one', 'int64', [], [1])]);
    const r = b.op('Reshape', [b.op('Dropout', [b.op('Identity', [x])]), target]);
    b.output(b.op('Add', [r, b.op('Reshape', [b.constant('c', 'float32', [4], [1, 2, 3, 4]), k])]));
    inferShapes(b.model);
    const view = optimizeForOrt(b.model);
    expect(ops(view.model)).toEqual(['Reshape', 'Add']);
    const reshape = view.model.graph.nodes[0]!;
    expect(view.numbers(reshape.inputs[1])).toEqual([1, 4]);
    expect(ops(b.model)).toEqual(['Shape', 'Mul', 'Identity', 'Dropout', 'Reshape', 'Reshape', 'Add']);
  });

  it('fuses MatMul+Add into Gemm, wrapped in Reshapes for a 3-D input, keeping the output name', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 5, 8]);
    const mm = b.op('MatMul', [x, b.constant('w', 'float32', [8, 3], new Array(24).fill(0.5))]);
    b.output(b.op('Add', [mm, b.constant('bias', 'float32', [3], [1, 2, 3])], {}, { output: 'y' }));
    inferShapes(b.model);
    const view = optimizeForOrt(b.model);
    expect(ops(view.model)).toEqual(['Reshape', 'Gemm', 'Reshape']);
    expect(view.model.graph.outputs[0]!.name).toBe('y');
    const gemm = view.model.graph.nodes[1]!;
    expect(view.originsOf(gemm).map((n) => n.op).sort()).toEqual(['Add', 'MatMul']);
  });

  it('folds BatchNormalization into the Conv before it, and a zero Pad into its pads', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 2, 8, 8]);
    const padded = b.op('Pad', [x, b.constant('pads', 'int64', [8], [0, 0, 1, 1, 0, 0, 1, 1])]);
    const conv = b.op('Conv', [padded, b.constant('w', 'float32', [4, 2, 3, 3], new Array(72).fill(0.1))], { kernel_shape: [3, 3] });
    const c = (name: string, v: number) => b.constant(name, 'float32', [4], [v, v, v, v]);
    b.output(b.op('BatchNormalization', [conv, c('s', 1), c('bb', 0), c('m', 0), c('v', 1)], { epsilon: float(1e-5) }));
    inferShapes(b.model);
    expect(ops(optimizeForOrt(b.model).model)).toEqual(['Conv']);
  });

  it('merges common subexpressions, inlines HardSwish, inlines an If with a constant condition', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 4]);
    const a1 = b.op('Relu', [x]);
    const a2 = b.op('Relu', [x]);
    const hs = b.op('HardSwish', [b.op('Add', [a1, a2])]);
    const then = b.subgraph('then_branch');
    const t = b.op('Neg', [hs], {}, { graph: then });
    b.output(t, 'float32', [1, 4], then);
    const other = b.subgraph('else_branch');
    b.output(b.op('Abs', [hs], {}, { graph: other }), 'float32', [1, 4], other);
    const cond = b.op('Equal', [b.constant('a', 'int64', [], [2]), b.constant('b', 'int64', [], [2])]);
    b.output(b.op('If', [cond], { then_branch: then, else_branch: other }), 'float32', [1, 4]);
    inferShapes(b.model);
    const view = optimizeForOrt(b.model);
    expect(ops(view.model)).toEqual(['Relu', 'Add', 'HardSigmoid', 'Mul', 'Neg']);
    expect([...view.removed.values()].map((r) => r.pass)).toContain('common-subexpression-elimination');
  });

  it('CSE merges nodes equal in op, inputs and attributes, and only those, however many share an input', () => {
    // 30000 readers of one tensor that differ only in an attribute: comparing each with every
    // earlier one would take minutes (the test's time limit catches it); the pass stays linear.
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 4]);
    const outs = Array.from({ length: 30_000 }, (_, i) => b.op('LeakyRelu', [x], { alpha: float(i / 1000) }));
    outs.push(b.op('LeakyRelu', [x], { alpha: float(0.005) })); // the same as the sixth
    b.output(b.op('Concat', outs, { axis: 0 }));
    inferShapes(b.model);
    const view = optimizeForOrt(b.model);
    expect(ops(view.model).filter((o) => o === 'LeakyRelu')).toHaveLength(30_000);
    expect(view.applied.get('common-subexpression-elimination')).toBe(1);
  });

  it('cancels a Transpose pair pushed through an element-wise op', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 8, 4, 4]);
    const t1 = b.op('Transpose', [x], { perm: [0, 2, 3, 1] });
    const r = b.op('Relu', [t1]);
    b.output(b.op('Transpose', [r], { perm: [0, 3, 1, 2] }), 'float32', [1, 8, 4, 4]);
    inferShapes(b.model);
    expect(ops(optimizeForOrt(b.model).model)).toEqual(['Relu']);
  });

  it('removes a Slice that keeps every element, and only such a Slice', () => {
    const b = new ModelBuilder({ opset: 17 });
    // A Slice of a graph input is never removed (it has no input edge to wire through).
    const x = b.op('Relu', [b.input('x', 'float32', [4, 6])]);
    const i64 = (name: string, values: number[]) => b.constant(name, 'int64', [values.length], values);
    const slice = (name: string, inputs: Parameters<typeof b.op>[1]) => b.op('Slice', inputs, {}, { name });
    const end = 9.2e18; // ONNX Runtime's INT64_MAX, as a double reads it
    const outs = [
      slice('whole', [x, i64('s0', [0]), i64('e0', [end]), i64('a0', [1])]),
      slice('whole_no_axes', [x, i64('s1', [0, 0]), i64('e1', [end, end])]),
      slice('part', [x, i64('s2', [0]), i64('e2', [3]), i64('a2', [1])]),
      slice('from_one', [x, i64('s3', [1]), i64('e3', [end]), i64('a3', [1])]),
      slice('steps_of_two', [x, i64('s4', [0]), i64('e4', [end]), i64('a4', [1]), i64('p4', [2])]),
      slice('axes_too_many', [x, i64('s5', [0]), i64('e5', [end]), i64('a5', [0, 1])]),
      slice('starts_not_constant', [x, b.op('Shape', [x], { start: 0, end: 1 }), i64('e6', [end]), i64('a6', [1])]),
    ];
    b.output(b.op('Concat', outs.map((o) => b.op('ReduceSum', [o], { keepdims: 0 })), { axis: 0 }));
    inferShapes(b.model);
    const view = optimizeForOrt(b.model);
    const kept = view.model.graph.nodes.filter((n) => n.op === 'Slice').map((n) => n.label);
    expect(kept).toEqual(['part', 'from_one', 'steps_of_two', 'axes_too_many', 'starts_not_constant']);
    expect(view.applied.get('slice-elimination')).toBe(2);
  });

  it('shares small constants of the same type, shape and bytes only: not [1,2] with [2,1], not 0 with -0, not NaNs of different bits', () => {
    const b = new ModelBuilder({ opset: 17 });
    const add = (name: string, c: Parameters<typeof b.op>[1][number], dims: number[]) =>
      b.op('Add', [b.input(`x_${name}`, 'float32', dims), c], {}, { name });
    const outs = [
      add('a', b.constant('row_a', 'float32', [1, 2], [1, 2]), [2, 2]),
      add('b', b.constant('row_b', 'float32', [1, 2], [1, 2]), [2, 2]),
      add('c', b.constant('column', 'float32', [2, 1], [1, 2]), [2, 2]),
      add('d', b.constant('zero', 'float32', [], [0]), [2]),
      add('e', b.constant('minus_zero', 'float32', [], [-0]), [2]),
      add('f', b.constant('zero_again', 'float32', [], [0]), [2]),
      add('g', b.constant('nan', 'float32', [], nanBytes(0x7fc00000)), [2]),
      add('h', b.constant('nan_payload', 'float32', [], nanBytes(0x7fc00001)), [2]),
      add('i', b.constant('nan_again', 'float32', [], nanBytes(0x7fc00000)), [2]),
    ];
    for (const o of outs) b.output(o);
    inferShapes(b.model);
    const view = optimizeForOrt(b.model);
    const reads = Object.fromEntries(view.model.graph.nodes.map((n) => [n.label, n.inputs[1]!.name]));
    expect(reads).toEqual({
      a: 'row_a', b: 'row_a', c: 'column', d: 'zero', e: 'minus_zero', f: 'zero', g: 'nan', h: 'nan_payload', i: 'nan',
    });
    expect(view.applied.get('constant-sharing')).toBe(3);
  });

  it('runs ConstantSharing in the first round only, the other passes in every round', () => {
    const b = new ModelBuilder({ opset: 17 });
    // Identity elimination changes the graph in the first round, so a second round runs.
    b.output(b.op('Relu', [b.op('Identity', [b.input('x', 'float32', [2, 3])])]));
    inferShapes(b.model);
    const runs = new Map<string, number>();
    const spies = LEVEL1_PASSES.map((pass) => {
      const run = pass.run;
      return vi.spyOn(pass, 'run').mockImplementation(function (this: unknown, ...args: Parameters<typeof run>) {
        runs.set(pass.id, (runs.get(pass.id) ?? 0) + 1);
        return run.apply(pass, args);
      });
    });
    try {
      optimizeForOrt(b.model);
    } finally {
      for (const s of spies) s.mockRestore();
    }
    expect(Object.fromEntries(runs)).toEqual({
      'constant-sharing': 1, 'common-subexpression-elimination': 2, 'constant-folding': 2,
      'matmul-add-fusion': 2, 'reshape-fusion': 2, 'transpose-optimizer': 2, // see transpose-optimizer.ts
    });
  });

  it('does not infer again a reader whose constant ConstantSharing replaced by an equal one, even when a later pass makes the graph be inferred again', () => {
    const b = new ModelBuilder({ opset: 17 });
    b.output(b.op('Add', [b.input('x', 'float32', [1, 4]), b.constant('one_a', 'float32', [], [1])], {}, { name: 'a' }));
    b.output(b.op('Add', [b.input('y', 'float32', [1, 4]), b.constant('one_b', 'float32', [], [1])], {}, { name: 'b' }));
    // MatMul + Add fusion changes the shapes' graph after ConstantSharing: what it marked is inferred again.
    const mm = b.op('MatMul', [b.input('z', 'float32', [2, 8]), b.constant('w', 'float32', [8, 3], new Array(24).fill(0.5))], {}, { name: 'mm' });
    b.output(b.op('Add', [mm, b.constant('bias', 'float32', [3], [1, 2, 3])], {}, { name: 'bias_add' }));
    inferShapes(b.model);
    const inferred: string[] = [];
    const engine = ShapeEngine.prototype as unknown as { inferNode(n: { label: string }): void };
    const run = engine.inferNode;
    const wrap = vi.spyOn(engine, 'inferNode').mockImplementation(function (this: unknown, n) {
      inferred.push(n.label);
      return run.call(this, n);
    });
    let view;
    try {
      view = optimizeForOrt(b.model);
    } finally {
      wrap.mockRestore();
    }
    expect(view.model.graph.nodes.find((n) => n.label === 'b')!.inputs[1]!.name).toBe('one_a');
    expect(ops(view.model)).toContain('Gemm');
    // Once, as the view is made: not again after the fusion (with ConstantSharing's marks kept, twice).
    expect(inferred.filter((l) => l === 'b')).toEqual(['b']);
    expect(inferred.filter((l) => l === 'a')).toEqual(['a']);
  });
});
