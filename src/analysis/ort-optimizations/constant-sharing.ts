import type { Graph, Value } from '../../ir/graph.js';
import type { GraphPass } from './pass.js';
import type { OrtView } from './view.js';

const SHAREABLE = new Set(['float16', 'float32', 'float64', 'int32', 'int64']);
/** ConstantSharing::TENSOR_ELEM_COUNT_THRESHOLD. */
const MAX_ELEMENTS = 8;

/**
 * ConstantSharing (onnxruntime core/optimizer/constant_sharing.cc): small constant initializers
 * (1 to 8 elements, float16/float/double/int32/int64, static shape) with the same type, the same
 * shape and the same bytes are replaced by one of them, unless a nested graph reads them or they
 * are graph outputs. Only the main graph: the pass does not recurse into nested graphs. It
 * removes no node, but it lets common-subexpression elimination merge nodes that read equal
 * constants (e.g. yolox's duplicated Focus slices, silero's shape guards). ONNX Runtime compares
 * bytes: 0 and -0 are not shared; NaNs are taken as equal here whatever their payload bits.
 * In an inference build it runs in the first round only (ShouldOnlyApplyOnce).
 */
export const constantSharing: GraphPass = {
  id: 'constant-sharing',
  ortName: 'ConstantSharing',
  keepsShapes: true,
  keepsInference: true,
  firstRoundOnly: true,
  run(view: OrtView, graph: Graph): boolean {
    const first = new Map<string, Value>();
    let changed = false;
    for (const v of [...graph.initializers]) {
      if (!view.isConstant(v) || v.isGraphOutput || v.uses.length === 0) continue;
      const t = v.type;
      if (!t || t.kind !== 'tensor' || t.shape === null || !t.shape.every((d) => typeof d === 'number')) continue;
      const count = (t.shape as number[]).reduce((a, b) => a * b, 1);
      if (count < 1 || count > MAX_ELEMENTS || !SHAREABLE.has(t.dtype)) continue;
      if (v.uses.some((u) => u.node.graph !== graph)) continue;
      const values = view.numbers(v, MAX_ELEMENTS);
      if (!values) continue;
      const key = `${t.dtype}_${t.shape.join('x')}_${values.map((x) => (Object.is(x, -0) ? '-0' : String(x))).join(',')}`;
      const kept = first.get(key);
      if (!kept) {
        first.set(key, v);
        continue;
      }
      for (const u of [...v.uses]) u.node.setInput(u.index, kept);
      view.count(this.id);
      changed = true;
    }
    return changed;
  },
};
