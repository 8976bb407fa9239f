import { describe, expect, it } from 'vitest';
import { lintModel } from '../../src/engine/lint-file.js';
import { ModelBuilder } from '../../src/ir/build.js';
import type { FileResult } from '../../src/report/result.js';
import { formatSarif } from '../../src/report/sarif.js';
import { sarifValidator } from '../helpers/sarif.js';
import { everyNodeRule, reluRule } from '../helpers/fake-rules.js';

function results(): FileResult[] {
  const b = new ModelBuilder();
  const x = b.input('x', 'float32', [1, 4]);
  b.output(b.op('Relu', [b.op('Sigmoid', [x])]));
  const ok = lintModel(b.model, 'models/a model.onnx', { rules: [reluRule, everyNodeRule], target: 'ane' });
  const fatal: FileResult = { path: 'models/bad.onnx', format: null, fatal: { message: 'malformed protobuf at byte 3' }, stats: null, diagnostics: [] };
  return [ok, fatal];
}

const validate = sarifValidator();
describe('SARIF report', () => {
  it.skipIf(!validate)('validates against the SARIF 2.1.0 schema', () => {
    const log = JSON.parse(formatSarif(results(), { toolVersion: '1.2.3', rules: [reluRule.meta, everyNodeRule.meta], cwd: process.cwd() }));
    expect(validate!(log)).toEqual([]);
  });

  it('maps rules, levels, node paths and fingerprints deterministically', () => {
    const meta = { toolVersion: '1.2.3', rules: [reluRule.meta, everyNodeRule.meta], cwd: process.cwd() };
    const text = formatSarif(results(), meta);
    expect(formatSarif(results(), meta)).toBe(text);
    const log = JSON.parse(text);
    const run = log.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(['test-relu', 'test-every']);
    const relu = run.results.find((r: { ruleId: string }) => r.ruleId === 'test-relu');
    expect(relu).toMatchObject({ ruleIndex: 0, level: 'warning' });
    expect(relu.locations[0].physicalLocation.artifactLocation.uri).toBe('models/a%20model.onnx');
    expect(relu.locations[0].logicalLocations[0]).toEqual({ fullyQualifiedName: 'main/Relu_1', kind: 'member' });
    expect(run.invocations[0].executionSuccessful).toBe(false);
    expect(run.invocations[0].toolExecutionNotifications[0].message.text).toContain('bad.onnx');
    const prints = run.results.map((r: { partialFingerprints: Record<string, string> }) => r.partialFingerprints['graphlintNodes/v1']);
    expect(new Set(prints).size).toBe(prints.length);
  });
});
