import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineRule, type Rule } from '../../src/engine/rule.js';
import { describeError } from '../../src/engine/analyze-file.js';
import { lintFile } from '../../src/engine/lint-file.js';
import { ModelError, WriteError } from '../../src/errors.js';
import { readModel } from '../../src/formats/index.js';
import { WireDecoder } from '../../src/formats/wire/decode.js';
import { ByteSource } from '../../src/formats/wire/source.js';
import { MODEL as COREML_MODEL } from '../../src/formats/coreml/schema.js';
import { RULES } from '../../rules/index.js';
import { encodeModel, weightFile } from '../formats/coreml/build.js';
import { builtCoremlSeeds, coremldata, MIL_V10, neuralNetworkSpec } from '../fuzz/seeds.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';
import { graphlint, onnxBytes, refused, vi } from './helpers.js';

/**
 * One test per crash, hang and memory blow-up the fuzz harness found (issue 8), each with
 * a hand-made input that reproduces it. The fix is named in the test.
 */

const lint = (path: string) => lintFile(path, { rules: RULES, target: 'ane', partitions: true }).result;

function onnx(graph: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const p = join(tempDir(), 'm.onnx');
  writeFileSync(p, onnxBytes(graph, extra));
  return p;
}

function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

describe('wire decoder', () => {
  it('refuses a length that decodes negative (a ten-byte varint), instead of reading backwards (RangeError)', () => {
    // Model { specificationVersion: 4, description { input { name: <length -2^63> } } }
    const minus = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
    const input = Buffer.from([0x0a, ...minus, 0x41, 0x41]);
    const desc = Buffer.concat([Buffer.from([0x0a, input.length]), input]);
    const bytes = Buffer.concat([Buffer.from([0x08, 0x04, 0x12, desc.length]), desc]);
    const decode = (): unknown => new WireDecoder(ByteSource.fromBytes(bytes)).decode(COREML_MODEL, 0, bytes.length);
    expect(decode).toThrow(ModelError);
    expect(decode).toThrow(/negative length/);
  });
});

describe('FIFOs where files belong (open blocked forever waiting for a writer)', () => {
  // Run through the binary with a time limit: a regression must fail the test, not hang it.
  const check = (path: string, message: RegExp): void => {
    const r = graphlint([path], 20_000);
    expect(r.signal, `${path} hung`).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  };

  it('a FIFO named like a model, or as a package manifest, model.mil, metadata.json or external data', () => {
    const dir = tempDir();
    mkfifo(join(dir, 'fifo.onnx'));
    check(join(dir, 'fifo.onnx'), /not a regular file/);

    const pkg = join(dir, 'p.mlpackage');
    mkdirSync(join(pkg, 'Data'), { recursive: true });
    mkfifo(join(pkg, 'Manifest.json'));
    check(pkg, /Manifest.json is not a regular file/);

    const mil = join(dir, 'a.mlmodelc');
    mkdirSync(mil);
    mkfifo(join(mil, 'model.mil'));
    check(mil, /model.mil is not a regular file/);

    const meta = join(dir, 'b.mlmodelc');
    mkdirSync(meta);
    writeFileSync(join(meta, 'model.mil'), MIL_V10);
    mkfifo(join(meta, 'metadata.json'));
    check(meta, /metadata.json is not a regular file/);

    const ext = join(dir, 'ext');
    mkdirSync(ext);
    mkfifo(join(ext, 'w.bin'));
    writeFileSync(join(ext, 'm.onnx'), onnxBytes({
      name: 'g', initializer: [{ name: 'w', dims: [4], data_type: 1, data_location: 1, external_data: [{ key: 'location', value: 'w.bin' }] }],
      node: [{ op_type: 'Identity', input: ['w'], output: ['y'] }], output: [vi('y', [4])],
    }));
    check(join(ext, 'm.onnx'), /'w.bin' is not a regular file/);
  });
});

