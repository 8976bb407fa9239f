import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { computeStats } from '../analysis/stats.js';
import { ModelError, WriteError } from '../errors.js';
import { readModel } from '../formats/index.js';
import type { Model } from '../ir/model.js';
import type { FileResult } from '../report/result.js';

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
  return { path, format: null, fatal: { message: withInnerFile(path, e, describeError(e)) }, stats: null, diagnostics: [] };
}

/**
 * A problem in a file the model brings along (a package's Manifest.json, a weight file, a
 * bundle's metadata.json) names that file, relative to the model, unless the message does.
 */
function withInnerFile(path: string, e: unknown, message: string): string {
  if (!(e instanceof ModelError) || !e.file) return message;
  const model = resolve(path);
  const file = resolve(e.file);
  if (file === model || message.includes(basename(file))) return message;
  for (const base of [model, dirname(model)]) {
    const rel = relative(base, file);
    if (rel !== '' && !isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`)) return `${rel}: ${message}`;
  }
  return `${e.file}: ${message}`;
}

/** One line a user can act on. Errors that are not ModelErrors are internal and say so. */
export function describeError(e: unknown): string {
  // A refused write (WriteError) is the user's to act on too: it says why, and the input is untouched.
  if (e instanceof ModelError || e instanceof WriteError) return e.message;
  if (e instanceof RangeError && /call stack/i.test(e.message)) return 'the model nests too deeply to read';
  const msg = e instanceof Error ? e.message : String(e);
  return `internal error while reading (please report): ${msg.split('\n')[0]}`;
}
