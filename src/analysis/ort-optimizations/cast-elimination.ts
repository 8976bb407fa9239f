import type { Node } from '../../ir/graph.js';
import { attrInt } from '../../ir/attribute.js';
import { onnxCodeOf } from '../../formats/onnx/dtypes.js';
import type { DType } from '../../ir/dtype.js';
import { canRemoveNode, dtypeOf, isDefaultDomain, removalInput } from './graph-utils.js';
import type { RewriteRule } from './pass.js';
import type { OrtView } from './view.js';

/** CastElimination (onnxruntime core/optimizer/cast_elimination.cc): a Cast to the type its input already has is removed. */
export const castElimination: RewriteRule = {
  id: 'cast-elimination',
  ortName: 'CastElimination',
  ops: ['Cast'],
  apply(view: OrtView, n: Node): boolean {
    if (!isDefaultDomain(n) || !canRemoveNode(n)) return false;
    const from = dtypeOf(n.inputs[0]);
    if (!from || from === 'unknown') return false;
    const to = attrInt(n.attrs, 'to');
    let code: number;
    try {
      code = onnxCodeOf(from as DType);
    } catch {
      return false;
    }
    if (to === undefined || to !== code) return false;
    const via = removalInput(n);
    if (!via) return false;
    view.bypass(n, via, this.id, 'Cast elimination removes it (its input already has that type)');
    return true;
  },
};
