import type { Graph, Node } from '../ir/graph.js';

/**
 * Why graphlint's fixes cannot rewrite `node`, or undefined when they can. Rules use it so
 * a finding never promises a fix the writer cannot deliver: NeuralNetwork layers keep
 * their parameters as bytes the writer copies, so new or edited layers cannot be written.
 */
export function rewriteBlocker(node: Node): string | undefined {
  let g: Graph = node.graph;
  while (g.parentGraph) g = g.parentGraph;
  if ((g.origin as { network?: unknown } | undefined)?.network !== undefined) {
    return 'NeuralNetwork layers are not rewritten; convert the model to an ML Program to fix it';
  }
  return undefined;
}
