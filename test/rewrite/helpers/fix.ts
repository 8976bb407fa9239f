import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { RULES } from '../../../rules/index.js';
import { inferShapes } from '../../../src/analysis/shapes/index.js';
import { fixModel, type FixOptions, type FixOutcome } from '../../../src/engine/fix-loop.js';
import { lintModel } from '../../../src/engine/lint-file.js';
import type { TargetId } from '../../../src/engine/rule.js';
import { readModel } from '../../../src/formats/index.js';
import { writeOnnx } from '../../../src/formats/onnx/index.js';
import type { Model } from '../../../src/ir/model.js';
import type { Dim } from '../../../src/ir/shape.js';
import { compareOnnx, type VerifyResult } from '../../../src/rewrite/numeric.js';
import { tempDir } from '../../helpers/tmp.js';

/** onnxruntime-node (a dev dependency): the numeric checks need it; without it they skip, visibly. */
export const HAVE_ORT = ((): boolean => {
  try {
    createRequire(import.meta.url)('onnxruntime-node');
    return true;
  } catch {
    console.warn('SKIPPED: onnxruntime-node is not installed (ONNXRUNTIME_NODE_INSTALL=skip npm install -D onnxruntime-node); numeric checks of rewrites skip');
    return false;
  }
})();

const PYTHON = '/usr/bin/python3';

/** ONNX's own checker through Debian's python3-onnx; visibly skipped when it is missing. */
export const HAVE_CHECKER = ((): boolean => {
  const ok = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;
  if (!ok) console.warn(`SKIPPED: ${PYTHON} with the onnx package (Debian python3-onnx) is missing; ONNX checker runs skip`);
  return ok;
})();

/** onnx.checker.check_model(onnx.load(path), full_check=True): undefined when it passes, else its complaint. */
export function onnxChecker(path: string): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', path], { encoding: 'utf8' });
  if (r.status === 0) return undefined;
  const why = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
  // Debian's onnx 1.12 knows IR versions up to 8 (opset 17): newer models cannot be checked by it.
  if (/ir_version is higher than the checker's/.test(why)) {
    console.warn(`SKIPPED: ONNX checker for ${path}: its IR version is newer than the installed onnx package knows`);
    return undefined;
  }
  return why;
}

export interface Fixed {
  readonly outcome: FixOutcome;
  readonly original: string;
  readonly fixed: string;
  readonly model: Model;
}

/** Writes `built` (an in-memory ONNX model), reads it back, fixes it and writes the result. */
export function fixBuilt(built: Model, options: Partial<FixOptions> = {}): Fixed {
  // Graph outputs declared with their inferred shapes, as exporters write them (ONNX's checker wants them).
  inferShapes(built);
  const dir = tempDir();
  const original = join(dir, 'original.onnx');
  writeOnnx(built, original);
  return fixFile(original, join(dir, 'fixed.onnx'), options);
}

export function fixFile(original: string, fixed: string, options: Partial<FixOptions> = {}): Fixed {
  const model = readModel(original);
  const outcome = fixModel(model, { rules: RULES, target: 'ane', ...options });
  writeOnnx(model, fixed);
  return { outcome, original, fixed, model };
}

export async function verify(f: Fixed, inputShapes?: ReadonlyMap<string, readonly Dim[]>): Promise<VerifyResult> {
  return compareOnnx(f.original, f.fixed, f.model, inputShapes ? { inputShapes } : {});
}

/** Fixable findings of the given rules that remain after re-reading `path`. */
export function remainingFixable(path: string, ruleIds: readonly string[], target: TargetId = 'ane', inputShapes?: ReadonlyMap<string, readonly Dim[]>): string[] {
  const r = lintModel(readModel(path), path, { rules: RULES, target, ...(inputShapes ? { inputShapes } : {}) });
  return r.diagnostics.filter((d) => d.fixable && ruleIds.includes(d.ruleId)).map((d) => `${d.ruleId} ${d.nodes[0]}`);
}

/** Ops of the main graph, in order. */
export function ops(m: Model): string[] {
  return m.graph.nodes.map((n) => n.op);
}

export function seeded(n: number, seed: number, scale = 0.5): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 4294967296 - 0.5) * 2 * scale;
  });
}
