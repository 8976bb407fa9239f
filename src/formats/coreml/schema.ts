import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs';
import { descriptor, PACKAGE } from '../../../proto/coreml.schema.js';
import { buildSchemas, type MessageSchema } from '../wire/schema.js';

/** The Core ML schema as the decoder uses it, built once from proto/coreml.proto. */
const schemas = buildSchemas(descriptor as never, PACKAGE);

export function schema(name: string): MessageSchema {
  const s = schemas.get(name);
  if (!s) throw new Error(`invariant: Core ML schema has no message ${name}`);
  return s;
}

/**
 * protobufjs types for encoding small messages that have no original bytes. Loaded on first
 * use: reading and linting never encode, and should not pay for loading protobufjs.
 */
let codecs: Protobuf.Root | undefined;

export function codec(name: string): Protobuf.Type {
  if (!codecs) {
    const protobuf = createRequire(import.meta.url)('protobufjs') as typeof Protobuf;
    codecs = protobuf.Root.fromJSON(descriptor as Protobuf.INamespace);
  }
  return codecs.lookupType(`${PACKAGE}.${name}`);
}

export const MODEL = schema('Model');
export const DESCRIPTION = schema('ModelDescription');
export const NEURAL_NETWORK = schema('NeuralNetwork');
export const LAYER = schema('NeuralNetworkLayer');
export const PROGRAM = schema('Program');
export const FUNCTION = schema('Function');
export const BLOCK = schema('Block');
export const OPERATION = schema('Operation');
export const PIPELINE = schema('Pipeline');
export const PIPELINE_WRAPPER = schema('PipelineWrapper');

/**
 * A Model.specificationVersion readers take (graphlint's among them): the field is an int32,
 * and a model without a version (0) is not a Core ML model.
 */
export function isSpecificationVersion(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 2147483647;
}

/** Field number of `name` in `s` (the writer spells fields by name, never by number). */
export function fieldNumber(s: MessageSchema, name: string): number {
  const f = s.byName.get(name);
  if (!f) throw new Error(`invariant: ${s.name} has no field ${name}`);
  return f.number;
}

// The writer replays the field order of these messages when it re-encodes them, and
// copies untouched map entries (op inputs and attributes) by their recorded spans.
for (const s of [MODEL, PROGRAM, FUNCTION, BLOCK, OPERATION, NEURAL_NETWORK, LAYER, PIPELINE, PIPELINE_WRAPPER]) s.keepEntries = true;
