import { WriteError } from '../../errors.js';
import type { Graph, Value } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import type { ValueType } from '../../ir/types.js';
import { Emitter } from '../wire/encode.js';
import { arrayCodeOf, dtypeFromMetadataName } from './dtypes.js';
import { encodeMessage, typeFromAst, valueFromLit, valueFromTensor, type Obj } from './mil-encode.js';
import type { MilFunctionAst, MilLit } from './mil-text/parser.js';
import { literalTensor, OPSETS, type InlineLitOrigin, type TextContext, type TextTypeOrigin } from './mil-text/to-ir.js';
import type { CompiledInfo } from './mlmodelc.js';
import { coremlOrigin } from './origin.js';
import { isSpecificationVersion } from './schema.js';
import { ProgramWriter, type EncodeHooks } from './write-program.js';

/**
 * A compiled model's program (read from model.mil) → a Core ML Model message with an ML
 * Program, so that `graphlint convert x.mlmodelc y.mlpackage` gives an editable package.
 *
 * Operations, their argument bindings, output types and attributes are encoded from the
 * text in statement order (map entries in the order the text writes them, which is
 * alphabetical). The description is coremldata.bin's ModelDescription, copied as is when
 * the bundle has one, else rebuilt from metadata.json. Attributes coremlc adds at compile
 * time are dropped: `coremlc-*` build-info keys and the FlexibleShapeInformation function
 * attribute (its facts live in the description).
 */
export function milToSpec(model: Model): Emitter {
  const info = coremlOrigin(model).compiled;
  if (!info?.program) throw new WriteError('only compiled models with model.mil can be converted to a spec');
  const ctx: TextContext = { file: info.milPath ?? model.path, weights: info.weights };
  const hooks = textHooks(ctx);
  const spec = specVersion(model);
  const out = new Emitter();
  out.int32(1, spec);
  out.message(2, description(model, info));
  const program = new Emitter();
  program.int64(1, 1);
  for (const fn of info.program.functions) {
    const graph = [model.graph, ...model.functions].find((g) => g.origin === fn);
    if (!graph) continue; // removed by an edit
    program.message(2, new Emitter().string(1, fn.name).message(2, encodeFunction(graph, fn, info, hooks)));
  }
  const buildInfo = info.program.attributes.find(([k]) => k === 'buildInfo')?.[1];
  const kept = buildInfo && withoutCompilerKeys(buildInfo);
  if (kept) program.message(4, new Emitter().string(1, 'buildInfo').message(2, new Emitter().raw(encodeMessage('Value', kept))));
  out.message(502, program);
  return out;
}

function encodeFunction(graph: Graph, fn: MilFunctionAst, info: CompiledInfo, hooks: EncodeHooks): Emitter {
  const out = new Emitter();
  const order = inputOrder(info);
  const inputs = [...graph.inputs].sort((a, b) => rank(order, a.name) - rank(order, b.name));
  for (const v of inputs) out.message(1, new Emitter().raw(encodeMessage('NamedValueType', { name: v.name, type: hooks.typeOf!(v) })));
  const opset = OPSETS.find(([ios]) => ios === fn.opset)?.[1] ?? fn.opset;
  out.string(2, opset);
  const block = new ProgramWriter(undefined, undefined, hooks).block(graph, undefined, true);
  out.message(3, new Emitter().string(1, opset).message(2, block));
  for (const [key, lit] of fn.attributes) {
    if (key === 'FlexibleShapeInformation' || lit.k !== 'typed') continue;
    out.message(4, new Emitter().string(1, key).message(2, new Emitter().raw(encodeMessage('Value', valueFromLit(lit, lit.type, `function '${fn.name}' attribute '${key}'`)))));
  }
  return out;
}

function textHooks(ctx: TextContext): EncodeHooks {
  const fromLit = (lit: MilLit, what: string): Obj | undefined => {
    if (lit.k !== 'typed') return undefined;
    if (lit.type.k === 'tensor') {
      const t = literalTensor(lit, ctx, what);
      return t ? valueFromTensor(t, undefined, what) : undefined;
    }
    return valueFromLit(lit, lit.type, what);
  };
  return {
    literal(origin, what) {
      if (!origin || typeof origin !== 'object') return undefined;
      const inline = (origin as InlineLitOrigin).inlineLit;
      if (inline) return fromLit(inline, what);
      return 'k' in origin ? fromLit(origin as MilLit, what) : undefined;
    },
    typeOf(v: Value) {
      const t = (v.origin as TextTypeOrigin | undefined)?.textType;
      return t ? typeFromAst(t, `value '${v.name}'`) : undefined;
    },
  };
}

function withoutCompilerKeys(lit: MilLit): Obj | undefined {
  if (lit.k !== 'typed' || lit.type.k !== 'dict' || lit.value.k !== 'dict') return undefined;
  const entries = lit.value.entries.filter(([k]) => !(k.k === 'str' && k.v.startsWith('coremlc-')));
  if (entries.length === 0) return undefined;
  return valueFromLit({ k: 'typed', type: lit.type, value: { k: 'dict', entries } }, lit.type, 'buildInfo');
}

const OPSET_SPEC: Readonly<Record<string, number>> = { CoreML5: 6, CoreML6: 7, CoreML7: 8, CoreML8: 9 };

