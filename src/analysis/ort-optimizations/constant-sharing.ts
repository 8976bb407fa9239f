import type { Graph, Value } from '../../ir/graph.js';
import { contentHash } from '../../ir/string-map.js';
import type { Tensor } from '../../ir/tensor.js';
import type { GraphPass } from './pass.js';
import type { OrtView } from './view.js';

const SHAREABLE = new Set(['float16', 'float32', 'float64', 'int32', 'int64']);
/** A small number per shareable type, for the hash. */
const SHAREABLE_IDS = new Map([...SHAREABLE].map((t, i) => [t, i + 1]));
/** ConstantSharing::TENSOR_ELEM_COUNT_THRESHOLD. */
const MAX_ELEMENTS = 8;

/**
 * ConstantSharing (onnxruntime core/optimizer/constant_sharing.cc): small constant initializers
 * (1 to 8 elements, float16/float/double/int32/int64) with the same type, the same dims and the
 * same element bytes are replaced by the first of them, unless a nested graph reads them or they
 * are graph outputs. Only the main graph: the pass does not recurse into nested graphs. It
 * removes no node, but it lets common-subexpression elimination merge nodes that read equal
 * constants (e.g. yolox's duplicated Focus slices, silero's shape guards). As in ONNX Runtime,
 * bytes are compared, not numbers: 0 and -0 are not shared, nor NaNs with different bits.
 * In an inference build it runs in the first round only (ShouldOnlyApplyOnce).
 */
export const constantSharing: GraphPass = {
  id: 'constant-sharing',
  ortName: 'ConstantSharing',
  keepsShapes: true,
  keepsInference: true,
  firstRoundOnly: true,
  run(view: OrtView, graph: Graph): boolean {
    // Candidates by a hash of type, dims and bytes; equal hashes are compared in full. A big
    // graph has a small constant every few nodes: no string or number list is made per constant.
    const kept = new Map<number, Shared | Shared[]>();
    let changed = false;
    // Repointing readers edits uses, never the initializer list: a loop over it by index is safe.
    const initializers = graph.initializers;
    for (let i = 0; i < initializers.length; i++) {
      const v = initializers[i]!;
      const candidate = shareable(view, graph, v);
      if (candidate === undefined) continue;
      const hash = hashOf(candidate);
      const found = kept.get(hash);
      const same = found === undefined ? undefined
        : Array.isArray(found) ? found.find((k) => equal(k, candidate))
        : equal(found, candidate) ? found : undefined;
      if (same === undefined) {
        if (found === undefined) kept.set(hash, candidate);
        else if (Array.isArray(found)) found.push(candidate);
        else kept.set(hash, [found, candidate]);
        continue;
      }
      const uses = v.uses.slice();
      for (let k = 0; k < uses.length; k++) uses[k]!.node.setInput(uses[k]!.index, same.value);
      view.count(this.id);
      changed = true;
    }
    return changed;
  },
};

interface Shared {
  readonly value: Value;
  readonly tensor: Tensor;
  readonly bytes: Uint8Array;
}

/** `v` with its tensor and bytes when the pass may share it, else undefined. */
function shareable(view: OrtView, graph: Graph, v: Value): Shared | undefined {
  if (!view.isConstant(v) || v.uses.length === 0 || v.isGraphOutput) return undefined;
  const tensor = v.constant!;
  if (!SHAREABLE.has(tensor.dtype) || tensor.storage.kind === 'missing') return undefined;
  const count = tensor.elementCount;
  if (count < 1 || count > MAX_ELEMENTS) return undefined;
  for (let k = 0; k < v.uses.length; k++) if (v.uses[k]!.node.graph !== graph) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = tensor.bytes();
  } catch {
    return undefined; // external bytes that cannot be read: left alone, as an unknown value
  }
  return { value: v, tensor, bytes };
}

/** Seeded (contentHash): constants a file made to collide cannot pile up in one bucket. */
function hashOf(c: Shared): number {
  return contentHash(SHAREABLE_IDS.get(c.tensor.dtype)!, c.tensor.dims, c.bytes);
}

function equal(a: Shared, b: Shared): boolean {
  if (a.tensor.dtype !== b.tensor.dtype) return false;
  const da = a.tensor.dims;
  const db = b.tensor.dims;
  if (da.length !== db.length || a.bytes.length !== b.bytes.length) return false;
  for (let k = 0; k < da.length; k++) if (da[k] !== db[k]) return false;
  for (let k = 0; k < a.bytes.length; k++) if (a.bytes[k] !== b.bytes[k]) return false;
  return true;
}
