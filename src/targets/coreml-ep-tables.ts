import type { Graph, Node, Value } from '../ir/graph.js';
import { COREML_EP_OPS, type CoremlFormat } from './coreml-ep-ops.js';
import type { OnnxShapeGaps } from '../analysis/ort-optimizations/onnx-shape-gaps.js';
import { decision, type Decision } from './types.js';

/**
 * ONNX Runtime's usability checker, for `--coreml-ep-source tables` (E13): the published op
 * tables instead of the builders, and the checker's own shape rules instead of the builders'
 * conditions. graphlint predicts the real provider (builders) by default; this mode exists so a
 * test can show graphlint agreeing with the checker's figures node for node, and the
 * known-differences fixture can say where and why the checker is wrong.
 *
 * The tables are not copied: they are the builders' table (coreml-ep-ops.ts) with the
 * differences E11 records.
 */
const TABLE_OMITS: Readonly<Record<CoremlFormat, readonly string[]>> = {
  // ArgMax is listed as "Argmax" in the ML Program table, which never matches an op type.
  mlprogram: ['BatchNormalization', 'Gather', 'ReduceMin', 'ReduceProd', 'ArgMax'],
  neuralnetwork: ['ReduceMean', 'ReduceSum'],
};

const tableCache = new Map<CoremlFormat, ReadonlySet<string>>();

/** The op types the published table for `format` lists (default ONNX domain). */
export function publishedTable(format: CoremlFormat): ReadonlySet<string> {
  let t = tableCache.get(format);
  if (!t) {
    const omitted = new Set(TABLE_OMITS[format]);
    t = new Set(Object.entries(COREML_EP_OPS).filter(([op, s]) => s[format] && !omitted.has(op)).map(([op]) => op));
    tableCache.set(format, t);
  }
  return t;
}

/** is_fixed_size_tensor over graphlint's inferred type, the way the checker reads value_info (E13). */
export function checkerFixed(v: Value | null, gaps: OnnxShapeGaps): boolean {
  if (v === null) return false; // an omitted optional input ('') has no value_info
  if (v.constant !== null && v.producer === null) return true; // initializers count as fixed
  const t = v.type;
  if (!t || t.kind !== 'tensor' || t.dtype === 'unknown') return false; // no value_info
  // value_info with a type and no shape (onnx could not infer it): the checker counts it as fixed
  if (gaps.dynamic.has(v)) return false;
  if (t.shape === null || gaps.shapeless.has(v)) return true;
  return t.shape.every((d) => typeof d === 'number' && d > 0);
}

/** The checker's verdict on one node of `graph` (main or nested). */
export function checkerDecision(n: Node, format: CoremlFormat, gaps: OnnxShapeGaps): Decision {
  const table = publishedTable(format);
  const defaultDomain = n.domain === '' || n.domain === 'ai.onnx';
  if (!defaultDomain || !table.has(n.op)) {
    const why = defaultDomain && COREML_EP_OPS[n.op]?.[format] ? ' (a builder exists: the table is stale, E11)' : '';
    return decision('unclaimed', `${n.op} is not in the published ${format === 'mlprogram' ? 'ML Program' : 'NeuralNetwork'} table${why}`, 'E11', 'op-table');
  }
  for (const v of n.inputs) {
    if (!checkerFixed(v, gaps)) {
      return v === null
        ? decision('unclaimed', 'an omitted optional input counts as a dynamic shape in the checker', 'E13', 'omitted-input')
        : decision('unclaimed', `input ${v.name} has no fixed shape in shape inference`, 'E13', 'dynamic-shape');
    }
  }
  for (const v of n.inputs) {
    const t = v?.type;
    if (v && !gaps.shapeless.has(v) && t?.kind === 'tensor' && t.shape && t.shape.length > 5) return decision('unclaimed', `input ${v!.name} has rank ${t.shape.length}, above 5`, 'E2', 'rank');
  }
  const perm = n.attrs.get('perm');
  if (n.op === 'Transpose' && perm?.type === 'ints' && perm.value.length > 5) return decision('unclaimed', 'Transpose of rank above 5', 'E2', 'rank');
  return decision('claimed', `${n.op} is in the published table and its inputs have fixed shapes`, 'E13', 'claimed');
}

/** Every graph the checker walks: the main graph and all nested graphs. */
export function checkerGraphs(root: Graph): Graph[] {
  const out: Graph[] = [];
  const visit = (g: Graph): void => {
    out.push(g);
    for (const n of g.nodes) for (const [, sub] of n.subgraphs()) visit(sub);
  };
  visit(root);
  return out;
}
