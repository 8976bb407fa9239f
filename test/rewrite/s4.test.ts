import { describe, expect, it } from 'vitest';
import { inferShapes } from '../../src/analysis/shapes/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import type { Model } from '../../src/ir/model.js';
import { planPartitions } from '../../src/targets/plan.js';
import { fixBuilt, HAVE_CHECKER, HAVE_ORT, onnxChecker, ops, remainingFixable, verify } from './helpers/fix.js';

/**
 * S4: a speaker-embedding model cut 1001 frames of 400 samples with a hop of 160 out of
 * 160000 samples (centred: reflect-padded by 200 on each side, as torch.stft does) with one
 * slice op per frame. The fix makes the framing one convolution; past 16384 samples (A8, E4)
 * the signal is folded into rows of the hop first, so no dimension of the convolution exceeds it.
 */
function s4(): Model {
  const b = new ModelBuilder({ opset: 17 });
  const audio = b.input('audio', 'float32', [1, 160000]);
  const padded = b.op('Pad', [audio, b.constant('pads', 'int64', [4], [0, 200, 0, 200])], { mode: 'reflect' }, { name: 'center' });
  const axes = b.constant('axes', 'int64', [1], [1]);
  const frames = Array.from({ length: 1001 }, (_, i) => {
    const s = b.op('Slice', [padded, b.constant(`s${i}`, 'int64', [1], [i * 160]), b.constant(`e${i}`, 'int64', [1], [i * 160 + 400]), axes], {}, { name: `frame${i}` });
    return b.op('Unsqueeze', [s, axes], {}, { name: `frame${i}_unsqueeze` });
  });
  b.output(b.op('Concat', frames, { axis: 1 }, { name: 'stack', output: 'frames' }), 'float32', [1, 1001, 400]);
  return b.model;
}

describe('S4: 1001 frames of 400 samples, hop 160, from 160000', () => {
  it('become one convolution, exactly equal on random audio', async () => {
    const model = s4();
    inferShapes(model);
    const before = { ane: planPartitions(model, 'ane'), ep: planPartitions(model, 'coreml-ep') };
    // On the ANE only the fan-out is rewritten (the reflect pad stays: nothing places it elsewhere).
    expect(fixBuilt(s4()).outcome.applied.map((a) => a.ruleId)).toEqual(['slice-fan-out']);
    // For ONNX Runtime's Core ML provider (ML Program) the centring pad becomes Slice+Concat too (E8).
    const f = fixBuilt(model, { target: 'coreml-ep' });
    expect(f.outcome.failed).toEqual([]);
    expect(f.outcome.applied.map((a) => a.ruleId)).toEqual(['explicit-pad', 'slice-fan-out']);
    expect(f.outcome.nodesBefore).toBe(2004);
    // reflect pad → 2 border slices + concat; 1001 slices + 1001 unsqueezes + concat → tail zeros, rows, conv, frames, layout.
    expect(ops(f.model)).toEqual(['Slice', 'Slice', 'Concat', 'Concat', 'Reshape', 'Conv', 'Squeeze', 'Transpose']);
    expect(ops(f.model).filter((o) => o === 'Conv')).toHaveLength(1);
    const conv = f.model.graph.nodes.find((n) => n.op === 'Conv')!;
    expect(conv.inputs[1]!.constant!.dims).toEqual([400, 1, 3, 160]);
    expect(conv.attrs.get('strides')).toMatchObject({ value: [1, 160] });
    for (const v of [...conv.inputs, ...conv.outputs]) {
      const s = v!.type?.kind === 'tensor' ? v!.type.shape : null;
      expect(s?.every((d) => typeof d === 'number' && d <= 16384), `${v!.name}`).toBe(true);
    }
    if (HAVE_CHECKER) expect(onnxChecker(f.fixed)).toBeUndefined();
    if (HAVE_ORT) {
      const v = await verify(f);
      expect(v.maxAbsDiff).toBe(0);
    }
    // The op count the targets judge drops from 2004 to 8; the partitions stay one (every slice was placed already).
    const after = { ane: planPartitions(f.model, 'ane'), ep: planPartitions(f.model, 'coreml-ep') };
    expect([before.ane.nodes, after.ane.nodes]).toEqual([2004, 8]);
    expect(after.ane.count).toBeLessThanOrEqual(before.ane.count);
    expect(after.ep.count).toBeLessThanOrEqual(before.ep.count);
    expect(after.ep.supported).toBe(after.ep.nodes);
    expect(remainingFixable(f.fixed, ['slice-fan-out', 'explicit-pad'])).toEqual([]);
  });
});
