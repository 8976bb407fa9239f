import { ModelBuilder } from '../../src/ir/build.js';
import type { Model } from '../../src/ir/model.js';

/**
 * A main graph and an If whose two branches read one of its values: x → pre (Relu), then
 * If(c) with then_branch neg = Neg(pre) and else_branch abs = Abs(pre), the If's output the
 * graph's (float32 [2]).
 */
export function ifModel(): Model {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', 'float32', [2]);
  const c = b.input('c', 'bool', []);
  const pre = b.op('Relu', [x], {}, { name: 'pre' });
  const then = b.subgraph('then_branch');
  b.output(b.op('Neg', [pre], {}, { graph: then, name: 'neg' }), 'float32', [2], then);
  const other = b.subgraph('else_branch');
  b.output(b.op('Abs', [pre], {}, { graph: other, name: 'abs' }), 'float32', [2], other);
  b.output(b.op('If', [c], { then_branch: then, else_branch: other }, { name: 'if' }), 'float32', [2]);
  return b.model;
}
