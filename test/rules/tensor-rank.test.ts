import { onnxCorpus } from '../helpers/corpus.js';
import { readOnnx } from '../../src/formats/onnx/index.js';
import { inferShapes } from '../../src/analysis/shapes/index.js';
import { describe, expect, it } from 'vitest';
import rule from '../../rules/tensor-rank.js';
import { makeContext, ModelIndex } from '../../src/engine/context.js';
import { ModelBuilder } from '../../src/ir/build.js';
import type { Value } from '../../src/ir/graph.js';
import { Model } from '../../src/ir/model.js';
import { tensorType } from '../../src/ir/types.js';
import { hasFact } from '../../src/targets/facts.js';
import { checkRule } from '../helpers/rule-tester.js';

function shape6(b: ModelBuilder): Value {
  return b.constant('shape6', 'int64', [6], [1, 4, 16, 7, 8, 56]);
}

/** x[1,64,56,56] → Reshape to rank 6 → Transpose → Reshape back to rank 4. */
function rank6Model() {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', 'float32', [1, 64, 56, 56]);
  const y = b.op('Reshape', [x, shape6(b)], {}, { name: 'to6' });
  y.type = tensorType('float32', [1, 4, 16, 7, 8, 56]);
  const t = b.op('Transpose', [y], { perm: [0, 1, 3, 2, 4, 5] }, { name: 'swap' });
  t.type = tensorType('float32', [1, 4, 7, 16, 8, 56]);
  const back = b.op('Reshape', [t, b.constant('shape4', 'int64', [4], [1, 64, 56, 56])], {}, { name: 'back' });
  back.type = tensorType('float32', [1, 64, 56, 56]);
  b.output(back);
  return b.model;
}

