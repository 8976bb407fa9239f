import { defineRule, type Finding, type TargetId } from '../src/engine/rule.js';
import type { Node, Value } from '../src/ir/graph.js';
import type { Model } from '../src/ir/model.js';
import type { Dim } from '../src/ir/shape.js';

export interface DynamicShapeData {
  readonly input: string;
  /** The declared shape: numbers, symbols, null for unknown; null when even the rank is unknown. */
  readonly shape: readonly Dim[] | null;
  /** Axes whose size is not a fixed number. */
  readonly dynamicAxes: readonly number[];
  /** Core ML: how the input may vary, as the reader recorded it (`range 1..1 x 32..256`), or null. */
  readonly flexible: string | null;
}

export default defineRule({
  meta: {
    id: 'dynamic-shape',
    description: 'graph inputs with unknown, symbolic or range dimensions',
    targets: ['ane', 'coreml-ep'],
    severity: 'warning',
    facts: ['A10', 'S3', 'E2'],
    defaultOptions: {},
  },

  check(ctx) {
    const findings: Finding[] = [];
    for (const input of modelInputs(ctx.model)) {
      const readers = readersOf(input);
      if (readers.length === 0) {
        ctx.debug(`input ${input.name} is read by no node`);
        continue;
      }
      const flexible = flexibleOf(ctx.model, input.name);
      if (flexible?.startsWith('range') && !rangeVaries(flexible)) continue; // every range is a single size
      if (flexible?.startsWith('enumerated')) {
        // A10: every enumerated shape can run on the Neural Engine; nothing to change.
        ctx.debug(`input ${input.name} has enumerated shapes (${flexible}): each can run on the Neural Engine (A10)`, readers[0]);
        continue;
      }
      const shape = input.type?.kind === 'tensor' || input.type?.kind === 'sparse' ? input.type.shape : null;
      const dynamicAxes = shape ? shape.flatMap((d, i) => (isFixed(d) ? [] : [i])) : [];
      if (shape && dynamicAxes.length === 0 && !flexible) continue;
      findings.push({
        nodes: readers,
        message: message(input.name, shape, dynamicAxes, flexible, ctx.target),
        data: { input: input.name, shape, dynamicAxes, flexible: flexible ?? null } satisfies DynamicShapeData,
        fact: ctx.target === 'coreml-ep' ? 'E2' : 'A10',
      });
    }
    return findings;
  },
});

/** The main graph's real inputs: tensors fed at run time (ONNX IR < 4 also lists initializers as inputs). */
function modelInputs(model: Model): Value[] {
  return model.graph.inputs.filter((v) => !v.constant && (v.type === null || v.type.kind === 'tensor' || v.type.kind === 'sparse'));
}

/** A dimension is fixed when it is a positive number; 0 is how some exporters write "unknown". */
function isFixed(d: Dim): boolean {
  return typeof d === 'number' && d > 0;
}

function readersOf(v: Value): Node[] {
  return [...new Set(v.uses.map((u) => u.node))];
}

/** Core ML readers record flexible inputs in Model.info as `flexibleShape:<input>`. */
function flexibleOf(model: Model, name: string): string | undefined {
  const x = model.info.get(`flexibleShape:${name}`);
  return typeof x === 'string' ? x : undefined;
}

/** `range 1..1 x 32..256` varies when some range has two different bounds (or no upper bound). */
function rangeVaries(text: string): boolean {
  return text.slice('range '.length).split(' x ').some((r) => {
    const [lo, hi] = r.split('..');
    return lo !== hi;
  });
}

function fmt(shape: readonly Dim[]): string {
  return `[${shape.map((d) => (d === null ? '?' : typeof d === 'number' && d <= 0 ? `${d}?` : String(d))).join(', ')}]`;
}

function message(name: string, shape: readonly Dim[] | null, axes: readonly number[], flexible: string | undefined, target: TargetId): string {
  let what: string;
  if (flexible) what = `Input '${name}' has a shape range (${flexible})`;
  else if (shape === null) what = `Input '${name}' has no declared shape (not even its rank)`;
  else {
    const dims = axes.map((i) => {
      const d = shape[i];
      return typeof d === 'string' ? `${i} ('${d}')` : String(i);
    });
    what = `Input '${name}' ${fmt(shape)} has ${axes.length === 1 ? 'a dynamic dimension' : 'dynamic dimensions'} (axis ${dims.join(', ')})`;
  }
  const why = target === 'coreml-ep'
    ? `ONNX Runtime's Core ML provider needs every input shape known (E2): an input with no shape is not taken at all, and with the provider's static-shape option no node reading a dynamic dimension is claimed; otherwise Core ML gets a flexible input, of which only the default shape may run on the Neural Engine (A10).`
    : `With a shape range Core ML runs only the default shape on the Neural Engine; enumerated shapes can each run there (A10). Dynamic shapes are listed among Neural-Engine-hostile patterns (S3).`;
  const todo = flexible
    ? `Convert with enumerated shapes (ct.EnumeratedShapes) listing the sizes you use, or a fixed shape.`
    : `Fix the shape (graphlint --input-shape ${name}=${shape ? shape.map((d) => (isFixed(d) ? d : 'N')).join(',') : 'D0,D1,...'} for analysis and fixes, or re-export with static dimensions); if several sizes are needed, convert with enumerated shapes.`;
  return `${what}. ${why} ${todo}`;
}
