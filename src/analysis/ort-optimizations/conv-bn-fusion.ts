import type { Node } from '../../ir/graph.js';
import { isConstantInitializer } from './graph-utils.js';
import { absorb, convFusionPartner } from './conv-fusion.js';
import type { RewriteRule } from './pass.js';
import type { OrtView } from './view.js';

/**
 * ConvBNFusion: Conv → BatchNormalization (since-version 7, 9, 14 or 15) with constant scale,
 * bias, mean and variance, and no used training outputs, becomes the Conv with folded weights
 * and bias. A BatchNormalization after anything else (a ConvTranspose, an Add) stays.
 */
export const convBnFusion: RewriteRule = {
  id: 'conv-bn-fusion',
  ortName: 'ConvBNFusion',
  ops: ['Conv'],
  apply(view: OrtView, n: Node, opset: number): boolean {
    const bn = convFusionPartner(n, 'BatchNormalization', [7, 9, 14, 15], opset);
    if (!bn) return false;
    if (![1, 2, 3, 4].every((i) => isConstantInitializer(bn.inputs[i]))) return false;
    if (bn.outputs.slice(1).some((o) => o.name !== '')) return false;
    absorb(view, n, bn, this.id, `Conv+BatchNormalization fusion folds it into ${n.label}`);
    return true;
  },
};
