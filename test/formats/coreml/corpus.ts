import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import type { Piece } from '../../../src/formats/wire/encode.js';

/** The shared Core ML corpus (../shared/corpus/coreml beside the repository), when present. */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CORPUS = join(resolve(repoRoot, '../shared/corpus'), 'coreml');
export const HAVE_CORPUS = existsSync(CORPUS);
if (!HAVE_CORPUS) console.warn(`Core ML corpus not found at ${CORPUS}: corpus tests are skipped`);

const MODEL_EXT = /\.(mlmodel|mlpackage|mlmodelc|mil)$/;

/** Every model in the corpus (files and model directories), relative to CORPUS, sorted. */
export function corpusModels(): string[] {
  if (!HAVE_CORPUS) return [];
  const out: string[] = [];
  const visit = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      if (MODEL_EXT.test(name)) out.push(r);
      else if (statSync(p).isDirectory()) visit(p, r);
    }
  };
  visit(CORPUS, '');
  return out;
}

export function corpusPath(rel: string): string {
  return join(CORPUS, rel);
}

const temps: string[] = [];
// Each test file gets its own copy of this module: clean up after that file.
afterAll(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory for test output, removed when the test process ends. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'graphlint-coreml-'));
  temps.push(d);
  return d;
}

/** The bytes an encoder's pieces stand for. */
export function bytesOf(pieces: readonly Piece[]): Buffer {
  return Buffer.concat(pieces.map((p) => (p instanceof Uint8Array ? p : p.source.read(p.offset, p.length))));
}