function specVersion(model: Model): number {
  const v = model.info.get('specVersion');
  if (typeof v === 'number') {
    if (!isSpecificationVersion(v)) throw new WriteError(`the specification version ${v} cannot be written: Core ML's is a whole number from 1 to 2147483647`);
    return v;
  }
  const fromOpset = OPSET_SPEC[String(model.info.get('opset'))];
  if (fromOpset) return fromOpset;
  throw new WriteError('the specification version is unknown (no metadata.json or coremldata.bin, and an unfamiliar opset)');
}

function inputOrder(info: CompiledInfo): string[] {
  const fromData = info.coremldata?.description?.proto;
  if (fromData) return (fromData.input ?? fromData.functions?.[0]?.input ?? []).map((f) => f.name ?? '');
  const schema = info.metadata?.inputSchema;
  return Array.isArray(schema) ? schema.map((e) => (e && typeof e === 'object' ? String((e as { name?: unknown }).name ?? '') : '')) : [];
}

function rank(order: string[], name: string): number {
  const i = order.indexOf(name);
  return i < 0 ? order.length : i;
}

/** The ModelDescription: copied from coremldata.bin, or rebuilt from metadata.json and the program. */
function description(model: Model, info: CompiledInfo): Emitter {
  const d = info.coremldata?.description;
  if (d && info.coremldataSource) return new Emitter().copy(info.coremldataSource, d.start, d.end);
  const meta = info.metadata ?? {};
  const schema = (k: string): Array<Record<string, unknown>> =>
    (Array.isArray(meta[k]) ? (meta[k] as unknown[]) : []).filter((e): e is Record<string, unknown> => !!e && typeof e === 'object');
  const feature = (v: Value, entry: Record<string, unknown> | undefined): Obj => ({
    name: v.name,
    shortDescription: typeof entry?.shortDescription === 'string' ? entry.shortDescription : undefined,
    type: featureType(v.type, entry),
  });
  const byName = (list: Array<Record<string, unknown>>, name: string): Record<string, unknown> | undefined => list.find((e) => e.name === name);
  const order = inputOrder(info);
  const inputs = [...model.graph.inputs].sort((a, b) => rank(order, a.name) - rank(order, b.name));
  const str = (k: string): string | undefined => (typeof meta[k] === 'string' ? (meta[k] as string) : undefined);
  const user = meta.userDefinedMetadata && typeof meta.userDefinedMetadata === 'object' ? meta.userDefinedMetadata : undefined;
  const obj: Obj = {
    input: inputs.map((v) => feature(v, byName(schema('inputSchema'), v.name))),
    output: model.graph.outputs.map((v) => feature(v, byName(schema('outputSchema'), v.name))),
    metadata: { shortDescription: str('shortDescription'), versionString: str('version'), author: str('author'), license: str('license'), userDefined: user },
  };
  if (model.functions.length > 0) {
    // Several functions: each is described, and the one read as main is the default.
    const name = (g: Graph): string => (g.origin as MilFunctionAst).name;
    obj.functions = [model.graph, ...model.functions].map((g) => ({
      name: name(g),
      input: g.inputs.map((v) => feature(v, undefined)),
      output: g.outputs.map((v) => feature(v, undefined)),
    }));
    obj.defaultFunctionName = name(model.graph);
  }
  return new Emitter().raw(encodeMessage('ModelDescription', obj));
}

/** A MultiArray feature type from metadata.json's schema entry, or from the program's type. */
function featureType(t: ValueType | null, entry: Record<string, unknown> | undefined): Obj {
  const kind = entry?.type;
  if (kind === 'String') return { stringType: {} };
  if (kind === 'Int64') return { int64Type: {} };
  if (kind === 'Double') return { doubleType: {} };
  const dtype = entry ? dtypeFromMetadataName(entry.dataType as string | undefined) : t?.kind === 'tensor' ? t.dtype : 'unknown';
  const shape = parseJsonNumbers(entry?.shape) ?? (t?.kind === 'tensor' && t.shape ? t.shape.map((d) => (typeof d === 'number' ? d : 1)) : []);
  const array: Obj = { shape, dataType: arrayCodeOf(dtype) ?? 0 };
  const ranges = parseJsonNumbers(entry?.shapeRange, true) as unknown as number[][] | undefined;
  if (ranges) array.shapeRange = { sizeRanges: ranges.map(([lo = 0, hi = -1]) => ({ lowerBound: lo, upperBound: hi })) };
  const enumerated = parseJsonNumbers(entry?.enumeratedShapes, true) as unknown as number[][] | undefined;
  if (enumerated && !ranges) array.enumeratedShapes = { shapes: enumerated.map((s) => ({ shape: s })) };
  const out: Obj = kind === 'State' ? { stateType: { arrayType: array } } : { multiArrayType: array };
  if (entry?.isOptional === '1') out.isOptional = true;
  return out;
}

function parseJsonNumbers(text: unknown, nested = false): number[] | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    if (!Array.isArray(v)) return undefined;
    const ok = nested ? v.every((x) => Array.isArray(x) && x.every((y) => typeof y === 'number')) : v.every((x) => typeof x === 'number');
    return ok ? (v as number[]) : undefined;
  } catch {
    return undefined;
  }
}
