import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import rule, { type SliceFanOutData } from '../../rules/slice-fan-out.js';
import { makeContext, ModelIndex, type DebugLine } from '../../src/engine/context.js';
import type { Finding, TargetId } from '../../src/engine/rule.js';
import { readOnnx } from '../../src/formats/onnx/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import type { Value } from '../../src/ir/graph.js';
import type { Model } from '../../src/ir/model.js';
import { hasFact } from '../../src/targets/facts.js';
import { CORPUS } from '../helpers/corpus.js';
import { checkRule } from '../helpers/rule-tester.js';

/** The rule's findings with their data (checkRule also proves the rule leaves the IR alone). */
function findings(model: Model, target: TargetId = 'ane', options: { minSlices: number } = rule.meta.defaultOptions): Finding[] {
  checkRule(rule, model, { target, options });
  return rule.check(makeContext(new ModelIndex(model), rule.meta.id, options, target, []));
}

const dataOf = (f: Finding): SliceFanOutData => f.data as SliceFanOutData;

function i64(b: ModelBuilder, name: string, values: number[]): Value {
  return b.constant(name, 'int64', [values.length], values);
}

/** S4: x[1,2000] cut into `count` frames of 400 with hop 160 (opset 13 Slice inputs), joined by one Concat. */
function framing(count = 8) {
  const b = new ModelBuilder({ opset: 13 });
  const x = b.input('x', 'float32', [1, 2000]);
  const axes = i64(b, 'axes', [1]);
  const frames = Array.from({ length: count }, (_, i) =>
    b.op('Slice', [x, i64(b, `s${i}`, [i * 160]), i64(b, `e${i}`, [i * 160 + 400]), axes], {}, { name: `frame${i}` }));
  b.output(b.op('Concat', frames, { axis: 0 }, { name: 'join' }));
  return b.model;
}

/** YOLOX Focus: four strided Slices on H, each followed by a strided Slice on W, joined on channels. */
function focus(twoLevel = true) {
  const b = new ModelBuilder({ opset: 13 });
  const x = b.input('images', 'float32', [1, 3, 64, 64]);
  const big = 2 ** 62;
  const parts: Value[] = [];
  for (const [h, w] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
    if (twoLevel) {
      const rows = b.op('Slice', [x, i64(b, `hs${h}${w}`, [h]), i64(b, `he${h}${w}`, [big]), i64(b, `ha${h}${w}`, [2]), i64(b, `hp${h}${w}`, [2])], {}, { name: `rows${h}${w}` });
      parts.push(b.op('Slice', [rows, i64(b, `ws${h}${w}`, [w]), i64(b, `we${h}${w}`, [big]), i64(b, `wa${h}${w}`, [3]), i64(b, `wp${h}${w}`, [2])], {}, { name: `cols${h}${w}` }));
    } else {
      parts.push(b.op('Slice', [x, i64(b, `s${h}${w}`, [h, w]), i64(b, `e${h}${w}`, [big, big]), i64(b, `a${h}${w}`, [2, 3]), i64(b, `p${h}${w}`, [2, 2])], {}, { name: `phase${h}${w}` }));
    }
  }
  b.output(b.op('Concat', parts, { axis: 1 }, { name: 'cat' }));
  return b.model;
}

