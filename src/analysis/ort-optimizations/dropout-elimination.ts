import type { Node } from '../../ir/graph.js';
import { canRemoveNode, isDefaultDomain, removalInput } from './graph-utils.js';
import type { RewriteRule } from './pass.js';
import type { OrtView } from './view.js';

/**
 * EliminateDropout (onnxruntime core/optimizer/dropout_elimination.cc): at inference a Dropout
 * is the identity on its data, so it is removed when its mask output is unused, it produces no
 * graph output, and only its data output is read. (A training-mode ratio input makes no
 * difference to ONNX Runtime here.)
 */
export const dropoutElimination: RewriteRule = {
  id: 'dropout-elimination',
  ortName: 'EliminateDropout',
  ops: ['Dropout'],
  apply(view: OrtView, n: Node): boolean {
    if (!isDefaultDomain(n)) return false;
    const mask = n.outputs[1];
    if (mask && (mask.uses.length > 0 || mask.isGraphOutput)) return false;
    if (!canRemoveNode(n)) return false;
    const via = removalInput(n) ?? n.inputs[0];
    if (!via) return false;
    view.bypass(n, via, this.id, 'Dropout elimination removes it (the identity at inference)');
    return true;
  },
};
