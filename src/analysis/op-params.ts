import { attrInt } from '../ir/attribute.js';
import type { Node, Value } from '../ir/graph.js';
import { constantNumbers, constantScalar, constantTensor } from './constants.js';

/**
 * Reading an op's parameters the same way in every format. A parameter lives in one of:
 * - an attribute (ONNX, and MIL attributes): `attrs.get(name)`;
 * - a NeuralNetwork layer attribute nested under its oneof choice (`sigmoidHard.alpha`);
 * - a named MIL input bound to a constant (`node.input('alpha')`);
 * - a positional ONNX input that newer opsets moved from an attribute (ReduceMean axes at
 *   opset 18, Clip min/max at opset 11), given by index.
 * Only small constants are read (constants.ts); nothing here touches weights.
 */

function attr(n: Node, name: string): ReturnType<Node['attrs']['get']> {
  const direct = n.attrs.get(name);
  if (direct) return direct;
  const suffix = `.${name}`;
  for (const [k, a] of n.attrs) if (k.endsWith(suffix)) return a;
  return undefined;
}

/** A named MIL input (undefined for ONNX nodes, which have no input names). */
function namedInput(n: Node, name: string): Value | undefined {
  const v = n.input(name);
  return v ?? undefined;
}

/** A numeric scalar parameter, or undefined when the node does not state it. */
export function numberParam(n: Node, name: string, onnxInput?: number): number | undefined {
  const a = attr(n, name);
  if (a?.type === 'float' || a?.type === 'int') return a.value;
  if (a?.type === 'tensor') {
    try {
      const nums = a.value.numbers(1);
      if (nums && nums.length === 1) return nums[0];
    } catch {
      return undefined;
    }
  }
  const mil = namedInput(n, name);
  if (mil) return constantScalar(mil);
  if (onnxInput !== undefined && !n.inputNames) return constantScalar(n.inputs[onnxInput]);
  return undefined;
}

/** An integer-list parameter (axes, perm, shape); undefined when absent or not constant. */
export function intsParam(n: Node, name: string, onnxInput?: number): number[] | undefined {
  const a = attr(n, name);
  if (a?.type === 'ints') return [...a.value];
  if (a?.type === 'int') return [a.value];
  if (a?.type === 'tensor') {
    try {
      return a.value.numbers(64);
    } catch {
      return undefined;
    }
  }
  const mil = namedInput(n, name);
  if (mil) return constantNumbers(mil, 64);
  if (onnxInput !== undefined && !n.inputNames) {
    const v = n.inputs[onnxInput];
    return v ? constantNumbers(v, 64) : undefined;
  }
  return undefined;
}

/** A string parameter (ONNX/NN attribute, or a MIL string constant input such as gelu's mode). */
export function stringParam(n: Node, name: string): string | undefined {
  const a = attr(n, name);
  if (a?.type === 'string') return a.value;
  const mil = namedInput(n, name);
  const t = constantTensor(mil);
  if (t && t.dtype === 'string' && t.elementCount === 1) {
    try {
      return new TextDecoder().decode(t.bytes());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The rank of a value when its type says it. */
export function rankOf(v: Value | null | undefined): number | undefined {
  const t = v?.type;
  return t && t.kind === 'tensor' && t.shape ? t.shape.length : undefined;
}

/** The static dims of a value's shape ('?' entries are symbols or unknown). */
export function shapeOf(v: Value | null | undefined): readonly (number | string | null)[] | undefined {
  const t = v?.type;
  return t && t.kind === 'tensor' && t.shape ? t.shape : undefined;
}

/**
 * The axes a reduction (reduce_mean and friends) reduces over, as written: `'all'` when it
 * reduces everything, undefined when not constant. NeuralNetwork `reduce` layers state an
 * enum over the trailing (C, H, W) axes; it is returned as negative axes.
 */
export function reduceAxes(n: Node): number[] | 'all' | undefined {
  if (n.op === 'reduce' && n.attrs.has('axis') && !n.attrs.has('axes')) {
    const e = numberParam(n, 'axis') ?? 0;
    return ([[-3, -2, -1], [-2, -1], [-3], [-2], [-1]] as const)[e]?.slice() ?? undefined;
  }
  if (attrInt(n.attrs, 'reduceAll') === 1) return 'all';
  const axes = intsParam(n, 'axes', 1);
  if (axes) return axes.length === 0 ? (numberParam(n, 'noop_with_empty_axes') === 1 ? [] : 'all') : axes;
  if (n.inputNames) return n.inputNames.includes('axes') ? undefined : 'all';
  // ONNX: no axes attribute and no axes input reduces everything.
  if (!n.attrs.has('axes') && (n.inputs.length < 2 || n.inputs[1] == null)) return 'all';
  return undefined;
}

/** Axes made non-negative when the rank is known; negative axes stay as they are otherwise. */
export function normalizeAxes(axes: readonly number[], rank: number | undefined): number[] {
  const out = axes.map((a) => (a < 0 && rank !== undefined ? a + rank : a));
  return [...new Set(out)].sort((a, b) => a - b);
}

/** Same axes (after normalizing with the rank when known). */
export function sameAxes(a: number[] | 'all' | undefined, b: number[] | 'all' | undefined, rank: number | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a === 'all' || b === 'all') return a === b;
  const x = normalizeAxes(a, rank);
  const y = normalizeAxes(b, rank);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** MIL names of the second and third arguments, by kind (the first is always `x`). */
const MIL_ARGS: Readonly<Record<string, readonly string[]>> = {
  add: ['x', 'y'], sub: ['x', 'y'], mul: ['x', 'y'], real_div: ['x', 'y'], pow: ['x', 'y'],
  minimum: ['x', 'y'], maximum: ['x', 'y'], matmul: ['x', 'y'],
  conv: ['x', 'weight', 'bias'], linear: ['x', 'weight', 'bias'], reshape: ['x', 'shape'], transpose: ['x', 'perm'],
  clip: ['x', 'alpha', 'beta'], sigmoid_hard: ['x', 'alpha', 'beta'],
};

/**
 * Input `index` of a node: ONNX and NeuralNetwork inputs are positional; MIL arguments are
 * named and may be stored in any order (`mul(y=a, x=b)`), so they are looked up by name
 * (`x`, then `y`/`weight`/`shape`/... by kind).
 */
export function arg(n: Node, index: number): Value | undefined {
  if (!n.inputNames) return n.inputs[index] ?? undefined;
  const name = MIL_ARGS[n.kind]?.[index] ?? (index === 0 ? 'x' : undefined);
  return name === undefined ? undefined : n.input(name) ?? undefined;
}

/** Both operands of a binary op (x, y), or undefined when either is missing. */
export function operands(n: Node): [Value, Value] | undefined {
  const a = arg(n, 0);
  const b = arg(n, 1);
  return a && b ? [a, b] : undefined;
}
