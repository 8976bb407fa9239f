import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../../../src/errors.js';
import { floatToHalf } from '../../../src/formats/coreml/elements.js';
import { parseMil } from '../../../src/formats/coreml/mil-text/parser.js';
import { parseNumber } from '../../../src/formats/coreml/mil-text/tokenizer.js';
import { readModel } from '../../../src/formats/index.js';
import { tempDir } from './corpus.js';
import { weightFile } from './build.js';

/** model.mil: numbers, both dialects, and what goes wrong. Texts are written here, in coremlc's style. */

const V10 = `program(1.0)
[buildInfo = dict<tensor<string, []>, tensor<string, []>>({{"coremlc-version", "3500.32.1"}, {"coremltools-version", "8.3.0"}})]
{
    func main<ios17>(tensor<fp32, [1, 4]> a, tensor<fp32, [1, 4]> b) {
            tensor<int32, []> axis_0 = const()[name = tensor<string, []>("axis_0"), val = tensor<int32, []>(1)];
            tensor<fp16, []> half_0 = const()[name = tensor<string, []>("half_0"), val = tensor<fp16, []>(-0x1.8p-3)];
            tensor<fp32, [1, 8]> cat_0 = concat(axis = axis_0, interleave = tensor<bool, []>(false), values = (a, b))[name = tensor<string, []>("cat_0")];
            tensor<fp32, [1, 4]> s_0, tensor<fp32, [1, 4]> s_1 = split(axis = axis_0, num_splits = tensor<int32, []>(2), x = cat_0)[name = tensor<string, []>("split_0")];
        } -> (s_0, s_1);
}
`;

const V13 = `program(1.3)
[buildInfo = dict<string, string>({{"coremlc-version", "3600.25.1"}})]
{
    func first<ios18>(tensor<fp32, [?]> x) [FlexibleShapeInformation = tuple<tuple<string, dict<string, tensor<int32, [?]>>>, tuple<string, dict<string, list<tensor<int32, [2]>, ?>>>>((("DefaultShapes", {{"x", [4]}}), ("RangeDims", {{"x", [[1, -1]]}})))] {
            tensor<fp16, [3]> h = const()[val = tensor<fp16, [3]>([0x1p-24, 0x1.ff8p-15, -inf])];
            tensor<fp32, [?]> y = cast(dtype = string("fp32"), x = x);
        } -> (y);
    func second<ios18>(tensor<fp32, [4]> x) {
            tensor<fp32, [4]> w = const()[val = tensor<fp32, [4]>(BLOBFILE(path = string("@model_path/weights/weights.bin"), offset = uint64(64)))];
            tensor<fp32, [4]> z = add(x = x, y = w);
        } -> (z);
}
`;

function milFile(text: string): string {
  const p = join(tempDir(), 'model.mil');
  writeFileSync(p, text);
  return p;
}

describe('model.mil numbers', () => {
  it('reads C99 hex floats, decimals and infinities', () => {
    expect(parseNumber('0x1p-1')).toBe(0.5);
    expect(parseNumber('-0x1.8p-3')).toBe(-0.1875);
    expect(parseNumber('0x1.5p-17')).toBe(1.3125 * 2 ** -17);
    expect(parseNumber('0x0p+0')).toBe(0);
    expect(parseNumber('0x1p-24')).toBe(2 ** -24);
    expect(parseNumber('-12')).toBe(-12);
    expect(parseNumber('1e-5')).toBe(1e-5);
    expect(parseNumber('-inf')).toBe(-Infinity);
    expect(parseNumber('0xzz')).toBeUndefined();
    expect(floatToHalf(2 ** -24)).toBe(1); // smallest fp16 subnormal
    expect(floatToHalf(-Infinity)).toBe(0xfc00);
    expect(floatToHalf(65504)).toBe(0x7bff);
  });
});

