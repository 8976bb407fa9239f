import type { Node } from '../../ir/graph.js';
import { absorb, convFusionPartner, perChannelOperand } from './conv-fusion.js';
import type { RewriteRule } from './pass.js';
import type { OrtView } from './view.js';

/** ConvAddFusion: Conv → Add of a per-channel constant becomes the Conv with a new bias. */
export const convAddFusion: RewriteRule = {
  id: 'conv-add-fusion',
  ortName: 'ConvAddFusion',
  ops: ['Conv'],
  apply(view: OrtView, n: Node, opset: number): boolean {
    const add = convFusionPartner(n, 'Add', [7, 13, 14], opset);
    if (!add || !perChannelOperand(n, add.inputs[1], false)) return false;
    absorb(view, n, add, this.id, `Conv+Add fusion folds the Add into the bias of ${n.label}`);
    return true;
  },
};
