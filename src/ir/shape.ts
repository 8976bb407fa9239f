/**
 * A dimension is a number, a symbol (a name shared by dims that are equal at run time),
 * or null when nothing is known. A shape is null when even the rank is unknown.
 */
export type Dim = number | string | null;
export type Shape = readonly Dim[] | null;

export function isStatic(shape: Shape): shape is readonly number[] {
  return shape !== null && shape.every((d) => typeof d === 'number');
}

/** Number of elements when every dimension is known. */
export function elementCount(shape: Shape): number | undefined {
  if (!isStatic(shape)) return undefined;
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: Shape): string {
  if (shape === null) return '?';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}

export function sameDim(a: Dim, b: Dim): boolean {
  return a !== null && a === b;
}
