import { byteSize } from '../ir/dtype.js';
import type { Graph, Node, Value } from '../ir/graph.js';
import { graphsWithin } from '../ir/model.js';
import { NodePositions } from '../ir/node-table.js';
import { elementCount } from '../ir/shape.js';
import type { Device, Judgement } from './types.js';

/**
 * Partitioning: one algorithm for every target (fact E1).
 *
 * Each graph (the main graph and, separately, every nested graph the target judges) is walked
 * the way ONNX Runtime's CreateSupportedPartitionNodeGroups walks it:
 *  1. every node starts with an in-degree = the number of its inputs produced by other nodes
 *     of the same graph (a node holding nested graphs also counts the outer values its bodies
 *     read); nodes with in-degree 0 are queued in graph order;
 *  2. a node taken from the queue that the target accelerates joins the current group, and
 *     the nodes that read its outputs join the group's border;
 *  3. a node the target does not accelerate that sits on the border is deferred to the next
 *     group (so a group never depends on itself through the CPU); one that is not on the
 *     border is simply passed;
 *  4. either way the readers' in-degrees drop and readers that reach 0 are queued;
 *  5. when the queue is empty the group closes, and the deferred nodes start the next one.
 * There is no minimum group size (E1). The nodes the target does not accelerate are grouped
 * by the same walk with the roles swapped, so every node belongs to exactly one partition.
 *
 * For `ane` the same walk applies: Core ML switches between the Neural Engine and the CPU
 * cheaply and repeatedly (A5), so it has no reason to keep a group larger than ONNX Runtime
 * would, and every switch is still a boundary with a copy (S1). Nodes that leave the Neural
 * Engine are placed on the CPU, not the GPU: Core ML tends to move to the GPU only once (A5).
 *
 * Boundaries: every value produced in one partition and read in another (nested readers count
 * for the partition of the node that reads it), once per (value, reading partition), with the
 * bytes its inferred shape and type give, or null when the shape is not fully known. A value
 * passed between two partitions of the same non-accelerated device (the CPU side of a graph and
 * of a nested body) is not a switch and is not reported; between two accelerator partitions it
 * is (it leaves one Core ML model and enters another).
 */

export interface Partition {
  readonly index: number;
  readonly device: Device;
  readonly accelerated: boolean;
  /** The judged nodes, in graph order. */
  readonly nodes: readonly Node[];
  /** The graph the partition lives in (nested graphs are partitioned on their own). */
  readonly graph: Graph;
}

export interface Boundary {
  readonly value: Value;
  readonly from: number;
  readonly to: number;
  /** Bytes that cross: element count × element size; null when the shape is not fully known. */
  readonly bytes: number | null;
  readonly producer: Node;
  /** The nodes of partition `to` that read the value. */
  readonly readers: readonly Node[];
}

export interface PartitionPlan {
  readonly judgement: Judgement;
  /** All partitions in order of their first node; accelerated ones and the others. */
  readonly partitions: readonly Partition[];
  readonly boundaries: readonly Boundary[];
  /** Judged node → its partition index. */
  readonly partitionOf: { get(n: Node): number | undefined };
  /** Nodes judged, nodes accelerated, accelerated partitions. */
  readonly nodes: number;
  readonly supported: number;
  readonly count: number;
}

export interface PartitionOptions {
  /** Graphs to partition; default: every graph of the judged model that has decisions. */
  readonly graphs?: readonly Graph[];
}

