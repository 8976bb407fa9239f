import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs';
import type {
  Tensor as TensorProto,
  ValueInfo as ValueInfoProto,
} from '../../../proto/onnx.schema.js';
import { descriptor } from '../../../proto/onnx.schema.js';
import type { Attribute } from '../../ir/attribute.js';
import type { Graph, Node, Value } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import type { Tensor } from '../../ir/tensor.js';
import type { ValueType } from '../../ir/types.js';
import type { Decoded, Span } from '../wire/decoded.js';
import { clampInt64, Emitter } from '../wire/encode.js';
import type { MessageSchema } from '../wire/schema.js';
import { WireDecoder } from '../wire/decode.js';
import { ByteSource } from '../wire/source.js';
import { onnxCodeOf } from './dtypes.js';
import type { GraphMessage, NodeMessage } from './messages.js';
import type { OnnxOrigin } from './read.js';
import { ATTRIBUTE, GRAPH, MODEL, NODE, TENSOR, VALUE_INFO } from './schema.js';

/**
 * protobufjs codecs for the few messages encoded whole (types, simple attributes). Loaded
 * on first use: linting never writes, and should not pay for loading protobufjs.
 */
let codecs: { readonly type: Protobuf.Type; readonly attribute: Protobuf.Type } | undefined;
function codec(): NonNullable<typeof codecs> {
  if (!codecs) {
    const protobuf = createRequire(import.meta.url)('protobufjs') as typeof Protobuf;
    const root = protobuf.Root.fromJSON(descriptor as Protobuf.INamespace);
    codecs = { type: root.lookupType('graphlint.onnx.Type'), attribute: root.lookupType('graphlint.onnx.Attribute') };
  }
  return codecs;
}

const ATTRIBUTE_TYPE_CODES: Record<string, number> = {
  float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7, strings: 8, tensors: 9,
  graphs: 10, sparse_tensor: 11, sparse_tensors: 12, type: 13, types: 14,
};

function field(schema: MessageSchema, name: string): number {
  const f = schema.byName.get(name);
  if (!f) throw new Error(`invariant: ${schema.name} has no field ${name}`);
  return f.number;
}

const F = {
  model: { graph: field(MODEL, 'graph'), opset: field(MODEL, 'opset_import'), irVersion: field(MODEL, 'ir_version'),
    producer: field(MODEL, 'producer_name') },
  graph: { node: field(GRAPH, 'node'), name: field(GRAPH, 'name'), initializer: field(GRAPH, 'initializer'),
    sparse: field(GRAPH, 'sparse_initializer'), input: field(GRAPH, 'input'), output: field(GRAPH, 'output'),
    valueInfo: field(GRAPH, 'value_info') },
  node: { input: field(NODE, 'input'), output: field(NODE, 'output'), name: field(NODE, 'name'),
    opType: field(NODE, 'op_type'), attribute: field(NODE, 'attribute'), domain: field(NODE, 'domain') },
  attr: { name: field(ATTRIBUTE, 'name'), type: field(ATTRIBUTE, 'type'), g: field(ATTRIBUTE, 'g'), graphs: field(ATTRIBUTE, 'graphs') },
  tensor: { dims: field(TENSOR, 'dims'), dataType: field(TENSOR, 'data_type'), name: field(TENSOR, 'name'),
    raw: field(TENSOR, 'raw_data'), external: field(TENSOR, 'external_data'), location: field(TENSOR, 'data_location') },
  valueInfo: { name: field(VALUE_INFO, 'name'), type: field(VALUE_INFO, 'type') },
  opset: { domain: 1, version: 2 },
};

/**
 * Encodes a model as ONNX pieces. Whatever did not change is copied from the input's
 * bytes (nodes, initializers, fields graphlint does not model); only changed parts are
 * encoded. A model read and not edited comes out byte-identical.
 */
