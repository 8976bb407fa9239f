import { encodeNumbers } from '../../ir/build.js';
import type { Dim } from '../../ir/shape.js';
import type { Graph, Node, Value } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import { tensorType } from '../../ir/types.js';
import { dtypeOf, isOpAtVersion, outputEdgeCount, producesGraphOutput } from './graph-utils.js';
import type { GraphPass } from './pass.js';
import type { OrtView } from './view.js';

const GEMM_TYPES = new Set(['float32', 'float16', 'bfloat16']);

/**
 * MatMulAddFusion (onnxruntime core/optimizer/matmul_add_fusion.cc): a MatMul whose only reader
 * is an Add becomes one Gemm (A, B, bias). B must be 2-D and both inputs float/float16/bfloat16
 * of the Add's type; the bias must be [N], or (2-D A only) [1,N], [M,1] or [M,N]. When A is not
 * 2-D, A's shape must be fully known and ONNX Runtime wraps the Gemm in two Reshapes (to [M,K]
 * and back), so a MatMul+Add pair becomes three nodes (convnext's and the fixed-shape ViT's
 * linears, lstm_op13's head). Three MatMul+Add pairs reading one LayerNormalization with an Add
 * beside them (an attention block) are left for attention fusion. B need not be constant.
 */
export const matmulAddFusion: GraphPass = {
  id: 'matmul-add-fusion',
  ortName: 'MatMulAddFusion',
  run(view: OrtView, graph: Graph, opset: number): boolean {
    let changed = false;
    const nodes = [...graph.nodes];
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      if (!graph.contains(n)) continue;
      if (fuse(view, graph, n, opset)) {
        view.count(this.id);
        changed = true;
      }
    }
    return changed;
  },
};

function fuse(view: OrtView, graph: Graph, matmul: Node, opset: number): boolean {
  if (!isOpAtVersion(matmul, 'MatMul', [1, 9, 13], opset) || outputEdgeCount(matmul) !== 1 || producesGraphOutput(matmul)) return false;
  const mmOut = matmul.outputs[0]!;
  const add = mmOut.uses[0]?.node;
  if (!add || add.graph !== graph || !isOpAtVersion(add, 'Add', [7, 13, 14], opset)) return false;
  const a = matmul.inputs[0];
  const b = matmul.inputs[1];
  if (!a || !b) return false;
  const type = dtypeOf(a);
  if (!type || type !== dtypeOf(add.inputs[0]) || !GEMM_TYPES.has(type)) return false;
  const aShape = shapeOf(a);
  const bShape = shapeOf(b);
  if (!aShape || !bShape || bShape.length !== 2) return false;
  const needReshape = aShape.length !== 2;
  let m = 0;
  let k = 0;
  let n = 0;
  if (needReshape) {
    if (attentionPattern(matmul, add)) return false;
    if (!aShape.every((d): d is number => typeof d === 'number' && d >= 0)) return false;
    if (typeof bShape[0] !== 'number' || typeof bShape[1] !== 'number') return false;
    m = (aShape as number[]).slice(0, -1).reduce((x, y) => x * y, 1);
    k = bShape[0];
    n = bShape[1];
    // Declared dims may multiply past any int64 (a file can say anything): no Reshape for those.
    if (!Number.isSafeInteger(m)) return false;
  }
  const biasIndex = add.inputs[0] === mmOut ? 1 : 0;
  const bias = add.inputs[biasIndex];
  const biasShape = shapeOf(bias);
  if (!bias || !biasShape) return false;
  const dimN = bShape[1] ?? null;
  const one = (d: Dim | undefined): boolean => d === 1;
  const valid =
    (biasShape.length === 1 && sameDim(biasShape[0], dimN)) ||
    (!needReshape && biasShape.length === 2 && one(biasShape[0]) && sameDim(biasShape[1], dimN)) ||
    (!needReshape && biasShape.length === 2 && sameDim(biasShape[0], aShape[0]) && (one(biasShape[1]) || sameDim(biasShape[1], dimN)));
  if (!valid) return false;

  const out = add.outputs[0]!;
  const outName = out.name;
  const at = graph.nodes.indexOf(add);
  const origins = [matmul, add];
  let gemmInput: Value = a;
  let index = at;
  if (needReshape) {
    const shapeIn = shapeConstant(graph, 'gemm_input_shape', [m, k]);
    const rIn = view.addNode(graph, {
      op: 'Reshape', kind: 'reshape', name: graph.freshName('gemm_input_reshape'),
      inputs: [a, shapeIn], outputs: [graph.freshName('gemm_input_reshape_arg')],
    }, origins, index++);
    rIn.outputs[0]!.type = tensorType(type as never, [m, k]);
    gemmInput = rIn.outputs[0]!;
  }
  const gemm = view.addNode(graph, {
    op: 'Gemm', kind: 'linear', name: `${matmul.name || matmul.label}/MatMulAddFusion`,
    inputs: [gemmInput, b, bias], outputs: [graph.freshName(needReshape ? 'gemm_output_reshape_arg' : `${outName}_gemm`)],
  }, origins, index++);
  let last = gemm;
  if (needReshape) {
    gemm.outputs[0]!.type = tensorType(type as never, [m, n]);
    const shapeOut = shapeConstant(graph, 'gemm_output_shape', [...(aShape as number[]).slice(0, -1), n]);
    last = view.addNode(graph, {
      op: 'Reshape', kind: 'reshape', name: graph.freshName('gemm_output_reshape'),
      inputs: [gemm.outputs[0]!, shapeOut], outputs: [graph.freshName(`${outName}_reshaped`)],
    }, origins, index++);
  }
  const result = last.outputs[0]!;
  result.type = out.type;
  view.replaceUses(out, result);
  view.removeNode(add, 'matmul-add-fusion', `MatMul+Add fusion turns it into ${gemm.label}`, gemm);
  view.removeNode(matmul, 'matmul-add-fusion', `MatMul+Add fusion turns it into ${gemm.label}`, gemm);
  view.renameValue(result, outName);
  return true;
}