export function partition(judgement: Judgement, options: PartitionOptions = {}): PartitionPlan {
  const decisions = judgement.decisions;
  const graphs = options.graphs ?? [...graphsWithin(judgement.judged.graph)].filter((g) => g.nodes.some((n) => decisions.has(n)));

  const groups: Array<{ nodes: Node[]; accelerated: boolean; device: Device; graph: Graph }> = [];
  for (const g of graphs) {
    // Lists at the graph's size, cut to the judged count: a million-node graph's lists grown
    // one push at a time are made several times over (each a fresh mapping of memory).
    const all = g.nodes;
    const judged: Node[] = new Array(all.length);
    const devices: Device[] = new Array(all.length);
    const accelerated = new Uint8Array(all.length);
    let count = 0;
    for (let i = 0; i < all.length; i++) {
      const n = all[i]!;
      const d = decisions.get(n);
      if (d === undefined) continue;
      judged[count] = n;
      devices[count] = d.device;
      accelerated[count] = d.accelerated ? 1 : 0;
      count++;
    }
    judged.length = count;
    devices.length = count;
    const dag = buildDag(g, judged);
    const lists = new WalkLists(count);
    for (const side of [1, 0] as const) {
      // The side's groups are taken out of `members` before the next walk reuses the lists.
      const { members, ends } = walk(dag, accelerated, side, lists);
      let from = 0;
      for (const end of ends) {
        const nodes: Node[] = new Array(end - from);
        for (let k = from; k < end; k++) nodes[k - from] = judged[members[k]!]!;
        groups.push({ nodes, accelerated: side === 1, device: deviceOf(members, from, end, devices), graph: g });
        from = end;
      }
    }
  }
  const order = positionsOf(judgement.judged.graph, new Set(groups.map((p) => p.nodes[0]!)));
  groups.sort((a, b) => order.get(a.nodes[0]!)! - order.get(b.nodes[0]!)!);
  const partitions: Partition[] = groups.map((p, index) => ({ index, ...p }));
  // Partitions are numbered in order, so the list holding a node is its partition's index.
  const positions = new NodePositions(partitions.map((p) => p.nodes));
  const partitionOf = { get: (n: Node): number | undefined => positions.listOf(n) };

  const boundaries = findBoundaries(partitions, partitionOf);
  let supported = 0;
  // forEach, not values(): a generator's step per decision costs more than the count.
  decisions.forEach((d) => {
    if (d.accelerated) supported++;
  });
  return {
    judgement, partitions, boundaries, partitionOf,
    nodes: decisions.size, supported, count: partitions.filter((p) => p.accelerated).length,
  };
}

/** The position of each of `wanted` in a walk over every graph of the model, nested ones after their holder's graph. */
function positionsOf(root: Graph, wanted: ReadonlySet<Node>): Map<Node, number> {
  const order = new Map<Node, number>();
  let at = 0;
  for (const g of graphsWithin(root)) {
    const nodes = g.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      if (wanted.has(n)) order.set(n, at);
      at++;
    }
  }
  return order;
}

/** The device most of a group's members (`members[from, end)`, indices into `devices`) are placed on. */
function deviceOf(members: readonly number[], from: number, end: number, devices: readonly Device[]): Device {
  const count = new Map<Device, number>();
  for (let k = from; k < end; k++) {
    const d = devices[members[k]!]!;
    count.set(d, (count.get(d) ?? 0) + 1);
  }
  return [...count].sort((a, b) => b[1] - a[1])[0]![0];
}

/** The node of `graph` that holds `n` (n itself, or the control-flow node whose body contains it). */
function holderIn(graph: Graph, n: Node): Node | undefined {
  let cur: Node | null = n;
  while (cur && cur.graph !== graph) cur = cur.graph.parentNode;
  return cur ?? undefined;
}

/**
 * Producer → reader edges among the judged nodes of one graph (a reader inside a nested graph
 * counts as the node that holds it), in compressed rows: node i's readers are
 * `targets[start[i] .. start[i + 1])`, once per use, in the order of its outputs and their uses.
 * Arrays of small integers, as the walk's lists (see WalkLists for why not Int32Arrays).
 */
interface Dag {
  readonly nodes: readonly Node[];
  readonly start: readonly number[];
  readonly targets: readonly number[];
  readonly inDegree: readonly number[];
}

function buildDag(graph: Graph, nodes: readonly Node[]): Dag {
  const position = new NodePositions([nodes]);
  const start = zeros(nodes.length + 1);
  const inDegree = zeros(nodes.length);
  // Room for every use first (a count, then one array); the edges kept are the first `start[n]`.
  let uses = 0;
  for (let i = 0; i < nodes.length; i++) for (const o of nodes[i]!.outputs) uses += o.uses.length;
  const targets = zeros(uses);
  let edges = 0;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    start[i] = edges;
    for (const o of n.outputs) {
      for (const u of o.uses) {
        const reader = u.node.graph === graph ? u.node : holderIn(graph, u.node);
        if (!reader || reader === n) continue;
        const j = position.of(reader);
        if (j === undefined) continue;
        targets[edges++] = j;
        inDegree[j]!++;
      }
    }
  }
  start[nodes.length] = edges;
  return { nodes, start, targets, inDegree };
}

/**
 * The lists a walk works in, each of the judged node count, made once per graph for both sides'
 * walks. They, and the DAG's, are arrays of small integers rather than Int32Arrays: an
 * ArrayBuffer that outlives a young-generation collection counts as V8's external memory until
 * the next full collection, and 64 MB more of it than at the last one starts one, of the whole
 * heap (0.8 to 1 s on a million-node graph). There these lists are 27 MB as Int32Arrays, and
 * with them the lint's other typed arrays since the read's full collection came within 8 MB of
 * that line. On V8's own heap they count toward its limit instead, which is far off by then.
 */