describe('messages stay on one line', () => {
  it('escapes newlines, control characters and bidirectional overrides in names from the file', () => {
    const p = onnx({ name: 'g', input: [vi('x', [1])], node: [{ op_type: 'Relu', input: ['evil\nname\u202e\u0007'], output: ['y'] }], output: [vi('y', [1])] });
    const r = lint(p);
    expect(r.fatal?.message).toBe("graph 'main': node 'Relu_0' reads 'evil\\nname\\u202e\\u0007', which no node, input or initializer defines");
  });

  it('shortens a message made huge by a huge name', () => {
    const p = onnx({ name: 'g', input: [vi('x', [1])], node: [{ op_type: 'Relu', input: ['n'.repeat(1 << 20)], output: ['y'] }], output: [vi('y', [1])] });
    const message = lint(p).fatal!.message;
    expect(message.length).toBeLessThanOrEqual(2000);
    expect(message).toMatch(/which no node, input or initializer defines$/);
  });
});

describe('messages say what is wrong in words', () => {
  it('bytes that do not decode: the format expected and what may have happened, not only the protobuf detail', () => {
    const p = join(tempDir(), 'm.onnx');
    writeFileSync(p, 'garbage');
    expect(lint(p).fatal?.message).toBe('not a readable ONNX file (damaged, cut short, or another kind of file): malformed protobuf at byte 1: wire type 7 is not valid protobuf');
  });

  it('file system errors in words, with the code kept for searching', () => {
    const pkg = join(tempDir(), 'm.mlpackage');
    mkdirSync(pkg);
    expect(lint(pkg).fatal?.message).toBe('cannot open Manifest.json: no such file or directory (ENOENT)');
    expect(lint(join(tempDir(), 'missing.onnx')).fatal?.message).toBe('cannot open: no such file or directory (ENOENT)');
  });
});

describe('ONNX functions', () => {
  it('a function listing an input twice is refused in words (an invariant failed)', () => {
    refused(onnx({ name: 'g', input: [vi('x', [1])], node: [{ op_type: 'F', domain: 'local', input: ['x', 'x'], output: ['y'] }], output: [vi('y', [1])] },
      { opset_import: [{ domain: '', version: 17 }, { domain: 'local', version: 1 }],
        functions: [{ name: 'F', domain: 'local', input: ['a', 'a'], output: ['b'], node: [{ op_type: 'Relu', input: ['a'], output: ['b'] }] }] }),
    /function 'F' lists input 'a' twice/);
  });
});

describe('ONNX graph order', () => {
  const relu = (name: string, input: string, output: string): Record<string, unknown> => ({ op_type: 'Relu', name, input: [input], output: [output] });

  it('refuses a cycle between nodes, naming it (a copy of the graph used to fail an invariant)', () => {
    refused(onnx({ name: 'g', input: [vi('x', [1])], node: [relu('A', 'b', 'a'), relu('B', 'a', 'b')], output: [vi('b', [1])] }),
      /graph 'main': its nodes form a cycle \('A' reads 'B' reads 'A'\)/);
    refused(onnx({ name: 'g', input: [vi('x', [1])], node: [relu('A', 'a', 'a')], output: [vi('a', [1])] }), /node 'A' reads its own output/);
  });

  it('sorts nodes listed out of order, so analyses see a topological order (they crashed)', async () => {
    const p = onnx({ name: 'g', input: [vi('x', [1, 4])], node: [relu('C', 'b', 'c'), relu('B', 'a', 'b'), relu('A', 'x', 'a')], output: [vi('c', [1, 4])] });
    expect(readModel(p).graph.nodes.map((n) => n.name)).toEqual(['A', 'B', 'C']);
    expect(lint(p).fatal).toBeNull();
    const out = join(tempDir(), 'copy.onnx');
    expect((await runCli(['convert', p, out])).code).toBe(0); // untouched: copied as it was
  });

  it('sorts a node whose subgraph reads a value a later node produces', () => {
    const p = onnx({
      name: 'g', input: [vi('x', [1]), { name: 'c', type: { tensor_type: { elem_type: 9, shape: { dim: [] } } } }],
      node: [
        { op_type: 'If', name: 'If', input: ['c'], output: ['y'], attribute: [
          { name: 'then_branch', type: 5, g: { name: 't', node: [relu('T', 'late', 't_out')], output: [vi('t_out', [1])] } },
          { name: 'else_branch', type: 5, g: { name: 'e', node: [relu('E', 'x', 'e_out')], output: [vi('e_out', [1])] } },
        ] },
        relu('Late', 'x', 'late'),
      ],
      output: [vi('y', [1])],
    });
    expect(readModel(p).graph.nodes.map((n) => n.name)).toEqual(['Late', 'If']);
    expect(lint(p).fatal).toBeNull();
  });
});

