import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS } from '../helpers/corpus.js';
import { runCli } from '../helpers/run-cli.js';

const dir = join(CORPUS, 'coreml');
const present = existsSync(dir);
if (!present) console.warn(`SKIPPED: ${dir} not found; Core ML corpus tests need ../shared/corpus`);

interface Result { path: string; format: string; fatal: unknown; stats: { nodes: number; info: Record<string, unknown>; inputs: unknown[] } }

describe.skipIf(!present)('graphlint on the Core ML corpus', () => {
  it('summary exits 0 on every model and package, and the JSON report has no fatal result', async () => {
    const summary = await runCli(['summary', dir]);
    expect(summary.stderr).toBe('');
    expect(summary.code).toBe(0);
    const run = await runCli(['--format', 'json', dir]);
    expect(run.code).not.toBe(2);
    const report = JSON.parse(run.stdout) as { results: Result[]; summary: { files: number; fatal: number } };
    expect(report.summary.fatal).toBe(0);
    // 16 converted + 26 real (packages, bundles, .mlmodel and bare .mil files).
    expect(report.summary.files).toBe(42);
    for (const r of report.results) {
      expect(r.stats.nodes, r.path).toBeGreaterThan(0);
      expect(r.stats.info.specVersion ?? r.stats.info.modelType, r.path).toBeDefined();
    }
    const mobilenet = report.results.find((r) => r.path.endsWith('converted/mobilenet_v3_small.mlpackage'))!;
    expect(mobilenet.stats.info).toMatchObject({ specVersion: 7, modelType: 'mlProgram' });
    expect(mobilenet.stats.nodes).toBe(605);
  });
});
