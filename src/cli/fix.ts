import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { RULES } from '../../rules/index.js';
import { inferShapes } from '../analysis/shapes/index.js';
import { ModelError, UsageError, WriteError } from '../errors.js';
import { describeError, fatalResult } from '../engine/analyze-file.js';
import { fixModel } from '../engine/fix-loop.js';
import { lintModelWithPlan } from '../engine/lint-file.js';
import type { TargetId } from '../engine/rule.js';
import type { RuleSettings } from '../engine/run-rules.js';
import { readModel, releaseModel, writeModel } from '../formats/index.js';
import { replaceDirectory } from '../formats/coreml/write-package.js';
import type { Dim } from '../ir/shape.js';
import type { Model } from '../ir/model.js';
import { formatJson } from '../report/json.js';
import { summarize, type FileResult } from '../report/result.js';
import { formatSarif } from '../report/sarif.js';
import { textReportLines } from '../report/text.js';
import { compareOnnx, DEFAULT_TOLERANCE, VerifyUnavailable, type VerifyResult } from '../rewrite/numeric.js';
import { formatFixesText, type FixesBlock, type PartitionCount } from '../rewrite/report.js';
import type { CoremlEpOptions } from '../targets/coreml-ep.js';
import type { PartitionPlan } from '../targets/partition.js';
import { planPartitions } from '../targets/plan.js';
import { VERSION } from '../version.js';
import { discover } from './discover.js';
import type { FixArgs } from './fix-args.js';
import type { LintArgs } from './lint.js';
import type { CliIo } from './main.js';
import { RunSettings } from './settings.js';
import type { ReportText, WriteReport } from './write-report.js';

/**
 * `graphlint --fix | --fix-unsafe | --fix-dry-run [--out PATH] [--verify]`: per model, run
 * the fix loop, verify (ONNX, --verify) before anything is written, write atomically (the
 * input is untouched on any failure), then report the findings that remain and a `fixes`
 * block (what changed, partitions before → after). Exit codes as for lint, plus 1 for a
 * failed --verify.
 */
export async function fixCommand(args: LintArgs & FixArgs, io: CliIo, write: WriteReport): Promise<number> {
  const paths = args.paths ?? [];
  if (paths.length === 0) throw new UsageError('no models given. Usage: graphlint --fix <model.onnx|model.mlpackage ...>');
  if (args.fix && args.fixDryRun) throw new UsageError('--fix and --fix-dry-run exclude each other (--fix-dry-run reports what --fix would change)');
  const dryRun = !!args.fixDryRun;
  const fixing = !!(args.fix || args.fixUnsafe || dryRun);
  if (!fixing) throw new UsageError(`${args.out !== undefined ? '--out' : '--verify'} needs --fix (or --fix-unsafe, --fix-dry-run)`);
  if (args.out !== undefined && dryRun) throw new UsageError('--out writes the fixed model, which --fix-dry-run never does');
  const tolerance = args.verifyTolerance ?? DEFAULT_TOLERANCE;
  if (!(tolerance >= 0)) throw new UsageError('--verify-tolerance must be a number ≥ 0');
  const run = await RunSettings.create(args);
  const inputShapes = run.inputShapes;
  const targets = await discover(paths);
  if (args.out !== undefined && targets.length !== 1) {
    throw new UsageError(`--out takes exactly one input model; ${targets.length} were given`);
  }
  const results: FileResult[] = [];
  const plans = new Map<string, PartitionPlan>();
  let target: TargetId = args.target ?? 'ane';
  let verifyFailed = false;
  for (const t of targets) {
    if (t.problem) {
      results.push({ path: t.path, format: null, fatal: { message: t.problem }, stats: null, diagnostics: [] });
      continue;
    }
    const judged = await run.for(t.path);
    target = judged.target;
    const settings = judged.settings;
    const done = await fixOne(t.path, {
      target, settings, inputShapes, unsafe: !!args.fixUnsafe, dryRun, out: args.out, verify: !!args.verify, tolerance,
      ...(args.coremlFormat ? { coremlEp: { format: args.coremlFormat } } : {}),
    }, io);
    if (done.verifyFailed) verifyFailed = true;
    if (done.plan) plans.set(done.result.path, done.plan);
    const r = done.result;
    results.push(args.quiet ? { ...r, diagnostics: r.diagnostics.filter((d) => d.severity === 'error') } : r);
  }

  for (const r of results) if (r.fatal) io.stderr(`${r.path}: ${r.fatal.message}\n`);
  let text: ReportText;
  if (args.format === 'json') text = formatJson(results, { toolVersion: VERSION, target });
  else if (args.format === 'sarif') text = formatSarif(results, { toolVersion: VERSION, rules: RULES.map((r) => r.meta), cwd: process.cwd() });
  else if (args.format === 'html') text = (await import('../report/html.js')).formatHtml(results, { toolVersion: VERSION, target, plans });
  else {
    const fixes: string[] = [];
    // Loops, not push(...list): a call takes only so many arguments, and a big model has tens of thousands of fixes.
    for (const r of results) {
      if (!r.fixes) continue;
      for (const line of formatFixesText(r.path, r.fixes)) fixes.push(line);
      fixes.push('');
    }
    // The findings, a blank line, then the fixes of each model, a blank line between two.
    const lines = textReportLines(results);
    if (fixes.length > 0) {
      lines.push('');
      for (let i = 0; i < fixes.length - 1; i++) lines.push(fixes[i]!);
    }
    text = lines;
  }
  write(text, args.output);

  const summary = summarize(results);
  if (summary.fatal > 0) return 2;
  if (verifyFailed || summary.errors > 0) return 1;
  if (args.maxWarnings !== undefined && summary.warnings > args.maxWarnings) {
    io.stderr(`graphlint: ${summary.warnings} warnings, more than --max-warnings ${args.maxWarnings}\n`);
    return 1;
  }
  return 0;
}

