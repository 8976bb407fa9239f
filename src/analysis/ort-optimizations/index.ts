import type { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { castElimination } from './cast-elimination.js';
import { commonSubexpressionElimination } from './common-subexpression-elimination.js';
import { constantFolding } from './constant-folding.js';
import { constantSharing } from './constant-sharing.js';
import { convAddFusion } from './conv-add-fusion.js';
import { convBnFusion } from './conv-bn-fusion.js';
import { convMulFusion } from './conv-mul-fusion.js';
import { dropoutElimination } from './dropout-elimination.js';
import { expandElimination } from './expand-elimination.js';
import { functionInlining } from './function-inlining.js';
import { defaultOpset } from './graph-utils.js';
import { identityElimination } from './identity-elimination.js';
import { matmulAddFusion } from './matmul-add-fusion.js';
import { noopElimination } from './noop-elimination.js';
import { padFusion } from './pad-fusion.js';
import { reshapeFusion } from './reshape-fusion.js';
import type { GraphPass, RewriteRule } from './pass.js';
import { sliceElimination } from './slice-elimination.js';
import { transposeOptimizer } from './transpose-optimizer.js';
import { unsqueezeElimination } from './unsqueeze-elimination.js';
import { OrtView } from './view.js';

export { OrtView, type Removal } from './view.js';

/**
 * ONNX Runtime's basic (level-1) optimizations, simulated on a copy of the model so graphlint
 * judges the graph the Core ML provider (and ONNX Runtime's usability checker) is given (E10).
 * One transformation per file, each documented there. Investigated with ONNX Runtime 1.30's real
 * optimizer (onnxruntime-node writing the optimized model, as fixtures/ort-usability/record.sh
 * does): with the passes below, graphlint leaves exactly as many nodes as ONNX Runtime on every
 * corpus model, as is and with fixed shapes (test/targets/ort-optimizations.test.ts).
 *
 * Order, as graph_transformer_utils.cc GenerateTransformers(Level1), repeated while anything
 * changes (at most 10 rounds; ConstantSharing in the first round only, as
 * GraphTransformerManager does for a transformer that should only apply once, but see
 * transpose-optimizer.ts), nested graphs before their holders:
 *   0. Constant nodes become initializers (Graph::Graph, at load)         constant-nodes
 *   1. rewrite rules, per node: Identity, Slice, Unsqueeze, Dropout, Expand and Cast eliminations,
 *      NoopElimination, ConvAdd, ConvMul, ConvBN fusions, PadFusion       *-elimination, conv-*-fusion, pad-fusion
 *   2. ConstantSharing (main graph only)                                   constant-sharing
 *   3. CommonSubexpressionElimination                                      common-subexpression-elimination
 *   4. ConstantFolding, with If inlining and Shape folding                 constant-folding, if-inlining
 *   5. MatMulAddFusion                                                     matmul-add-fusion
 *   6. ReshapeFusion                                                       reshape-fusion
 *   7. TransposeOptimizer                                                  transpose-optimizer
 * then, at partitioning, function ops without a kernel are inlined (E15)  function-inlining
 *
 * Not modelled (no effect on the corpus): PreShapeNodeElimination, DivMulFusion, FuseReluClip,
 * GemmSumFusion, GemmTransposeFusion, NotWhereFusion, MatmulBNFusion, LabelEncoderFusion,
 * DoubleQDQPairsRemover and the QDQ passes, GeluFusion and LayerNormFusion (they build ONNX Gelu /
 * LayerNormalization only from opset 20 / 17 patterns absent here), FreeDimensionOverride; the
 * Transpose optimizer's handlers other than those listed in transpose-optimizer.ts. ONNX Runtime's
 * own type inference is approximated by graphlint's plus the ONNX gaps of onnx-shape-gaps.ts.
 */

/** The level-1 rewrite rules in ONNX Runtime's registration order (GenerateRewriteRules, Level1). */
export const LEVEL1_RULES: readonly RewriteRule[] = [
  identityElimination, sliceElimination, unsqueezeElimination, dropoutElimination, expandElimination,
  castElimination, noopElimination, convAddFusion, convMulFusion, convBnFusion, padFusion,
];

/** The level-1 graph transformers after the rules, in ONNX Runtime's order. */
export const LEVEL1_PASSES: readonly GraphPass[] = [
  constantSharing, commonSubexpressionElimination, constantFolding, matmulAddFusion, reshapeFusion, transposeOptimizer,
];

/** ONNX Runtime repeats the level-1 transformers while they change the graph, at most this often. */
const MAX_ROUNDS = 10;

export interface OrtOptimizeOptions {
  /** Skip the optimizations (the checker's --skip_optimize): the view is a plain copy. */
  readonly skip?: boolean;
  /**
   * Infer the whole copy again after each pass that changes it, instead of only what the pass
   * edited: slower, and the same result (test/targets/ort-incremental-shapes.test.ts checks it).
   */
  readonly fullReinference?: boolean;
  /**
   * The caller is done with `model` (lint, once its rules have read it): the passes may edit it
   * in place instead of a copy. Taken only for a model without nested graphs or model-local
   * functions: inlining a branch moves nested graphs under new nodes, which would change the
   * paths graphlint reports for the user's nodes inside them, and a copy carries no functions.
   */
  readonly consume?: boolean;
}

/** Whether optimizeForOrt may edit `model` itself when its caller gives it up (OrtOptimizeOptions.consume). */
export function consumable(model: Model): boolean {
  if (model.format !== 'onnx' || model.functions.length > 0) return false;
  const nodes = model.graph.nodes;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (n.subgraphs().length > 0) return false;
  }
  return true;
}

