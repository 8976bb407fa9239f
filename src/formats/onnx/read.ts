import type {
  Attribute as AttributeProto,
  Function as FunctionProto,
  Graph as GraphProto,
  Model as ModelProto,
  Node as NodeProto,
  Type as TypeProto,
  ValueInfo,
} from '../../../proto/onnx.schema.js';
import { basename } from 'node:path';
import { ModelError } from '../../errors.js';
import type { Attribute } from '../../ir/attribute.js';
import { Graph, Value, type Node } from '../../ir/graph.js';
import { topologicalOrder } from '../../ir/topo.js';
import { Model } from '../../ir/model.js';
import { beginTask, type ProgressTask } from '../../ir/progress.js';
import type { Dim } from '../../ir/shape.js';
import type { ValueType } from '../../ir/types.js';
import type { Decoded } from '../wire/decoded.js';
import { WireDecoder } from '../wire/decode.js';
import { ByteSource } from '../wire/source.js';
import { dtypeFromOnnx } from './dtypes.js';
import { onnxKind } from './kinds.js';
import { MODEL } from './schema.js';
import { numbersOf, tensorFromProto, type TensorContext } from './tensor.js';

/** What the ONNX writer needs to copy untouched parts of the original file. */
export interface OnnxOrigin {
  readonly source: ByteSource;
  readonly proto: Decoded<ModelProto>;
}

const ATTRIBUTE_TYPES = [
  'undefined', 'float', 'int', 'string', 'tensor', 'graph', 'floats', 'ints', 'strings', 'tensors',
  'graphs', 'sparse_tensor', 'sparse_tensors', 'type', 'types',
] as const;

/** Reads an ONNX file's structure into the IR. Weights stay on disk. */
export function readOnnx(path: string): Model {
  const source = ByteSource.fromFile(path);
  try {
    return readOnnxSource(source, path);
  } catch (e) {
    source.close();
    throw e;
  }
}

/** Reads ONNX bytes already opened as a source (the source stays open for the writer). */
export function readOnnxSource(source: ByteSource, path: string): Model {
  if (source.size === 0) throw new ModelError('empty file', path);
  const decoder = new WireDecoder(source);
  const task = beginTask(`reading ${basename(path)}`, source.size, 'bytes');
  decoder.onWindow = (at) => task.update(at);
  let proto: Decoded<ModelProto>;
  try {
    proto = decoder.decode<ModelProto>(MODEL, 0, source.size);
  } finally {
    task.end();
  }
  if (proto.graph === undefined) {
    throw new ModelError('not an ONNX model: no graph (is this an ONNX file?)', path);
  }
  const model = new Model('onnx', path, proto.graph.name ?? 'main');
  model.origin = { source, proto } satisfies OnnxOrigin;
  for (const o of proto.opset_import ?? []) model.opsets.set(o.domain ?? '', o.version ?? 0);
  if (proto.ir_version === undefined || proto.ir_version < 1) {
    throw new ModelError('not an ONNX model: no IR version (is this an ONNX file?)', path);
  }
  model.info.set('irVersion', proto.ir_version);
  if (proto.producer_name) model.info.set('producer', `${proto.producer_name} ${proto.producer_version ?? ''}`.trim());
  for (const p of proto.metadata_props ?? []) model.metadata.set(p.key ?? '', p.value ?? '');

  const ctx: TensorContext = { source, file: path };
  const building = beginTask(`building the graph of ${basename(path)}`, proto.graph.node?.length ?? 0, 'items');
  const reader = new GraphReader(model, ctx, building);
  try {
    reader.fill(model.graph, proto.graph);
  } finally {
    building.end();
  }
  for (const fn of proto.functions ?? []) {
    const g = model.newGraph(fn.name ?? '', `${fn.domain ?? ''}:${fn.name ?? ''}`);
    reader.fillFunction(g, fn);
    model.functions.push(g);
  }
  return model;
}

class GraphReader {
  constructor(private readonly model: Model, private readonly ctx: TensorContext, private readonly task?: ProgressTask) {}

