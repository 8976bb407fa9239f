import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, onnxCorpus } from '../helpers/corpus.js';
import { runCli } from '../helpers/run-cli.js';
import { sarifValidator } from '../helpers/sarif.js';

const corpus = onnxCorpus();
const validate = sarifValidator();

describe.skipIf(corpus.length === 0 || !validate)('SARIF of the whole corpus', () => {
  it.each(['ane', 'coreml-ep'])('validates against SARIF 2.1.0 for target %s, ONNX and Core ML together', async (target) => {
    const run = await runCli(['--format', 'sarif', '--target', target, join(CORPUS, 'onnx'), join(CORPUS, 'coreml')]);
    expect(run.code).toBe(1); // real errors (LSTMs, control flow, TopK), nothing fatal
    const log = JSON.parse(run.stdout) as { runs: { results: unknown[]; invocations: { executionSuccessful: boolean }[] }[] };
    expect(validate!(log)).toEqual([]);
    expect(log.runs[0]!.results.length).toBeGreaterThan(100);
    expect(log.runs[0]!.invocations[0]!.executionSuccessful).toBe(true);
  });
});