describe('work that grew with what a file declares', () => {
  it('NeuralNetwork: 20000 layers rewriting one name and sharing one layer name read in linear time (took 12 s for 10000)', () => {
    const arr = (name: string): Record<string, unknown> => ({ name, type: { multiArrayType: { shape: [4], dataType: 0x10020 } } });
    const layers = Array.from({ length: 20_000 }, () => ({ name: 'same', input: ['x'], output: ['x'], activation: { ReLU: {} } }));
    const p = join(tempDir(), 'm.mlmodel');
    writeFileSync(p, encodeModel({ specificationVersion: 4, description: { input: [arr('x')], output: [arr('x')] }, neuralNetwork: { layers } }));
    const t = performance.now();
    const m = readModel(p);
    expect(performance.now() - t).toBeLessThan(3000);
    const labels = m.graph.nodes.map((n) => n.label);
    expect(new Set(labels).size).toBe(20_000);
    expect(labels.slice(0, 3)).toEqual(['same', 'same#2', 'same#3']);
  });

  it('ONNX: 200000 graph inputs read in linear time (each was checked against all before it: 13 s)', () => {
    const p = onnx({ name: 'g', input: Array.from({ length: 200_000 }, (_, i) => ({ name: `in${i}` })),
      node: [{ op_type: 'Relu', input: ['in0'], output: ['y'] }], output: [{ name: 'y' }] });
    const t = performance.now();
    expect(readModel(p).graph.inputs).toHaveLength(200_000);
    expect(performance.now() - t).toBeLessThan(3000);
  });

  it('MIL text: a number of a million digits run into a name fails at once (the number pattern backtracked quadratically)', () => {
    const dir = join(tempDir(), 'm.mlmodelc');
    mkdirSync(dir);
    writeFileSync(join(dir, 'model.mil'), MIL_V10.replace('offset = tensor<uint64, []>(64)', `offset = tensor<uint64, []>(${'9'.repeat(1 << 20)}x)`));
    const t = performance.now();
    refused(dir, /model\.mil line \d+, column \d+: '9+.*' is not a number/);
    expect(performance.now() - t).toBeLessThan(2000);
  });

  it('shape inference: a shape vector declared 2^31 long is not made into an array of 2^31 dims (ran out of memory)', () => {
    const p = onnx({
      name: 'g', input: [vi('x', [2, 3]), vi('s', [2 ** 31], 7)],
      node: [{ op_type: 'Reshape', input: ['x', 's'], output: ['y'] }, { op_type: 'Expand', input: ['x', 's'], output: ['z'] },
        { op_type: 'Slice', input: ['x', 's', 's'], output: ['w'] }],
      output: [vi('y', [6]), vi('z', [6]), vi('w', [6])],
    });
    const heap = process.memoryUsage().heapUsed;
    const t = performance.now();
    expect(lint(p).fatal).toBeNull();
    expect(performance.now() - t).toBeLessThan(3000);
    expect(process.memoryUsage().heapUsed - heap).toBeLessThan(200 << 20);
  });

  it('ONNX Runtime constant folding: Expand to a static shape of 2^27 elements is not computed (took 22 s and 1 GB each)', () => {
    const p = onnx({
      name: 'g', input: [vi('y', [1, 2 ** 20, 128])], initializer: [{ name: 'z', dims: [1, 1, 128], data_type: 1, raw_data: Buffer.alloc(512) }],
      node: [{ op_type: 'Shape', input: ['y'], output: ['s'] }, { op_type: 'Expand', input: ['z', 's'], output: ['e'] },
        { op_type: 'Add', input: ['y', 'e'], output: ['o'] }],
      output: [vi('o', [1, 2 ** 20, 128])],
    });
    const t = performance.now();
    for (const target of ['ane', 'coreml-ep'] as const) expect(lintFile(p, { rules: RULES, target, partitions: true }).result.fatal).toBeNull();
    expect(performance.now() - t).toBeLessThan(5000);
  });

  it('ONNX Runtime constant folding: a Concat of constants with axis 2^31 is not computed (grew an array of that length: minutes)', () => {
    const c = (name: string): Record<string, unknown> => ({ name, dims: [2], data_type: 7, raw_data: Buffer.alloc(16) });
    const p = onnx({
      name: 'g', input: [vi('x', [4])], initializer: [c('a'), c('b')],
      node: [{ op_type: 'Concat', input: ['a', 'b'], output: ['s'], attribute: [{ name: 'axis', type: 2, i: 2 ** 31 }] },
        { op_type: 'Reshape', input: ['x', 's'], output: ['y'] }],
      output: [vi('y', [4])],
    });
    const t = performance.now();
    for (const target of ['ane', 'coreml-ep'] as const) expect(lintFile(p, { rules: RULES, target, partitions: true }).result.fatal).toBeNull();
    expect(performance.now() - t).toBeLessThan(5000);
  });

  it('ONNX Runtime MatMul+Add fusion: leading dims multiplying past any number are not put in a Reshape (BigInt(Infinity) was an internal error)', () => {
    const dims = [...new Array(17).fill(2 ** 62), 64];
    const p = onnx({
      name: 'g', input: [vi('x', dims)],
      initializer: [{ name: 'w', dims: [64, 32], data_type: 1, raw_data: Buffer.alloc(64 * 32 * 4) }, { name: 'b', dims: [32], data_type: 1, raw_data: Buffer.alloc(128) }],
      node: [{ op_type: 'MatMul', input: ['x', 'w'], output: ['m'] }, { op_type: 'Add', input: ['m', 'b'], output: ['y'] }],
      output: [vi('y', [...dims.slice(0, -1), 32])],
    });
    for (const target of ['ane', 'coreml-ep'] as const) expect(lintFile(p, { rules: RULES, target, partitions: true }).result.fatal).toBeNull();
  });

  it('ONNX typed fields: a tensor declaring 2^40 elements but storing one is refused before anything is allocated', () => {
    const p = onnx({
      name: 'g', input: [vi('x', [1])], initializer: [{ name: 'big', dims: [2 ** 40], data_type: 1, float_data: [1] }],
      node: [{ op_type: 'Add', input: ['x', 'big'], output: ['y'] }], output: [vi('y', [1])],
    });
    const t = readModel(p).graph.values.get('big')!.constant!;
    expect(() => t.bytes()).toThrow(/tensor 'big' declares 1099511627776 elements but its \d+ bytes cannot store them/);
    expect(lint(p).fatal).toBeNull();
  });

  it('shape inference: Scan with an absurd num_scan_inputs is a shape problem, not an allocation', () => {
    const body = { name: 'b', input: [vi('s', [1]), vi('i', [1])], node: [{ op_type: 'Add', input: ['s', 'i'], output: ['o'] }, { op_type: 'Identity', input: ['o'], output: ['o2'] }], output: [vi('o', [1]), vi('o2', [1])] };
    const p = onnx({
      name: 'g', input: [vi('init', [1]), vi('seq', [3, 1])],
      node: [{ op_type: 'Scan', input: ['init', 'seq'], output: ['final', 'all'], attribute: [
        { name: 'body', type: 5, g: body }, { name: 'num_scan_inputs', type: 2, i: 2 ** 31 }] }],
      output: [vi('final', [1]), vi('all', [3, 1])],
    });
    expect(lint(p).fatal).toBeNull();
  });
});

