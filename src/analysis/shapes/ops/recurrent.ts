import type { Dim } from '../../../ir/shape.js';
import type { RuleTable, ShapeRule } from '../context.js';
import { fail } from '../dims.js';

/** RNN, GRU, LSTM: Y is (seq, dirs, batch, hidden); Y_h and Y_c are (dirs, batch, hidden). */

function recurrent(): ShapeRule {
  return (ctx) => {
    const direction = ctx.string('direction', 'forward');
    const dirs: Dim = direction === 'bidirectional' ? 2 : direction === 'forward' || direction === 'reverse' ? 1 : null;
    const attrHidden = ctx.int('hidden_size', -1);
    // R is (dirs, gates*hidden, hidden): its last dim is the hidden size when the attribute is absent.
    const rs = ctx.shape(2);
    const hidden: Dim = attrHidden > 0 ? attrHidden : rs !== null && rs.length === 3 ? rs[2]! : null;
    const batchFirst = ctx.opset >= 14 && ctx.int('layout', 0) === 1;
    const xs = ctx.shape(0);
    if (xs !== null && xs.length !== 3) fail('recurrent input must have rank 3');
    const seq = xs === null ? null : batchFirst ? xs[1]! : xs[0]!;
    const batch = xs === null ? null : batchFirst ? xs[0]! : xs[1]!;
    const dtype = ctx.dtype(0);
    ctx.out(0, dtype, batchFirst ? [batch, seq, dirs, hidden] : [seq, dirs, batch, hidden]);
    const state = batchFirst ? [batch, dirs, hidden] : [dirs, batch, hidden];
    ctx.out(1, dtype, state);
    if (ctx.node.op === 'LSTM') ctx.out(2, dtype, state);
  };
}

export const recurrentRules: RuleTable = {
  RNN: recurrent(),
  GRU: recurrent(),
  LSTM: recurrent(),
};
