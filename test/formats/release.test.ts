import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModel, releaseModel } from '../../src/index.js';
import { REPO_ROOT } from '../helpers/corpus.js';

const EXAMPLE = join(REPO_ROOT, 'examples', 'tiny-speech-encoder.onnx');

describe('releaseModel', () => {
  it('closes the file a model keeps open for its weights, and may be called twice', () => {
    const big = (m: ReturnType<typeof readModel>) =>
      m.graph.initializers.find((v) => v.constant && v.constant.byteLength !== undefined && v.constant.byteLength > 4096)!.constant!;
    // Read before the release: the weights come from the open file.
    const kept = readModel(EXAMPLE);
    expect(big(kept).bytes().length).toBeGreaterThan(4096);
    // After it, nothing is read from the file any more.
    const released = readModel(EXAMPLE);
    const weight = big(released);
    releaseModel(released);
    releaseModel(released);
    expect(() => weight.bytes()).toThrow(/used after close/);
  });
});
