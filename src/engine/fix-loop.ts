import { createHash } from 'node:crypto';
import { inferShapes } from '../analysis/shapes/index.js';
import { forgetPlans } from '../targets/plan.js';
import { ModelError } from '../errors.js';
import { ShapeEngine } from '../analysis/shapes/engine.js';
import { emptyReport, type ShapeReport } from '../analysis/shapes/report.js';
import type { Node, Value } from '../ir/graph.js';
import { graphsWithin, type Model } from '../ir/model.js';
import { printModel } from '../ir/print.js';
import type { Dim } from '../ir/shape.js';
import type { ValueType } from '../ir/types.js';
import { Transaction } from '../rewrite/apply.js';
import { NameSource, PatchBuilder } from '../rewrite/builder.js';
import { removeDead } from '../rewrite/cleanup.js';
import { factoryFor } from '../rewrite/factory/index.js';
import { foldPatches, ShapeArithmetic } from '../rewrite/fold.js';
import { disjoint, FixDeclined, type Patch } from '../rewrite/patch.js';
import { captureInterface, checkInterface, checkStructure, checkTypes, compatible, type GraphInterface } from '../rewrite/verify-graph.js';
import { makeContext, ModelIndex } from './context.js';
import type { CoremlFormat, Finding, Rule, TargetId } from './rule.js';
import type { RuleSettings } from './run-rules.js';

export interface FixOptions {
  readonly rules: readonly Rule<unknown>[];
  readonly target: TargetId;
  readonly settings?: ReadonlyMap<string, RuleSettings>;
  /** Also apply fixes of rules whose fixes change numerics (`--fix-unsafe`). */
  readonly unsafe?: boolean;
  /** `--input-shape`: dims for graph inputs, fixed before analysis (ONNX). */
  readonly inputShapes?: ReadonlyMap<string, readonly Dim[]>;
  /** Default 10. */
  readonly maxPasses?: number;
  /** --coreml-format, for rules judging ONNX Runtime's Core ML provider. */
  readonly coremlFormat?: CoremlFormat;
  /** Test hook: one more check after each patch; a message rolls the patch back. */
  readonly extraCheck?: (tx: Transaction) => string | undefined;
}

export interface AppliedFix {
  readonly ruleId: string;
  /** The finding's node paths, as they were when the patch was made. */
  readonly nodes: readonly string[];
  readonly summary: string;
  readonly pass: number;
}

export interface FailedFix {
  readonly ruleId: string;
  readonly nodes: readonly string[];
  /** declined: the fix does not handle this instance; rolled-back: a check failed after applying it. */
  readonly stage: 'declined' | 'rolled-back';
  readonly reason: string;
}

export type StopReason = 'no-change' | 'max-passes' | 'repeated-graph' | 'not-rewritable';

export interface FixOutcome {
  readonly applied: AppliedFix[];
  readonly failed: FailedFix[];
  readonly passes: number;
  readonly stop: StopReason;
  /** Why the model cannot be rewritten at all (stop = not-rewritable). */
  readonly note?: string;
  /** Nodes of the main graph and the graphs nested in it, before and after. */
  readonly nodesBefore: number;
  readonly nodesAfter: number;
  /** Dead nodes and constants the clean-up removed. */
  readonly removedNodes: number;
  readonly removedConstants: number;
  readonly changed: boolean;
}

const MAX_PASSES = 10;

/**
 * The fix loop (ARCHITECTURE.md, Rewrites): check → collect patches from the rules' fix
 * functions → apply the ones that do not overlap → post-checks (interface unchanged, no
 * dangling values, acyclic, types re-inferred), rolling back a patch that fails one →
 * remove what became dead → check again. Stops when a pass changes nothing, after 10
 * passes, or when a pass produces a graph seen before. Edits `model` in place.
 */
