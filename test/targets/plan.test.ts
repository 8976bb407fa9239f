import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inferShapes } from '../../src/analysis/shapes/index.js';
import { writeOnnx } from '../../src/formats/onnx/index.js';
import { readModel } from '../../src/formats/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import { partitionBoundaryFindings } from '../../src/targets/boundary-findings.js';
import { cachedPlan, planPartitions } from '../../src/targets/plan.js';
import { CORPUS, onnxCorpus } from '../helpers/corpus.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

/** Relu → TopK → Sigmoid: two Neural Engine partitions around the TopK. */
function writeSplitModel(dir: string): string {
  const b = new ModelBuilder({ opset: 13 });
  const x = b.input('x', 'float32', [1, 16]);
  const r = b.op('Relu', [x], {}, { name: 'relu' });
  const [values] = b.opN('TopK', [r, b.constant('k', 'int64', [1], [4])], 2, {}, { name: 'topk' });
  b.output(b.op('Sigmoid', [values!], {}, { name: 'sigmoid' }), 'float32', [1, 4]);
  const path = join(dir, 'split.onnx');
  writeOnnx(b.model, path);
  return path;
}

describe('partition plan, JSON block and the partitions command', () => {
  it('graphlint partitions prints the partitions and boundaries (text and JSON per the contract)', async () => {
    const path = writeSplitModel(tempDir());
    const text = await runCli(['partitions', path]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/2 of 3 nodes on the Neural Engine, in 2 partitions; 2 boundaries/);
    const json = await runCli(['partitions', path, '--format', 'json']);
    const report = JSON.parse(json.stdout);
    const p = report.results[0].partitions;
    expect(p).toMatchObject({ target: 'ane', nodes: 3, supported: 2, count: 2 });
    expect(p.list.map((x: { device: string; first: string }) => [x.device, x.first])).toEqual([
      ['ane', 'main/relu'], ['cpu', 'main/topk'], ['ane', 'main/sigmoid'],
    ]);
    expect(p.boundaries).toEqual([
      { value: 'main/relu_out', from: 0, to: 1, bytes: 64 },
      { value: 'main/topk_out0', from: 1, to: 2, bytes: 16 },
    ]);
    const ep = JSON.parse((await runCli(['partitions', path, '--format', 'json', '--target', 'coreml-ep', '--coreml-format', 'neuralnetwork'])).stdout);
    expect(ep.results[0].partitions).toMatchObject({ target: 'coreml-ep', nodes: 3, supported: 2, count: 2 });
    expect((await runCli(['partitions', join(tempDir(), 'missing.onnx')])).code).toBe(2);
  });

  it('lint --format json carries the partitions block; the plan is cached for the partition-boundary rule', async () => {
    const path = writeSplitModel(tempDir());
    const out = await runCli([path, '--format', 'json', '--target', 'coreml-ep']);
    const r = JSON.parse(out.stdout).results[0];
    expect(Object.keys(r)).toEqual(['path', 'format', 'fatal', 'stats', 'diagnostics', 'partitions']);
    expect(r.partitions).toMatchObject({ target: 'coreml-ep', count: 2 });
    const model = readModel(path);
    inferShapes(model);
    const plan = planPartitions(model, 'ane');
    expect(cachedPlan(model, 'ane')).toBe(plan);
    const findings = partitionBoundaryFindings(model, plan);
    expect(findings).toHaveLength(plan.boundaries.length);
    expect(findings[0]!.nodes.map((n) => n.label)).toEqual(['relu', 'topk']);
    expect(findings[0]!.message).toMatch(/relu_out crosses from partition #0 \(ane\) to #1 \(cpu\).*64 bytes/);
  });

  it.skipIf(onnxCorpus().length === 0)('maps fused nodes back to the user\'s nodes (coreml-ep on convnext)', () => {
    const model = readModel(join(CORPUS, 'onnx', 'convnext_mini_op17.onnx'));
    inferShapes(model);
    const plan = planPartitions(model, 'coreml-ep');
    const paths = new Set([...model.nodes()].map((n) => n.path));
    for (const p of plan.partitions) for (const n of p.nodes) for (const o of plan.judgement.originsOf(n)) expect(paths.has(o.path)).toBe(true);
    expect(plan.judgement.notes[0]).toMatch(/166 nodes in the file, 156 after/);
    expect(readFileSync(join(CORPUS, 'onnx', 'convnext_mini_op17.onnx')).length).toBeGreaterThan(0);
  });
});
