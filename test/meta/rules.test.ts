import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../rules/index.js';
import { hasFact, FACTS } from '../../src/targets/facts.js';
import { REPO_ROOT } from '../helpers/corpus.js';

/** The ids CONTRACT.md promises every release keeps. */
const CONTRACT_IDS = [
  'layer-norm', 'gelu', 'silu', 'squeeze-excitation', 'instance-norm', 'dynamic-reshape', 'dynamic-shape',
  'slice-fan-out', 'explicit-pad', 'unsupported-op', 'linear-to-conv', 'tensor-rank', 'dimension-limit',
  'batch-size', 'fp16-range', 'partition-boundary',
];

const DOC_SECTIONS = ['What it finds', 'Why it hurts', 'Example', 'Fix', 'Options', 'When to turn it off'];
const rulesDir = join(REPO_ROOT, 'rules');
const ids = RULES.map((r) => r.meta.id);

describe('the rule set', () => {
  it('has every id of the contract', () => {
    for (const id of CONTRACT_IDS) expect(ids, id).toContain(id);
  });

  it('registers exactly the rule files in rules/, sorted by id, each exporting a rule with its file name as id', () => {
    const files = readdirSync(rulesDir).filter((f) => f.endsWith('.ts') && f !== 'index.ts').map((f) => f.slice(0, -3)).sort();
    expect(ids).toEqual(files);
    expect([...ids].sort()).toEqual(ids);
  });

  it.each(RULES.map((r) => [r.meta.id, r] as const))('%s has a doc with the sections in order and a test file', (id, rule) => {
    const docPath = join(rulesDir, `${id}.md`);
    expect(existsSync(docPath), `${docPath} is missing`).toBe(true);
    const doc = readFileSync(docPath, 'utf8');
    const lines = doc.split('\n');
    expect(lines[0]).toBe(`# ${id}`);
    expect(lines.find((l, i) => i > 0 && l.trim() !== '')?.trim()).toBe(rule.meta.description);
    const headings = lines.filter((l) => l.startsWith('## ')).map((l) => l.slice(3).trim());
    expect(headings).toEqual(DOC_SECTIONS);
    expect(existsSync(join(REPO_ROOT, 'test', 'rules', `${id}.test.ts`)), `test/rules/${id}.test.ts is missing`).toBe(true);
  });

  it.each(RULES.map((r) => [r.meta.id, r] as const))('%s cites facts that exist, and its doc names them', (id, rule) => {
    expect(rule.meta.facts.length).toBeGreaterThan(0);
    const doc = readFileSync(join(rulesDir, `${id}.md`), 'utf8');
    for (const f of rule.meta.facts) {
      expect(hasFact(f), `${id} cites unknown fact ${f}`).toBe(true);
      expect(doc, `${id}.md should mention ${f}`).toContain(f);
    }
  });

  it('every rule states a default severity, targets, and options that satisfy its own schema', () => {
    for (const { meta } of RULES) {
      expect(['error', 'warning', 'info']).toContain(meta.severity);
      expect(meta.targets.length).toBeGreaterThan(0);
      if (!meta.schema) continue;
      const props = (meta.schema as { properties?: Record<string, { description?: string }> }).properties ?? {};
      for (const [k, p] of Object.entries(props)) expect(p.description, `${meta.id} option ${k} needs a description`).toBeTruthy();
    }
  });
});

describe('the facts table', () => {
  it('docs/facts.md lists exactly the facts of src/targets/facts.ts', () => {
    const md = readFileSync(join(REPO_ROOT, 'docs', 'facts.md'), 'utf8');
    const mdIds = [...md.matchAll(/^\| ([SAE]\d+) \|/gm)].map((m) => m[1]);
    expect(mdIds).toEqual(FACTS.map((f) => f.id));
  });
});
