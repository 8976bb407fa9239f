import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import rule, { type DynamicReshapeData } from '../../rules/dynamic-reshape.js';
import { makeContext, ModelIndex } from '../../src/engine/context.js';
import type { Finding, TargetId } from '../../src/engine/rule.js';
import { readOnnx } from '../../src/formats/onnx/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import type { Value } from '../../src/ir/graph.js';
import type { Model } from '../../src/ir/model.js';
import type { Dim } from '../../src/ir/shape.js';
import { Tensor } from '../../src/ir/tensor.js';
import { hasFact } from '../../src/targets/facts.js';
import { CORPUS } from '../helpers/corpus.js';
import { checkRule } from '../helpers/rule-tester.js';

function findings(model: Model, target: TargetId = 'ane'): Finding[] {
  checkRule(rule, model, { target });
  return rule.check(makeContext(new ModelIndex(model), rule.meta.id, {}, target, []));
}

const dataOf = (f: Finding): DynamicReshapeData => f.data as DynamicReshapeData;
const i64 = (b: ModelBuilder, name: string, values: number[], dims = [values.length]): Value => b.constant(name, 'int64', dims, values);
/** An ONNX Constant node (the exporters' way), so the chain shows it is left out of the findings. */
const constNode = (b: ModelBuilder, values: number[], name: string): Value =>
  b.op('Constant', [], { value: Tensor.fromBytes('int64', [values.length], new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer)) }, { name });

/** x → Reshape(x, Concat(Unsqueeze(Gather(Shape(x), axis)), -1)): the exporters' flatten. */
function flatten(shape: readonly Dim[], axis = 0) {
  const b = new ModelBuilder({ opset: 13 });
  const x = b.input('x', 'float32', shape);
  const dims = b.op('Shape', [x], {}, { name: 'shape' });
  const d = b.op('Gather', [dims, constNode(b, [axis], 'idx')], { axis: 0 }, { name: 'gather' });
  const u = b.op('Unsqueeze', [d, i64(b, 'axes', [0])], {}, { name: 'unsqueeze' });
  const target = b.op('Concat', [u, constNode(b, [-1], 'minus_one')], { axis: 0 }, { name: 'concat' });
  b.output(b.op('Reshape', [x, target], {}, { name: 'reshape' }));
  return b.model;
}