class WalkLists {
  readonly inDegree: number[];
  readonly queue: number[];
  readonly deferred: number[];
  readonly members: number[];
  readonly border: number[];

  constructor(n: number) {
    this.inDegree = zeros(n);
    this.queue = zeros(n);
    this.deferred = zeros(n);
    this.members = zeros(n);
    this.border = zeros(n);
  }
}

function zeros(n: number): number[] {
  return new Array<number>(n).fill(0);
}

/**
 * CreateSupportedPartitionNodeGroups over the judged nodes of one graph: the groups of the
 * nodes whose `accelerated` flag is `grouped`, as node indices in `members`, group after group,
 * each ending where `ends` says. Linear in nodes and edges: the queue is read from a moving
 * head, and the border is a stamp per node, renewed when a group closes. A node enters a round's
 * queue once (it reaches in-degree 0, or was deferred by the round before) and joins one group,
 * so every list fits in one array of the node count (WalkLists).
 */
function walk(dag: Dag, accelerated: Uint8Array, grouped: 0 | 1, lists: WalkLists): { members: readonly number[]; ends: number[] } {
  const { nodes, start, targets } = dag;
  const n = nodes.length;
  const { inDegree, members, border } = lists;
  for (let i = 0; i < n; i++) inDegree[i] = dag.inDegree[i]!;
  let { queue, deferred } = lists;
  let queued = 0;
  for (let i = 0; i < n; i++) if (inDegree[i] === 0) queue[queued++] = i;
  let head = 0;
  let deferredCount = 0;
  let joined = 0;
  const ends: number[] = [];
  let groupStart = 0;
  // border[i] === stamp: node i reads an output of the open group.
  border.fill(0);
  let stamp = 1;
  const close = (): void => {
    if (joined > groupStart) ends.push(joined);
    groupStart = joined;
    stamp++;
  };
  while (head < queued || deferredCount > 0) {
    if (head === queued) {
      close();
      [queue, deferred] = [deferred, queue];
      queued = deferredCount;
      head = 0;
      deferredCount = 0;
      continue;
    }
    const id = queue[head++]!;
    const member = accelerated[id] === grouped;
    if (!member && border[id] === stamp) {
      deferred[deferredCount++] = id;
      continue;
    }
    if (member) {
      members[joined++] = id;
      border[id] = 0;
    }
    for (let e = start[id]!; e < start[id + 1]!; e++) {
      const w = targets[e]!;
      if (member) border[w] = stamp;
      if (--inDegree[w]! === 0) queue[queued++] = w;
    }
  }
  close();
  // members[0, joined) are this walk's; the rest is an earlier walk's (the lists are reused).
  return { members, ends };
}

function findBoundaries(partitions: readonly Partition[], partitionOf: PartitionPlan['partitionOf']): Boundary[] {
  const out: Boundary[] = [];
  for (const p of partitions) {
    const nodes = p.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      for (const v of n.outputs) {
        // Made for the few values that cross: a million values mostly read in their own partition.
        let readersByPartition: Map<number, Node[]> | undefined;
        for (const u of v.uses) {
          const to = readerPartition(u.node, partitionOf);
          if (to === undefined || to === p.index) continue;
          const q = partitions[to]!;
          if (!p.accelerated && !q.accelerated && p.device === q.device) continue;
          readersByPartition ??= new Map();
          const list = readersByPartition.get(to) ?? [];
          list.push(u.node);
          readersByPartition.set(to, list);
        }
        if (readersByPartition) for (const [to, readers] of readersByPartition) {
          out.push({ value: v, from: p.index, to, bytes: valueBytes(v), producer: n, readers });
        }
      }
    }
  }
  out.sort((a, b) => a.from - b.from || a.to - b.to);
  return out;
}

/** The partition of the node that reads a value: the node's own, or that of the nearest enclosing judged node. */
function readerPartition(n: Node, partitionOf: PartitionPlan['partitionOf']): number | undefined {
  for (let cur: Node | null = n; cur; cur = cur.graph.parentNode) {
    const p = partitionOf.get(cur);
    if (p !== undefined) return p;
  }
  return undefined;
}

/** Bytes of a value from its inferred type, or null when the shape or element size is unknown. */
export function valueBytes(v: Value): number | null {
  const t = v.type;
  if (!t || t.kind !== 'tensor') return null;
  const count = elementCount(t.shape);
  if (count === undefined) return null;
  return byteSize(t.dtype, count) ?? null;
}
