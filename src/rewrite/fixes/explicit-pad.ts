import { constantNumbers } from '../../analysis/constants.js';
import { dataInput, isDataInput } from '../../analysis/slice-params.js';
import type { Finding } from '../../engine/rule.js';
import { attrInt, attrString } from '../../ir/attribute.js';
import type { Node, Value } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import { joinStrings } from '../../formats/coreml/elements.js';
import type { PatchBuilder } from '../builder.js';
import type { ValueRef } from '../patch.js';
import { rewriteBlocker } from '../support.js';
import { tensorOf } from '../tensors.js';

/** The parts of rules/explicit-pad.ts ExplicitPadData the fix reads. */
interface Data {
  readonly mode: string;
  readonly pads: ReadonlyArray<{ readonly axis: number; readonly begin: number; readonly end: number }> | null;
  readonly foldInto: { readonly node: string; readonly op: string; readonly pads: readonly number[] | null; readonly countIncludePad?: boolean } | null;
  readonly noOp?: boolean;
}

/**
 * explicit-pad:
 * - a pad that pads nothing is removed;
 * - a zero pad before a convolution or pooling moves into that op's own padding (ONNX pads
 *   attribute, with count_include_pad = 1 on AveragePool; MIL pad_type custom + pad);
 * - a reflect, edge or wrap pad becomes Slice + Concat of the border rows, one axis after
 *   the other (E8): reflect takes x[b:0:-1] and x[-2:-2-e:-1], edge repeats the first and
 *   last row, wrap takes the other end. Exact: every output element is a copy.
 */
export function fixExplicitPad(f: Finding, b: PatchBuilder): string {
  const pad = f.nodes[0]!;
  b.at(pad);
  const blocked = rewriteBlocker(pad);
  if (blocked) b.decline(blocked);
  const d = f.data as Data;
  const x = dataInput(pad);
  if (!x) return b.decline('the pad has no data input');
  const out = pad.outputs[0]!;

  if (d.noOp) {
    if (out.isGraphOutput) b.decline('its result is a graph output');
    b.replace(out, x);
    b.remove(pad);
    return `${pad.label} removed (it pads nothing)`;
  }
  if (d.foldInto) {
    const consumer = f.nodes[1];
    if (!consumer) return b.decline('the reader to fold into is gone');
    fold(b, pad, x, consumer, d);
    return `${pad.label} folded into ${consumer.label}'s padding`;
  }
  if (!d.pads) return b.decline('the pad amounts are not constant');
  const rank = b.typeOf(x)?.shape?.length;
  if (rank === undefined) return b.decline('the rank of the padded tensor is not known');
  let cur: ValueRef = x;
  const name = `${pad.name || pad.label}`;
  for (const p of d.pads) {
    if (p.begin === 0 && p.end === 0) continue;
    const axis = p.axis < 0 ? p.axis + rank : p.axis;
    cur = border(b, cur, axis, p.begin, p.end, d.mode, `${name}_axis${axis}`);
  }
  b.replace(out, cur);
  b.remove(pad);
  return `${pad.label} (${d.mode}) → Slice + Concat of the border rows`;
}

/** One axis of a reflect / edge / wrap pad as slices of the border joined around `x`. */
function border(b: PatchBuilder, x: ValueRef, axis: number, before: number, after: number, mode: string, name: string): ValueRef {
  const dim = b.typeOf(x)?.shape?.[axis];
  const parts: ValueRef[] = [];
  const tail: ValueRef[] = [];
  if (mode === 'reflect') {
    if (typeof dim === 'number' && (before >= dim || after >= dim)) b.decline(`a reflect pad of ${Math.max(before, after)} needs more than ${dim} elements on axis ${axis}`);
    if (before > 0) parts.push(b.slice(x, [{ axis, start: before, end: 0, step: -1 }], `${name}_before`));
    if (after > 0) tail.push(b.slice(x, [{ axis, start: -2, end: -2 - after, step: -1 }], `${name}_after`));
  } else if (mode === 'edge') {
    if (before > 0) {
      const first = b.slice(x, [{ axis, start: 0, end: 1, step: 1 }], `${name}_first`);
      for (let i = 0; i < before; i++) parts.push(first);
    }
    if (after > 0) {
      const last = b.slice(x, [{ axis, start: -1, end: null, step: 1 }], `${name}_last`);
      for (let i = 0; i < after; i++) tail.push(last);
    }
  } else if (mode === 'wrap') {
    if (typeof dim === 'number' && (before > dim || after > dim)) b.decline(`a wrap pad of ${Math.max(before, after)} needs more than ${dim} elements on axis ${axis}`);
    if (before > 0) parts.push(b.slice(x, [{ axis, start: -before, end: null, step: 1 }], `${name}_before`));
    if (after > 0) tail.push(b.slice(x, [{ axis, start: 0, end: after, step: 1 }], `${name}_after`));
  } else {
    b.decline(`${mode} padding is not rewritten`);
  }
  return b.concat([...parts, x, ...tail], axis, `${name}_padded`);
}

