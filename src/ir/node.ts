import { attributeGraphs, type Attribute } from './attribute.js';
import type { Graph } from './graph.js';
import { addUse, removeUse, type Value } from './value.js';

const NO_GRAPHS: ReadonlyArray<readonly [string, Graph]> = Object.freeze([]);

export interface NodeSpec {
  op: string;
  domain?: string;
  kind: string;
  name?: string;
  inputs: readonly (Value | null)[];
  /** Names of the outputs to create; each becomes a new Value in this graph. */
  outputs: readonly string[];
  attrs?: ReadonlyMap<string, Attribute> | Record<string, Attribute>;
  inputNames?: readonly string[];
  origin?: unknown;
  /** The label wanted (a copy keeps its original's); suffixed only if the graph has it already. */
  label?: string;
  /**
   * The caller knows `label` is new to the graph (a copy of a whole graph keeps its unique
   * labels): it is taken without a look-up, and the graph's label table is made when next needed.
   */
  labelIsNew?: boolean;
}

/** The attributes of every node that has none; writing to it is a bug (use setAttr). */
const NO_ATTRIBUTES: ReadonlyMap<string, Attribute> = new (class extends Map<string, Attribute> {
  override set(): this {
    throw new Error('invariant: attributes set on the shared empty map (use Node.setAttr)');
  }
})();

/**
 * One operation. `op` and `domain` are as the format spells them; `kind` is the canonical
 * name shared by all formats (MIL spelling), 'unknown' when there is none.
 */
export class Node {
  readonly inputs: (Value | null)[];
  readonly outputs: Value[];
  /** Attributes; made on first use, since most nodes of a big graph have none (a Map is 200+ bytes). */
  private attributes: Map<string, Attribute> | undefined;
  /** True while `attributes` is another node's map (a copy's): the first edit copies it. */
  private attributesShared = false;
  /** Named arguments (Core ML MIL); parallel to `inputs` when present. */
  inputNames: string[] | undefined;
  /** The format's handle on the original encoding (kept: a writer reuses what did not change). */
  origin: unknown;
  /** Set by every edit: a writer re-encodes changed nodes and copies the others. */
  changed = false;
  /** True once removed from its graph: an O(1) test, where `graph.nodes.includes(n)` is O(n). */
  removed = false;
  /** Label unique within the graph, used in paths: the node's name, or `Op_<index>`. */
  label = '';
  /**
   * False when no attribute holds a graph: subgraphs() is asked of every node by every walk
   * over nested graphs, and almost no node of a big graph has one.
   */
  private mayHoldGraphs = false;

  constructor(
    readonly id: number,
    public graph: Graph,
    public name: string,
    public op: string,
    public domain: string,
    public kind: string,
    attrs: ReadonlyMap<string, Attribute> | Record<string, Attribute> | undefined,
    /** Taken as they are, not copied (readers build them at their exact size). */
    inputs: (Value | null)[] = [],
    outputs: Value[] = [],
  ) {
    this.inputs = inputs;
    this.outputs = outputs;
    if (attrs instanceof Map) {
      if (attrs.size > 0) this.attributes = new Map(attrs);
    } else if (attrs !== undefined) {
      const entries = Object.entries(attrs);
      if (entries.length > 0) this.attributes = new Map(entries);
    }
    if (this.attributes) for (const a of this.attributes.values()) this.noteGraphs(a);
  }

  private noteGraphs(a: Attribute): void {
    if (a.type === 'graph' || a.type === 'graphs') this.mayHoldGraphs = true;
  }

  /**
   * The node's attributes by name; edits go through setAttr (or initAttr for readers). A node
   * without attributes shares one empty map: most nodes of a big graph have none.
   */
  get attrs(): ReadonlyMap<string, Attribute> {
    return this.attributes ?? NO_ATTRIBUTES;
  }

  /** Sets an attribute as read from the file: the node is not marked changed. */
  initAttr(name: string, attr: Attribute): void {
    this.ownAttributes().set(name, attr);
    this.noteGraphs(attr);
  }

  /**
   * Reads `other`'s attributes through its own map until either node edits them (attributes
   * are immutable objects; an edit replaces one). For copies of a big graph: no map per node.
   * Not for a node whose attributes hold graphs (a copy must hold copies of them).
   */
  shareAttributesOf(other: Node): void {
    if (other.subgraphs().length > 0) throw new Error(`invariant: ${other.path} holds graphs; its copy needs its own`);
    this.attributes = other.attributes;
    this.mayHoldGraphs = other.mayHoldGraphs; // an empty list of graphs, say
    this.attributesShared = other.attributes !== undefined;
    if (this.attributesShared) other.attributesShared = true;
  }

  private ownAttributes(): Map<string, Attribute> {
    if (this.attributesShared) {
      this.attributes = new Map(this.attributes);
      this.attributesShared = false;
    }
    return (this.attributes ??= new Map());
  }

  /** True when the node has at least one attribute (without making the map). */
  get hasAttrs(): boolean {
    return this.attributes !== undefined && this.attributes.size > 0;
  }

  /** `main/If_3.then_branch/Conv_12`: the graph's path, then this node's label. */
  get path(): string {
    return `${this.graph.path}/${this.label}`;
  }

  /** Graphs held by attributes (If/Loop/Scan bodies, MIL blocks), with the attribute name. */
  subgraphs(): ReadonlyArray<readonly [string, Graph]> {
    // Every walk over nested graphs asks every node: most answer with one shared empty list.
    return this.mayHoldGraphs ? attributeGraphs(this.attributes!) : NO_GRAPHS;
  }

  input(name: string): Value | null | undefined {
    const i = this.inputNames?.indexOf(name) ?? -1;
    return i >= 0 ? this.inputs[i] : undefined;
  }

  setInput(index: number, value: Value | null): void {
    const old = this.inputs[index];
    if (old) removeUse(old, this, index);
    this.inputs[index] = value;
    if (value) addUse(value, { node: this, index });
    this.touch();
  }

  setAttr(name: string, attr: Attribute | undefined): void {
    if (attr === undefined) {
      if (this.attributes?.has(name)) this.ownAttributes().delete(name);
    } else {
      this.ownAttributes().set(name, attr);
      this.noteGraphs(attr);
    }
    for (const [, g] of this.subgraphs()) g.parentNode = this;
    this.touch();
  }

  /** Marks this node (and what contains it) as changed, so writers re-encode it. */
  touch(): void {
    this.changed = true;
    this.graph.touch();
  }

  /** Values from enclosing graphs read inside this node's subgraphs. */
  implicitInputs(): Value[] {
    const found = new Set<Value>();
    const own = new Set<Graph>();
    const visit = (g: Graph): void => {
      own.add(g);
      // Removed nodes are skipped: a list may hold them until its owner compacts it (OrtView).
      for (const n of g.nodes) {
        if (!n.removed) for (const [, sub] of n.subgraphs()) visit(sub);
      }
      for (const n of g.nodes) {
        if (!n.removed) for (const v of n.inputs) if (v && !own.has(v.graph)) found.add(v);
      }
      for (const v of g.outputs) if (!own.has(v.graph)) found.add(v);
    };
    for (const [, g] of this.subgraphs()) visit(g);
    return [...found];
  }
}
