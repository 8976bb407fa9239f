import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeModel, programSpec, weightFile, writePackage } from '../formats/coreml/build.js';
import { CaseGenerator, makeOutside, materialize } from '../fuzz/cases.js';
import { builtCoremlSeeds, builtOnnxSeeds, FORMATS, MIL_V10 } from '../fuzz/seeds.js';
import { tempDir } from '../helpers/tmp.js';
import { graphlint, onnxBytes, STACK_LINE, vi } from './helpers.js';

/**
 * Hostile input through the real binary (node dist/bin/graphlint.js): whatever the file,
 * the exit code is 0, 1 or 2, standard error never shows a stack trace (that takes
 * --debug), and every problem is one line that starts with the file it is about.
 */

type Maker = (dir: string) => string;

/** Hostile inputs by name, each with the exit code of linting it alone; made in a test's own directory. */
const HOSTILE: Array<[string, number, Maker]> = [];

function defineHostile(): void {
  const file = (name: string, code: number, fileName: string, bytes: () => Uint8Array | string): void => {
    HOSTILE.push([name, code, (dir) => {
      const p = join(dir, fileName);
      writeFileSync(p, bytes());
      return p;
    }]);
  };
  file('empty .onnx', 2, 'empty.onnx', () => '');
  file('text as .onnx', 2, 'text.onnx', () => 'not a model\n');
  file('length bomb', 2, 'bomb.onnx', () => Uint8Array.from([0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]));
  file('negative length', 2, 'neg.mlmodel', () => Uint8Array.from([0x08, 0x04, 0x12, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]));
  file('cycle', 2, 'cycle.onnx', () => onnxBytes({ name: 'g', input: [vi('x', [1])], node: [
    { op_type: 'Relu', name: 'A', input: ['b'], output: ['a'] }, { op_type: 'Relu', name: 'B', input: ['a'], output: ['b'] }], output: [vi('b', [1])] }));
  file('newline in a name', 2, 'newline.onnx', () => onnxBytes({ name: 'g', input: [vi('x', [1])], node: [{ op_type: 'Relu', input: ['a\nb'], output: ['y'] }], output: [vi('y', [1])] }));
  file('raw_data of the wrong size', 2, 'raw.onnx', () => onnxBytes({ name: 'g', input: [vi('x', [2, 3])], initializer: [{ name: 's', dims: [2], data_type: 7, raw_data: Buffer.alloc(8) }],
    node: [{ op_type: 'Reshape', input: ['x', 's'], output: ['y'] }], output: [vi('y', [3, 2])] }));
  // Readable, if absurd: linted, with warnings.
  file('absurd dims', 0, 'dims.onnx', () => onnxBytes({ name: 'g', input: [vi('x', [2 ** 62, 3]), vi('s', [2 ** 31], 7)], node: [{ op_type: 'Reshape', input: ['x', 's'], output: ['y'] }], output: [vi('y', [6])] }));
  file('NN with no layers', 0, 'empty-nn.mlmodel', () => encodeModel({ specificationVersion: 4, neuralNetwork: {} }));
  HOSTILE.push(['weight path out of the package', 2, (dir) => {
    const p = join(dir, 'bad.mlpackage');
    writePackage(p, programSpec({ blob: { fileName: '@model_path/../../../etc/passwd', offset: 64 } }), weightFile());
    return p;
  }]);
  HOSTILE.push(['Manifest.json of the wrong types', 2, (dir) => {
    const p = join(dir, 'manifest.mlpackage');
    writePackage(p, programSpec(), undefined, JSON.stringify({ fileFormatVersion: 1, itemInfoEntries: [], rootModelIdentifier: {} }));
    return p;
  }]);
  HOSTILE.push(['broken model.mil', 2, (dir) => {
    const p = join(dir, 'bad.mlmodelc');
    mkdirSync(p);
    writeFileSync(join(p, 'model.mil'), MIL_V10.replace('(1)];', '(1)]'));
    return p;
  }]);
}
defineHostile();

