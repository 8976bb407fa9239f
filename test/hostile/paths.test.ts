import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newManifest } from '../../src/formats/coreml/mlpackage.js';
import { readModel } from '../../src/formats/index.js';
import { writeOnnx } from '../../src/formats/onnx/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import { programSpec, weightFile, writePackage } from '../formats/coreml/build.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';
import { MIL_V10 } from '../fuzz/seeds.js';
import { externalModel, mkdirp, refused } from './helpers.js';

/**
 * Path safety (issue 8, item 2). Reading: every location a model names (external data,
 * package items, weight files) resolves inside the model's directory; absolute paths, `..`
 * and symbolic links that lead out are refused. Writing (convert, --fix): the output and the
 * files that go along with it never follow a link out of the place the user named.
 *
 * Decisions, tested below:
 * - The path the user names is followed like any path they type: a model (or package) that is
 *   itself a link is read, and a directory on the way to --out/convert's output may be a link.
 *   What the *model* names is judged from the real model directory.
 * - A link at a file output (model.onnx, model.mlmodel, model.mil, a copied weight file) is
 *   replaced by the new file (temporary file + rename), never written through.
 * - A link at a directory output (.mlpackage, .mlmodelc) is refused: graphlint replaces only a
 *   real model directory.
 * - A link on the way to a file copied along with the model (weights/, sub/) is refused.
 */

const WEIGHTS = '@model_path/weights/weight.bin';
const blobSpec = (fileName = WEIGHTS): Uint8Array => programSpec({ blob: { fileName, offset: 64 } });

/** A directory outside every model, with a valid weight file, a manifest, a spec and a secret. */
function outside(): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'secret.bin'), Buffer.alloc(16, 0x5a));
  writeFileSync(join(dir, 'weight.bin'), weightFile());
  writeFileSync(join(dir, 'Manifest.json'), newManifest(true).text);
  writeFileSync(join(dir, 'model.mlmodel'), blobSpec());
  writeFileSync(join(dir, 'model.mil'), MIL_V10);
  mkdirp(join(dir, 'Data/com.apple.CoreML/weights'));
  writeFileSync(join(dir, 'Data/com.apple.CoreML/model.mlmodel'), blobSpec());
  writeFileSync(join(dir, 'Data/com.apple.CoreML/weights/weight.bin'), weightFile());
  mkdirp(join(dir, 'weights'));
  writeFileSync(join(dir, 'weights/weight.bin'), weightFile());
  return dir;
}

function pkg(spec = blobSpec(), weights: Buffer | undefined = weightFile()): string {
  const dir = join(tempDir(), 'm.mlpackage');
  writePackage(dir, spec, weights);
  return dir;
}

function bundle(mil = MIL_V10): string {
  const dir = join(tempDir(), 'm.mlmodelc');
  mkdirp(join(dir, 'weights'));
  writeFileSync(join(dir, 'model.mil'), mil);
  writeFileSync(join(dir, 'weights/weight.bin'), weightFile());
  return dir;
}

/** Replaces `path` (file or directory) by a symbolic link to `target`. */
function linkOver(path: string, target: string): void {
  rmSync(path, { recursive: true, force: true });
  symlinkSync(target, path);
}

const milWithBlob = (path: string): string => MIL_V10.replace(WEIGHTS, path);

describe('reading: ONNX external data', () => {
  // Absolute locations, `..` and a file link out are in test/formats/onnx/external-data.test.ts.
  it('refuses a location through a directory link that leads out', () => {
    const dir = tempDir();
    const out = outside();
    symlinkSync(out, join(dir, 'sub'));
    refused(externalModel(dir, 'sub/secret.bin'), /symbolic link/);
  });

  it.each([
    ['C:\\weights.bin', /absolute/],
    ['\\\\server\\share\\w.bin', /absolute/],
    ['w\0.bin', /empty or invalid location/],
    ['', /empty or invalid location/],
  ])('refuses the location %j', (location, message) => {
    refused(externalModel(tempDir(), location), message);
  });

  it('refuses a location that is a directory, a FIFO, or a link loop, without waiting', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'adir'));
    refused(externalModel(dir, 'adir'), /not a regular file/);
    symlinkSync('loop.bin', join(dir, 'loop.bin'));
    const m = readModel(externalModel(dir, 'loop.bin')); // a link loop resolves to nothing: missing
    expect(m.graph.values.get('w')!.constant!.storage.kind).toBe('missing');
  });
});

