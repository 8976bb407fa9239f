import type { Node } from '../../ir/graph.js';
import { attrInts } from '../../ir/attribute.js';
import { isConstantInitializer, isDefaultDomain, outputEdgeCount } from './graph-utils.js';
import type { RewriteRule } from './pass.js';
import type { OrtView } from './view.js';

/**
 * UnsqueezeElimination (onnxruntime core/optimizer/unsqueeze_elimination.cc): an Unsqueeze of a
 * constant initializer, with its axes as an attribute (opsets below 13), becomes a reshaped
 * initializer. From opset 13 the axes are an input and this rule does not match; constant
 * folding then does the same job (constant-folding.ts), so the node disappears either way.
 */
export const unsqueezeElimination: RewriteRule = {
  id: 'unsqueeze-elimination',
  ortName: 'UnsqueezeElimination',
  ops: ['Unsqueeze'],
  apply(view: OrtView, n: Node): boolean {
    if (!isDefaultDomain(n) || !isConstantInitializer(n.inputs[0])) return false;
    if (!attrInts(n.attrs, 'axes')) return false;
    const out = n.outputs[0];
    if (!out || n.outputs.length !== 1) return false;
    // CanReplaceNodeWithInitializer: a graph output may not change its name.
    if (out.isGraphOutput) return false;
    if (outputEdgeCount(n) === 0 && !out.isGraphOutput) return false;
    view.foldToConstant(n, this.id, 'Unsqueeze elimination turns the Unsqueeze of an initializer into an initializer');
    return true;
  },
};
