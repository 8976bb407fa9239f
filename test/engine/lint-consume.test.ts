import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSyntheticGraph } from '../../bench/generate.js';
import { RULES } from '../../rules/index.js';
import { consumable } from '../../src/analysis/ort-optimizations/index.js';
import type { DebugLine } from '../../src/engine/context.js';
import { lintFile, lintModel } from '../../src/engine/lint-file.js';
import type { TargetId } from '../../src/engine/rule.js';
import { readModel } from '../../src/formats/index.js';
import { writeOnnx } from '../../src/formats/onnx/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import { graphsWithin, type Model } from '../../src/ir/model.js';
import type { Dim } from '../../src/ir/shape.js';
import { onnxCorpus, onnxTestdata } from '../helpers/corpus.js';
import { tempDir } from '../helpers/tmp.js';
import { checkerRuns } from '../targets/checker-runs.js';

/**
 * Lint may give the model it read up to the partition plan, which then edits it into ONNX
 * Runtime's view instead of copying it (LintOptions.consume). These tests lint each model both
 * ways and require the same result: findings, partitions, stats and debug lines.
 */

const TARGETS: readonly TargetId[] = ['ane', 'coreml-ep'];

const nodeCount = (m: Model): number => {
  let n = 0;
  for (const g of graphsWithin(m.graph)) n += g.nodes.length;
  return n;
};

interface Outcome {
  readonly report: string;
  /** Whether the model was edited by the plan (it was consumable and a pass changed it). */
  readonly edited: boolean;
}

function lintOnce(path: string, target: TargetId, consume: boolean, inputShapes?: ReadonlyMap<string, readonly Dim[]>): Outcome {
  const model = readModel(path);
  const debug: DebugLine[] = [];
  const before = nodeCount(model);
  const result = lintModel(model, path, { rules: RULES, target, partitions: true, consume, debug, ...(inputShapes ? { inputShapes } : {}) });
  return { report: JSON.stringify({ result, debug }, null, 1), edited: model.graph.changed || nodeCount(model) !== before };
}

/** Lints `path` both ways for `target`; returns whether the consuming lint edited the model. */
function expectSameBothWays(path: string, target: TargetId, inputShapes?: ReadonlyMap<string, readonly Dim[]>): boolean {
  const kept = lintOnce(path, target, false, inputShapes);
  expect(kept.edited).toBe(false);
  const given = lintOnce(path, target, true, inputShapes);
  expect(given.report).toBe(kept.report);
  return given.edited;
}

describe('lint that gives its model up to the partition plan', () => {
  it('reports what a lint on a copy reports, on a graph the passes rewrite in every block', () => {
    const path = join(tempDir(), 'synthetic.onnx');
    writeSyntheticGraph(path, 320);
    for (const target of TARGETS) expect(expectSameBothWays(path, target)).toBe(true);
  });

  it('reports the same partitions and boundaries around an op off the accelerator, with fusions and folding on either side', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 3, 8, 8]);
    const conv = b.op('Conv', [x, b.constant('w', 'float32', [4, 3, 3, 3], new Array(108).fill(0.01))], { pads: [1, 1, 1, 1] });
    const bn = b.op('BatchNormalization', [conv, ...['s', 'bias', 'mean', 'var'].map((n) => b.constant(n, 'float32', [4], [1, 0.5, 0.25, 2]))]);
    const flat = b.op('Reshape', [b.op('Identity', [bn]), b.op('Concat', [b.constant('one', 'int64', [1], [1]), b.constant('rest', 'int64', [1], [-1])], { axis: 0 })]);
    const [top] = b.opN('TopK', [flat, b.constant('k', 'int64', [1], [16])], 2, { axis: -1 });
    const mm = b.op('MatMul', [top!, b.constant('m', 'float32', [16, 4], new Array(64).fill(0.5))]);
    b.output(b.op('Relu', [b.op('Add', [mm, b.constant('a', 'float32', [4], [1, 2, 3, 4])])]));
    const path = join(tempDir(), 'split.onnx');
    writeOnnx(b.model, path);
    for (const target of TARGETS) expect(expectSameBothWays(path, target)).toBe(true);
    const linted = lintModel(readModel(path), path, { rules: RULES, target: 'ane', partitions: true, consume: true });
    expect(linted.diagnostics.filter((d) => d.ruleId === 'partition-boundary').length).toBeGreaterThan(0);
  });

  it('copies a model with nested graphs instead (inlining would move them under new nodes)', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [2, 2]);
    const then = b.subgraph('then_branch');
    b.output(b.op('Relu', [x], {}, { graph: then }), 'float32', [2, 2], then);
    const other = b.subgraph('else_branch');
    b.output(b.op('Sigmoid', [x], {}, { graph: other }), 'float32', [2, 2], other);
    const cond = b.op('Equal', [b.constant('a', 'int64', [], [2]), b.constant('b', 'int64', [], [2])]);
    b.output(b.op('TopK', [b.op('If', [cond], { then_branch: then, else_branch: other }), b.constant('k', 'int64', [1], [1])]), 'float32', [2, 1]);
    const path = join(tempDir(), 'if.onnx');
    writeOnnx(b.model, path);
    expect(consumable(readModel(path))).toBe(false);
    for (const target of TARGETS) expect(expectSameBothWays(path, target)).toBe(false);
  });

  it('gives the model up by default in lintFile, and keeps it when asked', () => {
    const path = join(tempDir(), 'synthetic.onnx');
    writeSyntheticGraph(path, 32);
    expect(lintFile(path, { rules: RULES, target: 'ane', partitions: true }).model).toBeNull();
    const kept = lintFile(path, { rules: RULES, target: 'ane', partitions: true, keepModel: true }).model;
    expect(kept).not.toBeNull();
    expect(kept!.graph.changed).toBe(false);
  });

  const corpus = onnxCorpus();
  const runs = corpus.length === 0 ? [] : checkerRuns().filter((r) => r.mode === 'mlprogram' && r.inputShapes);
  it.each(corpus.map((p) => [p.split('/').pop()!, p] as const))('reports what a lint on a copy reports on corpus model %s', (_, path) => {
    for (const target of TARGETS) expectSameBothWays(path, target);
  });
  it.each(runs.map((r) => [r.model, r] as const))('reports what a lint on a copy reports on corpus model %s with fixed shapes', (_, run) => {
    for (const target of TARGETS) expectSameBothWays(join(corpus[0]!, '..', run.model), target, run.inputShapes);
  });

  it("reports what a lint on a copy reports on every single-op model of ONNX's test data", () => {
    let edited = 0;
    const models = onnxTestdata();
    for (const path of models) {
      let readable = true;
      try {
        readModel(path);
      } catch {
        readable = false;
      }
      if (!readable) continue;
      for (const target of TARGETS) if (expectSameBothWays(path, target)) edited++;
    }
    if (models.length > 0) expect(edited).toBeGreaterThan(0);
  });
});