interface FixOneOptions {
  readonly target: TargetId;
  readonly settings: ReadonlyMap<string, RuleSettings>;
  readonly inputShapes: ReadonlyMap<string, readonly Dim[]>;
  readonly unsafe: boolean;
  readonly dryRun: boolean;
  readonly out: string | undefined;
  readonly verify: boolean;
  readonly tolerance: number;
  readonly coremlEp?: CoremlEpOptions;
}

async function fixOne(path: string, o: FixOneOptions, io: CliIo): Promise<{ result: FileResult; verifyFailed: boolean; plan?: PartitionPlan }> {
  let model: Model;
  try {
    model = readModel(path);
  } catch (e) {
    return { result: fatalResult(path, e), verifyFailed: false };
  }
  try {
    return await fixRead(model, path, o, io);
  } finally {
    // Its files go once it is written: a directory may hold more models than a process may open files.
    releaseModel(model);
  }
}

async function fixRead(model: Model, path: string, o: FixOneOptions, io: CliIo): Promise<{ result: FileResult; verifyFailed: boolean; plan?: PartitionPlan }> {
  const shapes = o.inputShapes.size > 0 ? o.inputShapes : undefined;
  // Partitions before, on a copy of its own: analyses remember their results per model, and this one is about to change.
  const before = partitionCount(model, o, io);
  const outcome = fixModel(model, {
    rules: RULES, target: o.target, settings: o.settings, unsafe: o.unsafe,
    ...(shapes ? { inputShapes: shapes } : {}), ...(o.coremlEp?.format ? { coremlFormat: o.coremlEp.format } : {}),
  });
  const { result, plan } = lintModelWithPlan(model, path, {
    rules: RULES, target: o.target, settings: o.settings, partitions: true,
    ...(shapes ? { inputShapes: shapes } : {}), ...(o.coremlEp ? { coremlEp: o.coremlEp } : {}),
  });
  const after = result.partitions ? { nodes: result.partitions.nodes, supported: result.partitions.supported, count: result.partitions.count } : partitionCount(model, o, io);

  const dest = o.out ?? path;
  let verify: VerifyResult | null = null;
  let written: string | null = null;
  let fatal: string | undefined;
  let verifyFailed = false;
  if (outcome.changed && o.verify) {
    if (model.format !== 'onnx') {
      io.stderr(`${path}: --verify runs ONNX models only (with onnxruntime-node); the fixes of this ${model.format} model are not verified\n`);
    } else {
      try {
        verify = await verifyFixed(model, path, dest, o);
        if (!verify.ok) {
          verifyFailed = true;
          io.stderr(`${path}: --verify: the fixed model differs by ${verify.maxRelDiff.toExponential(2)} (relative), above the tolerance ${o.tolerance}; ${o.dryRun ? 'nothing was to be written' : 'it is not written'}\n`);
        }
      } catch (e) {
        fatal = e instanceof VerifyUnavailable ? e.message : `--verify could not run the models: ${describeError(e)}`;
      }
    }
  }
  if (outcome.changed && !o.dryRun && !verifyFailed && !fatal) {
    try {
      writeFixed(model, path, dest);
      written = dest;
    } catch (e) {
      fatal = `the fixed model was not written (the input is unchanged): ${e instanceof WriteError || e instanceof ModelError ? e.message : describeError(e)}`;
    }
  } else if (!outcome.changed && o.out !== undefined && !o.dryRun && resolve(o.out) !== resolve(path)) {
    // Nothing to fix: --out still gets the model (a copy), so scripts can rely on it.
    try {
      writeFixed(model, path, dest);
      written = dest;
    } catch (e) {
      fatal = `the model was not written to ${dest}: ${describeError(e)}`;
    }
  }

  const fixes: FixesBlock = {
    applied: outcome.applied, failed: outcome.failed, dryRun: o.dryRun, unsafe: o.unsafe, passes: outcome.passes, stop: outcome.stop,
    ...(outcome.note ? { note: outcome.note } : {}),
    nodes: { before: outcome.nodesBefore, after: outcome.nodesAfter },
    partitions: { target: o.target, before, after },
    written,
    verify,
  };
  if (fatal) return { result: { path, format: model.format, fatal: { message: fatal }, stats: null, diagnostics: [], fixes }, verifyFailed };
  return { result: { ...result, fixes }, verifyFailed, ...(plan ? { plan } : {}) };
}