describe('tensor-rank', () => {
  it('cites known facts', () => {
    for (const id of rule.meta.facts) expect(hasFact(id)).toBe(true);
  });

  it('reports each producer of a rank-6 tensor with its readers (ane: A7)', () => {
    const d = checkRule(rule, rank6Model());
    expect(d.map((f) => f.nodes)).toEqual([
      ['main/to6', 'main/swap'],
      ['main/swap', 'main/back'],
    ]);
    expect(d[0]!.severity).toBe('error');
    expect(d[0]!.message).toMatch(/to6 produces to6_out \[1,4,16,7,8,56\] \(rank 6\): the Neural Engine rejects tensors above rank 5 \("ANE does not support blob with rank: 6", A7\)/);
  });

  it('says why for coreml-ep (E2: inputs of rank 5 at most)', () => {
    const d = checkRule(rule, rank6Model(), { target: 'coreml-ep' });
    expect(d).toHaveLength(2);
    expect(d[0]!.message).toMatch(/Core ML provider accepts node inputs of rank 5 at most \(E2\)/);
  });

  it('reports a rank-6 graph input and a rank-6 constant through their readers', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 2, 3, 4, 5, 6]);
    const k = b.constant('k', 'float32', [1, 1, 1, 1, 1, 2], [1, 2]);
    const y = b.op('Add', [x, k], {}, { name: 'add' });
    y.type = tensorType('float32', [1, 2, 3, 4, 5, 6]);
    const r = b.op('Reshape', [y, b.constant('s', 'int64', [2], [-1, 6])], {}, { name: 'flat' });
    r.type = tensorType('float32', [120, 6]);
    b.output(r);
    const d = checkRule(rule, b.model);
    expect(d.map((f) => f.nodes)).toEqual([
      ['main/add', 'main/flat'], // the Add's own rank-6 output (first in node order)
      ['main/add'], // graph input x
      ['main/add'], // constant k
    ]);
    expect(d[1]!.message).toMatch(/^Graph input x \[1,2,3,4,5,6\] \(rank 6\)/);
    expect(d[2]!.message).toMatch(/^Constant k \[1,1,1,1,1,2\] \(rank 6\)/);
    const ctx = makeContext(new ModelIndex(b.model), rule.meta.id, rule.meta.defaultOptions, 'ane', undefined);
    expect(rule.check(ctx)[0]!.data).toEqual({ maxRank: 5, values: [{ name: 'add_out', rank: 6, shape: [1, 2, 3, 4, 5, 6] }] });
  });

  it('reports a rank-7 graph input of a Core ML model through its reader', () => {
    const m = new Model('mlpackage', '');
    const g = m.graph;
    const x = g.newValue('x', tensorType('float32', [1, 2, 3, 4, 5, 6, 7]));
    g.inputs.push(x);
    const n = g.addNode({ op: 'reshape', kind: 'reshape', name: 'r', inputs: [x], outputs: ['y'], inputNames: ['x'] });
    n.outputs[0]!.type = tensorType('float32', [5040]);
    g.outputs.push(n.outputs[0]!);
    const d = checkRule(rule, m);
    expect(d).toHaveLength(1);
    expect(d[0]!.nodes).toEqual(['main/r']);
    expect(d[0]!.message).toMatch(/rank 7/);
  });

  it('reports a rank-6 tensor inside a nested graph by its path', () => {
    const b = new ModelBuilder({ opset: 17 });
    const c = b.input('c', 'bool', []);
    const x = b.input('x', 'float32', [2, 3, 4, 5, 6]);
    const then = b.subgraph('then_branch');
    const u = b.op('Unsqueeze', [x, b.constant('ax', 'int64', [1], [0])], {}, { name: 'up', graph: then });
    u.type = tensorType('float32', [1, 2, 3, 4, 5, 6]);
    b.output(b.op('ReduceSum', [u], { keepdims: 0 }, { name: 'sum', graph: then }), 'float32', [], then);
    const other = b.subgraph('else_branch');
    b.output(b.op('ReduceSum', [x], { keepdims: 0 }, { graph: other }), 'float32', [], other);
    b.output(b.op('If', [c], { then_branch: then, else_branch: other }, { name: 'branch' }));
    const d = checkRule(rule, b.model);
    expect(d.map((f) => f.nodes)).toEqual([['main/branch.then_branch/up', 'main/branch.then_branch/sum']]);
  });

  it('does not report rank 5, unknown ranks or symbolic dims', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 'T', 3, 4, 5]);
    const y = b.op('Relu', [x]);
    y.type = tensorType('float32', [1, 'T', 3, 4, 5]);
    const z = b.op('Unsqueeze', [y, b.constant('ax', 'int64', [1], [0])]); // rank 6 at run time, but untyped here
    b.output(z);
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });

  it('follows maxRank', () => {
    expect(checkRule(rule, rank6Model(), { options: { maxRank: 6 } })).toHaveLength(0);
    expect(checkRule(rule, rank6Model(), { options: { maxRank: 3 } }).length).toBeGreaterThan(2);
  });
});

const corpusFiles = onnxCorpus();
describe.skipIf(corpusFiles.length === 0)('tensor-rank: corpus', () => {
  // raft's correlation volume is reshaped to [1,16,16,1,16,16] (ONNX's own inference agrees:
  // fixtures/shapes/onnx-reference/raft_small_2iter_op17.json); no other corpus tensor exceeds rank 5.
  it(`finds raft's two rank-6 tensors and nothing else in the ${corpusFiles.length} ONNX corpus models`, () => {
    let typed = 0;
    for (const file of corpusFiles) {
      const model = readOnnx(file);
      inferShapes(model);
      for (const g of model.allGraphs()) for (const n of g.nodes) for (const v of n.outputs) if (v.type?.kind === 'tensor' && v.type.shape) typed++;
      const found = checkRule(rule, model).map((d) => d.nodes[0]);
      const expected = file.endsWith('raft_small_2iter_op17.onnx') ? ['main//m/Reshape_2', 'main//m/Div_1'] : [];
      expect({ file, found }).toEqual({ file, found: expected });
    }
    // The check is meaningful only if inference gave the rule shapes to look at.
    expect(typed).toBeGreaterThan(5000);
  });
});
