import type { Node } from '../../ir/graph.js';
import { canRemoveNode, isConstantInitializer, isDefaultDomain, removalInput } from './graph-utils.js';
import type { RewriteRule } from './pass.js';
import type { OrtView } from './view.js';

/**
 * NoopElimination (onnxruntime core/optimizer/noop_elimination.cc): x+0, 0+x, x-0, x*1, 1*x and
 * x/1 are removed when exactly one input is a constant initializer of at most one element
 * whose rank does not exceed the other input's (so broadcasting cannot change the shape).
 */
export const noopElimination: RewriteRule = {
  id: 'noop-elimination',
  ortName: 'NoopElimination',
  ops: ['Add', 'Sub', 'Mul', 'Div'],
  apply(view: OrtView, n: Node): boolean {
    if (!isDefaultDomain(n) || n.inputs.length !== 2) return false;
    const c0 = isConstantInitializer(n.inputs[0]);
    const c1 = isConstantInitializer(n.inputs[1]);
    if (c0 === c1) return false;
    if ((n.op === 'Sub' || n.op === 'Div') && !c1) return false;
    const k = n.inputs[c0 ? 0 : 1]!;
    const other = n.inputs[c0 ? 1 : 0];
    if (!other) return false; // an omitted ('') input: not a no-op ONNX Runtime would remove
    const dims = k.constant!.dims;
    const ot = other.type;
    if (!ot || ot.kind !== 'tensor' || ot.shape === null || dims.length > ot.shape.length) return false;
    const size = dims.reduce((a, b) => a * b, 1);
    if (size > 1) return false;
    if (size === 1) {
      const v = view.numbers(k, 1)?.[0];
      if (v === undefined) return false;
      if ((n.op === 'Add' || n.op === 'Sub') && v !== 0) return false;
      if ((n.op === 'Mul' || n.op === 'Div') && v !== 1) return false;
    }
    if (!canRemoveNode(n)) return false;
    const via = removalInput(n) ?? other;
    view.bypass(n, via, this.id, `no-op elimination removes it (${n.op} by ${n.op === 'Add' || n.op === 'Sub' ? 0 : 1})`);
    return true;
  },
};