/** Checks a run's standard error: no stack, no internal error, every line about a named file. */
function cleanStderr(stderr: string, files: readonly string[]): void {
  expect(stderr).not.toMatch(STACK_LINE);
  expect(stderr).not.toMatch(/internal error/);
  for (const line of stderr.split('\n').filter((l) => l !== '')) {
    // The file named, or a file inside the package named (convert names the one that is wrong).
    expect(files.some((f) => line.startsWith(`${f}: `) || line.startsWith(`${f}/`) || line === `wrote ${f}`), line).toBe(true);
    expect(line.length - line.indexOf(': ')).toBeGreaterThan(10); // a message, not a bare path
  }
}

describe('bin/graphlint on hostile input', () => {
  it.each(HOSTILE.map(([name, code, make]) => [name, code, make] as const))('%s: exit %i, no stack trace, any problem on one line naming the file', (_what, code, make) => {
    const path = make(tempDir());
    for (const args of [[path], ['--format', 'json', path], ['summary', path], ['partitions', path]]) {
      const r = graphlint(args);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(code === 2 || args[0] === '--format' || args.length === 1 ? code : 0);
      cleanStderr(r.stderr, [path]);
      if (code === 2) expect(r.stderr.trim().split('\n')).toHaveLength(1);
      if (args[0] === '--format') expect(JSON.parse(r.stdout).results[0].fatal?.message ?? '').not.toContain('\n');
    }
    for (const ext of ['.onnx', '.mlmodel', '.mlpackage']) {
      const out = join(tempDir(), `out${ext}`);
      const c = graphlint(['convert', path, out]);
      expect([0, 2]).toContain(c.code);
      cleanStderr(c.stderr, [path, out]);
    }
  });

  it('names the file inside a package that is wrong, relative to the package', () => {
    const dir = join(tempDir(), 'm.mlpackage');
    const w = weightFile();
    w.writeUInt32LE(0, 64); // no blob record at offset 64
    writePackage(dir, programSpec({ blob: { fileName: '@model_path/weights/weight.bin', offset: 64 } }), w);
    const r = graphlint([dir]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`${dir}: Data/com.apple.CoreML/weights/weight.bin: weight blob at offset 64: no blob record there (sentinel 0xDEADBEEF missing)`);
  });

  it('lints the good files of a run that also has hostile ones, and exits 2', () => {
    const dir = tempDir();
    const files = HOSTILE.filter(([, code]) => code === 2).map(([, , make]) => make(dir));
    const good = join(tempDir(), 'good.onnx');
    writeFileSync(good, onnxBytes({ name: 'g', input: [vi('x', [1, 4])], node: [{ op_type: 'Relu', input: ['x'], output: ['y'] }], output: [vi('y', [1, 4])] }));
    const r = graphlint(['--format', 'json', ...files, good]);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout) as { results: Array<{ path: string; fatal: unknown }> };
    expect(report.results.find((x) => x.path === good)?.fatal).toBeNull();
    expect(report.results.filter((x) => x.fatal !== null).map((x) => x.path).sort()).toEqual([...files].sort());
    cleanStderr(r.stderr, files);
  });

  it('fuzz cases of every format: exit 0, 1 or 2, valid JSON, clean standard error', () => {
    const generator = new CaseGenerator([...builtOnnxSeeds(), ...builtCoremlSeeds()]);
    const root = tempDir();
    makeOutside(join(root, 'outside'));
    const paths: string[] = [];
    for (const format of FORMATS) {
      for (let i = 0; i < 8; i++) {
        const spec = generator.make(format, 77, i);
        const dir = join(root, `${format}-${i}`);
        materialize(spec, dir, join(root, 'outside'));
        paths.push(join(dir, spec.entry));
      }
    }
    const r = graphlint(['--format', 'json', ...paths], 120_000);
    expect([0, 1, 2]).toContain(r.code);
    const report = JSON.parse(r.stdout) as { results: Array<{ path: string; fatal: { message: string } | null }> };
    expect(report.results).toHaveLength(paths.length);
    for (const x of report.results) if (x.fatal) expect(x.fatal.message).not.toContain('\n');
    cleanStderr(r.stderr, paths);
  }, 150_000);
});
