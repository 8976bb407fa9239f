import type { Dim, Shape } from '../../../ir/shape.js';
import { fail } from '../dims.js';

/**
 * Reshape's output dims for `target` (numbers, symbols from shape computations, or null
 * when an element is unknown). 0 copies the input dim (unless allowzero); -1 is solved by
 * cancelling equal factors of input and output, symbols included, so [batch, -1, 192] on
 * [batch, 192, 14, 14] gives [batch, 196, 192].
 */
export function reshapeDims(input: Shape, target: readonly Dim[], allowzero: boolean): Dim[] {
  const out: Dim[] = [];
  let minusOne = -1;
  const copied = new Set<number>();
  target.forEach((t, i) => {
    if (t === null || typeof t === 'string') {
      out.push(t);
    } else if (t === -1) {
      if (minusOne >= 0) fail('Reshape target has more than one -1');
      minusOne = i;
      out.push(null);
    } else if (t === 0 && !allowzero) {
      if (input === null) {
        out.push(null);
      } else {
        if (i >= input.length) fail(`Reshape target copies dim ${i} of a rank ${input.length} input`);
        copied.add(i);
        out.push(input[i]!);
      }
    } else if (t >= 0) {
      out.push(t);
    } else {
      fail(`Reshape target has ${t}`);
    }
  });
  if (minusOne >= 0 && input !== null) out[minusOne] = solveMinusOne(input, out, minusOne, copied);
  return out;
}

function solveMinusOne(input: readonly Dim[], out: readonly Dim[], at: number, copied: ReadonlySet<number>): Dim {
  let num = 1;
  const symbols: string[] = [];
  for (let i = 0; i < input.length; i++) {
    if (copied.has(i)) continue; // an input dim copied by a 0 cancels itself
    const d = input[i]!;
    if (d === null) return null;
    if (typeof d === 'number') num *= d;
    else symbols.push(d);
  }
  let den = 1;
  for (let i = 0; i < out.length; i++) {
    if (i === at || copied.has(i)) continue;
    const d = out[i]!;
    if (d === null) return null;
    if (typeof d === 'number') {
      den *= d;
    } else {
      const k = symbols.indexOf(d);
      if (k < 0) return null;
      symbols.splice(k, 1);
    }
  }
  if (den === 0) fail('Reshape target has a 0 dim together with -1');
  if (symbols.length === 0) {
    if (num % den !== 0) fail(`cannot reshape ${num} elements into a multiple of ${den}`);
    return num / den;
  }
  return symbols.length === 1 && num === den ? symbols[0]! : null;
}