export function encodeOnnx(model: Model, external?: ExternalData): Emitter {
  const origin = model.origin as OnnxOrigin | undefined;
  const out = new Emitter();
  if (!origin) {
    out.int64(F.model.irVersion, Number(model.info.get('irVersion') ?? 8));
    out.string(F.model.producer, 'graphlint');
    out.message(F.model.graph, new GraphWriter(undefined, external, out, model.path).graph(model.graph));
    out.raw(encodeOpsets(model));
    return out;
  }
  const { proto, source } = origin;
  const w = new GraphWriter(source, external, out, model.path);
  const opsetsChanged = !sameOpsets(model, proto.opset_import ?? []);
  let opsetsDone = false;
  for (const e of proto.$entries ?? []) {
    if (e.field === F.model.graph && proto.graph) {
      if (model.graph.changed) out.message(F.model.graph, w.graph(model.graph, proto.graph as unknown as GraphMessage));
      else out.copy(source, e.start, e.end);
    } else if (e.field === F.model.opset && opsetsChanged) {
      if (!opsetsDone) out.raw(encodeOpsets(model));
      opsetsDone = true;
    } else {
      out.copy(source, e.start, e.end);
    }
  }
  if (opsetsChanged && !opsetsDone) out.raw(encodeOpsets(model));
  for (const fn of model.functions) {
    if (fn.changed) throw new Error('writing edited ONNX functions is not supported yet');
  }
  return out;
}

function sameOpsets(model: Model, original: ReadonlyArray<{ domain?: string; version?: number }>): boolean {
  if (original.length !== model.opsets.size) return false;
  return original.every((o) => model.opsets.get(o.domain ?? '') === (o.version ?? 0));
}

function encodeOpsets(model: Model): Uint8Array {
  const e = new Emitter();
  for (const [domain, version] of model.opsets) {
    const body = new Emitter();
    if (domain !== '') body.string(F.opset.domain, domain);
    body.int64(F.opset.version, version);
    e.message(F.model.opset, body);
  }
  return concat(e);
}