/** Moves a zero pad into the padding of the convolution or pooling that reads it. */
function fold(b: PatchBuilder, pad: Node, x: Value, c: Node, d: Data): void {
  const use = pad.outputs[0]!.uses.find((u) => u.node === c && isDataInput(c, u.index));
  if (!use) return b.decline(`${c.label} no longer reads the pad`);
  if (b.format === 'onnx') {
    const pads = d.foldInto!.pads;
    if (!pads) return b.decline('the merged padding is not known');
    b.setAttr(c, 'pads', { type: 'ints', value: pads });
    if ((attrString(c.attrs, 'auto_pad') ?? 'NOTSET') !== 'NOTSET') b.setAttr(c, 'auto_pad', { type: 'string', value: 'NOTSET' });
    if (d.foldInto!.countIncludePad && attrInt(c.attrs, 'count_include_pad') !== 1) b.setAttr(c, 'count_include_pad', { type: 'int', value: 1 });
  } else {
    foldMil(b, c, d);
  }
  b.setInput(c, use.index, x);
  b.remove(pad);
}

/** ML Program conv / avg_pool / max_pool: pad_type custom, pad = own + the pad's, per spatial axis (begin, end). */
function foldMil(b: PatchBuilder, c: Node, d: Data): void {
  const x = dataInput(c);
  const rank = b.typeOf(x!)?.shape?.length;
  if (rank === undefined || !d.pads) return b.decline('the rank of the padded tensor is not known');
  const spatial = rank - 2;
  const padType = stringInput(c, 'pad_type') ?? 'valid';
  if (padType !== 'valid' && padType !== 'custom') b.decline(`${c.label} uses pad_type ${padType}`);
  const own = padType === 'custom' ? constantNumbers(c.input('pad') ?? null) ?? b.decline(`${c.label}'s pad is not constant`) : new Array<number>(2 * spatial).fill(0);
  const merged = [...own];
  for (const p of d.pads) {
    const axis = p.axis < 0 ? p.axis + rank : p.axis;
    if (axis < 2) continue;
    merged[2 * (axis - 2)] = (merged[2 * (axis - 2)] ?? 0) + p.begin;
    merged[2 * (axis - 2) + 1] = (merged[2 * (axis - 2) + 1] ?? 0) + p.end;
  }
  const name = `${c.name || c.label}`;
  setNamed(b, c, 'pad_type', b.constant(`${name}_pad_type_custom`, Tensor.fromBytes('string', [], joinStrings(['custom']))));
  setNamed(b, c, 'pad', b.constant(`${name}_pad_folded`, tensorOf('int32', [merged.length], merged)));
  if (c.op === 'avg_pool') setNamed(b, c, 'exclude_padding_from_average', b.constant(`${name}_include_padding`, tensorOf('bool', [], [0])));
}

function setNamed(b: PatchBuilder, c: Node, name: string, v: ValueRef): void {
  const i = c.inputNames?.indexOf(name) ?? -1;
  if (i < 0) b.decline(`${c.label} has no ${name} argument to set`);
  b.setInput(c, i, v);
}

function stringInput(n: Node, name: string): string | undefined {
  const v = n.input(name);
  const t = v?.constant ?? (v?.producer?.kind === 'const' ? v.producer.outputs[0]!.constant : null);
  if (!t || t.dtype !== 'string') return undefined;
  return new TextDecoder().decode(t.bytes());
}
