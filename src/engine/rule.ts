import type { Node } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import type { Severity } from '../report/result.js';
import type { PatchBuilder } from '../rewrite/builder.js';

export type TargetId = 'ane' | 'coreml-ep';
/** The model ONNX Runtime's Core ML provider builds: an ML Program (its default) or a NeuralNetwork. */
export type CoremlFormat = 'mlprogram' | 'neuralnetwork';
export const TARGET_IDS: readonly TargetId[] = ['ane', 'coreml-ep'];

/** A JSON Schema (draft 2020-12 subset as ajv accepts it) for a rule's options. */
export type OptionsSchema = Record<string, unknown>;

export interface RuleMeta<Options> {
  /** kebab-case noun of the problem; equals the file name under rules/. */
  readonly id: string;
  /** One line, shown by `graphlint rules` and in SARIF. */
  readonly description: string;
  readonly targets: readonly TargetId[];
  readonly severity: Severity;
  readonly fixable?: 'safe' | 'unsafe';
  /** Fact ids (src/targets/facts.ts) the rule rests on. */
  readonly facts: readonly string[];
  /** Schema of the options object; omitted when the rule takes none. */
  readonly schema?: OptionsSchema;
  readonly defaultOptions: Options;
}

/** What a rule found: the nodes it is about and a message in plain words. */
export interface Finding {
  readonly nodes: readonly Node[];
  /** What, why it hurts on the target, what to do. */
  readonly message: string;
  /** Overrides the rule's severity for this finding (e.g. a guess-based one at info). */
  readonly severity?: Severity;
  /** False when this instance cannot be fixed although the rule can fix others. */
  readonly fixable?: boolean;
  /** The fact this finding rests on, when it is narrower than the rule's. */
  readonly fact?: string;
  /** Whatever the rule's fix will need. */
  readonly data?: unknown;
}

export interface RuleContext<Options> {
  readonly model: Model;
  readonly options: Options;
  readonly target: TargetId;
  /** For --target coreml-ep: the model format ONNX Runtime's Core ML provider builds (--coreml-format). */
  readonly coremlFormat: CoremlFormat;
  /** Every node of every graph (nested ones and functions included), in graph order. */
  nodes(): readonly Node[];
  /** The nodes of one canonical kind (`conv`, `reduce_mean`, ...), in graph order. */
  nodesOfKind(kind: string): readonly Node[];
  /** The nodes of one op as the format spells it (`Slice`, `innerProduct`), in graph order. */
  nodesOfOp(op: string): readonly Node[];
  /** Explains a near miss; printed with --debug. */
  debug(reason: string, at?: Node): void;
  /** True under --debug: a rule may skip work whose only product is debug lines otherwise. */
  readonly debugging: boolean;
}

export interface Rule<Options = unknown> {
  readonly meta: RuleMeta<Options>;
  /**
   * The targets for which `check` reads the partition plan (src/targets/plan.ts). Lint runs
   * such a rule after the plan, and the others before it: the plan may be made by editing the
   * model into ONNX Runtime's view of it, so these rules may read only the plan, the nodes of
   * `ctx.nodes()` as the user's (their op, domain and path), and the model's format and functions.
   */
  readonly readsPlan?: readonly TargetId[];
  /** Pure: reads the IR, never edits it. */
  check(ctx: RuleContext<Options>): Finding[];
  /**
   * Records the patch that fixes one of this rule's fixable findings through the builder,
   * never editing the IR (the fix loop applies and checks the patch). Returns a one-line
   * summary of the rewrite; `builder.decline(reason)` gives up on this instance.
   */
  fix?(finding: Finding, builder: PatchBuilder, ctx: RuleContext<Options>): string | void;
}

/** Identity, for type inference of a rule's options. */
export function defineRule<Options>(rule: Rule<Options>): Rule<Options> {
  return rule;
}
