import { isConstant } from '../src/analysis/constants.js';
import { Analysis, type Read } from '../src/analysis/shape-dependence.js';
import { dataInput } from '../src/analysis/slice-params.js';
import { defineRule, type Finding, type RuleContext, type TargetId } from '../src/engine/rule.js';
import type { Node, Value } from '../src/ir/graph.js';
import { fixDynamicReshape } from '../src/rewrite/fixes/dynamic-reshape.js';

/**
 * When the computed shape becomes a constant:
 * - `now`: every dimension it reads is already fixed (constant folding, with shape inference, removes the chain);
 * - `input-shapes`: it reads only tensor shapes, some of them dynamic; fixing the graph inputs' shapes
 *   (`--input-shape`) makes it constant;
 * - `never`: it depends on tensor values (or on shapes that do, like NonZero's), so no input shape fixes it.
 */
export type ConstantWhen = 'now' | 'input-shapes' | 'never';

export interface DynamicReshapeData {
  /** Which operand is computed: shape (Reshape, Expand, ConstantOfShape, MIL reshape/fill), repeats, sizes or scales. */
  readonly operand: string;
  readonly value: string;
  readonly constantWhen: ConstantWhen;
  /** The nodes computing the operand, producers first (Constant nodes left out). */
  readonly chain: readonly string[];
  /** The dimensions it reads: `value[axis]` (axis null = every dimension), with the dimension when known. */
  readonly reads: ReadonlyArray<{ readonly value: string; readonly axis: number | null; readonly dim: number | string | null }>;
  /** Values it depends on through their contents rather than their shapes (a reason for `never`). */
  readonly dataInputs: readonly string[];
  /** Values whose shape it reads, where that shape depends on data, a loop or a branch (a reason for `never`). */
  readonly dataShapes: readonly string[];
  /** Graph inputs with dynamic dimensions (what `--input-shape` must fix for `input-shapes`). */
  readonly dynamicInputs: readonly string[];
}

export default defineRule({
  meta: {
    id: 'dynamic-reshape',
    description: 'reshapes whose target shape is computed at run time',
    targets: ['ane', 'coreml-ep'],
    severity: 'warning',
    fixable: 'safe',
    facts: ['S2', 'E5', 'E1'],
    defaultOptions: {},
  },

  check(ctx) {
    const candidates: Node[] = [];
    // Loops, not push(...): a spread of a million nodes overflows the call stack.
    for (const kind of ['reshape', 'tile', 'fill', 'resize']) for (const n of ctx.nodesOfKind(kind)) candidates.push(n);
    for (const op of ['Expand', 'broadcastToDynamic']) for (const n of ctx.nodesOfOp(op)) candidates.push(n);
    let analysis: Analysis | undefined;
    const findings: Finding[] = [];
    for (const n of candidates) {
      const operand = shapeOperand(n);
      if (!operand) continue;
      if (isConstant(operand.value)) continue;
      analysis ??= new Analysis(ctx.model);
      const f = judge(n, operand, analysis, ctx);
      if (f) findings.push(f);
    }
    return findings;
  },

  fix: (finding, builder) => fixDynamicReshape(finding, builder, shapeOperand),
});

/** The operand that sets the output's shape, for the ops this rule covers. */
export function shapeOperand(n: Node): { value: Value; role: string } | undefined {
  const at = (i: number, role: string): { value: Value; role: string } | undefined => {
    const v = n.inputs[i];
    return v ? { value: v, role } : undefined;
  };
  const named = (name: string, role = name): { value: Value; role: string } | undefined => {
    const v = n.input(name);
    return v ? { value: v, role } : undefined;
  };
  switch (n.op) {
    case 'Reshape': case 'Expand': case 'reshapeDynamic': case 'broadcastToDynamic': return at(1, 'shape');
    case 'Tile': return at(1, 'repeats');
    case 'tile': return n.inputNames ? named('reps') : at(1, 'repeats'); // MIL, or NeuralNetwork with a second input
    case 'ConstantOfShape': case 'fillDynamic': return at(0, 'shape');
    case 'reshape': case 'fill': case 'resize': return n.inputNames ? named('shape') : undefined; // MIL
    case 'Upsample': return at(1, 'scales');
    case 'Resize':
      // opset 11+: X, roi, scales, sizes (sizes wins when given); opset 10: X, scales.
      if (n.inputs.length >= 4 && n.inputs[3]) return at(3, 'sizes');
      if (n.inputs.length >= 3) return at(2, 'scales');
      return at(1, 'scales');
    default: return undefined;
  }
}

