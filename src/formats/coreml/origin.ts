import type { Model as ModelProto } from '../../../proto/coreml.schema.js';
import { extname } from 'node:path';
import { WriteError } from '../../errors.js';
import type { Model } from '../../ir/model.js';
import type { Decoded } from '../wire/decoded.js';
import type { ByteSource } from '../wire/source.js';
import type { WeightFiles } from './blob.js';
import type { CompiledInfo } from './mlmodelc.js';
import type { PackageInfo } from './mlpackage.js';

/** The reader's handles on a Core ML model, for lossless writing (Model.origin). */
export interface CoremlOrigin {
  /** The Model message and the bytes it was decoded from (.mlmodel, or the package's spec). */
  readonly spec?: SpecOrigin;
  /** The package around the spec (.mlpackage). */
  readonly package?: PackageInfo;
  /** A compiled bundle or bare model.mil (no Model message). */
  readonly compiled?: CompiledInfo;
}

export interface SpecOrigin {
  readonly source: ByteSource;
  readonly proto: Decoded<ModelProto>;
  readonly weights: WeightFiles;
}

export function coremlOrigin(model: Model): CoremlOrigin {
  return (model.origin ?? {}) as CoremlOrigin;
}

/** Closes the files a Core ML model (and its pipeline's models) holds open; see releaseModel. */
export function releaseCoreml(model: Model): void {
  const o = coremlOrigin(model);
  o.spec?.source.close();
  o.spec?.weights.close();
  o.compiled?.coremldataSource?.close();
  o.compiled?.weights.close();
  for (const s of model.submodels) releaseCoreml(s);
}

/** Refuses to write an ONNX model in a Core ML format (there is no converter between the two). */
export function refuseOnnx(model: Model, path: string): void {
  if (model.format === 'onnx') {
    throw new WriteError(`an ONNX model cannot be written as Core ML (${extname(path) || path}); graphlint does not convert between ONNX and Core ML`);
  }
}
