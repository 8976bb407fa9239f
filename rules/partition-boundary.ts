import { defineRule } from '../src/engine/rule.js';

/**
 * Each predicted switch between the accelerator and the CPU/GPU, with the bytes that cross it.
 *
 * Emitted by the partition engine (issue 5). The id is registered now so configs, docs and
 * `graphlint rules` can name it; until RuleContext carries the partition engine's boundaries
 * this rule reports nothing, on every model. When it does, it will report one finding per
 * boundary value (the node that produces it on one side and the nodes that read it on the
 * other), with the bytes that cross (from the value's static shape and element type) and the
 * partitions on both sides, as the JSON report's `partitions.boundaries` lists them.
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
  check(ctx) {
    // Emitted by the partition engine (issue 5): RuleContext has no partitions yet, so there
    // is nothing to report. This is the one rule that is deliberately empty for now.
    ctx.debug('partition-boundary: boundaries come from the partition engine (issue 5), which is not wired in yet');
    return [];
  },
});
