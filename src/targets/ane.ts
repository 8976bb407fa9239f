import type { Node, Value } from '../ir/graph.js';
import { graphsWithin, type Model } from '../ir/model.js';
import { NodeMap } from '../ir/node-table.js';
import { isInteger } from '../ir/dtype.js';
import type { Dim } from '../ir/shape.js';
import { AneOpJudge } from '../analysis/unsupported-ops.js';
import { optimizeForOrt } from '../analysis/ort-optimizations/index.js';
import { fact } from './facts.js';
import { decision, type Decision, type Device, type Judgement } from './types.js';

/**
 * What Core ML will place on the Neural Engine (target `ane`). Core ML models are judged op by
 * op; ONNX models through the Core ML op each ONNX node becomes (its kind). Checks, in order,
 * first match decides:
 *  1. an op with no Neural Engine path (topk, gather_nd, scatter, non_zero, NMS, control flow,
 *     LSTM/GRU/RNN, custom layers, ops outside the ONNX standard) or a condition that keeps it
 *     off (dilated conv, large pooling windows, upsampling by more than 2, embedding gathers):
 *     the table of src/analysis/unsupported-ops.ts, with its facts (A3, A4, A13, A16, S2, S3);
 *  2. a tensor of rank above 5 (A7);
 *  3. a convolution with a dimension above 16384 (A8);
 *  4. a float32 op in an ML Program, casts aside (A14, a guess by its source);
 *  5. integer-only work (shape arithmetic, index math): the Neural Engine computes in float16 (A1);
 *  6. an input with a dynamic dimension (S3; A10 for Core ML range shapes);
 *  7. otherwise the Neural Engine (A17; A6 says Core ML may still choose otherwise).
 * Constants are not judged (Core ML `const`). An ONNX model is judged as its basic-optimized copy
 * (src/analysis/ort-optimizations: constants folded, Identity/Dropout gone, Conv+BN fused — what a
 * converter does too, E10); every judged node maps back to the user's nodes.
 */
export function judgeAne(source: Model, options: { readonly consume?: boolean } = {}): Judgement {
  // ONNX: the graph after constant folding and the other basic rewrites a converter (and ONNX
  // Runtime, E10) applies, so shape arithmetic on static shapes is gone and shapes are known.
  const view = source.format === 'onnx' ? optimizeForOrt(source, { consume: options.consume ?? false }) : undefined;
  const model = view?.model ?? source;
  const judge = new AneOpJudge(model);
  const mlProgram = model.info.get('modelType') === 'mlProgram' || model.format === 'mil';
  const decisions = new NodeMap<Decision>(model.ids.issued);
  const guesses = new Set<string>();
  const models: Model[] = [model, ...model.submodels];
  for (const m of models) {
    for (const g of graphsWithin(m.graph)) {
      const nodes = g.nodes;
      for (let i = 0; i < nodes.length; i++) {
        const n = nodes[i]!;
        if (n.kind === 'const' || n.kind.startsWith('constexpr_')) continue;
        const d = decide(judge, n, mlProgram, model.format === 'onnx');
        if (d.guess) guesses.add(d.fact);
        decisions.set(n, d);
      }
    }
  }
  const notes = [
    'Judged for the Neural Engine with compute units all: each op by its Core ML kind against the known obstacles (A*, S* facts); Core ML switches Neural Engine ↔ CPU cheaply, so off-engine ops are placed on the CPU (A5).',
  ];
  if (view) {
    notes.push(`ONNX: judged after constant folding and the basic rewrites a converter applies (E10): ${view.nodesBefore} nodes in the file, ${decisions.size} judged.`);
  }
  if (guesses.size > 0) {
    notes.push(`Some decisions rest on facts their sources call guesses (${[...guesses].sort().join(', ')}): lower confidence for those nodes.`);
  }
  const flexible = model.info.get('flexibleShapes');
  if (flexible) notes.push(`Inputs with flexible shapes (${String(flexible)}): with a range, only the default shape runs on the Neural Engine (A10).`);
  return { target: 'ane', judged: model, decisions, originsOf: (n) => (view ? view.originsOf(n) : [n]), notes, guesses: [...guesses].sort() };
}