describe('slice-fan-out', () => {
  it('cites known facts and documents its option', () => {
    for (const id of rule.meta.facts) expect(hasFact(id)).toBe(true);
    expect(rule.meta.defaultOptions).toEqual({ minSlices: 4 });
    expect((rule.meta.schema as { properties: Record<string, unknown> }).properties.minSlices).toMatchObject({ default: 4 });
  });

  it('reports framing (S4) with its axis, window, hop and count, and the joining Concat', () => {
    const [f, ...rest] = findings(framing());
    expect(rest).toHaveLength(0);
    expect(f!.nodes.map((n) => n.label)).toEqual(['frame0', 'frame1', 'frame2', 'frame3', 'frame4', 'frame5', 'frame6', 'frame7']);
    expect(dataOf(f!).pattern).toEqual({ kind: 'framing', axis: 1, start: 0, size: 400, hop: 160, count: 8 });
    expect(dataOf(f!).join).toMatchObject({ node: 'main/join', op: 'Concat', axis: 0, order: [0, 1, 2, 3, 4, 5, 6, 7], otherInputs: 0 });
    expect(f!.fixable).toBe(true);
    expect(f!.message).toMatch(/x is read by 8 slices into 8 overlapping frames of 400 with a hop of 160 on axis 1, joined again by join \(Concat\)/);
    expect(f!.message).toMatch(/one strided Conv1D does the same framing \(S4\)/);
    expect(f!.message).toMatch(/one-hot kernel of 400 and stride 160/);
  });

  it('reports the two-level Focus slices as a 2×2 space-to-depth, naming all eight slices', () => {
    const [f] = findings(focus());
    expect(f!.nodes.map((n) => n.label)).toEqual(['rows00', 'cols00', 'rows10', 'cols10', 'rows01', 'cols01', 'rows11', 'cols11']);
    expect(dataOf(f!).pattern).toEqual({ kind: 'space-to-depth', axes: [2, 3], block: [2, 2], phases: [[0, 0], [1, 0], [0, 1], [1, 1]], count: 4 });
    expect(dataOf(f!).join).toMatchObject({ op: 'Concat', axis: 1, order: [0, 1, 2, 3] });
    expect(f!.fixable).toBe(true);
    expect(f!.message).toMatch(/images is read by 4 slices \(each a pair of strided slices\) into the 2×2 phases of a space-to-depth on axes 2 and 3/);
  });

  it('sees a stack written as Unsqueeze → Concat (the bundled example) as the join, fixable', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('audio', 'float32', ['batch', 1520]);
    const axis = i64(b, 'axis', [1]);
    const parts = Array.from({ length: 8 }, (_, i) => b.op('Unsqueeze', [b.op('Slice', [x, i64(b, `s${i}`, [i * 160]), i64(b, `e${i}`, [i * 160 + 400]), axis], {}, { name: `frame${i}` }), axis]));
    b.output(b.op('Concat', parts, { axis: 1 }, { name: 'stack' }));
    const [f] = findings(b.model);
    expect(dataOf(f!).join).toMatchObject({ node: 'main/stack', op: 'Concat', axis: 1, unsqueeze: 1, otherInputs: 0 });
    expect(f!.fixable).toBe(true);
    expect(f!.message).toMatch(/graphlint --fix replaces the 8 slices and the Concat with one convolution with a one-hot kernel of 400 and stride 160/);
  });

  it('does not offer to fix a stack whose unsqueeze axis differs from the concat axis', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [1, 2000]);
    const parts = Array.from({ length: 4 }, (_, i) => b.op('Unsqueeze', [b.op('Slice', [x, i64(b, `s${i}`, [i * 100]), i64(b, `e${i}`, [i * 100 + 200]), i64(b, `a${i}`, [1])]), i64(b, `u${i}`, [0])]));
    b.output(b.op('Concat', parts, { axis: 2 }));
    const [f] = findings(b.model);
    expect(f!.fixable).toBe(false);
    expect(f!.message).toMatch(/not done automatically: each slice is unsqueezed on another axis than the concat joins/);
  });

  it('reports one-level two-axis strided slices as space-to-depth too', () => {
    const [f] = findings(focus(false));
    expect(dataOf(f!).pattern).toMatchObject({ kind: 'space-to-depth', block: [2, 2] });
    expect(f!.nodes).toHaveLength(4);
  });

  it('reports a de-interleave (box decoding: every 4th element at 4 phases), not fixable without a concat', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('codes', 'float32', [100, 16]);
    for (let p = 0; p < 4; p++) {
      const s = b.op('Slice', [x, i64(b, `s${p}`, [p]), i64(b, `e${p}`, [2 ** 62]), i64(b, `a${p}`, [1]), i64(b, `p${p}`, [4])], {}, { name: `phase${p}` });
      b.output(b.op('Div', [s, b.constant(`w${p}`, 'float32', [], [10])]));
    }
    const [f] = findings(b.model);
    expect(dataOf(f!).pattern).toEqual({ kind: 'interleave', axis: 1, step: 4, phases: [0, 1, 2, 3], count: 4 });
    expect(dataOf(f!).readers).toEqual(['Div']);
    expect(f!.fixable).toBe(false);
    expect(f!.message).toMatch(/taking every 4th element on axis 1 at 4 phases \(0, 1, 2, 3\), read by Div/);
  });

  it('reports irregular and repeated slices (UltraFace box decoding) without a pattern', () => {
    const b = new ModelBuilder({ opset: 9 });
    const x = b.input('boxes', 'float32', [1, 4420, 4]);
    const halves = [[0, 2], [2, 2 ** 62], [0, 2], [2, 2 ** 62]];
    halves.forEach(([s, e], i) => b.output(b.op('Slice', [x], { axes: [2], starts: [s!], ends: [e!] }, { name: `half${i}` })));
    const [f] = findings(b.model);
    expect(f!.nodes).toHaveLength(4);
    expect(dataOf(f!).pattern).toBeNull();
    expect(dataOf(f!).distinctWindows).toBe(2);
    expect(f!.fixable).toBe(false);
    expect(f!.message).toMatch(/boxes is read by 4 slices at axis 2 \[0:2\]; axis 2 \[2:4\] \(2 distinct windows, so some slices repeat\)/);
  });

  it('reads ML Program slice_by_index ops (named inputs, per-axis masks)', () => {
    const b = new ModelBuilder();
    const x = b.input('x', 'float32', [1, 1000]);
    const g = b.graph;
    for (let i = 0; i < 4; i++) {
      g.addNode({
        op: 'slice_by_index', kind: 'slice_by_index', name: `s${i}`,
        // Named arguments in no particular order (as ML Program files store them).
        inputs: [i64(b, `b${i}`, [0, i * 100]), i64(b, `e${i}`, [0, i * 100 + 200]), i64(b, `bm${i}`, [1, 0]), i64(b, `em${i}`, [1, 0]), x],
        inputNames: ['begin', 'end', 'begin_mask', 'end_mask', 'x'], outputs: [`y${i}`],
      });
      b.output(g.values.get(`y${i}`)!);
    }
    const [f] = findings(b.model);
    expect(dataOf(f!).pattern).toEqual({ kind: 'framing', axis: 1, start: 0, size: 200, hop: 100, count: 4 });
  });

  it('without --debug passes over slices whose tensor has too few readers, and finds the same', () => {
    const quiet = (model: Model): Finding[] =>
      rule.check(makeContext(new ModelIndex(model), rule.meta.id, rule.meta.defaultOptions, 'ane', undefined));
    // Exactly minSlices readers, and a two-level Focus whose second slices each read a slice alone.
    for (const model of [framing(4), focus(true)]) expect(quiet(model)).toEqual(findings(model));
    expect(quiet(framing(4))).toHaveLength(1);
    // Three readers of four needed: no finding either way; the near miss is said under --debug only.
    expect(quiet(framing(3))).toEqual([]);
    const lines: DebugLine[] = [];
    expect(rule.check(makeContext(new ModelIndex(framing(3)), rule.meta.id, rule.meta.defaultOptions, 'ane', lines))).toEqual([]);
    expect(lines.map((l) => l.reason)).toContain('x is read by 3 slices here, fewer than minSlices 4');
  });

  it('takes minSlices from the options', () => {
    expect(findings(framing(3))).toHaveLength(0);
    expect(findings(framing(3), 'ane', { minSlices: 3 })).toHaveLength(1);
  });

  it('is info on coreml-ep: the provider claims constant slices (E5)', () => {
    const [d] = checkRule(rule, framing(), { target: 'coreml-ep' });
    expect(d!.severity).toBe('info');
    expect(d!.message).toMatch(/claims slices with constant starts, ends, axes and steps \(E5\)/);
  });

  describe('near misses', () => {
    it('does not count Split (one op already)', () => {
      const b = new ModelBuilder({ opset: 13 });
      const x = b.input('x', 'float32', [1, 8, 16]);
      for (const y of b.opN('Split', [x], 4, { axis: 1 })) b.output(y);
      expect(findings(b.model)).toHaveLength(0);
    });

    it('does not count slices whose starts are computed at run time', () => {
      const b = new ModelBuilder({ opset: 13 });
      const x = b.input('x', 'float32', [1, 2000]);
      const n = b.input('n', 'int64', [1]);
      for (let i = 0; i < 4; i++) b.output(b.op('Slice', [x, n, i64(b, `e${i}`, [i * 100 + 50])]));
      expect(findings(b.model)).toHaveLength(0);
    });

    it('does not report slices of a constant (folded away)', () => {
      const b = new ModelBuilder({ opset: 13 });
      const w = b.constant('w', 'float32', [8, 8], new Array(64).fill(1));
      for (let i = 0; i < 4; i++) b.output(b.op('Slice', [w, i64(b, `s${i}`, [i * 2]), i64(b, `e${i}`, [i * 2 + 2])]));
      expect(findings(b.model)).toHaveLength(0);
    });

    it('does not add up slices in different If branches (they never run together)', () => {
      const b = new ModelBuilder({ opset: 13 });
      const h = b.input('h', 'float32', [2, 1, 64]);
      const cond = b.input('c', 'bool', []);
      const branches = ['then_branch', 'else_branch'].map((slot) => {
        const g = b.subgraph(slot);
        for (let i = 0; i < 2; i++) g.outputs.push(b.op('Slice', [h, i64(b, `${slot}s${i}`, [i]), i64(b, `${slot}e${i}`, [i + 1])], {}, { graph: g }));
        return g;
      });
      const outs = b.opN('If', [cond], 2, { then_branch: branches[0]!, else_branch: branches[1]! });
      for (const o of outs) b.output(o);
      expect(findings(b.model)).toHaveLength(0);
    });
  });
});

