import type {
  Attribute as AttributeProto,
  Graph as GraphProto,
  Model as ModelProto,
  Node as NodeProto,
  Tensor as TensorProto,
  ValueInfo,
} from '../../../proto/onnx.schema.js';
import { basename } from 'node:path';
import { ModelError } from '../../errors.js';
import type { Attribute } from '../../ir/attribute.js';
import { Graph, Value } from '../../ir/graph.js';
import { Model } from '../../ir/model.js';
import { beginTask, type ProgressTask } from '../../ir/progress.js';
import type { Tensor } from '../../ir/tensor.js';
import type { ValueType } from '../../ir/types.js';
import type { Decoded } from '../wire/decoded.js';
import { MAX_DEPTH, WireDecoder } from '../wire/decode.js';
import { ByteSource } from '../wire/source.js';
import type { FieldSpans } from '../wire/spans.js';
import { AttributeScanner } from './attribute-scan.js';
import { dtypeFromOnnx } from './dtypes.js';
import { onnxKind } from './kinds.js';
import { sortNodes } from './node-order.js';
import { NodeScanner } from './node-scan.js';
import { NO_SPANS, type FunctionMessage, type GraphMessage, type NodeMessage } from './messages.js';
import { ATTRIBUTE, MODEL, NODE, TENSOR } from './schema.js';
import { numbersOf, rawDataTensorOf, tensorFromProto, type TensorContext } from './tensor.js';
import { TensorScanner } from './tensor-scan.js';
import { typeOf } from './value-types.js';

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
    decoder.onWindow = undefined;
  }
  if (proto.graph === undefined) {
    throw new ModelError('not an ONNX model: no graph (is this an ONNX file?)', path);
  }
  if (proto.ir_version === undefined || proto.ir_version < 1) {
    throw new ModelError('not an ONNX model: no IR version (is this an ONNX file?)', path);
  }
  try {
    return build(proto, decoder, path, false);
  } catch (e) {
    if (e !== OUT_OF_ORDER) throw e;
    // A node reads a value defined further on: build again, making every output first.
    return build(proto, decoder, path, true);
  }
}

function build(proto: Decoded<ModelProto>, decoder: WireDecoder, path: string, outputsFirst: boolean): Model {
  const graphProto = proto.graph as unknown as GraphMessage;
  const model = new Model('onnx', path, graphProto.name ?? 'main');
  model.origin = { source: decoder.src, proto } satisfies OnnxOrigin;
  for (const o of proto.opset_import ?? []) model.opsets.set(o.domain ?? '', o.version ?? 0);
  model.info.set('irVersion', proto.ir_version!);
  if (proto.producer_name) model.info.set('producer', `${proto.producer_name} ${proto.producer_version ?? ''}`.trim());
  for (const p of proto.metadata_props ?? []) model.metadata.set(p.key ?? '', p.value ?? '');

  const ctx: TensorContext = { source: decoder.src, file: path };
  const building = beginTask(`building the graph of ${basename(path)}`, graphProto.node?.length ?? 0, 'items');
  const reader = new GraphReader(model, ctx, decoder, outputsFirst, building);
  try {
    reader.fill(model.graph, graphProto, 1);
  } finally {
    building.end();
  }
  for (const fn of proto.functions ?? []) {
    const g = model.newGraph(fn.name ?? '', `${fn.domain ?? ''}:${fn.name ?? ''}`);
    reader.fillFunction(g, fn as unknown as FunctionMessage);
    model.functions.push(g);
  }
  return model;
}

/**
 * Thrown when a node reads a name not defined yet (or when a subgraph defines a name that an
 * enclosing graph does too), to build the model again with every graph's outputs made first.
 */
const OUT_OF_ORDER = new Error('a node reads a value defined further on');

class GraphReader {
  constructor(
    private readonly model: Model,
    private readonly ctx: TensorContext,
    private readonly decoder: WireDecoder,
    /** Make every node's outputs before reading any node's inputs (for files listing nodes out of order). */
    private readonly outputsFirst: boolean,
    private readonly task?: ProgressTask,
  ) {
    this.scanner = new NodeScanner(decoder);
    this.attributeScanner = new AttributeScanner(decoder);
    this.tensorScanner = new TensorScanner(decoder);
  }

  private readonly scanner: NodeScanner;
  private readonly attributeScanner: AttributeScanner;
  private readonly tensorScanner: TensorScanner;

