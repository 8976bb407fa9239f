import type { Node } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import type { RuleContext, TargetId } from './rule.js';

/** Per-model indexes shared by all rules: built once, so dispatch by kind is O(matches). */
export class ModelIndex {
  readonly all: Node[] = [];
  readonly order = new Map<Node, number>();
  private readonly byKind = new Map<string, Node[]>();
  private readonly byOp = new Map<string, Node[]>();

  constructor(readonly model: Model) {
    const visit = (m: Model): void => {
      for (const g of m.allGraphs()) {
        for (const n of g.nodes) {
          this.order.set(n, this.all.length);
          this.all.push(n);
          push(this.byKind, n.kind, n);
          push(this.byOp, n.op, n);
        }
      }
      for (const s of m.submodels) visit(s);
    };
    visit(model);
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
): RuleContext<Options> {
  return {
    model: index.model,
    options,
    target,
    nodes: () => index.all,
    nodesOfKind: (kind) => index.ofKind(kind),
    nodesOfOp: (op) => index.ofOp(op),
    debug: (reason, at) => {
      debugLines?.push({ ruleId, reason, ...(at ? { node: at.path } : {}) });
    },
  };
}
