import type { Graph } from '../../../ir/graph.js';
import type { Dim } from '../../../ir/shape.js';
import type { ValueType } from '../../../ir/types.js';
import type { NodeContext, RuleTable, ShapeRule } from '../context.js';
import { fail, normAxis, unifyDim } from '../dims.js';
import { mergeTypes, unionTypes, withoutShape } from '../merge.js';

/**
 * If, Loop, Scan: bodies are inferred once, with the types their parent gives their inputs
 * (outer-scope values are read directly, with their inferred types and known elements).
 */

function body(ctx: NodeContext, name: string): Graph {
  return ctx.graph(name) ?? fail(`${ctx.node.op} has no ${name}`);
}

const ifRule: ShapeRule = (ctx) => {
  const thenOut = ctx.inferSubgraph(body(ctx, 'then_branch'), []);
  const elseOut = ctx.inferSubgraph(body(ctx, 'else_branch'), []);
  if (thenOut.length !== ctx.outputCount || elseOut.length !== ctx.outputCount) {
    fail(`If branches give ${thenOut.length} and ${elseOut.length} outputs for ${ctx.outputCount}`);
  }
  // A condition known from constants picks its branch; otherwise the branches' common type.
  const cond = ctx.mayKnow(0) ? ctx.data(0, 1)?.[0] : undefined;
  const taken = cond === 1 ? 'then_branch' : cond === 0 ? 'else_branch' : undefined;
  for (let i = 0; i < ctx.outputCount; i++) {
    if (taken === undefined) {
      ctx.outType(i, unionTypes(thenOut[i]!, elseOut[i]!));
      continue;
    }
    ctx.outType(i, (taken === 'then_branch' ? thenOut : elseOut)[i]!);
    const v = body(ctx, taken).outputs[i]!;
    const e = ctx.dataOf(v);
    if (e !== undefined) ctx.outData(i, e);
  }
};

const loop: ShapeRule = (ctx) => {
  const g = body(ctx, 'body');
  const states = ctx.inputCount - 2;
  const inputs: (ValueType | null)[] = [
    { kind: 'tensor', dtype: 'int64', shape: [] },
    ctx.type(1),
    ...Array.from({ length: states }, (_, i) => withoutShape(ctx.type(i + 2))),
  ];
  const out = ctx.inferSubgraph(g, inputs);
  if (out.length !== ctx.outputCount + 1) fail(`Loop body gives ${out.length} outputs for ${ctx.outputCount}`);
  for (let i = 0; i < ctx.outputCount; i++) {
    const t = out[i + 1]!;
    if (i < states) {
      // The final state is the initial one (no iteration) or the body's output (inferred
      // without the input's dims, so valid for every iteration): what both agree on.
      // An optional initial state the body replaces by its element type: the body's kind, as ONNX has it.
      const initial = ctx.type(i + 2);
      const sameKind = initial === null || t === null || initial.kind === t.kind;
      ctx.outType(i, unionTypes(initial, t) ?? withoutShape(sameKind ? initial ?? t : t));
    } else if (t !== null && t.kind === 'tensor') {
      ctx.out(i, t.dtype, t.shape === null ? null : [null, ...t.shape]);
    }
  }
};

const scan: ShapeRule = (ctx) => {
  const g = body(ctx, 'body');
  if (ctx.opset < 9) return scan8(ctx, g);
  const nScan = ctx.int('num_scan_inputs') ?? fail('Scan needs num_scan_inputs');
  if (!Number.isInteger(nScan) || nScan < 0 || nScan > ctx.inputCount) fail(`Scan num_scan_inputs ${nScan} does not fit its ${ctx.inputCount} inputs`);
  const states = ctx.inputCount - nScan;
  const inAxes = ctx.intList('scan_input_axes') ?? new Array<number>(nScan).fill(0);
  const nOut = ctx.outputCount - states;
  const outAxes = ctx.intList('scan_output_axes') ?? new Array<number>(nOut).fill(0);
  let seq: Dim = null;
  const inputs: (ValueType | null)[] = [];
  for (let i = 0; i < ctx.inputCount; i++) {
    const t = ctx.type(i);
    const s = ctx.shape(i);
    if (i < states || s === null) {
      inputs.push(t);
      continue;
    }
    const axis = normAxis(inAxes[i - states] ?? 0, s.length, 'scan_input_axes');
    seq = unifyDim(seq, s[axis]!, 'sequence length');
    inputs.push({ kind: 'tensor', dtype: ctx.dtype(i), shape: s.filter((_, k) => k !== axis) });
  }
  const out = ctx.inferSubgraph(g, inputs);
  if (out.length !== ctx.outputCount) fail(`Scan body gives ${out.length} outputs for ${ctx.outputCount}`);
  for (let i = 0; i < ctx.outputCount; i++) {
    const t = out[i]!;
    if (i < states) {
      // Scan states keep one shape across iterations: the input's and the body's agree.
      ctx.outType(i, mergeTypes(ctx.type(i), t).type);
    } else if (t !== null && t.kind === 'tensor') {
      if (t.shape === null) {
        ctx.out(i, t.dtype, null);
        continue;
      }
      const axis = normAxis(outAxes[i - states] ?? 0, t.shape.length + 1, 'scan_output_axes');
      ctx.out(i, t.dtype, [...t.shape.slice(0, axis), seq, ...t.shape.slice(axis)]);
    }
  }
};

/**
 * Scan-8: input 0 is sequence_lens, then states and scan inputs, all batched: states are
 * (batch, ...), scan inputs (batch, seq, ...). Outputs: states (batch, ...), scan outputs
 * (batch, seq, ...).
 */
function scan8(ctx: NodeContext, g: Graph): void {
  const nScan = ctx.int('num_scan_inputs') ?? fail('Scan needs num_scan_inputs');
  const states = ctx.inputCount - 1 - nScan;
  let batch: Dim = null;
  let seq: Dim = null;
  const inputs: (ValueType | null)[] = [];
  for (let i = 1; i < ctx.inputCount; i++) {
    const s = ctx.shape(i);
    const isScan = i - 1 >= states;
    if (s === null) {
      inputs.push(ctx.dtype(i) === 'unknown' ? null : { kind: 'tensor', dtype: ctx.dtype(i), shape: null });
      continue;
    }
    if (s.length < (isScan ? 2 : 1)) fail(`Scan input ${i} lacks its batch${isScan ? ' and sequence' : ''} dims`);
    batch = unifyDim(batch, s[0]!, 'batch');
    if (isScan) seq = unifyDim(seq, s[1]!, 'sequence length');
    inputs.push({ kind: 'tensor', dtype: ctx.dtype(i), shape: s.slice(isScan ? 2 : 1) });
  }
  const out = ctx.inferSubgraph(g, inputs);
  if (out.length !== ctx.outputCount) fail(`Scan body gives ${out.length} outputs for ${ctx.outputCount}`);
  out.forEach((t, i) => {
    if (t === null || t.kind !== 'tensor') return;
    const lead = i < states ? [batch] : [batch, seq];
    ctx.out(i, t.dtype, t.shape === null ? null : [...lead, ...t.shape]);
  });
}

export const controlFlowRules: RuleTable = {
  If: ifRule,
  Loop: loop,
  Scan: scan,
};
