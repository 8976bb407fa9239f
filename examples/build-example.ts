/**
 * Regenerates examples/tiny-speech-encoder.onnx, the model the README runs graphlint on.
 * Run: npm run build && node dist/examples/build-example.js
 *
 * It is small on purpose but holds what graphlint is for: audio framing written as a fan
 * of Slice ops, a Linear layer, a written-out LayerNorm, an erf GELU, and a reshape whose
 * target is computed from the input's shape at run time.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeOnnx } from '../src/formats/onnx/index.js';
import { float, ModelBuilder } from '../src/ir/build.js';
import type { Value } from '../src/ir/graph.js';

const FRAMES = 8;
const FRAME = 400;
const HOP = 160;
const SAMPLES = FRAME + HOP * (FRAMES - 1); // 1520
const WIDTH = 64;
const CLASSES = 10;

/** Seeded uniform numbers in [-scale, scale): the file is the same on every run. */
function seeded(n: number, seed: number, scale: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 4294967296 - 0.5) * 2 * scale;
  });
}

export function buildExample(): ModelBuilder {
  const b = new ModelBuilder({ opset: 17, name: 'tiny_speech_encoder' });
  const audio = b.input('audio', 'float32', ['batch', SAMPLES]);

  // Framing: one Slice per frame (400 samples, hop 160), stacked into [batch, frames, 400].
  const axis1 = b.constant('axis_1', 'int64', [1], [1]);
  const frames: Value[] = [];
  for (let i = 0; i < FRAMES; i++) {
    const start = b.constant(`frame${i}_start`, 'int64', [1], [i * HOP]);
    const end = b.constant(`frame${i}_end`, 'int64', [1], [i * HOP + FRAME]);
    const slice = b.op('Slice', [audio, start, end, axis1], {}, { name: `frame_${i}` });
    frames.push(b.op('Unsqueeze', [slice, axis1], {}, { name: `frame_${i}_unsqueeze` }));
  }
  const framed = b.op('Concat', frames, { axis: 1 }, { name: 'stack_frames' });

  // Linear projection 400 → 64 as MatMul + Add.
  const w = b.constant('proj.weight', 'float32', [FRAME, WIDTH], seeded(FRAME * WIDTH, 1, 0.05));
  const bias = b.constant('proj.bias', 'float32', [WIDTH], seeded(WIDTH, 2, 0.05));
  const projected = b.op('Add', [b.op('MatMul', [framed, w], {}, { name: 'proj_matmul' }), bias], {}, { name: 'proj_bias' });

  // LayerNorm written out: (x - mean) / sqrt(var + eps) * gamma + beta.
  const mean = b.op('ReduceMean', [projected], { axes: [-1], keepdims: 1 }, { name: 'ln_mean' });
  const centered = b.op('Sub', [projected, mean], {}, { name: 'ln_sub' });
  const two = b.constant('ln_two', 'float32', [], [2]);
  const variance = b.op('ReduceMean', [b.op('Pow', [centered, two], {}, { name: 'ln_pow' })], { axes: [-1], keepdims: 1 }, { name: 'ln_var' });
  const eps = b.constant('ln_eps', 'float32', [], [1e-12]);
  const std = b.op('Sqrt', [b.op('Add', [variance, eps], {}, { name: 'ln_add_eps' })], {}, { name: 'ln_sqrt' });
  const normed = b.op('Div', [centered, std], {}, { name: 'ln_div' });
  const gamma = b.constant('ln.weight', 'float32', [WIDTH], seeded(WIDTH, 3, 1).map((v) => 1 + v / 10));
  const beta = b.constant('ln.bias', 'float32', [WIDTH], seeded(WIDTH, 4, 0.1));
  const ln = b.op('Add', [b.op('Mul', [normed, gamma], {}, { name: 'ln_scale' }), beta], {}, { name: 'ln_shift' });

  // GELU, exact form: x * 0.5 * (1 + erf(x / sqrt(2))).
  const sqrt2 = b.constant('gelu_sqrt2', 'float32', [], [Math.SQRT2]);
  const one = b.constant('gelu_one', 'float32', [], [1]);
  const half = b.constant('gelu_half', 'float32', [], [0.5]);
  const erf = b.op('Erf', [b.op('Div', [ln, sqrt2], {}, { name: 'gelu_div' })], {}, { name: 'gelu_erf' });
  const gelu = b.op('Mul', [b.op('Mul', [ln, b.op('Add', [erf, one], {}, { name: 'gelu_add' })], {}, { name: 'gelu_mul' }), half], {}, { name: 'gelu_half_mul' });

  // Flatten with a target computed at run time: [shape(x)[0], -1].
  const batch = b.op('Gather', [b.op('Shape', [gelu], {}, { name: 'flat_shape' }), b.constant('zero', 'int64', [], [0])], { axis: 0 }, { name: 'flat_batch' });
  const target = b.op('Concat', [b.op('Unsqueeze', [batch, b.constant('axis_0', 'int64', [1], [0])], {}, { name: 'flat_unsqueeze' }), b.constant('minus_one', 'int64', [1], [-1])], { axis: 0 }, { name: 'flat_target' });
  const flat = b.op('Reshape', [gelu, target], {}, { name: 'flatten' });

  // Classifier head: a Gemm (Linear) with a constant weight.
  const headW = b.constant('head.weight', 'float32', [CLASSES, FRAMES * WIDTH], seeded(CLASSES * FRAMES * WIDTH, 5, 0.05));
  const headB = b.constant('head.bias', 'float32', [CLASSES], seeded(CLASSES, 6, 0.05));
  const logits = b.op('Gemm', [flat, headW, headB], { transB: 1, alpha: float(1), beta: float(1) }, { name: 'head', output: 'logits' });
  b.output(logits, 'float32', ['batch', CLASSES]);
  return b;
}

const here = dirname(fileURLToPath(import.meta.url));
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // Built into dist/examples/; the model goes to the source tree's examples/.
  const out = join(here, '..', '..', 'examples', 'tiny-speech-encoder.onnx');
  writeOnnx(buildExample().model, out);
  console.log(`wrote ${out}`);
}
