import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeStaleTemps, STALE_TEMP_MS, writeFaults } from '../../src/formats/atomic-write.js';
import { readModel } from '../../src/formats/index.js';
import { writeOnnx } from '../../src/formats/onnx/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import { Tensor } from '../../src/ir/tensor.js';
import { tensorType } from '../../src/ir/types.js';
import { programSpec, weightFile, writePackage } from '../formats/coreml/build.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';
import { BIN, sameFiles, snapshot } from './helpers.js';

/**
 * Write safety (issue 8, item 3): convert and --fix write a temporary file in the destination
 * directory and rename it into place. Permissions are kept; after any failure (an injected
 * one mid-write, or SIGKILL of the process) the input is byte for byte what it was and no
 * partial output exists. A killed process may leave its temporary file,
 * `.<name>.graphlint-tmp-<pid>-<8 hex>`; the next write of the same file removes it once it
 * is stale (its process gone, untouched for STALE_TEMP_MS).
 */

const TEMP = /\.graphlint-tmp-/;

afterEach(() => {
  writeFaults.failAfterBytes = Infinity;
});

/** An ONNX model with a few weights (several pieces to write). */
function smallOnnx(dir: string, name = 'm.onnx'): string {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', 'float32', [1, 3, 16, 16]);
  const pads = b.constant('pads', 'int64', [8], [0, 0, 1, 1, 0, 0, 1, 1]);
  const w = b.constant('w', 'float32', [8, 3, 3, 3], Array.from({ length: 216 }, (_, i) => Math.sin(i)));
  const p = b.op('Pad', [x, pads]);
  b.output(b.op('Conv', [p, w], { kernel_shape: [3, 3] }), 'float32', [1, 8, 16, 16]);
  const path = join(dir, name);
  writeOnnx(b.model, path);
  return path;
}

/** An ONNX model of about `bytes` bytes, its weight copied from a sparse file (cheap to make). */
function bigOnnx(dir: string, bytes: number): string {
  const zeros = join(dir, 'zeros.bin');
  closeSync(openSync(zeros, 'w'));
  truncateSync(zeros, bytes);
  const b = new ModelBuilder({ opset: 17 });
  const n = bytes / 4;
  const x = b.input('x', 'float32', [n]);
  const w = b.graph.addInitializer('w', Tensor.fromFile('float32', [n], zeros, 0, bytes), tensorType('float32', [n]));
  b.output(b.op('Add', [x, w]), 'float32', [n]);
  const path = join(dir, 'big.onnx');
  writeOnnx(b.model, path);
  return path;
}

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const temps = (dir: string): string[] => readdirSync(dir).filter((f) => TEMP.test(f));

describe('permissions', () => {
  it.each([0o640, 0o600, 0o755])('in-place convert keeps mode %s of an .onnx and an .mlmodel', async (mode) => {
    const dir = tempDir();
    const onnx = smallOnnx(dir);
    const mlmodel = join(dir, 'm.mlmodel');
    writeFileSync(mlmodel, programSpec());
    for (const p of [onnx, mlmodel]) {
      chmodSync(p, mode);
      expect((await runCli(['convert', p, p])).code).toBe(0);
      expect(statSync(p).mode & 0o777).toBe(mode);
    }
    expect(temps(dir)).toEqual([]);
  });

  it('--fix in place keeps the mode of the file it rewrites', async () => {
    const dir = tempDir();
    const p = smallOnnx(dir);
    chmodSync(p, 0o640);
    const before = readFileSync(p);
    const run = await runCli(['--fix', p]);
    expect([0, 1]).toContain(run.code);
    expect(readFileSync(p).equals(before), 'the Pad should have been folded into the Conv').toBe(false);
    expect(statSync(p).mode & 0o777).toBe(0o640);
  });

  it.each([0o444, 0o400])('a file of mode %s is not replaced: --fix in place, --fix --out and convert over it exit 2 and leave it as it was', async (mode) => {
    const dir = tempDir();
    const input = smallOnnx(dir);
    const other = join(dir, 'other.onnx');
    writeFileSync(other, 'old');
    for (const p of [input, other]) chmodSync(p, mode);
    const before = readFileSync(input);
    for (const [argv, target] of [[['--fix', input], input], [['--fix', input, '--out', other], other], [['convert', input, other], other]] as const) {
      const run = await runCli([...argv]);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n'), argv.join(' ')).toEqual([expect.stringContaining(`${target} is read-only`)]);
      if (argv[0] === 'convert') expect(run.stderr.split(target).length - 1, 'convert names its output once').toBe(1);
    }
    expect(readFileSync(input).equals(before)).toBe(true);
    expect(readFileSync(other, 'utf8')).toBe('old');
    for (const p of [input, other]) expect(statSync(p).mode & 0o777).toBe(mode);
    expect(temps(dir)).toEqual([]);
  });

  it('a model directory of mode 555 is not replaced: convert over it, convert in place and --fix --out over it exit 2 and leave it as it was', async () => {
    const dir = tempDir();
    const input = join(dir, 'in.mlpackage');
    writePackage(input, programSpec({ blob: { fileName: '@model_path/weights/weight.bin', offset: 64 } }), weightFile());
    const locked = join(dir, 'locked.mlpackage');
    writePackage(locked, programSpec(), undefined);
    chmodSync(locked, 0o555);
    const before = snapshot(locked);
    for (const argv of [['convert', input, locked], ['convert', locked, locked], ['--fix', input, '--out', locked]]) {
      const run = await runCli(argv);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n'), argv.join(' ')).toEqual([expect.stringContaining(`${locked} is read-only`)]);
      if (argv[0] === 'convert') expect(run.stderr.split(locked).length - 1, 'convert names its output once').toBe(1);
    }
    expect(sameFiles(snapshot(locked), before)).toBe(true);
    expect(statSync(locked).mode & 0o777).toBe(0o555);
    expect(temps(dir)).toEqual([]);
  });

  it('convert over an existing output keeps that output\'s mode', async () => {
    const dir = tempDir();
    const input = smallOnnx(dir);
    const out = join(dir, 'out.onnx');
    writeFileSync(out, 'old');
    chmodSync(out, 0o604);
    expect((await runCli(['convert', input, out])).code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o604);
  });
});

