import type { Node, Value } from '../ir/graph.js';
import type { NameSource } from './builder.js';

/** Ops kept even when nothing reads their outputs (they change state). */
const SIDE_EFFECTS = new Set(['write_state', 'coreml_update_state', 'read_state']);

export interface CleanupResult {
  readonly nodes: Node[];
  readonly constants: Value[];
}

/**
 * Removes what the applied patches left dead, starting from the values that lost readers:
 * a node none of whose outputs is read (nor a graph output) goes, then whatever only it
 * read, and so on; initializers nothing reads any more go too. Graph inputs stay, and so
 * does anything dead before the fix (it is not reached from the patches).
 */
export function removeDead(start: Iterable<Value>, names: NameSource): CleanupResult {
  const removed: Node[] = [];
  const constants: Value[] = [];
  const stack = [...start];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v.uses.length > 0 || v.isGraphOutput || v.isGraphInput) continue;
    const p = v.producer;
    if (p) {
      if (SIDE_EFFECTS.has(p.op) || p.subgraphs().length > 0) continue;
      if (!p.graph.contains(p)) continue;
      if (p.outputs.some((o) => o.uses.length > 0 || o.isGraphOutput)) continue;
      p.graph.removeNode(p);
      removed.push(p);
      for (const o of p.outputs) if (o.name) names.retire(o.name);
      for (const i of p.inputs) if (i) stack.push(i);
      continue;
    }
    const g = v.graph;
    if (g.initializers.includes(v) && g.values.get(v.name) === v) {
      g.removeInitializer(v);
      names.retire(v.name);
      constants.push(v);
    }
  }
  return { nodes: removed, constants };
}
