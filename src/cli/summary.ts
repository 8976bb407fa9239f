import { UsageError } from '../errors.js';
import { analyzeFile } from '../engine/analyze-file.js';
import { releaseModel } from '../formats/index.js';
import type { FileResult } from '../report/result.js';
import { formatSummaryText } from '../report/summary-text.js';
import { discover } from './discover.js';
import type { CliIo } from './main.js';

/** `graphlint summary <paths..>`: what a model holds (interface, opsets, node count, op histogram). */
export async function summaryCommand(paths: readonly string[], io: CliIo): Promise<number> {
  if (paths.length === 0) throw new UsageError('no models given');
  const results: FileResult[] = [];
  for (const t of await discover(paths)) {
    if (t.problem) results.push({ path: t.path, format: null, fatal: { message: t.problem }, stats: null, diagnostics: [] });
    else {
      const { result, model } = analyzeFile(t.path);
      // Its files go now: a directory may hold more models than a process may open files.
      if (model) releaseModel(model);
      results.push(result);
    }
  }
  for (const r of results) if (r.fatal) io.stderr(`${r.path}: ${r.fatal.message}\n`);
  io.stdout(formatSummaryText(results.filter((r) => !r.fatal)));
  return results.some((r) => r.fatal) ? 2 : 0;
}
