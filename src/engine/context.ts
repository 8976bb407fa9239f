import type { Node } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { NodePositions } from '../ir/node-table.js';
import type { CoremlFormat, RuleContext, TargetId } from './rule.js';

/** Per-model indexes shared by all rules: built once, so dispatch by kind is O(matches). */
export class ModelIndex {
  readonly all: Node[] = [];
  private readonly byKind = new Map<string, Node[]>();
  private readonly byOp = new Map<string, Node[]>();
  /** Where each node comes in `all`, by node id (src/ir/node-table.ts). */
  private readonly positions: NodePositions;

  constructor(readonly model: Model) {
    const visit = (m: Model): void => {
      for (const g of m.allGraphs()) {
        const nodes = g.nodes;
        for (let i = 0; i < nodes.length; i++) {
          const n = nodes[i]!;
          this.all.push(n);
          push(this.byKind, n.kind, n);
          push(this.byOp, n.op, n);
        }
      }
      for (const s of m.submodels) visit(s);
    };
    visit(model);
    this.positions = new NodePositions([this.all]);
  }

  /** Where `n` comes in `all` (graph order); undefined for a node not in the model. */
  position(n: Node): number | undefined {
    return this.positions.of(n);
  }

  ofKind(kind: string): readonly Node[] {
    return this.byKind.get(kind) ?? [];
  }

  ofOp(op: string): readonly Node[] {
    return this.byOp.get(op) ?? [];
  }
}

function push(map: Map<string, Node[]>, key: string, n: Node): void {
  const list = map.get(key);
  if (list) list.push(n);
  else map.set(key, [n]);
}

export interface DebugLine {
  readonly ruleId: string;
  readonly node?: string;
  readonly reason: string;
}

export function makeContext<Options>(
  index: ModelIndex,
  ruleId: string,
  options: Options,
  target: TargetId,
  debugLines: DebugLine[] | undefined,
  coremlFormat: CoremlFormat = 'mlprogram',
): RuleContext<Options> {
  return {
    model: index.model,
    options,
    target,
    coremlFormat,
    nodes: () => index.all,
    nodesOfKind: (kind) => index.ofKind(kind),
    nodesOfOp: (op) => index.ofOp(op),
    debug: (reason, at) => {
      debugLines?.push({ ruleId, reason, ...(at ? { node: at.path } : {}) });
    },
    debugging: debugLines !== undefined,
  };
}
