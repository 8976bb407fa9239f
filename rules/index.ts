import type { Rule } from '../src/engine/rule.js';
import batchSize from './batch-size.js';
import dimensionLimit from './dimension-limit.js';
import dynamicReshape from './dynamic-reshape.js';
import dynamicShape from './dynamic-shape.js';
import explicitPad from './explicit-pad.js';
import fp16Range from './fp16-range.js';
import gelu from './gelu.js';
import instanceNorm from './instance-norm.js';
import layerNorm from './layer-norm.js';
import linearToConv from './linear-to-conv.js';
import partitionBoundary from './partition-boundary.js';
import silu from './silu.js';
import sliceFanOut from './slice-fan-out.js';
import squeezeExcitation from './squeeze-excitation.js';
import tensorRank from './tensor-rank.js';
import unsupportedOp from './unsupported-op.js';

/**
 * Every rule graphlint ships, sorted by id. A meta-test checks that this list, the files in
 * rules/, their docs and their tests agree, and that every id of CONTRACT.md is here.
 */
export const RULES: readonly Rule<unknown>[] = [
  batchSize,
  dimensionLimit,
  dynamicReshape,
  dynamicShape,
  explicitPad,
  fp16Range,
  gelu,
  instanceNorm,
  layerNorm,
  linearToConv,
  partitionBoundary,
  silu,
  sliceFanOut,
  squeezeExcitation,
  tensorRank,
  unsupportedOp,
] as Rule<unknown>[];
