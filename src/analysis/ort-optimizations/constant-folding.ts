import { attrInt } from '../../ir/attribute.js';
import type { Graph, Node } from '../../ir/graph.js';
import { inlineIf } from './if-inlining.js';
import { onnxShapeGaps, type OnnxShapeGaps } from './onnx-shape-gaps.js';
import type { GraphPass } from './pass.js';
import type { OrtView } from './view.js';

/** kOnnxDomainNonDeterministicOps (onnxruntime core/optimizer/utils.cc). */
const NON_DETERMINISTIC = new Set(['RandomUniform', 'RandomNormal', 'RandomUniformLike', 'RandomNormalLike', 'Multinomial', 'Dropout']);
/** kMSDomainDeterministicOps: the only com.microsoft ops treated as deterministic. */
const MS_DETERMINISTIC = new Set(['QuantizeLinear', 'DequantizeLinear']);
/** Ops whose outputs are not plain tensors: ONNX Runtime cannot turn them into initializers. */
const NON_TENSOR_OUTPUT = new Set([
  'SequenceConstruct', 'SequenceEmpty', 'SequenceInsert', 'SequenceErase', 'SplitToSequence', 'Optional',
  'OptionalGetElement', 'OptionalHasElement',
]);

/** optimizer_utils::IsOperationDeterministic. */
export function isDeterministic(n: Node): boolean {
  if (n.domain === '' || n.domain === 'ai.onnx') return !NON_DETERMINISTIC.has(n.op);
  if (n.domain === 'com.microsoft') return MS_DETERMINISTIC.has(n.op);
  return false;
}

/** What a graph without Shape nodes is given for ONNX's shape gaps: nothing asks them. */
const NO_GAPS: OnnxShapeGaps = { shapeless: new Set(), dynamic: new Set() };

function isShape(n: Node): boolean {
  return n.op === 'Shape' && (n.domain === '' || n.domain === 'ai.onnx');
}

/**
 * ConstantFolding (onnxruntime core/optimizer/constant_folding.cc), in graph order:
 * - an If whose condition is a constant initializer is replaced by the nodes of the branch it
 *   takes (if-inlining.ts);
 * - a Shape whose input has a fully known shape becomes an initializer (its `start`/`end`
 *   honoured) — the input itself need not be constant;
 * - any other deterministic node without nested graphs whose inputs are all constant
 *   initializers (omitted optional inputs allowed; initializers that are graph inputs are not
 *   constant) becomes initializers. ONNX Runtime runs the CPU kernel to compute them; graphlint
 *   keeps the elements when shape inference knows them and otherwise only the shape.
 * Constant nodes are initializers from the moment ONNX Runtime loads the model, so they fold
 * here too. DequantizeLinear is not folded on its own (ONNX Runtime keeps QDQ units).
 */
export const constantFolding: GraphPass = {
  id: 'constant-folding',
  ortName: 'ConstantFolding',
  run(view: OrtView, graph: Graph, opset: number): boolean {
    let changed = false;
    // The gaps matter only to Shape nodes: a graph without one (most of a big model's) skips
    // the walk over the whole model. Taken before any fold, as before.
    const gaps = graph.nodes.some(isShape) ? onnxShapeGaps(view.model, opset) : NO_GAPS;
    const nodes = [...graph.nodes];
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      if (!graph.contains(n)) continue;
      if (n.op === 'If' && (n.domain === '' || n.domain === 'ai.onnx')) {
        if (inlineIf(view, n)) {
          changed = true;
          view.count('if-inlining');
        }
        continue;
      }
      if (isShape(n)) {
        const input = n.inputs[0];
        const dims = input && !gaps.shapeless.has(input) && !gaps.dynamic.has(input) ? concreteShape(n) : undefined;
        if (dims) {
          view.foldToConstant(n, this.id, 'constant folding: the shape of its input is known', [{ dtype: 'int64', dims: [dims.length], data: dims }]);
          view.count(this.id);
          changed = true;
        }
        continue;
      }
      if (!foldable(view, n)) continue;
      view.foldToConstant(n, this.id, 'constant folding: its inputs are all constant');
      view.count(this.id);
      changed = true;
    }
    return changed;
  },
};

function foldable(view: OrtView, n: Node): boolean {
  if (!isDeterministic(n) || n.subgraphs().length > 0 || NON_TENSOR_OUTPUT.has(n.op)) return false;
  if ((n.domain === '' || n.domain === 'ai.onnx') && n.op === 'DequantizeLinear') return false;
  if (n.outputs.some((o) => o.type !== null && o.type.kind !== 'tensor')) return false;
  for (const v of n.inputs) if (v && !view.isConstant(v)) return false;
  return true;
}

/** The (sliced) shape of a Shape node's input when every dim is a number. */
function concreteShape(n: Node): number[] | undefined {
  const t = n.inputs[0]?.type;
  if (!t || t.kind !== 'tensor' || t.shape === null) return undefined;
  if (!t.shape.every((d) => typeof d === 'number')) return undefined;
  const dims = t.shape as number[];
  const rank = dims.length;
  const clamp = (x: number): number => Math.min(Math.max(x < 0 ? x + rank : x, 0), rank);
  const start = clamp(attrInt(n.attrs, 'start') ?? 0);
  const end = clamp(attrInt(n.attrs, 'end') ?? rank);
  return dims.slice(start, Math.max(start, end));
}
