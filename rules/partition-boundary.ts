import { defineRule } from '../src/engine/rule.js';
import { partitionBoundaryFindings } from '../src/targets/boundary-findings.js';
import { planFor } from '../src/targets/plan.js';

/**
 * Each predicted switch between the accelerator and the CPU/GPU, with the bytes that cross it.
 * The partition engine (src/targets) computes the plan once per model and target (lint does
 * it with the command line's --input-shape and --coreml-format); this rule reports one finding
 * per boundary of that plan, so findings and the report's partitions always agree.
 */
export default defineRule<Record<string, never>>({
  meta: {
    id: 'partition-boundary',
    description: 'each predicted switch between accelerator and CPU/GPU, with the bytes that cross it',
    targets: ['ane', 'coreml-ep'],
    severity: 'warning',
    facts: ['S1', 'A5', 'E1'],
    defaultOptions: {},
  },
  readsPlan: ['ane', 'coreml-ep'],
  check(ctx) {
    return partitionBoundaryFindings(ctx.model, planFor(ctx.model, ctx.target));
  },
});
