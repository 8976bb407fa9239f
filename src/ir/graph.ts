import { Node, type NodeSpec } from './node.js';
import { StringMap } from './string-map.js';
import type { Tensor } from './tensor.js';
import type { ValueType } from './types.js';
import { addUse, removeUse, Value, type Use } from './value.js';

// Values and nodes live in files of their own; graph.ts is where the rest of the code gets them.
export { Node, Value };
export type { NodeSpec, Use };

/** Allocates node ids that stay unique across all graphs of a model. */
export class IdSource {
  private next = 0;
  take(): number {
    return this.next++;
  }

  /** How many ids were taken: every node made with this source has an id below it. */
  get issued(): number {
    return this.next;
  }
}

/**
 * A graph: inputs, outputs, nodes in topological order, and constants (initializers).
 * Nested graphs (If/Loop/Scan bodies, MIL blocks) point to the node that holds them.
 */
export class Graph {
  readonly inputs: Value[] = [];
  readonly outputs: Value[] = [];
  readonly nodes: Node[] = [];
  /** Values with a constant tensor declared at graph level (ONNX initializers), in file order. */
  readonly initializers: Value[] = [];
  /** Values by name in this scope. */
  readonly values = new StringMap<Value>();
  /** The node holding this graph, when nested. */
  parentNode: Node | null = null;
  /** The format's handle on the original encoding (kept: a writer reuses what did not change). */
  origin: unknown;
  /** Set by every edit here or in a nested graph. */
  changed = false;
  private labels = new StringMap<true>();
  /** True when nodes were added with labels taken unchecked (NodeSpec.labelIsNew): `labels` lacks them. */
  private labelsIncomplete = false;
  /** Per repeated label, the suffix to try next (made only when a label repeats). */
  private labelSuffixes: Map<string, number> | undefined;

  constructor(
    public name: string,
    readonly ids: IdSource,
    /** Path of a top-level graph (`main`, or a function's name); nested ones derive theirs. */
    private readonly rootPath = 'main',
    readonly parentGraph: Graph | null = null,
    /** Attribute (or block) name under the parent node. */
    readonly slot = '',
  ) {}

  get path(): string {
    return this.parentNode ? `${this.parentNode.path}.${this.slot}` : this.rootPath;
  }

  /** Makes room in the name tables for `nodes` more nodes and `values` more values (readers that know their counts). */
  reserve(nodes: number, values: number): void {
    if (nodes > 0) this.labelTable().reserve(nodes);
    this.values.reserve(values);
  }

  /** Finds a value by name here or in an enclosing graph. */
  lookup(name: string): Value | undefined {
    for (let g: Graph | null = this; g; g = g.parentGraph) {
      const v = g.values.get(name);
      if (v) return v;
    }
    return undefined;
  }

  /** Creates a value in this scope (the name must be new to this scope). */
  newValue(name: string, type: ValueType | null = null, constant: Tensor | null = null): Value {
    const v = new Value(name, type, this, constant);
    if (!this.values.add(name, v)) throw new Error(`invariant: value ${name} already exists in ${this.path}`);
    return v;
  }

  /** Like newValue, but returns undefined when the name is taken (readers report that as a model error). */
  tryNewValue(name: string, type: ValueType | null = null, constant: Tensor | null = null): Value | undefined {
    const v = new Value(name, type, this, constant);
    return this.values.add(name, v) ? v : undefined;
  }

  /** A name not yet used in this scope or its enclosing ones, derived from `base`. */
  freshName(base: string): string {
    if (!this.lookup(base)) return base;
    for (let i = 1; ; i++) {
      const name = `${base}_${i}`;
      if (!this.lookup(name)) return name;
    }
  }

  /** Adds a node at `index` (default: the end), creating its output values. */
  addNode(spec: NodeSpec, index = this.nodes.length): Node {
    // Lists at their exact size: an array grown by push from empty keeps room for 16 more,
    // which a copy of a million-node graph would carry (and the collector trace) for nothing.
    const inputs = spec.inputs.slice();
    const outputs = new Array<Value>(spec.outputs.length);
    const node = new Node(this.ids.take(), this, spec.name ?? '', spec.op, spec.domain ?? '', spec.kind, spec.attrs, inputs, outputs);
    node.origin = spec.origin;
    node.inputNames = spec.inputNames ? [...spec.inputNames] : undefined;
    for (let i = 0; i < inputs.length; i++) {
      const v = inputs[i];
      if (v) addUse(v, { node, index: i });
    }
    spec.outputs.forEach((name, i) => {
      // Empty output names are ONNX's omitted optional outputs: give them a private value.
      const v = name === '' ? new Value('', null, this) : this.newValue(name);
      v.producer = node;
      outputs[i] = v;
    });
    for (const [, g] of node.subgraphs()) g.parentNode = node;
    node.label = spec.labelIsNew && spec.label !== undefined ? this.takeLabelUnchecked(spec.label) : this.uniqueLabel(spec.label ?? (spec.name || `${spec.op}_${index}`));
    if (index === this.nodes.length) this.nodes.push(node);
    else this.nodes.splice(index, 0, node);
    if (spec.origin === undefined) node.touch();
    return node;
  }

