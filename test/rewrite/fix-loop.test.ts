import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inferShapes } from '../../src/analysis/shapes/index.js';
import { fixModel } from '../../src/engine/fix-loop.js';
import { defineRule, type Rule } from '../../src/engine/rule.js';
import { readModel } from '../../src/formats/index.js';
import { writeOnnx } from '../../src/formats/onnx/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import type { Model } from '../../src/ir/model.js';
import { printModel } from '../../src/ir/print.js';
import { tensorOf } from '../../src/rewrite/tensors.js';
import { tempDir } from '../helpers/tmp.js';

/** The fix loop itself: patches as data, checks, rollback, passes, clean-up. Rules here are fakes. */

/** x → Relu → Sigmoid → y, written and read back (so the writer can copy what did not change). */
function chain(): { model: Model; path: string } {
  const b = new ModelBuilder({ opset: 13 });
  const x = b.input('x', 'float32', [1, 4]);
  const r = b.op('Relu', [x], {}, { name: 'relu' });
  b.output(b.op('Sigmoid', [r], {}, { name: 'sig', output: 'y' }), 'float32', [1, 4]);
  const path = join(tempDir(), 'chain.onnx');
  writeOnnx(b.model, path);
  return { model: readModel(path), path };
}

/** A fake rule reporting every node of `op` with the given fix. */
function fake(id: string, op: string, fix: NonNullable<Rule['fix']>, fixable: 'safe' | 'unsafe' = 'safe'): Rule<unknown> {
  return defineRule({
    meta: { id, description: id, targets: ['ane'], severity: 'warning', fixable, facts: ['S2'], defaultOptions: {} },
    check: (ctx) => ctx.nodesOfOp(op).map((n) => ({ nodes: [n], message: `${n.op}` })),
    fix,
  }) as Rule<unknown>;
}

/** Relu → Tanh: a correct patch (replace, remove). */
const reluToTanh = fake('relu-to-tanh', 'Relu', (f, b) => {
  const n = f.nodes[0]!;
  b.at(n);
  b.replace(n.outputs[0]!, b.unary('tanh', n.inputs[0]!, 'tanh'));
  b.remove(n);
  return 'relu → tanh';
});

