import type { Graph } from './graph.js';
import type { Tensor } from './tensor.js';
import type { ValueType } from './types.js';

/**
 * A node attribute. `origin` is the format's handle on the original encoding: a writer
 * copies those bytes when the attribute is unchanged. Setting an attribute replaces the
 * object, so a changed attribute never carries a stale origin.
 */
export type Attribute = AttributeValue & { readonly origin?: unknown };

export type AttributeValue =
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'tensor'; readonly value: Tensor }
  | { readonly type: 'graph'; readonly value: Graph }
  | { readonly type: 'type'; readonly value: ValueType | null }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'strings'; readonly value: readonly string[] }
  | { readonly type: 'tensors'; readonly value: readonly Tensor[] }
  | { readonly type: 'graphs'; readonly value: readonly Graph[] }
  | { readonly type: 'types'; readonly value: readonly (ValueType | null)[] }
  /** ONNX function bodies: the value comes from the calling node's attribute `ref`. */
  | { readonly type: 'ref'; readonly ref: string; readonly refType: string }
  /** A kind the IR does not interpret (sparse tensors as attributes); kept for the writer. */
  | { readonly type: 'opaque'; readonly what: string };

export type AttributeType = AttributeValue['type'];

export function attrInt(attrs: ReadonlyMap<string, Attribute>, name: string): number | undefined {
  const a = attrs.get(name);
  return a?.type === 'int' ? a.value : undefined;
}

export function attrFloat(attrs: ReadonlyMap<string, Attribute>, name: string): number | undefined {
  const a = attrs.get(name);
  return a?.type === 'float' ? a.value : a?.type === 'int' ? a.value : undefined;
}

export function attrInts(attrs: ReadonlyMap<string, Attribute>, name: string): readonly number[] | undefined {
  const a = attrs.get(name);
  return a?.type === 'ints' ? a.value : undefined;
}

export function attrString(attrs: ReadonlyMap<string, Attribute>, name: string): string | undefined {
  const a = attrs.get(name);
  return a?.type === 'string' ? a.value : undefined;
}

/** Every graph held by an attribute, in attribute order. */
export function attributeGraphs(attrs: ReadonlyMap<string, Attribute>): Array<[string, Graph]> {
  const out: Array<[string, Graph]> = [];
  // Called for every node by every walk over nested graphs: the common answer (none) is
  // found without allocating an entry per attribute.
  if (attrs.size === 0) return out;
  let any = false;
  for (const a of attrs.values()) {
    if (a.type === 'graph' || a.type === 'graphs') {
      any = true;
      break;
    }
  }
  if (!any) return out;
  for (const [name, a] of attrs) {
    if (a.type === 'graph') out.push([name, a.value]);
    else if (a.type === 'graphs') a.value.forEach((g, i) => out.push([`${name}[${i}]`, g]));
  }
  return out;
}
