import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../rules/index.js';
import { inferShapes } from '../../src/analysis/shapes/index.js';
import { fixModel } from '../../src/engine/fix-loop.js';
import { lintModel } from '../../src/engine/lint-file.js';
import { readModel } from '../../src/formats/index.js';
import type { Dim } from '../../src/ir/shape.js';
import { planPartitions } from '../../src/targets/plan.js';
import { onnxCorpus } from '../helpers/corpus.js';
import { tempDir } from '../helpers/tmp.js';
import { fixFile, HAVE_CHECKER, HAVE_ORT, onnxChecker, remainingFixable, verify } from './helpers/fix.js';

/**
 * Issue 6, done means: on every ONNX corpus model where a safe rule fires, `--fix` gives a model
 * that passes ONNX's checker, runs in onnxruntime-node with outputs within 1e-4 (relative) of the
 * original on seeded random inputs, does not change under a second --fix, and lints with no
 * fixable finding of those rules left.
 */

const SAFE = ['linear-to-conv', 'slice-fan-out', 'explicit-pad', 'dynamic-reshape'];

/** Input shapes where the model's own are symbolic and a 1 would not run (silero needs a 512-sample chunk). */
const SHAPES: Record<string, Record<string, Dim[]>> = {
  'silero_vad_v4.onnx': { input: [1, 512], h: [2, 1, 64], c: [2, 1, 64] },
  'silero_vad_v5.onnx': { input: [1, 512], state: [2, 1, 128] },
  'silero_vad_v6_16k_op15.onnx': { input: [1, 512], state: [2, 1, 128] },
};

const rows: string[] = [];

describe('--fix on the ONNX corpus (issue 6)', () => {
  for (const file of onnxCorpus()) {
    const name = basename(file);
    const shapes = SHAPES[name] ? new Map(Object.entries(SHAPES[name]!)) : undefined;
    it(`${name}: fixed, checked, verified, stable`, async () => {
      const firing = lintModel(readModel(file), file, { rules: RULES, target: 'ane', ...(shapes ? { inputShapes: shapes } : {}) })
        .diagnostics.filter((d) => d.fixable && SAFE.includes(d.ruleId));
      if (firing.length === 0) {
        rows.push(`| ${name} | (no safe rule fires) | | | | |`);
        return;
      }
      const before = readModel(file);
      inferShapes(before, shapes ? { inputShapes: shapes } : {});
      const pBefore = planPartitions(before, 'ane');
      const f = fixFile(file, join(tempDir(), name), { ...(shapes ? { inputShapes: shapes } : {}) });
      expect(f.outcome.failed, JSON.stringify(f.outcome.failed)).toEqual([]);
      expect(f.outcome.changed).toBe(true);
      const checker = HAVE_CHECKER ? onnxChecker(f.fixed) : 'skipped';
      if (HAVE_CHECKER) expect(checker).toBeUndefined();
      let diff = 'skipped';
      if (HAVE_ORT) {
        const v = await verify(f, shapes);
        expect(v.maxRelDiff, `max abs ${v.maxAbsDiff}`).toBeLessThanOrEqual(1e-4);
        diff = `${v.maxAbsDiff.toExponential(1)} / ${v.maxRelDiff.toExponential(1)}`;
      }
      const again = fixModel(readModel(f.fixed), { rules: RULES, target: 'ane', ...(shapes ? { inputShapes: shapes } : {}) });
      expect(again.applied).toEqual([]);
      expect(remainingFixable(f.fixed, SAFE, 'ane', shapes)).toEqual([]);
      const pAfter = planPartitions(f.model, 'ane');
      const counts = new Map<string, number>();
      for (const a of f.outcome.applied) counts.set(a.ruleId, (counts.get(a.ruleId) ?? 0) + 1);
      rows.push(`| ${name} | ${[...counts].map(([k, n]) => `${k} ×${n}`).join(', ')} | ${f.outcome.nodesBefore} → ${f.outcome.nodesAfter} | ${pBefore.count} → ${pAfter.count} (${pBefore.supported}/${pBefore.nodes} → ${pAfter.supported}/${pAfter.nodes}) | ${diff} | ${checker ?? 'ok'} |`);
    });
  }

  it('prints the table', () => {
    if (rows.length > 0) console.log(['| model | fixed | nodes | ane partitions (on ANE) | max abs / rel diff | checker |', '|---|---|---|---|---|---|', ...rows].join('\n'));
  });
});