describe('analysis of odd but readable models', () => {
  it('ONNX Runtime no-op elimination: Add with an omitted input and a constant (TypeError on null)', () => {
    const p = onnx({
      name: 'g', input: [vi('x', [1])], initializer: [{ name: 'zero', dims: [], data_type: 1, float_data: [0] }],
      node: [{ op_type: 'Add', input: ['', 'zero'], output: ['y'] }, { op_type: 'Relu', input: ['y'], output: ['z'] }],
      output: [vi('z', [1])],
    });
    for (const target of ['ane', 'coreml-ep'] as const) {
      expect(lintFile(p, { rules: RULES, target, partitions: true }).result.fatal).toBeNull();
    }
  });

  it('a node with a list-of-graphs attribute holding no graph is copied for the ONNX Runtime view (fuzz: invariant)', () => {
    // AttributeProto type 10 is GRAPHS; this one lists none.
    const p = onnx({
      name: 'g', input: [vi('x', [1])],
      node: [{ op_type: 'Mul', input: ['x', 'x'], output: ['y'], attribute: [{ name: 'bodies', type: 10 }] }],
      output: [vi('y', [1])],
    });
    for (const target of ['ane', 'coreml-ep'] as const) {
      expect(lintFile(p, { rules: RULES, target, partitions: true }).result.fatal).toBeNull();
    }
  });

  it('a rule that throws ends that file only (as a fatal result), never the whole run; --debug keeps the stack', () => {
    const p = onnx({ name: 'g', input: [vi('x', [1])], node: [{ op_type: 'Relu', input: ['x'], output: ['y'] }], output: [vi('y', [1])] });
    const throwing = (what: () => never): Rule<unknown> => defineRule<Record<string, never>>({
      meta: { id: 'test-throws', description: 'throws', targets: ['ane'], severity: 'error', facts: ['S1'], defaultOptions: {} },
      check: what,
    }) as Rule<unknown>;
    const modelError = lintFile(p, { rules: [throwing(() => { throw new ModelError('the weights are not there'); })], target: 'ane' });
    expect(modelError.result.fatal?.message).toBe('the weights are not there');
    const debug: { ruleId: string; reason: string }[] = [];
    const internal = lintFile(p, { rules: [throwing(() => { throw new TypeError('x is undefined'); })], target: 'ane', debug });
    expect(internal.result.fatal?.message).toMatch(/^internal error .*\(please report\): x is undefined$/);
    expect(debug[0]?.reason).toMatch(/TypeError: x is undefined\n\s+at /);
  });
});

