import { attrInt, attrInts } from '../ir/attribute.js';
import type { Node, Value } from '../ir/graph.js';
import { constantNumbers } from './constants.js';

/**
 * The constant parameters of a slice node, whatever the format spells it:
 *
 * - ONNX `Slice`: inputs starts/ends/axes/steps (opset 10+) or attributes starts/ends/axes (before);
 * - MIL `slice_by_index` (begin/end/stride/begin_mask/end_mask/squeeze_mask, one entry per axis)
 *   and `slice_by_size` (begin/size);
 * - NeuralNetwork `slice` (startIndex/endIndex/stride/axis over C, H, W) and `sliceStatic`
 *   (beginIds/endIds/strides/beginMasks/endMasks/squeezeMasks).
 *
 * Only the axes a slice actually cuts are listed (an axis taken whole with step 1 is left out).
 * Negative axes and indices are normalized when the data's rank and dimension are known, and
 * kept as written otherwise, so two slices written alike still compare equal.
 */
export interface SliceAxis {
  readonly axis: number;
  readonly start: number;
  /** Exclusive end; null = to the end of the axis (in the direction of `step`). */
  readonly end: number | null;
  readonly step: number;
}

export interface SliceParams {
  readonly data: Value;
  readonly axes: readonly SliceAxis[];
  /** Axes removed from the result (MIL squeeze_mask, NN squeezeMasks). */
  readonly squeezed: readonly number[];
}

export type SliceResult = { readonly ok: true; readonly params: SliceParams } | { readonly ok: false; readonly reason: string };

/** Ends at or beyond this mean "to the end" (exporters write INT64_MAX or INT32_MAX). */
const HUGE = 2 ** 31 - 1;

export function sliceParams(node: Node): SliceResult {
  const data = dataInput(node);
  if (!data) return fail(`${node.label} has no data input`);
  if (node.op === 'Slice') return onnxSlice(node, data);
  if (node.op === 'slice_by_index' || node.op === 'sliceStatic') return maskedSlice(node, data);
  if (node.op === 'slice_by_size') return sliceBySize(node, data);
  if (node.op === 'slice') return nnSlice(node, data);
  return fail(`${node.label} (${node.op}) has no constant slice parameters`);
}

/**
 * The tensor an op works on: its first input, or for ML Program ops (named arguments, in no
 * fixed order) the one named `x`.
 */
export function dataInput(node: Node): Value | null {
  return node.inputNames ? node.input('x') ?? null : node.inputs[0] ?? null;
}

/** True when `index` is the position of the op's data input (see dataInput). */
export function isDataInput(node: Node, index: number): boolean {
  return node.inputNames ? node.inputNames[index] === 'x' : index === 0;
}

function fail(reason: string): SliceResult {
  return { ok: false, reason };
}

function onnxSlice(node: Node, data: Value): SliceResult {
  let starts: readonly number[] | undefined;
  let ends: readonly number[] | undefined;
  let axes: readonly number[] | undefined;
  let steps: readonly number[] | undefined;
  if (node.inputs.length >= 3) {
    starts = constantNumbers(node.inputs[1]);
    ends = constantNumbers(node.inputs[2]);
    axes = node.inputs[3] ? constantNumbers(node.inputs[3]) : undefined;
    steps = node.inputs[4] ? constantNumbers(node.inputs[4]) : undefined;
    if (!starts || !ends) return fail(`${node.label}: starts or ends are computed at run time`);
    if (node.inputs[3] && !axes) return fail(`${node.label}: axes are computed at run time`);
    if (node.inputs[4] && !steps) return fail(`${node.label}: steps are computed at run time`);
  } else {
    starts = attrInts(node.attrs, 'starts');
    ends = attrInts(node.attrs, 'ends');
    axes = attrInts(node.attrs, 'axes');
    if (!starts || !ends) return fail(`${node.label}: no starts/ends`);
  }
  if (starts.length !== ends.length) return fail(`${node.label}: starts and ends differ in length`);
  const out: SliceAxis[] = [];
  for (let i = 0; i < starts.length; i++) {
    const axis = normAxis(axes ? axes[i] ?? i : i, data);
    const step = steps ? steps[i] ?? 1 : 1;
    if (step === 0) return fail(`${node.label}: step 0`);
    const end = ends[i]!;
    const toEnd = step > 0 ? end >= HUGE : end <= -HUGE;
    pushAxis(out, data, { axis, start: starts[i]!, end: toEnd ? null : end, step });
  }
  return { ok: true, params: { data, axes: out, squeezed: [] } };
}