describe('reading: .mlpackage', () => {
  // Manifest item paths with `..` or absolute, Manifest.json linked out, a weights directory
  // linked out and weight paths with `..` or absolute are in test/formats/coreml/hostile.test.ts.
  it.each([
    ['a Data directory', 'Data'],
    ['a Data/com.apple.CoreML directory', 'Data/com.apple.CoreML'],
    ['a root spec (model.mlmodel)', 'Data/com.apple.CoreML/model.mlmodel'],
    ['a weight file', 'Data/com.apple.CoreML/weights/weight.bin'],
  ])('refuses %s that is a link out of the package', (_what, inner) => {
    const dir = pkg();
    linkOver(join(dir, inner), join(outside(), inner));
    refused(dir, /symbolic link/);
  });

  it('refuses a Manifest.json whose item path is of the wrong type or empty', () => {
    const manifest = (path: unknown): string => JSON.stringify({
      fileFormatVersion: '1.0.0', rootModelIdentifier: 'A',
      itemInfoEntries: { A: { author: 'a', description: 'd', name: 'n', path } },
    });
    for (const [path, message] of [[42, /item A has no path/], [['x'], /item A has no path/], [null, /item A has no path/], ['', /missing|not a regular file|directory/]] as const) {
      const dir = pkg();
      writeFileSync(join(dir, 'Manifest.json'), manifest(path));
      refused(dir, message);
    }
  });

  it('reads a package that is itself a link (the user named it), judging what it names from the real package', () => {
    const real = pkg();
    const link = join(tempDir(), 'link.mlpackage');
    symlinkSync(real, link);
    expect(readModel(link).graph.nodes.length).toBe(2);
    // Inside the real package, a link out is still refused when reached through the link.
    linkOver(join(real, 'Data/com.apple.CoreML/weights/weight.bin'), join(outside(), 'weight.bin'));
    refused(link, /symbolic link/);
  });

  it('accepts links that stay inside the package', () => {
    const dir = pkg();
    const w = join(dir, 'Data/com.apple.CoreML/weights');
    writeFileSync(join(w, 'real.bin'), weightFile());
    linkOver(join(w, 'weight.bin'), 'real.bin');
    expect(readModel(dir).graph.nodes[0]!.outputs[0]!.constant!.numbers()).toEqual([1, 2, 3, 4]);
  });
});

