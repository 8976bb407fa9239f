import { constantNumbers, constantTensor } from '../../analysis/constants.js';
import { FLOAT16_MAX } from '../../analysis/float16.js';
import type { Finding } from '../../engine/rule.js';
import type { DType } from '../../ir/dtype.js';
import type { Value } from '../../ir/graph.js';
import type { PatchBuilder } from '../builder.js';
import { rewriteBlocker } from '../support.js';
import { tensorOf } from '../tensors.js';

/** The parts of the rule's finding data the fix reads. */
interface Data {
  readonly where: 'attribute' | 'constant';
  readonly attribute?: string;
  /** The constant's value name (where = constant). */
  readonly value?: string | number;
  /** Underflow: the number to raise a vanishing epsilon to. */
  readonly suggested?: number;
  /** Overflow: the bound to clamp to (±65504). */
  readonly clampTo?: number;
}

/**
 * fp16-range (unsafe: numerics change): an epsilon that float16 flushes to zero is raised
 * to the rule's suggestion (1e-5); a constant beyond ±65504 is clamped to ±65504. A new
 * constant replaces the old one for the readers the finding names.
 */
export function fixFp16Range(f: Finding, b: PatchBuilder): string {
  const d = f.data as Data;
  const first = f.nodes[0]!;
  const readers = f.nodes.filter((n) => n.kind !== 'const' && n.op !== 'Constant');
  b.at(d.where === 'constant' && readers[0] ? readers[0] : first);
  const blocked = rewriteBlocker(first);
  if (blocked) b.decline(blocked);
  const raise = d.suggested !== undefined && d.clampTo === undefined;
  if (d.where === 'attribute') {
    const name = d.attribute!;
    if (raise) {
      b.setAttr(first, name, { type: 'float', value: d.suggested! });
      return `${first.label}: ${name} raised to ${d.suggested}`;
    }
    const a = first.attrs.get(name);
    if (a?.type !== 'tensor') return b.decline(`${name} is not a tensor attribute`);
    const nums = a.value.numbers(4096);
    if (!nums) return b.decline(`${name} is too large to rewrite`);
    b.setAttr(first, name, { type: 'tensor', value: tensorOf(a.value.dtype, a.value.dims, nums.map(clamp)) });
    return `${first.label}: ${name} clamped to ±${FLOAT16_MAX}`;
  }
  const v = readers.flatMap((n) => n.inputs).find((x): x is Value => !!x && x.name === d.value);
  if (!v) return b.decline(`${String(d.value)} is no longer read by ${readers.map((n) => n.label).join(', ')}`);
  const nums = constantNumbers(v, 4096);
  const dtype: DType = constantTensor(v)?.dtype ?? 'float32';
  const dims = constantTensor(v)?.dims ?? (v.type?.kind === 'tensor' && v.type.shape?.every((x) => typeof x === 'number') ? (v.type.shape as number[]) : []);
  if (!nums || nums.length !== dims.reduce((p, q) => p * q, 1)) return b.decline(`${v.name} is not readable`);
  const fixed = raise ? nums.map((x) => (x === 0 ? x : Math.sign(x) * d.suggested!)) : nums.map(clamp);
  const c = b.constant(`${v.name}_fp16`, tensorOf(dtype, dims, fixed));
  for (const n of readers) n.inputs.forEach((x, i) => x === v && b.setInput(n, i, c));
  return raise ? `${v.name}: ${nums[0]} raised to ${d.suggested}` : `${v.name}: clamped to ±${FLOAT16_MAX}`;
}

function clamp(x: number): number {
  return Number.isFinite(x) ? Math.max(-FLOAT16_MAX, Math.min(FLOAT16_MAX, x)) : x;
}