  fill(graph: Graph, proto: Decoded<GraphProto>): void {
    graph.origin = proto;
    const fail = (what: string): never => {
      throw new ModelError(`graph '${graph.path}': ${what}`, this.ctx.file);
    };
    const define = (name: string, type: ValueType | null): Value => graph.tryNewValue(name, type) ?? fail(`value '${name}' is defined twice`);

    for (const t of proto.initializer ?? []) {
      const name = t.name ?? '';
      const tensor = tensorFromProto(t, this.ctx);
      const v = define(name, { kind: 'tensor', dtype: tensor.dtype, shape: tensor.dims });
      v.constant = tensor;
      v.origin = t;
      graph.initializers.push(v);
    }
    for (const s of proto.sparse_initializer ?? []) {
      const name = s.values?.name ?? '';
      const dims = numbersOf(s.dims, this.ctx);
      const v = define(name, { kind: 'sparse', dtype: dtypeFromOnnx(s.values?.data_type), shape: dims });
      v.origin = s;
      graph.initializers.push(v);
    }
    for (const vi of proto.input ?? []) {
      const name = vi.name ?? '';
      const type = typeOf(vi.type);
      // Old IR versions list initializers as inputs too (overridable defaults).
      const v = graph.values.get(name) ?? define(name, type);
      if (graph.inputs.includes(v)) fail(`input '${name}' is listed twice`);
      if (type) v.type = type;
      graph.inputs.push(v);
    }

    // Outputs first, so nodes may appear in any order in the file. Arrays are made at their
    // exact size and handed to the nodes as they are: a big graph has millions of them.
    const nodes = proto.node ?? [];
    const outputs: Value[][] = new Array(nodes.length);
    for (let k = 0; k < nodes.length; k++) {
      const names = nodes[k]!.output ?? NONE;
      const made: Value[] = new Array(names.length);
      for (let j = 0; j < names.length; j++) {
        const out = names[j]!;
        if (out === '') {
          made[j] = new Value('', null, graph);
          continue;
        }
        // One map operation per value, not two: when the name is taken, the map does not
        // grow, and the model is refused (so the overwritten entry does not matter).
        const v = new Value(out, null, graph);
        const before = graph.values.size;
        graph.values.set(out, v);
        if (graph.values.size === before) fail(`value '${out}' is produced twice`);
        made[j] = v;
      }
      outputs[k] = made;
    }
    const lookup = (name: string, reader: string): Value | null => {
      if (name === '') return null;
      return graph.lookup(name) ?? fail(`node '${reader}' reads '${name}', which no node, input or initializer defines`);
    };
    const task = graph === this.model.graph ? this.task : undefined;
    for (let k = 0; k < nodes.length; k++) {
      const n = nodes[k]!;
      if ((k & 0x3fff) === 0) task?.update(k);
      const op = n.op_type ?? '';
      const domain = n.domain ?? '';
      const names = n.input ?? NONE;
      const inputs: (Value | null)[] = new Array(names.length);
      const label = n.name || `${op}_${k}`;
      for (let j = 0; j < names.length; j++) inputs[j] = lookup(names[j]!, label);
      const node = graph.appendNode({ op, domain, kind: onnxKind(op, domain), name: n.name ?? '', origin: n, inputs, outputs: outputs[k]! });
      // Attributes (subgraphs need the node as their parent for paths and scoping).
      let nested = false;
      for (const a of n.attribute ?? NONE) {
        const name = a.name ?? '';
        if (node.attrs.has(name)) fail(`node '${node.label}' has attribute '${name}' twice`);
        const attr = this.attribute(a, graph, node.label);
        if (attr.type === 'graph' || attr.type === 'graphs') nested = true;
        node.initAttr(name, attr);
      }
      if (nested) {
        for (const [, sub] of node.subgraphs()) sub.parentNode = node;
        for (const [, sub] of node.subgraphs()) this.fill(sub, (sub.origin as Decoded<GraphProto>));
      }
    }
    graph.origin = proto;
    sortNodes(graph, fail);

    for (const vi of proto.output ?? []) {
      const v = lookup(vi.name ?? '', 'graph output');
      if (!v) fail('a graph output has no name');
      const type = typeOf(vi.type);
      if (type && !v!.type) v!.type = type;
      graph.outputs.push(v!);
    }
    for (const vi of proto.value_info ?? []) {
      const v = graph.values.get(vi.name ?? '');
      if (!v) continue; // value_info for a name nothing defines: kept by the writer, ignored here
      const type = typeOf(vi.type);
      if (type && !v.type) v.type = type;
      v.origin ??= vi;
    }
    graph.compactUses();
  }

