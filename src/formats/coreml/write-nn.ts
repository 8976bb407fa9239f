import type { NeuralNetwork } from '../../../proto/coreml.schema.js';
import { WriteError } from '../../errors.js';
import type { Graph, Node, Value } from '../../ir/graph.js';
import type { Decoded } from '../wire/decoded.js';
import { Emitter } from '../wire/encode.js';
import type { ByteSource } from '../wire/source.js';
import type { NnGraphOrigin, NnNodeOrigin } from './neuralnetwork.js';
import { NN_PARAM } from './nn-params.js';
import { fieldNumber, LAYER, NEURAL_NETWORK } from './schema.js';

/**
 * Re-encodes a NeuralNetwork whose IR changed. Layers are copied unless they changed;
 * a changed layer gets its name and wiring re-encoded and keeps its parameters as
 * original bytes. What this cannot express is refused rather than guessed: new layers,
 * edited layer parameters, and edits inside branch/loop bodies.
 */

const F = {
  net: { layers: fieldNumber(NEURAL_NETWORK, 'layers') },
  layer: { name: fieldNumber(LAYER, 'name'), input: fieldNumber(LAYER, 'input'), output: fieldNumber(LAYER, 'output') },
};

export function encodeNetwork(g: Graph, source: ByteSource): Emitter {
  const net = (g.origin as NnGraphOrigin | undefined)?.network as Decoded<NeuralNetwork> | undefined;
  if (!net?.$entries) throw new Error('invariant: NeuralNetwork graph without its decoded message');
  const out = new Emitter();
  let layersDone = false;
  for (const e of net.$entries) {
    if (e.field !== F.net.layers) {
      out.copy(source, e.start, e.end);
      continue;
    }
    if (layersDone) continue;
    layersDone = true;
    for (const n of g.nodes) out.message(F.net.layers, layer(n, source));
  }
  return out;
}

function layer(n: Node, source: ByteSource): Emitter {
  const origin = n.origin as NnNodeOrigin | undefined;
  if (!origin?.layer) throw new WriteError(`${n.path}: adding NeuralNetwork layers is not supported yet`);
  const l = origin.layer;
  const copy = new Emitter().copy(source, l.$span.start, l.$span.end);
  if (!n.changed) return copy;
  for (const [key, a] of n.attrs) {
    if (key === 'blocks') {
      if (a.type === 'graphs' && a.value.some((g) => g.changed)) throw new WriteError(`${n.path}: editing inside NeuralNetwork branch or loop bodies is not supported yet`);
    } else if (a.origin !== NN_PARAM) {
      throw new WriteError(`${n.path}: editing NeuralNetwork layer parameters ('${key}') is not supported yet`);
    }
  }
  const out = new Emitter();
  const done = new Set<number>();
  for (const e of l.$entries ?? []) {
    if (e.field === F.layer.name) {
      out.string(F.layer.name, n.name);
    } else if (e.field === F.layer.input || e.field === F.layer.output) {
      if (done.has(e.field)) continue;
      done.add(e.field);
      const values = e.field === F.layer.input ? n.inputs : n.outputs.slice(0, origin.wireOutputs);
      for (const v of values) out.string(e.field, wireName(v, n));
    } else {
      out.copy(source, e.start, e.end);
    }
  }
  if (!done.has(F.layer.input)) for (const v of n.inputs) out.string(F.layer.input, wireName(v, n));
  return out;
}

function wireName(v: Value | null, n: Node): string {
  if (!v) throw new WriteError(`${n.path}: NeuralNetwork layers cannot have empty inputs`);
  return (v.origin as { nnName?: string } | undefined)?.nnName ?? v.name;
}