function shapeOf(v: Value | null | undefined): readonly Dim[] | undefined {
  const t = v?.type;
  return t && t.kind === 'tensor' && t.shape !== null ? t.shape : undefined;
}

/** ONNX's equality of two dimensions: equal values, or the same symbol. */
function sameDim(x: Dim | undefined, y: Dim | undefined): boolean {
  return x !== undefined && x !== null && x === y;
}

function shapeConstant(graph: Graph, base: string, dims: readonly number[]): Value {
  const t = Tensor.fromBytes('int64', [dims.length], encodeNumbers('int64', dims));
  return graph.addInitializer(graph.freshName(base), t, tensorType('int64', [dims.length]));
}

/**
 * AttentionPatternCache::IsAttentionPattern, stateless: A comes from a LayerNormalization read
 * by three MatMuls and one Add (plus Shapes), and that Add's other input comes from an Add.
 */
function attentionPattern(matmul: Node, add: Node): boolean {
  void add;
  const ln = matmul.inputs[0]?.producer;
  if (!ln || ln.op !== 'LayerNormalization') return false;
  let adds = 0;
  let matmuls = 0;
  let shapes = 0;
  let edges = 0;
  let lnAdd: Node | undefined;
  for (const o of ln.outputs) {
    for (const u of o.uses) {
      edges++;
      if (u.node.op === 'Add') {
        adds++;
        lnAdd = u.node;
      } else if (u.node.op === 'MatMul') matmuls++;
      else if (u.node.op === 'Shape') shapes++;
    }
  }
  if (adds !== 1 || matmuls !== 3 || shapes !== edges - 4 || !lnAdd) return false;
  const other = lnAdd.inputs[0] === ln.outputs[0] ? lnAdd.inputs[1] : lnAdd.inputs[0];
  return other?.producer?.op === 'Add';
}
