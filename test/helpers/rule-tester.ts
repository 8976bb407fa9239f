import { expect } from 'vitest';
import { runRules } from '../../src/engine/run-rules.js';
import type { CoremlFormat, Rule, TargetId } from '../../src/engine/rule.js';
import type { Model } from '../../src/ir/model.js';
import { printModel } from '../../src/ir/print.js';
import type { Diagnostic } from '../../src/report/result.js';

export interface CheckOptions {
  readonly target?: TargetId;
  readonly options?: unknown;
  readonly coremlFormat?: CoremlFormat;
}

/**
 * Runs one rule on a model the way the engine does and returns its diagnostics. Fails the
 * test if the rule changed the IR (rules must be pure: the canonical dump is compared) or
 * read a weight bigger than a small constant.
 */
export function checkRule(rule: Rule<never> | Rule<unknown>, model: Model, opts: CheckOptions = {}): Diagnostic[] {
  const before = printModel(model);
  const settings = opts.options === undefined ? undefined : new Map([[rule.meta.id, { severity: rule.meta.severity, options: opts.options }]]);
  const diagnostics = runRules(model, [rule as Rule<unknown>], { target: opts.target ?? 'ane', ...(settings ? { settings } : {}), ...(opts.coremlFormat ? { coremlFormat: opts.coremlFormat } : {}) });
  expect(printModel(model), `rule ${rule.meta.id} must not edit the IR`).toBe(before);
  return diagnostics;
}
