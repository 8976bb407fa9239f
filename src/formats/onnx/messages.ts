import type {
  Function as FunctionProto,
  Graph as GraphProto,
  Node as NodeProto,
} from '../../../proto/onnx.schema.js';
import type { Decoded } from '../wire/decoded.js';
import { FieldSpans } from '../wire/spans.js';

/*
 * The decoded ONNX messages whose repeated children are deferred (see schema.ts): a graph's
 * or function's nodes and initializers, and a node's attributes, are spans in the file,
 * decoded by the reader one at a time. The IR keeps none of those messages: the `origin` of
 * a node, an attribute, an initializer and its tensor is the offset in the file of its
 * field (tag included), which the writer decodes again on the rare occasion it needs more
 * than the bytes.
 */

export type GraphMessage = Omit<Decoded<GraphProto>, 'node' | 'initializer'> & { readonly node?: FieldSpans; readonly initializer?: FieldSpans };
export type FunctionMessage = Omit<Decoded<FunctionProto>, 'node'> & { readonly node?: FieldSpans };
export type NodeMessage = Omit<Decoded<NodeProto>, 'attribute'> & { readonly attribute?: FieldSpans };

/** No occurrences (a message without the field). */
export const NO_SPANS: FieldSpans = new FieldSpans();
