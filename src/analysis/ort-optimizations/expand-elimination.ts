import type { Node } from '../../ir/graph.js';
import { canRemoveNode, dtypeOf, isConstantInitializer, isDefaultDomain, removalInput } from './graph-utils.js';
import type { RewriteRule } from './pass.js';
import type { OrtView } from './view.js';

/**
 * ExpandElimination (onnxruntime core/optimizer/expand_elimination.cc): an Expand whose
 * constant int64 target shape cannot change its input (compared from the trailing axis: each
 * target dim is 1 or equal to a known input dim, and the target is not longer than the input's
 * rank) is removed.
 */
export const expandElimination: RewriteRule = {
  id: 'expand-elimination',
  ortName: 'ExpandElimination',
  ops: ['Expand'],
  apply(view: OrtView, n: Node): boolean {
    if (!isDefaultDomain(n) || !canRemoveNode(n)) return false;
    const t = n.inputs[0]?.type;
    if (!t || t.kind !== 'tensor' || t.shape === null) return false;
    const target = n.inputs[1];
    if (!isConstantInitializer(target) || dtypeOf(target) !== 'int64') return false;
    const dims = view.numbers(target);
    if (!dims || dims.length === 0) return false;
    let i = t.shape.length - 1;
    let j = dims.length - 1;
    if (i < j) return false;
    for (; i >= 0 && j >= 0; i--, j--) {
      const d = t.shape[i];
      if (typeof d === 'number') {
        if (d !== dims[j] && dims[j]! > 1) return false;
      } else if (dims[j]! > 1) return false;
    }
    const via = removalInput(n);
    if (!via) return false;
    view.bypass(n, via, this.id, 'Expand elimination removes it (it cannot change its input)');
    return true;
  },
};
