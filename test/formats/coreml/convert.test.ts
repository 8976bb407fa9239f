import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codec } from '../../../src/formats/coreml/schema.js';
import { readModel, writeModel } from '../../../src/formats/index.js';
import type { Node } from '../../../src/ir/graph.js';
import type { Model } from '../../../src/ir/model.js';
import { corpusModels, corpusPath, HAVE_CORPUS, tempDir } from './corpus.js';

/** Conversions: compiled → package, .mlmodel ⇄ .mlpackage. */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function decodeSpec(path: string): Json {
  const M = codec('Model');
  return M.toObject(M.decode(readFileSync(path)), { longs: Number, bytes: String }) as Json;
}

/** An operation as the proto says it: type, inputs (map), outputs, attributes (map). Map order is not meaning. */
function opsOf(spec: Json): Json[] {
  const fn = spec.mlProgram.functions.main;
  return fn.block_specializations[fn.opset].operations.map((o: Json) => ({
    type: o.type,
    inputs: sortKeys(o.inputs ?? {}),
    outputs: o.outputs,
    attributes: sortKeys(o.attributes ?? {}),
  }));
}

function sortKeys(o: Json): Json {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

const textModels = corpusModels().filter((r) => (r.endsWith('.mlmodelc') && existsSync(join(corpusPath(r), 'model.mil'))) || r.endsWith('.mil'));

function signature(m: Model): string[] {
  const out: string[] = [];
  for (const g of [m.graph, ...m.functions]) {
    for (const n of g.nodes) out.push(`${n.op}(${(n.inputNames ?? []).join(',')}) -> ${n.outputs.map((v) => `${v.name}:${JSON.stringify(v.type)}`).join(',')}`);
  }
  return out;
}

describe.skipIf(!HAVE_CORPUS)('Core ML: compiled model → .mlpackage', () => {
  it(`converts all ${textModels.length} corpus models with model.mil text into packages with the same program`, () => {
    const dir = tempDir();
    for (const rel of textModels) {
      const m = readModel(corpusPath(rel));
      const out = join(dir, `${basename(rel).replace(/\.[a-z]+$/, '')}.mlpackage`);
      writeModel(m, out);
      const back = readModel(out);
      expect(back.format).toBe('mlpackage');
      expect(signature(back), rel).toEqual(signature(m));
      expect(back.info.get('opset')).toBe(m.info.get('opset'));
      // Weights come along (same BLOBFILE offsets), when the bundle had them.
      const weights = join(corpusPath(rel), 'weights');
      if (existsSync(weights)) expect(existsSync(join(out, 'Data/com.apple.CoreML/weights'))).toBe(true);
    }
  });

  it('turns the compiled parakeet encoder into the ML Program of the real package: same ops, order, types, attributes', () => {
    const real = corpusPath('real/partial/parakeet_eou_1280ms_streaming_encoder.mlpackage');
    const out = join(tempDir(), 'encoder.mlpackage');
    writeModel(readModel(corpusPath('real/partial/parakeet_eou_1280ms_streaming_encoder.mlmodelc')), out);
    const mine = decodeSpec(join(out, 'Data/com.apple.CoreML/model.mlmodel'));
    const theirs = decodeSpec(join(real, 'Data/com.apple.CoreML/model.mlmodel'));
    const a = opsOf(mine);
    const b = opsOf(theirs);
    expect(a.length).toBe(2971);
    expect(a.map((o) => o.type)).toEqual(b.map((o) => o.type));
    for (let i = 0; i < a.length; i++) expect(a[i], `operation ${i} (${b[i]!.type})`).toEqual(b[i]);
    expect(mine.specificationVersion).toBe(theirs.specificationVersion);
    expect(mine.description).toEqual(theirs.description);
    const fn = (s: Json): Json => s.mlProgram.functions.main;
    expect(fn(mine).inputs).toEqual(fn(theirs).inputs);
    expect(fn(mine).opset).toBe('CoreML7');
    expect(fn(mine).block_specializations.CoreML7.outputs).toEqual(fn(theirs).block_specializations.CoreML7.outputs);
  });

  it('writes a bundle\'s program text as .mil, and refuses to invent a bundle from bare text', () => {
    const bundle = corpusPath('real/compiled/Argmax.mlmodelc');
    const mil = join(tempDir(), 'argmax.mil');
    writeModel(readModel(bundle), mil);
    expect(readFileSync(mil).equals(readFileSync(join(bundle, 'model.mil')))).toBe(true);
    expect(() => writeModel(readModel(mil), join(tempDir(), 'argmax.mlmodelc'))).toThrow(/does not compile/);
  });

  it('refuses to make a single-file .mlmodel of a program whose weights live in files', () => {
    const m = readModel(corpusPath('real/partial/parakeet_eou_1280ms_decoder.mlmodelc'));
    expect(() => writeModel(m, join(tempDir(), 'd.mlmodel'))).toThrow(/\.mlpackage/);
  });
});

describe.skipIf(!HAVE_CORPUS)('Core ML: .mlmodel ⇄ .mlpackage', () => {
  const specs = corpusModels().filter((r) => r.endsWith('.mlmodel'));

  it(`puts all ${specs.length} corpus .mlmodel files into packages with the spec inside, byte for byte`, () => {
    const dir = tempDir();
    for (const rel of specs) {
      const out = join(dir, `${basename(rel, '.mlmodel')}.mlpackage`);
      writeModel(readModel(corpusPath(rel)), out);
      expect(readFileSync(join(out, 'Data/com.apple.CoreML/model.mlmodel')).equals(readFileSync(corpusPath(rel))), rel).toBe(true);
      const manifest = JSON.parse(readFileSync(join(out, 'Manifest.json'), 'utf8'));
      expect(manifest.itemInfoEntries[manifest.rootModelIdentifier].path).toBe('com.apple.CoreML/model.mlmodel');
      expect(readModel(out).info.get('modelType')).toBe(readModel(corpusPath(rel)).info.get('modelType'));
    }
  });

  it('takes an ML Program without weight files out of its package and back', () => {
    const dir = tempDir();
    for (const rel of ['converted/stateful_accumulator_ios18.mlpackage', 'converted/control_flow_cond_while_ios17.mlpackage']) {
      const spec = join(corpusPath(rel), 'Data/com.apple.CoreML/model.mlmodel');
      const single = join(dir, `${basename(rel, '.mlpackage')}.mlmodel`);
      writeModel(readModel(corpusPath(rel)), single);
      expect(readFileSync(single).equals(readFileSync(spec))).toBe(true);
      const again = join(dir, `${basename(rel)}`);
      writeModel(readModel(single), again);
      expect(readFileSync(join(again, 'Data/com.apple.CoreML/model.mlmodel')).equals(readFileSync(spec))).toBe(true);
      const nested = (m: Model): Node[] => [...m.nodes()];
      expect(nested(readModel(again)).length).toBe(nested(readModel(corpusPath(rel))).length);
    }
  });
});
