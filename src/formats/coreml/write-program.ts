import type {
  Block as BlockProto,
  NamedValueType,
  Operation as OperationProto,
  Program as ProgramProto,
  Value as ValueProto,
} from '../../../proto/coreml.schema.js';
import { WriteError } from '../../errors.js';
import type { Attribute } from '../../ir/attribute.js';
import type { Graph, Node, Value } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import type { Decoded, Entry } from '../wire/decoded.js';
import { Emitter } from '../wire/encode.js';
import type { ByteSource } from '../wire/source.js';
import { encodeMessage, scalarValue, typeFromIr, valueFromTensor, type BlobSink, type Obj } from './mil-encode.js';
import { milType } from './mil-values.js';
import type { InlineOrigin, MilGraphOrigin } from './mlprogram.js';
import { BLOCK, fieldNumber, FUNCTION, OPERATION, PROGRAM } from './schema.js';

/**
 * Re-encodes an ML Program whose IR changed. Everything untouched is copied from the
 * original bytes: functions, blocks and operations that did not change, and within a
 * changed operation every input argument, output and attribute that is still the same
 * object the reader created. Map entries keep their original order; new ones follow.
 */

const F = {
  program: { functions: fieldNumber(PROGRAM, 'functions') },
  fn: { inputs: fieldNumber(FUNCTION, 'inputs'), blocks: fieldNumber(FUNCTION, 'block_specializations') },
  block: { inputs: fieldNumber(BLOCK, 'inputs'), outputs: fieldNumber(BLOCK, 'outputs'), ops: fieldNumber(BLOCK, 'operations') },
  op: {
    type: fieldNumber(OPERATION, 'type'), inputs: fieldNumber(OPERATION, 'inputs'), outputs: fieldNumber(OPERATION, 'outputs'),
    blocks: fieldNumber(OPERATION, 'blocks'), attributes: fieldNumber(OPERATION, 'attributes'),
  },
};

/** How values the proto reader did not create are encoded (model.mil conversion supplies these). */
export interface EncodeHooks {
  /** A Value for an attribute's or inline argument's origin, when the origin says more than the IR. */
  literal?(origin: unknown, what: string): Obj | undefined;
  /** A ValueType for a value, when its origin says more than the IR type. */
  typeOf?(v: Value): Obj | undefined;
}

export class ProgramWriter {
  constructor(
    private readonly source: ByteSource | undefined,
    private readonly sink: BlobSink | undefined,
    private readonly hooks: EncodeHooks = {},
  ) {}

  program(model: Model, proto: Decoded<ProgramProto>): Emitter {
    const graphs = new Map<string, Graph>();
    for (const g of [model.graph, ...model.functions]) {
      const fn = (g.origin as MilGraphOrigin | undefined)?.fn;
      if (!fn) throw new WriteError(`writing a new ML Program function ('${g.name}') is not supported yet`);
      graphs.set(fn.name, g);
    }
    const out = new Emitter();
    const fns = proto.functions ?? [];
    let i = 0;
    for (const e of entries(proto)) {
      if (e.field !== F.program.functions) {
        this.copy(out, e);
        continue;
      }
      const [name] = fns[i++]!;
      const g = graphs.get(name);
      if (!g) continue; // the function was removed
      if (!g.changed) this.copy(out, e);
      else out.message(F.program.functions, mapEntry(name, this.function(g)));
    }
    return out;
  }

  private function(g: Graph): Emitter {
    const { fn } = g.origin as MilGraphOrigin;
    const proto = fn!.proto;
    const out = new Emitter();
    const blocks = proto.block_specializations ?? [];
    let j = 0;
    let inputsDone = false;
    for (const e of entries(proto)) {
      if (e.field === F.fn.inputs) {
        if (!inputsDone) this.namedTypes(out, F.fn.inputs, g.inputs, proto.inputs ?? [], entriesOf(proto, F.fn.inputs));
        inputsDone = true;
      } else if (e.field === F.fn.blocks) {
        const [key, block] = blocks[j++]!;
        if (key === fn!.blockKey) out.message(F.fn.blocks, mapEntry(key, this.block(g, block, true)));
        else this.copy(out, e);
      } else {
        this.copy(out, e);
      }
    }
    return out;
  }

