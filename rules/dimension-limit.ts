import { constantTensor } from '../src/analysis/constants.js';
import { defineRule, type Finding } from '../src/engine/rule.js';
import type { Node, Value } from '../src/ir/graph.js';
import { formatShape, type Dim } from '../src/ir/shape.js';

export interface Options {
  /** Largest dimension the target accepts. */
  readonly maxDimension: number;
}

const DEFAULTS: Options = { maxDimension: 16384 };

const CONV_KINDS = new Set(['conv', 'conv_transpose']);

interface Offender {
  readonly role: string;
  readonly name: string;
  readonly shape: readonly Dim[];
  /** Axes whose size is above the limit. */
  readonly axes: number[];
}

export default defineRule<Options>({
  meta: {
    id: 'dimension-limit',
    description: "dimensions above the target's size limit",
    targets: ['ane', 'coreml-ep'],
    severity: 'error',
    facts: ['A8', 'A9', 'E4'],
    schema: {
      type: 'object',
      properties: {
        maxDimension: {
          type: 'integer',
          minimum: 1,
          default: 16384,
          description: 'Largest size of any one axis the target accepts: 16384 for convolutions on the Neural Engine (A8) and in the Core ML provider (E4).',
        },
      },
      additionalProperties: false,
    },
    defaultOptions: DEFAULTS,
  },
  check(ctx) {
    const limit = ctx.options?.maxDimension ?? DEFAULTS.maxDimension;
    const ane = ctx.target === 'ane';
    const findings: Finding[] = [];
    const nodes = ctx.nodes();
    for (let at = 0; at < nodes.length; at++) {
      const n = nodes[at]!;
      if (CONV_KINDS.has(n.kind)) {
        const offenders = convOffenders(n, limit, ane);
        if (offenders.length === 0) continue;
        findings.push({
          nodes: [n],
          fact: ane ? 'A8' : 'E4',
          message:
            `${n.label} (${n.op}): ${describe(offenders, limit)}. ` +
            (ane
              ? `Dimensions above ${limit} are rejected for convolutions on the Neural Engine (A8), and very large spatial inputs fail its compilation (A9). `
              : `ONNX Runtime's Core ML provider refuses a ${n.op} with any dimension above ${limit} (E4), so it runs on the CPU provider and splits the graph. `) +
            'Tile the input (process it in pieces no larger than the limit along that axis) or reduce the size before this layer.',
          data: { maxDimension: limit, values: offenders },
        });
        continue;
      }
      if (!ane || n.kind === 'const' || n.op === 'Constant') continue;
      // Not a convolution: A8 saw the same limit on embedding tables, so warn where such a
      // tensor is made (node outputs) or first read (constants and graph inputs). Loops that
      // allocate only for an offender: this runs for every node of the model.
      const offenders: Offender[] = [];
      const outputs = n.outputs;
      for (let i = 0; i < outputs.length; i++) add(offenders, 'output', i, outputs[i], limit);
      const inputs = n.inputs;
      for (let i = 0; i < inputs.length; i++) {
        const v = inputs[i];
        if (v && (v.producer === null || v.producer.kind === 'const' || v.producer.op === 'Constant')) add(offenders, 'input', i, v, limit);
      }
      if (offenders.length === 0) continue;
      findings.push({
        nodes: [n],
        severity: 'warning',
        fact: 'A8',
        message:
          `${n.label} (${n.op}): ${describe(offenders, limit)}. The Neural Engine's limit of ${limit} was seen on convolutions and on embedding tables (A8), ` +
          'so this op may be kept off the Neural Engine. Split the tensor along that axis (e.g. a large vocabulary into several tables), or check its placement in a performance report.',
        data: { maxDimension: limit, values: offenders },
      });
    }
    return findings;
  },
});

/**
 * What a convolution's limit covers: the input, the weight and the output on the Neural
 * Engine (A8); for ONNX Runtime (E4) Conv checks input, weight and output, ConvTranspose the
 * input and weight only.
 */
function convOffenders(n: Node, limit: number, ane: boolean): Offender[] {
  const out: Offender[] = [];
  add(out, 'input', undefined, n.input('x') ?? n.inputs[0], limit);
  const weight = n.input('weight') ?? (n.inputNames ? undefined : n.inputs[1]);
  if (weight) add(out, 'weight', undefined, weight, limit);
  else {
    // NeuralNetwork convolutions carry their weights as a parameter.
    const w = n.attrs.get('weights');
    if (w?.type === 'tensor') addShape(out, 'weight', undefined, 'weights', w.value.dims, limit);
  }
  if (ane || n.kind === 'conv') add(out, 'output', undefined, n.outputs[0], limit);
  return out;
}

/** Adds `v` to `out` when an axis of its shape is above the limit; its role is `role`, then `index` when given. */
function add(out: Offender[], role: string, index: number | undefined, v: Value | null | undefined, limit: number): void {
  if (!v) return;
  const shape = shapeOf(v);
  if (shape) addShape(out, role, index, v.name, shape, limit);
}

function addShape(out: Offender[], role: string, index: number | undefined, name: string, shape: readonly Dim[], limit: number): void {
  // Symbolic and unknown dimensions are never guessed. A loop that allocates only for an
  // offender (the role's text too): this runs for every value of the model.
  let axes: number[] | undefined;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d === 'number' && d > limit) (axes ??= []).push(i);
  }
  if (axes) out.push({ role: index === undefined ? role : `${role} ${index}`, name, shape, axes });
}

function shapeOf(v: Value): readonly Dim[] | undefined {
  const t = v.type;
  if (t && (t.kind === 'tensor' || t.kind === 'sparse') && t.shape !== null) return t.shape;
  return constantTensor(v)?.dims;
}

function describe(offenders: readonly Offender[], limit: number): string {
  return offenders
    .map((o) => `${o.role} ${o.name} ${formatShape(o.shape)} has ${o.axes.length === 1 ? 'axis' : 'axes'} ${o.axes.join(', ')} above ${limit}`)
    .join('; ');
}