describe('Core ML values', () => {
  it('an integer constant of -inf in model.mil is refused (BigInt(-Infinity) threw a RangeError)', () => {
    const dir = join(tempDir(), 'm.mlmodelc');
    mkdirSync(dir);
    writeFileSync(join(dir, 'model.mil'), MIL_V10.replace('val = tensor<int32, []>(1)', 'val = tensor<int64, []>(-inf)').replace('tensor<int32, []> axis_0', 'tensor<int64, []> axis_0'));
    refused(dir, /const 'axis_0': -inf is not a valid int64 element/);
  });

  it('a string holding a NUL survives convert to .mlpackage as one string (it was split in two, unreadable)', async () => {
    const dir = join(tempDir(), 'm.mlmodelc');
    mkdirSync(join(dir, 'weights'), { recursive: true });
    writeFileSync(join(dir, 'weights/weight.bin'), weightFile());
    writeFileSync(join(dir, 'model.mil'), MIL_V10.replace('name = tensor<string, []>("s_0")', 'name = tensor<string, []>("s\\0x")'));
    const out = join(tempDir(), 'm.mlpackage');
    expect((await runCli(['convert', dir, out])).code).toBe(0);
    const node = readModel(out).graph.nodes.find((n) => n.op === 'add')!;
    expect(node.name).toBe('s\0x');
  });
});

