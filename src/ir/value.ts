import type { Graph } from './graph.js';
import type { Node } from './node.js';
import type { Tensor } from './tensor.js';
import type { ValueType } from './types.js';

/** One reading of a value: `node.inputs[index] === value`. */
export interface Use {
  readonly node: Node;
  readonly index: number;
}

/**
 * A value: a graph input, an initializer/constant, or a node output. `uses` and
 * `producer` are kept consistent by the edit methods of Graph and Node; never assign
 * `node.inputs[i]` directly.
 */
export class Value {
  producer: Node | null = null;
  /**
   * Read it; change it only through addUse and removeUse. A value starts with one shared,
   * frozen empty list (a million values would each make a list their first use replaces).
   */
  readonly uses: Use[] = NO_USES;
  /** The format's handle on its declaration (value_info, initializer, feature description). */
  origin?: unknown;

  constructor(
    public name: string,
    public type: ValueType | null,
    readonly graph: Graph,
    public constant: Tensor | null = null,
  ) {}

  get isGraphInput(): boolean {
    return this.graph.inputs.includes(this);
  }

  get isGraphOutput(): boolean {
    return this.graph.outputs.includes(this);
  }
}

const NO_USES: Use[] = Object.freeze([]) as unknown as Use[];

/**
 * Up to this many uses, a reader's appendNode replaces a value's list by one a use longer;
 * past it the list grows by push. A list grown by push from empty keeps room for sixteen
 * more: a graph of a million values would carry (and the collector copy) over 100 MB of
 * that room. Past sixteen, growing by half its length costs less than the copies would.
 */
const EXACT_USES = 16;

export function addUse(value: Value, use: Use): void {
  const uses = value.uses;
  const n = uses.length;
  if (n >= EXACT_USES) {
    uses.push(use);
    return;
  }
  const longer: Use[] = new Array(n + 1);
  for (let i = 0; i < n; i++) longer[i] = uses[i]!;
  longer[n] = use;
  (value as { uses: Use[] }).uses = longer;
}

export function removeUse(value: Value, node: Node, index: number): void {
  const i = value.uses.findIndex((u) => u.node === node && u.index === index);
  if (i >= 0) value.uses.splice(i, 1);
}
