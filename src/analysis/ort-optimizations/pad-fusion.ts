import type { Node } from '../../ir/graph.js';
import { attrFloat, attrInt, attrInts, attrString } from '../../ir/attribute.js';
import { isConstantInitializer, isOpAtVersion, onlyConsumer, producesGraphOutput, sinceVersion } from './graph-utils.js';
import type { RewriteRule } from './pass.js';
import type { OrtView } from './view.js';

/**
 * PadFusion (onnxruntime core/optimizer/pad_fusion.cc): a constant-mode Pad with zero value and
 * constant, non-negative pads on the spatial axes only, read by nothing but one Conv (1, 11),
 * AveragePool or MaxPool with explicit padding (possibly through one Cast), is folded into that
 * op's pads attribute and removed. Pads on the batch or channel axes, reflect/edge modes and a
 * fourth (axes) input keep the Pad. (raft_small's three Pad → Conv pairs go this way.)
 */
export const padFusion: RewriteRule = {
  id: 'pad-fusion',
  ortName: 'PadFusion',
  ops: ['Pad'],
  apply(view: OrtView, n: Node, opset: number): boolean {
    if (!isOpAtVersion(n, 'Pad', [1, 2, 11, 13, 18, 19], opset)) return false;
    const child = onlyConsumer(n);
    if (!child || n.inputs.length > 3 || producesGraphOutput(n)) return false;
    const mode = attrString(n.attrs, 'mode');
    if (mode !== undefined && mode !== 'constant') return false;
    let pads: readonly number[] | undefined;
    if ((sinceVersion('Pad', opset) ?? 1) >= 11) {
      if (!isConstantInitializer(n.inputs[1])) return false;
      const value = n.inputs[2];
      if (value) {
        if (!isConstantInitializer(value)) return false;
        const v = view.numbers(value, 1);
        if (!v || v.some((x) => x !== 0)) return false;
      }
      pads = view.numbers(n.inputs[1], 64);
    } else {
      const value = attrFloat(n.attrs, 'value');
      if (value !== undefined && value !== 0) return false;
      pads = attrInts(n.attrs, 'pads');
    }
    let target = child;
    if (isOpAtVersion(child, 'Cast', [1, 6, 9, 13], opset)) {
      const next = onlyConsumer(child);
      if (!next || producesGraphOutput(child)) return false;
      target = next;
    }
    if (!acceptsPads(target, opset)) return false;
    if (!pads || pads.length < 4) return false;
    const half = pads.length / 2;
    if (pads[0] !== 0 || pads[1] !== 0 || pads[half] !== 0 || pads[half + 1] !== 0) return false;
    if (pads.some((p) => p < 0)) return false;
    view.bypass(n, n.inputs[0]!, this.id, `Pad fusion folds it into the pads of ${target.label}`);
    return true;
  },
};

function acceptsPads(n: Node, opset: number): boolean {
  if (!isOpAtVersion(n, 'Conv', [1, 11], opset) && !isOpAtVersion(n, 'AveragePool', [7, 10, 11, 19], opset) &&
      !isOpAtVersion(n, 'MaxPool', [1, 8, 10, 11, 12], opset)) return false;
  if (n.outputs.length > 1) return false;
  const autoPad = attrString(n.attrs, 'auto_pad');
  if (autoPad !== undefined && autoPad !== 'NOTSET') return false;
  if (n.op === 'AveragePool') {
    const own = attrInts(n.attrs, 'pads') ?? [];
    if (own.some((p) => p !== 0) && attrInt(n.attrs, 'count_include_pad') === 0) return false;
  }
  return true;
}
