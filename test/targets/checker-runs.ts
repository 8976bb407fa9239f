import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inferShapes } from '../../src/analysis/shapes/index.js';
import { readModel } from '../../src/formats/index.js';
import type { Dim } from '../../src/ir/shape.js';
import type { CoremlFormat } from '../../src/targets/coreml-ep-ops.js';
import { judgeCoremlEp, type CoremlEpJudgement, type CoremlEpSource } from '../../src/targets/coreml-ep.js';
import { partition } from '../../src/targets/partition.js';
import { CORPUS, REPO_ROOT } from '../helpers/corpus.js';

/**
 * The runs of ONNX Runtime's usability checker recorded in
 * fixtures/ort-usability/coreml-checker-figures.json (model × as-is/fixed shapes × ML Program /
 * NeuralNetwork), and graphlint's figures for the same run. Shared by the tests and by
 * fixtures/partitions/record-differences.ts.
 */
export const FIGURES_FILE = join(REPO_ROOT, 'fixtures', 'ort-usability', 'coreml-checker-figures.json');
export const DIFFERENCES_FILE = join(REPO_ROOT, 'fixtures', 'partitions', 'coreml-ep-known-differences.json');

export type RunKind = 'as_is' | 'fixed_shapes';

export interface Figures {
  readonly partitions: number;
  readonly supported: number;
  readonly nodes: number;
}

export interface CheckerRun {
  readonly model: string;
  readonly run: RunKind;
  readonly mode: CoremlFormat;
  /** The checker's figures, or its error when it did not run. */
  readonly checker: Figures | { readonly error: string };
  /** --input-shape values for a fixed-shapes run. */
  readonly inputShapes: ReadonlyMap<string, readonly Dim[]> | undefined;
}

interface FigureEntry { partitions: number; supported: number; nodes: number; error?: string }

export function checkerRuns(): CheckerRun[] {
  const figs = JSON.parse(readFileSync(FIGURES_FILE, 'utf8')) as {
    models: Record<string, Record<RunKind, Record<CoremlFormat, FigureEntry> & { fixed_inputs?: string[]; input_shapes?: Record<string, Dim[]> }>>;
  };
  const out: CheckerRun[] = [];
  for (const [model, entry] of Object.entries(figs.models)) {
    for (const run of ['as_is', 'fixed_shapes'] as const) {
      const r = entry[run];
      const inputShapes = run === 'fixed_shapes' && r.fixed_inputs
        ? new Map(r.fixed_inputs.map((k) => [k, r.input_shapes![k]!] as const))
        : undefined;
      for (const mode of ['mlprogram', 'neuralnetwork'] as const) {
        const c = r[mode];
        out.push({
          model, run, mode, inputShapes,
          checker: c.error !== undefined ? { error: c.error } : { partitions: c.partitions, supported: c.supported, nodes: c.nodes },
        });
      }
    }
  }
  return out;
}

export function judgeRun(run: CheckerRun, source: CoremlEpSource): { judgement: CoremlEpJudgement; figures: Figures } {
  const model = readModel(join(CORPUS, 'onnx', run.model));
  inferShapes(model, run.inputShapes ? { inputShapes: run.inputShapes } : {});
  const judgement = judgeCoremlEp(model, { format: run.mode, source });
  const plan = partition(judgement);
  return { judgement, figures: { partitions: plan.count, supported: plan.supported, nodes: plan.nodes } };
}

/**
 * Why builders-mode and tables-mode verdicts differ, node by node: `provider-refuses:<code>` when
 * the builders refuse what the checker claims, `checker-refuses:<code>` the other way round.
 */
export function disagreements(run: CheckerRun): Record<string, number> {
  const builders = judgeRun(run, 'builders').judgement;
  const tables = judgeRun(run, 'tables').judgement;
  const byPath = new Map([...tables.decisions].map(([n, d]) => [n.path, d]));
  const counts: Record<string, number> = {};
  for (const [n, d] of builders.decisions) {
    const t = byPath.get(n.path);
    if (!t || t.accelerated === d.accelerated) continue;
    const key = d.accelerated ? `checker-refuses:${t.code}` : `provider-refuses:${d.code}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export const runId = (r: Pick<CheckerRun, 'model' | 'run' | 'mode'>): string => `${r.model} ${r.run} ${r.mode}`;
