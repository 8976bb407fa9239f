import type { Graph, Node } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { NodePositions } from '../ir/node-table.js';
import type { CoremlFormat, RuleContext, TargetId } from './rule.js';

/** Per-model indexes shared by all rules: built once, so dispatch by kind is O(matches). */
export class ModelIndex {
  /** Every node of the model, graph after graph (sub-models last). */
  readonly all: Node[];
  private readonly byKind: NodesByKey;
  private readonly byOp: NodesByKey;
  /** Where each node comes in `all`, by node id (src/ir/node-table.ts). */
  private readonly positions: NodePositions;

  constructor(readonly model: Model) {
    // Counted first, then filled: lists of a million nodes grown by push are made several times over.
    const graphs: Graph[] = [];
    const visit = (m: Model): void => {
      for (const g of m.allGraphs()) graphs.push(g);
      for (const s of m.submodels) visit(s);
    };
    visit(model);
    let total = 0;
    for (const g of graphs) total += g.nodes.length;
    const all: Node[] = new Array(total);
    this.byKind = new NodesByKey(all);
    this.byOp = new NodesByKey(all);
    let at = 0;
    for (const g of graphs) {
      const nodes = g.nodes;
      for (let i = 0; i < nodes.length; i++, at++) {
        const n = nodes[i]!;
        all[at] = n;
        this.byKind.note(at, n.kind);
        this.byOp.note(at, n.op);
      }
    }
    this.all = all;
    this.positions = new NodePositions([all]);
  }

  /** Where `n` comes in `all` (graph order); undefined for a node not in the model. */
  position(n: Node): number | undefined {
    return this.positions.of(n);
  }

  ofKind(kind: string): readonly Node[] {
    return this.byKind.nodes(kind);
  }

  ofOp(op: string): readonly Node[] {
    return this.byOp.nodes(op);
  }
}

const NO_NODES: readonly Node[] = Object.freeze([]);

/**
 * The nodes of a list grouped by one of their strings (op, kind): a small number per node as
 * the list is indexed, and a key's nodes listed, at their count, when a rule first asks for them.
 */
class NodesByKey {
  private readonly ids = new Map<string, number>();
  private readonly counts: number[] = [];
  private readonly keyOf: Int32Array;
  private readonly made = new Map<string, readonly Node[]>();

  constructor(private readonly all: readonly Node[]) {
    this.keyOf = new Int32Array(all.length);
  }

  /** Node `all[at]` has `key`. */
  note(at: number, key: string): void {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.counts.length;
      this.ids.set(key, id);
      this.counts.push(0);
    }
    this.counts[id]!++;
    this.keyOf[at] = id;
  }

  nodes(key: string): readonly Node[] {
    const made = this.made.get(key);
    if (made !== undefined) return made;
    const id = this.ids.get(key);
    if (id === undefined) return NO_NODES;
    const list: Node[] = new Array(this.counts[id]!);
    const keyOf = this.keyOf;
    let k = 0;
    for (let i = 0; i < keyOf.length; i++) if (keyOf[i] === id) list[k++] = this.all[i]!;
    this.made.set(key, list);
    return list;
  }
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
