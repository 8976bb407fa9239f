import type { Graph, Node, Value } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { sinceVersion } from './graph-utils.js';

/**
 * Which values ONNX shape inference leaves with a type but no shape — the same ONNX inference
 * functions ONNX Runtime runs on its graph, and onnx 1.12 in the usability checker (E13).
 * ONNX Runtime folds a Shape only when its own inference knows the input's whole shape, so the
 * optimizer needs these gaps too (constant-folding.ts). graphlint's own inference knows more (it keeps ranks
 * through If branches and data-dependent ops); the checker's verdicts follow onnx's gaps, and a
 * value typed without a shape counts as *fixed* for the checker. So, to reproduce the checker,
 * graphlint marks the values onnx would leave shapeless:
 * - an If output, when the two branches give it shapes of different ranks (or none);
 * - the output of Reshape, Slice, Squeeze/Unsqueeze (axes as input) and reductions with an axes
 *   input, when that input is not an initializer (onnx reads only initializers, no data
 *   propagation in the checker's call);
 * - any other node's outputs, when one of its given inputs is shapeless — except Shape (then a
 *   1-D shape of unknown length: dynamic), Size (a scalar) and the recurrent ops (LSTM, GRU,
 *   RNN infer their ranks from attributes);
 * - but never a graph output (main or nested): its value_info is the declared output.
 * Observed against onnx 1.12 on the corpus; see test/targets/onnx-shape-gaps.test.ts.
 */
export function onnxShapeless(model: Model, opset: number): Set<Value> {
  return onnxShapeGaps(model, opset).shapeless;
}

export interface OnnxShapeGaps {
  /** Typed, no shape: the checker counts them as fixed. */
  readonly shapeless: Set<Value>;
  /** A shape of known rank and unknown dims where graphlint knows more (Shape of a shapeless value). */
  readonly dynamic: Set<Value>;
}

export function onnxShapeGaps(model: Model, opset: number): OnnxShapeGaps {
  const shapeless = new Set<Value>();
  const dynamic = new Set<Value>();
  const isInit = (v: Value): boolean => v.constant !== null && v.producer === null;
  const lacks = (v: Value | null): boolean => v !== null && (shapeless.has(v) || (!isInit(v) && (v.type === null || (v.type.kind === 'tensor' && v.type.shape === null))));

  const visit = (g: Graph): void => {
    for (const n of g.nodes) {
      for (const [, sub] of n.subgraphs()) visit(sub);
      if (n.op === 'Shape' && n.inputs[0] && lacks(n.inputs[0])) {
        for (const o of n.outputs) dynamic.add(o);
        continue;
      }
      if (RECURRENT.has(n.op)) continue;
      if (outputsShapeless(n)) {
        for (const o of n.outputs) {
          const declared = o.isGraphOutput && declaresShape(o);
          if (!declared) shapeless.add(o);
        }
      }
    }
  };

  // Loops, not lists: this runs for every node of the model, in each round of constant folding.
  const givenLacks = (n: Node): boolean => {
    const inputs = n.inputs;
    for (let i = 0; i < inputs.length; i++) {
      const v = inputs[i];
      if (v !== null && v !== undefined && lacks(v)) return true;
    }
    return false;
  };

  const outputsShapeless = (n: Node): boolean => {
    switch (n.op) {
      case 'Shape': case 'Size': return false;
      case 'If': {
        const then = branch(n, 'then_branch');
        const other = branch(n, 'else_branch');
        if (!then || !other) return true;
        return then.outputs.some((o, i) => {
          const e = other.outputs[i];
          if (!e || lacks(o) || lacks(e)) return true;
          const ro = o.type?.kind === 'tensor' ? o.type.shape?.length : undefined;
          const re = e.type?.kind === 'tensor' ? e.type.shape?.length : undefined;
          return ro !== re;
        });
      }
      case 'Reshape':
        return lacksData(n, SECOND) || givenLacks(n);
      case 'Slice':
        return (sinceVersion('Slice', opset) ?? 10) >= 10 && lacksData(n, SLICE_PARAMS) || givenLacks(n);
      case 'Squeeze': case 'Unsqueeze':
        return (sinceVersion(n.op, opset) ?? 13) >= 13 && lacksData(n, SECOND) || givenLacks(n);
      case 'ReduceSum':
        return opset >= 13 && lacksData(n, SECOND) || givenLacks(n);
      case 'ReduceMean': case 'ReduceMax': case 'ReduceMin': case 'ReduceProd': case 'ReduceL1': case 'ReduceL2':
      case 'ReduceLogSum': case 'ReduceLogSumExp': case 'ReduceSumSquare':
        return opset >= 18 && lacksData(n, SECOND) || givenLacks(n);
      default:
        return givenLacks(n);
    }
  };

  const lacksData = (n: Node, indices: readonly number[]): boolean => indices.some((i) => {
    const v = n.inputs[i];
    return v !== null && v !== undefined && !isInit(v);
  });

  visit(model.graph);
  return { shapeless, dynamic };
}

const RECURRENT = new Set(['LSTM', 'GRU', 'RNN']);
const SECOND = [1];
const SLICE_PARAMS = [1, 2, 3, 4];

function branch(n: Node, name: string): Graph | undefined {
  const a = n.attrs.get(name);
  return a?.type === 'graph' ? a.value : undefined;
}

/**
 * True when the file declares a shape for graph output `v` (ONNX GraphProto.output[i].type.
 * tensor_type.shape): onnx keeps the declaration as the output's value_info. Read from the
 * graph's origin (the decoded proto the reader kept), which the view shares with the original.
 */
function declaresShape(v: Value): boolean {
  const g = v.graph;
  const i = g.outputs.indexOf(v);
  const origin = g.origin as { output?: Array<{ type?: { tensor_type?: { shape?: unknown } } }> } | undefined;
  if (!origin || !Array.isArray(origin.output)) return g.parentGraph === null && v.type?.kind === 'tensor' && v.type.shape !== null;
  return origin.output[i]?.type?.tensor_type?.shape !== undefined;
}
