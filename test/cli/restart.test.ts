import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIG_INPUT_BYTES, RESTARTED, restartFor } from '../../src/cli/restart.js';
import { REPO_ROOT } from '../helpers/corpus.js';
import { runBin } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

const EXAMPLE = join(REPO_ROOT, 'examples', 'tiny-speech-encoder.onnx');

const graphlint = runBin;

const varint = (n: number): number[] => {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
  out.push(n);
  return out;
};

/** The example model with an unknown field of `pad` zero bytes after it: as big as asked, the same graph. */
function paddedExample(path: string, pad: number): void {
  writeFileSync(path, Buffer.concat([readFileSync(EXAMPLE), Buffer.from([...varint((999 << 3) | 2), ...varint(pad)])]));
  truncateSync(path, readFileSync(path).length + pad); // zeros, without writing them
}

describe('a second process for a big input', () => {
  it('is asked for by an input file of 64 MB or more, and by nothing else', () => {
    const dir = tempDir();
    const big = join(dir, 'big.onnx');
    writeFileSync(big, '');
    truncateSync(big, BIG_INPUT_BYTES);
    const small = join(dir, 'small.onnx');
    writeFileSync(small, 'x');
    expect(restartFor([big], {}, [])).toBe(BIG_INPUT_BYTES);
    expect(restartFor(['--format', 'json', small, big], {}, [])).toBe(BIG_INPUT_BYTES);
    expect(restartFor([small, dir, 'no-such-file.onnx', '--format=json'], {}, [])).toBeUndefined();
    // Never a third process, and never over a young generation the user sized.
    expect(restartFor([big], { [RESTARTED]: '1' }, [])).toBeUndefined();
    expect(restartFor([big], {}, ['--max-semi-space-size=32'])).toBeUndefined();
    expect(restartFor([big], { NODE_OPTIONS: '--max-semi-space-size=8' }, [])).toBeUndefined();
    truncateSync(big, BIG_INPUT_BYTES - 1);
    expect(restartFor([big], {}, [])).toBeUndefined();
  });

  it('reports what one process reports, with its exit code, and says why under --debug', () => {
    const big = join(tempDir(), 'padded.onnx');
    paddedExample(big, BIG_INPUT_BYTES);
    const once = graphlint('--format', 'json', EXAMPLE);
    const twice = graphlint('--format', 'json', '--debug', big);
    expect(twice.code).toBe(once.code);
    expect(twice.stderr).toMatch(/^debug start: started again with --max-semi-space-size=64 for an input of 64 MB/);
    expect(once.stderr).not.toContain('debug start');
    const results = (out: string): unknown => (JSON.parse(out) as { results: { path: string }[] }).results.map((r) => ({ ...r, path: '' }));
    expect(results(twice.stdout)).toEqual(results(once.stdout));
    // Exit 1 (too many warnings) and exit 2 (an unreadable file) come through the first process.
    expect(graphlint('--max-warnings', '0', big).code).toBe(1);
    const junk = join(tempDir(), 'junk.onnx');
    writeFileSync(junk, 'not a model');
    truncateSync(junk, BIG_INPUT_BYTES);
    const bad = graphlint(junk);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});
