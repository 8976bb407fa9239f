import { inferShapes } from '../analysis/shapes/index.js';
import { fatalResult } from '../engine/analyze-file.js';
import type { TargetId } from '../engine/rule.js';
import { readModel } from '../formats/index.js';
import type { Model } from '../ir/model.js';
import { formatJson } from '../report/json.js';
import type { FileResult } from '../report/result.js';
import { computeStats } from '../analysis/stats.js';
import type { CoremlFormat } from '../targets/coreml-ep-ops.js';
import { planPartitions } from '../targets/plan.js';
import { formatPartitionsText, partitionsBlock } from '../targets/report.js';
import { VERSION } from '../version.js';
import { parseInputShapes } from './lint.js';
import type { CliIo } from './main.js';
import type { WriteReport } from './write-report.js';

export interface PartitionsArgs {
  path: string;
  target: TargetId;
  format: 'text' | 'json' | 'html';
  output?: string;
  inputShape?: string | string[];
  coremlFormat?: CoremlFormat;
}

/**
 * `graphlint partitions <path>`: reads one model, infers its shapes (with --input-shape),
 * judges every node for the target and prints the partitions and boundaries. Exit 0, or 2 when
 * the model cannot be read (CONTRACT.md).
 */
export async function partitionsCommand(args: PartitionsArgs, io: CliIo, write: WriteReport): Promise<number> {
  const list = args.inputShape === undefined ? [] : Array.isArray(args.inputShape) ? args.inputShape : [args.inputShape];
  const inputShapes = parseInputShapes(list);
  let model: Model;
  try {
    model = readModel(args.path);
  } catch (e) {
    const r = fatalResult(args.path, e);
    io.stderr(`${args.path}: ${r.fatal!.message}\n`);
    if (args.format === 'json') write(formatJson([r], { toolVersion: VERSION, target: args.target }), args.output);
    return 2;
  }
  if (model.format === 'onnx') {
    const report = inferShapes(model, { inputShapes });
    for (const name of report.ignoredInputShapes) io.stderr(`graphlint: --input-shape ${name}: the model has no input of that name\n`);
  }
  const plan = planPartitions(model, args.target, args.coremlFormat ? { coremlEp: { format: args.coremlFormat } } : {});
  const result: FileResult = {
    path: args.path, format: model.format, fatal: null, stats: computeStats(model), diagnostics: [], partitions: partitionsBlock(plan),
  };
  const text =
    args.format === 'json' ? formatJson([result], { toolVersion: VERSION, target: args.target })
    : args.format === 'html' ? (await import('../report/html.js')).formatHtml([result], { toolVersion: VERSION, target: args.target, plans: new Map([[args.path, plan]]) })
    : formatPartitionsText(args.path, plan);
  write(text, args.output);
  return 0;
}
