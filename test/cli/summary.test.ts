import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, onnxCorpus, onnxTestdata } from '../helpers/corpus.js';
import { countOps, decodeFile } from '../helpers/onnx-oracle.js';
import { runCli } from '../helpers/run-cli.js';

interface JsonResult {
  path: string;
  fatal: { message: string } | null;
  stats: { nodes: number; ops: Record<string, number>; inputs: { name: string; type: string }[]; outputs: { name: string; type: string }[] };
}

/** Checks graphlint's JSON stats against an independent full decode of the same files. */
async function checkSummaries(dir: string, expectedFiles: number): Promise<void> {
  const summary = await runCli(['summary', dir]);
  expect(summary.stderr).toBe('');
  expect(summary.code).toBe(0);
  // The lint report carries the same stats; rules may find problems (exit 1), nothing is fatal.
  const run = await runCli(['--format', 'json', dir]);
  expect(run.stderr).toBe('');
  expect(run.code).not.toBe(2);
  const report = JSON.parse(run.stdout) as { results: JsonResult[]; summary: { files: number; fatal: number } };
  expect(report.summary.files).toBe(expectedFiles);
  expect(report.summary.fatal).toBe(0);
  for (const r of report.results) {
    const proto = decodeFile(r.path) as { graph: { node?: never[]; input?: { name: string }[]; output?: { name: string }[]; initializer?: { name: string }[] } };
    const { nodes, ops } = countOps(proto.graph);
    expect({ path: r.path, nodes: r.stats.nodes, ops: r.stats.ops }).toEqual({ path: r.path, nodes, ops });
    const initializers = new Set((proto.graph.initializer ?? []).map((t) => t.name));
    const inputs = (proto.graph.input ?? []).map((v) => v.name).filter((n) => !initializers.has(n));
    expect(r.stats.inputs.map((v) => v.name)).toEqual(inputs);
    expect(r.stats.outputs.map((v) => v.name)).toEqual((proto.graph.output ?? []).map((v) => v.name));
  }
}

const corpus = onnxCorpus();
describe.skipIf(corpus.length === 0)('summary of the ONNX corpus', () => {
  it(`graphlint summary exits 0 on all ${corpus.length} corpus models, with node counts, op histograms and interfaces that match a full decode`, async () => {
    await checkSummaries(join(CORPUS, 'onnx'), corpus.length);
  });

  it('prints the vision transformer\'s interface with its symbolic batch dimension', async () => {
    const run = await runCli(['summary', join(CORPUS, 'onnx', 'vit_small_dynbatch_op13.onnx')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/input\s+float32\[batch,3,224,224\]/);
    expect(run.stdout).toMatch(/output\s+float32\[batch,1000\]/);
    expect(run.stdout).toMatch(/nodes: 580\n/);
    expect(run.stdout).toMatch(/opsets: ai\.onnx 13/);
  });

  it('counts nodes inside If bodies (silero v5: 5 top-level, 689 in all)', async () => {
    const run = await runCli(['--format', 'json', join(CORPUS, 'onnx', 'silero_vad_v5.onnx')]);
    const r = (JSON.parse(run.stdout) as { results: JsonResult[] }).results[0]!;
    expect(r.stats.nodes).toBe(689);
  });
});

const testdata = onnxTestdata();
describe.skipIf(testdata.length === 0)('summary of libonnx-testdata', () => {
  it(`graphlint summary exits 0 on all ${testdata.length} node models, with stats that match a full decode`, async () => {
    await checkSummaries(dirname(dirname(testdata[0]!)), testdata.length);
  });
});