  /** A block: its inputs (nested blocks only), outputs, and operations. */
  block(g: Graph, proto: Decoded<BlockProto> | undefined, topLevel: boolean): Emitter {
    const out = new Emitter();
    const done = new Set<number>();
    const once = (field: number, emit: () => void): void => {
      if (!done.has(field)) emit();
      done.add(field);
    };
    for (const e of proto ? entries(proto) : []) {
      switch (e.field) {
        case F.block.inputs:
          if (topLevel) this.copy(out, e);
          else once(e.field, () => this.namedTypes(out, F.block.inputs, g.inputs, proto!.inputs ?? [], entriesOf(proto!, F.block.inputs)));
          break;
        case F.block.outputs: once(e.field, () => this.outputs(out, g)); break;
        case F.block.ops: once(e.field, () => this.operations(out, g)); break;
        default: this.copy(out, e);
      }
    }
    if (!topLevel && !done.has(F.block.inputs) && g.inputs.length > 0) this.namedTypes(out, F.block.inputs, g.inputs, [], []);
    if (!done.has(F.block.outputs)) this.outputs(out, g);
    if (!done.has(F.block.ops)) this.operations(out, g);
    return out;
  }

  private outputs(out: Emitter, g: Graph): void {
    for (const v of g.outputs) out.string(F.block.outputs, v.name);
  }

  private operations(out: Emitter, g: Graph): void {
    for (const n of g.nodes) {
      const op = n.origin as Decoded<OperationProto> | undefined;
      if (op && op.$type === 'Operation' && !n.changed) out.message(F.block.ops, body(this.src(), op));
      else out.message(F.block.ops, this.operation(n, op?.$type === 'Operation' ? op : undefined));
    }
  }

  private namedTypes(out: Emitter, field: number, values: readonly Value[], originals: ReadonlyArray<Decoded<NamedValueType>>, spans: Entry[]): void {
    const same = values.length === originals.length && values.every((v, i) => v.origin === originals[i] && v.name === originals[i]!.name && sameType(v, originals[i]!));
    if (same) {
      for (const e of spans) this.copy(out, e);
      return;
    }
    for (const v of values) out.message(field, this.namedType(v));
  }

  private namedType(v: Value): Emitter {
    const origin = v.origin as Decoded<NamedValueType> | undefined;
    if (origin?.$type === 'NamedValueType' && origin.name === v.name && sameType(v, origin)) return body(this.src(), origin);
    const type = this.hooks.typeOf?.(v) ?? typeFromIr(v.type, `value '${v.name}'`);
    return new Emitter().raw(encodeMessage('NamedValueType', { name: v.name, type }));
  }

  operation(n: Node, proto: Decoded<OperationProto> | undefined): Emitter {
    const out = new Emitter();
    const done = new Set<number>();
    const emit = (field: number): void => {
      if (done.has(field)) return;
      done.add(field);
      if (field === F.op.type) out.string(F.op.type, n.op);
      else if (field === F.op.inputs) this.arguments(out, n, proto);
      else if (field === F.op.outputs) for (const v of n.outputs) out.message(F.op.outputs, this.namedType(v));
      else if (field === F.op.blocks) this.blocks(out, n);
      else if (field === F.op.attributes) this.attributes(out, n, proto);
    };
    for (const e of proto ? entries(proto) : []) {
      if (Object.values(F.op).includes(e.field)) emit(e.field);
      else this.copy(out, e);
    }
    for (const f of [F.op.type, F.op.inputs, F.op.outputs, F.op.blocks, F.op.attributes]) emit(f);
    return out;
  }

  private arguments(out: Emitter, n: Node, proto: Decoded<OperationProto> | undefined): void {
    if (n.inputs.length > 0 && (!n.inputNames || n.inputNames.length !== n.inputs.length)) {
      throw new WriteError(`${n.path}: ML Program operations need a name for every input (inputNames)`);
    }
    const groups = new Map<string, Value[]>();
    n.inputs.forEach((v, i) => {
      if (!v) throw new WriteError(`${n.path}: an ML Program operation cannot have an empty input`);
      const name = n.inputNames![i]!;
      const list = groups.get(name) ?? [];
      list.push(v);
      groups.set(name, list);
    });
    const originals = proto?.inputs ?? [];
    const spans = proto ? entriesOf(proto, F.op.inputs) : [];
    const order = [...originals.map(([k]) => k).filter((k) => groups.has(k)), ...[...groups.keys()].filter((k) => !originals.some(([o]) => o === k))];
    for (const name of new Set(order)) {
      const values = groups.get(name)!;
      const at = originals.findIndex(([k]) => k === name);
      const original = at >= 0 ? originals[at]![1].arguments ?? [] : undefined;
      const same = original && original.length === values.length && values.every((v, i) => {
        const b = original[i]!;
        return b.value ? (v.origin as InlineOrigin | undefined)?.inlineBinding === b.value : b.name === v.name && isNamed(v);
      });
      if (same) {
        this.copy(out, spans[at]!);
        continue;
      }
      const arg = new Emitter();
      for (const v of values) arg.message(1, this.binding(v, n));
      out.message(F.op.inputs, mapEntry(name, arg));
    }
  }

