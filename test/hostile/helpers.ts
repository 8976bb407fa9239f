import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { expect } from 'vitest';
import { descriptor } from '../../proto/onnx.schema.js';
import { ModelError } from '../../src/errors.js';
import { readModel } from '../../src/formats/index.js';
import { REPO_ROOT } from '../helpers/corpus.js';

/** Shared by the hostile-input tests: models written byte by byte, and the real binary. */

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
const ModelType = root.lookupType('graphlint.onnx.Model');

type Obj = Record<string, unknown>;

/** An ONNX model from a plain object (protobufjs), so a test can write what our writer never would. */
export function onnxBytes(graph: Obj, extra: Obj = {}): Uint8Array {
  return ModelType.encode(ModelType.fromObject({ ir_version: 8, opset_import: [{ domain: '', version: 17 }], ...extra, graph })).finish();
}

export const vi = (name: string, dims: number[], elem = 1): Obj => ({
  name, type: { tensor_type: { elem_type: elem, shape: { dim: dims.map((d) => ({ dim_value: d })) } } },
});

/** A one-initializer model whose weight `w` (float[4]) lives in external data at `location`. */
export function externalModel(dir: string, location: string, name = 'm.onnx'): string {
  const path = join(dir, name);
  writeFileSync(path, onnxBytes({
    name: 'g',
    initializer: [{ name: 'w', dims: [4], data_type: 1, data_location: 1,
      external_data: [{ key: 'location', value: location }, { key: 'length', value: '16' }] }],
    node: [{ op_type: 'Identity', input: ['w'], output: ['y'] }],
    output: [vi('y', [4])],
  }));
  return path;
}

/** Reading `path` fails with a one-line ModelError matching `pattern`. */
export function refused(path: string, pattern: RegExp): void {
  let error: unknown;
  try {
    readModel(path);
  } catch (e) {
    error = e;
  }
  expect(error, `expected ${path} to be refused`).toBeInstanceOf(ModelError);
  expect((error as Error).message).not.toContain('\n');
  expect((error as Error).message).toMatch(pattern);
}

export const BIN = join(REPO_ROOT, 'dist', 'bin', 'graphlint.js');

export interface BinRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built command line (npm test builds it first). */
export function graphlint(args: readonly string[], timeout = 60_000): BinRun {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run 'npm run build' (npm test does)`);
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A stack frame as Node prints it. */
export const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

/** Every file under `dir` with its bytes, for "nothing changed" checks. */
export function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const visit = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) visit(p);
      else out.set(p, readFileSync(p));
    }
  };
  if (statSync(dir).isDirectory()) visit(dir);
  else out.set(dir, readFileSync(dir));
  return out;
}

export function sameFiles(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.get(k)?.equals(v)) return false;
  return true;
}

export function mkdirp(p: string): string {
  mkdirSync(p, { recursive: true });
  return p;
}
