import { computeStats } from '../analysis/stats.js';
import { ModelError } from '../errors.js';
import { readModel } from '../formats/index.js';
import type { Model } from '../ir/model.js';
import type { FileResult } from '../report/result.js';

export interface AnalyzeOptions {
  /** Keep the model in the result for callers that go on (fix, convert). */
  readonly keepModel?: boolean;
}

export interface AnalyzedFile {
  readonly result: FileResult;
  readonly model: Model | null;
}

/**
 * Reads one model and says what graphlint knows about it. A problem with the file
 * becomes a fatal result for that file; the caller goes on with the others.
 */
export function analyzeFile(path: string): AnalyzedFile {
  let model: Model;
  try {
    model = readModel(path);
  } catch (e) {
    return { result: fatalResult(path, e), model: null };
  }
  const stats = computeStats(model);
  return { result: { path, format: model.format, fatal: null, stats, diagnostics: [] }, model };
}

export function fatalResult(path: string, e: unknown): FileResult {
  return { path, format: null, fatal: { message: describeError(e) }, stats: null, diagnostics: [] };
}

/** One line a user can act on. Errors that are not ModelErrors are internal and say so. */
export function describeError(e: unknown): string {
  if (e instanceof ModelError) return e.message;
  if (e instanceof RangeError && /call stack/i.test(e.message)) return 'the model nests too deeply to read';
  const msg = e instanceof Error ? e.message : String(e);
  return `internal error while reading (please report): ${msg.split('\n')[0]}`;
}
