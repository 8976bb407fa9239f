import type { Model as ModelProto, Pipeline } from '../../../proto/coreml.schema.js';
import { WriteError } from '../../errors.js';
import type { Model } from '../../ir/model.js';
import type { Decoded } from '../wire/decoded.js';
import { Emitter } from '../wire/encode.js';
import type { ByteSource } from '../wire/source.js';
import type { BlobSink } from './mil-encode.js';
import { modelType } from './mlmodel.js';
import { coremlOrigin } from './origin.js';
import { fieldNumber, MODEL, PIPELINE } from './schema.js';
import { encodeNetwork } from './write-nn.js';
import { ProgramWriter } from './write-program.js';

/**
 * A Core ML Model message for `model`, from the spec it was read from. An untouched
 * model is its original bytes; otherwise every field but the changed model body is
 * copied, and the body is re-encoded as little as possible (see write-program.ts and
 * write-nn.ts). `sink` places new large constants in a weight file (packages only).
 */
export function encodeSpec(model: Model, sink: BlobSink | undefined): Emitter {
  const spec = coremlOrigin(model).spec;
  if (!spec) throw new WriteError('graphlint can only write Core ML specs it has read (or converted from model.mil)');
  const { source, proto } = spec;
  if (!modelChanged(model)) return new Emitter().copy(source, proto.$span.start, proto.$span.end);
  const type = modelType(proto);
  if (!type) throw new WriteError('editing a model of a type this version of graphlint does not know is not supported');
  const typeField = fieldNumber(MODEL, type);
  const out = new Emitter();
  for (const e of proto.$entries ?? []) {
    if (e.field !== typeField) {
      out.copy(source, e.start, e.end);
      continue;
    }
    out.message(typeField, encodeBody(model, proto, type, source, sink));
  }
  return out;
}

function encodeBody(model: Model, proto: Decoded<ModelProto>, type: string, source: ByteSource, sink: BlobSink | undefined): Emitter {
  const rec = proto as unknown as Record<string, Decoded<unknown>>;
  switch (type) {
    case 'mlProgram':
      return new ProgramWriter(source, sink).program(model, proto.mlProgram!);
    case 'neuralNetwork': case 'neuralNetworkClassifier': case 'neuralNetworkRegressor':
      return encodeNetwork(model.graph, source);
    case 'pipeline':
      return encodePipeline(model, proto.pipeline!, source, sink);
    case 'pipelineClassifier': case 'pipelineRegressor': {
      // The wrapper holds the pipeline in field 1 and may carry other fields.
      const wrapper = rec[type] as Decoded<{ pipeline?: Decoded<Pipeline> }>;
      const out = new Emitter();
      for (const e of wrapper.$entries ?? []) {
        if (e.field === 1 && wrapper.pipeline) out.message(1, encodePipeline(model, wrapper.pipeline, source, sink));
        else out.copy(source, e.start, e.end);
      }
      return out;
    }
    default:
      throw new WriteError(`editing a model of type ${type} is not supported`);
  }
}

function encodePipeline(model: Model, pipeline: Decoded<Pipeline>, source: ByteSource, sink: BlobSink | undefined): Emitter {
  const models = fieldNumber(PIPELINE, 'models');
  const out = new Emitter();
  let i = 0;
  for (const e of pipeline.$entries ?? []) {
    if (e.field !== models) {
      out.copy(source, e.start, e.end);
      continue;
    }
    const sub = model.submodels[i++];
    if (!sub) throw new WriteError('removing pipeline stages is not supported');
    if (modelChanged(sub)) out.message(models, encodeSpec(sub, sink));
    else out.copy(source, e.start, e.end);
  }
  return out;
}

export function modelChanged(model: Model): boolean {
  return model.graph.changed || model.functions.some((g) => g.changed) || model.submodels.some(modelChanged);
}
