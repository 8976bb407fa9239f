import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inferShapes } from '../../../src/analysis/shapes/index.js';
import { readOnnx } from '../../../src/formats/onnx/index.js';
import type { Graph } from '../../../src/ir/graph.js';
import { Tensor } from '../../../src/ir/tensor.js';
import { compareTypes, type RefType } from './compare.js';

/**
 * Agreement with ONNX's own shape inference (python3-onnx 1.12, default options) on the
 * shared corpus. The reference is recorded in fixtures/shapes/onnx-reference by
 * scripts/onnx-reference-shapes.py, which deletes every value_info first; here we drop
 * the same declared types (all node outputs except graph outputs) so both sides infer.
 * Where we know more than ONNX (shape computations ONNX only folds with data_prop=True,
 * constants in outer scopes), the value counts as "more precise", listed but not failed.
 */

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const corpus = resolve(repoRoot, '../shared/corpus/onnx');
const refDir = join(repoRoot, 'fixtures/shapes/onnx-reference');

interface Reference {
  model: string;
  graphs: Record<string, Record<string, RefType>>;
}

interface Outcome {
  model: string;
  total: number;
  agree: number;
  more: string[];
  disagree: string[];
  /** Tensor bytes inference read: shape constants only, never weights. */
  bytesRead: number;
}

function check(ref: Reference): Outcome {
  const model = readOnnx(join(corpus, ref.model));
  const graphs = new Map<string, Graph>();
  for (const g of model.allGraphs()) {
    graphs.set(g.path, g);
    const outputs = new Set(g.outputs);
    for (const n of g.nodes) for (const v of n.outputs) if (!outputs.has(v)) v.type = null;
  }
  const before = Tensor.bytesRead;
  inferShapes(model);
  const out: Outcome = { model: ref.model, total: 0, agree: 0, more: [], disagree: [], bytesRead: Tensor.bytesRead - before };
  for (const [path, values] of Object.entries(ref.graphs)) {
    const g = graphs.get(path);
    for (const [name, type] of Object.entries(values)) {
      out.total++;
      const v = g?.values.get(name);
      const { verdict, why } = compareTypes(type, v?.type ?? null);
      if (verdict === 'agree') out.agree++;
      else (verdict === 'more' ? out.more : out.disagree).push(`${path} ${name}: ${why}`);
    }
  }
  return out;
}

const refs = existsSync(refDir) ? readdirSync(refDir).filter((f) => f.endsWith('.json')).sort() : [];

if (!existsSync(corpus)) {
  describe.skip(`corpus shape inference: ${corpus} is absent, skipped`, () => {
    it('needs ../shared/corpus', () => {});
  });
} else {
  const outcomes = refs.map((f) => check(JSON.parse(readFileSync(join(refDir, f), 'utf8')) as Reference));
  const total = outcomes.reduce((a, o) => a + o.total, 0);
  const agree = outcomes.reduce((a, o) => a + o.agree, 0);
  const more = outcomes.reduce((a, o) => a + o.more.length, 0);
  describe(`corpus: ${agree + more}/${total} values ONNX infers agree (${more} of them more precise than ONNX)`, () => {
    it('has a reference for each of the 13 corpus models', () => {
      expect(refs.length).toBe(13);
    });
    for (const o of outcomes) {
      it(`${o.model}: ${o.agree + o.more.length}/${o.total} agree, ${o.more.length} more precise`, () => {
        expect(o.disagree).toEqual([]);
      });
      it(`${o.model}: reads ${o.bytesRead} bytes of tensor data (small constants only)`, () => {
        expect(o.bytesRead).toBeLessThan(16 * 1024);
      });
    }
  });
}
