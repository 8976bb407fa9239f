import type { Rule } from '../src/engine/rule.js';
import dimensionLimit from './dimension-limit.js';
import fp16Range from './fp16-range.js';
import partitionBoundary from './partition-boundary.js';
import tensorRank from './tensor-rank.js';
import unsupportedOp from './unsupported-op.js';

/**
 * Every rule graphlint ships, sorted by id. A meta-test checks that this list, the files in
 * rules/, their docs and their tests agree, and that every id of CONTRACT.md is here.
 */
export const RULES: readonly Rule<unknown>[] = [
  dimensionLimit,
  fp16Range,
  partitionBoundary,
  tensorRank,
  unsupportedOp,
] as Rule<unknown>[];