function concat(e: Emitter): Uint8Array {
  const out = new Uint8Array(e.length);
  let at = 0;
  for (const p of e.pieces) {
    if (!(p instanceof Uint8Array)) throw new Error('invariant: concat of copied pieces');
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Where new tensors of at least `minBytes` go instead of inside the model: one data file,
 * named relative to the model, filled here and written by the caller.
 */
export interface ExternalData {
  readonly location: string;
  readonly minBytes: number;
  readonly file: Emitter;
}

/** Offsets in external data files are aligned so readers may map them. */
const EXTERNAL_ALIGN = 64;

class GraphWriter {
  /** Files new tensors are copied from, opened once each; owned by the top-level emitter. */
  private readonly sources = new Map<string, ByteSource>();
  /** Decodes what the reader left in the file (original nodes), made when first needed. */
  private decoder: WireDecoder | undefined;

  constructor(
    private readonly source: ByteSource | undefined,
    private readonly external: ExternalData | undefined,
    private readonly top: Emitter,
    /** The file the model was read from: its tensors are copied from `source`. */
    private readonly modelFile: string,
  ) {}

  /** A source to copy a tensor's file range from (the model's own when it is that file). */
  private sourceFor(file: string): ByteSource {
    if (this.source && (file === this.modelFile || file === this.source.name)) return this.source;
    let s = this.sources.get(file);
    if (!s) {
      s = ByteSource.fromFile(file);
      this.sources.set(file, s);
      this.top.own(s);
    }
    return s;
  }

  private copySpan(out: Emitter, field: number, span: Span): void {
    // A decoded message's span is its body; the tag and length are re-created.
    const body = new Emitter().copy(this.source!, span.start, span.end);
    out.message(field, body);
  }

  graph(graph: Graph, proto?: GraphMessage): Emitter {
    const out = new Emitter();
    const entries = proto?.$entries;
    if (!proto || !entries) {
      if (graph.name) out.string(F.graph.name, graph.name);
      this.nodes(out, graph);
      this.initializers(out, graph);
      this.interface(out, F.graph.input, graph.inputs, []);
      this.interface(out, F.graph.output, graph.outputs, []);
      return out;
    }
    const done = new Set<number>();
    const once = (f: number, emit: () => void): void => {
      if (!done.has(f)) emit();
      done.add(f);
    };
    for (const e of entries) {
      switch (e.field) {
        case F.graph.node: once(e.field, () => this.nodes(out, graph)); break;
        case F.graph.initializer: once(e.field, () => this.initializers(out, graph)); break;
        case F.graph.sparse: once(e.field, () => this.sparse(out, graph)); break;
        case F.graph.input: once(e.field, () => this.interface(out, e.field, graph.inputs, proto.input ?? [])); break;
        case F.graph.output: once(e.field, () => this.interface(out, e.field, graph.outputs, proto.output ?? [])); break;
        case F.graph.valueInfo: once(e.field, () => this.valueInfo(out, graph, proto.value_info ?? [])); break;
        default: out.copy(this.source!, e.start, e.end);
      }
    }
    // Lists the original did not have at all.
    if (!done.has(F.graph.node)) this.nodes(out, graph);
    if (!done.has(F.graph.initializer)) this.initializers(out, graph);
    if (!done.has(F.graph.input)) this.interface(out, F.graph.input, graph.inputs, []);
    if (!done.has(F.graph.output)) this.interface(out, F.graph.output, graph.outputs, []);
    return out;
  }

  private nodes(out: Emitter, graph: Graph): void {
    // Unchanged nodes are copied with their original tag and length, so that a run of them
    // is one copy: a --fix of a big graph writes a handful of ranges, not a piece per node.
    for (const n of graph.nodes) {
      const original = !n.changed ? this.originalField(n.origin) : undefined;
      if (original) out.copy(this.source!, original.fieldStart, original.end);
      else this.node(out, n);
    }
  }

  /** The field an ONNX reader's origin (a node's or attribute's field offset) stands for. */
  private originalField(origin: unknown): { fieldStart: number; start: number; end: number } | undefined {
    if (typeof origin !== 'number' || !this.source) return undefined;
    const { start, end } = (this.decoder ??= new WireDecoder(this.source)).fieldAt(origin);
    return { fieldStart: origin, start, end };
  }

  private node(out: Emitter, n: Node): void {
    const original = this.originalField(n.origin);
    // The original message, for what the IR does not model; decoded again, as the reader kept none.
    const origin = original ? this.decoder!.decode<NodeMessage>(NODE, original.start, original.end) : undefined;
    const body = new Emitter();
    for (const v of n.inputs) body.string(F.node.input, v ? v.name : '');
    for (const v of n.outputs) body.string(F.node.output, v.name);
    // An empty name or domain the original spelled out stays spelled out.
    if (n.name || origin?.name !== undefined) body.string(F.node.name, n.name);
    body.string(F.node.opType, n.op);
    for (const [name, a] of n.attrs) this.attribute(body, name, a);
    if (n.domain || origin?.domain !== undefined) body.string(F.node.domain, n.domain);
    // Fields the IR does not model (doc_string, overload, metadata, unknown ones) carry over.
    if (origin && this.source) {
      for (const name of ['doc_string', 'overload', 'metadata_props'] as const) {
        const value = (origin as unknown as Record<string, unknown>)[name];
        if (value === undefined) continue;
        const list = (Array.isArray(value) ? value : [value]) as unknown[];
        const num = field(NODE, name);
        for (const item of list) {
          if (typeof item === 'string') body.string(num, item);
          else this.copySpan(body, num, (item as Decoded<unknown>).$span);
        }
      }
      for (const u of origin.$unknown ?? []) body.copy(this.source, u.start, u.end);
    }
    out.message(F.graph.node, body);
  }

  private attribute(out: Emitter, name: string, a: Attribute): void {
    const graphs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
    const original = this.originalField(a.origin);
    if (original && !graphs.some((g) => g.changed)) {
      out.copy(this.source!, original.fieldStart, original.end);
      return;
    }
    if (graphs.length > 0) {
      const body = new Emitter();
      body.string(F.attr.name, name);
      body.int32(F.attr.type, ATTRIBUTE_TYPE_CODES[a.type]!);
      for (const g of graphs) {
        const proto = g.origin as GraphMessage | undefined;
        const encoded = g.changed || !proto || !this.source ? this.graph(g, proto) : new Emitter().copy(this.source, proto.$span.start, proto.$span.end);
        body.message(a.type === 'graph' ? F.attr.g : F.attr.graphs, encoded);
      }
      out.message(F.node.attribute, body);
      return;
    }
    out.message(F.node.attribute, new Emitter().raw(encodeSimpleAttribute(name, a)));
  }

  private initializers(out: Emitter, graph: Graph): void {
    for (const v of graph.initializers) {
      if (v.type?.kind === 'sparse') continue;
      this.tensor(out, F.graph.initializer, v.name, v.constant!);
    }
  }

  private sparse(out: Emitter, graph: Graph): void {
    for (const v of graph.initializers) {
      if (v.type?.kind !== 'sparse') continue;
      this.copySpan(out, F.graph.sparse, (v.origin as Decoded<unknown>).$span);
    }
  }

  /** A TensorProto: copied when it is the original under its original name. */
  private tensor(out: Emitter, fieldNumber: number, name: string, t: Tensor): void {
    // An initializer's origin is its field's offset; a tensor of an attribute keeps its message.
    const original = this.originalField(t.origin);
    const origin = original
      ? this.decoder!.decode<TensorProto>(TENSOR, original.start, original.end)
      : t.origin as Decoded<TensorProto> | undefined;
    if (origin && this.source && (origin.name ?? '') === name) {
      this.copySpan(out, fieldNumber, origin.$span);
      return;
    }
    const body = new Emitter();
    body.packedInt64(F.tensor.dims, t.dims);
    body.int32(F.tensor.dataType, onnxCodeOf(t.dtype));
    body.string(F.tensor.name, name);
    // Bytes that live in a file (the input, a weight file, a generated blob) are copied by
    // range, streaming; only tensors held in memory are asked for their bytes.
    const range = t.fileRange;
    const put = (e: Emitter): number => {
      if (range) {
        e.copy(this.sourceFor(range.file), range.offset, range.offset + range.length);
        return range.length;
      }
      const bytes = t.bytes();
      e.raw(bytes);
      return bytes.length;
    };
    if (this.external && (t.byteLength ?? 0) >= this.external.minBytes) {
      const file = this.external.file;
      const pad = (EXTERNAL_ALIGN - (file.length % EXTERNAL_ALIGN)) % EXTERNAL_ALIGN;
      if (pad) file.raw(new Uint8Array(pad));
      const offset = file.length;
      const length = put(file);
      for (const [key, value] of [['location', this.external.location], ['offset', String(offset)], ['length', String(length)]]) {
        body.message(F.tensor.external, new Emitter().string(1, key!).string(2, value!));
      }
      body.int32(F.tensor.location, 1);
    } else {
      const data = new Emitter();
      put(data);
      body.message(F.tensor.raw, data);
    }
    out.message(fieldNumber, body);
  }

  private interface(out: Emitter, fieldNumber: number, values: readonly Value[], original: ReadonlyArray<Decoded<ValueInfoProto>>): void {
    const byName = new Map(original.map((vi) => [vi.name ?? '', vi]));
    for (const v of values) {
      const vi = byName.get(v.name);
      if (vi && this.source) this.copySpan(out, fieldNumber, vi.$span);
      else out.message(fieldNumber, encodeValueInfo(v.name, v.type));
    }
  }

  private valueInfo(out: Emitter, graph: Graph, original: ReadonlyArray<Decoded<ValueInfoProto>>): void {
    for (const vi of original) {
      const v = graph.values.get(vi.name ?? '');
      // Keep declarations of values that still exist (and of names nothing defines: not ours to drop).
      if (v === undefined && graph.changed && this.wasDefined(graph, vi.name ?? '')) continue;
      this.copySpan(out, F.graph.valueInfo, vi.$span);
    }
  }

  /** True when `name` was produced in the original graph (so its absence now means it was removed). */
  private wasDefined(graph: Graph, name: string): boolean {
    const proto = graph.origin as GraphMessage | undefined;
    if (!proto?.node || !this.source) return false;
    let names = definedNames.get(proto);
    if (!names) {
      names = new Set();
      const spans = proto.node;
      const decoder = (this.decoder ??= new WireDecoder(this.source));
      for (let k = 0; k < spans.length; k++) {
        for (const out of decoder.decode<NodeMessage>(NODE, spans.start(k), spans.end(k)).output ?? []) names.add(out);
      }
      definedNames.set(proto, names);
    }
    return names.has(name);
  }
}

/** Names each original graph produced, decoded once per graph message. */
const definedNames = new WeakMap<object, Set<string>>();

function encodeValueInfo(name: string, type: ValueType | null): Emitter {
  const body = new Emitter();
  body.string(F.valueInfo.name, name);
  if (type) body.bytes(F.valueInfo.type, codec().type.encode(typeObject(type)).finish());
  return body;
}

function typeObject(t: ValueType): Record<string, unknown> {
  const shape = (s: readonly (number | string | null)[] | null): unknown =>
    s === null ? undefined : { dim: s.map((d) => (typeof d === 'number' ? { dim_value: d } : typeof d === 'string' ? { dim_param: d } : {})) };
  switch (t.kind) {
    case 'tensor': return { tensor_type: { elem_type: onnxCodeOf(t.dtype), shape: shape(t.shape) } };
    case 'sparse': return { sparse_tensor_type: { elem_type: onnxCodeOf(t.dtype), shape: shape(t.shape) } };
    case 'sequence': return { sequence_type: { elem_type: t.elem ? typeObject(t.elem) : undefined } };
    case 'optional': return { optional_type: { elem_type: t.elem ? typeObject(t.elem) : undefined } };
    case 'map': return { map_type: { key_type: onnxCodeOf(t.key), value_type: t.value ? typeObject(t.value) : undefined } };
    case 'opaque': {
      const dot = t.name.lastIndexOf('.');
      return { opaque_type: { domain: t.name.slice(0, dot), name: t.name.slice(dot + 1) } };
    }
  }
}

/** An attribute without graphs, encoded whole with protobufjs. */
function encodeSimpleAttribute(name: string, a: Attribute): Uint8Array {
  const obj: Record<string, unknown> = { name, type: ATTRIBUTE_TYPE_CODES[a.type] };
  const tensorObject = (t: Tensor): Record<string, unknown> => ({ dims: t.dims, data_type: onnxCodeOf(t.dtype), raw_data: t.bytes() });
  switch (a.type) {
    case 'float': obj.f = a.value; break;
    case 'int': obj.i = clampInt64(a.value); break;
    case 'string': obj.s = Buffer.from(a.value, 'utf8'); break;
    case 'floats': obj.floats = a.value; break;
    case 'ints': obj.ints = a.value.map(clampInt64); break;
    case 'strings': obj.strings = a.value.map((s) => Buffer.from(s, 'utf8')); break;
    case 'tensor': obj.t = tensorObject(a.value); break;
    case 'tensors': obj.tensors = a.value.map(tensorObject); break;
    case 'type': obj.tp = a.value ? typeObject(a.value) : {}; break;
    case 'types': obj.type_protos = a.value.map((t) => (t ? typeObject(t) : {})); break;
    case 'ref': obj.ref_attr_name = a.ref; obj.type = ATTRIBUTE_TYPE_CODES[a.refType]; break;
    default: throw new Error(`invariant: attribute '${name}' of kind ${a.type} cannot be encoded without its original bytes`);
  }
  const { attribute } = codec();
  return attribute.encode(attribute.fromObject(obj)).finish();
}