/** Counts from the partition plan (src/targets/plan.ts), or null when it cannot be made. */
function partitionCount(model: Model, o: FixOneOptions, io: CliIo): PartitionCount | null {
  try {
    if (model.format === 'onnx') inferShapes(model, o.inputShapes.size > 0 ? { inputShapes: o.inputShapes } : {});
    const p = planPartitions(model, o.target, o.coremlEp ? { coremlEp: o.coremlEp } : {});
    return { nodes: p.nodes, supported: p.supported, count: p.count };
  } catch (e) {
    io.stderr(`${model.path}: partitions not computed (internal error, please report): ${(e as Error).message}\n`);
    return null;
  }
}

/** Runs the original (still at `path`) and the fixed model, written to a temporary file beside `dest` and removed after. */
async function verifyFixed(model: Model, path: string, dest: string, o: FixOneOptions): Promise<VerifyResult> {
  const temp = tempSibling(dest, '.onnx');
  try {
    writeModel(model, temp);
    return await compareOnnx(path, temp, model, { inputShapes: o.inputShapes, tolerance: o.tolerance });
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * Writes the fixed model to `dest` through writeModel (atomic: a temporary file beside it,
 * then a rename). A package fixed in place is written whole beside itself and swapped in,
 * so a failure half-way leaves the input as it was.
 */
export function writeFixed(model: Model, path: string, dest: string): void {
  const inPlace = resolve(dest) === resolve(path);
  const isDir = existsSync(dest) && statSync(dest).isDirectory();
  if (!inPlace || !isDir) {
    writeModel(model, dest);
    return;
  }
  const temp = tempSibling(dest, extname(dest));
  try {
    writeModel(model, temp);
    replaceDirectory(temp, dest, extname(dest) === '.mlmodelc' ? 'model.mil' : 'Manifest.json');
  } catch (e) {
    rmSync(temp, { recursive: true, force: true });
    throw e;
  }
}

function tempSibling(dest: string, ext: string): string {
  return join(dirname(resolve(dest)), `.${basename(dest)}.graphlint-fix-${process.pid}-${randomBytes(4).toString('hex')}${ext}`);
}
