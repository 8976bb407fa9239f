import { UsageError } from '../errors.js';
import { analyzeFile } from '../engine/analyze-file.js';
import { formatJson } from '../report/json.js';
import type { FileResult } from '../report/result.js';
import { summarize } from '../report/result.js';
import { formatSummaryText } from '../report/summary-text.js';
import { VERSION } from '../version.js';
import { discover } from './discover.js';
import type { CliIo } from './main.js';

export interface LintArgs {
  paths?: string[];
  format: 'text' | 'json';
  output?: string;
  target: 'ane' | 'coreml-ep';
  quiet: boolean;
  debug: boolean;
}

/** The default command: read every model named, report, and return the exit code. */
export function lintCommand(args: LintArgs, io: CliIo, write: (text: string, file?: string) => void): number {
  const paths = args.paths ?? [];
  if (paths.length === 0) {
    io.stderr('graphlint: no models given. Usage: graphlint <model.onnx|model.mlpackage|dir ...>\n');
    return 2;
  }
  const results: FileResult[] = [];
  for (const target of discover(paths)) {
    if (target.problem) {
      results.push({ path: target.path, format: null, fatal: { message: target.problem }, stats: null, diagnostics: [] });
      continue;
    }
    results.push(analyzeFile(target.path).result);
  }
  // Fatal problems go to standard error as one line each, whatever the report format.
  for (const r of results) if (r.fatal) io.stderr(`${r.path}: ${r.fatal.message}\n`);
  const text = args.format === 'json'
    ? formatJson(results, { toolVersion: VERSION, target: args.target })
    : formatSummaryText(results.filter((r) => !r.fatal));
  try {
    write(text, args.output);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`graphlint: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const summary = summarize(results);
  if (summary.fatal > 0) return 2;
  return summary.errors > 0 ? 1 : 0;
}
