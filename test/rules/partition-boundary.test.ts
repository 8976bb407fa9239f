import { describe, expect, it } from 'vitest';
import rule from '../../rules/partition-boundary.js';
import type { DebugLine } from '../../src/engine/context.js';
import { runRules } from '../../src/engine/run-rules.js';
import type { Rule } from '../../src/engine/rule.js';
import { ModelBuilder } from '../../src/ir/build.js';
import { hasFact } from '../../src/targets/facts.js';
import { checkRule } from '../helpers/rule-tester.js';

/** Conv → TopK → Gather → Conv: two switches between the Neural Engine and the CPU once partitions exist. */
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

  // Emitted by the partition engine (issue 5): until RuleContext carries partitions, the rule
  // reports nothing, even on a model with obvious boundaries. Replace these expectations when
  // the partition engine lands.
  it('reports nothing until the partition engine provides boundaries (issue 5)', () => {
    expect(checkRule(rule, switching())).toHaveLength(0);
    expect(checkRule(rule, switching(), { target: 'coreml-ep' })).toHaveLength(0);
  });

  it('says why under --debug', () => {
    const debug: DebugLine[] = [];
    runRules(switching(), [rule as Rule<unknown>], { target: 'ane', debug });
    expect(debug).toEqual([{ ruleId: 'partition-boundary', reason: expect.stringMatching(/partition engine \(issue 5\)/) }]);
  });
});
