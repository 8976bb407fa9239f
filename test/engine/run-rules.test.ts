import { describe, expect, it } from 'vitest';
import { runRules } from '../../src/engine/run-rules.js';
import { ModelBuilder } from '../../src/ir/build.js';
import { everyNodeRule, reluRule } from '../helpers/fake-rules.js';

function model() {
  const b = new ModelBuilder();
  const x = b.input('x', 'float32', [1, 4]);
  const a = b.op('Sigmoid', [x], {}, { name: 's' });
  const c = b.op('Relu', [a], {}, { name: 'r' });
  b.output(c);
  return b.model;
}

describe('rule runner', () => {
  it('orders diagnostics by node order, then rule id, and fills node paths', () => {
    const d = runRules(model(), [reluRule, everyNodeRule], { target: 'ane' });
    expect(d.map((x) => `${x.nodes[0]} ${x.ruleId}`)).toEqual(['main/s test-every', 'main/r test-every', 'main/r test-relu']);
    expect(d.find((x) => x.ruleId === 'test-relu')).toMatchObject({ severity: 'warning', fixable: true });
  });

  it('skips rules that do not apply to the target or are off, and honours options', () => {
    expect(runRules(model(), [reluRule], { target: 'coreml-ep' })).toEqual([]);
    const off = new Map([['test-relu', { severity: 'off' as const, options: { alsoSigmoid: false } }]]);
    expect(runRules(model(), [reluRule], { target: 'ane', settings: off })).toEqual([]);
    const both = new Map([['test-relu', { severity: 'error' as const, options: { alsoSigmoid: true } }]]);
    expect(runRules(model(), [reluRule], { target: 'ane', settings: both }).map((x) => x.severity)).toEqual(['error', 'error']);
  });
});
