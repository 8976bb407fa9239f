import { dirname, relative, resolve } from 'node:path';
import { WriteError } from '../../errors.js';
import type { Model } from '../../ir/model.js';
import { graphsWithin } from '../../ir/model.js';
import { copyAtomically, writeAtomically } from '../atomic-write.js';
import { isWithin } from '../paths.js';
import type { OnnxOrigin } from './read.js';
import { encodeOnnx, type ExternalData } from './write.js';
import { Emitter } from '../wire/encode.js';
import { resolveInside } from '../paths.js';

export interface WriteOnnxOptions {
  /** Store new tensors of at least `minBytes` (default 1024) in this file beside the model. */
  readonly externalData?: { readonly location: string; readonly minBytes?: number };
}

export { readOnnx } from './read.js';
export { encodeOnnx } from './write.js';

/**
 * Writes `model` as ONNX at `path`. External data files stay where they are when the
 * model is written beside its input; written elsewhere, they are copied along, under
 * the same relative names, so the new file is complete.
 */
export function writeOnnx(model: Model, path: string, options: WriteOnnxOptions = {}): void {
  if (model.format !== 'onnx') {
    throw new WriteError(`a Core ML model (${model.format}) cannot be written as ONNX; convert between .mlmodel, .mlpackage and .mlmodelc instead`);
  }
  const external: ExternalData | undefined = options.externalData
    ? { location: options.externalData.location, minBytes: options.externalData.minBytes ?? 1024, file: new Emitter() }
    : undefined;
  if (external) resolveInside(dirname(resolve(path)), external.location, 'external data file', path);
  const encoded = encodeOnnx(model, external);
  try {
    writeEncoded(model, path, encoded, external);
  } finally {
    encoded.close(); // weight files opened to copy from
  }
}

function writeEncoded(model: Model, path: string, encoded: Emitter, external: ExternalData | undefined): void {
  if (external && external.file.length > 0) {
    writeAtomically(resolve(dirname(path), external.location), external.file.pieces);
  }
  const origin = model.origin as OnnxOrigin | undefined;
  if (origin) {
    const fromDir = resolve(dirname(model.path));
    const toDir = resolve(dirname(path));
    if (fromDir !== toDir) {
      for (const file of externalFiles(model)) {
        const rel = relative(fromDir, file);
        if (!isWithin(toDir, resolve(toDir, rel))) throw new Error(`invariant: external file ${file} outside the model's directory`);
        // Atomically, and never through a link already in the destination (it could lead out).
        copyAtomically(file, toDir, rel);
      }
    }
  }
  writeAtomically(path, encoded.pieces);
}

/** The external data files a model's tensors live in. */
export function externalFiles(model: Model): Set<string> {
  const files = new Set<string>();
  for (const root of [model.graph, ...model.functions]) {
    for (const g of graphsWithin(root)) {
      for (const v of g.initializers) if (v.constant?.storage.kind === 'external') files.add(v.constant.storage.file);
      for (const n of g.nodes) {
        if (!n.hasAttrs) continue;
        for (const [, a] of n.attrs) {
          const tensors = a.type === 'tensor' ? [a.value] : a.type === 'tensors' ? a.value : [];
          for (const t of tensors) if (t.storage.kind === 'external') files.add(t.storage.file);
        }
      }
    }
  }
  return files;
}