describe('reading: .mlmodelc and .mil', () => {
  // metadata.json linked out is in test/formats/coreml/hostile.test.ts.
  it('refuses model.mil, coremldata.bin and weight files that are links out', () => {
    const out = outside();
    const a = bundle();
    linkOver(join(a, 'model.mil'), join(out, 'model.mil'));
    refused(a, /symbolic link/);
    const b = bundle();
    symlinkSync(join(out, 'secret.bin'), join(b, 'coremldata.bin'));
    refused(b, /symbolic link/);
    const c = bundle();
    linkOver(join(c, 'weights/weight.bin'), join(out, 'weight.bin'));
    refused(c, /symbolic link/);
    const d = bundle();
    linkOver(join(d, 'weights'), join(out, 'weights'));
    refused(d, /symbolic link/);
  });

  it.each([
    ['@model_path/../../outside/weight.bin', /leaves the model's directory/],
    ['/etc/passwd', /absolute/],
    ['@model_path/weights/../../../weight.bin', /leaves the model's directory/],
  ])('refuses the BLOBFILE path %s in a bundle and in a bare .mil', (path, message) => {
    refused(bundle(milWithBlob(path)), message);
    const dir = tempDir();
    mkdirp(join(dir, 'weights'));
    writeFileSync(join(dir, 'weights/weight.bin'), weightFile());
    writeFileSync(join(dir, 'model.mil'), milWithBlob(path));
    refused(join(dir, 'model.mil'), message);
  });

  it('refuses weights beside a bare .mil (or an .mlmodel) through a link out', () => {
    const out = outside();
    const dir = tempDir();
    writeFileSync(join(dir, 'model.mil'), MIL_V10);
    symlinkSync(join(out, 'weights'), join(dir, 'weights'));
    refused(join(dir, 'model.mil'), /symbolic link/);
    writeFileSync(join(dir, 'm.mlmodel'), blobSpec());
    refused(join(dir, 'm.mlmodel'), /symbolic link/);
  });
});

// ---- writing ---------------------------------------------------------------------------------

function onnxWithExternal(dir: string, sub = ''): string {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', 'float32', [1, 64]);
  const w = b.constant('w', 'float32', [64, 32], Array.from({ length: 64 * 32 }, (_, i) => i / 100));
  b.output(b.op('MatMul', [x, w]), 'float32', [1, 32]);
  const path = join(dir, 'm.onnx');
  if (sub) mkdirp(join(dir, sub));
  writeOnnx(b.model, path, { externalData: { location: `${sub}weights.bin`, minBytes: 256 } });
  return path;
}

function victim(): string {
  const p = join(tempDir(), 'victim.bin');
  writeFileSync(p, 'VICTIM');
  return p;
}

describe('writing: outputs that are links', () => {
  it.each([
    ['.onnx', (dir: string) => onnxWithExternal(dir)],
    ['.mlmodel', (dir: string) => {
      const p = join(dir, 'm.mlmodel');
      writeFileSync(p, programSpec());
      return p;
    }],
    ['.mil', (dir: string) => {
      const p = join(dir, 'model.mil');
      writeFileSync(p, MIL_V10);
      return p;
    }],
  ])('convert onto a %s output that is a link replaces the link and leaves its target alone', async (ext, make) => {
    const input = make(tempDir());
    const target = victim();
    const outDir = tempDir();
    const out = join(outDir, `out${ext}`);
    symlinkSync(target, out);
    const run = await runCli(['convert', input, out]);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('VICTIM');
    expect(lstatSync(out).isSymbolicLink()).toBe(false);
    expect(readModel(out).graph.nodes.length).toBeGreaterThan(0);
  });

  it.each(['.mlpackage', '.mlmodelc'])('convert onto a %s output that is a link is refused, and its target is untouched', async (ext) => {
    const input = ext === '.mlpackage' ? pkg() : bundle();
    const target = tempDir();
    writeFileSync(join(target, 'Manifest.json'), 'VICTIM');
    writeFileSync(join(target, 'model.mil'), 'VICTIM');
    const out = join(tempDir(), `out${ext}`);
    symlinkSync(target, out);
    const run = await runCli(['convert', input, out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/symbolic link/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(join(target, 'Manifest.json'), 'utf8')).toBe('VICTIM');
    expect(readlinkSync(out)).toBe(target);
    // A dangling link is refused the same way (never renamed onto, never created through).
    const dangling = join(tempDir(), `dangling${ext}`);
    symlinkSync(join(tempDir(), 'nowhere'), dangling);
    expect((await runCli(['convert', input, dangling])).code).toBe(2);
    expect(existsSync(readlinkSync(dangling))).toBe(false);
  });

  it('convert in place of a model that is itself a link replaces the link, never writes through it', async () => {
    const real = join(tempDir(), 'real.mlmodel');
    writeFileSync(real, programSpec());
    const before = readFileSync(real);
    const link = join(tempDir(), 'link.mlmodel');
    symlinkSync(real, link);
    expect((await runCli(['convert', link, link])).code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    expect(readFileSync(real).equals(before)).toBe(true);
  });

  it('--fix --out onto a link replaces the link and leaves its target alone', async () => {
    const input = onnxWithExternal(tempDir());
    const target = victim();
    const out = join(tempDir(), 'fixed.onnx');
    symlinkSync(target, out);
    const run = await runCli(['--fix', '--out', out, input]);
    expect([0, 1]).toContain(run.code);
    expect(readFileSync(target, 'utf8')).toBe('VICTIM');
    expect(lstatSync(out).isSymbolicLink()).toBe(false);
  });
});

describe('writing: files that go along with the model', () => {
  // A bundle whose model.mil names no weight file still has its weights/ copied into the package.
  const inlineMil = MIL_V10.replace(/BLOBFILE\(path = [^)]*\), offset = [^)]*\)\)/, '[1, 2, 3, 4]');

  it('a bundle whose weights directory links out is not copied from when converted to .mlpackage (fuzz: read outside)', async () => {
    expect(inlineMil).not.toContain('BLOBFILE');
    const out = outside();
    const dir = bundle(inlineMil);
    linkOver(join(dir, 'weights'), join(out, 'weights'));
    const r = await runCli(['convert', dir, join(tempDir(), 'm.mlpackage')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/weights directory location 'weights' leads out of the model's directory through a symbolic link/);
  });

  it("a bundle whose 'weights' is a file (a link inside to one) is refused in words (ENOTDIR was an internal error)", async () => {
    const dir = bundle(inlineMil);
    linkOver(join(dir, 'weights'), 'model.mil');
    const r = await runCli(['convert', dir, join(tempDir(), 'm.mlpackage')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the bundle's 'weights' is not a directory/);
  });

  it('ONNX external data copied to a link in the destination replaces the link, never writes through it', async () => {
    const input = onnxWithExternal(tempDir());
    const target = victim();
    const outDir = tempDir();
    symlinkSync(target, join(outDir, 'weights.bin'));
    const run = await runCli(['convert', input, join(outDir, 'm.onnx')]);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('VICTIM');
    expect(lstatSync(join(outDir, 'weights.bin')).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(outDir, 'weights.bin')).equals(readFileSync(join(input, '..', 'weights.bin')))).toBe(true);
  });

  it('ONNX external data under a directory that is a link in the destination is refused', async () => {
    const input = onnxWithExternal(mkdirp(join(tempDir(), 'in')), 'sub/');
    const target = tempDir();
    const outDir = tempDir();
    symlinkSync(target, join(outDir, 'sub'));
    const run = await runCli(['convert', input, join(outDir, 'm.onnx')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/symbolic link.*does not write through links/);
    expect(existsSync(join(target, 'weights.bin'))).toBe(false);
    expect(existsSync(join(outDir, 'm.onnx'))).toBe(false);
  });

  it('.mlmodel weights copied along: a link file is replaced, a link directory is refused', async () => {
    const dir = tempDir();
    mkdirp(join(dir, 'weights'));
    writeFileSync(join(dir, 'weights/weight.bin'), weightFile());
    writeFileSync(join(dir, 'm.mlmodel'), blobSpec());
    const target = victim();
    const a = tempDir();
    mkdirp(join(a, 'weights'));
    symlinkSync(target, join(a, 'weights/weight.bin'));
    expect((await runCli(['convert', join(dir, 'm.mlmodel'), join(a, 'm.mlmodel')])).code).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('VICTIM');
    expect(readModel(join(a, 'm.mlmodel')).graph.nodes[0]!.outputs[0]!.constant!.numbers()).toEqual([1, 2, 3, 4]);
    const b = tempDir();
    const elsewhere = tempDir();
    symlinkSync(elsewhere, join(b, 'weights'));
    const run = await runCli(['convert', join(dir, 'm.mlmodel'), join(b, 'm.mlmodel')]);
    expect(run.code).toBe(2);
    expect(existsSync(join(elsewhere, 'weight.bin'))).toBe(false);
  });

  it('an output inside a directory that is a link is written there (the user named that path), atomically', async () => {
    const input = onnxWithExternal(tempDir());
    const realDir = tempDir();
    const linkDir = join(tempDir(), 'linked');
    symlinkSync(realDir, linkDir);
    expect((await runCli(['convert', input, join(linkDir, 'm.onnx')])).code).toBe(0);
    expect(readModel(join(realDir, 'm.onnx')).graph.nodes.length).toBe(1);
    expect(existsSync(join(realDir, 'weights.bin'))).toBe(true);
  });
});
