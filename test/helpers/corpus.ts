import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The shared corpus beside the checkout (CI has it; a user's clone usually does not). */
export const CORPUS = resolve(REPO_ROOT, '..', 'shared', 'corpus');

export const ONNX_TESTDATA = '/usr/share/libonnx-testdata/data/node';

/** The ONNX corpus files, or [] with a visible note when the corpus is absent. */
export function onnxCorpus(): string[] {
  const dir = join(CORPUS, 'onnx');
  if (!existsSync(dir)) {
    console.warn(`SKIPPED: ${dir} not found; corpus tests need ../shared/corpus beside the checkout`);
    return [];
  }
  return readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort().map((f) => join(dir, f));
}

/** libonnx-testdata's single-op models, or [] with a visible note when the package is absent. */
export function onnxTestdata(): string[] {
  if (!existsSync(ONNX_TESTDATA)) {
    console.warn(`SKIPPED: ${ONNX_TESTDATA} not found; install Debian's libonnx-testdata to run these tests`);
    return [];
  }
  return readdirSync(ONNX_TESTDATA).sort().map((d) => join(ONNX_TESTDATA, d, 'model.onnx')).filter(existsSync);
}