/**
 * The graph ONNX Runtime's execution providers are asked about: a copy of `model` after ONNX
 * Runtime's basic (level-1) optimizations and function inlining (E10). `model` must already
 * have its shapes inferred (lint does this first); it is not edited unless `options.consume`.
 */
export function optimizeForOrt(model: Model, options: OrtOptimizeOptions = {}): OrtView {
  const adopt = options.consume === true && consumable(model);
  const view = new OrtView(model, { fullReinference: options.fullReinference ?? false, adopt });
  if (options.skip || model.format !== 'onnx') return view;
  const opset = defaultOpset(model);
  // ONNX Runtime turns Constant nodes into initializers when it loads the graph (Graph::Graph), before any pass.
  for (const g of graphsPostOrder(view.model.graph)) {
    const nodes = [...g.nodes];
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      if (n.op === 'Constant' && (n.domain === '' || n.domain === 'ai.onnx')) {
        view.foldToConstant(n, 'constant-nodes', 'ONNX Runtime loads Constant nodes as initializers');
        view.count('constant-nodes');
      }
    }
  }
  view.reinfer();
  // The passes below only take nested graphs away (If inlining), so a graph without any stays
  // so, and is not walked for them before every pass (a sweep of every node on a big graph).
  const root = view.model.graph;
  const flat = graphsPostOrder(root).length === 1;
  const graphsNow = (): Graph[] => (flat ? [root] : graphsPostOrder(root));
  // Edits not inferred again yet, even those that keep shapes: a pass that drops its own marks
  // (keepsInference) must not drop these with them.
  let marked = false;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let changed = false;
    // Shapes are inferred again only after a pass that changed the graph: on a big graph that
    // no pass touches, each inference costs as much as everything else together.
    let stale = false;
    for (const g of graphsNow()) if (applyRules(view, g, opset)) changed = stale = marked = true;
    for (const pass of LEVEL1_PASSES) {
      if (round > 0 && pass.firstRoundOnly) continue;
      if (stale || (marked && pass.keepsInference)) {
        view.reinfer();
        marked = false;
      } else {
        view.compact();
      }
      stale = false;
      // ConstantSharing does not recurse into nested graphs; the others do.
      const graphs = pass === constantSharing ? [root] : graphsNow();
      for (const g of graphs) {
        if (!pass.run(view, g, opset)) continue;
        changed = marked = true;
        if (!pass.keepsShapes) stale = true;
      }
      if (marked && pass.keepsInference) {
        view.forgetEdits();
        marked = false;
      }
    }
    if (stale) {
      view.reinfer();
      marked = false;
    }
    if (!changed) break;
  }
  let inlined = false;
  for (const g of graphsPostOrder(view.model.graph)) if (functionInlining.run(view, g, opset)) inlined = true;
  if (inlined) view.reinfer();
  else view.compact();
  return view;
}

/** The rules for each op they target, in registration order: one look-up per node instead of a scan of every rule. */
const RULES_BY_OP = new Map<string, RewriteRule[]>();
for (const rule of LEVEL1_RULES) {
  for (const op of rule.ops) {
    const list = RULES_BY_OP.get(op);
    if (list) list.push(rule);
    else RULES_BY_OP.set(op, [rule]);
  }
}

function applyRules(view: OrtView, graph: Graph, opset: number): boolean {
  let changed = false;
  const nodes = [...graph.nodes];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    const rules = RULES_BY_OP.get(n.op);
    if (rules === undefined || !graph.contains(n)) continue;
    for (const rule of rules) {
      if (!rule.ops.includes(n.op)) continue; // no rule renames a node today; if one did, its op is what counts
      if (rule.apply(view, n, opset)) {
        view.count(rule.id);
        changed = true;
        if (!graph.contains(n)) break;
      }
    }
  }
  view.compact();
  return changed;
}

/** Nested graphs before the graph that holds them (ONNX Runtime recurses into a node's subgraphs before the node). */
function graphsPostOrder(root: Graph): Graph[] {
  const out: Graph[] = [];
  const visit = (g: Graph): void => {
    // Index loops: this walks every node once per pass.
    const nodes = g.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const subs = nodes[i]!.subgraphs();
      for (let j = 0; j < subs.length; j++) visit(subs[j]![1]);
    }
    out.push(g);
  };
  visit(root);
  return out;
}
