import type { Node } from '../../ir/graph.js';
import { absorb, convFusionPartner, perChannelOperand } from './conv-fusion.js';
import type { RewriteRule } from './pass.js';
import type { OrtView } from './view.js';

/** ConvMulFusion: Conv → Mul by a per-channel (or scalar) constant becomes the Conv with scaled weights. */
export const convMulFusion: RewriteRule = {
  id: 'conv-mul-fusion',
  ortName: 'ConvMulFusion',
  ops: ['Conv'],
  apply(view: OrtView, n: Node, opset: number): boolean {
    const mul = convFusionPartner(n, 'Mul', [7, 13, 14], opset);
    if (!mul || !perChannelOperand(n, mul.inputs[1], true)) return false;
    absorb(view, n, mul, this.id, `Conv+Mul fusion folds the Mul into the weights of ${n.label}`);
    return true;
  },
};
