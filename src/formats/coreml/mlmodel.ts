import { dirname } from 'node:path';
import type { FeatureDescription, Model as ModelProto, Pipeline } from '../../../proto/coreml.schema.js';
import { ModelError } from '../../errors.js';
import type { Value } from '../../ir/graph.js';
import { Model, type ModelFormat } from '../../ir/model.js';
import { resolveInside } from '../paths.js';
import type { Decoded } from '../wire/decoded.js';
import { WireDecoder } from '../wire/decode.js';
import { ByteSource } from '../wire/source.js';
import { WeightFiles } from './blob.js';
import { describedInterface, featureType, noteFlexible, numbers, readMetadata } from './features.js';
import { readProgram } from './mlprogram.js';
import { readNeuralNetwork } from './neuralnetwork.js';
import type { CoremlOrigin } from './origin.js';
import { isSpecificationVersion, MODEL } from './schema.js';

/** Model.Type field names graphlint reads into graphs; every other type is summarised. */
const NEURAL = ['neuralNetwork', 'neuralNetworkClassifier', 'neuralNetworkRegressor'] as const;
const PIPELINES = ['pipeline', 'pipelineClassifier', 'pipelineRegressor'] as const;
const HEAD_FIELDS = new Set(['$type', '$span', '$unknown', '$entries', 'specificationVersion', 'description', 'isUpdatable']);

/** The model type: the name of the Model.Type field that is set. */
export function modelType(proto: Decoded<ModelProto>): string | undefined {
  for (const k of Object.keys(proto)) if (!HEAD_FIELDS.has(k)) return k;
  return undefined;
}

/** Reads an .mlmodel file. ML Program weights named `@model_path/...` resolve beside it. */
export function readMlmodel(path: string): Model {
  const source = ByteSource.fromFile(path);
  try {
    const base = dirname(path);
    const weights = new WeightFiles((name) => resolveWeight(base, name, path), path);
    return readSpec(source, 'mlmodel', path, weights);
  } catch (e) {
    source.close();
    throw e;
  }
}

/** `@model_path/x` (or a plain relative name) → a path inside `base`; anything leaving it is refused. */
export function resolveWeight(base: string, name: string, file: string): string {
  const rel = name.startsWith('@model_path/') ? name.slice('@model_path/'.length) : name;
  return resolveInside(base, rel, `weight file '${name}'`, file);
}

/** Decodes a Model message held by `source` and reads it into a new Model. */
export function readSpec(source: ByteSource, format: ModelFormat, path: string, weights: WeightFiles): Model {
  if (source.size === 0) throw new ModelError('empty file', path);
  const proto = new WireDecoder(source).decode<ModelProto>(MODEL, 0, source.size);
  const model = new Model(format, path);
  fillSpec(model, proto, { source, file: path, weights }, 0);
  model.origin = { spec: { source, proto, weights } } satisfies CoremlOrigin;
  return model;
}

export interface SpecContext {
  readonly source: ByteSource;
  readonly file: string;
  readonly weights: WeightFiles;
}

