import type { Finding } from '../../engine/rule.js';
import type { Node, Value } from '../../ir/graph.js';
import type { PatchBuilder } from '../builder.js';
import type { ValueRef } from '../patch.js';
import { rewriteBlocker } from '../support.js';
import { tensorOf } from '../tensors.js';

/** The parts of the rule's finding data the fix reads. */
interface Data {
  readonly form: 'fused' | 'erf' | 'tanh' | 'sigmoid';
  readonly op?: string;
  readonly domain?: string;
  readonly approximation: 'exact' | 'tanh' | 'sigmoid';
  readonly input: string | null;
  readonly output: string | null;
}

const SQRT_2_PI = Math.sqrt(2 / Math.PI);
const CUBIC = 0.044715;

/**
 * gelu (unsafe: numerics change by at most about 5e-4 in absolute value): exact GELU
 * becomes the tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))):
 * - ONNX Gelu (opset 20): approximate = "tanh";
 * - ML Program: one gelu op with mode TANH_APPROXIMATION;
 * - written out (erf) and ONNX Runtime contrib Gelu/BiasGelu: written out with tanh, mul and add only.
 */
export function fixGelu(f: Finding, b: PatchBuilder): string {
  const d = f.data as Data;
  const first = f.nodes[0]!;
  b.at(first);
  const blocked = rewriteBlocker(first);
  if (blocked) b.decline(blocked);
  if (d.approximation !== 'exact') b.decline('only exact GELU is rewritten');
  const root = f.nodes.find((n) => n.outputs.some((o) => o.name === d.output));
  const x = f.nodes.flatMap((n) => n.inputs).find((v): v is Value => !!v && v.name === d.input);
  if (!root || !x) return b.decline('the GELU no longer matches the graph');
  const out = root.outputs.find((o) => o.name === d.output)!;

  if (d.form === 'fused' && root.op === 'Gelu' && (root.domain === '' || root.domain === 'ai.onnx')) {
    b.setAttr(root, 'approximate', { type: 'string', value: 'tanh' });
    return `${root.label}: Gelu approximate = "tanh"`;
  }
  let input: ValueRef = x;
  if (d.form === 'fused' && root.op === 'BiasGelu') {
    const bias = root.inputs[1];
    if (!bias) return b.decline('BiasGelu without a bias');
    input = b.binary('add', x, bias, `${base(root)}_biased`);
  }
  const y = b.format === 'mil' ? b.gelu(input, 'tanh', `${base(root)}_tanh`)! : writtenTanh(b, input, base(root));
  b.replace(out, y);
  b.remove(root);
  return `${root.label}: exact GELU → tanh approximation${b.format === 'mil' ? ' (gelu TANH_APPROXIMATION)' : ' (tanh, mul, add)'}`;
}

/** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) from mul, add and tanh. */
function writtenTanh(b: PatchBuilder, x: ValueRef, name: string): ValueRef {
  const t = b.typeOf(x);
  if (!t) return b.decline('the type of the GELU input is not known');
  const c = (label: string, v: number): ValueRef => b.constant(`${name}_${label}`, tensorOf(t.dtype, [], [v]));
  const x2 = b.binary('mul', x, x, `${name}_x2`);
  const x3 = b.binary('mul', x2, x, `${name}_x3`);
  const inner = b.binary('add', x, b.binary('mul', x3, c('cubic', CUBIC), `${name}_cubic_term`), `${name}_inner`);
  const th = b.unary('tanh', b.binary('mul', inner, c('sqrt_2_pi', SQRT_2_PI), `${name}_scaled`), `${name}_tanh`);
  const gate = b.binary('add', th, c('one', 1), `${name}_gate`);
  return b.binary('mul', b.binary('mul', x, gate, `${name}_xgate`), c('half', 0.5), `${name}_gelu`);
}

function base(n: Node): string {
  return n.name || n.label;
}