describe('model.mil dialects', () => {
  it('reads program(1.0): typed scalars, names, list arguments, several outputs', () => {
    const m = readModel(milFile(V10));
    expect(m.format).toBe('mil');
    expect(m.info.get('opset')).toBe('CoreML7');
    expect(m.info.get('milVersion')).toBe('1.0');
    const [axis, half, cat, split] = m.graph.nodes;
    expect(axis!.outputs[0]!.constant!.numbers()).toEqual([1]);
    expect(half!.outputs[0]!.constant!.numbers()).toEqual([-0.1875]);
    expect(cat!.name).toBe('cat_0');
    expect(cat!.inputNames).toEqual(['axis', 'interleave', 'values', 'values']);
    expect(cat!.input('interleave')!.constant!.numbers()).toEqual([0]);
    expect(split!.outputs.map((v) => v.name)).toEqual(['s_0', 's_1']);
    expect(m.graph.outputs.map((v) => v.producer)).toEqual([split, split]);
    expect(cat!.attrs.get('name')).toMatchObject({ type: 'string', value: 'cat_0' });
  });

  it('reads program(1.3): bare scalars, no names, inline constants, several functions, flexible shapes', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'model.mil'), V13);
    const m = readModel(join(dir, 'model.mil'));
    expect(m.info.get('opset')).toBe('CoreML8');
    expect(m.functions.map((g) => g.name)).toEqual(['second']);
    expect(m.info.get('flexibleShape:x')).toBe('range 1..*');
    const [h, cast] = m.graph.nodes;
    expect(Buffer.from(h!.outputs[0]!.constant!.bytes())).toEqual(Buffer.from([0x01, 0x00, 0xff, 0x03, 0x00, 0xfc]));
    expect(cast!.input('dtype')!.constant!.dtype).toBe('string');
    expect(Buffer.from(cast!.input('dtype')!.constant!.bytes()).toString()).toBe('fp32');
    expect(cast!.name).toBe('y'); // no name attribute: the output names the node
    const w = m.functions[0]!.nodes[0]!.outputs[0]!.constant!;
    expect(w.storage.kind).toBe('missing'); // weights/weights.bin is not there
  });

  it('reads BLOBFILE constants from the weight file beside the text', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'model.mil'), V13);
    mkdirSync(join(dir, 'weights'));
    writeFileSync(join(dir, 'weights/weights.bin'), weightFile([5, 6, 7, 8]));
    const m = readModel(join(dir, 'model.mil'));
    expect(m.functions[0]!.nodes[0]!.outputs[0]!.constant!.numbers()).toEqual([5, 6, 7, 8]);
  });

  it('says where the text is wrong, on one line', () => {
    const cases: Array<[string, RegExp]> = [
      ['program(1.0)\n{\n  func main<ios17>(tensor<fp32, [1]> x) {\n  } -> (x;\n}\n', /line 4.*expected/],
      ['program(1.0)\n{\n  func main<ios17>(tensor<fp32, [1]> x) {\n    tensor<fp32, [1]> y = f(x = "unterminated);\n  } -> (y);\n}\n', /line 4.*string is not closed/],
      ['program(1.0)\n{\n  func main<ios17>(tensor<fp32, [1]> x) {\n    tensor<fp32, [1]> y = relu(x = nope);\n  } -> (y);\n}\n', /reads 'nope'/],
      ['program(1.0)\n{\n  func main<ios17>(tensor<fp32, [2]> x) {\n    tensor<fp32, [2]> y = const()[val = tensor<fp32, [2]>([1])];\n  } -> (y);\n}\n', /2 values declared, 1 written/],
      ['program(1.0)\n{\n  func main<ios17>(tensor<fp32, [1]> x) {\n    tensor<fp32, [1]> y = cond(pred = x) {\n  } -> (y);\n}\n', /nested blocks/],
      ['program(1.0)\n{ $ }', /unexpected character/],
      [`program(1.0)\n[a = ${'['.repeat(5000)}]`, /nested too deeply/],
    ];
    for (const [text, pattern] of cases) {
      let error: unknown;
      try {
        readModel(milFile(text));
      } catch (e) {
        error = e;
      }
      expect(error, text.slice(0, 60)).toBeInstanceOf(ModelError);
      expect((error as Error).message).toMatch(pattern);
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('keeps the syntax tree faithful enough to convert back', () => {
    const ast = parseMil(V10, 'v10');
    expect(ast.version).toBe('1.0');
    expect(ast.functions[0]!.inputs.map((i) => i.name)).toEqual(['a', 'b']);
    expect(ast.functions[0]!.body[2]!.args.map(([k]) => k)).toEqual(['axis', 'interleave', 'values']);
    expect(ast.attributes[0]![0]).toBe('buildInfo');
  });
});