export function fillSpec(model: Model, proto: Decoded<ModelProto>, ctx: SpecContext, depth: number): void {
  const spec = proto.specificationVersion ?? 0;
  // A type field this schema does not know (a newer specification) is summarised as 'unknown'.
  const type = modelType(proto) ?? (spec >= 1 && proto.$unknown?.length ? 'unknown' : undefined);
  if (type === undefined || !isSpecificationVersion(spec)) {
    throw new ModelError('not a Core ML model: no specification version or model type (is this an .mlmodel file?)', ctx.file);
  }
  model.info.set('specVersion', spec);
  model.info.set('modelType', type);
  if (proto.isUpdatable) model.info.set('isUpdatable', true);
  model.opsets.set('coreml', spec);
  readMetadata(model, proto.description);
  const { inputs, outputs, states } = describedInterface(proto.description);
  for (const f of [...inputs, ...states]) {
    const flex = featureType(f.type).flexible;
    if (flex) noteFlexible(model, f.name ?? '', flex);
  }
  if (states.length > 0) model.info.set('states', states.map((s) => s.name ?? '').join(','));
  const fns = proto.description?.functions ?? [];
  if (fns.length > 0) model.info.set('functions', fns.map((f) => f.name ?? '').join(','));

  const rec = proto as unknown as Record<string, unknown>;
  if ((NEURAL as readonly string[]).includes(type)) {
    const net = rec[type] as Decoded<ModelProto>['neuralNetwork'] & object;
    readNeuralNetwork(model, net, inputs, outputs, ctx);
    const labels = numbers(net.int64ClassLabels?.vector).length || (net.stringClassLabels?.vector ?? []).length;
    if (labels > 0) model.info.set('classLabels', labels);
    for (const p of net.preprocessing ?? []) {
      const s = p.scaler;
      if (s) model.info.set(`preprocessing:${p.featureName ?? ''}`, `scale ${s.channelScale ?? 0} bias ${[s.redBias, s.greenBias, s.blueBias, s.grayBias].map((b) => b ?? 0).join(',')}`);
      else if (p.meanImage) model.info.set(`preprocessing:${p.featureName ?? ''}`, 'mean image');
    }
  } else if (type === 'mlProgram') {
    readProgram(model, proto.mlProgram!, ctx, proto.description?.defaultFunctionName);
  } else if ((PIPELINES as readonly string[]).includes(type)) {
    const pipeline = type === 'pipeline' ? proto.pipeline! : (rec[type] as { pipeline?: Decoded<Pipeline> }).pipeline;
    readPipeline(model, pipeline, ctx, depth);
    interfaceOnly(model, inputs, outputs, ctx.file);
  } else {
    summarise(model, type, inputs, outputs, ctx.file);
  }
}

/** Every stage of a pipeline is read as a sub-model; the pipeline's own graph is its interface. */
function readPipeline(model: Model, pipeline: Decoded<Pipeline> | undefined, ctx: SpecContext, depth: number): void {
  if (depth > 16) throw new ModelError('pipelines nested more than 16 deep', ctx.file);
  const names = pipeline?.names ?? [];
  const stages: string[] = [];
  (pipeline?.models ?? []).forEach((sub, i) => {
    const m = new Model(model.format, model.path);
    fillSpec(m, sub, ctx, depth + 1);
    m.origin = { spec: { source: ctx.source, proto: sub, weights: ctx.weights } } satisfies CoremlOrigin;
    m.info.set('stageName', names[i] ?? `model${i}`);
    model.submodels.push(m);
    stages.push(String(m.info.get('modelType')));
  });
  model.info.set('stages', stages.join(','));
}

type Features = ReadonlyArray<Decoded<FeatureDescription>>;

function declareInput(model: Model, f: Decoded<FeatureDescription>, file: string): Value {
  const name = f.name ?? '';
  if (model.graph.values.has(name)) throw new ModelError(`input '${name}' is declared twice`, file);
  const v = model.graph.newValue(name, featureType(f.type).type);
  v.origin = f;
  model.graph.inputs.push(v);
  return v;
}

function interfaceOnly(model: Model, inputs: Features, outputs: Features, file: string): void {
  for (const f of inputs) declareInput(model, f, file);
  for (const f of outputs) {
    const v = model.graph.values.get(f.name ?? '') ?? model.graph.newValue(f.name ?? '', featureType(f.type).type);
    if (!v.origin) v.origin = f;
    model.graph.outputs.push(v);
  }
}

/**
 * A model type graphlint does not look inside (tree ensembles, GLMs, text classifiers,
 * feature engineering, ...): one node whose op is the type, reading the declared inputs
 * and writing the declared outputs. Its bytes are carried untouched.
 */
function summarise(model: Model, type: string, inputs: Features, outputs: Features, file: string): void {
  const g = model.graph;
  const ins = inputs.map((f) => declareInput(model, f, file));
  const node = g.addNode({
    op: type, kind: 'unknown', name: type, inputs: ins, outputs: [], origin: { summary: type },
  });
  for (const f of outputs) {
    const name = f.name ?? '';
    // A model may pass an input straight through as an output.
    const existing = g.values.get(name);
    const v = existing ?? g.newValue(name, featureType(f.type).type);
    if (!existing) {
      v.producer = node;
      node.outputs.push(v);
    }
    v.origin ??= f;
    g.outputs.push(v);
  }
}