const ONNX = join(CORPUS, 'onnx');

describe.skipIf(!existsSync(ONNX))('slice-fan-out on the corpus', () => {
  const load = (name: string): Model => readOnnx(join(ONNX, name));

  it('yolox_nano: the Focus input is one 2×2 space-to-depth (8 slices, 1 concat), fixable', () => {
    const f = findings(load('yolox_nano.onnx'));
    expect(f).toHaveLength(1);
    expect(f[0]!.nodes).toHaveLength(8);
    expect(dataOf(f[0]!)).toMatchObject({ input: 'images', count: 4, pattern: { kind: 'space-to-depth', axes: [2, 3], block: [2, 2] }, join: { op: 'Concat', axis: 1 } });
    expect(f[0]!.fixable).toBe(true);
  });

  it('ultraface_rfb_320: one tensor read by 4 Slices (2 distinct windows)', () => {
    const f = findings(load('ultraface_rfb_320.onnx'));
    expect(f).toHaveLength(1);
    expect(f[0]!.nodes.map((n) => n.label)).toEqual(['Slice_231', 'Slice_232', 'Slice_236', 'Slice_237']);
    expect(dataOf(f[0]!)).toMatchObject({ input: '475', count: 4, distinctWindows: 2, pattern: null });
  });

  it('ssdlite320: the box decode reads one tensor at 4 phases of stride 4', () => {
    const f = findings(load('ssdlite320_mobilenet_v3_large_op17.onnx'));
    expect(f).toHaveLength(1);
    expect(dataOf(f[0]!).pattern).toMatchObject({ kind: 'interleave', step: 4, count: 4 });
  });

  it('reports nothing on models without a fan-out', () => {
    for (const name of ['efficientnet_mini_op13.onnx', 'vit_small_dynbatch_op13.onnx', 'lstm_op13.onnx', 'silero_vad_v4.onnx', 'silero_vad_v5.onnx', 'convnext_mini_op17.onnx']) {
      expect(findings(load(name)), name).toHaveLength(0);
    }
  });
});
