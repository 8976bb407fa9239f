import { constantTensor } from '../src/analysis/constants.js';
import { defineRule, type Finding } from '../src/engine/rule.js';
import type { Graph, Node, Value } from '../src/ir/graph.js';
import { formatShape, type Dim } from '../src/ir/shape.js';

export interface Options {
  /** Highest rank the target accepts. */
  readonly maxRank: number;
}

const DEFAULTS: Options = { maxRank: 5 };

interface Offender {
  readonly name: string;
  readonly rank: number;
  readonly shape: readonly Dim[];
}

export default defineRule<Options>({
  meta: {
    id: 'tensor-rank',
    description: "tensors above the target's rank limit",
    targets: ['ane', 'coreml-ep'],
    severity: 'error',
    facts: ['A7', 'E2'],
    schema: {
      type: 'object',
      properties: {
        maxRank: {
          type: 'integer',
          minimum: 1,
          default: 5,
          description: 'Highest tensor rank the target accepts: the Neural Engine rejects rank 6 (A7); the Core ML provider accepts inputs of rank 5 at most (E2).',
        },
      },
      additionalProperties: false,
    },
    defaultOptions: DEFAULTS,
  },
  check(ctx) {
    const maxRank = ctx.options?.maxRank ?? DEFAULTS.maxRank;
    const fact = ctx.target === 'coreml-ep' ? 'E2' : 'A7';
    const findings: Finding[] = [];
    const report = (producer: Node | null, values: readonly Value[]): void => {
      const offenders: Offender[] = [];
      const readers: Node[] = [];
      for (const v of values) {
        const shape = shapeOf(v);
        if (shape === undefined || shape.length <= maxRank) continue;
        offenders.push({ name: v.name, rank: shape.length, shape });
        for (const u of v.uses) if (!readers.includes(u.node)) readers.push(u.node);
      }
      if (offenders.length === 0) return;
      const nodes = producer ? [producer, ...readers.filter((r) => r !== producer)] : readers;
      if (nodes.length === 0) {
        ctx.debug(`rank-${offenders[0]!.rank} value ${offenders[0]!.name} has no producer and no readers: nothing to point at`);
        return;
      }
      const what = offenders.map((o) => `${o.name} ${formatShape(o.shape)} (rank ${o.rank})`).join(', ');
      const source = producer ? `${producer.label} produces` : values[0]!.isGraphInput ? 'Graph input' : 'Constant';
      const why = ctx.target === 'coreml-ep'
        ? `ONNX Runtime's Core ML provider accepts node inputs of rank ${maxRank} at most (E2), so the nodes reading it are not claimed and run on the CPU provider`
        : `the Neural Engine rejects tensors above rank ${maxRank} ("ANE does not support blob with rank: 6", A7), so Core ML moves this part of the graph off it`;
      findings.push({
        nodes,
        fact,
        message:
          `${source} ${what}: ${why}. ` +
          `Reshape so that no tensor has more than ${maxRank} axes (merge axes that move together, e.g. batch and heads, before the op and split them after).`,
        data: { maxRank, values: offenders },
      });
    };

    const graphs = new Set<Graph>();
    const nodes = ctx.nodes();
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      graphs.add(n.graph);
      report(n, n.outputs);
    }
    // Values no node produces: graph inputs and initializers, pointed at through their readers.
    for (const g of graphs) {
      for (const v of g.inputs) report(null, [v]);
      for (const v of g.initializers) if (!v.isGraphInput) report(null, [v]);
    }
    return findings;
  },
});

/** The shape of a value when its rank is known: from its type, else from its constant's dims. */
function shapeOf(v: Value): readonly Dim[] | undefined {
  const t = v.type;
  if (t && (t.kind === 'tensor' || t.kind === 'sparse') && t.shape !== null) return t.shape;
  const c = constantTensor(v);
  return c ? c.dims : undefined;
}
