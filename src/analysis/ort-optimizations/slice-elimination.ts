import type { Node } from '../../ir/graph.js';
import { attrInts } from '../../ir/attribute.js';
import { canRemoveNode, isConstantInitializer, isOpAtVersion, removalInput } from './graph-utils.js';
import type { RewriteRule } from './pass.js';
import type { OrtView } from './view.js';

/** INT64_MAX as ONNX Runtime compares it; anything this large (read as a double) means "to the end". */
const TO_THE_END = 9.2e18;

/**
 * EliminateSlice (onnxruntime core/optimizer/slice_elimination.cc): a Slice that keeps every
 * element — every start 0, every end INT64_MAX, constant starts/ends/axes and steps of 1 — is
 * removed. ONNX Runtime does not use the input's shape for a tighter bound, so a Slice whose
 * end is the dim itself stays.
 */
export const sliceElimination: RewriteRule = {
  id: 'slice-elimination',
  ortName: 'EliminateSlice',
  ops: ['Slice'],
  apply(view: OrtView, n: Node, opset: number): boolean {
    if (!isOpAtVersion(n, 'Slice', [1, 10, 11, 13], opset) || !canRemoveNode(n)) return false;
    let starts: readonly number[] | undefined;
    let ends: readonly number[] | undefined;
    if (opset < 10) {
      starts = attrInts(n.attrs, 'starts');
      ends = attrInts(n.attrs, 'ends');
      if (!keepsAll(starts, ends)) return false;
      const axes = attrInts(n.attrs, 'axes');
      if (axes && axes.length !== starts!.length) return false;
    } else {
      const c = (i: number): number[] | undefined => (isConstantInitializer(n.inputs[i]) ? view.numbers(n.inputs[i]) : undefined);
      starts = c(1);
      ends = c(2);
      // Most Slices keep part of their input: say so before reading axes and steps.
      if (!keepsAll(starts, ends)) return false;
      if (n.inputs[3]) {
        const axes = c(3);
        if (!axes || axes.length !== starts!.length) return false;
      }
      if (n.inputs[4]) {
        const steps = c(4);
        if (!steps || steps.length !== starts!.length || steps.some((s) => s !== 1)) return false;
      }
    }
    const via = removalInput(n);
    if (!via) return false;
    view.bypass(n, via, this.id, 'Slice elimination removes it (it keeps every element)');
    return true;
  },
};

/** Every start 0 and every end at INT64_MAX, as many of each. */
function keepsAll(starts: readonly number[] | undefined, ends: readonly number[] | undefined): boolean {
  if (!starts || !ends || starts.length === 0 || starts.length !== ends.length) return false;
  return !starts.some((s, i) => s !== 0 || ends[i]! < TO_THE_END);
}
