import { ModelError } from '../../../errors.js';
import type { Attribute } from '../../../ir/attribute.js';
import type { DType } from '../../../ir/dtype.js';
import { Value, type Graph } from '../../../ir/graph.js';
import { addUse } from '../../../ir/value.js';
import type { Model } from '../../../ir/model.js';
import { Tensor } from '../../../ir/tensor.js';
import type { ValueType } from '../../../ir/types.js';
import type { WeightFiles } from '../blob.js';
import { dtypeFromText } from '../dtypes.js';
import { encodeElements, joinStrings } from '../elements.js';
import { noteFlexible, type FlexibleShape } from '../features.js';
import { milKind } from '../kinds.js';
import type { MilBinding, MilFunctionAst, MilLit, MilProgramAst, MilStatement, MilTypeAst } from './parser.js';

/**
 * model.mil syntax tree → IR, with the same conventions as the ML Program proto reader
 * (mlprogram.ts): one node per statement, `op` = the MIL op, inputs in argument order with
 * `inputNames`, `name` and other attributes as IR attributes, a `const`'s `val` as its
 * output's constant, inlined constants as Values with `constant` set. Origins: Graph =
 * the function, Node = the statement, Attribute / inline Value = the literal, and blob
 * tensors carry `{ blob: { path, offset } }` so a converter can name them again.
 */

export interface TextContext {
  readonly file: string;
  readonly weights: WeightFiles;
}

export interface BlobRef {
  readonly blob: { readonly path: string; readonly offset: number };
}

/** Function inputs and statement outputs: the type as written (lists, tuples, states say more than the IR). */
export interface TextTypeOrigin {
  readonly textType: MilTypeAst;
}

export interface InlineLitOrigin {
  readonly inlineLit: MilLit;
}

/** iOS opset names in model.mil ⇄ the proto's `CoreMLn` names. */
export const OPSETS: ReadonlyArray<readonly [string, string]> = [
  ['ios15', 'CoreML5'], ['ios16', 'CoreML6'], ['ios17', 'CoreML7'], ['ios18', 'CoreML8'],
];

export function programToIr(model: Model, ast: MilProgramAst, ctx: TextContext, mainName?: string): void {
  if (ast.functions.length === 0) throw new ModelError('model.mil has no functions', ctx.file);
  const main = ast.functions.find((f) => f.name === mainName) ?? ast.functions.find((f) => f.name === 'main') ?? ast.functions[0]!;
  const seen = new Set<string>();
  for (const fn of ast.functions) {
    if (seen.has(fn.name)) throw new ModelError(`model.mil defines function '${fn.name}' twice`, ctx.file);
    seen.add(fn.name);
    const graph = fn === main ? model.graph : model.newGraph(fn.name, fn.name);
    functionToIr(graph, fn, ctx);
    if (fn !== main) {
      model.functions.push(graph);
      continue;
    }
    const proto = OPSETS.find(([ios]) => ios === fn.opset)?.[1];
    model.info.set('opset', proto ?? fn.opset);
    for (const [name, flex] of flexibleShapes(fn)) noteFlexible(model, name, flex);
  }
  model.info.set('milVersion', ast.version);
}

function functionToIr(graph: Graph, fn: MilFunctionAst, ctx: TextContext): void {
  graph.origin = fn;
  for (const p of fn.inputs) {
    if (graph.values.has(p.name)) throw new ModelError(`function '${fn.name}' has two inputs named '${p.name}'`, ctx.file);
    const v = graph.newValue(p.name, irType(p.type));
    v.origin = { textType: p.type } satisfies TextTypeOrigin;
    graph.inputs.push(v);
  }
  for (const st of fn.body) statement(graph, st, ctx);
  for (const name of fn.outputs) {
    const v = graph.lookup(name);
    if (!v) throw new ModelError(`function '${fn.name}' returns '${name}', which nothing defines`, ctx.file);
    graph.outputs.push(v);
  }
}

