import type { Finding } from '../../engine/rule.js';
import type { Node, Value } from '../../ir/graph.js';
import type { PatchBuilder } from '../builder.js';
import { rewriteBlocker } from '../support.js';
import { tensorOf } from '../tensors.js';

/**
 * dynamic-reshape: a shape (or repeats, sizes, scales) computed from tensor shapes that
 * are fixed (statically, or by --input-shape) is folded into a constant: the operand the
 * node reads is replaced by its value, as shape inference computes it; the chain that
 * computed it becomes dead and the clean-up removes it (unless something else reads it).
 */
export function fixDynamicReshape(f: Finding, b: PatchBuilder, operand: (n: Node) => { value: Value; role: string } | undefined): string {
  const n = f.nodes[0]!;
  b.at(n);
  const blocked = rewriteBlocker(n);
  if (blocked) b.decline(blocked);
  if (b.format !== 'onnx') b.decline('shape folding is done for ONNX models only');
  const op = operand(n);
  if (!op) return b.decline('the node has no computed operand any more');
  const t = op.value.type?.kind === 'tensor' ? op.value.type : undefined;
  const dims = t?.shape;
  if (!t || !dims || !dims.every((x): x is number => typeof x === 'number')) return b.decline(`the ${op.role} has no fixed shape`);
  const known = b.elements(op.value);
  if (!known || !known.every((x): x is number => typeof x === 'number')) return b.decline(`the ${op.role} is not known at these input shapes`);
  const index = n.inputs.indexOf(op.value);
  const value = b.constant(`${n.name || n.label}_${op.role}`, tensorOf(t.dtype, dims, known));
  b.setInput(n, index, value);
  return `${n.label} (${n.op}): ${op.role} folded to [${known.join(', ')}]`;
}
