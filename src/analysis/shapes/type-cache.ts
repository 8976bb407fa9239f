import type { Dim } from '../../ir/shape.js';
import type { ValueType } from '../../ir/types.js';

/** Ranks past this are rare enough not to be worth sharing. */
const MAX_RANK = 8;

interface Branch {
  type?: ValueType;
  next?: Map<Dim, Branch>;
}

/**
 * One object per distinct tensor type that inference gives values. The values of a big
 * graph share a handful of types (float32[batch,128,64]), and a type with its shape array
 * is over 100 bytes that stay alive, and that the collector traces, for the whole run:
 * a million values would hold 150 MB of copies. Types are immutable, so sharing is safe.
 */
export class TypeCache {
  private readonly byDtype = new Map<string, Branch>();

  /** The shared object equal to `t` (`t` itself the first time); other kinds are returned as they are. */
  share(t: ValueType): ValueType {
    if (t.kind !== 'tensor' || t.shape === null || t.shape.length > MAX_RANK) return t;
    let at = this.byDtype.get(t.dtype);
    if (at === undefined) this.byDtype.set(t.dtype, (at = {}));
    for (const d of t.shape) {
      const next: Map<Dim, Branch> = (at.next ??= new Map());
      let b = next.get(d);
      if (b === undefined) next.set(d, (b = {}));
      at = b;
    }
    return (at.type ??= t);
  }
}
