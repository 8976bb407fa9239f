import { constantTensor } from '../../analysis/constants.js';
import type { Finding } from '../../engine/rule.js';
import type { Node, Value } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import type { PatchBuilder } from '../builder.js';
import type { ValueRef } from '../patch.js';
import { rewriteBlocker } from '../support.js';
import { reshapeTensor, smallNumbers, tensorOf, transposeTensor } from '../tensors.js';

/** What the rule's finding carries (rules/linear-to-conv.ts LinearToConvData), as far as the fix reads it. */
interface Data {
  readonly transB: boolean;
  readonly biasAdd: string | null;
}

const ONE_BY_ONE = { strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], groups: 1 };

/**
 * linear-to-conv: a fully connected layer with a constant weight becomes a 1×1
 * convolution over a (B, C, 1, S) view of its input (A11), bias kept:
 *
 *   rank 2 [N, C]:      unsqueeze [N, C, 1, 1] → conv → squeeze
 *   rank 3 [B, S, C]:   transpose [B, C, S] → unsqueeze [B, C, 1, S] → conv → squeeze → transpose back
 *   rank 4 [B, H, W, C]: transpose to [B, C, H, W] → conv → transpose back
 *
 * The weight is reshaped to [out, in, 1, 1] (a file range when stored [out, in], else
 * transposed once); exact up to the summation order of the products.
 */
export function fixLinearToConv(f: Finding, b: PatchBuilder): string {
  const n = f.nodes[0]!;
  b.at(n);
  const blocked = rewriteBlocker(n);
  if (blocked) b.decline(blocked);
  const d = f.data as Data;
  const { x, weight, bias } = operands(n, b);
  const w = constantTensor(weight);
  if (!w || w.dims.length !== 2) b.decline('the weight is not a readable 2-D constant');
  const xt = b.typeOf(x);
  if (!xt || xt.shape === null) b.decline('the rank of the input is not known');
  if (xt.dtype !== w.dtype) b.decline(`the input is ${xt.dtype} but the weight is ${w.dtype}`);
  const [cout, cin] = d.transB ? [w.dims[0]!, w.dims[1]!] : [w.dims[1]!, w.dims[0]!];
  const kernel = d.transB ? reshapeTensor(w, [cout, cin, 1, 1]) : reshapeTensor(transposeTensor(w, [1, 0]), [cout, cin, 1, 1]);

  const add = d.biasAdd ? f.nodes[1] : undefined;
  const biasValue = add ? add.inputs.find((v) => v !== n.outputs[0]) ?? null : bias;
  const rank = xt.shape.length;
  const outRank = add ? typeRank(add.outputs[0]!) : rank;
  if (outRank !== rank) b.decline(`adding the bias changes the rank (${rank} → ${outRank})`);
  const biasRef = biasValue ? convBias(b, biasValue, cout, `${base(n)}_bias`) : null;

  const name = base(n);
  const conv = (v: ValueRef): ValueRef => b.conv(v, b.constant(`${name}_weight`, kernel), biasRef, ONE_BY_ONE, `${name}_conv`);
  let y: ValueRef;
  if (rank === 2) {
    y = b.squeeze(conv(b.expandDims(x, [2, 3], `${name}_nc11`)), [2, 3], `${name}_out`);
  } else if (rank === 3) {
    const cs = b.transpose(x, [0, 2, 1], `${name}_bcs`);
    const c1s = b.expandDims(cs, [2], `${name}_bc1s`);
    y = b.transpose(b.squeeze(conv(c1s), [2], `${name}_conv_bcs`), [0, 2, 1], `${name}_out`);
  } else if (rank === 4) {
    y = b.transpose(conv(b.transpose(x, [0, 3, 1, 2], `${name}_nchw`)), [0, 2, 3, 1], `${name}_out`);
  } else {
    b.decline(`the input has rank ${rank} (2, 3 or 4 are rewritten)`);
  }
  const root = add ?? n;
  b.replace(root.outputs[0]!, y);
  b.remove(n);
  if (add) b.remove(add);
  return `${n.label} (${n.op}${add ? ` + ${add.op}` : ''}, ${cin} → ${cout}) → 1×1 convolution in (B, C, 1, S) layout`;
}

function operands(n: Node, b: PatchBuilder): { x: Value; weight: Value; bias: Value | null } {
  let x: Value | null | undefined;
  let weight: Value | null | undefined;
  let bias: Value | null | undefined = null;
  if (n.inputNames) {
    x = n.input('x');
    weight = n.op === 'linear' ? n.input('weight') : n.input('y');
    bias = n.op === 'linear' ? n.input('bias') ?? null : null;
  } else {
    [x, weight, bias] = [n.inputs[0], n.inputs[1], n.inputs[2] ?? null];
  }
  if (!x || !weight) b.decline(`${n.label} lacks an operand`);
  if (n.op === 'innerProduct' || n.op === 'batchedMatmul') b.decline('NeuralNetwork layers are not rewritten');
  return { x, weight, bias: bias ?? null };
}

/** A per-output-channel bias of `cout` elements: the value itself when it is one, else a new constant. */
function convBias(b: PatchBuilder, v: Value, cout: number, name: string): ValueRef {
  const t: Tensor | undefined = constantTensor(v);
  if (!t) b.decline('the bias is not a constant');
  const nonOne = t.dims.filter((d) => d !== 1);
  if (t.dims.length === 1 && t.dims[0] === cout && v.constant) return v;
  if (nonOne.length === 0) {
    const x = smallNumbers(t, 1)?.[0];
    if (x === undefined) b.decline('the bias is not readable');
    return b.constant(name, tensorOf(t.dtype, [cout], new Array<number>(cout).fill(x)));
  }
  if (nonOne.length === 1 && nonOne[0] === cout && t.dims[t.dims.length - 1] === cout) return b.constant(name, reshapeTensor(t, [cout]));
  return b.decline(`the bias of shape [${t.dims.join(',')}] is not one value per output channel`);
}

function typeRank(v: Value): number | undefined {
  return v.type?.kind === 'tensor' && v.type.shape ? v.type.shape.length : undefined;
}

export function base(n: Node): string {
  return n.name || n.label;
}