  /** Builds `graph` from its message, which is `depth` messages deep in the file. */
  fill(graph: Graph, proto: GraphMessage, depth: number): void {
    graph.origin = proto;
    const fail = (what: string): never => {
      throw new ModelError(`graph '${graph.path}': ${what}`, this.ctx.file);
    };
    const define = (name: string, type: ValueType | null): Value => graph.tryNewValue(name, type) ?? fail(`value '${name}' is defined twice`);

    // Initializers are read one at a time too; the writer finds each by its field's offset.
    // Most are scanned (tensor-scan.ts), the others decoded; past the nesting limit all go to
    // the decoder, which refuses them.
    const initializers = proto.initializer ?? NO_SPANS;
    const ts = this.tensorScanner;
    const scan = depth + 1 <= MAX_DEPTH;
    for (let i = 0; i < initializers.length; i++) {
      const start = initializers.start(i);
      const end = initializers.end(i);
      const origin = initializers.fieldStart(i);
      let name: string;
      let tensor: Tensor;
      if (scan && ts.scan(start, end)) {
        name = ts.name;
        tensor = rawDataTensorOf(name, ts.dataType, ts.dims, ts.raw!, this.ctx, origin);
      } else {
        const t = this.decoder.decode<TensorProto>(TENSOR, start, end, depth + 1);
        name = t.name ?? '';
        tensor = tensorFromProto(t, this.ctx, origin);
      }
      const v = define(name, { kind: 'tensor', dtype: tensor.dtype, shape: tensor.dims });
      v.constant = tensor;
      v.origin = origin;
      graph.initializers.push(v);
    }
    for (const s of proto.sparse_initializer ?? []) {
      const name = s.values?.name ?? '';
      const dims = numbersOf(s.dims, this.ctx);
      const v = define(name, { kind: 'sparse', dtype: dtypeFromOnnx(s.values?.data_type), shape: dims });
      v.origin = s;
      graph.initializers.push(v);
    }
    // A set, not graph.inputs.includes: a file listing 10^5 inputs took seconds, 10^6 minutes.
    const listed = new Set<Value>();
    for (const vi of proto.input ?? []) {
      const name = vi.name ?? '';
      const type = typeOf(vi.type);
      // Old IR versions list initializers as inputs too (overridable defaults).
      const v = graph.values.get(name) ?? define(name, type);
      if (listed.has(v)) fail(`input '${name}' is listed twice`);
      listed.add(v);
      if (type) v.type = type;
      graph.inputs.push(v);
    }

    // Each node is decoded, turned into an IR node and dropped. Files list nodes in order
    // (ONNX asks it), so a node's inputs are defined by then; when one is not, the model is
    // built again with every output made first (see readOnnxSource).
    const spans = proto.node ?? NO_SPANS;
    const count = spans.length;
    graph.reserve(count, count); // most nodes have one output
    const early = this.outputsFirst ? this.allOutputs(graph, spans, depth, fail) : undefined;
    const task = graph === this.model.graph ? this.task : undefined;
    const s = this.scanner;
    for (let k = 0; k < count; k++) {
      if ((k & 0x3fff) === 0) task?.update(k);
      const start = spans.start(k);
      const end = spans.end(k);
      if (!s.scan(start, end, graph)) s.take(this.decoder.decode<NodeMessage>(NODE, start, end, depth + 1), graph);
      const op = s.op;
      const domain = s.domain;
      const name = s.name ?? '';
      const outputs = early ? early[k]! : makeOutputs(graph, s.outputs, s.outputCount, false, fail);
      if (s.missing !== undefined) {
        if (!this.outputsFirst) throw OUT_OF_ORDER;
        fail(`node '${name || `${op}_${k}`}' reads '${s.missing}', which no node, input or initializer defines`);
      }
      const inputs = s.inputs.slice(0, s.inputCount);
      const node = graph.appendNode(op, domain, onnxKind(op, domain), name, spans.fieldStart(k), inputs, outputs);
      // Attributes (subgraphs need the node as their parent for paths and scoping).
      if (s.attributeCount === 0) continue;
      const attributes = s.attributes;
      // Past the nesting limit the schema's decoder refuses the attribute: the scan must not take it.
      const scan = depth + 2 <= MAX_DEPTH;
      let nested = false;
      for (let i = 0; i < 3 * s.attributeCount; i += 3) {
        const scanned = scan ? this.attributeScanner.scan(attributes[i + 1]!, attributes[i + 2]!, attributes[i]!) : undefined;
        if (scanned !== undefined) {
          const attrName = this.attributeScanner.name;
          if (node.attrs.has(attrName)) fail(`node '${node.label}' has attribute '${attrName}' twice`);
          node.initAttr(attrName, scanned);
          continue;
        }
        const a = this.decoder.decode<AttributeProto>(ATTRIBUTE, attributes[i + 1]!, attributes[i + 2]!, depth + 2);
        const attrName = a.name ?? '';
        if (node.attrs.has(attrName)) fail(`node '${node.label}' has attribute '${attrName}' twice`);
        const attr = this.attribute(a, attributes[i]!, graph, node.label);
        if (attr.type === 'graph' || attr.type === 'graphs') nested = true;
        node.initAttr(attrName, attr);
      }
      // The scanner is free again from here: filling a subgraph uses it.
      if (nested) {
        for (const [, sub] of node.subgraphs()) sub.parentNode = node;
        for (const [, sub] of node.subgraphs()) this.fill(sub, sub.origin as GraphMessage, depth + 3);
      }
    }
    graph.origin = proto;
    sortNodes(graph, fail);

    for (const vi of proto.output ?? []) {
      const name = vi.name ?? '';
      const v = name === '' ? undefined : graph.lookup(name) ?? fail(`node 'graph output' reads '${name}', which no node, input or initializer defines`);
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
  }

  /** Every node's outputs, made before any node is built (a pass of its own over the nodes). */
  private allOutputs(graph: Graph, spans: FieldSpans, depth: number, fail: (what: string) => never): Value[][] {
    const outputs: Value[][] = new Array(spans.length);
    for (let k = 0; k < spans.length; k++) {
      const n = this.decoder.decode<NodeMessage>(NODE, spans.start(k), spans.end(k), depth + 1);
      const names = n.output ?? NONE;
      outputs[k] = makeOutputs(graph, names, names.length, true, fail);
    }
    return outputs;
  }

  fillFunction(graph: Graph, fn: FunctionMessage): void {
    graph.origin = fn;
    for (const name of fn.input ?? []) {
      const v = graph.tryNewValue(name);
      if (!v) throw new ModelError(`function '${fn.name ?? ''}' lists input '${name}' twice`, this.ctx.file);
      graph.inputs.push(v);
    }
    const body = {
      $type: 'Graph',
      $span: fn.$span,
      node: fn.node ?? NO_SPANS,
      value_info: fn.value_info ?? [],
    } as unknown as GraphMessage;
    this.fill(graph, body, 1);
    for (const name of fn.output ?? []) {
      const v = graph.lookup(name);
      if (!v) throw new ModelError(`function '${fn.name ?? ''}' output '${name}' is not produced`, this.ctx.file);
      graph.outputs.push(v);
    }
    graph.origin = fn;
  }

  /** The IR attribute for `a`, whose field starts at `origin` in the file. */
  private attribute(a: Decoded<AttributeProto>, origin: number, graph: Graph, nodeLabel: string): Attribute {
    const name = a.name ?? '';
    if (a.ref_attr_name) {
      return { type: 'ref', ref: a.ref_attr_name, refType: ATTRIBUTE_TYPES[a.type ?? 0] ?? 'undefined', origin };
    }
    const type = a.type ? ATTRIBUTE_TYPES[a.type] : inferAttributeType(a);
    const subgraph = (g: Decoded<GraphProto>, slot: string): Graph => {
      const sub = new Graph(g.name ?? slot, this.model.ids, 'main', graph, slot);
      sub.origin = g; // filled once the node exists (see fill)
      return sub;
    };
    switch (type) {
      case 'float': return { type: 'float', value: a.f ?? 0, origin };
      case 'int': return { type: 'int', value: a.i ?? 0, origin };
      case 'string': return { type: 'string', value: utf8(a.s?.data), origin };
      case 'tensor':
        if (!a.t) break;
        return { type: 'tensor', value: tensorFromProto(a.t, this.ctx), origin };
      case 'graph':
        if (!a.g) break;
        return { type: 'graph', value: subgraph(a.g, name), origin };
      case 'floats': return { type: 'floats', value: numbersOf(a.floats, this.ctx, 'float'), origin };
      case 'ints': return { type: 'ints', value: numbersOf(a.ints, this.ctx), origin };
      case 'strings': return { type: 'strings', value: (a.strings ?? []).map((s) => utf8(s.data)), origin };
      case 'tensors':
        return { type: 'tensors', value: (a.tensors ?? []).map((t) => tensorFromProto(t, this.ctx)), origin };
      case 'graphs':
        return { type: 'graphs', value: (a.graphs ?? []).map((g, i) => subgraph(g, `${name}[${i}]`)), origin };
      case 'type': return { type: 'type', value: typeOf(a.tp), origin };
      case 'types': return { type: 'types', value: (a.type_protos ?? []).map((t) => typeOf(t)), origin };
      case 'sparse_tensor': case 'sparse_tensors':
        return { type: 'opaque', what: type, origin };
      default: break;
    }
    const declared = type ?? a.type;
    throw new ModelError(`node '${nodeLabel}': attribute '${name}' ${declared === undefined ? 'has no type and no value' : `has type ${declared} but no value`}`, this.ctx.file);
  }
}

const NONE: readonly never[] = [];

/**
 * The output values named by names[0, count), registered in the graph's scope. The array is
 * made at its exact size and handed to the node as it is: a big graph has millions of them.
 */
function makeOutputs(graph: Graph, names: readonly string[], count: number, outputsFirst: boolean, fail: (what: string) => never): Value[] {
  const made: Value[] = new Array(count);
  for (let j = 0; j < count; j++) {
    const out = names[j]!;
    if (out === '') {
      made[j] = new Value('', null, graph);
      continue;
    }
    const v = new Value(out, null, graph);
    if (!graph.values.add(out, v)) fail(`value '${out}' is produced twice`);
    made[j] = v;
    // A subgraph's value named like one of an enclosing graph hides it from the whole subgraph,
    // nodes before this one included: those found the outer one (see OUT_OF_ORDER).
    if (!outputsFirst && graph.parentGraph?.lookup(out) !== undefined) throw OUT_OF_ORDER;
  }
  return made;
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

export { typeOf };
export type { NodeProto, ValueInfo };