describe('an injected failure in the middle of a write', () => {
  it('leaves the input of an in-place convert byte-identical, with no temporary file, and says so on one line', async () => {
    const dir = tempDir();
    const p = smallOnnx(dir);
    const before = readFileSync(p);
    writeFaults.failAfterBytes = 100;
    const run = await runCli(['convert', p, p]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^${p}: .*injected write failure`))]);
    expect(readFileSync(p).equals(before)).toBe(true);
    expect(temps(dir)).toEqual([]);
  });

  it('creates no output at all when converting to a new file', async () => {
    const dir = tempDir();
    const p = smallOnnx(dir);
    writeFaults.failAfterBytes = 100;
    expect((await runCli(['convert', p, join(dir, 'new.onnx')])).code).toBe(2);
    expect(existsSync(join(dir, 'new.onnx'))).toBe(false);
    expect(temps(dir)).toEqual([]);
  });

  it('leaves an input rewritten by --fix in place byte-identical', async () => {
    const dir = tempDir();
    const p = smallOnnx(dir);
    const before = readFileSync(p);
    writeFaults.failAfterBytes = 100;
    const run = await runCli(['--fix', p]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/injected write failure/);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(readFileSync(p).equals(before)).toBe(true);
    expect(temps(dir)).toEqual([]);
  });

  it('creates no package, and keeps an existing one, when writing an .mlpackage fails', async () => {
    const dir = tempDir();
    const input = join(dir, 'in.mlpackage');
    writePackage(input, programSpec({ blob: { fileName: '@model_path/weights/weight.bin', offset: 64 } }), weightFile());
    const inputBefore = snapshot(input);
    writeFaults.failAfterBytes = 10;
    expect((await runCli(['convert', input, join(dir, 'new.mlpackage')])).code).toBe(2);
    expect(existsSync(join(dir, 'new.mlpackage'))).toBe(false);
    const existing = join(dir, 'old.mlpackage');
    writePackage(existing, programSpec(), undefined);
    const existingBefore = snapshot(existing);
    expect((await runCli(['convert', input, existing])).code).toBe(2);
    expect(sameFiles(snapshot(existing), existingBefore)).toBe(true);
    expect(sameFiles(snapshot(input), inputBefore)).toBe(true);
    expect(temps(dir)).toEqual([]);
  });
});

/** Starts `graphlint convert in out` and SIGKILLs it once its temporary file holds data. */
async function killMidWrite(input: string, output: string): Promise<{ signal: NodeJS.Signals | null; sawTemp: string | undefined }> {
  const dir = join(output, '..');
  const child = spawn(process.execPath, [BIN, 'convert', input, output], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)));
  let sawTemp: string | undefined;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    const t = temps(dir).find((f) => f.startsWith(`.${output.slice(dir.length + 1)}.graphlint-tmp-`));
    if (t) {
      try {
        if (statSync(join(dir, t)).size > 0) {
          child.kill('SIGKILL');
          sawTemp = t;
          break;
        }
      } catch {
        /* renamed or removed meanwhile */
      }
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  return { signal: await exited, sawTemp };
}

describe('SIGKILL in the middle of writing a large model', () => {
  it('leaves the input byte-identical and no partial output; only a recognisable temporary file remains, removed once stale', async () => {
    const dir = tempDir();
    const big = bigOnnx(dir, 384 << 20);
    const before = sha(big);

    // In place: the model itself is the target.
    const inPlace = await killMidWrite(big, big);
    expect(inPlace.signal, 'the write finished before it could be killed').toBe('SIGKILL');
    expect(sha(big)).toBe(before);
    const left = temps(dir);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^\.big\.onnx\.graphlint-tmp-\d+-[0-9a-f]{8}$/);

    // To a new file: no partial output.
    const fresh = join(dir, 'copy.onnx');
    const copied = await killMidWrite(big, fresh);
    expect(copied.signal).toBe('SIGKILL');
    expect(existsSync(fresh)).toBe(false);

    // The next write of big.onnx removes the stale temporary file (its process is gone).
    const stale = join(dir, left[0]!);
    expect(removeStaleTemps(big), 'too young to be judged stale').toEqual([]);
    const old = (Date.now() - STALE_TEMP_MS - 60_000) / 1000;
    utimesSync(stale, old, old);
    expect(removeStaleTemps(big)).toEqual([stale]);
    expect(existsSync(stale)).toBe(false);
    expect(readModel(big).graph.nodes.length).toBe(1);
  }, 120_000);

  it('keeps the temporary files of a process that still runs', () => {
    const dir = tempDir();
    const target = join(dir, 'm.onnx');
    const mine = join(dir, `.m.onnx.graphlint-tmp-${process.ppid}-0123abcd`);
    writeFileSync(mine, 'x');
    const old = (Date.now() - STALE_TEMP_MS - 60_000) / 1000;
    utimesSync(mine, old, old);
    expect(removeStaleTemps(target)).toEqual([]);
    expect(existsSync(mine)).toBe(true);
  });
});
