import type { Model } from '../../ir/model.js';
import type { Dim } from '../../ir/shape.js';
import { ShapeEngine } from './engine.js';
import { emptyReport, type ShapeReport } from './report.js';

export type { Contradiction, NodeProblem, ShapeReport } from './report.js';
export { uncoveredOps } from './report.js';
export { coveredOps } from './registry.js';

export interface InferShapesOptions {
  /** Dims for graph inputs by name (`--input-shape`); they replace the declared dims before inference. */
  readonly inputShapes?: ReadonlyMap<string, readonly Dim[]>;
}

/**
 * Fills in `Value.type` across the model's main graph and the graphs nested in it (If,
 * Loop, Scan bodies), wherever ONNX's op semantics determine more than is declared. A
 * declared type is only ever refined, never replaced by a vaguer one; an unknown dim stays
 * null and a symbolic dim is carried as its name. Small constants and shape computations
 * (Shape → Gather → Concat → Reshape) are evaluated; large tensors are never read.
 * Model-local functions are templates, not inferred. Never throws on a bad model: what
 * could not be inferred, and why, is in the report.
 */
export function inferShapes(model: Model, options: InferShapesOptions = {}): ShapeReport {
  const report = emptyReport();
  for (const [name, dims] of options.inputShapes ?? []) {
    const v = model.graph.inputs.find((x) => x.name === name);
    if (v === undefined) {
      report.ignoredInputShapes.push(name);
      continue;
    }
    const dtype = v.type?.kind === 'tensor' ? v.type.dtype : 'unknown';
    v.type = { kind: 'tensor', dtype, shape: [...dims] };
  }
  const engine = new ShapeEngine(model, report);
  engine.inferGraph(model.graph);
  inferences.set(model, engine);
  return report;
}

const inferences = new WeakMap<Model, ShapeEngine>();

/**
 * The engine of the last inferShapes of `model` when the model has not been edited since it
 * was read (an edit marks Graph.changed), so what it knows is still true; else undefined.
 */
export function inferenceOf(model: Model): ShapeEngine | undefined {
  return model.graph.changed ? undefined : inferences.get(model);
}