describe('the fix loop', () => {
  it('applies a patch, removes what it left dead, and stops when a pass changes nothing', () => {
    const { model } = chain();
    const out = fixModel(model, { rules: [reluToTanh], target: 'ane' });
    expect(out.applied).toEqual([{ ruleId: 'relu-to-tanh', nodes: ['main/relu'], summary: 'relu → tanh', pass: 1 }]);
    expect(out).toMatchObject({ passes: 2, stop: 'no-change', nodesBefore: 2, nodesAfter: 2, removedNodes: 1, changed: true });
    expect(model.graph.nodes.map((n) => n.op)).toEqual(['Tanh', 'Sigmoid']);
  });

  it('rolls back a patch that leaves a value dangling, reports it, and leaves the model as it was (writer copies it byte for byte)', () => {
    const { model, path } = chain();
    inferShapes(model);
    const before = printModel(model);
    const broken = fake('broken', 'Relu', (f, b) => {
      b.remove(f.nodes[0]!); // still read by the Sigmoid
    });
    const out = fixModel(model, { rules: [broken], target: 'ane' });
    expect(out.applied).toEqual([]);
    expect(out.failed).toEqual([{ ruleId: 'broken', nodes: ['main/relu'], stage: 'rolled-back', reason: 'relu should be dead but relu_out is still read by sig' }]);
    expect(out.changed).toBe(false);
    expect(printModel(model)).toBe(before);
    const again = join(tempDir(), 'again.onnx');
    writeOnnx(model, again);
    expect(readFileSync(again).equals(readFileSync(path))).toBe(true);
  });

  it('rolls back a patch that makes a cycle, and one whose value disagrees with shape inference', () => {
    const { model } = chain();
    const cycle = fake('cycle', 'Relu', (f, b) => {
      const relu = f.nodes[0]!;
      const sig = relu.outputs[0]!.uses[0]!.node;
      b.setInput(relu, 0, sig.outputs[0]!);
    });
    const wrongShape = fake('wrong-shape', 'Sigmoid', (f, b) => {
      const sig = f.nodes[0]!;
      b.at(sig);
      const t = b.transpose(sig.inputs[0]!, [1, 0], 't');
      b.replace(sig.outputs[0]!, t);
    });
    inferShapes(model);
    const before = printModel(model);
    const out = fixModel(model, { rules: [cycle, wrongShape], target: 'ane' });
    expect(out.failed.map((f) => [f.ruleId, f.stage])).toEqual([['cycle', 'rolled-back'], ['wrong-shape', 'rolled-back']]);
    expect(out.failed[0]!.reason).toMatch(/cycle/);
    expect(out.failed[1]!.reason).toMatch(/another type|interface|disagrees/);
    expect(printModel(model)).toBe(before);
  });

  it('rolls back a patch that fails an extra check (the test hook), keeping the others of the pass', () => {
    const { model } = chain();
    const sigToTanh = fake('sig-to-tanh', 'Sigmoid', (f, b) => {
      const n = f.nodes[0]!;
      b.at(n);
      b.replace(n.outputs[0]!, b.unary('tanh', n.inputs[0]!, 'tanh2'));
      b.remove(n);
    });
    const out = fixModel(model, {
      rules: [reluToTanh, sigToTanh], target: 'ane',
      extraCheck: (tx) => (tx.patch.ruleId === 'sig-to-tanh' ? 'refused by the test' : undefined),
    });
    expect(out.applied.map((a) => a.ruleId)).toEqual(['relu-to-tanh']);
    expect(out.failed).toMatchObject([{ ruleId: 'sig-to-tanh', stage: 'rolled-back', reason: 'refused by the test' }]);
    expect(model.graph.nodes.map((n) => n.op)).toEqual(['Tanh', 'Sigmoid']);
    expect(model.graph.outputs[0]!.name).toBe('y');
  });

  it('rolls back a patch after shape inference, out of order, keeping a later patch of the same pass', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 4]);
    const r = b.op('Relu', [x], {}, { name: 'relu' });
    const sg = b.op('Sigmoid', [r], {}, { name: 'sig' });
    b.output(b.op('Abs', [sg], {}, { name: 'abs', output: 'y' }), 'float32', [1, 4]);
    // On the Relu, but reading the Sigmoid after it (the order must be repaired), typed wrongly on purpose.
    const wrong = fake('wrong-type', 'Relu', (f, pb) => {
      const relu = f.nodes[0]!;
      pb.at(relu);
      const sig = relu.outputs[0]!.uses[0]!.node;
      pb.recordNode({ op: 'Transpose', kind: 'transpose', inputs: [sig.outputs[0]!], attrs: { perm: { type: 'ints', value: [1, 0] } } }, [{ kind: 'tensor', dtype: 'float32', shape: [1, 4] }], 'lie');
    });
    const absToTanh = fake('abs-to-tanh', 'Abs', (f, pb) => {
      const n = f.nodes[0]!;
      pb.at(n);
      pb.replace(n.outputs[0]!, pb.unary('tanh', n.inputs[0]!, 'tanh'));
      pb.remove(n);
    });
    const out = fixModel(b.model, { rules: [wrong, absToTanh], target: 'ane' });
    expect(out.applied.map((a) => a.ruleId)).toEqual(['abs-to-tanh']);
    expect(out.failed).toMatchObject([{ ruleId: 'wrong-type', stage: 'rolled-back' }]);
    expect(out.failed[0]!.reason).toMatch(/lie/);
    expect(b.model.graph.nodes.map((n) => n.op)).toEqual(['Relu', 'Sigmoid', 'Tanh']);
    expect(b.model.graph.outputs[0]!.producer!.op).toBe('Tanh');
  });

  it('keeps the name of a graph output it replaces (the new value takes it over)', () => {
    const { model } = chain();
    const sigToTanh = fake('sig-to-tanh', 'Sigmoid', (f, b) => {
      const n = f.nodes[0]!;
      b.at(n);
      b.replace(n.outputs[0]!, b.unary('tanh', n.inputs[0]!, 'tanh'));
      b.remove(n);
    });
    fixModel(model, { rules: [sigToTanh], target: 'ane' });
    expect(model.graph.outputs[0]!.name).toBe('y');
    expect(model.graph.outputs[0]!.producer!.op).toBe('Tanh');
  });

  it('applies patches that touch the same nodes in separate passes', () => {
    const { model } = chain();
    // Both rewrite the Relu: the second waits for the next pass, then finds nothing to do.
    const other = fake('relu-to-abs', 'Relu', (f, b) => {
      const n = f.nodes[0]!;
      b.at(n);
      b.replace(n.outputs[0]!, b.unary('sigmoid', n.inputs[0]!, 'abs'));
      b.remove(n);
    });
    const out = fixModel(model, { rules: [reluToTanh, other], target: 'ane' });
    expect(out.applied.map((a) => `${a.ruleId}@${a.pass}`)).toEqual(['relu-to-tanh@1']);
  });

  it('stops after 10 passes, or when a pass repeats an earlier graph', () => {
    let k = 0;
    const forever = fake('forever', 'Relu', (f, b) => {
      b.setAttr(f.nodes[0]!, 'k', { type: 'int', value: k++ });
    });
    expect(fixModel(chain().model, { rules: [forever], target: 'ane' })).toMatchObject({ passes: 10, stop: 'max-passes' });
    let flip = 0;
    const toggle = fake('toggle', 'Relu', (f, b) => {
      b.setAttr(f.nodes[0]!, 'flip', { type: 'int', value: flip++ % 2 });
    });
    expect(fixModel(chain().model, { rules: [toggle], target: 'ane' })).toMatchObject({ passes: 3, stop: 'repeated-graph' });
  });

  it('reports a declined fix, retries it each pass, and does not apply unsafe fixes without --fix-unsafe', () => {
    const decline = fake('declines', 'Relu', (_f, b) => b.decline('not this one'));
    const unsafe = fake('unsafe-one', 'Relu', (f, b) => (f.nodes[0]!.attrs.has('x') ? b.decline('done already') : b.setAttr(f.nodes[0]!, 'x', { type: 'int', value: 1 })), 'unsafe');
    const out = fixModel(chain().model, { rules: [decline, unsafe], target: 'ane' });
    expect(out.failed).toEqual([{ ruleId: 'declines', nodes: ['main/relu'], stage: 'declined', reason: 'not this one' }]);
    expect(out.applied).toEqual([]);
    expect(fixModel(chain().model, { rules: [unsafe], target: 'ane', unsafe: true }).applied).toHaveLength(1);
  });

  it('adds constants as initializers and cleans up the ones nothing reads any more', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 4]);
    b.output(b.op('Add', [x, b.constant('c', 'float32', [4], [1, 2, 3, 4])], {}, { name: 'add', output: 'y' }), 'float32', [1, 4]);
    const swap = fake('swap-constant', 'Add', (f, b2) => {
      const add = f.nodes[0]!;
      b2.setInput(add, 1, b2.constant('c_new', tensorOf('float32', [4], [4, 3, 2, 1])));
    });
    const out = fixModel(b.model, { rules: [swap], target: 'ane', maxPasses: 1 });
    expect(out.removedConstants).toBe(1);
    expect(b.model.graph.initializers.map((v) => v.name)).toEqual(['c_new']);
  });

  it('does not rewrite NeuralNetwork models', () => {
    const m = chain().model;
    m.graph.origin = { network: {} };
    (m as { format: string }).format = 'mlmodel';
    m.info.set('modelType', 'neuralNetwork');
    const out = fixModel(m, { rules: [reluToTanh], target: 'ane' });
    expect(out).toMatchObject({ stop: 'not-rewritable', changed: false });
    expect(out.note).toMatch(/NeuralNetwork models are not rewritten/);
  });
});
