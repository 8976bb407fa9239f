import type { Model as ModelProto, ModelDescription } from '../../../proto/coreml.schema.js';
import { ModelError } from '../../errors.js';
import type { Decoded } from '../wire/decoded.js';
import { WireDecoder } from '../wire/decode.js';
import type { ByteSource } from '../wire/source.js';
import { DESCRIPTION, isSpecificationVersion, MODEL } from './schema.js';

/**
 * coremldata.bin, the binary header of a compiled model. What graphlint reads of it:
 *
 *   0x00  u32  the Model.Type field number of the model (502 = mlProgram, 2000 = textClassifier, ...)
 *   0x1C  u64  length L of a tag naming the payload, then the tag at 0x24 (`generic`, `spec`)
 *   0x24+L u64 the specification version
 *   `generic`: at 0x24+L+32 a u64 length N, then N bytes of ModelDescription protobuf
 *              (followed by a 16-byte record per function, not read)
 *   `spec`:    from 0x24+L+32 to the end, a whole Model protobuf
 * Anything else is reported by its type only.
 */

export interface CoreMLData {
  /** Model.Type field number, and its name in our schema when known. */
  readonly typeTag: number;
  readonly modelType: string;
  readonly payloadKind: string;
  readonly specVersion: number;
  /** The ModelDescription bytes (generic payload), as a span of the file. */
  readonly description?: { readonly start: number; readonly end: number; readonly proto: Decoded<ModelDescription> };
  /** The whole Model message (spec payload). */
  readonly spec?: Decoded<ModelProto>;
}

export function readCoreMLData(source: ByteSource): CoreMLData {
  const file = source.name;
  const fail = (what: string): never => {
    throw new ModelError(`coremldata.bin: ${what}`, file);
  };
  if (source.size < 0x2c) fail(`${source.size} bytes is too short for its header`);
  const head = source.read(0, 0x24);
  const typeTag = head.readUInt32LE(0);
  const tagLen = Number(head.readBigUInt64LE(0x1c));
  if (tagLen > 32) fail(`payload tag of ${tagLen} bytes`);
  const afterTag = 0x24 + tagLen;
  if (afterTag + 8 > source.size) fail('header is cut off');
  const payloadKind = source.read(0x24, tagLen).toString('latin1');
  const specVersion = Number(source.read(afterTag, 8).readBigUInt64LE(0));
  // 0 is "none" here (metadata.json may say); anything else must be one a Model can hold.
  if (specVersion !== 0 && !isSpecificationVersion(specVersion)) fail(`specification version ${specVersion} is not a 32-bit integer`);
  const modelType = MODEL.fields.get(typeTag)?.name ?? `type ${typeTag}`;
  const base = { typeTag, modelType, payloadKind, specVersion };
  if (payloadKind === 'generic') {
    if (afterTag + 40 > source.size) fail('description length is cut off');
    const len = Number(source.read(afterTag + 32, 8).readBigUInt64LE(0));
    const start = afterTag + 40;
    if (!Number.isSafeInteger(len) || len > source.size - start) fail(`description of ${len} bytes runs past the end of the file`);
    const proto = new WireDecoder(source).decode<ModelDescription>(DESCRIPTION, start, start + len);
    return { ...base, description: { start, end: start + len, proto } };
  }
  if (payloadKind === 'spec') {
    const start = afterTag + 32;
    if (start > source.size) fail('model specification is cut off');
    return { ...base, spec: new WireDecoder(source).decode<ModelProto>(MODEL, start, source.size) };
  }
  return base;
}