  fillFunction(graph: Graph, fn: Decoded<FunctionProto>): void {
    graph.origin = fn;
    for (const name of fn.input ?? []) {
      const v = graph.tryNewValue(name);
      if (!v) throw new ModelError(`function '${fn.name ?? ''}' lists input '${name}' twice`, this.ctx.file);
      graph.inputs.push(v);
    }
    const body: Decoded<GraphProto> = {
      $type: 'Graph',
      $span: fn.$span,
      node: fn.node ?? [],
      value_info: fn.value_info ?? [],
    } as Decoded<GraphProto>;
    this.fill(graph, body);
    for (const name of fn.output ?? []) {
      const v = graph.lookup(name);
      if (!v) throw new ModelError(`function '${fn.name ?? ''}' output '${name}' is not produced`, this.ctx.file);
      graph.outputs.push(v);
    }
    graph.origin = fn;
  }

  private attribute(a: Decoded<AttributeProto>, graph: Graph, nodeLabel: string): Attribute {
    const name = a.name ?? '';
    if (a.ref_attr_name) {
      return { type: 'ref', ref: a.ref_attr_name, refType: ATTRIBUTE_TYPES[a.type ?? 0] ?? 'undefined', origin: a };
    }
    const type = a.type ? ATTRIBUTE_TYPES[a.type] : inferAttributeType(a);
    const subgraph = (g: Decoded<GraphProto>, slot: string): Graph => {
      const sub = new Graph(g.name ?? slot, this.model.ids, 'main', graph, slot);
      sub.origin = g; // filled once the node exists (see fill)
      return sub;
    };
    switch (type) {
      case 'float': return { type: 'float', value: a.f ?? 0, origin: a };
      case 'int': return { type: 'int', value: a.i ?? 0, origin: a };
      case 'string': return { type: 'string', value: utf8(a.s?.data), origin: a };
      case 'tensor':
        if (!a.t) break;
        return { type: 'tensor', value: tensorFromProto(a.t, this.ctx), origin: a };
      case 'graph':
        if (!a.g) break;
        return { type: 'graph', value: subgraph(a.g, name), origin: a };
      case 'floats': return { type: 'floats', value: numbersOf(a.floats, this.ctx, 'float'), origin: a };
      case 'ints': return { type: 'ints', value: numbersOf(a.ints, this.ctx), origin: a };
      case 'strings': return { type: 'strings', value: (a.strings ?? []).map((s) => utf8(s.data)), origin: a };
      case 'tensors':
        return { type: 'tensors', value: (a.tensors ?? []).map((t) => tensorFromProto(t, this.ctx)), origin: a };
      case 'graphs':
        return { type: 'graphs', value: (a.graphs ?? []).map((g, i) => subgraph(g, `${name}[${i}]`)), origin: a };
      case 'type': return { type: 'type', value: typeOf(a.tp), origin: a };
      case 'types': return { type: 'types', value: (a.type_protos ?? []).map((t) => typeOf(t)), origin: a };
      case 'sparse_tensor': case 'sparse_tensors':
        return { type: 'opaque', what: type, origin: a };
      default: break;
    }
    const declared = type ?? a.type;
    throw new ModelError(`node '${nodeLabel}': attribute '${name}' ${declared === undefined ? 'has no type and no value' : `has type ${declared} but no value`}`, this.ctx.file);
  }
}

const NONE: readonly never[] = [];

/**
 * The IR keeps nodes in topological order. ONNX asks the same of files, but some list nodes
 * out of order (ONNX Runtime sorts them itself): those are sorted here. A cycle cannot be
 * sorted and is refused. Node ids grow in reading order, so finding a node that reads a
 * later one takes one pass and no allocation; only an unsorted graph pays for sorting.
 */
