import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFaults } from '../../src/formats/atomic-write.js';
import { ortModule } from '../../src/rewrite/numeric.js';
import { readModel } from '../../src/formats/index.js';
import { CORPUS, REPO_ROOT } from '../helpers/corpus.js';
import { runCli } from '../helpers/run-cli.js';
import { copyWritable, tempDir } from '../helpers/tmp.js';
import { HAVE_ORT } from './helpers/fix.js';

/** --fix, --fix-unsafe, --fix-dry-run, --out and --verify through the CLI (CONTRACT.md). */

const EXAMPLE = join(REPO_ROOT, 'examples', 'tiny-speech-encoder.onnx');

function copyExample(): { dir: string; path: string } {
  const dir = tempDir();
  const path = join(dir, 'model.onnx');
  copyFileSync(EXAMPLE, path);
  return { dir, path };
}

afterEach(() => {
  writeFaults.failAfterBytes = Infinity;
  ortModule.id = 'onnxruntime-node';
});

describe('graphlint --fix', () => {
  it('refuses --fix with --fix-dry-run, --out with several models, and --verify or --out without a fix (exit 2)', async () => {
    const { path } = copyExample();
    expect((await runCli([path, '--fix', '--fix-dry-run'])).code).toBe(2);
    expect((await runCli([path, EXAMPLE, '--fix', '--out', join(tempDir(), 'x.onnx')])).stderr).toMatch(/--out takes exactly one input model; 2 were given/);
    expect((await runCli([path, '--verify'])).stderr).toMatch(/--verify needs --fix/);
    expect((await runCli([path, '--fix-dry-run', '--out', 'x.onnx'])).code).toBe(2);
  });

  it('--fix-dry-run reports what would change, with partitions before → after, and writes nothing', async () => {
    const { dir, path } = copyExample();
    const bytes = readFileSync(path);
    const r = await runCli([path, '--fix-dry-run', '--format', 'json', '--input-shape', 'audio=1,1520']);
    expect(r.code).toBe(0);
    const fixes = JSON.parse(r.stdout).results[0].fixes;
    expect(fixes.dryRun).toBe(true);
    expect(fixes.written).toBeNull();
    expect(fixes.applied.map((a: { ruleId: string }) => a.ruleId)).toEqual(['slice-fan-out', 'dynamic-reshape', 'linear-to-conv', 'linear-to-conv']);
    expect(fixes.nodes).toEqual({ before: 39, after: 26 });
    expect(fixes.partitions.target).toBe('ane');
    expect(fixes.partitions.before).toMatchObject({ count: 1 });
    expect(fixes.partitions.after).toMatchObject({ count: 1 });
    expect(fixes.partitions.after.nodes).toBeLessThan(fixes.partitions.before.nodes);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(readdirSync(dir)).toEqual(['model.onnx']);
  });

  it('rewrites the bundled example (framing slices joined by Unsqueeze → Concat) in place; a second --fix changes nothing', async () => {
    const { path } = copyExample();
    const before = await runCli([path]);
    expect(before.stdout).toMatch(/graphlint --fix replaces the 8 slices and the Concat with one convolution with a one-hot kernel of 400 and stride 160/);
    const r = await runCli([path, '--fix']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/fixed 3 findings in 3 passes \(39 → 30 nodes; ane partitions/);
    expect(r.stdout).toMatch(/8 slices, their unsqueezes and stack_frames \(Concat\) → one strided convolution with a one-hot kernel/);
    const m = readModel(path);
    expect(m.graph.nodes.some((n) => n.op === 'Slice')).toBe(false);
    expect(m.graph.nodes.filter((n) => n.op === 'Conv')).toHaveLength(3);
    const fixed = readFileSync(path);
    const again = await runCli([path, '--fix', '--format', 'json']);
    const fixes = JSON.parse(again.stdout).results[0].fixes;
    expect(fixes.applied).toEqual([]);
    expect(fixes.written).toBeNull();
    expect(readFileSync(path).equals(fixed)).toBe(true);
  });

  it('--out writes elsewhere; --verify runs both models in onnxruntime-node and reports the differences', async () => {
    const { dir, path } = copyExample();
    const bytes = readFileSync(path);
    const out = join(dir, 'fixed.onnx');
    const args = [path, '--fix', '--out', out, '--format', 'json', ...(HAVE_ORT ? ['--verify'] : [])];
    const r = await runCli(args);
    expect(r.code).toBe(0);
    const fixes = JSON.parse(r.stdout).results[0].fixes;
    expect(fixes.written).toBe(out);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(existsSync(out)).toBe(true);
    if (HAVE_ORT) {
      expect(fixes.verify).toMatchObject({ inputs: 2, ok: true, tolerance: 1e-4 });
      expect(fixes.verify.maxRelDiff).toBeLessThan(1e-5);
    }
    expect(readdirSync(dir).sort()).toEqual(['fixed.onnx', 'model.onnx']); // no temporary file left
  });

  it.skipIf(!HAVE_ORT)('--fix-unsafe --verify above the tolerance: exit 1, and the model is not written', async () => {
    const { path } = copyExample();
    const bytes = readFileSync(path);
    const r = await runCli([path, '--fix-unsafe', '--verify', '--verify-tolerance', '1e-9', '--format', 'json']);
    expect(r.code).toBe(1);
    const fixes = JSON.parse(r.stdout).results[0].fixes;
    expect(fixes.applied.map((a: { ruleId: string }) => a.ruleId)).toContain('gelu');
    expect(fixes.verify.ok).toBe(false);
    expect(fixes.written).toBeNull();
    expect(r.stderr).toMatch(/above the tolerance 1e-9; it is not written/);
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('without onnxruntime-node, --verify says how to install it, exits 2 and writes nothing; lint and --fix work without it', async () => {
    const { path } = copyExample();
    const bytes = readFileSync(path);
    ortModule.id = 'onnxruntime-node-not-installed';
    const r = await runCli([path, '--fix', '--verify']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--verify needs onnxruntime-node, which is not installed or does not load here .*npm install onnxruntime-node \(set ONNXRUNTIME_NODE_INSTALL=skip/);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect((await runCli([path, '--fix'])).code).toBe(0);
  });

  it('leaves the input byte-identical when the write fails half-way (injected), and says so (exit 2)', async () => {
    const { dir, path } = copyExample();
    const bytes = readFileSync(path);
    writeFaults.failAfterBytes = 100;
    const r = await runCli([path, '--fix']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the fixed model was not written \(the input is unchanged\): injected write failure/);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(readdirSync(dir)).toEqual(['model.onnx']);
  });

  const PKG = join(CORPUS, 'coreml', 'converted', 'tiny_image_classifier.mlpackage');
  it.skipIf(!existsSync(PKG))('fixes an .mlpackage in place (a whole new package swapped in); a failed write leaves it as it was', async () => {
    const dir = tempDir();
    const pkg = join(dir, 'model.mlpackage');
    copyWritable(PKG, pkg);
    const files = (p: string): string[] => readdirSync(p, { recursive: true }).map(String).sort();
    const snapshot = (): Record<string, string> => Object.fromEntries(files(pkg).filter((f) => !f.endsWith('/') && existsSync(join(pkg, f)) && !readdirSync(dir).includes(f)).map((f) => {
      try {
        return [f, readFileSync(join(pkg, f)).toString('base64')];
      } catch {
        return [f, 'dir'];
      }
    }));
    const original = snapshot();
    writeFaults.failAfterBytes = 64;
    expect((await runCli([pkg, '--fix'])).code).toBe(2);
    expect(snapshot()).toEqual(original);
    expect(readdirSync(dir)).toEqual(['model.mlpackage']);
    writeFaults.failAfterBytes = Infinity;
    const r = await runCli([pkg, '--fix', '--format', 'json']);
    expect(JSON.parse(r.stdout).results[0].fixes.written).toBe(pkg);
    expect(readModel(pkg).graph.nodes.some((n) => n.op === 'linear')).toBe(false);
    expect(readdirSync(dir)).toEqual(['model.mlpackage']);
  });

  it.skipIf(!existsSync(PKG))('does not fix in place an .mlpackage whose directory nobody may write (mode 555), and leaves nothing beside it', async () => {
    const dir = tempDir();
    const pkg = join(dir, 'model.mlpackage');
    copyWritable(PKG, pkg);
    chmodSync(pkg, 0o555);
    const before = readdirSync(pkg, { recursive: true }).map(String).sort();
    const r = await runCli([pkg, '--fix']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${pkg} is read-only`);
    expect(readModel(pkg).graph.nodes.some((n) => n.op === 'linear')).toBe(true);
    expect(readdirSync(pkg, { recursive: true }).map(String).sort()).toEqual(before);
    expect(readdirSync(dir)).toEqual(['model.mlpackage']);
    chmodSync(pkg, 0o755);
  });
});
