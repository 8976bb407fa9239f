import { dirname, extname, relative, resolve } from 'node:path';
import { WriteError } from '../../errors.js';
import type { Model } from '../../ir/model.js';
import type { Tensor } from '../../ir/tensor.js';
import { copyAtomically, writeAtomically } from '../atomic-write.js';
import type { FormatHandler } from '../index.js';
import { isWithin } from '../paths.js';
import { milToSpec } from './mil-to-proto.js';
import { readMlmodel } from './mlmodel.js';
import { isCompiledDir, readMilFile, readMlmodelc } from './mlmodelc.js';
import { isPackageDir, readMlpackage } from './mlpackage.js';
import { coremlOrigin, refuseOnnx } from './origin.js';
import { encodeSpec } from './write.js';
import { writeCompiled } from './write-compiled.js';
import { writeMlpackage } from './write-package.js';

export { readMlmodel } from './mlmodel.js';
export { readMilFile, readMlmodelc } from './mlmodelc.js';
export { readMlpackage } from './mlpackage.js';
export { writeMlpackage } from './write-package.js';
export { writeCompiled } from './write-compiled.js';

const ext = (path: string): string => extname(path).toLowerCase();

/** Core ML formats: .mlmodel, .mlpackage, .mlmodelc, and bare MIL text (.mil). */
export const coremlHandlers: FormatHandler[] = [
  {
    format: 'mlmodel',
    detect: (path, isDir) => !isDir && ext(path) === '.mlmodel',
    read: readMlmodel,
    write: writeMlmodel,
  },
  {
    format: 'mlpackage',
    detect: (path, isDir) => isDir && (ext(path) === '.mlpackage' || (ext(path) !== '.mlmodelc' && isPackageDir(path))),
    read: readMlpackage,
    write: writeMlpackage,
  },
  {
    format: 'mlmodelc',
    detect: (path, isDir) => isDir && (ext(path) === '.mlmodelc' || (ext(path) !== '.mlpackage' && isCompiledDir(path))),
    read: readMlmodelc,
    write: writeCompiled,
  },
  {
    format: 'mil',
    detect: (path, isDir) => !isDir && ext(path) === '.mil',
    read: readMilFile,
    write: writeCompiled,
  },
];

/**
 * Writes a single-file .mlmodel. An ML Program whose weights live in weight files cannot
 * be one (the weights would be left behind): write an .mlpackage instead. Weight files
 * an .mlmodel already named beside itself come along when it is written elsewhere.
 */
export function writeMlmodel(model: Model, path: string): void {
  refuseOnnx(model, path);
  const origin = coremlOrigin(model);
  const refs = weightReferences(model);
  if (refs.size > 0 && origin.package) {
    throw new WriteError('this ML Program keeps its weights in weight files; write it as .mlpackage, not .mlmodel');
  }
  if (origin.compiled) {
    if (refs.size > 0) throw new WriteError('this compiled model keeps its weights in weight files; write it as .mlpackage, not .mlmodel');
    writeAtomically(path, milToSpec(model).pieces);
    return;
  }
  const pieces = encodeSpec(model, undefined).pieces;
  const spec = origin.spec!;
  const fromDir = resolve(dirname(model.path));
  const toDir = resolve(dirname(path));
  if (fromDir !== toDir) {
    for (const [, f] of spec.weights.files()) {
      const rel = relative(fromDir, f.path);
      if (!isWithin(toDir, resolve(toDir, rel))) throw new Error(`invariant: weight file ${f.path} outside the model's directory`);
      // Atomically, and never through a link already in the destination (it could lead out).
      copyAtomically(f.path, toDir, rel);
    }
  }
  writeAtomically(path, pieces);
}

/** The weight files a model's constants name (`@model_path/weights/weight.bin`, ...). */
export function weightReferences(model: Model): Set<string> {
  const names = new Set<string>();
  const note = (t: Tensor | null | undefined): void => {
    const o = t?.origin as { blob?: { path: string }; blobFileValue?: { fileName?: string } } | undefined;
    if (o?.blob) names.add(o.blob.path);
    else if (o?.blobFileValue) names.add(o.blobFileValue.fileName ?? '');
  };
  for (const m of [model, ...model.submodels]) {
    for (const g of m.allGraphs()) {
      for (const n of g.nodes) {
        for (const v of [...n.inputs, ...n.outputs]) note(v?.constant);
        for (const [, a] of n.attrs) if (a.type === 'tensor') note(a.value);
      }
    }
  }
  return names;
}
