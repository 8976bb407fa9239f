import type { Node } from '../../ir/graph.js';
import { canRemoveNode, inputEdgeCount, isDefaultDomain, outputEdgeCount, removalInput } from './graph-utils.js';
import type { RewriteRule } from './pass.js';
import type { OrtView } from './view.js';

/**
 * EliminateIdentity (onnxruntime core/optimizer/identity_elimination.cc): an Identity node is
 * removed and its readers read its input instead. When the Identity produces a graph output
 * it is removed only if its input comes from another node of the same graph whose output
 * nothing else reads and that is not itself a graph output (the producer then writes the
 * graph output directly). An Identity that passes an outer-scope value or a graph input out of
 * a subgraph stays (e.g. the Identity nodes left in silero_vad's If branches).
 */
export const identityElimination: RewriteRule = {
  id: 'identity-elimination',
  ortName: 'EliminateIdentity',
  ops: ['Identity'],
  apply(view: OrtView, n: Node): boolean {
    if (!isDefaultDomain(n) || n.outputs.length !== 1) return false;
    const input = n.inputs[0];
    if (!input) return false;
    if (canRemoveNode(n)) {
      const via = removalInput(n);
      if (!via) return false;
      view.bypass(n, via, this.id, 'Identity elimination removes it');
      return true;
    }
    const out = n.outputs[0]!;
    if (!out.isGraphOutput || outputEdgeCount(n) !== 0) return false;
    const p = input.producer;
    if (!p || p.graph !== n.graph || inputEdgeCount(n) !== 1) return false;
    if (input.isGraphOutput || input.uses.length > 1) return false;
    view.bypass(n, input, this.id, 'Identity elimination removes it (its producer writes the graph output)');
    return true;
  },
};