function decide(judge: AneOpJudge, n: Node, mlProgram: boolean, onnx: boolean): Decision {
  const v = judge.judge(n);
  if (v && !('skip' in v)) {
    const guess = v.facts.every((f) => fact(f).guess);
    return decision('cpu', `${v.what}: ${v.why}`, v.facts[0]!, `unsupported:${v.variant}`, guess);
  }
  // Loops rather than lists: this runs for every node of the model.
  const big = tensorWhere(n, overRank5);
  if (big) return decision('cpu', `${big.name} has rank ${shapeOf(big)!.length}; the Neural Engine rejects rank 6`, 'A7', 'rank');
  if (n.kind === 'conv' || n.kind === 'conv_transpose') {
    const over = tensorWhere(n, over16384);
    if (over) return decision('cpu', `${over.name} has a dimension above 16384`, 'A8', 'dimension-limit');
  }
  let tensorOuts = 0;
  let float32Outs = 0;
  let integerOuts = 0;
  for (const o of n.outputs) {
    if (o.type?.kind !== 'tensor') continue;
    tensorOuts++;
    if (o.type.dtype === 'float32') float32Outs++;
    if (isInteger(o.type.dtype) || o.type.dtype === 'bool') integerOuts++;
  }
  // A cast is the precision boundary itself (the fp16 model's input and output casts), not fp32 work.
  if (mlProgram && n.kind !== 'cast' && float32Outs > 0) return FLOAT32_OP;
  if (tensorOuts > 0 && integerOuts === tensorOuts) return INTEGER_WORK;
  for (const x of n.inputs) {
    const shape = x ? shapeOf(x) : null;
    if (shape && shape.some((d) => typeof d !== 'number')) return new DynamicInputDecision(x!, onnx);
  }
  const kind = n.kind === 'unknown' ? n.op : n.kind;
  let free = NO_OBSTACLE.get(kind);
  if (!free) NO_OBSTACLE.set(kind, (free = decision('ane', `${kind} has no known obstacle on the Neural Engine`, 'A17', 'ane')));
  return free;
}

/** The shape of a tensor value, or null (not a tensor, or rank unknown). */
function shapeOf(v: Value): readonly Dim[] | null {
  return v.type?.kind === 'tensor' ? v.type.shape : null;
}

/** The first input, then output, of `n` that is a tensor of known rank whose shape passes `test`. */
function tensorWhere(n: Node, test: (shape: readonly Dim[]) => boolean): Value | undefined {
  for (const x of n.inputs) {
    const shape = x ? shapeOf(x) : null;
    if (shape && test(shape)) return x!;
  }
  for (const x of n.outputs) {
    const shape = shapeOf(x);
    if (shape && test(shape)) return x;
  }
  return undefined;
}

const overRank5 = (shape: readonly Dim[]): boolean => shape.length > 5;
const over16384 = (shape: readonly Dim[]): boolean => shape.some((d) => typeof d === 'number' && d > 16384);

// Decisions are immutable: nodes with the same answer share one (a big graph has a million).
const FLOAT32_OP = decision('gpu', 'a float32 op in an ML Program does not run on the Neural Engine, which computes in float16', 'A14', 'float32', true);
const INTEGER_WORK = decision('cpu', 'integer work (shape or index arithmetic); the Neural Engine computes in float16', 'A1', 'integer');
const NO_OBSTACLE = new Map<string, Decision>();

/**
 * Off the Neural Engine for a dynamic input. The words name the input, so they are made when
 * read: with a dynamic batch dimension every node of a model gets one of these.
 */
class DynamicInputDecision implements Decision {
  constructor(private readonly input: Value, private readonly onnx: boolean) {}

  // Getters, not fields: the same for every instance, so held once (on the prototype).
  get device(): Device {
    return 'cpu';
  }

  get accelerated(): boolean {
    return false;
  }

  get guess(): boolean {
    return false;
  }

  get code(): string {
    return 'dynamic-shape';
  }

  get fact(): string {
    return this.onnx ? 'S3' : 'A10';
  }

  get reason(): string {
    return this.onnx
      ? `input ${this.input.name} has a dynamic dimension; dynamic shapes keep work off the Neural Engine (fix it with --input-shape)`
      : `input ${this.input.name} has a flexible dimension; only the default shape of a range runs on the Neural Engine`;
  }
}
