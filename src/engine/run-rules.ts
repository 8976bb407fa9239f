import type { Model } from '../ir/model.js';
import { beginTask, type ProgressTask } from '../ir/progress.js';
import type { Diagnostic, Severity } from '../report/result.js';
import { makeContext, ModelIndex, type DebugLine } from './context.js';
import type { CoremlFormat, Rule, TargetId } from './rule.js';

export type SeveritySetting = Severity | 'off';

export interface RuleSettings {
  readonly severity: SeveritySetting;
  readonly options: unknown;
}

export interface RunRulesOptions {
  readonly target: TargetId;
  /** Per rule id; rules not listed run at their default severity and options. */
  readonly settings?: ReadonlyMap<string, RuleSettings>;
  /** Collects "why not matched" lines for --debug. */
  readonly debug?: DebugLine[];
  /** --coreml-format, for rules judging ONNX Runtime's Core ML provider (default mlprogram). */
  readonly coremlFormat?: CoremlFormat;
}

/** A diagnostic before paths are taken, for sorting by node order. */
interface Ordered {
  readonly diagnostic: Diagnostic;
  readonly position: number;
}

/**
 * Runs every enabled rule that applies to the target over every graph of the model and
 * returns diagnostics ordered by node order, then rule id.
 */
export function runRules(model: Model, rules: readonly Rule<unknown>[], options: RunRulesOptions): Diagnostic[] {
  const run = new RuleRun(model, options);
  run.check(rules);
  return run.diagnostics();
}

/**
 * Rules run over one model in several goes (lint runs those that read the partition plan
 * after it), with the model's nodes listed once, as they were before the first go: every
 * diagnostic is ordered by the user's graph even when a later go sees the model edited.
 */
export class RuleRun {
  private readonly index: ModelIndex;
  private readonly found: Ordered[] = [];

  constructor(model: Model, private readonly options: RunRulesOptions) {
    this.index = new ModelIndex(model);
  }

  check(rules: readonly Rule<unknown>[]): void {
    if (rules.length === 0) return;
    const task = beginTask(`checking ${this.index.all.length} nodes`, rules.length, 'items');
    try {
      runEach(rules, this.options, this.index, this.found, task);
    } finally {
      task.end();
    }
  }

  /** Every go's diagnostics, by node order, then rule id. */
  diagnostics(): Diagnostic[] {
    const found = [...this.found].sort((a, b) => a.position - b.position || (a.diagnostic.ruleId < b.diagnostic.ruleId ? -1 : a.diagnostic.ruleId > b.diagnostic.ruleId ? 1 : 0));
    return found.map((o) => o.diagnostic);
  }
}

function runEach(rules: readonly Rule<unknown>[], options: RunRulesOptions, index: ModelIndex, found: Ordered[], task: ProgressTask): void {
  for (const [i, rule] of rules.entries()) {
    const { meta } = rule;
    task.update(i, meta.id);
    if (!meta.targets.includes(options.target)) continue;
    const setting = options.settings?.get(meta.id);
    const severity = setting?.severity ?? meta.severity;
    if (severity === 'off') continue;
    const ruleOptions = setting?.options ?? meta.defaultOptions;
    const ctx = makeContext(index, meta.id, ruleOptions, options.target, options.debug, options.coremlFormat);
    for (const f of rule.check(ctx)) {
      if (f.nodes.length === 0) throw new Error(`invariant: rule ${meta.id} reported a finding with no nodes`);
      // A loop, not Math.min(...): a finding may name more nodes than a call takes arguments.
      let position = Number.MAX_SAFE_INTEGER;
      for (const n of f.nodes) position = Math.min(position, index.position(n) ?? Number.MAX_SAFE_INTEGER);
      // A finding may lower (never raise) the rule's level, whoever set it: a finding that
      // rests on a guess stays below error even when the user raises the rule.
      const level = f.severity && rank(f.severity) < rank(severity) ? f.severity : severity;
      found.push({
        position,
        diagnostic: {
          ruleId: meta.id,
          severity: level as Severity,
          message: f.message,
          nodes: f.nodes.map((n) => n.path),
          fixable: meta.fixable !== undefined && f.fixable !== false,
        },
      });
    }
  }
}

function rank(s: Severity): number {
  return s === 'error' ? 2 : s === 'warning' ? 1 : 0;
}
