import type { Node, Value } from '../../ir/graph.js';
import { isFloat, type DType } from '../../ir/dtype.js';
import { inputEdgeCount, isConstantInitializer, isOpAtVersion, onlyConsumer, producesGraphOutput } from './graph-utils.js';
import type { OrtView } from './view.js';

/**
 * What ConvAddFusion, ConvMulFusion and ConvBNFusion share (onnxruntime core/optimizer/
 * conv_add_fusion.cc, conv_mul_fusion.cc, conv_bn_fusion.cc): a Conv (since-version 1 or 11)
 * with constant weight and bias whose only reader is `next`, which reads nothing else from
 * other nodes and runs on the same provider. The Conv absorbs `next`: `next`'s readers read the
 * Conv's output, the Conv keeps its place and `next` disappears.
 */
export function convFusionPartner(n: Node, nextOp: string, nextVersions: readonly number[], opset: number): Node | undefined {
  if (!isOpAtVersion(n, 'Conv', [1, 11], opset)) return undefined;
  const next = onlyConsumer(n);
  if (!next || !isOpAtVersion(next, nextOp, nextVersions, opset) || inputEdgeCount(next) !== 1) return undefined;
  if (!isConstantInitializer(n.inputs[1]) || (n.inputs[2] && !isConstantInitializer(n.inputs[2]))) return undefined;
  if (producesGraphOutput(n)) return undefined;
  return next;
}

/** The per-channel check of ConvAdd/ConvMul: B is [C_out,1,..] (rank-1) or [1,C_out,1,..] (same rank as W), same float type. */
export function perChannelOperand(conv: Node, b: Value | null | undefined, allowScalar: boolean): boolean {
  if (!isConstantInitializer(b)) return false;
  const w = conv.inputs[1]!.constant!;
  const bt = b!.constant!;
  if (!isFloat(w.dtype as DType) || w.dtype !== bt.dtype || w.dims.length <= 2) return false;
  if (bt.dims.length === 0) return allowScalar;
  const axis = bt.dims.length === w.dims.length ? 1 : bt.dims.length === w.dims.length - 1 ? 0 : -1;
  if (axis < 0 || bt.dims[axis] !== w.dims[0]) return false;
  if (!bt.dims.every((d, i) => i === axis || d === 1)) return false;
  const bias = conv.inputs[2];
  if (bias && (bias.constant?.dtype !== bt.dtype || bias.constant.dims.length !== 1)) return false;
  return true;
}

/** Folds `next` into `conv` in the view. */
export function absorb(view: OrtView, conv: Node, next: Node, pass: string, reason: string): void {
  const out = next.outputs[0]!;
  const convOut = conv.outputs[0]!;
  view.mergeOrigins(conv, next);
  view.replaceUses(out, convOut);
  if (convOut.type === null) convOut.type = out.type;
  view.removeNode(next, pass, reason, conv);
  // ONNX Runtime moves the fused op's output name onto the Conv; only the name differs here.
}