describe('dynamic-reshape', () => {
  it('cites known facts', () => {
    for (const id of rule.meta.facts) expect(hasFact(id)).toBe(true);
  });

  it('reports Shape→Gather→Unsqueeze→Concat→Reshape on a dynamic batch: constant once the input shape is fixed', () => {
    const [f, ...rest] = findings(flatten(['batch', 16, 8]));
    expect(rest).toHaveLength(0);
    expect(f!.nodes.map((n) => n.label)).toEqual(['reshape', 'shape', 'gather', 'unsqueeze', 'concat']);
    expect(dataOf(f!)).toMatchObject({
      operand: 'shape', constantWhen: 'input-shapes', reads: [{ value: 'x', axis: 0, dim: 'batch' }], dynamicInputs: ['x'], dataInputs: [],
    });
    expect(f!.fixable).toBe(false);
    expect(f!.severity).toBeUndefined();
    expect(f!.message).toMatch(/reshape \(Reshape\) gets its shape from a Shape→Gather→Unsqueeze→Concat chain \(4 nodes\) computed at run time/);
    expect(f!.message).toMatch(/Neural-Engine-hostile patterns \(S2\)/);
    expect(f!.message).toMatch(/among them 'x'\[0\] \('batch'\); fix the dynamic input dimensions \(x\) with --input-shape/);
  });

  it('is a constant in disguise (info, fixable) when every dimension it reads is fixed', () => {
    const [f] = findings(flatten([2, 16, 8]));
    expect(dataOf(f!).constantWhen).toBe('now');
    expect(f!.fixable).toBe(true);
    expect(f!.severity).toBe('info');
    expect(f!.message).toMatch(/constant in disguise/);
  });

  it('tells the dimensions apart: reading a fixed axis of a dynamic input is constant now', () => {
    const [f] = findings(flatten(['batch', 16, 8], 1));
    expect(dataOf(f!)).toMatchObject({ constantWhen: 'now', reads: [{ value: 'x', axis: 1, dim: 16 }] });
  });

  it('follows opset-9 Shape→Cast→Slice→Cast→Concat (PaddleOCR)', () => {
    const b = new ModelBuilder({ opset: 9 });
    const x = b.input('x', 'float32', ['N', 200, 1, 1]);
    const s = b.op('Slice', [b.op('Cast', [b.op('Shape', [x])], { to: 6 })], { axes: [0], starts: [0], ends: [1] });
    const target = b.op('Concat', [b.op('Cast', [s], { to: 7 }), b.op('Cast', [constNode(b, [-1], 'rest')], { to: 7 })], { axis: 0 });
    b.output(b.op('Reshape', [x, target], {}, { name: 'reshape' }));
    const [f] = findings(b.model);
    expect(f!.nodes.map((n) => n.op)).toEqual(['Reshape', 'Shape', 'Cast', 'Slice', 'Cast', 'Cast', 'Concat']);
    expect(dataOf(f!)).toMatchObject({ constantWhen: 'input-shapes', reads: [{ value: 'x', axis: 0, dim: 'N' }] });
  });

  it('covers Expand, Tile, ConstantOfShape and Resize sizes', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', ['N', 4, 8, 8]);
    const dims = b.op('Shape', [x]);
    b.output(b.op('Expand', [b.constant('one', 'float32', [1], [1]), dims], {}, { name: 'expand' }));
    b.output(b.op('Tile', [x, b.op('Div', [dims, i64(b, 'two', [2])])], {}, { name: 'tile' }));
    b.output(b.op('ConstantOfShape', [dims], {}, { name: 'fill' }));
    b.output(b.op('Resize', [x, null, null, b.op('Mul', [dims, i64(b, 'scale', [1, 1, 2, 2])])], { mode: 'nearest' }, { name: 'resize' }));
    const f = findings(b.model);
    expect(f.map((x) => [x.nodes[0]!.label, dataOf(x).operand]).sort()).toEqual([
      ['expand', 'shape'], ['fill', 'shape'], ['resize', 'sizes'], ['tile', 'repeats'],
    ]);
  });

  it('says why on coreml-ep: Reshape needs a constant shape (E5)', () => {
    const [f] = findings(flatten(['batch', 16, 8]), 'coreml-ep');
    expect(f!.message).toMatch(/takes Reshape only with a constant shape \(E5\)/);
  });

  it('never constant: a shape fed as a graph input, or read off a data-dependent shape', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [4, 4]);
    const wanted = b.input('wanted', 'int64', [2]);
    b.output(b.op('Reshape', [x, wanted], {}, { name: 'by_input' }));
    const nz = b.op('NonZero', [x], {}, { name: 'nonzero' });
    b.output(b.op('ConstantOfShape', [b.op('Shape', [nz], {}, { name: 'nz_shape' })], {}, { name: 'by_nonzero' }));
    const [a, c] = findings(b.model);
    expect(dataOf(a!)).toMatchObject({ constantWhen: 'never', dataInputs: ['wanted'] });
    expect(a!.nodes.map((n) => n.label)).toEqual(['by_input']);
    expect(a!.message).toMatch(/depends on the values of 'wanted'/);
    expect(dataOf(c!)).toMatchObject({ constantWhen: 'never', dataShapes: [nz.name] });
    expect(c!.message).toMatch(/the shape of 'nonzero_out', which itself depends on data/);
    expect(c!.fixable).toBe(false);
  });

  it('reads an ML Program reshape whose shape comes from a shape op', () => {
    const b = new ModelBuilder();
    const x = b.input('x', 'float32', ['B', 8, 8]);
    const g = b.graph;
    g.addNode({ op: 'shape', kind: 'shape', name: 'shp', inputs: [x], inputNames: ['x'], outputs: ['s'] });
    g.addNode({ op: 'reshape', kind: 'reshape', name: 'rs', inputs: [x, g.values.get('s')!], inputNames: ['x', 'shape'], outputs: ['y'] });
    b.output(g.values.get('y')!);
    const [f] = findings(b.model);
    expect(f!.nodes.map((n) => n.label)).toEqual(['rs', 'shp']);
    expect(dataOf(f!).constantWhen).toBe('input-shapes');
  });

  it('sees through an If whose condition and branches depend on shapes only', () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', 'float32', ['N', 8]);
    const dims = b.op('Shape', [x], {}, { name: 'dims' });
    const cond = b.op('Equal', [b.op('Gather', [dims, i64(b, 'zero', [], [])], { axis: 0 }), i64(b, 'one', [], [])]);
    const branches = ['then_branch', 'else_branch'].map((slot) => {
      const g = b.subgraph(slot);
      g.outputs.push(b.op('Identity', [dims], {}, { graph: g }));
      return g;
    });
    const chosen = b.op('If', [cond], { then_branch: branches[0]!, else_branch: branches[1]! }, { name: 'guard' });
    b.output(b.op('Reshape', [x, chosen], {}, { name: 'reshape' }));
    const [f] = findings(b.model);
    expect(dataOf(f!).constantWhen).toBe('input-shapes');
  });

  describe('near misses', () => {
    it('a constant shape', () => {
      const b = new ModelBuilder({ opset: 13 });
      const x = b.input('x', 'float32', ['N', 16]);
      b.output(b.op('Reshape', [x, i64(b, 'shape', [-1, 4, 4])]));
      expect(findings(b.model)).toHaveLength(0);
    });

    it('a shape computed from constants only (constant folding removes it)', () => {
      const b = new ModelBuilder({ opset: 13 });
      const x = b.input('x', 'float32', ['N', 16]);
      const target = b.op('Concat', [constNode(b, [-1], 'a'), b.op('Mul', [constNode(b, [2], 'b'), i64(b, 'c', [2])])], { axis: 0 });
      b.output(b.op('Reshape', [x, target]));
      expect(findings(b.model)).toHaveLength(0);
    });
  });
});

