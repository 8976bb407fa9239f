import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readOnnx } from '../../../src/formats/onnx/index.js';
import { encodeOnnx } from '../../../src/formats/onnx/write.js';
import type { Model } from '../../../src/ir/model.js';
import { emitterBytes } from '../../helpers/bytes.js';
import { onnxCorpus, onnxTestdata } from '../../helpers/corpus.js';
import { decodePlain } from '../../helpers/onnx-oracle.js';

/** Marks every node of every graph as edited, forcing the writer to re-encode them. */
function touchEverything(model: Model): void {
  for (const g of model.allGraphs()) for (const n of g.nodes) n.touch();
}

function roundTrip(files: string[]): { identical: number; reencodedEqual: number; failures: string[] } {
  let identical = 0;
  let reencodedEqual = 0;
  const failures: string[] = [];
  for (const file of files) {
    const original = readFileSync(file);
    const model = readOnnx(file);
    const untouched = emitterBytes(encodeOnnx(model));
    if (untouched.equals(original)) identical++;
    else failures.push(`${file}: untouched write is not byte-identical`);
    touchEverything(model);
    const rewritten = emitterBytes(encodeOnnx(model));
    if (isDeepStrictEqual(decodePlain(rewritten), decodePlain(original))) reencodedEqual++;
    else failures.push(`${file}: re-encoded model decodes differently`);
  }
  return { identical, reencodedEqual, failures };
}

const corpus = onnxCorpus();
describe.skipIf(corpus.length === 0)('ONNX corpus round trip', () => {
  it(`${corpus.length} corpus models: untouched byte-identical, fully re-encoded decode to the same ModelProto`, () => {
    const r = roundTrip(corpus);
    expect(r.failures).toEqual([]);
    expect(r.identical).toBe(corpus.length);
    expect(r.reencodedEqual).toBe(corpus.length);
  });
});

const testdata = onnxTestdata();
describe.skipIf(testdata.length === 0)('libonnx-testdata round trip', () => {
  it(`${testdata.length} node models: untouched byte-identical, fully re-encoded decode to the same ModelProto`, () => {
    const r = roundTrip(testdata);
    expect(r.failures).toEqual([]);
    expect(r.identical).toBe(testdata.length);
  });
});
