import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { UsageError, systemReason } from '../errors.js';

/** A report as one string, or as its lines (without line ends) to be written a few at a time. */
export type ReportText = string | readonly string[];

/** How the commands hand their report over: to standard output, or to `file` when given. */
export type WriteReport = (report: ReportText, file?: string) => void;

/**
 * Lines go out in pieces of about this many characters: each piece is a string small enough
 * for the young generation, where a whole report of a big model is tens of megabytes made
 * and encoded at once.
 */
const PIECE = 16_384;

/** The pieces of a report given as lines: every line followed by a line end. */
export function* reportPieces(lines: readonly string[]): Generator<string> {
  let from = 0;
  let size = 0;
  for (let i = 0; i < lines.length; i++) {
    size += lines[i]!.length + 1;
    if (size >= PIECE) {
      yield `${lines.slice(from, i + 1).join('\n')}\n`;
      from = i + 1;
      size = 0;
    }
  }
  if (from < lines.length) yield `${lines.slice(from).join('\n')}\n`;
}

/** Writes `report` with `stdout`, or to `file` (made or emptied first); a file that cannot be written is a usage error. */
export function writeReport(report: ReportText, file: string | undefined, stdout: (text: string) => void): void {
  if (file === undefined) {
    if (typeof report === 'string') stdout(report);
    else for (const piece of reportPieces(report)) stdout(piece);
    return;
  }
  try {
    if (typeof report === 'string') {
      writeFileSync(file, report);
      return;
    }
    const fd = openSync(file, 'w');
    try {
      for (const piece of reportPieces(report)) {
        const bytes = Buffer.from(piece);
        // writeSync may write less than asked (writeFileSync loops the same way).
        for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
      }
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new UsageError(`cannot write the report to ${file}: ${systemReason(e)}`);
  }
}
