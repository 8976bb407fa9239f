import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ModelError } from '../../errors.js';
import { Model } from '../../ir/model.js';
import { ByteSource } from '../wire/source.js';
import { WeightFiles } from './blob.js';
import { readCoreMLData, type CoreMLData } from './coremldata.js';
import { describedInterface, featureType, noteFlexible, readMetadata } from './features.js';
import { resolveInside } from '../paths.js';
import { fillSpec, resolveWeight } from './mlmodel.js';
import { readSmallFile } from './mlpackage.js';
import { parseMil, type MilProgramAst } from './mil-text/parser.js';
import { programToIr } from './mil-text/to-ir.js';
import type { CoremlOrigin } from './origin.js';

/**
 * .mlmodelc (a compiled model bundle) and bare model.mil files.
 *
 * From the bundle graphlint reads model.mil (the program as text), metadata.json (spec
 * version, precision, I/O schema, user metadata), coremldata.bin (the model type and the
 * ModelDescription), and weights/ lazily. Any of them may be missing: without weight
 * files the model still lints (its blob tensors are "missing"); a bundle without
 * model.mil (a compiled non-program model) is summarised from coremldata.bin.
 */

export interface CompiledInfo {
  /** The bundle directory ('' for a bare .mil file). */
  readonly dir: string;
  readonly milPath?: string;
  readonly milText?: Buffer;
  readonly program?: MilProgramAst;
  /** metadata.json's single object, when present. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly coremldata?: CoreMLData;
  /** coremldata.bin, open while the model lives (its description is copied by converters). */
  readonly coremldataSource?: ByteSource;
  readonly weights: WeightFiles;
}

/** model.mil text larger than this is refused (the biggest real ones are a few MB). */
const MAX_MIL = 256 << 20;
const MAX_METADATA = 16 << 20;

export function readMlmodelc(dir: string): Model {
  // Bundle files are read only from inside the bundle (a link may not lead elsewhere).
  const inside = (name: string): string => resolveInside(dir, name, name, dir);
  const milPath = inside('model.mil');
  const hasMil = existsSync(milPath);
  const dataPath = inside('coremldata.bin');
  const hasData = existsSync(dataPath) && statSync(dataPath).isFile();
  if (!hasMil && !hasData) throw new ModelError('compiled model has neither model.mil nor coremldata.bin', dir);
  const metadata = readMetadataJson(inside('metadata.json'));
  const weights = new WeightFiles((name) => resolveWeight(dir, name, milPath), milPath);
  const source = hasData ? ByteSource.fromFile(dataPath) : undefined;
  try {
    const coremldata = source ? readCoreMLData(source) : undefined;
    const model = new Model('mlmodelc', dir);
    const info: CompiledInfo = { dir, metadata, coremldata, coremldataSource: source, weights };
    if (hasMil) {
      Object.assign(info, readMilInto(model, milPath, weights, defaultFunction(metadata, coremldata)));
    } else if (coremldata?.spec) {
      fillSpec(model, coremldata.spec, { source: source!, file: dataPath, weights }, 0);
    } else {
      model.info.set('modelType', coremldata?.modelType ?? 'unknown');
      model.info.set('compiledBody', 'not read (no model.mil)');
    }
    describe(model, metadata, coremldata, hasMil);
    model.origin = { compiled: info } satisfies CoremlOrigin;
    return model;
  } catch (e) {
    source?.close();
    weights.close();
    throw e;
  }
}

/** A bare MIL text file (what coremlc writes as model.mil). Weights resolve beside it. */
export function readMilFile(path: string): Model {
  const weights = new WeightFiles((name) => resolveWeight(dirname(path), name, path), path);
  const model = new Model('mil', path);
  try {
    const info = readMilInto(model, path, weights, undefined);
    model.info.set('modelType', 'mlProgram');
    model.origin = { compiled: { dir: '', weights, ...info } } satisfies CoremlOrigin;
    return model;
  } catch (e) {
    weights.close();
    throw e;
  }
}