function sortNodes(graph: Graph, fail: (what: string) => never): void {
  const later = (n: Node, v: Value | null): boolean => {
    const p = v?.producer;
    return p !== null && p !== undefined && p.graph === graph && p.id >= n.id;
  };
  let sorted = true;
  for (const n of graph.nodes) {
    for (const v of n.inputs) if (later(n, v)) sorted = false;
    if (sorted && n.hasAttrs && n.subgraphs().length > 0) for (const v of n.implicitInputs()) if (later(n, v)) sorted = false;
    if (!sorted) break;
  }
  if (sorted) return;
  const order = topologicalOrder(graph);
  if (!order) fail(`its nodes form a cycle (${cycleOf(graph)}); a graph must be acyclic`);
  graph.nodes.length = 0;
  for (const n of order!) graph.nodes.push(n);
}

/** Names the nodes of one cycle: `A → B → A`. */
function cycleOf(graph: Graph): string {
  const deps = (n: Node): Node[] => {
    const reads = n.hasAttrs && n.subgraphs().length > 0 ? [...n.inputs, ...n.implicitInputs()] : n.inputs;
    const out: Node[] = [];
    for (const v of reads) if (v?.producer && v.producer.graph === graph) out.push(v.producer);
    return out;
  };
  // Iterative depth-first search: 0 unseen, 1 on the path, 2 done.
  const state = new Map<Node, number>();
  for (const start of graph.nodes) {
    if (state.has(start)) continue;
    const path: Node[] = [start];
    const next: Node[][] = [deps(start)];
    state.set(start, 1);
    while (path.length > 0) {
      const todo = next[next.length - 1]!;
      const d = todo.pop();
      if (d === undefined) {
        state.set(path.pop()!, 2);
        next.pop();
        continue;
      }
      const s = state.get(d);
      if (s === 1) {
        const cycle = path.slice(path.indexOf(d));
        if (cycle.length === 1) return `node '${d.label}' reads its own output`;
        const names = cycle.slice(0, 6).map((n) => `'${n.label}'`);
        return `${names.join(' reads ')}${cycle.length > 6 ? ' ...' : ''} reads '${cycle[0]!.label}'`;
      }
      if (s === undefined) {
        state.set(d, 1);
        path.push(d);
        next.push(deps(d));
      }
    }
  }
  return 'a node reads its own output';
}

/** IR version 1 files may omit AttributeProto.type: infer it from the field that is set. */
function inferAttributeType(a: Decoded<AttributeProto>): (typeof ATTRIBUTE_TYPES)[number] | undefined {
  if (a.g) return 'graph';
  if (a.t) return 'tensor';
  if (a.s) return 's' in a ? 'string' : undefined;
  if (a.floats) return 'floats';
  if (a.ints) return 'ints';
  if (a.strings) return 'strings';
  if (a.graphs) return 'graphs';
  if (a.tensors) return 'tensors';
  if (a.f !== undefined) return 'float';
  if (a.i !== undefined) return 'int';
  return undefined;
}

function utf8(bytes: Uint8Array | undefined): string {
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') : '';
}

/** The IR type of an ONNX TypeProto; null when absent or empty. */
export function typeOf(t: Decoded<TypeProto> | undefined): ValueType | null {
  if (!t) return null;
  if (t.tensor_type) {
    const shape = t.tensor_type.shape ? (t.tensor_type.shape.dim ?? []).map(dimOf) : null;
    return { kind: 'tensor', dtype: dtypeFromOnnx(t.tensor_type.elem_type), shape };
  }
  if (t.sparse_tensor_type) {
    const shape = t.sparse_tensor_type.shape ? (t.sparse_tensor_type.shape.dim ?? []).map(dimOf) : null;
    return { kind: 'sparse', dtype: dtypeFromOnnx(t.sparse_tensor_type.elem_type), shape };
  }
  if (t.sequence_type) return { kind: 'sequence', elem: typeOf(t.sequence_type.elem_type) };
  if (t.map_type) return { kind: 'map', key: dtypeFromOnnx(t.map_type.key_type), value: typeOf(t.map_type.value_type) };
  if (t.optional_type) return { kind: 'optional', elem: typeOf(t.optional_type.elem_type) };
  if (t.opaque_type) return { kind: 'opaque', name: `${t.opaque_type.domain ?? ''}.${t.opaque_type.name ?? ''}` };
  return null;
}

function dimOf(d: { dim_value?: number; dim_param?: string }): Dim {
  if (d.dim_value !== undefined) return d.dim_value;
  if (d.dim_param) return d.dim_param;
  return null;
}

export type { NodeProto, ValueInfo };
