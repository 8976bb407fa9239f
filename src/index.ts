/**
 * graphlint's library API: what the CLI does, minus argument parsing.
 */
export { readModel, releaseModel, writeModel, handlerFor, isModelPath } from './formats/index.js';
export { readOnnx, writeOnnx, type WriteOnnxOptions } from './formats/onnx/index.js';
export { analyzeFile, type AnalyzedFile } from './engine/analyze-file.js';
export { computeStats, type ModelStats } from './analysis/stats.js';
export { formatJson } from './report/json.js';
export type { Diagnostic, FileResult, RunSummary, Severity } from './report/result.js';
export { ModelError, UsageError, WriteError } from './errors.js';
export { Model, type ModelFormat } from './ir/model.js';
export { Graph, Node, Value, type NodeSpec, type Use } from './ir/graph.js';
export { Tensor, type TensorStorage } from './ir/tensor.js';
export type { Attribute, AttributeValue } from './ir/attribute.js';
export type { DType } from './ir/dtype.js';
export type { Dim, Shape } from './ir/shape.js';
export type { ValueType, TensorType } from './ir/types.js';
export { ModelBuilder, float, floats } from './ir/build.js';
export { topologicalOrder } from './ir/topo.js';
export { main as runCli } from './cli/main.js';
export { VERSION } from './version.js';
