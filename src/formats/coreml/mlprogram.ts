import type {
  Block as BlockProto,
  Function as FunctionProto,
  Operation as OperationProto,
  Program as ProgramProto,
  Value as ValueProto,
} from '../../../proto/coreml.schema.js';
import { ModelError } from '../../errors.js';
import type { Attribute } from '../../ir/attribute.js';
import { Graph, Value } from '../../ir/graph.js';
import { addUse } from '../../ir/value.js';
import type { Model } from '../../ir/model.js';
import type { Decoded } from '../wire/decoded.js';
import { milKind } from './kinds.js';
import { milScalar, milTensor, milType, type MilContext } from './mil-values.js';

/**
 * ML Program (MIL.proto) → IR.
 *
 * - A function's active block (`block_specializations[opset]`) is its graph; the function
 *   named by the description (or `main`) is Model.graph, the others Model.functions.
 * - An operation is a node: `op` = MIL type, inputs in argument order with `inputNames`
 *   (a list argument such as concat's `values` gives several inputs with the same name),
 *   outputs typed from the proto.
 * - A binding that is an immediate value (not a name) becomes an unnamed-in-scope Value
 *   with `constant` set, read only by that node.
 * - Attributes: `name` → string; other scalars → int/float/string; tensors → tensor. A
 *   `const` op's `val` is not an attribute: it is the output Value's `constant`.
 * - Blocks of cond / while_loop are nested graphs in the attribute `blocks`.
 * Origins: Node.origin = the Operation, Graph.origin = MilGraphOrigin, Value.origin of
 * inputs = the NamedValueType, Attribute.origin = the attribute's Value, Tensor.origin = its Value.
 */

export interface MilGraphOrigin {
  readonly block: Decoded<BlockProto>;
  /** Set on a function's top-level graph. */
  readonly fn?: { readonly name: string; readonly proto: Decoded<FunctionProto>; readonly blockKey: string };
}

/** Inline (immediate) bindings: the value a binding created, for the writer to copy. */
export interface InlineOrigin {
  readonly inlineBinding: Decoded<ValueProto>;
}

export function readProgram(model: Model, program: Decoded<ProgramProto>, ctx: MilContext, mainName: string | undefined): void {
  const fns = program.functions ?? [];
  if (fns.length === 0) throw new ModelError('ML Program has no functions', ctx.file);
  const main = fns.find(([n]) => n === mainName) ?? fns.find(([n]) => n === 'main') ?? fns[0]!;
  const seen = new Set<string>();
  for (const [name, fn] of fns) {
    if (seen.has(name)) throw new ModelError(`ML Program defines function '${name}' twice`, ctx.file);
    seen.add(name);
    const graph = fn === main[1] ? model.graph : model.newGraph(name, name);
    readFunction(graph, name, fn, ctx);
    if (graph !== model.graph) model.functions.push(graph);
    else if (fn.opset) model.info.set('opset', fn.opset);
  }
}

function readFunction(graph: Graph, name: string, fn: Decoded<FunctionProto>, ctx: MilContext): void {
  const blocks = fn.block_specializations ?? [];
  const entry = blocks.find(([k]) => k === fn.opset) ?? blocks[0];
  if (!entry) throw new ModelError(`function '${name}' has no block`, ctx.file);
  const [blockKey, block] = entry;
  graph.origin = { block, fn: { name, proto: fn, blockKey } } satisfies MilGraphOrigin;
  for (const input of fn.inputs ?? []) {
    const v = define(graph, input.name ?? '', ctx);
    v.type = milType(input.type);
    v.origin = input;
    graph.inputs.push(v);
  }
  new BlockReader(ctx).fill(graph, block);
}

function define(graph: Graph, name: string, ctx: MilContext): Value {
  if (name === '') throw new ModelError(`a value in '${graph.path}' has no name`, ctx.file);
  if (graph.values.has(name)) throw new ModelError(`value '${name}' is defined twice in '${graph.path}'`, ctx.file);
  return graph.newValue(name);
}

class BlockReader {
  constructor(private readonly ctx: MilContext) {}

