import { constantNumbers, constantScalar, constantTensor, isConstant } from '../src/analysis/constants.js';
import { dataInput } from '../src/analysis/slice-params.js';
import { defineRule, type Finding } from '../src/engine/rule.js';
import { attrFloat, attrInt } from '../src/ir/attribute.js';
import type { Node, Value } from '../src/ir/graph.js';
import { fixLinearToConv } from '../src/rewrite/fixes/linear-to-conv.js';
import { rewriteBlocker } from '../src/rewrite/support.js';

export interface LinearToConvData {
  /** The weight's value name (an initializer, a Constant output or a MIL const); null for NeuralNetwork layers, whose weights are parameters. */
  readonly weight: string | null;
  /** [rows, cols] of the weight as stored, when known without reading it. */
  readonly weightShape: readonly number[] | null;
  /** True when the weight is stored [out, in] (Gemm transB=1, MIL linear, NeuralNetwork innerProduct). */
  readonly transB: boolean;
  readonly inFeatures: number | null;
  readonly outFeatures: number | null;
  /** The bias value name, when the op carries one (or the constant operand of an Add right after a MatMul). */
  readonly bias: string | null;
  /** The Add that adds a constant bias to a MatMul's result and can fold into the convolution. */
  readonly biasAdd: string | null;
  /** Rank of the activation input, when known. */
  readonly inputRank: number | null;
  /** Gemm's alpha and beta (1 elsewhere). */
  readonly alpha: number;
  readonly beta: number;
}

export default defineRule({
  meta: {
    id: 'linear-to-conv',
    description: 'fully-connected layers with constant weights that run better as 1×1 convolutions',
    targets: ['ane'],
    severity: 'info',
    fixable: 'safe',
    facts: ['A11'],
    defaultOptions: {},
  },

  check(ctx) {
    const findings: Finding[] = [];
    for (const n of ctx.nodesOfKind('linear')) {
      const d = linearData(n, (reason) => ctx.debug(reason, n));
      if (d) findings.push(report(n, d.data, d.fixable, d.why));
    }
    for (const n of ctx.nodesOfKind('matmul')) {
      const d = matmulData(n, (reason) => ctx.debug(reason, n));
      if (d) findings.push(report(n, d.data, d.fixable, d.why));
    }
    return findings;
  },

  fix: (finding, builder) => fixLinearToConv(finding, builder),
});

interface Judged {
  readonly data: LinearToConvData;
  readonly fixable: boolean;
  readonly why?: string;
}

function report(n: Node, d: LinearToConvData, fixable: boolean, why: string | undefined): Finding {
  const size = d.inFeatures !== null && d.outFeatures !== null ? ` (${d.inFeatures} → ${d.outFeatures})` : '';
  const bias = d.biasAdd ? ` and ${d.biasAdd.split('/').pop()} adds its bias` : '';
  const todo = fixable
    ? `graphlint --fix rewrites it as a 1×1 convolution over a (B, C, 1, S) view of the input.`
    : `Rewrite it as a 1×1 Conv2d in (B, C, 1, S) layout (not automatic here: ${why}).`;
  const nodes = d.biasAdd ? [n, n.outputs[0]!.uses[0]!.node] : [n];
  return {
    nodes,
    message: `${n.label} (${n.op}) is a fully connected layer with constant weights${size}${bias}. On the Neural Engine, models run best with Linear layers as 1×1 convolutions in (B, C, 1, S) layout (A11). ${todo}`,
    data: d,
    fixable,
  };
}

/** Gemm, NeuralNetwork innerProduct / batchedMatmul with weights, MIL linear. */
function linearData(n: Node, debug: (r: string) => void): Judged | undefined {
  if (n.op === 'Gemm') {
    const [a, b, c] = [n.inputs[0], n.inputs[1], n.inputs[2]];
    if (!b || !isConstant(b)) return void debug('Gemm B is not a constant: a product of two activations');
    if (a && isConstant(a)) return void debug('Gemm A is a constant: nothing to convolve');
    const transA = attrInt(n.attrs, 'transA') ?? 0;
    const transB = (attrInt(n.attrs, 'transB') ?? 0) === 1;
    const alpha = attrFloat(n.attrs, 'alpha') ?? 1;
    const beta = attrFloat(n.attrs, 'beta') ?? 1;
    const w = constantTensor(b);
    const dims = w?.dims ?? shapeOf(b);
    const biasConst = c ? isConstant(c) : true;
    const why = transA !== 0 ? 'transA = 1' : alpha !== 1 || beta !== 1 ? `alpha ${alpha}, beta ${beta}` : !biasConst ? 'the bias C is computed at run time' : undefined;
    return {
      data: {
        weight: b.name, weightShape: dims ?? null, transB,
        inFeatures: dims && dims.length === 2 ? dims[transB ? 1 : 0]! : null,
        outFeatures: dims && dims.length === 2 ? dims[transB ? 0 : 1]! : null,
        bias: c ? c.name : null, biasAdd: null, inputRank: rankOf(a), alpha, beta,
      },
      fixable: why === undefined,
      ...(why ? { why } : {}),
    };
  }
  if (n.op === 'innerProduct' || n.op === 'batchedMatmul') {
    const inF = attrInt(n.attrs, n.op === 'innerProduct' ? 'inputChannels' : 'weightMatrixFirstDimension') ?? null;
    const outF = attrInt(n.attrs, n.op === 'innerProduct' ? 'outputChannels' : 'weightMatrixSecondDimension') ?? null;
    const transB = n.op === 'innerProduct';
    const why = rewriteBlocker(n) ?? 'NeuralNetwork layers are not rewritten';
    return {
      data: {
        weight: null, weightShape: inF !== null && outF !== null ? (transB ? [outF, inF] : [inF, outF]) : null, transB,
        inFeatures: inF, outFeatures: outF, bias: attrInt(n.attrs, 'hasBias') === 1 ? 'bias' : null, biasAdd: null,
        inputRank: rankOf(n.inputs[0]), alpha: 1, beta: 1,
      },
      fixable: false,
      why,
    };
  }
  if (n.op === 'linear') {
    const w = n.inputNames ? n.input('weight') : n.inputs[1];
    if (!w || !isConstant(w)) return void debug('linear weight is not a constant');
    const bias = n.inputNames ? n.input('bias') : n.inputs[2];
    const dims = constantTensor(w)?.dims ?? shapeOf(w);
    return {
      data: {
        weight: w.name, weightShape: dims ?? null, transB: true,
        inFeatures: dims && dims.length === 2 ? dims[1]! : null, outFeatures: dims && dims.length === 2 ? dims[0]! : null,
        bias: bias ? bias.name : null, biasAdd: null, inputRank: rankOf(dataInput(n)), alpha: 1, beta: 1,
      },
      ...judgeRank(rankOf(dataInput(n)), bias && !isConstant(bias) ? 'the bias is computed at run time' : undefined),
    };
  }
  debug(`${n.op} of kind linear is not a layer this rule knows`);
  return undefined;
}