describe('messages a user can act on', () => {
  it('an attribute with neither type nor value says so (was "has type undefined")', () => {
    refused(onnx({ name: 'g', input: [vi('x', [1])], node: [{ op_type: 'LeakyRelu', name: 'L', input: ['x'], output: ['y'], attribute: [{ name: 'alpha' }] }], output: [vi('y', [1])] }),
      /node 'L': attribute 'alpha' has no type and no value/);
  });

  it('a BLOBFILE offset that is not a byte offset is named as written (was "offset NaN")', () => {
    const dir = join(tempDir(), 'm.mlmodelc');
    mkdirSync(join(dir, 'weights'), { recursive: true });
    writeFileSync(join(dir, 'weights/weight.bin'), weightFile());
    writeFileSync(join(dir, 'model.mil'), MIL_V10.replace('offset = tensor<uint64, []>(64)', 'offset = tensor<uint64, []>(nan)'));
    refused(dir, /BLOBFILE offset 'nan' is not a byte offset/);
  });

  it('raw_data whose size does not match its type and dims is refused (it was read element by element past its end)', () => {
    refused(onnx({ name: 'g', input: [vi('x', [2, 3])], initializer: [{ name: 's', dims: [2], data_type: 7, raw_data: Buffer.alloc(8) }],
      node: [{ op_type: 'Reshape', input: ['x', 's'], output: ['y'] }], output: [vi('y', [3, 2])] }),
    /tensor 's': int64\[2\] needs 16 bytes but raw_data holds 8/);
  });

  it('convert between ONNX and Core ML is refused in words, both ways (the ONNX writer crashed on a Core ML model)', async () => {
    const ml = join(tempDir(), 'm.mlmodel');
    writeFileSync(ml, encodeModel({ specificationVersion: 4, neuralNetwork: {} }));
    const a = await runCli(['convert', ml, join(tempDir(), 'o.onnx')]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/o\.onnx: a Core ML model \(mlmodel\) cannot be written as ONNX/);
    const o = onnx({ name: 'g', input: [vi('x', [1])], node: [{ op_type: 'Relu', input: ['x'], output: ['y'] }], output: [vi('y', [1])] });
    for (const ext of ['.mlmodel', '.mlpackage', '.mlmodelc', '.mil']) {
      const b = await runCli(['convert', o, join(tempDir(), `o${ext}`)]);
      expect(b.code).toBe(2);
      expect(b.stderr).toMatch(/an ONNX model cannot be written as Core ML/);
    }
  });

  it('a compiled model\'s specification version that Core ML\'s int32 cannot hold is refused, never written as 0 (fuzz: convert wrote a package no reader takes)', async () => {
    const bundle = (): string => {
      const dir = tempDir();
      for (const f of builtCoremlSeeds().find((s) => s.name === 'built:bundle-mil')!.files) {
        mkdirSync(join(dir, f.rel, '..'), { recursive: true });
        writeFileSync(join(dir, f.rel), f.data);
      }
      return join(dir, 'm.mlmodelc');
    };
    // In coremldata.bin (metadata.json gone), where the header holds a u64.
    const fromHeader = bundle();
    rmSync(join(fromHeader, 'metadata.json'));
    const data = readFileSync(join(fromHeader, 'coremldata.bin'));
    data.writeBigUInt64LE(2n ** 60n, 0x24 + 'generic'.length);
    writeFileSync(join(fromHeader, 'coremldata.bin'), data);
    expect((await runCli([fromHeader])).stderr).toMatch(/coremldata\.bin: specification version 1152921504606847000 is not a 32-bit integer/);
    // In metadata.json: read as it is, refused when written.
    const fromMetadata = bundle();
    const meta = JSON.parse(readFileSync(join(fromMetadata, 'metadata.json'), 'utf8')) as Array<Record<string, unknown>>;
    meta[0]!.specificationVersion = 1e12;
    writeFileSync(join(fromMetadata, 'metadata.json'), JSON.stringify(meta));
    for (const model of [fromHeader, fromMetadata]) {
      const out = join(tempDir(), 'o.mlpackage');
      const run = await runCli(['convert', model, out]);
      expect(run.code).toBe(2);
      expect(existsSync(out)).toBe(false);
      // Said as lint says it: the model, then the file inside it (convert named the inner file twice).
      if (model === fromHeader) expect(run.stderr.trim()).toBe(`${fromHeader}: coremldata.bin: specification version 1152921504606847000 is not a 32-bit integer`);
    }
    expect((await runCli(['convert', fromMetadata, join(tempDir(), 'o.mlpackage')])).stderr).toMatch(/specification version 1000000000000 cannot be written/);
  });

  it('a refused write is the user\'s message, not an "internal error" (--fix --out of a compiled model without model.mil)', async () => {
    expect(describeError(new WriteError('cannot write x: it is a directory'))).toBe('cannot write x: it is a directory');
    const dir = join(tempDir(), 'm.mlmodelc');
    mkdirSync(dir);
    writeFileSync(join(dir, 'coremldata.bin'), coremldata('spec', neuralNetworkSpec(), 500));
    const run = await runCli(['--fix', '--out', join(tempDir(), 'fixed.mlpackage'), dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/only compiled models with model.mil can be converted/);
    expect(run.stderr).not.toMatch(/internal error/);
  });
});
