import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../rules/index.js';
import { fixModel } from '../../src/engine/fix-loop.js';
import { lintModel } from '../../src/engine/lint-file.js';
import { readModel, writeModel } from '../../src/formats/index.js';
import type { Model } from '../../src/ir/model.js';
import { printGraph, printModel } from '../../src/ir/print.js';
import { CORPUS } from '../helpers/corpus.js';
import { tempDir } from '../helpers/tmp.js';
import { maxDiff, MilEvaluator, randomTensor, type T } from './helpers/mil-eval.js';

/**
 * ML Program rewrites on the Core ML corpus: written back as .mlpackage (new weights appended
 * to weight.bin), read again, compared with golden text dumps, and checked numerically with a
 * small float32 evaluator of the MIL ops involved (no Core ML here).
 */

const COREML = join(CORPUS, 'coreml');
const HAVE = existsSync(COREML);
if (!HAVE) console.warn(`SKIPPED: ${COREML} not found; Core ML rewrite tests need ../shared/corpus beside the checkout`);
const WEIGHTS = 'Data/com.apple.CoreML/weights/weight.bin';

function fixAndWrite(rel: string, unsafe = false, target: TargetId = 'ane'): { before: Model; after: Model; out: string; applied: string[] } {
  const src = join(COREML, rel);
  const m = readModel(src);
  const outcome = fixModel(m, { rules: RULES, target, unsafe });
  expect(outcome.failed).toEqual([]);
  const out = join(tempDir(), `${rel.split('/').pop()!.replace(/\.\w+$/, '')}.mlpackage`);
  writeModel(m, out);
  return { before: readModel(src), after: readModel(out), out, applied: outcome.applied.map((a) => a.ruleId) };
}

/** The largest difference over every value both programs compute under the same name with the same op. */
function sharedValues(a: Model, b: Model, feed: (m: Model, e: MilEvaluator) => void): { abs: number; rel: number; compared: number } {
  const ea = new MilEvaluator(a.graph);
  const eb = new MilEvaluator(b.graph);
  feed(a, ea);
  feed(b, eb);
  let worst = { abs: 0, rel: 0 };
  let compared = 0;
  for (const n of a.graph.nodes) {
    if (n.op === 'const') continue;
    const v = b.graph.values.get(n.outputs[0]!.name);
    if (!v || v.producer?.op !== n.op) continue;
    let x: T;
    try {
      x = ea.value(n.outputs[0]!);
    } catch {
      continue; // upstream of the feed
    }
    const d = maxDiff(x, eb.value(v));
    compared++;
    if (d.rel > worst.rel) worst = d;
  }
  return { ...worst, compared };
}

/** The lines of the main graph from the node producing `from` on (a rewritten region). */
function region(m: Model, from: string, count = 60): string {
  const lines = printGraph(m.graph);
  const at = lines.findIndex((l) => l.includes(` # ${from} `) || l.startsWith(`  ${from}:`));
  return `${lines.slice(Math.max(0, at), at + count).join('\n')}\n`;
}

