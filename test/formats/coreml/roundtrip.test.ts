import { readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeSpec } from '../../../src/formats/coreml/write.js';
import { listFiles } from '../../../src/formats/coreml/write-package.js';
import { readModel, writeModel } from '../../../src/formats/index.js';
import { bytesOf, corpusModels, corpusPath, HAVE_CORPUS, tempDir } from './corpus.js';

/** Untouched round trips: every corpus model written back in its own format is byte-identical. */

const models = corpusModels();

function sameTree(a: string, b: string): void {
  const fa = listFiles(a).map((p) => relative(a, p));
  const fb = listFiles(b).map((p) => relative(b, p));
  expect(fb).toEqual(fa);
  for (const f of fa) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);
}

describe.skipIf(!HAVE_CORPUS)('Core ML corpus: untouched round trip', () => {
  it(`writes all ${models.length} corpus models back byte-identical (spec, weights, every file)`, () => {
    const dir = tempDir();
    for (const rel of models) {
      const src = corpusPath(rel);
      const out = join(dir, basename(rel));
      writeModel(readModel(src), out);
      if (statSync(src).isDirectory()) sameTree(src, out);
      else expect(readFileSync(out).equals(readFileSync(src)), rel).toBe(true);
    }
  });

  it('re-encodes every node of every model (all touched) to the original bytes', () => {
    // Touching marks every node changed, so each operation/layer is rebuilt from its
    // parts: proves the re-encoder is lossless, not just the copy path.
    for (const rel of models.filter((r) => /\.(mlmodel|mlpackage)$/.test(r))) {
      const m = readModel(corpusPath(rel));
      if (!['mlProgram', 'neuralNetwork', 'neuralNetworkClassifier'].includes(String(m.info.get('modelType')))) continue;
      if (rel.includes('control_flow_branch_loop')) continue; // edits inside NN branches are refused (see changed.test.ts)
      for (const g of m.allGraphs()) for (const n of g.nodes) n.touch();
      const spec = rel.endsWith('.mlpackage') ? join(corpusPath(rel), 'Data/com.apple.CoreML/model.mlmodel') : corpusPath(rel);
      expect(bytesOf(encodeSpec(m, undefined).pieces).equals(readFileSync(spec)), rel).toBe(true);
    }
  });
});
