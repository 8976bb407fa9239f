import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../rules/index.js';
import { lintFile } from '../../src/engine/lint-file.js';
import type { Diagnostic } from '../../src/report/result.js';
import { CORPUS, onnxCorpus } from '../helpers/corpus.js';

/**
 * The acceptance list, checked through the whole engine (reader, shape inference,
 * every registered rule) on the real models. Counts come from the architectures in
 * ../shared/corpus/onnx/MANIFEST.md; each was also traced in the graphs by hand.
 */
const corpus = onnxCorpus();

function counts(file: string): Map<string, number> {
  const { result } = lintFile(join(CORPUS, 'onnx', file), { rules: RULES, target: 'ane' });
  expect(result.fatal).toBeNull();
  const out = new Map<string, number>();
  for (const d of result.diagnostics as Diagnostic[]) out.set(d.ruleId, (out.get(d.ruleId) ?? 0) + 1);
  return out;
}

function unsupportedOps(file: string): Map<string, number> {
  const { result } = lintFile(join(CORPUS, 'onnx', file), { rules: RULES, target: 'ane' });
  const out = new Map<string, number>();
  for (const d of result.diagnostics) {
    if (d.ruleId !== 'unsupported-op' || d.severity !== 'error') continue;
    const op = /^(\w+)/.exec(d.message)?.[1] ?? '?';
    out.set(op, (out.get(op) ?? 0) + 1);
  }
  return out;
}

describe.skipIf(corpus.length === 0)('rules on the ONNX corpus (issue 4 acceptance)', () => {
  it.each([
    ['efficientnet_mini_op13.onnx', { 'squeeze-excitation': 10, silu: 31 }],
    ['vit_small_dynbatch_op13.onnx', { 'layer-norm': 9, gelu: 4 }],
    ['convnext_mini_op17.onnx', { 'layer-norm': 13, gelu: 8 }],
    ['ppocrv4_det.onnx', { 'squeeze-excitation': 10, silu: 24 }],
    ['raft_small_2iter_op17.onnx', { 'instance-norm': 21 }],
  ])('%s: %j', (file, expected) => {
    const found = counts(file);
    for (const [rule, n] of Object.entries(expected)) expect({ rule, n: found.get(rule) ?? 0 }).toEqual({ rule, n });
  });

  it('vit_small_dynbatch has dynamic reshapes and a dynamic input', () => {
    const found = counts('vit_small_dynbatch_op13.onnx');
    expect(found.get('dynamic-reshape')).toBeGreaterThan(0);
    expect(found.get('dynamic-shape')).toBe(1);
  });

  it.each(['ultraface_rfb_320.onnx', 'yolox_nano.onnx'])('%s has a slice fan-out', (file) => {
    expect(counts(file).get('slice-fan-out')).toBe(1);
  });

  it('ssdlite320 reports TopK, NonZero, GatherND and NonMaxSuppression as unsupported', () => {
    const ops = unsupportedOps('ssdlite320_mobilenet_v3_large_op17.onnx');
    for (const op of ['TopK', 'NonZero', 'GatherND', 'NonMaxSuppression']) expect(ops.get(op), op).toBeGreaterThan(0);
  });

  it.each([
    ['lstm_op13.onnx', 2],
    ['silero_vad_v4.onnx', 8],
    ['silero_vad_v5.onnx', 4],
    ['silero_vad_v6_16k_op15.onnx', 2],
  ])('%s: its %i LSTMs are unsupported on the Neural Engine', (file, n) => {
    expect(unsupportedOps(file).get('LSTM')).toBe(n);
  });

  it.each(['lstm_op13.onnx', 'ultraface_rfb_320.onnx', 'silero_vad_v4.onnx', 'yolox_nano.onnx'])(
    '%s: no layer-norm, gelu or squeeze-excitation where the architecture has none',
    (file) => {
      const found = counts(file);
      for (const rule of ['layer-norm', 'gelu', 'squeeze-excitation', 'instance-norm']) expect({ file: basename(file), rule, n: found.get(rule) ?? 0 }).toEqual({ file: basename(file), rule, n: 0 });
      if (file !== 'yolox_nano.onnx') expect(found.get('silu') ?? 0).toBe(0);
    },
  );
});
