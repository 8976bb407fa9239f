import type { Dim } from '../../../ir/shape.js';
import type { RuleTable, ShapeRule } from '../context.js';
import { normAxes, normAxis } from '../dims.js';
import { rankOnly } from './tensor-shape.js';

/** Reductions: the reduced axes become 1 (keepdims) or go away. */

/** Opset from which each reduction takes `axes` as an input instead of an attribute. */
const AXES_INPUT_SINCE: Readonly<Record<string, number>> = { ReduceSum: 13 };

function reduced(input: readonly Dim[], axes: readonly number[], keep: boolean): Dim[] {
  const set = new Set(normAxes(axes, input.length));
  const all = set.size === 0;
  const out: Dim[] = [];
  input.forEach((d, i) => {
    if (all || set.has(i)) {
      if (keep) out.push(1);
    } else {
      out.push(d);
    }
  });
  return out;
}

const reduce: ShapeRule = (ctx) => {
  const dtype = ctx.dtype(0);
  const s = ctx.shape(0);
  const keep = ctx.int('keepdims', 1) === 1;
  const since = AXES_INPUT_SINCE[ctx.node.op] ?? 18;
  const fromInput = ctx.opset >= since;
  const noop = fromInput && ctx.int('noop_with_empty_axes', 0) === 1;
  let axes: readonly number[] | undefined;
  if (fromInput && ctx.has(1)) {
    axes = ctx.ints(1);
    // Unknown axes: with keepdims the rank survives; without, how many go is unknown (repeats).
    if (axes === undefined) return ctx.out(0, dtype, s !== null && keep ? rankOnly(s.length) : null);
  } else {
    axes = fromInput ? [] : ctx.intList('axes') ?? [];
  }
  if (s === null) return ctx.out(0, dtype, null);
  if (noop && axes.length === 0) return ctx.out(0, dtype, s);
  ctx.out(0, dtype, reduced(s, axes, keep));
};

const argReduce: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  if (s === null) return ctx.out(0, 'int64', null);
  const axis = normAxis(ctx.int('axis', 0), s.length);
  ctx.out(0, 'int64', reduced(s, [axis], ctx.int('keepdims', 1) === 1));
};

const REDUCTIONS = [
  'ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum',
  'ReduceLogSumExp', 'ReduceSumSquare',
];

export const reduceRules: RuleTable = {
  ...Object.fromEntries(REDUCTIONS.map((op) => [op, reduce])),
  ArgMax: argReduce,
  ArgMin: argReduce,
};

