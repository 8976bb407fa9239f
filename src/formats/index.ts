import { statSync } from 'node:fs';
import { extname } from 'node:path';
import { ModelError, systemReason } from '../errors.js';
import type { Model, ModelFormat } from '../ir/model.js';
import { coremlHandlers } from './coreml/index.js';
import { releaseCoreml } from './coreml/origin.js';
import { readOnnx, writeOnnx } from './onnx/index.js';
import type { OnnxOrigin } from './onnx/read.js';

/** A format family: how to recognise, read and write it. */
export interface FormatHandler {
  readonly format: ModelFormat;
  /** True when `path` (a file or directory) is this format, judged by name and, cheaply, content. */
  detect(path: string, isDirectory: boolean): boolean;
  read(path: string): Model;
  write?(model: Model, path: string): void;
}

const handlers: FormatHandler[] = [
  {
    format: 'onnx',
    detect: (path, isDir) => !isDir && extname(path).toLowerCase() === '.onnx',
    read: readOnnx,
    write: writeOnnx,
  },
  ...coremlHandlers,
];

export function handlerFor(path: string): FormatHandler | undefined {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    return handlers.find((h) => h.detect(path, false));
  }
  return handlers.find((h) => h.detect(path, isDir));
}

export function isModelPath(path: string): boolean {
  return handlerFor(path) !== undefined;
}

/**
 * Closes the files a model read from disk holds open (for its lazy tensors, and to be written
 * by copying); closing twice is harmless. After it those tensors cannot be read, nor the model
 * written. Commands release each model they are done with: a directory of more models than a
 * process may hold files open (256 by default on macOS) must not run out of them.
 */
export function releaseModel(model: Model): void {
  if (model.format === 'onnx') (model.origin as OnnxOrigin | undefined)?.source.close();
  else releaseCoreml(model);
}

export function readModel(path: string): Model {
  try {
    statSync(path);
  } catch (e) {
    throw new ModelError(`cannot open: ${systemReason(e)}`, path);
  }
  const h = handlerFor(path);
  if (!h) throw new ModelError('not a model graphlint reads (expected .onnx, .mlmodel, .mlpackage or .mlmodelc)', path);
  try {
    return h.read(path);
  } catch (e) {
    // Bytes that do not decode mean a damaged or truncated download, or a file of another kind.
    if (e instanceof ModelError && e.message.startsWith('malformed protobuf')) {
      throw new ModelError(`not a readable ${FORMAT_NAMES[h.format]} file (damaged, cut short, or another kind of file): ${e.message}`, e.file);
    }
    throw e;
  }
}

const FORMAT_NAMES: Readonly<Record<ModelFormat, string>> = { onnx: 'ONNX', mlmodel: 'Core ML model', mlpackage: 'Core ML package', mlmodelc: 'compiled Core ML model', mil: 'MIL text' };

/** The handler that writes files like `path` (by its name). */
export function writerFor(path: string): FormatHandler | undefined {
  return handlers.find((h) => h.write && h.detect(path, extname(path) === '.mlpackage' || extname(path) === '.mlmodelc'));
}

export function writeModel(model: Model, path: string): void {
  const h = writerFor(path);
  if (!h?.write) throw new ModelError('graphlint cannot write this kind of file (use .onnx, .mlmodel or .mlpackage)', path);
  h.write(model, path);
}
