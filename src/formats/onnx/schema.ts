import { descriptor, PACKAGE } from '../../../proto/onnx.schema.js';
import { buildSchemas, type MessageSchema } from '../wire/schema.js';

/** The ONNX schema as the decoder uses it, built once from proto/onnx.proto. */
const schemas = buildSchemas(descriptor as never, PACKAGE);

function schema(name: string): MessageSchema {
  const s = schemas.get(name);
  if (!s) throw new Error(`invariant: ONNX schema has no message ${name}`);
  return s;
}

export const MODEL = schema('Model');
export const GRAPH = schema('Graph');
export const NODE = schema('Node');
export const ATTRIBUTE = schema('Attribute');
export const TENSOR = schema('Tensor');
export const VALUE_INFO = schema('ValueInfo');
export const SPARSE_TENSOR = schema('SparseTensor');
export const FUNCTION = schema('Function');

// The writer replays the field order of these messages when it re-encodes them.
MODEL.keepEntries = true;
GRAPH.keepEntries = true;

// Strings that recur across a graph are decoded once and shared (a million nodes name a few
// dozen op types and attribute names, and a handful of symbolic dimensions).
for (const [message, fieldName] of [
  ['Node', 'op_type'], ['Node', 'domain'], ['Attribute', 'name'], ['OpsetId', 'domain'],
  ['Dimension', 'dim_param'], ['StringPair', 'key'],
] as const) {
  const f = schema(message).byName.get(fieldName);
  if (!f) throw new Error(`invariant: ONNX schema has no field ${message}.${fieldName}`);
  f.intern = true;
}

// Nodes, their attributes and initializers are decoded by the reader one at a time, as it
// builds the graph, and not kept: the IR remembers where their bytes are (see messages.ts).
for (const [message, fieldName] of [['Graph', 'node'], ['Graph', 'initializer'], ['Function', 'node'], ['Node', 'attribute']] as const) {
  const f = schema(message).byName.get(fieldName);
  if (!f?.message || !f.repeated) throw new Error(`invariant: ONNX schema has no repeated message field ${message}.${fieldName}`);
  f.deferred = true;
}
