import type { Node, Value } from '../../ir/graph.js';
import type { ValueType } from '../../ir/types.js';

/** A value whose declared type disagrees with what its producer implies. */
export interface Contradiction {
  readonly value: Value;
  /** The node whose rule inferred the type; null for a subgraph input given by its parent. */
  readonly node: Node | null;
  readonly declared: ValueType;
  readonly inferred: ValueType;
  readonly message: string;
}

/** A node whose inputs broke its op's rules (or whose constants could not be read). */
export interface NodeProblem {
  readonly node: Node;
  readonly message: string;
}

/** What `inferShapes` did; it never throws on a bad model, it reports here. */
export interface ShapeReport {
  /** Nodes whose op (in its domain) has no inference rule; their outputs keep what was declared. */
  readonly uncovered: Node[];
  readonly contradictions: Contradiction[];
  /** Nodes left uninferred because their inputs contradict the op (bad axis, rank, broadcast). */
  readonly problems: NodeProblem[];
  /** Names given in `inputShapes` that are not inputs of the main graph. */
  readonly ignoredInputShapes: string[];
  /** Values whose type inference filled in or refined. */
  refined: number;
}

export function emptyReport(): ShapeReport {
  return { uncovered: [], contradictions: [], problems: [], ignoredInputShapes: [], refined: 0 };
}

/** Op names (domain-qualified off the default domain) with no rule, with how many nodes each. */
export function uncoveredOps(report: ShapeReport): Map<string, number> {
  const counts = new Map<string, number>();
  for (const n of report.uncovered) {
    const name = n.domain === '' || n.domain === 'ai.onnx' ? n.op : `${n.domain}:${n.op}`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}