  /**
   * Appends a node as a reader found it. `inputs` and `outputs` are taken as they are, not
   * copied: inputs are values in scope (or null for omitted ones), outputs were made with
   * newValue (or are private unnamed values) and have no producer yet. Records uses and
   * producers. The node is not marked changed: it is the original.
   */
  appendNode(op: string, domain: string, kind: string, name: string, origin: unknown, inputs: (Value | null)[], outputs: Value[]): Node {
    // Arguments, not an object of them: a million-node read would make a million such objects.
    const node = new Node(this.ids.take(), this, name, op, domain, kind, undefined, inputs, outputs);
    node.origin = origin;
    for (let i = 0; i < inputs.length; i++) {
      const v = inputs[i];
      if (v) addUse(v, { node, index: i });
    }
    for (let i = 0; i < outputs.length; i++) outputs[i]!.producer = node;
    node.label = this.uniqueLabel(name || `${op}_${this.nodes.length}`);
    this.nodes.push(node);
    return node;
  }

  /** Removes a node whose outputs nobody reads any more. */
  removeNode(node: Node): void {
    if (node.graph !== this) throw new Error(`invariant: ${node.path} is not in ${this.path}`);
    for (const out of node.outputs) {
      if (out.uses.length > 0 || out.isGraphOutput) {
        throw new Error(`invariant: removing ${node.path} would leave ${out.name} dangling`);
      }
    }
    node.inputs.forEach((v, i) => v && removeUse(v, node, i));
    const at = this.nodes.indexOf(node);
    if (at >= 0) this.nodes.splice(at, 1);
    this.forget(node);
    this.touch();
  }

  /**
   * Removes several nodes in one pass over the node list. removeNode costs a pass over the
   * list per node, so a rewrite that removes thousands of nodes of a big graph should batch
   * them here. Outputs of the removed nodes may be read only by other removed nodes.
   */
  removeNodes(nodes: Iterable<Node>): void {
    const batch = new Set(nodes);
    if (batch.size === 0) return;
    for (const node of batch) {
      if (node.graph !== this || node.removed) throw new Error(`invariant: ${node.path} is not in ${this.path}`);
      for (const out of node.outputs) {
        if (out.isGraphOutput || out.uses.some((u) => !batch.has(u.node))) {
          throw new Error(`invariant: removing ${node.path} would leave ${out.name} dangling`);
        }
      }
    }
    for (const node of batch) {
      node.inputs.forEach((v, i) => v && removeUse(v, node, i));
      this.forget(node);
    }
    // In place: whoever holds the list sees the removal, as with removeNode.
    const list = this.nodes;
    let kept = 0;
    for (let i = 0; i < list.length; i++) {
      const n = list[i]!;
      if (!batch.has(n)) list[kept++] = n;
    }
    list.length = kept;
    this.touch();
  }

  /** True when `node` is one of this graph's nodes (O(1)). */
  contains(node: Node): boolean {
    return node.graph === this && !node.removed;
  }

  /** Drops a node's outputs and label from this scope; the node is gone from the list. */
  private forget(node: Node): void {
    for (const out of node.outputs) {
      out.producer = null;
      if (this.values.get(out.name) === out) this.values.delete(out.name);
    }
    if (!this.labelsIncomplete) this.labels.delete(node.label);
    // A freed `base#i` is handed out again first, as before suffixes were remembered.
    const m = this.labelSuffixes && /^(.*)#(\d+)$/.exec(node.label);
    if (m && (this.labelSuffixes!.get(m[1]!) ?? Infinity) > Number(m[2])) this.labelSuffixes!.set(m[1]!, Number(m[2]));
    node.removed = true;
  }

  /** Makes every reader of `from` (nodes anywhere, and this graph's outputs) read `to` instead. */
  replaceUses(from: Value, to: Value): void {
    for (const use of [...from.uses]) use.node.setInput(use.index, to);
    const outputs = this.outputs;
    for (let i = 0; i < outputs.length; i++) {
      if (outputs[i] === from) {
        outputs[i] = to;
        this.touch();
      }
    }
  }

  /** Removes an initializer that nothing reads. */
  removeInitializer(value: Value): void {
    if (value.uses.length > 0 || value.isGraphOutput) {
      throw new Error(`invariant: initializer ${value.name} is still read`);
    }
    const at = this.initializers.indexOf(value);
    if (at >= 0) this.initializers.splice(at, 1);
    if (this.values.get(value.name) === value) this.values.delete(value.name);
    this.touch();
  }

  addInitializer(name: string, tensor: Tensor, type: ValueType): Value {
    const v = this.newValue(name, type, tensor);
    this.initializers.push(v);
    this.touch();
    return v;
  }

  /** Marks this graph and every graph and node that contains it as changed. */
  touch(): void {
    if (this.changed) return; // whatever contains a changed graph is already marked
    this.changed = true;
    this.parentNode?.touch();
  }

  private takeLabelUnchecked(label: string): string {
    this.labelsIncomplete = true;
    return label;
  }

  /** The labels of the graph's nodes, made whole again if some were taken unchecked. */
  private labelTable(): StringMap<true> {
    if (this.labelsIncomplete) {
      this.labels = new StringMap<true>();
      for (const n of this.nodes) if (!n.removed) this.labels.add(n.label, true);
      this.labelsIncomplete = false;
    }
    return this.labels;
  }

  private uniqueLabel(base: string): string {
    const labels = this.labelTable();
    // One set operation in the common case (the name is new).
    if (labels.add(base, true)) return base;
    // A repeated name resumes from its last suffix: n nodes of one name cost n, not n² (a hostile file has 10^5).
    const next = (this.labelSuffixes ??= new Map<string, number>());
    let i = next.get(base) ?? 2;
    let label = `${base}#${i}`;
    while (labels.has(label)) label = `${base}#${++i}`;
    next.set(base, i + 1);
    labels.add(label, true);
    return label;
  }
}
