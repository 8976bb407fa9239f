import type { Graph, Node } from '../../ir/graph.js';
import type { OrtView } from './view.js';

/**
 * One of ONNX Runtime's level-1 (basic) rewrite rules: tried on each node whose op type it
 * targets, in graph order (onnxruntime core/optimizer/rule_based_graph_transformer.cc).
 */
export interface RewriteRule {
  /** The file name, used in reports (`identity-elimination`). */
  readonly id: string;
  /** ONNX Runtime's name for it, for readers who look it up. */
  readonly ortName: string;
  readonly ops: readonly string[];
  /** Applies the rule to `node` in the view when its conditions hold; true when it changed the graph. */
  apply(view: OrtView, node: Node, opset: number): boolean;
}

/** One of ONNX Runtime's level-1 graph transformers: runs over a whole graph. */
export interface GraphPass {
  readonly id: string;
  readonly ortName: string;
  /**
   * True when its edits only make readers read an equal value instead (sharing, deduplication):
   * what shape inference knew stays true, so the view need not infer shapes again after it.
   */
  readonly keepsShapes?: boolean;
  /**
   * True when, beyond keepsShapes, a reader it edits reads a value of the very same type and
   * elements (constants of equal dtype, dims and bytes): the reader's inference cannot change,
   * so its edit marks are dropped instead of being inferred again after a later pass.
   */
  readonly keepsInference?: boolean;
  /**
   * True when ONNX Runtime runs it in the first round of the level only
   * (GraphTransformer::ShouldOnlyApplyOnce, which GraphTransformerManager honours from the
   * second round on).
   */
  readonly firstRoundOnly?: boolean;
  run(view: OrtView, graph: Graph, opset: number): boolean;
}