describe.skipIf(!HAVE)('ML Program rewrites on the Core ML corpus', () => {
  it('vit_tiny_random.mlpackage: 17 linears → 1×1 convolutions; the same numbers; weights appended; stable', async () => {
    const { before, after, out, applied } = fixAndWrite('converted/vit_tiny_random.mlpackage');
    expect(applied).toEqual(new Array(17).fill('linear-to-conv'));
    expect(after.graph.nodes.filter((n) => n.op === 'linear')).toHaveLength(0);
    expect(after.graph.nodes.filter((n) => n.op === 'conv')).toHaveLength(18);
    expect(after.graph.outputs.map((v) => v.name)).toEqual(before.graph.outputs.map((v) => v.name));
    await expect(printModel(after)).toMatchFileSnapshot('golden/vit_tiny_random.fixed.txt');
    // Existing blobs stay where they were; the reshaped weights are new blobs after them.
    const w0 = readFileSync(join(COREML, 'converted/vit_tiny_random.mlpackage', WEIGHTS));
    const w1 = readFileSync(join(out, WEIGHTS));
    expect(w1.subarray(4, w0.length).equals(w0.subarray(4))).toBe(true);
    const d = sharedValues(before, after, (m, e) => e.feed(m.graph.inputs[0]!, randomTensor([1, 3, 96, 96], 11)));
    expect(d.compared).toBeGreaterThan(50);
    expect(d.rel).toBeLessThanOrEqual(1e-5);
    expect(fixModel(readModel(out), { rules: RULES, target: 'ane' }).applied).toEqual([]);
    expect(lintModel(readModel(out), out, { rules: RULES, target: 'ane' }).diagnostics.filter((x) => x.fixable && x.ruleId === 'linear-to-conv')).toEqual([]);
  });

  it('mobilenet_v3_small.mlpackage: the classifier head (2 linears) → 1×1 convolutions, the same logits', async () => {
    const { before, after, applied } = fixAndWrite('converted/mobilenet_v3_small.mlpackage');
    expect(applied).toEqual(['linear-to-conv', 'linear-to-conv']);
    await expect(region(after, 'x_cast_fp16')).toMatchFileSnapshot('golden/mobilenet_v3_small.head.fixed.txt');
    const pooled = randomTensor([1, 576, 1, 1], 5);
    const d = sharedValues(before, after, (m, e) => e.feed(m.graph.values.get('x_cast_fp16')!, pooled));
    expect(d.compared).toBeGreaterThanOrEqual(5); // thresholded_relu, sigmoid_hard, mul, ... and the output
    expect(d.rel).toBeLessThanOrEqual(1e-5);
  });

  it('vit_tiny_random.mlpackage with --fix-unsafe: exact GELU → gelu TANH_APPROXIMATION, within about 1e-3', () => {
    const { before, after, applied } = fixAndWrite('converted/vit_tiny_random.mlpackage', true);
    expect(applied.filter((a) => a === 'gelu')).toHaveLength(4);
    const gelus = after.graph.nodes.filter((n) => n.op === 'gelu');
    expect(gelus).toHaveLength(4);
    for (const g of gelus) expect(new TextDecoder().decode(g.input('mode')!.producer!.outputs[0]!.constant!.bytes())).toBe('TANH_APPROXIMATION');
    const d = sharedValues(before, after, (m, e) => e.feed(m.graph.inputs[0]!, randomTensor([1, 3, 96, 96], 11)));
    expect(d.abs).toBeGreaterThan(0);
    expect(d.abs).toBeLessThan(2e-3);
  });

  it('a compiled model (parakeet preprocessor .mlmodelc) → .mlpackage: its reflect pad becomes slice_by_index + concat, the same samples', async () => {
    const rel = 'real/partial/parakeet_eou_1280ms_parakeet_eou_preprocessor.mlmodelc';
    if (!existsSync(join(COREML, rel))) return;
    // The Slice+Concat form is what ONNX Runtime's Core ML provider (ML Program) claims (E8):
    // judged for that target, the MIL lowering of the rewrite is exercised here.
    const { before, after, applied } = fixAndWrite(rel, false, 'coreml-ep');
    expect(applied).toEqual(['explicit-pad']);
    expect(after.graph.nodes.filter((n) => n.op === 'pad')).toHaveLength(0);
    await expect(region(after, 'input_3', 24)).toMatchFileSnapshot('golden/parakeet_preprocessor.pad.fixed.txt');
    // The pad's reader sees the same tensor.
    const x = randomTensor([1, 1, 2000], 3);
    const pad = before.graph.nodes.find((n) => n.op === 'pad')!;
    const reader = pad.outputs[0]!.uses[0]!;
    const ea = new MilEvaluator(before.graph).feed(before.graph.values.get('input_3')!, x);
    const eb = new MilEvaluator(after.graph).feed(after.graph.values.get('input_3')!, x);
    const twin = after.graph.nodes.find((n) => n.name === reader.node.name)!;
    const d = maxDiff(ea.value(pad.outputs[0]!), eb.value(twin.inputs[reader.index]!));
    expect(d.abs).toBe(0);
  });

  it('NeuralNetwork models are reported, not rewritten', () => {
    const m = readModel(join(COREML, 'converted/mobilenet_v3_small.mlmodel'));
    const d = lintModel(m, 'x', { rules: RULES, target: 'ane' }).diagnostics.filter((x) => x.ruleId === 'linear-to-conv');
    expect(d.length).toBeGreaterThan(0);
    expect(d.every((x) => !x.fixable)).toBe(true);
    expect(d[0]!.message).toMatch(/not automatic here: NeuralNetwork layers are not rewritten/);
    expect(fixModel(m, { rules: RULES, target: 'ane' })).toMatchObject({ stop: 'not-rewritable', changed: false });
  });
});
