import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findConfig, loadConfig } from '../../src/engine/config.js';
import { UsageError } from '../../src/errors.js';
import { reluRule } from '../helpers/fake-rules.js';
import { tempDir } from '../helpers/tmp.js';

function configWith(content: unknown): string {
  const dir = tempDir();
  const file = join(dir, '.graphlintrc.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('config files', () => {
  it('reads severities and options, filling defaults', async () => {
    const c = await loadConfig(configWith({ target: 'coreml-ep', rules: { 'test-relu': ['error', { alsoSigmoid: true }] } }), [reluRule]);
    expect(c.target).toBe('coreml-ep');
    expect(c.settings.get('test-relu')).toEqual({ severity: 'error', options: { alsoSigmoid: true } });
    const d = await loadConfig(configWith({ rules: { 'test-relu': 'off' } }), [reluRule]);
    expect(d.settings.get('test-relu')).toEqual({ severity: 'off', options: { alsoSigmoid: false } });
  });

  it.each([
    [{ rules: { 'test-rlu': 'error' } }, 'unknown rule "test-rlu" (did you mean "test-relu"?)'],
    [{ rules: { 'test-relu': 'loud' } }, 'rules["test-relu"]'],
    [{ targte: 'ane' }, 'unknown key "targte" (did you mean "target"?); allowed: target, rules'],
    [{ target: 'gpu' }, 'target: "gpu" is not allowed; use one of ane, coreml-ep'],
    [{ rules: { 'test-relu': ['error', { alsoSigmoid: 'yes' }] } }, 'rules["test-relu"][1]: alsoSigmoid: must be boolean'],
    [{ rules: { 'test-relu': ['error', { extra: 1 }] } }, 'unknown key "extra"'],
    ['{ not json', 'cannot read the config'],
  ])('refuses %j with a message naming the key', async (content, message) => {
    const file = configWith(content);
    let error: unknown;
    try {
      await loadConfig(file, [reluRule]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain(message);
  });

  it('is found upward from the model', () => {
    const file = configWith({});
    const dir = join(file, '..', 'models', 'deep');
    mkdirSync(dir, { recursive: true });
    expect(findConfig(join(dir, 'm.onnx'))).toBe(file);
  });
});
