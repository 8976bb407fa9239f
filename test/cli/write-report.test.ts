import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportPieces, writeReport } from '../../src/cli/write-report.js';
import { tempDir } from '../helpers/tmp.js';

/** Lines of varied length, some non-ASCII, together far over one piece. */
function someLines(count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i % 7 === 0 ? '' : `line ${i} ${'x'.repeat(i % 300)} 64 → 64 ×`));
}

describe('a report written as lines', () => {
  it('comes out as the lines, each ended, in pieces far smaller than the whole', () => {
    const lines = someLines(20_000);
    const pieces = [...reportPieces(lines)];
    const whole = `${lines.join('\n')}\n`;
    expect(pieces.join('')).toBe(whole);
    expect(pieces.length).toBeGreaterThan(50);
    // A piece is cut after the line that takes it to the size: no piece is much longer than one.
    for (const p of pieces) expect(p.length).toBeLessThan(16_384 + 400);
  });

  it('handles no lines, one empty line, and one line longer than a piece', () => {
    expect([...reportPieces([])]).toEqual([]);
    expect([...reportPieces([''])]).toEqual(['\n']);
    const long = 'y'.repeat(50_000);
    expect([...reportPieces(['a', long, 'b'])].join('')).toBe(`a\n${long}\nb\n`);
  });

  it('writes the same bytes to standard output and to a file, over what the file held', () => {
    const lines = someLines(5_000);
    const out: string[] = [];
    writeReport(lines, undefined, (t) => out.push(t));
    const file = join(tempDir(), 'report.txt');
    writeReport('something longer than the report will be, to be replaced '.repeat(10_000), file, () => {});
    writeReport(lines, file, () => {});
    expect(readFileSync(file, 'utf8')).toBe(out.join(''));
    expect(out.join('')).toBe(`${lines.join('\n')}\n`);
  });

  it('says which report file it could not write', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'taken'));
    expect(() => writeReport(['a'], join(dir, 'taken'), () => {})).toThrow(/cannot write the report to .*taken/);
    expect(() => writeReport('a', join(dir, 'missing', 'r.txt'), () => {})).toThrow(/cannot write the report to .*r\.txt/);
  });
});
