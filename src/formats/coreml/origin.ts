import type { Model as ModelProto } from '../../../proto/coreml.schema.js';
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
