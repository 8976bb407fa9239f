import type { Dim, Shape } from '../../../ir/shape.js';
import { broadcastShapes, fail, unifyDim } from '../dims.js';

/**
 * Einsum's output dims: each letter takes the dim it labels in the operands, the ellipsis
 * the operands' broadcast leading dims. Undefined ranks give what the others allow; null
 * when the output rank itself is unknown.
 */
export function einsumDims(equation: string, shapes: readonly Shape[]): Dim[] | null {
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const terms = lhs.split(',');
  if (terms.length !== shapes.length) fail(`Einsum equation has ${terms.length} operands, node has ${shapes.length}`);
  const letters = new Map<string, Dim>();
  const counts = new Map<string, number>();
  const ellipses: Shape[] = [];
  let ellipsisRank: number | undefined;
  terms.forEach((term, k) => {
    const s = shapes[k] ?? null;
    const dots = term.indexOf('...');
    const labels = term.replace('...', '');
    if (dots < 0 && s !== null && s.length !== labels.length) fail(`Einsum operand ${k} has rank ${s.length}, term '${term}'`);
    const ell = dots < 0 ? 0 : s === null ? undefined : s.length - labels.length;
    if (ell !== undefined && ell < 0) fail(`Einsum operand ${k} has too few dims for '${term}'`);
    if (dots >= 0) {
      ellipses.push(s === null ? null : s.slice(dots, dots + ell!));
      if (ell !== undefined) ellipsisRank = Math.max(ellipsisRank ?? 0, ell);
    }
    [...labels].forEach((c, j) => {
      const at = dots >= 0 && j >= dots ? j + (ell ?? NaN) : j;
      const d = s === null || Number.isNaN(at) ? null : s[at]!;
      counts.set(c, (counts.get(c) ?? 0) + 1);
      // 1 against another length: runtimes differ on broadcasting it, so claim nothing.
      const prev = letters.get(c);
      const oneVsMore = (prev === 1 && d !== 1) || (d === 1 && prev !== undefined && prev !== 1);
      letters.set(c, prev === undefined ? d : oneVsMore ? null : unifyDim(prev, d, `Einsum '${c}'`));
    });
  });
  const rhs = arrow >= 0
    ? eq.slice(arrow + 2)
    : (ellipses.length > 0 ? '...' : '') + [...counts].filter(([, n]) => n === 1).map(([c]) => c).sort().join('');
  const out: Dim[] = [];
  const dots = rhs.indexOf('...');
  const labels = rhs.replace('...', '');
  for (let j = 0; j <= labels.length; j++) {
    if (j === dots) {
      if (ellipsisRank === undefined) return null;
      const b = broadcastShapes(ellipses.map((e) => (e === null ? new Array<Dim>(ellipsisRank!).fill(null) : e)));
      out.push(...(b ?? new Array<Dim>(ellipsisRank).fill(null)));
    }
    if (j < labels.length) out.push(letters.get(labels[j]!) ?? fail(`Einsum output letter '${labels[j]}' is not an input's`));
  }
  return out;
}