export function fixModel(model: Model, options: FixOptions): FixOutcome {
  const nodesBefore = countNodes(model);
  const applied: AppliedFix[] = [];
  const failed: FailedFix[] = [];
  const factory = factoryFor(model);
  const base = { applied, failed, nodesBefore, removedNodes: 0, removedConstants: 0 };
  if (typeof factory === 'string') {
    return { ...base, passes: 0, stop: 'not-rewritable', note: factory, nodesAfter: nodesBefore, changed: false };
  }
  const onnx = model.format === 'onnx';
  if (onnx) inferShapes(model, options.inputShapes ? { inputShapes: options.inputShapes } : {});
  const iface = captureInterface(model);
  const names = new NameSource(model);
  const tried = new Set<string>();
  const seen = new Set<string>([fingerprint(model)]);
  let removedNodes = 0;
  let removedConstants = 0;
  let stop: StopReason = 'max-passes';
  let passes = 0;
  const maxPasses = options.maxPasses ?? MAX_PASSES;

  // A fix may decline now and succeed once another pass has made more known: declines are
  // retried every pass, and only those of the last pass are reported.
  let declined: FailedFix[] = [];
  for (let pass = 1; pass <= maxPasses; pass++) {
    passes = pass;
    declined = [];
    // Rules (partition-boundary) read the partition plan: the previous pass's edits made it stale.
    forgetPlans(model);
    const engine = onnx ? infer(model).engine : undefined;
    const arithmetic = new ShapeArithmetic();
    const elements = engine
      ? (v: Value): readonly Dim[] | undefined => {
        const e = engine.elements(v, 1024);
        return e && e.every((x) => typeof x === 'number') ? e : arithmetic.value(v)?.data ?? e;
      }
      : undefined;
    const { patches, found } = collect(model, options, (rule, f, ctx) => {
      const key = `${rule.meta.id}:${f.nodes.map((n) => n.id).join(',')}`;
      if (tried.has(key)) return undefined;
      const b = new PatchBuilder({ model, factory, names, graph: f.nodes[0]!.graph, ...(elements ? { elements } : {}) });
      const paths = f.nodes.map((n) => n.path);
      try {
        const summary = rule.fix!(f, b, ctx);
        return b.patch(rule.meta.id, f.nodes, summary || `${rule.meta.id} fix`);
      } catch (e) {
        // A model problem (weights that are not there, say) declines the fix like the fix itself would.
        const internal = !(e instanceof FixDeclined || e instanceof ModelError);
        if (internal) tried.add(key);
        const reason = internal ? `internal error in the fix (please report): ${(e as Error).message}` : (e as Error).message;
        (internal ? failed : declined).push({ ruleId: rule.meta.id, nodes: paths, stage: 'declined', reason });
        return undefined;
      }
    });

    // Constant folding of shape parameters once the rules have found something (ONNX): a fold
    // can turn a finding fixable (pad amounts computed from fixed shapes, say).
    if (onnx && (found > 0 || applied.length > 0)) {
      patches.push(...foldPatches(model, arithmetic, () => new PatchBuilder({ model, factory, names, ...(elements ? { elements } : {}) })));
    }
    const chosen: Patch[] = [];
    for (const p of patches) if (chosen.every((q) => disjoint(p, q))) chosen.push(p);

    const done: Array<{ tx: Transaction; paths: string[]; predicted: Map<Value, ValueType> }> = [];
    const fail = (p: Patch, paths: string[], reason: string): void => {
      tried.add(`${p.ruleId}:${p.nodes.map((n) => n.id).join(',')}`);
      failed.push({ ruleId: p.ruleId, nodes: paths, stage: 'rolled-back', reason });
    };
    for (const p of chosen) {
      const paths = p.nodes.map((n) => n.path);
      const tx = new Transaction(model, p, names);
      let problem: string | undefined;
      try {
        tx.apply();
        problem = checkStructure(tx) ?? checkInterfaceNames(model, iface) ?? replacedTypes(tx) ?? options.extraCheck?.(tx);
      } catch (e) {
        problem = `the patch could not be applied: ${(e as Error).message}`;
      }
      if (problem) {
        tx.rollback();
        fail(p, paths, problem);
        continue;
      }
      const predicted = new Map<Value, ValueType>();
      for (const v of tx.createdValues) if (v.type) predicted.set(v, v.type);
      done.push({ tx, paths, predicted });
    }

    // Types re-inferred (ONNX): a patch whose values disagree with inference is rolled back.
    if (onnx && done.length > 0) {
      for (let round = 0; round < 2; round++) {
        const { report } = infer(model);
        const bad = done.filter((d) => typeProblem(d.tx, d.predicted, report) !== undefined);
        if (bad.length === 0) break;
        for (const d of [...bad].reverse()) {
          const reason = typeProblem(d.tx, d.predicted, report)!;
          d.tx.rollback();
          fail(d.tx.patch, d.paths, reason);
          done.splice(done.indexOf(d), 1);
        }
      }
    } else {
      for (const d of [...done].reverse()) {
        const problem = checkTypes(d.tx, d.predicted);
        if (!problem) continue;
        d.tx.rollback();
        fail(d.tx.patch, d.paths, problem);
        done.splice(done.indexOf(d), 1);
      }
    }
    const ifaceProblem = done.length > 0 ? checkInterface(model, iface) : undefined;
    if (ifaceProblem) {
      // Not attributable to one patch: roll the whole pass back.
      for (const d of [...done].reverse()) {
        d.tx.rollback();
        fail(d.tx.patch, d.paths, ifaceProblem);
      }
      done.length = 0;
    }

    if (done.length === 0) {
      // Patches that waited for this pass (they overlapped a chosen one) get the next pass.
      if (chosen.length < patches.length && pass < maxPasses) continue;
      stop = 'no-change';
      break;
    }
    const start: Value[] = [];
    for (const { tx } of done) {
      for (const v of tx.released) start.push(v); // not push(...): a big fix releases more values than a call takes
      for (const n of tx.removals) for (const v of n.outputs) start.push(v);
    }
    const cleaned = removeDead(start, names);
    removedNodes += cleaned.nodes.length;
    removedConstants += cleaned.constants.length;
    for (const d of done) applied.push({ ruleId: d.tx.patch.ruleId, nodes: d.paths, summary: d.tx.patch.summary, pass });

    const print = fingerprint(model);
    if (seen.has(print)) {
      stop = 'repeated-graph';
      break;
    }
    seen.add(print);
  }
  failed.push(...declined);
  if (onnx && applied.length > 0) infer(model);
  return {
    ...base, passes, stop, nodesAfter: countNodes(model), removedNodes, removedConstants, changed: applied.length > 0,
  };
}

