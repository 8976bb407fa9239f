import type { Node } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { graphsWithin } from '../ir/model.js';
import { defaultOpset, sinceVersion } from '../analysis/ort-optimizations/graph-utils.js';
import { optimizeForOrt, type OrtView } from '../analysis/ort-optimizations/index.js';
import { checkBuilder } from './coreml-ep-conditions.js';
import { COREML_EP_SOURCE_COMMIT, coremlEpOpSupport, type CoremlFormat } from './coreml-ep-ops.js';
import { checkerDecision } from './coreml-ep-tables.js';
import { onnxShapeGaps, type OnnxShapeGaps } from '../analysis/ort-optimizations/onnx-shape-gaps.js';
import { decision, type Decision, type Judgement } from './types.js';
import { NodeMap } from '../ir/node-table.js';

export type CoremlEpSource = 'builders' | 'tables';

export interface CoremlEpOptions {
  /** The model format the provider builds (its ModelFormat option; `--coreml-format`). Default mlprogram. */
  readonly format?: CoremlFormat;
  /**
   * `builders` (default): predict the real provider from its op builders (E5, E7, E11, E12).
   * `tables`: reproduce ONNX Runtime's usability checker (published tables, its shape rules, E13).
   */
  readonly source?: CoremlEpSource;
  /**
   * Refuse inputs with dynamic dims (the provider's RequireStaticInputShapes). Default true:
   * graphlint treats a dynamic dim as unsupported unless `--input-shape` fixes it (E2), which
   * is also what the checker does. ONNX Runtime's own default is off.
   */
  readonly staticShapes?: boolean;
  /** The provider's EnableOnSubgraphs (E12). Default false, as in ONNX Runtime. */
  readonly subgraphs?: boolean;
  /** Judge the graph as written, without ONNX Runtime's basic optimizations (the checker's --skip_optimize). */
  readonly skipOptimizations?: boolean;
}

export interface CoremlEpJudgement extends Judgement {
  readonly view: OrtView;
  readonly format: CoremlFormat;
  readonly source: CoremlEpSource;
}

const FORMAT_NAME: Readonly<Record<CoremlFormat, string>> = { mlprogram: 'ML Program', neuralnetwork: 'NeuralNetwork' };

/**
 * ONNX Runtime's Core ML execution provider on an ONNX model: the graph as the provider sees
 * it (a copy after ONNX Runtime's basic optimizations, E10; the model is not edited, unless
 * `consume` gives it up: see optimizeForOrt) and, per node, claimed or not, with the builder
 * check or table row that decided it.
 */
export function judgeCoremlEp(model: Model, options: CoremlEpOptions = {}, consume = false): CoremlEpJudgement {
  const format = options.format ?? 'mlprogram';
  const source = options.source ?? 'builders';
  const staticShapes = options.staticShapes ?? true;
  const view = optimizeForOrt(model, { skip: options.skipOptimizations ?? false, consume });
  const judged = view.model;
  const opset = defaultOpset(judged);
  const decisions = new NodeMap<Decision>(judged.ids.issued);
  // ONNX Runtime's own shape inference has the same gaps as ONNX's (no shape past an If whose
  // branches disagree, ...): the checker reads them as fixed (E13), the builders as unknown (E2).
  const gaps = onnxShapeGaps(judged, opset);
  for (const g of graphsWithin(judged.graph)) {
    const nested = g !== judged.graph;
    const nodes = g.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      if (source === 'tables') {
        decisions.set(n, checkerDecision(n, format, gaps));
      } else if (nested && !options.subgraphs) {
        decisions.set(n, decision('unclaimed', `it is inside ${g.path}, and the provider takes no node of a nested graph unless enabled on subgraphs`, 'E12', 'subgraph'));
      } else {
        decisions.set(n, builderDecision(view, n, format, staticShapes, opset, gaps));
      }
    }
  }
  const notes = describe(view, format, source, staticShapes);
  return {
    target: 'coreml-ep', judged, decisions, view, format, source, notes, guesses: [],
    originsOf: (n) => view.originsOf(n),
  };
}

function builderDecision(view: OrtView, n: Node, format: CoremlFormat, staticShapes: boolean, opset: number, gaps: OnnxShapeGaps): Decision {
  const gate = coremlEpOpSupport(n.op, n.domain);
  const name = n.domain === '' || n.domain === 'ai.onnx' ? n.op : `${n.domain}:${n.op}`;
  if (!gate[format]) {
    const why = gate.hasBuilder ? `its ${n.op} builder does not build ${FORMAT_NAME[format]}` : `the provider has no builder for ${name}`;
    return decision('unclaimed', why, gate.fact, 'op-type');
  }
  const failure = checkBuilder(n, {
    format, staticShapes,
    sinceVersion: n.domain === '' || n.domain === 'ai.onnx' ? sinceVersion(n.op, opset) : undefined,
    isConstant: (v) => view.isConstant(v),
    numbers: (v) => view.numbers(v, 1024),
    gaps,
  });
  if (failure) return decision('unclaimed', failure.reason, failure.fact, failure.code);
  return decision('claimed', `the ${FORMAT_NAME[format]} builder for ${n.op} accepts it`, gate.fact, 'claimed');
}

function describe(view: OrtView, format: CoremlFormat, source: CoremlEpSource, staticShapes: boolean): string[] {
  let after = 0;
  for (const g of graphsWithin(view.model.graph)) after += g.nodes.length;
  const passes = [...view.applied].map(([p, k]) => `${p} ×${k}`).join(', ');
  const notes = [
    `Judged the graph as ONNX Runtime's Core ML provider sees it, after ONNX Runtime's basic optimizations (E10): ${view.nodesBefore} nodes in the file, ${after} after (${passes || 'no change'}).`,
    source === 'builders'
      ? `Op support follows the provider's ${FORMAT_NAME[format]} builders at onnxruntime ${COREML_EP_SOURCE_COMMIT.slice(0, 12)} (E7, E11), with their per-op conditions (E5).`
      : `Op support follows the published ${FORMAT_NAME[format]} table and the usability checker's shape rules (E11, E13), not the builders.`,
  ];
  if (staticShapes) notes.push('Dynamic dimensions count as unsupported (E2); fix them with --input-shape.');
  if (view.undecidedIfs.size > 0) {
    notes.push(`${view.undecidedIfs.size} If node(s) have a constant condition graphlint could not compute; ONNX Runtime would inline one branch of each.`);
  }
  return notes;
}
