import { describe, expect, it, vi } from 'vitest';
import { inferShapes } from '../../src/analysis/shapes/index.js';
import { TARGETS } from '../../src/cli/choices.js';
import { runRules } from '../../src/engine/run-rules.js';
import { readModel } from '../../src/formats/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import type { Model } from '../../src/ir/model.js';
import { RULES } from '../../rules/index.js';
import { onnxCorpus } from '../helpers/corpus.js';

/** Every look at the partition plan, by the rule running then. */
const reads: string[] = [];
let running = '';

// The plan's two doors for rules, counted; they still answer as they do.
vi.mock('../../src/targets/plan.js', async (importOriginal) => {
  const plan = await importOriginal<typeof import('../../src/targets/plan.js')>();
  return {
    ...plan,
    planFor: (...args: Parameters<typeof plan.planFor>) => {
      reads.push(running);
      return plan.planFor(...args);
    },
    cachedPlan: (...args: Parameters<typeof plan.cachedPlan>) => {
      reads.push(running);
      return plan.cachedPlan(...args);
    },
  };
});

/** A small network with an op the Neural Engine and the provider both refuse (TopK), so the plan has partitions. */
function built(): Model {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', 'float32', [1, 3, 16, 16]);
  const w = b.constant('w', 'float32', [8, 3, 3, 3], new Array(8 * 3 * 3 * 3).fill(0.1));
  const conv = b.op('Conv', [x, w], { pads: [1, 1, 1, 1] });
  const flat = b.op('Flatten', [b.op('Relu', [conv])]);
  const k = b.constant('k', 'int64', [1], [5]);
  const [values] = b.opN('TopK', [flat, k], 2);
  b.output(b.op('Sigmoid', [values!]));
  return b.model;
}

function models(): Array<[string, () => Model]> {
  const corpus = onnxCorpus().slice(0, 4).map((p): [string, () => Model] => [p, () => readModel(p)]);
  return [['built', built], ...corpus];
}

/**
 * Lint runs the rules that declare `readsPlan` for a target after the plan, and the others
 * before it, over a model the plan may then edit (Rule.readsPlan). A rule that read the plan
 * without declaring it would make one with default options, before lint makes the real one.
 */
describe('readsPlan', () => {
  for (const target of TARGETS) {
    it(`is declared by exactly the rules that read the plan (${target})`, () => {
      const readers = new Set<string>();
      for (const [name, make] of models()) {
        for (const rule of RULES) {
          if (!rule.meta.targets.includes(target)) continue;
          const model = make();
          inferShapes(model, {});
          reads.length = 0;
          running = rule.meta.id;
          runRules(model, [rule], { target });
          const declared = rule.readsPlan?.includes(target) ?? false;
          if (!declared) expect(reads, `${rule.meta.id} on ${name}`).toEqual([]);
          if (reads.length > 0) readers.add(rule.meta.id);
        }
      }
      const declaring = RULES.filter((r) => r.meta.targets.includes(target) && r.readsPlan?.includes(target)).map((r) => r.meta.id);
      expect([...readers].sort()).toEqual(declaring.sort());
    });
  }
});