/** Every fixable finding of the enabled rules that have a fix, turned into a patch (or nothing). */
function collect(
  model: Model,
  options: FixOptions,
  make: (rule: Rule<unknown>, f: Finding, ctx: ReturnType<typeof makeContext<unknown>>) => Patch | undefined,
): { patches: Patch[]; found: number } {
  let found = 0;
  const index = new ModelIndex(model);
  const inMain = new Set(graphsWithin(model.graph));
  const patches: Array<{ patch: Patch; position: number }> = [];
  for (const rule of options.rules) {
    const { meta } = rule;
    if (!rule.fix || !meta.fixable || !meta.targets.includes(options.target)) continue;
    if (meta.fixable === 'unsafe' && !options.unsafe) continue;
    const setting = options.settings?.get(meta.id);
    if ((setting?.severity ?? meta.severity) === 'off') continue;
    const ctx = makeContext(index, meta.id, setting?.options ?? meta.defaultOptions, options.target, undefined, options.coremlFormat);
    for (const f of rule.check(ctx)) {
      found++;
      if (f.fixable === false || f.nodes.length === 0) continue;
      // ONNX model-local functions are templates the writer keeps as they are.
      if (model.format === 'onnx' && f.nodes.some((n) => !inMain.has(n.graph))) continue;
      const patch = make(rule, f, ctx);
      if (!patch) continue;
      let position = Number.MAX_SAFE_INTEGER;
      for (const n of f.nodes) position = Math.min(position, index.position(n) ?? Number.MAX_SAFE_INTEGER);
      patches.push({ patch, position });
    }
  }
  patches.sort((a, b) => a.position - b.position);
  return { patches: patches.map((p) => p.patch), found };
}

function infer(model: Model): { engine: ShapeEngine; report: ShapeReport } {
  const report = emptyReport();
  const engine = new ShapeEngine(model, report);
  engine.inferGraph(model.graph);
  return { engine, report };
}

/** Names and order only: types are compared once inference has run. */
function checkInterfaceNames(model: Model, iface: GraphInterface): string | undefined {
  return checkInterface(model, {
    inputs: iface.inputs.map((e) => ({ name: e.name, type: null })),
    outputs: iface.outputs.map((e) => ({ name: e.name, type: null })),
  });
}

/** A replacement must have the type of what it replaces (the builder's type for a new value, else the current one). */
function replacedTypes(tx: Transaction): string | undefined {
  for (const op of tx.patch.ops) {
    if (op.op !== 'replace') continue;
    if (!compatible(op.from.type, op.to.type)) return `the replacement of ${op.from.name} has another type`;
  }
  return undefined;
}

function typeProblem(tx: Transaction, predicted: ReadonlyMap<Value, ValueType>, report: ShapeReport): string | undefined {
  const created = new Set<Node>(tx.created);
  const p = report.problems.find((x) => created.has(x.node));
  if (p) return `shape inference rejects ${p.node.label}: ${p.message}`;
  const c = report.contradictions.find((x) => (x.node && created.has(x.node)) || tx.createdValues.includes(x.value));
  if (c) return `shape inference disagrees about ${c.value.name}: ${c.message}`;
  return checkTypes(tx, predicted) ?? replacedTypes(tx);
}

function countNodes(model: Model): number {
  let n = 0;
  for (const g of graphsWithin(model.graph)) n += g.nodes.length;
  return n;
}

function fingerprint(model: Model): string {
  return createHash('sha1').update(printModel(model)).digest('hex');
}
