import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { WriteError } from '../../errors.js';
import type { Model } from '../../ir/model.js';
import { copyToNewFile, writeAtomically } from '../atomic-write.js';
import { coremlOrigin, refuseOnnx } from './origin.js';
import { modelChanged } from './write.js';
import { asWriteError, listFiles, replaceDirectory } from './write-package.js';

/**
 * Writes a compiled model (.mlmodelc) or a bare model.mil back in its own format: an
 * unedited one is copied file for file. graphlint does not compile, so an edited one is
 * refused with the way out (convert to .mlpackage, which Core ML compiles on load).
 */
export function writeCompiled(model: Model, dest: string): void {
  refuseOnnx(model, dest);
  const info = coremlOrigin(model).compiled;
  if (!info) throw new WriteError('only compiled models can be written as .mlmodelc or .mil');
  if (modelChanged(model)) {
    throw new WriteError('graphlint cannot write an edited compiled model; write it as .mlpackage instead');
  }
  if (extname(dest).toLowerCase() === '.mil') {
    // The program text alone, from a bundle or a bare file.
    if (!info.milText) throw new WriteError('this compiled model has no model.mil to write');
    writeAtomically(dest, [info.milText]);
    return;
  }
  if (!info.dir) throw new WriteError('a bare MIL text file cannot become a compiled bundle (graphlint does not compile); write .mlpackage');
  if (resolve(info.dir) === resolve(dest)) return; // nothing changed, nothing to write
  const parent = dirname(resolve(dest));
  if (!existsSync(parent)) throw new WriteError(`cannot write ${dest}: directory ${parent} does not exist`, dest);
  let temp: string;
  try {
    temp = mkdtempSync(join(parent, `.${basename(dest)}.graphlint-tmp-`));
  } catch (e) {
    throw asWriteError(e, dest);
  }
  try {
    for (const f of listFiles(info.dir)) {
      const to = join(temp, relative(info.dir, f));
      mkdirSync(dirname(to), { recursive: true });
      copyToNewFile(f, to);
    }
    replaceDirectory(temp, dest, existsMarker(info.milPath));
  } catch (e) {
    rmSync(temp, { recursive: true, force: true });
    throw asWriteError(e, dest);
  }
}

function existsMarker(milPath: string | undefined): string {
  return milPath ? 'model.mil' : 'coremldata.bin';
}