function statement(graph: Graph, st: MilStatement, ctx: TextContext): void {
  const where = `model.mil line ${st.line}`;
  const attrs = new Map<string, Attribute>();
  let val: MilLit | undefined;
  for (const [key, lit] of st.attributes) {
    if (st.op === 'const' && key === 'val') val = lit;
    else attrs.set(key, attribute(lit, ctx, `${where}: attribute '${key}'`));
  }
  const nameAttr = attrs.get('name');
  const name = nameAttr?.type === 'string' ? nameAttr.value : st.outputs[0]?.name ?? '';
  const node = graph.addNode({ op: st.op, kind: milKind(st.op), name, inputs: [], outputs: [], attrs, origin: st });
  const inputNames: string[] = [];
  const bind = (arg: string, b: MilBinding, depth: number): void => {
    if (b.k === 'list') {
      if (depth > 0) throw new ModelError(`${where}: argument '${arg}' nests lists`, ctx.file);
      for (const item of b.items) bind(arg, item, depth + 1);
      return;
    }
    let v: Value | undefined;
    if (b.k === 'name') {
      v = graph.lookup(b.name);
      if (!v) throw new ModelError(`${where}: '${st.op}' reads '${b.name}', which nothing defines before it`, ctx.file);
    } else {
      const what = `${where}: argument '${arg}'`;
      const type = b.value.k === 'typed' ? irType(b.value.type) : null;
      v = new Value(`${node.label}.${arg}`, type, graph, literalTensor(b.value, ctx, what) ?? null);
      v.origin = { inlineLit: b.value } satisfies InlineLitOrigin;
    }
    node.inputs.push(v);
    addUse(v, { node, index: node.inputs.length - 1 });
    inputNames.push(arg);
  };
  for (const [arg, b] of st.args) bind(arg, b, 0);
  node.inputNames = inputNames;
  for (const out of st.outputs) {
    if (graph.values.has(out.name)) throw new ModelError(`${where}: value '${out.name}' is defined twice`, ctx.file);
    const v = graph.newValue(out.name, irType(out.type));
    v.origin = { textType: out.type } satisfies TextTypeOrigin;
    v.producer = node;
    node.outputs.push(v);
  }
  if (val) {
    const out = node.outputs[0];
    if (!out) throw new ModelError(`${where}: const has no output`, ctx.file);
    out.constant = literalTensor(val, ctx, `${where}: const '${name}'`) ?? null;
    if (!out.constant) node.initAttr('val', { type: 'opaque', what: 'non-tensor constant', origin: val });
  }
}

export function irType(t: MilTypeAst): ValueType | null {
  switch (t.k) {
    case 'tensor': return { kind: 'tensor', dtype: dtypeFromText(t.dtype) ?? 'unknown', shape: t.dims };
    case 'list': return { kind: 'sequence', elem: irType(t.elem) };
    case 'dict': {
      const key = irType(t.key);
      return { kind: 'map', key: key?.kind === 'tensor' ? key.dtype : 'unknown', value: irType(t.value) };
    }
    case 'state': return irType(t.wrapped);
    case 'tuple': return { kind: 'opaque', name: 'tuple' };
  }
}

function attribute(lit: MilLit, ctx: TextContext, what: string): Attribute {
  if (lit.k === 'typed' && lit.type.k === 'tensor' && lit.type.dims?.length === 0) {
    const v = lit.value;
    const dtype = dtypeFromText(lit.type.dtype);
    if (v.k === 'str') return { type: 'string', value: v.v, origin: lit };
    if (v.k === 'bool') return { type: 'int', value: v.v ? 1 : 0, origin: lit };
    if (v.k === 'num' && dtype) {
      const float = dtype.startsWith('float') || dtype === 'bfloat16';
      return float ? { type: 'float', value: v.v, origin: lit } : { type: 'int', value: v.v, origin: lit };
    }
  }
  const t = literalTensor(lit, ctx, what);
  if (t) return { type: 'tensor', value: t, origin: lit };
  return { type: 'opaque', what: 'MIL value', origin: lit };
}

