import { describe, expect, it } from 'vitest';
import rule from '../../rules/partition-boundary.js';
import { inferShapes } from '../../src/analysis/shapes/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import { hasFact } from '../../src/targets/facts.js';
import { checkRule } from '../helpers/rule-tester.js';

/** Conv → TopK → Conv: two switches between the Neural Engine and the CPU. */
function switching() {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', 'float32', [1, 8, 16, 16]);
  const w = b.constant('w', 'float32', [8, 8, 1, 1], Array(64).fill(0.1));
  const a = b.op('Conv', [x, w]);
  const [v] = b.opN('TopK', [a, b.constant('k', 'int64', [1], [4])], 2, { axis: 3 });
  b.output(b.op('Conv', [v!, w]));
  return b.model;
}

describe('partition-boundary', () => {
  it('is registered for both targets with known facts and no options', () => {
    expect(rule.meta.id).toBe('partition-boundary');
    expect(rule.meta.targets).toEqual(['ane', 'coreml-ep']);
    expect(rule.meta.schema).toBeUndefined();
    for (const id of rule.meta.facts) expect(hasFact(id)).toBe(true);
  });

  it('reports one finding per boundary of the plan: into the CPU for TopK and back, with the bytes', () => {
    const model = switching();
    inferShapes(model);
    const found = checkRule(rule, model);
    expect(found.map((d) => d.nodes)).toEqual([
      ['main/Conv_0', 'main/TopK_1'],
      ['main/TopK_1', 'main/Conv_2'],
    ]);
    // Conv_0's output is float32 [1,8,16,16] = 8192 bytes.
    expect(found[0]!.message).toContain('8192 bytes');
    expect(found[0]!.severity).toBe('warning');
  });

  it('reports nothing on a model that stays on the accelerator', () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 8, 16, 16]);
    b.output(b.op('Relu', [b.op('Relu', [x])]), 'float32', [1, 8, 16, 16]);
    expect(checkRule(rule, b.model)).toHaveLength(0);
  });
});