  private binding(v: Value, n: Node): Emitter {
    const inline = (v.origin as InlineOrigin | undefined)?.inlineBinding;
    if (inline && !isNamed(v)) return new Emitter().message(2, body(this.src(), inline));
    if (isNamed(v)) return new Emitter().string(1, v.name);
    const lit = this.hooks.literal?.(v.origin, n.path);
    if (lit) return new Emitter().raw(encodeMessage('Argument.Binding', { value: lit }));
    if (v.constant) return new Emitter().raw(encodeMessage('Argument.Binding', { value: valueFromTensor(v.constant, undefined, n.path) }));
    throw new WriteError(`${n.path}: input '${v.name}' is neither a named value nor a constant`);
  }

  private blocks(out: Emitter, n: Node): void {
    for (const [, g] of n.subgraphs()) {
      const origin = g.origin as MilGraphOrigin | undefined;
      if (origin && !g.changed) out.message(F.op.blocks, body(this.src(), origin.block));
      else out.message(F.op.blocks, this.block(g, origin?.block, false));
    }
  }

  private attributes(out: Emitter, n: Node, proto: Decoded<OperationProto> | undefined): void {
    const isConst = n.op === 'const';
    const spans = proto ? entriesOf(proto, F.op.attributes) : [];
    const seen = new Set<string>();
    (proto?.attributes ?? []).forEach(([key, value], i) => {
      seen.add(key);
      if (isConst && key === 'val' && !n.attrs.has('val')) {
        const t = n.outputs[0]?.constant;
        if (t && t.origin === value) this.copy(out, spans[i]!);
        else if (t) out.message(F.op.attributes, mapEntry(key, new Emitter().raw(encodeMessage('Value', valueFromTensor(t, this.sink, n.path)))));
        return;
      }
      const a = n.attrs.get(key);
      if (!a) return;
      if (a.origin === value) this.copy(out, spans[i]!);
      else out.message(F.op.attributes, mapEntry(key, this.attribute(a, n, key)));
    });
    for (const [key, a] of n.attrs) {
      if (seen.has(key) || key === 'blocks') continue;
      out.message(F.op.attributes, mapEntry(key, this.attribute(a, n, key)));
    }
    if (!proto && !n.attrs.has('name') && n.name) out.message(F.op.attributes, mapEntry('name', this.attribute({ type: 'string', value: n.name }, n, 'name')));
    if (isConst && !seen.has('val') && !n.attrs.has('val')) {
      const t = n.outputs[0]?.constant;
      if (!t) throw new WriteError(`${n.path}: a const operation needs its output's constant`);
      out.message(F.op.attributes, mapEntry('val', new Emitter().raw(encodeMessage('Value', valueFromTensor(t, this.sink, n.path)))));
    }
  }

  private attribute(a: Attribute, n: Node, key: string): Emitter {
    const what = `${n.path}: attribute '${key}'`;
    const origin = a.origin as Decoded<ValueProto> | undefined;
    const lit = this.hooks.literal?.(a.origin, what);
    if (lit) return new Emitter().raw(encodeMessage('Value', lit));
    let obj: Obj;
    switch (a.type) {
      case 'string': case 'int': case 'float': obj = scalarValue(a.type, a.value); break;
      case 'tensor': obj = valueFromTensor(a.value, this.sink, what); break;
      default:
        if (origin?.$type === 'Value') return body(this.src(), origin);
        throw new WriteError(`${what}: a ${a.type} attribute cannot be written into an ML Program`);
    }
    return new Emitter().raw(encodeMessage('Value', obj));
  }

  private copy(out: Emitter, e: Entry): void {
    out.copy(this.src(), e.start, e.end);
  }

  private src(): ByteSource {
    if (!this.source) throw new Error('invariant: copying from an ML Program that was not read from a spec');
    return this.source;
  }
}

function entries(m: { $entries?: Entry[] }): Entry[] {
  if (!m.$entries) throw new Error('invariant: ML Program message decoded without entries');
  return m.$entries;
}

function entriesOf(m: { $entries?: Entry[] }, field: number): Entry[] {
  return entries(m).filter((e) => e.field === field);
}

/** The original body of a decoded message, to be wrapped in a new tag. */
function body(source: ByteSource, m: Decoded<unknown>): Emitter {
  return new Emitter().copy(source, m.$span.start, m.$span.end);
}

/** A map<string, message> entry: key = 1, value = 2. */
function mapEntry(key: string, value: Emitter): Emitter {
  return new Emitter().string(1, key).message(2, value);
}

function isNamed(v: Value): boolean {
  return v.graph.values.get(v.name) === v;
}

function sameType(v: Value, origin: Decoded<NamedValueType>): boolean {
  return JSON.stringify(milType(origin.type)) === JSON.stringify(v.type);
}