  fill(graph: Graph, block: Decoded<BlockProto>, depth = 0): void {
    if (depth > 64) throw new ModelError('ML Program blocks nested more than 64 deep', this.ctx.file);
    for (const input of block.inputs ?? []) {
      const v = define(graph, input.name ?? '', this.ctx);
      v.type = milType(input.type);
      v.origin = input;
      graph.inputs.push(v);
    }
    for (const op of block.operations ?? []) this.operation(graph, op, depth);
    for (const name of block.outputs ?? []) {
      const v = graph.lookup(name);
      if (!v) throw new ModelError(`'${graph.path}' returns '${name}', which nothing defines`, this.ctx.file);
      graph.outputs.push(v);
    }
  }

  private operation(graph: Graph, op: Decoded<OperationProto>, depth: number): void {
    const type = op.type ?? '';
    if (type === '') throw new ModelError(`an operation in '${graph.path}' has no type`, this.ctx.file);
    const attrs = new Map<string, Attribute>();
    let constVal: Decoded<ValueProto> | undefined;
    for (const [key, value] of op.attributes ?? []) {
      if (type === 'const' && key === 'val') {
        constVal = value;
        continue;
      }
      attrs.set(key, this.attribute(value, `${graph.path}: '${type}' attribute '${key}'`));
    }
    const nameAttr = attrs.get('name');
    const outputs = op.outputs ?? [];
    const name = nameAttr?.type === 'string' ? nameAttr.value : outputs[0]?.name ?? '';
    const blocks = (op.blocks ?? []).map((_, i) => new Graph(`${name}.blocks[${i}]`, graph.ids, 'main', graph, `blocks[${i}]`));
    if (blocks.length > 0) attrs.set('blocks', { type: 'graphs', value: blocks });

    const node = graph.addNode({ op: type, kind: milKind(type), name, inputs: [], outputs: [], attrs, origin: op });
    const inputNames: string[] = [];
    for (const [argName, arg] of op.inputs ?? []) {
      for (const binding of arg.arguments ?? []) {
        const v = this.binding(graph, binding, `${node.label}.${argName}`);
        node.inputs.push(v);
        addUse(v, { node, index: node.inputs.length - 1 });
        inputNames.push(argName);
      }
    }
    node.inputNames = inputNames;
    op.blocks?.forEach((b, i) => this.fill(blocks[i]!, b, depth + 1));
    for (const out of outputs) {
      const v = define(graph, out.name ?? '', this.ctx);
      v.type = milType(out.type);
      v.origin = out;
      v.producer = node;
      node.outputs.push(v);
    }
    if (constVal) {
      const out = node.outputs[0];
      if (!out) throw new ModelError(`const '${name}' in '${graph.path}' has no output`, this.ctx.file);
      out.constant = milTensor(constVal, this.ctx, `const '${name}'`) ?? null;
      // Non-tensor constants (lists, tuples) stay an opaque attribute the writer copies.
      if (!out.constant) node.initAttr('val', { type: 'opaque', what: 'non-tensor constant', origin: constVal });
    }
  }

  private binding(graph: Graph, b: { name?: string; value?: Decoded<ValueProto> }, where: string): Value {
    if (b.value) {
      const v = new Value(where, milType(b.value.type), graph, milTensor(b.value, this.ctx, where) ?? null);
      v.origin = { inlineBinding: b.value } satisfies InlineOrigin;
      return v;
    }
    const name = b.name ?? '';
    const v = graph.lookup(name);
    if (!v) throw new ModelError(`'${where}' reads '${name}', which nothing defines before it`, this.ctx.file);
    return v;
  }

  private attribute(value: Decoded<ValueProto>, what: string): Attribute {
    const s = milScalar(value);
    if (typeof s === 'string') return { type: 'string', value: s, origin: value };
    if (typeof s === 'boolean') return { type: 'int', value: s ? 1 : 0, origin: value };
    if (typeof s === 'number') {
      const integer = value.immediateValue?.tensor?.ints || value.immediateValue?.tensor?.longInts;
      return integer ? { type: 'int', value: s, origin: value } : { type: 'float', value: s, origin: value };
    }
    const t = milTensor(value, this.ctx, what);
    if (t) return { type: 'tensor', value: t, origin: value };
    return { type: 'opaque', what: 'MIL value', origin: value };
  }
}