const ONNX = join(CORPUS, 'onnx');

describe.skipIf(!existsSync(ONNX))('dynamic-reshape on the corpus', () => {
  const load = (name: string): Finding[] => findings(readOnnx(join(ONNX, name)));
  const when = (f: readonly Finding[]): string[] => [...new Set(f.map((x) => dataOf(x).constantWhen))].sort();

  it('vit_small_dynbatch: the reshapes and the class-token Expand depend on the dynamic batch', () => {
    const f = load('vit_small_dynbatch_op13.onnx');
    expect(f).toHaveLength(23);
    expect(f.filter((x) => x.nodes[0]!.op === 'Reshape')).toHaveLength(21);
    expect(f.some((x) => x.nodes[0]!.label === '/Expand')).toBe(true);
    expect(f.every((x) => dataOf(x).constantWhen !== 'never')).toBe(true);
    const patch = f.find((x) => x.nodes[0]!.label === '/Reshape')!;
    expect(dataOf(patch).reads).toContainEqual({ value: 'input', axis: 0, dim: 'batch' });
  });

  it('ppocr_mobile_v2_cls: Shape→Cast→Slice→Cast→Concat→Reshape before the MatMul head', () => {
    const f = load('ppocr_mobile_v2_cls.onnx');
    expect(f).toHaveLength(1);
    expect(f[0]!.nodes.map((n) => n.op)).toEqual(['Reshape', 'Shape', 'Cast', 'Slice', 'Cast', 'Cast', 'Concat']);
    expect(dataOf(f[0]!).constantWhen).toBe('input-shapes');
  });

  it('ultraface_rfb_320: 8 Shape→Gather→Unsqueeze→Concat→Reshape heads, constant already (static input)', () => {
    const f = load('ultraface_rfb_320.onnx');
    expect(f).toHaveLength(8);
    expect(when(f)).toEqual(['now']);
    expect(f.every((x) => x.fixable === true)).toBe(true);
  });

  it('lstm_op13: the initial-state Expands are constant already', () => {
    const f = load('lstm_op13.onnx');
    expect(f.map((x) => x.nodes[0]!.op)).toEqual(['Expand', 'Expand', 'Expand', 'Expand']);
    expect(when(f)).toEqual(['now']);
  });

  it('ssdlite320: post-processing shapes read off TopK/NonZero results never become constant', () => {
    const f = load('ssdlite320_mobilenet_v3_large_op17.onnx');
    expect(when(f)).toEqual(['never', 'now']);
    expect(f.find((x) => dataOf(x).constantWhen === 'never')!.message).toMatch(/TopK/);
  });

  it('reports nothing where shapes are constants', () => {
    for (const name of ['efficientnet_mini_op13.onnx', 'convnext_mini_op17.onnx', 'yolox_nano.onnx', 'ppocrv4_det.onnx']) {
      expect(load(name), name).toHaveLength(0);
    }
  });
});
