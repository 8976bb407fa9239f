import { describe, expect, it } from 'vitest';
import { coveredOps, uncoveredOps } from '../../../src/analysis/shapes/index.js';
import { Tensor } from '../../../src/ir/tensor.js';
import { Build, int, ints, tt, typeOf } from './build.js';

describe('shape inference engine', () => {
  it('refines a declared type but never replaces it with a vaguer one', () => {
    const b = new Build(13);
    const x = b.input('x', 'float32', ['batch', 3]);
    const relu = b.op('Relu', [x]);
    relu.type = tt('float32', [null, 3]); // declared (value_info) with an unknown dim
    const tanh = b.op('Tanh', [relu]);
    tanh.type = tt('float32', ['named', 3]); // a declared symbol stays
    const exp = b.op('Exp', [b.op('Reshape', [x, b.input('t', 'int64', [2])])]);
    exp.type = tt('float32', [7, 3]); // inference knows less: the declaration stays
    const report = b.infer();
    expect(typeOf(relu)).toBe('float32[batch,3]');
    expect(typeOf(tanh)).toBe('float32[named,3]');
    expect(typeOf(exp)).toBe('float32[7,3]');
    expect(report.contradictions).toEqual([]);
  });

  it('reports a declared type that contradicts the inferred one and keeps the declaration', () => {
    const b = new Build(13);
    const y = b.op('Relu', [b.input('x', 'float32', [2, 3])]);
    y.type = tt('float32', [2, 4]);
    const report = b.infer();
    expect(typeOf(y)).toBe('float32[2,4]');
    expect(report.contradictions).toHaveLength(1);
    expect(report.contradictions[0]!.message).toMatch(/dim 1 is 4 but inferred 3/);
  });

  it('lists nodes without a rule and nodes whose inputs break their op', () => {
    const b = new Build(13);
    const x = b.input('x', 'float32', [2, 3]);
    const custom = b.g.addNode({ op: 'FusedThing', domain: 'com.microsoft', kind: 'unknown', inputs: [x], outputs: ['f'] });
    const t = b.node('Transpose', [x], ['t'], { perm: ints(0, 0) });
    const report = b.infer();
    expect(report.uncovered).toEqual([custom]);
    expect([...uncoveredOps(report)]).toEqual([['com.microsoft:FusedThing', 1]]);
    expect(report.problems.map((p) => p.node)).toEqual([t]);
    expect(coveredOps()).toContain('Conv');
  });

  it('applies --input-shape overrides before inference', () => {
    const b = new Build(13);
    const x = b.input('x', 'float32', ['batch', 3, 'h', 'w']);
    const y = b.op('GlobalAveragePool', [x]);
    const report = b.infer({ inputShapes: new Map([['x', [1, 3, 224, 224]], ['nope', [1]]]) });
    expect(typeOf(x)).toBe('float32[1,3,224,224]');
    expect(typeOf(y)).toBe('float32[1,3,1,1]');
    expect(report.ignoredInputShapes).toEqual(['nope']);
  });

  it('leaves values unknown when a constant cannot be read', () => {
    const b = new Build(13);
    const broken = new Tensor('int64', [2], { kind: 'missing', reason: 'gone' }, () => {
      throw new Error('external file missing');
    });
    const target = b.g.addInitializer('target', broken, tt('int64', [2]));
    const r = b.op('Reshape', [b.input('x', 'float32', [4, 3]), target]);
    const report = b.infer();
    expect(typeOf(r)).toBe('float32[?,?]');
    expect(report.problems).toEqual([]);
  });

  it('never reads large weights, only the small shape constants it needs', () => {
    const b = new Build(13);
    let weightReads = 0;
    const big = (name: string, dims: number[]): ReturnType<Build['init']> => {
      const n = dims.reduce((p, q) => p * q, 1);
      const t = new Tensor('float32', dims, { kind: 'memory' }, () => {
        weightReads++;
        return new Uint8Array(n * 4);
      });
      return b.g.addInitializer(name, t, tt('float32', dims));
    };
    const x = b.input('x', 'float32', [1, 16, 8, 8]);
    const conv = b.op('Conv', [x, big('w', [16, 16, 3, 3]), big('bias', [16])], { pads: ints(1, 1, 1, 1) });
    const scaled = b.op('Mul', [conv, big('scale', [1, 16, 1, 1])]);
    const flat = b.op('Reshape', [scaled, b.init('shape', [1, -1])]);
    const fc = b.op('MatMul', [flat, big('fc', [1024, 10])]);
    const added = b.op('Add', [fc, big('fcb', [10])]);
    const g = b.op('Gather', [big('emb', [1000, 64]), b.init('ids', [1, 2, 3])], { axis: int(0) });
    const before = Tensor.readCount;
    b.infer();
    expect(typeOf(added)).toBe('float32[1,10]');
    expect(typeOf(g)).toBe('float32[3,64]');
    expect(weightReads).toBe(0);
    expect(Tensor.readCount - before).toBe(0); // the shape constants were built in memory
  });

  it('is idempotent: a second run changes nothing', () => {
    const b = new Build(13);
    const x = b.input('x', 'float32', ['n', 4]);
    b.op('Softmax', [b.op('MatMul', [x, b.input('w', 'float32', [4, 5])])]);
    expect(b.infer().refined).toBe(2);
    const again = b.infer();
    expect(again.refined).toBe(0);
    expect(again.contradictions).toEqual([]);
  });

  it('assumes the newest opset when the model imports none', () => {
    const b = new Build();
    const r = b.op('ReduceMean', [b.input('x', 'float32', [2, 3]), b.init('axes', [1])]);
    b.infer();
    expect(typeOf(r)).toBe('float32[2,1]');
  });
});
