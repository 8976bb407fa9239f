import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Tensor as TensorProto } from '../../../proto/onnx.schema.js';
import { inferShapes } from '../../../src/analysis/shapes/index.js';
import { readOnnx } from '../../../src/formats/onnx/index.js';
import { TENSOR } from '../../../src/formats/onnx/schema.js';
import { tensorFromProto } from '../../../src/formats/onnx/tensor.js';
import { WireDecoder } from '../../../src/formats/wire/decode.js';
import { ByteSource } from '../../../src/formats/wire/source.js';
import type { Model } from '../../../src/ir/model.js';
import type { Tensor } from '../../../src/ir/tensor.js';
import { formatType, type ValueType } from '../../../src/ir/types.js';

/**
 * Debian's libonnx-testdata: one small model per ONNX backend test, outputs declared with
 * the shapes the reference run produced. Rule, per graph output:
 *  1. Strip the declared output types (keep the inputs), infer, compare with the
 *     declaration: same dtype, same rank, every declared number equal (a declared symbol
 *     is matched by any symbol). Equal: "agrees". A different dtype, rank or number: a
 *     contradiction, always a failure.
 *  2. Falling short (a dim, the rank or the dtype unknown) is allowed only when the
 *     shortfall is data: bind every graph input to the tensor the test feeds it
 *     (test_data_set_0/input_N.pb) as a constant, infer again, and the output must agree.
 *  3. What still falls short must come from an op listed, with the reason, in
 *     fixtures/shapes/libonnx-known-gaps.json; every listed op must still have a gap.
 */

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const root = '/usr/share/libonnx-testdata/data/node';
const gapsFile = join(repoRoot, 'fixtures/shapes/libonnx-known-gaps.json');

type Verdict = 'agree' | 'short' | 'contradiction';

function compare(d: ValueType | null, o: ValueType | null): Verdict {
  if (d === null) return 'agree';
  if (o === null) return 'short';
  if (d.kind !== o.kind) return 'contradiction';
  if (d.kind === 'sequence' || d.kind === 'optional') return compare(d.elem, (o as typeof d).elem);
  if ((d.kind !== 'tensor' && d.kind !== 'sparse') || (o.kind !== 'tensor' && o.kind !== 'sparse')) return 'agree';
  let short = false;
  if (o.dtype === 'unknown') short = true;
  else if (d.dtype !== 'unknown' && o.dtype !== d.dtype) return 'contradiction';
  if (d.shape === null) return short ? 'short' : 'agree';
  if (o.shape === null) return 'short';
  if (o.shape.length !== d.shape.length) return 'contradiction';
  d.shape.forEach((a, i) => {
    const b = o.shape![i]!;
    if (typeof a === 'number' && typeof b !== 'number') short = true;
    if (typeof a === 'string' && typeof b !== 'string' && typeof b !== 'number') short = true;
  });
  if (d.shape.some((a, i) => typeof a === 'number' && typeof o.shape![i] === 'number' && o.shape![i] !== a)) {
    return 'contradiction';
  }
  return short ? 'short' : 'agree';
}

/** A TensorProto file as an in-memory tensor. */
function readTensor(file: string): Tensor {
  const source = ByteSource.fromFile(file);
  try {
    const proto = new WireDecoder(source).decode<TensorProto>(TENSOR, 0, source.size);
    const t = tensorFromProto(proto, { source, file });
    t.bytes(); // small: cached, so the file can close
    return t;
  } finally {
    source.close();
  }
}

/** Infers with the outputs' declared types removed; returns declared and inferred per output. */
function run(dir: string, bindInputs: boolean): { model: Model; declared: (ValueType | null)[] } {
  const model = readOnnx(join(dir, 'model.onnx'));
  const declared = model.graph.outputs.map((v) => v.type);
  for (const v of model.graph.outputs) v.type = null;
  if (bindInputs) {
    model.graph.inputs.forEach((v, i) => {
      const file = join(dir, 'test_data_set_0', `input_${i}.pb`);
      if (v.type?.kind === 'tensor' && v.constant === null && existsSync(file)) v.constant = readTensor(file);
    });
  }
  inferShapes(model);
  return { model, declared };
}

interface Row {
  test: string;
  output: string;
  op: string;
  verdict: Verdict;
  withData: Verdict;
  detail: string;
}

function survey(): Row[] {
  const rows: Row[] = [];
  for (const test of readdirSync(root).sort()) {
    const dir = join(root, test);
    if (!existsSync(join(dir, 'model.onnx'))) continue;
    const first = run(dir, false);
    let second: ReturnType<typeof run> | undefined;
    first.model.graph.outputs.forEach((v, i) => {
      const verdict = compare(first.declared[i]!, v.type);
      let withData: Verdict = verdict;
      let ours = v.type;
      if (verdict === 'short') {
        second ??= run(dir, true);
        ours = second.model.graph.outputs[i]!.type;
        withData = compare(first.declared[i]!, ours);
      }
      rows.push({
        test, output: v.name, op: v.producer?.op ?? '(input)', verdict, withData,
        detail: `declared ${formatType(first.declared[i]!)}, inferred ${formatType(ours)}`,
      });
    });
  }
  return rows;
}

if (!existsSync(root)) {
  describe.skip(`libonnx-testdata: ${root} is absent (apt install libonnx-testdata), skipped`, () => {
    it('needs libonnx-testdata', () => {});
  });
} else {
  const gaps = (JSON.parse(readFileSync(gapsFile, 'utf8')) as { ops: Record<string, string> }).ops;
  const rows = survey();
  const agree = rows.filter((r) => r.verdict === 'agree').length;
  const data = rows.filter((r) => r.verdict === 'short' && r.withData === 'agree').length;
  const gap = rows.filter((r) => r.verdict === 'short' && r.withData === 'short');
  describe(`libonnx-testdata: ${agree}/${rows.length} outputs agree, ${agree + data} once the test's input values are known, ${gap.length} known gaps`, () => {
    it('contradicts no declared output type', () => {
      expect(rows.filter((r) => r.verdict === 'contradiction' || r.withData === 'contradiction')
        .map((r) => `${r.test} ${r.output}: ${r.detail}`)).toEqual([]);
    });
    it(`falls short only where an op is a known gap (${Object.keys(gaps).length} ops listed)`, () => {
      expect(gap.filter((r) => gaps[r.op] === undefined).map((r) => `${r.test} ${r.output} [${r.op}]: ${r.detail}`)).toEqual([]);
    });
    it('lists no op that no longer has a gap', () => {
      const seen = new Set(gap.map((r) => r.op));
      expect(Object.keys(gaps).filter((op) => !seen.has(op))).toEqual([]);
    });
  });
}
