import type { Attribute } from '../ir/attribute.js';
import type { Graph, Node, Value } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import type { TensorType } from '../ir/types.js';

/**
 * A patch is data: what a fix wants done to the graph, recorded by the PatchBuilder and
 * applied (and, on a failed check, undone) by a Transaction. A fix never edits the IR.
 *
 * Values the patch creates are NewValue handles until the patch is applied; an op that
 * reads a value names it by ValueRef (an existing Value or a NewValue of the same patch).
 */
export class NewValue {
  constructor(
    /** Position in the patch's list of created values. */
    readonly id: number,
    /** The name the value gets (reserved: unique in its graph for the whole fix session). */
    readonly name: string,
    readonly type: TensorType,
    readonly graph: Graph,
  ) {}
}

export type ValueRef = Value | NewValue;

export function isNew(v: ValueRef | null | undefined): v is NewValue {
  return v instanceof NewValue;
}

/** A node to add, as the target format spells it (the op factory lowered it from a kind). */
export interface NewNodeSpec {
  readonly op: string;
  readonly domain: string;
  readonly kind: string;
  readonly name: string;
  readonly inputs: readonly (ValueRef | null)[];
  /** ML Program argument names, parallel to `inputs`. */
  readonly inputNames?: readonly string[];
  readonly attrs: ReadonlyMap<string, Attribute>;
  readonly outputs: readonly NewValue[];
}

export type PatchOp =
  /** A constant: an ONNX initializer, or (ML Program) a `const` op whose output holds the tensor. */
  | { readonly op: 'constant'; readonly out: NewValue; readonly tensor: Tensor; readonly as: 'initializer' | 'const-node' }
  | { readonly op: 'node'; readonly spec: NewNodeSpec }
  /** Every reader of `from` (and the graph outputs) reads `to` instead; `readers` limits it to those nodes. */
  | { readonly op: 'replace'; readonly from: Value; readonly to: ValueRef; readonly readers?: readonly Node[] }
  | { readonly op: 'set-input'; readonly node: Node; readonly index: number; readonly to: ValueRef | null }
  | { readonly op: 'set-attr'; readonly node: Node; readonly name: string; readonly attr: Attribute | undefined }
  /** Asserts that `node` is dead once the patch is applied; the clean-up removes it. */
  | { readonly op: 'remove'; readonly node: Node };

export interface Patch {
  readonly ruleId: string;
  /** The finding's nodes, as paths (for the report) and as nodes. */
  readonly nodes: readonly Node[];
  /** The graph the patch edits (nested graphs are patched on their own). */
  readonly graph: Graph;
  readonly ops: readonly PatchOp[];
  /** Existing nodes the patch edits or removes (or whose outputs it redirects). */
  readonly writes: ReadonlySet<Node>;
  /** Existing nodes whose outputs the new nodes read (they must survive the pass). */
  readonly reads: ReadonlySet<Node>;
  /** One line for the report: what the patch does. */
  readonly summary: string;
}

/** Thrown by a fix (through PatchBuilder.decline) that cannot handle this instance. */
export class FixDeclined extends Error {
  override readonly name = 'FixDeclined';
}

/** True when two patches can be applied in the same pass. */
export function disjoint(a: Patch, b: Patch): boolean {
  for (const n of a.writes) if (b.writes.has(n) || b.reads.has(n)) return false;
  for (const n of b.writes) if (a.reads.has(n)) return false;
  return true;
}
