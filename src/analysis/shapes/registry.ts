import type { RuleTable, ShapeRule } from './context.js';
import { controlFlowRules } from './ops/control-flow.js';
import { convPoolRules } from './ops/conv-pool.js';
import { elementwiseRules } from './ops/elementwise.js';
import { linalgRules } from './ops/linalg.js';
import { miscRules } from './ops/misc.js';
import { normalizationRules } from './ops/normalization.js';
import { recurrentRules } from './ops/recurrent.js';
import { reduceRules } from './ops/reduce.js';
import { resizeRules } from './ops/resize.js';
import { sequenceRules } from './ops/sequence.js';
import { tensorIndexRules } from './ops/tensor-index.js';
import { tensorShapeRules } from './ops/tensor-shape.js';

const FAMILIES: readonly RuleTable[] = [
  elementwiseRules, convPoolRules, resizeRules, reduceRules, tensorShapeRules, tensorIndexRules,
  normalizationRules, recurrentRules, controlFlowRules, sequenceRules, linalgRules, miscRules,
];

/** Every rule by key: the op type in the default ONNX domain, `domain:op` elsewhere. */
const RULES = new Map<string, ShapeRule>();
for (const family of FAMILIES) {
  for (const [key, rule] of Object.entries(family)) {
    if (RULES.has(key)) throw new Error(`invariant: two shape rules for ${key}`);
    RULES.set(key, rule);
  }
}

export function findRule(op: string, domain: string): ShapeRule | undefined {
  return RULES.get(domain === '' || domain === 'ai.onnx' ? op : `${domain}:${op}`);
}

/** Op keys with a rule (for reports and docs). */
export function coveredOps(): string[] {
  return [...RULES.keys()].sort();
}
