import { resolve } from 'node:path';
import { WriteError } from '../errors.js';
import { fatalResult } from '../engine/analyze-file.js';
import { readModel, writerFor, writeModel } from '../formats/index.js';
import type { CliIo } from './main.js';
import { showProgress } from './progress.js';

/** `graphlint convert <in> <out>`: read, then write in the format `out` names. */
export function convertCommand(input: string, output: string, io: CliIo): number {
  if (!writerFor(output)) {
    io.stderr(`graphlint: cannot write '${output}': use a .onnx, .mlmodel or .mlpackage name\n`);
    return 2;
  }
  try {
    const stopProgress = showProgress(io);
    const model = readModel(input);
    writeModel(model, output);
    stopProgress();
    if (resolve(input) !== resolve(output)) io.stderr(`wrote ${output}\n`);
    return 0;
  } catch (e) {
    if (e instanceof WriteError) {
      // An error that names its file ("cannot write OUT: ...", "OUT is read-only") is said as it is.
      io.stderr(`${e.file !== undefined ? e.message : `${output}: ${e.message}`}\n`);
      return 2;
    }
    // As lint says it: the model named first, then the file inside it that is at fault.
    io.stderr(`${input}: ${fatalResult(input, e).fatal!.message}\n`);
    return 2;
  }
}