function readMilInto(model: Model, milPath: string, weights: WeightFiles, main: string | undefined): Pick<CompiledInfo, 'milPath' | 'milText' | 'program'> {
  const milText = readSmallFile(milPath, MAX_MIL, basename(milPath));
  const program = parseMil(milText.toString('utf8'), milPath);
  programToIr(model, program, { file: milPath, weights }, main);
  return { milPath, milText, program };
}

function readMetadataJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  const text = readSmallFile(path, MAX_METADATA, 'metadata.json');
  let json: unknown;
  try {
    json = JSON.parse(text.toString('utf8'));
  } catch (e) {
    throw new ModelError(`metadata.json is not valid JSON: ${(e as Error).message.replace(/\s+/g, ' ')}`, path);
  }
  const first = Array.isArray(json) ? json[0] : json;
  if (!first || typeof first !== 'object' || Array.isArray(first)) throw new ModelError('metadata.json holds no model object', path);
  return first as Record<string, unknown>;
}

function defaultFunction(meta: Record<string, unknown> | undefined, data: CoreMLData | undefined): string | undefined {
  const fromMeta = meta?.defaultFunctionName;
  if (typeof fromMeta === 'string') return fromMeta;
  return data?.description?.proto.defaultFunctionName;
}

const MODEL_TYPES: Readonly<Record<string, string>> = {
  MLModelType_mlProgram: 'mlProgram',
  MLModelType_neuralNetwork: 'neuralNetwork',
  MLModelType_neuralNetworkClassifier: 'neuralNetworkClassifier',
  MLModelType_pipeline: 'pipeline',
};

/** Summary facts from metadata.json and coremldata.bin, and the declared I/O when no program gives it. */
function describe(model: Model, meta: Record<string, unknown> | undefined, data: CoreMLData | undefined, hasMil: boolean): void {
  const str = (k: string): string | undefined => (typeof meta?.[k] === 'string' ? (meta[k] as string) : undefined);
  const spec = typeof meta?.specificationVersion === 'number' ? meta.specificationVersion : data?.specVersion;
  if (spec !== undefined && !model.info.has('specVersion')) model.info.set('specVersion', spec);
  if (spec !== undefined) model.opsets.set('coreml', spec);
  const typeName = (meta?.modelType as { name?: string } | undefined)?.name;
  if (!model.info.has('modelType')) model.info.set('modelType', (typeName && MODEL_TYPES[typeName]) || (hasMil ? 'mlProgram' : data?.modelType ?? 'unknown'));
  for (const k of ['computePrecision', 'storagePrecision']) {
    const v = str(k);
    if (v) model.info.set(k, v);
  }
  if (meta) {
    const m = model.metadata;
    if (str('shortDescription')) m.set('shortDescription', str('shortDescription')!);
    if (str('version')) m.set('versionString', str('version')!);
    if (str('author')) m.set('author', str('author')!);
    if (str('license')) m.set('license', str('license')!);
    const user = meta.userDefinedMetadata;
    if (user && typeof user === 'object') for (const [k, v] of Object.entries(user)) if (typeof v === 'string') m.set(k, v);
  } else if (data?.description) {
    readMetadata(model, data.description.proto);
  }
  const d = data?.description?.proto;
  if (d && !model.info.has('flexibleShapes')) {
    for (const f of describedInterface(d).inputs) {
      const flex = featureType(f.type).flexible;
      if (flex) noteFlexible(model, f.name ?? '', flex);
    }
  }
  // A compiled body graphlint cannot read still shows its declared inputs and outputs.
  if (!hasMil && !data?.spec && d) {
    const { inputs, outputs } = describedInterface(d);
    for (const f of inputs) {
      if (model.graph.values.has(f.name ?? '')) throw new ModelError(`input '${f.name ?? ''}' is declared twice`, model.path);
      model.graph.inputs.push(model.graph.newValue(f.name ?? '', featureType(f.type).type));
    }
    for (const f of outputs) model.graph.outputs.push(model.graph.values.get(f.name ?? '') ?? model.graph.newValue(f.name ?? '', featureType(f.type).type));
  }
}

/** True for a directory that looks like a compiled model. */
export function isCompiledDir(path: string): boolean {
  return existsSync(join(path, 'model.mil')) || existsSync(join(path, 'coremldata.bin'));
}

