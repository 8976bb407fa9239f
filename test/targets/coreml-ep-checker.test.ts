import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NOT_COMPARABLE, REASONS } from '../../fixtures/partitions/reasons.js';
import { join } from 'node:path';
import { CORPUS, onnxCorpus } from '../helpers/corpus.js';
import { checkerRuns, DIFFERENCES_FILE, disagreements, judgeRun, runId, type Figures } from './checker-runs.js';

/**
 * --target coreml-ep against ONNX Runtime's own usability checker, on every corpus model, as is
 * and with fixed input shapes, in ML Program and NeuralNetwork modes. The checker's figures were
 * recorded from real runs (fixtures/ort-usability/coreml-checker-figures.json, with the commands
 * and fixtures/ort-usability/record.sh).
 *
 * - source `tables` reproduces the checker: the same published tables and shape rules (E11, E13)
 *   on the graph after ONNX Runtime's basic optimizations. It must match every run exactly.
 * - source `builders` (the default) predicts the real provider. Where it differs from the checker
 *   the run is listed in fixtures/partitions/coreml-ep-known-differences.json with graphlint's
 *   and the checker's figures and the node-level reasons, each explained in
 *   fixtures/partitions/reasons.ts.
 */
const corpusPresent = onnxCorpus().length > 0;
const runs = corpusPresent ? checkerRuns() : [];
const fixture = JSON.parse(readFileSync(DIFFERENCES_FILE, 'utf8')) as {
  differences: Array<{ model: string; run: string; mode: string; graphlint: Figures; checker: Figures; nodes: Record<string, number> }>;
};
const known = new Map(fixture.differences.map((d) => [runId(d as never), d]));

describe.skipIf(!corpusPresent)('coreml-ep vs ONNX Runtime usability checker', () => {
  it('covers every corpus model (as listed in the corpus MANIFEST), both runs and both modes', () => {
    const manifest = readFileSync(join(CORPUS, 'onnx', 'MANIFEST.md'), 'utf8');
    const listed = new Set([...manifest.matchAll(/^\| `([^`]+\.onnx)` \|/gm)].map((m) => m[1]!));
    expect(listed.size).toBeGreaterThan(0);
    expect(new Set(runs.map((r) => r.model))).toEqual(listed);
    expect(runs.length).toBe(listed.size * 4);
  });

  describe('tables (the checker\'s rules): exact match', () => {
    it.each(runs.map((r) => [runId(r), r] as const))('%s', (_, run) => {
      if ('error' in run.checker) {
        expect(NOT_COMPARABLE.some((x) => x.model === run.model && x.run === run.run)).toBe(true);
        return;
      }
      expect(judgeRun(run, 'tables').figures).toEqual(run.checker);
    });
  });

  describe('builders (the real provider): equal, or a listed difference with its reasons', () => {
    it.each(runs.filter((r) => !('error' in r.checker)).map((r) => [runId(r), r] as const))('%s', (id, run) => {
      const ours = judgeRun(run, 'builders').figures;
      const listed = known.get(id);
      if (!listed) {
        expect(ours).toEqual(run.checker);
        return;
      }
      expect(listed.checker).toEqual(run.checker);
      expect(ours).toEqual(listed.graphlint);
      const why = disagreements(run);
      expect(why).toEqual(listed.nodes);
      for (const reason of Object.keys(why)) expect(REASONS[reason], `no explanation for ${reason}`).toBeDefined();
    });

    it('lists no difference that no longer occurs', () => {
      for (const id of known.keys()) expect(runs.some((r) => runId(r) === id)).toBe(true);
    });
  });
});
