import type { Node } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import type { CoremlFormat, RuleContext, TargetId } from './rule.js';

/** Per-model indexes shared by all rules: built once, so dispatch by kind is O(matches). */
export class ModelIndex {
  readonly all: Node[] = [];
  private readonly byKind = new Map<string, Node[]>();
  private readonly byOp = new Map<string, Node[]>();
  /**
   * Position of each node in `all`, by node id: ids are small and dense within one model,
   * so an array beats a Map of a million node keys. Sub-models number their own nodes, so
   * with sub-models positions are kept in a Map instead.
   */
  private readonly byId: Int32Array | undefined;
  private positions: Map<Node, number> | undefined;

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
    const all = this.all;
    let maxId = -1;
    for (let i = 0; i < all.length; i++) maxId = Math.max(maxId, all[i]!.id);
    if (model.submodels.length === 0 && maxId < 4 * all.length + 1024) {
      const byId = new Int32Array(maxId + 1).fill(-1);
      for (let i = 0; i < all.length; i++) byId[all[i]!.id] = i;
      this.byId = byId;
    }
  }

  /** Where `n` comes in `all` (graph order); undefined for a node not in the model. */
  position(n: Node): number | undefined {
    if (this.byId) {
      const i = this.byId[n.id];
      return i !== undefined && i >= 0 && this.all[i] === n ? i : undefined;
    }
    return this.order.get(n);
  }

  /** Node → position in `all`, as a Map (built when first asked for). */
  get order(): ReadonlyMap<Node, number> {
    if (!this.positions) {
      this.positions = new Map();
      this.all.forEach((n, i) => this.positions!.set(n, i));
    }
    return this.positions;
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
