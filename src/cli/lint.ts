import { RULES } from '../../rules/index.js';
import { UsageError } from '../errors.js';
import type { DebugLine } from '../engine/context.js';
import { lintFile } from '../engine/lint-file.js';
import type { TargetId } from '../engine/rule.js';
import type { SeveritySetting } from '../engine/run-rules.js';
import { formatJson } from '../report/json.js';
import type { CoremlFormat } from '../targets/coreml-ep-ops.js';
import type { PartitionPlan } from '../targets/partition.js';
import type { FileResult } from '../report/result.js';
import { summarize } from '../report/result.js';
import { textReportLines } from '../report/text.js';
import { VERSION } from '../version.js';
import { discover } from './discover.js';
import type { CliIo } from './main.js';
import { RunSettings } from './settings.js';
import { showProgress } from './progress.js';
import type { Dim } from '../ir/shape.js';
import type { ReportText, WriteReport } from './write-report.js';

export interface LintArgs {
  paths?: string[];
  format: 'text' | 'json' | 'sarif' | 'html';
  output?: string;
  target?: TargetId;
  config?: string;
  /** Repeatable: one string, or several. */
  rule?: string | string[];
  maxWarnings?: number;
  inputShape?: string | string[];
  quiet: boolean;
  debug: boolean;
  /** --coreml-format: the model format ONNX Runtime's Core ML provider builds (target coreml-ep). */
  coremlFormat?: CoremlFormat;
}

const SEVERITIES = new Set(['off', 'info', 'warning', 'error']);

/** Parses `--rule id=severity` flags; unknown ids and severities are usage errors. */
export function parseRuleFlags(flags: readonly string[]): Map<string, SeveritySetting> {
  const out = new Map<string, SeveritySetting>();
  const ids = new Set(RULES.map((r) => r.meta.id));
  for (const flag of flags) {
    const m = /^([a-z0-9-]+)=(\w+)$/.exec(flag);
    if (!m) throw new UsageError(`--rule ${flag}: expected ID=off|info|warning|error`);
    if (!ids.has(m[1]!)) throw new UsageError(`--rule ${flag}: unknown rule "${m[1]}"; 'graphlint rules' lists them`);
    if (!SEVERITIES.has(m[2]!)) throw new UsageError(`--rule ${flag}: severity must be off, info, warning or error`);
    out.set(m[1]!, m[2] as SeveritySetting);
  }
  return out;
}

/** Parses `--input-shape NAME=D0,D1,...` flags (a dim is a number or a symbol). */
export function parseInputShapes(flags: readonly string[]): Map<string, Dim[]> {
  const out = new Map<string, Dim[]>();
  for (const flag of flags) {
    const eq = flag.lastIndexOf('=');
    const name = flag.slice(0, eq);
    const dims = flag.slice(eq + 1).split(',').map((d) => d.trim());
    if (eq <= 0 || dims.some((d) => d === '')) throw new UsageError(`--input-shape ${flag}: expected NAME=D0,D1,... (e.g. input=1,3,224,224)`);
    out.set(name, dims.map((d) => (/^\d+$/.test(d) ? Number(d) : d)));
  }
  return out;
}

/** The default command: lint every model named, report, and return the exit code. */
export async function lintCommand(args: LintArgs, io: CliIo, write: WriteReport): Promise<number> {
  const paths = args.paths ?? [];
  if (paths.length === 0) throw new UsageError('no models given. Usage: graphlint <model.onnx|model.mlpackage|dir ...>');
  const run = await RunSettings.create(args);
  const inputShapes = run.inputShapes;

  const results: FileResult[] = [];
  const plans = new Map<string, PartitionPlan>();
  const debug: DebugLine[] | undefined = args.debug ? [] : undefined;
  let target: TargetId = args.target ?? 'ane';
  const stopProgress = showProgress(io);
  for (const t of await discover(paths)) {
    if (t.problem) {
      results.push({ path: t.path, format: null, fatal: { message: t.problem }, stats: null, diagnostics: [] });
      continue;
    }
    const judged = await run.for(t.path);
    target = judged.target;
    const settings = judged.settings;
    // Partitions are computed when the report shows them or the partition-boundary rule needs them.
    const boundaryRule = settings.get('partition-boundary')?.severity ?? 'warning';
    const partitions = args.format === 'json' || args.format === 'html' || boundaryRule !== 'off';
    const { result, plan } = lintFile(t.path, {
      rules: RULES, target, settings, inputShapes, partitions,
      ...(args.coremlFormat ? { coremlEp: { format: args.coremlFormat } } : {}),
      ...(debug ? { debug } : {}),
    });
    // The HTML report draws the judged graph, which the plan holds.
    if (args.format === 'html' && plan) plans.set(result.path, plan);
    results.push(args.quiet ? { ...result, diagnostics: result.diagnostics.filter((d) => d.severity === 'error') } : result);
  }

  stopProgress();
  for (const r of results) if (r.fatal) io.stderr(`${r.path}: ${r.fatal.message}\n`);
  for (const line of debug ?? []) io.stderr(`debug ${line.ruleId}${line.node ? ` ${line.node}` : ''}: ${line.reason}\n`);
  // SARIF (node:crypto) and HTML (dagre) load only when asked for.
  const text: ReportText =
    args.format === 'json' ? formatJson(results, { toolVersion: VERSION, target })
    : args.format === 'sarif' ? (await import('../report/sarif.js')).formatSarif(results, { toolVersion: VERSION, rules: RULES.map((r) => r.meta), cwd: process.cwd() })
    : args.format === 'html' ? (await import('../report/html.js')).formatHtml(results, { toolVersion: VERSION, target, plans })
    : textReportLines(results);
  write(text, args.output);

  const summary = summarize(results);
  if (summary.fatal > 0) return 2;
  if (summary.errors > 0) return 1;
  if (args.maxWarnings !== undefined && summary.warnings > args.maxWarnings) {
    io.stderr(`graphlint: ${summary.warnings} warnings, more than --max-warnings ${args.maxWarnings}\n`);
    return 1;
  }
  return 0;
}