function judge(n: Node, operand: { value: Value; role: string }, a: Analysis, ctx: RuleContext<unknown>): Finding | undefined {
  const walk = a.walk(operand.value);
  if (a.valueKnown(operand.value) && walk.shapeLeaves.length === 0) {
    ctx.debug(`${operand.role} is computed from constants only; constant folding removes it`, n);
    return undefined;
  }
  const reads = a.valueKnown(operand.value) ? a.reads(operand.value) : [];
  const when: ConstantWhen = !a.valueKnown(operand.value)
    ? 'never'
    : reads.every((r) => r.fixed) || a.inputsStatic ? 'now' : 'input-shapes';
  const data: DynamicReshapeData = {
    operand: operand.role,
    value: operand.value.name,
    constantWhen: when,
    chain: walk.chain.map((c) => c.path),
    reads: reads.map((r) => ({ value: r.of.name, axis: r.axis, dim: r.dim })),
    dataInputs: walk.contents.map((v) => v.name),
    dataShapes: walk.shapes.map((v) => v.name),
    dynamicInputs: a.dynamicInputs.map((v) => v.name),
  };
  const chain = chainText(walk.chain);
  const what = `${n.label} (${n.op}) gets its ${operand.role} from ${chain} computed at run time${walk.truncated ? ' (chain cut at 256 nodes)' : ''}`;
  const why = whyText(n, operand.role, ctx.target);
  let tail: string;
  // Folding needs the shapes the chain reads to be inferred, at least their rank (later passes fill in the dims).
  const unranked = walk.shapeLeaves.map((l) => dataInput(l)).find((v) => v?.type?.kind === 'tensor' && v.type.shape === null);
  const foldable = ctx.model.format === 'onnx' && (when !== 'now' || unranked === undefined);
  if (when === 'now' && unranked !== undefined && ctx.model.format === 'onnx') {
    tail = `Every dimension it reads is fixed already, so it is a constant in disguise, but graphlint cannot fold it: the shape of '${unranked?.name ?? '?'}' is not inferred (it comes out of control flow or an op shape inference does not cover). Make the ${operand.role} a constant.`;
  } else if (when === 'now') {
    tail = foldable
      ? `Every dimension it reads is fixed already, so it is a constant in disguise: graphlint --fix folds the chain so the ${operand.role} is a constant.`
      : `Every dimension it reads is fixed already, so it is a constant in disguise: make the ${operand.role} a constant (graphlint folds shape chains of ONNX models only).`;
  } else if (when === 'input-shapes') {
    const dyn = dynamicReads(reads);
    tail = foldable
      ? `It reads only tensor shapes${dyn ? `, among them ${dyn}` : ''}; fix the dynamic input dimensions (${a.dynamicInputs.map((v) => v.name).join(', ')}) with --input-shape and graphlint --fix folds it into a constant, or re-export with static shapes.`
      : `It reads only tensor shapes${dyn ? `, among them ${dyn}` : ''}; re-export with static shapes so it is a constant.`;
  } else {
    const parts: string[] = [];
    if (walk.contents.length > 0) parts.push(`the values of ${list(walk.contents)}`);
    if (walk.shapes.length > 0) parts.push(`the shape of ${list(walk.shapes)}, which itself depends on data (or on a loop or branch)`);
    tail = `It depends on ${parts.join(' and ') || 'tensor values'}, so no input shape makes it constant: restructure the model so the ${operand.role} is a constant.`;
  }
  return {
    nodes: [n, ...walk.chain],
    message: `${what}. ${why} ${tail}`,
    data,
    fixable: when === 'now' && foldable,
    fact: ctx.target === 'coreml-ep' ? 'E5' : 'S2',
    ...(when === 'now' ? { severity: 'info' as const } : {}),
  };
}

function whyText(n: Node, role: string, target: TargetId): string {
  if (target === 'coreml-ep') {
    if (n.op === 'Reshape') return `ONNX Runtime's Core ML provider takes Reshape only with a constant shape (E5), so it leaves this node to the CPU and the graph splits around it.`;
    if (n.op === 'Resize') return `ONNX Runtime's Core ML provider takes Resize only with constant scales (E5), so it leaves this node to the CPU and the graph splits around it.`;
    return `ONNX Runtime's Core ML provider wants constant shapes for Reshape and constant scales for Resize (E5); a computed ${role} for ${n.op} gives Core ML a dynamic shape at best.`;
  }
  return `Dynamic reshapes are listed among Neural-Engine-hostile patterns (S2).`;
}

function list(values: readonly Value[]): string {
  const shown = values.slice(0, 3).map((v) => `'${v.name}'`).join(', ');
  return values.length > 3 ? `${shown}, …` : shown;
}

function chainText(chain: readonly Node[]): string {
  if (chain.length === 0) return 'a value';
  const ops: string[] = [];
  for (const c of chain) if (ops[ops.length - 1] !== c.op) ops.push(c.op);
  const shown = ops.length > 6 ? [...ops.slice(0, 3), '…', ...ops.slice(-2)] : ops;
  return `a ${shown.join('→')} chain (${chain.length} node${chain.length === 1 ? '' : 's'})`;
}

function dynamicReads(reads: readonly Read[]): string {
  const out = new Set<string>();
  for (const r of reads) {
    if (r.fixed) continue;
    const where = r.axis === null ? `the shape of '${r.of.name}'` : `'${r.of.name}'[${r.axis}]`;
    out.add(typeof r.dim === 'string' ? `${where} ('${r.dim}')` : where);
  }
  const list = [...out];
  return list.length > 3 ? `${list.slice(0, 3).join(', ')}, …` : list.join(', ');
}