function maskedSlice(node: Node, data: Value): SliceResult {
  const mil = node.op === 'slice_by_index';
  const get = (milName: string, nnName: string, index: number): readonly number[] | undefined => {
    if (!mil) return attrInts(node.attrs, nnName);
    const v = node.inputNames ? node.input(milName) : node.inputs[index];
    return v ? constantNumbers(v) : undefined;
  };
  const given = (milName: string, index: number): boolean => (mil ? (node.inputNames ? !!node.input(milName) : !!node.inputs[index]) : true);
  const begin = get('begin', 'beginIds', 1);
  const end = get('end', 'endIds', 2);
  if (!begin || !end) return fail(`${node.label}: begin or end is computed at run time`);
  const stride = get('stride', 'strides', 3);
  const beginMask = get('begin_mask', 'beginMasks', 4);
  const endMask = get('end_mask', 'endMasks', 5);
  const squeezeMask = get('squeeze_mask', 'squeezeMasks', 6);
  if (mil && ((given('stride', 3) && !stride) || (given('begin_mask', 4) && !beginMask) || (given('end_mask', 5) && !endMask))) {
    return fail(`${node.label}: stride or masks are computed at run time`);
  }
  const out: SliceAxis[] = [];
  const squeezed: number[] = [];
  for (let i = 0; i < begin.length; i++) {
    const step = stride?.[i] ?? 1;
    if (step === 0) return fail(`${node.label}: stride 0`);
    const start = beginMask?.[i] ? (step > 0 ? 0 : -1) : begin[i]!;
    const e = endMask?.[i] ? null : end[i]!;
    if (squeezeMask?.[i]) squeezed.push(i);
    pushAxis(out, data, { axis: i, start, end: e, step });
  }
  return { ok: true, params: { data, axes: out, squeezed } };
}

function sliceBySize(node: Node, data: Value): SliceResult {
  const begin = constantNumbers(node.inputNames ? node.input('begin') : node.inputs[1]);
  const size = constantNumbers(node.inputNames ? node.input('size') : node.inputs[2]);
  if (!begin || !size || begin.length !== size.length) return fail(`${node.label}: begin or size is computed at run time`);
  const out: SliceAxis[] = [];
  for (let i = 0; i < begin.length; i++) {
    const b = begin[i]!;
    const s = size[i]!;
    pushAxis(out, data, { axis: i, start: b, end: s < 0 ? null : b + s, step: 1 });
  }
  return { ok: true, params: { data, axes: out, squeezed: [] } };
}

/** NeuralNetwork SliceLayerParams: one axis of C, H, W, counted from the end. */
function nnSlice(node: Node, data: Value): SliceResult {
  const which = attrInt(node.attrs, 'axis') ?? 0;
  const axis = normAxis(which - 3, data);
  const start = attrInt(node.attrs, 'startIndex') ?? 0;
  // Absent fields are proto3 zeros; the values are kept as written (end exclusive, negative from the end).
  const end = attrInt(node.attrs, 'endIndex') ?? 0;
  const step = attrInt(node.attrs, 'stride') ?? 1;
  const out: SliceAxis[] = [];
  pushAxis(out, data, { axis, start, end, step: step || 1 });
  return { ok: true, params: { data, axes: out, squeezed: [] } };
}

function normAxis(axis: number, data: Value): number {
  const rank = rankOf(data);
  return axis < 0 && rank !== undefined ? axis + rank : axis;
}

function rankOf(v: Value): number | undefined {
  return v.type?.kind === 'tensor' && v.type.shape ? v.type.shape.length : undefined;
}

export function dimOf(v: Value, axis: number): number | undefined {
  if (v.type?.kind !== 'tensor' || !v.type.shape) return undefined;
  const d = v.type.shape[axis < 0 ? axis + v.type.shape.length : axis];
  return typeof d === 'number' ? d : undefined;
}

/** Normalizes one axis against a known dimension and keeps it if it cuts anything. */
function pushAxis(out: SliceAxis[], data: Value, a: SliceAxis): void {
  const dim = dimOf(data, a.axis);
  let { start, end } = a;
  if (dim !== undefined) {
    if (a.step > 0) {
      if (start < 0) start = Math.max(0, start + dim);
      start = Math.min(start, dim);
      if (end !== null && end < 0) end = Math.max(0, end + dim);
      if (end === null || end >= dim) end = dim;
    } else {
      if (start < 0) start += dim;
      start = Math.min(start, dim - 1);
      if (end !== null && end < 0) end += dim;
    }
  }
  const whole = a.step === 1 && start === 0 && (end === null || (dim !== undefined && end === dim));
  if (!whole) out.push({ axis: a.axis, start, end, step: a.step });
}
