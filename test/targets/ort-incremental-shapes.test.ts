import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { optimizeForOrt, type OrtView } from '../../src/analysis/ort-optimizations/index.js';
import { inferShapes } from '../../src/analysis/shapes/index.js';
import { readModel } from '../../src/formats/index.js';
import { writeOnnx } from '../../src/formats/onnx/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import type { Value } from '../../src/ir/graph.js';
import { graphsWithin, type Model } from '../../src/ir/model.js';
import { formatType } from '../../src/ir/types.js';
import { writeSyntheticGraph } from '../../bench/generate.js';
import { onnxCorpus } from '../helpers/corpus.js';
import { tempDir } from '../helpers/tmp.js';
import { checkerRuns } from './checker-runs.js';

/**
 * After a pass edits the copy, the ONNX Runtime view infers again only what the edit can have
 * changed. These tests build each view both ways (incremental, and a whole inference after
 * every changing pass) and require the same graph, the same types and the same known elements.
 */

/** Every value of the view's graphs: graph path and name → type and known elements. */
function described(view: OrtView): Map<string, string> {
  const out = new Map<string, string>();
  const note = (path: string, v: Value | null): void => {
    if (v) out.set(`${path}:${v.name}`, `${formatType(v.type)} ${JSON.stringify(view.numbers(v, 64) ?? null)}`);
  };
  for (const g of graphsWithin(view.model.graph)) {
    for (const v of [...g.inputs, ...g.initializers, ...g.outputs]) note(g.path, v);
    for (const n of g.nodes) {
      for (const v of n.inputs) note(g.path, v);
      for (const v of n.outputs) note(g.path, v);
    }
  }
  return out;
}

const nodesOf = (m: Model): string[] => [...graphsWithin(m.graph)].flatMap((g) => g.nodes.map((n) => `${g.path} ${n.op} ${n.label}`));

function expectBothWaysEqual(load: () => Model): OrtView {
  const incremental = optimizeForOrt(load());
  const whole = optimizeForOrt(load(), { fullReinference: true });
  expect(nodesOf(incremental.model)).toEqual(nodesOf(whole.model));
  expect(Object.fromEntries(described(incremental))).toEqual(Object.fromEntries(described(whole)));
  return incremental;
}

describe('ONNX Runtime view: shapes inferred again only where a pass edited', () => {

  it('gives what a whole inference gives on a graph every block of which the passes rewrite', () => {
    // The benchmark's synthetic blocks: Transpose pairs to cancel, many equal small constants to share.
    const path = join(tempDir(), 'synthetic.onnx');
    writeSyntheticGraph(path, 320);
    const view = expectBothWaysEqual(() => {
      const m = readModel(path);
      inferShapes(m);
      return m;
    });
    expect(view.applied.get('transpose-optimizer')).toBeGreaterThan(0);
  });

  it.each([
    ['built in memory (the copy infers its shapes itself)', false],
    ['read from a file (the copy learns from the inference of the model read)', true],
  ])('gives what a whole inference gives when folding makes a computed shape constant, %s', (_, fromFile) => {
    const path = join(tempDir(), 'folding.onnx');
    const view = expectBothWaysEqual(() => {
      const b = new ModelBuilder({ opset: 17 });
      const x = b.input('x', 'float32', [2, 3, 4]);
      const y = b.input('y', 'float32', ['n', 12]);
      // Shape(x)[0] · 12 folds to a constant only after constant folding: a Reshape reads it.
      const dim0 = b.op('Gather', [b.op('Shape', [x]), b.constant('zero', 'int64', [], [0])], { axis: 0 });
      const cols = b.op('Mul', [b.op('Unsqueeze', [dim0, b.constant('ax', 'int64', [1], [0])]), b.constant('twelve', 'int64', [1], [12])]);
      const shape = b.op('Concat', [cols, b.constant('minus1', 'int64', [1], [-1])], { axis: 0 });
      const r = b.op('Reshape', [y, shape]);
      const t = b.op('Transpose', [b.op('Relu', [b.op('Transpose', [r], { perm: [1, 0] })])], { perm: [1, 0] });
      // A Tile shape inference does not evaluate, but constant folding does: the Reshape after
      // it learns its dims only when the folded constant is read again.
      const tiled = b.op('Tile', [b.constant('three', 'int64', [1], [3]), b.constant('twice', 'int64', [1], [2])]);
      b.output(b.op('Identity', [t]));
      b.output(b.op('Reshape', [b.input('z', 'float32', [9]), tiled]));
      // Shape(y)[1] is 12 though y's first dim is dynamic: known by inference only (nothing folds it).
      const width = b.op('Unsqueeze', [b.op('Gather', [b.op('Shape', [y]), b.constant('one', 'int64', [], [1])], { axis: 0 }), b.constant('ax0', 'int64', [1], [0])]);
      b.output(b.op('Add', [width, b.constant('plus', 'int64', [1], [1])]));
      if (!fromFile) {
        inferShapes(b.model);
        return b.model;
      }
      writeOnnx(b.model, path);
      const m = readModel(path);
      inferShapes(m);
      return m;
    });
    expect(view.applied.get('constant-folding')).toBeGreaterThan(0);
  });

  const runs = onnxCorpus().length === 0 ? [] : checkerRuns().filter((r) => r.mode === 'mlprogram');
  it.each(runs.map((r) => [`${r.model} ${r.run}`, r] as const))('gives what a whole inference gives on %s', (_, run) => {
    expectBothWaysEqual(() => {
      const m = readModel(join(onnxCorpus()[0]!, '..', run.model));
      inferShapes(m, run.inputShapes ? { inputShapes: run.inputShapes } : {});
      return m;
    });
  });
});
