import { graphsWithin, type Model } from '../ir/model.js';
import { formatType, type ValueType } from '../ir/types.js';

export interface InterfaceValue {
  readonly name: string;
  readonly type: string;
}

/** What the summary and the JSON report's `stats` say about one model. */
export interface ModelStats {
  /** Nodes of the main graph, its nested graphs, and pipeline stages. */
  readonly nodes: number;
  /** Op name as the format spells it → count, over the same nodes. */
  readonly ops: Record<string, number>;
  readonly inputs: InterfaceValue[];
  readonly outputs: InterfaceValue[];
  readonly opsets: Record<string, number>;
  /** Format-specific facts (IR version, spec version, model type, compute precision, ...). */
  readonly info: Record<string, string | number | boolean>;
  /** Functions besides the main graph, with their node counts. */
  readonly functions: Record<string, number>;
  /** Graphs nested in nodes (If/Loop bodies, MIL blocks). */
  readonly nestedGraphs: number;
}

export function computeStats(model: Model): ModelStats {
  const ops = new Map<string, number>();
  let nodes = 0;
  let nested = 0;
  const count = (m: Model): void => {
    for (const g of graphsWithin(m.graph)) {
      if (g !== m.graph) nested++;
      const list = g.nodes;
      for (let i = 0; i < list.length; i++) {
        const n = list[i]!;
        nodes++;
        const name = m.format !== 'onnx' || n.domain === '' || n.domain === 'ai.onnx' ? n.op : `${n.domain}:${n.op}`;
        ops.set(name, (ops.get(name) ?? 0) + 1);
      }
    }
    for (const s of m.submodels) count(s);
  };
  count(model);
  const sorted = [...ops].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const functions: Record<string, number> = {};
  for (const f of model.functions) {
    let n = 0;
    for (const g of graphsWithin(f)) n += g.nodes.length;
    functions[f.path] = n;
  }
  const iface = (vs: readonly { name: string; type: ValueType | null }[]): InterfaceValue[] =>
    vs.map((v) => ({ name: v.name, type: formatType(v.type) }));
  return {
    nodes,
    ops: Object.fromEntries(sorted),
    inputs: iface(model.graph.inputs.filter((v) => v.constant === null)),
    outputs: iface(model.graph.outputs),
    opsets: Object.fromEntries(model.opsets),
    info: Object.fromEntries(model.info),
    functions,
    nestedGraphs: nested,
  };
}
