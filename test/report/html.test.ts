import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inferShapes } from '../../src/analysis/shapes/index.js';
import { readModel } from '../../src/formats/index.js';
import { FULL_GRAPH_LIMIT } from '../../src/report/html.js';
import { planPartitions } from '../../src/targets/plan.js';
import { CORPUS, onnxCorpus } from '../helpers/corpus.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

/** Debian's chromium (installed by .ci/run); no browser is downloaded. */
const CHROMIUM = '/usr/bin/chromium';
const corpus = onnxCorpus();
/** The biggest corpus model, by node count. */
const BIGGEST = 'ssdlite320_mobilenet_v3_large_op17.onnx';

async function openPage(file: string) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  const requests: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) requests.push(r.url());
  });
  await page.goto(`file://${file}`);
  return { browser, page, errors, requests };
}

describe.skipIf(!existsSync(CHROMIUM) || corpus.length === 0)('HTML report in headless Chromium', () => {
  it(`draws the partitions of the biggest corpus model (${BIGGEST}) and links findings to nodes`, async () => {
    const dir = tempDir();
    const out = join(dir, 'report.html');
    const model = join(CORPUS, 'onnx', BIGGEST);
    const run = await runCli([model, '--format', 'html', '-o', out, '--target', 'coreml-ep']);
    expect(run.code).toBeLessThan(2);
    const html = readFileSync(out, 'utf8');
    // self-contained: no external script, style sheet, image or link (the SVG namespace is not a fetch)
    expect(/<script[^>]+src=|<link[^>]+href=|(?:src|href)=["']?https?:|url\(/.test(html)).toBe(false);

    const m = readModel(model);
    inferShapes(m);
    const plan = planPartitions(m, 'coreml-ep');
    expect(plan.nodes).toBeGreaterThan(FULL_GRAPH_LIMIT);

    const { browser, page, errors, requests } = await openPage(out);
    try {
      const overview = page.locator('[data-view=overview] g.partition');
      expect(await overview.count()).toBe(plan.partitions.length);
      const shot = join(dir, 'overview.png');
      await page.screenshot({ path: shot, fullPage: false });
      expect(statSync(shot).size).toBeGreaterThan(10_000);

      // drill down into the largest partition: its nodes are drawn
      const largest = [...plan.partitions].sort((a, b) => b.nodes.length - a.nodes.length)[0]!;
      await page.locator(`[data-view=overview] g.partition[data-partition="${largest.index}"]`).click();
      const drill = page.locator(`.drill:not([hidden]) g.node`);
      expect(await drill.count()).toBe(largest.nodes.length);

      // a finding's node link opens the node and highlights it
      const link = page.locator('a.node-link').first();
      expect(await link.count()).toBe(1);
      await link.click();
      expect(await page.locator('g.node.hit').count()).toBe(1);
      await page.screenshot({ path: join(dir, 'drill.png') });
      if (process.env.GRAPHLINT_KEEP_SCREENSHOTS) {
        const { copyFileSync } = await import('node:fs');
        copyFileSync(shot, join(process.env.GRAPHLINT_KEEP_SCREENSHOTS, 'overview.png'));
        copyFileSync(join(dir, 'drill.png'), join(process.env.GRAPHLINT_KEEP_SCREENSHOTS, 'drill.png'));
      }
    } finally {
      await browser.close();
    }
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
  });

  it('draws a small model as one graph with a framed group per partition', async () => {
    const dir = tempDir();
    const out = join(dir, 'lstm.html');
    const model = join(CORPUS, 'onnx', 'lstm_op13.onnx');
    await runCli(['partitions', model, '--format', 'html', '-o', out]);
    const m = readModel(model);
    inferShapes(m);
    const plan = planPartitions(m, 'ane');
    const { browser, page, errors } = await openPage(out);
    try {
      expect(await page.locator('[data-view=full] g.partition').count()).toBe(plan.partitions.length);
      expect(await page.locator('[data-view=full] g.node').count()).toBe(plan.nodes);
      const colors = await page.locator('g.node rect').evaluateAll((rs) => [...new Set(rs.map((r) => r.getAttribute('fill')))]);
      expect(colors.length).toBe(2); // Neural Engine and CPU
    } finally {
      await browser.close();
    }
    expect(errors).toEqual([]);
  });
});
