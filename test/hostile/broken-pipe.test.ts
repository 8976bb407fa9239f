import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeOnnx } from '../../src/formats/onnx/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import { tempDir } from '../helpers/tmp.js';
import { BIN, STACK_LINE } from './helpers.js';

/** A model whose text report is far longer than a pipe holds (64 KiB): a linear layer per finding. */
function longReportModel(dir: string): string {
  const b = new ModelBuilder({ opset: 17 });
  let x = b.input('x', 'float32', [1, 8]);
  for (let i = 0; i < 600; i++) {
    const w = b.constant(`w${i}`, 'float32', [8, 8], new Array(64).fill(0.125));
    x = b.op('Add', [b.op('MatMul', [x, w]), b.constant(`b${i}`, 'float32', [8], new Array(8).fill(i / 600))]);
  }
  b.output(x, 'float32', [1, 8]);
  const path = join(dir, 'long.onnx');
  writeOnnx(b.model, path);
  return path;
}

/** Runs the built command, reads the first chunk of its report and closes the pipe. */
function readFirstChunk(args: readonly string[]): Promise<{ code: number | null; stderr: string; first: string }> {
  return new Promise((done, failed) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let first = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', (d: Buffer) => {
      first = d.toString();
      child.stdout.destroy();
    });
    child.on('error', failed);
    child.on('close', (code) => done({ code, stderr, first }));
  });
}

describe('a reader that stops early (graphlint model.onnx | head)', () => {
  it('ends the run quietly with its own exit code, not a crash on the broken pipe', async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run 'npm run build' (npm test does)`);
    const model = longReportModel(tempDir());
    const run = await readFirstChunk([model]);
    expect(run.first).toContain('linear-to-conv');
    expect(run.stderr).not.toMatch(STACK_LINE);
    expect(run.stderr).not.toContain('EPIPE');
    expect(run.code).toBe(0);
  });
});