/** A typed tensor literal (immediate or BLOBFILE) as a tensor; undefined for other values. */
export function literalTensor(lit: MilLit, ctx: TextContext, what: string): Tensor | undefined {
  if (lit.k !== 'typed' || lit.type.k !== 'tensor') return undefined;
  const dtype = dtypeFromText(lit.type.dtype);
  if (!dtype) throw new ModelError(`${what}: unknown element type '${lit.type.dtype}'`, ctx.file);
  const dims = lit.type.dims;
  if (!dims || dims.some((d) => d === null)) throw new ModelError(`${what}: a constant has no fixed shape`, ctx.file);
  const fixed = dims as number[];
  const count = fixed.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count)) throw new ModelError(`${what}: shape [${fixed.join(',')}] is too large`, ctx.file);
  const v = lit.value;
  if (v.k === 'blob') {
    const path = scalarOf(v.path);
    const offset = scalarOf(v.offset);
    if (typeof path !== 'string' || typeof offset !== 'number') throw new ModelError(`${what}: BLOBFILE needs a string path and a number offset`, ctx.file);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new ModelError(`${what}: BLOBFILE offset ${rawOf(v.offset)} is not a byte offset`, ctx.file);
    const t = ctx.weights.tensor(path, offset, dtype, fixed, what);
    t.origin = { blob: { path, offset } } satisfies BlobRef;
    return t;
  }
  const flat: MilLit[] = [];
  flatten(v, flat, 0, ctx, what);
  if (flat.length !== count) throw new ModelError(`${what}: ${count} values declared, ${flat.length} written`, ctx.file);
  if (dtype === 'string') {
    const strings = flat.map((x) => (x.k === 'str' ? x.v : fail(ctx, `${what}: expected a string`)));
    return Tensor.fromBytes('string', fixed, joinStrings(strings));
  }
  const nums = flat.map((x) => (x.k === 'num' ? x.v : x.k === 'bool' ? (x.v ? 1 : 0) : fail(ctx, `${what}: expected a number`)));
  return Tensor.fromBytes(dtype as DType, fixed, encodeElements(dtype, nums, what));
}

function flatten(v: MilLit, out: MilLit[], depth: number, ctx: TextContext, what: string): void {
  if (depth > 64) fail(ctx, `${what}: nested too deeply`);
  if (v.k === 'array') for (const x of v.items) flatten(x, out, depth + 1, ctx, what);
  else out.push(v);
}

/** A number literal as written (`nan`, `1e99`), for messages. */
function rawOf(l: MilLit): string {
  const v = l.k === 'typed' ? l.value : l;
  return v.k === 'num' ? `'${v.raw}'` : 'that is not a number';
}

function scalarOf(l: MilLit): string | number | undefined {
  const v = l.k === 'typed' ? l.value : l;
  return v.k === 'str' || v.k === 'num' ? v.v : undefined;
}

function fail(ctx: TextContext, what: string): never {
  throw new ModelError(what, ctx.file);
}

/** `FlexibleShapeInformation` (a function attribute in model.mil) → flexible inputs. */
function flexibleShapes(fn: MilFunctionAst): Map<string, FlexibleShape> {
  const out = new Map<string, FlexibleShape>();
  const info = fn.attributes.find(([k]) => k === 'FlexibleShapeInformation')?.[1];
  const body = info?.k === 'typed' ? info.value : info;
  if (body?.k !== 'tuple') return out;
  for (const pair of body.items) {
    if (pair.k !== 'tuple' || pair.items.length !== 2) continue;
    const [key, dict] = pair.items;
    if (key?.k !== 'str' || dict?.k !== 'dict') continue;
    for (const [nameLit, value] of dict.entries) {
      if (nameLit.k !== 'str' || value.k !== 'array') continue;
      const nums = (l: MilLit): number[] => (l.k === 'array' ? l.items.map((x) => (x.k === 'num' ? x.v : NaN)) : []);
      if (key.v === 'RangeDims') {
        const ranges = value.items.map((r) => nums(r)).map(([lo = 0, hi = -1]) => [lo, hi < 0 ? null : hi] as const);
        out.set(nameLit.v, { kind: 'range', ranges });
      } else if (key.v === 'EnumeratedShapes' && !out.has(nameLit.v)) {
        out.set(nameLit.v, { kind: 'enumerated', shapes: value.items.map(nums) });
      }
    }
  }
  return out;
}