/** ONNX MatMul / MIL matmul whose second operand is a constant 2-D matrix. */
function matmulData(n: Node, debug: (r: string) => void): Judged | undefined {
  const x = n.inputNames ? n.input('x') : n.inputs[0];
  const y = n.inputNames ? n.input('y') : n.inputs[1];
  if (!x || !y) return void debug('matmul without two operands');
  if (!isConstant(y)) return void debug('the second operand is computed at run time (a product of two activations, e.g. attention scores)');
  if (isConstant(x)) return void debug('both operands are constants');
  const dims = constantTensor(y)?.dims ?? shapeOf(y);
  if (!dims || dims.length !== 2) return void debug(`the constant operand is not a 2-D matrix (${dims ? `rank ${dims.length}` : 'shape unknown'})`);
  const rank = rankOf(x);
  if (rank !== null && rank < 2) return void debug(`the input has rank ${rank}: a matrix-vector product`);
  const transX = boolInput(n, 'transpose_x');
  if (transX) return void debug('transpose_x is set');
  const transB = boolInput(n, 'transpose_y');
  const biasAdd = constantBiasAdd(n, dims[transB ? 0 : 1]!, rank);
  return {
    data: {
      weight: y.name, weightShape: dims, transB,
      inFeatures: dims[transB ? 1 : 0]!, outFeatures: dims[transB ? 0 : 1]!,
      bias: biasAdd ? biasAdd.bias.name : null, biasAdd: biasAdd ? biasAdd.node.path : null,
      inputRank: rank, alpha: 1, beta: 1,
    },
    ...judgeRank(rank, undefined),
  };
}

/** The rewrite handles inputs of rank 2, 3 and 4 (known). */
function judgeRank(rank: number | null, why: string | undefined): { fixable: boolean; why?: string } {
  const reason = why ?? (rank === null ? 'the rank of the input is not known' : rank < 2 || rank > 4 ? `the input has rank ${rank}` : undefined);
  return reason ? { fixable: false, why: reason } : { fixable: true };
}

/**
 * The Add right after a MatMul that adds a constant bias, one value per output feature (or
 * one value) on the last axis, without raising the rank, when the Add is the MatMul's only reader.
 */
function constantBiasAdd(n: Node, outFeatures: number, rank: number | null): { node: Node; bias: Value } | undefined {
  const out = n.outputs[0];
  if (!out || out.isGraphOutput || out.uses.length !== 1) return undefined;
  const add = out.uses[0]!.node;
  if (add.kind !== 'add' || add.inputs.length !== 2) return undefined;
  const other = add.inputs[1 - out.uses[0]!.index];
  if (!other || !isConstant(other)) return undefined;
  const dims = constantTensor(other)?.dims ?? shapeOf(other);
  if (!dims || dims.filter((d) => d !== 1).length > 1) return undefined;
  if (dims.some((d) => d !== 1) && dims[dims.length - 1] !== outFeatures) return undefined;
  if (rank !== null && dims.length > rank) return undefined;
  return { node: add, bias: other };
}

function boolInput(n: Node, name: string): boolean {
  const a = attrInt(n.attrs, name);
  if (a !== undefined) return a !== 0;
  const v = n.inputNames ? n.input(name) : undefined;
  if (!v) return false;
  const x = constantScalar(v) ?? constantNumbers(v, 1)?.[0];
  return x !== undefined && x !== 0;
}

function shapeOf(v: Value): number[] | undefined {
  const s = v.type?.kind === 'tensor' ? v.type.shape : null;
  return s && s.every((d): d is number => typeof d === 'number') ? [...s] : undefined;
}

function rankOf(v: Value | null | undefined): number | null {
  return v?.type?.kind === 'tensor' && v.type.shape ? v.type.shape.length : null;
}
