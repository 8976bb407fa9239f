import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODEL as COREML_MODEL } from '../../src/formats/coreml/schema.js';
import { lintFile } from '../../src/engine/lint-file.js';
import { MODEL as ONNX_MODEL } from '../../src/formats/onnx/schema.js';
import { RULES } from '../../rules/index.js';
import { materialize, makeOutside, type CaseSpec } from './cases.js';
import { formatFailures, formatStats, realFailures, REPO_ROOT, runFuzz, selfTest } from './driver.js';
import { parseTree, serialize } from './protobuf.js';
import { builtCoremlSeeds, builtOnnxSeeds, corpusSeeds, FORMATS, type Seed } from './seeds.js';

/**
 * The bounded fuzz suite of `npm test`: a few thousand seeded cases through the real
 * pipeline (compiled, in dist/), each in a child process with a time bound and a memory
 * watch. The long runs are `npm run fuzz -- --count N` (see test/fuzz/cli.ts).
 */

const DIST = join(REPO_ROOT, 'dist');
const CORPUS = resolve(REPO_ROOT, '..', 'shared', 'corpus');
/** Cases per format: 5 formats × 700 = 3500 cases, ~25 s alone on two cores. */
const CASES = 700;
const SEED = 20250601;

function needDist(): void {
  if (!existsSync(join(DIST, 'rules', 'index.js'))) throw new Error(`${DIST} is missing: run 'npm run build' (npm test does)`);
}

const built: Seed[] = [...builtOnnxSeeds(), ...builtCoremlSeeds()];
const temps: string[] = [];
afterAll(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('fuzz harness', () => {
  it('catches a hang, a memory bomb, a crash and an escape (its own checks work)', async () => {
    needDist();
    expect(await selfTest(DIST)).toEqual({ hang: 'hang', memory: 'memory', crash: 'crash', escape: 'escape' });
  }, 60_000);

  it('parses and re-serializes every built protobuf seed byte for byte', () => {
    for (const s of built) {
      const f = s.files.find((x) => x.rel === s.entry && /\.(onnx|mlmodel)$/.test(x.rel));
      if (!f) continue;
      const tree = parseTree(f.data, s.format === 'onnx' ? ONNX_MODEL : COREML_MODEL);
      expect(tree, s.name).not.toBeNull();
      expect(Buffer.from(serialize(tree!)).equals(Buffer.from(f.data)), s.name).toBe(true);
    }
  });

  it('starts from seeds that read and lint cleanly (so mutations reach deep code)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'graphlint-fuzz-seeds-'));
    temps.push(dir);
    makeOutside(join(dir, 'outside'));
    for (const [i, s] of built.entries()) {
      const spec: CaseSpec = {
        id: s.name, runSeed: 0, format: s.format, index: i, seed: s.name, entry: s.entry, notes: [], convert: null, fix: null,
        target: 'ane', size: s.size, files: s.files.map((f) => ({ rel: f.rel, kind: 'file', data: f.data })),
      };
      const caseDir = join(dir, `s${i}`);
      mkdirSync(caseDir);
      materialize(spec, caseDir, join(dir, 'outside'));
      const { result } = lintFile(join(caseDir, s.entry), { rules: RULES, target: 'ane', partitions: true });
      expect(result.fatal, `${s.name}: ${result.fatal?.message}`).toBeNull();
    }
  });
});

describe('fuzz (bounded)', () => {
  it(`${CASES} cases per format end in exit 0, 1 or 2: no crash, hang, memory growth or escape`, async () => {
    needDist();
    const corpus = corpusSeeds(CORPUS, 1_500_000);
    if (corpus.length === 0) console.warn(`SKIPPED corpus seeds: ${CORPUS} not found; fuzzing built seeds only`);
    const started = Date.now();
    const stats = await runFuzz({
      formats: FORMATS, count: CASES, seed: SEED, seeds: [...built, ...corpus], distRoot: DIST, workers: 1, timeoutMs: 20_000,
    });
    console.log(`fuzz seed ${SEED}, ${Math.round((Date.now() - started) / 1000)} s\n${formatStats(stats.values())}`);
    const failures = formatFailures(stats.values());
    for (const s of stats.values()) {
      expect(s.cases).toBe(CASES);
      expect(s.ok + s.lintError + s.fatal + s.crashes + s.hangs).toBe(CASES);
      expect(realFailures(s), `${s.format} (replay: npm run fuzz -- --format ${s.format} --seed ${SEED} --case N)\n${failures}`).toEqual([]);
      // Every format reaches the whole pipeline in a good share of cases, not only the readers' first checks.
      expect(s.ok + s.lintError, s.format).toBeGreaterThan(CASES / 10);
      // And the writers: models that read are converted in a share of cases (none were, unseen,
      // while the worker took its model from the lint, which had given it up).
      expect(s.converted, s.format).toBeGreaterThan(CASES / 50);
    }
  }, 170_000);
});
