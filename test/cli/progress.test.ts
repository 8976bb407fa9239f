import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processIo } from '../../src/cli/main.js';
import { showProgress, TerminalProgress } from '../../src/cli/progress.js';
import { readOnnx, writeOnnx } from '../../src/formats/onnx/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import { beginTask, setProgressSink, type ProgressSink } from '../../src/ir/progress.js';
import { tempDir } from '../helpers/tmp.js';

afterEach(() => setProgressSink(undefined));

function fakeTerminal(isTTY: boolean): { isTTY: boolean; columns: number; written: string[]; write(t: string): void } {
  return { isTTY, columns: 60, written: [], write(t: string) { this.written.push(t); } };
}

describe('progress', () => {
  it('draws a long task on one terminal line, at most ten times a second, and erases it at the end', () => {
    const term = fakeTerminal(true);
    let now = 1000;
    const p = new TerminalProgress(term, () => now);
    p.begin('reading big.onnx', 2e9, 'bytes');
    p.update(1e8); // too early: quick tasks never show
    expect(term.written).toEqual([]);
    now += 500;
    p.update(5e8);
    now += 50;
    p.update(6e8); // too soon after the last draw
    now += 100;
    p.update(1e9, 'nodes');
    p.end();
    expect(term.written).toEqual([
      '\r\x1b[2Kreading big.onnx   25%  500 MB of 2.0 GB',
      '\r\x1b[2Kreading big.onnx   50%  1.0 GB of 2.0 GB  nodes',
      '\r\x1b[2K',
    ]);
  });

  it('cuts lines to the terminal width', () => {
    const term = fakeTerminal(true);
    let now = 0;
    const p = new TerminalProgress(term, () => now);
    p.begin('checking 1000000 nodes', 16, 'items');
    now = 1000;
    p.update(3, 'a-rule-with-a-very-long-name-that-goes-on-and-on-and-on');
    expect(term.written[0]!.length).toBeLessThanOrEqual('\r\x1b[2K'.length + 59);
    expect(term.written[0]).toMatch(/^\r\x1b\[2Kchecking 1000000 nodes   18%  3\/16  a-rule.*…$/);
  });

  it('shows nothing when standard error is not a terminal, or the CLI writes elsewhere', () => {
    const pipe = fakeTerminal(false);
    const stop = showProgress(processIo, pipe);
    const task = beginTask('x', 10);
    task.update(5);
    task.end();
    stop();
    expect(pipe.written).toEqual([]);
    const captured = { stdout: () => undefined, stderr: () => undefined };
    const term = fakeTerminal(true);
    showProgress(captured, term)();
    expect(term.written).toEqual([]);
  });

  it('reports reading and writing a model to the installed sink', () => {
    const events: string[] = [];
    const sink: ProgressSink = {
      begin: (label, total, unit) => events.push(`begin ${label} ${total} ${unit}`),
      update: () => undefined,
      end: () => events.push('end'),
    };
    const b = new ModelBuilder();
    const x = b.input('x', 'float32', [1, 4]);
    b.output(b.op('Relu', [x]), 'float32', [1, 4]);
    const dir = tempDir();
    setProgressSink(sink);
    writeOnnx(b.model, join(dir, 'm.onnx'));
    readOnnx(join(dir, 'm.onnx'));
    expect(events.map((e) => e.replace(/ \d+ /, ' N '))).toEqual([
      'begin writing m.onnx N bytes', 'end',
      'begin reading m.onnx N bytes', 'end',
      'begin building the graph of m.onnx N items', 'end',
    ]);
  });
});
