import type { Dim } from '../../../src/ir/shape.js';
import { formatType, type ValueType } from '../../../src/ir/types.js';

/** A type as the reference script prints it (scripts/onnx-reference-shapes.py). */
export interface RefType {
  kind?: 'sparse' | 'sequence' | 'optional' | 'map';
  dtype?: string | null;
  shape?: Dim[] | null;
  elem?: RefType | null;
}

export type Verdict = 'agree' | 'more' | 'disagree';

/**
 * Compares our type with the reference's. Numbers must be equal. A reference symbol
 * `unk__N` is ONNX's name for a dim it does not know, so null or any symbol of ours
 * matches it (and a number is more precise). Any other reference symbol comes from the
 * model and must be carried as the same symbol. A reference with no shape (or dtype)
 * knows nothing there: whatever we know is more precise.
 */
export function compareTypes(ref: RefType | null, ours: ValueType | null): { verdict: Verdict; why: string } {
  const why = `reference ${JSON.stringify(ref)}, ours ${formatType(ours)}`;
  let more = false;
  const bad = (): { verdict: Verdict; why: string } => ({ verdict: 'disagree', why });
  if (ref === null) return { verdict: ours === null ? 'agree' : 'more', why };
  const kind = ref.kind ?? 'tensor';
  if (ours === null) return bad();
  if (kind === 'sequence' || kind === 'optional') {
    if (ours.kind !== kind) return bad();
    const inner = compareTypes(ref.elem ?? null, ours.elem);
    return { verdict: inner.verdict, why };
  }
  if (ours.kind !== 'tensor' && ours.kind !== 'sparse') return bad();
  if (ref.dtype === null || ref.dtype === undefined) {
    if (ours.dtype !== 'unknown') more = true;
  } else if (ref.dtype !== ours.dtype) {
    return bad();
  }
  const rs = ref.shape ?? null;
  if (rs === null) {
    if (ours.shape !== null) more = true;
  } else {
    if (ours.shape === null || ours.shape.length !== rs.length) return bad();
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i]!;
      const o = ours.shape[i]!;
      if (typeof r === 'number') {
        if (o !== r) return bad();
      } else if (r === null || r.startsWith('unk__')) {
        if (typeof o === 'number') more = true;
      } else if (o !== r) {
        if (typeof o === 'number') more = true;
        else return bad();
      }
    }
  }
  return { verdict: more ? 'more' : 'agree', why };
}
