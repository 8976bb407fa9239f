import { Graph, IdSource, type Node } from './graph.js';

/** How a model was packaged; decides which reader and writer handle it. */
export type ModelFormat = 'onnx' | 'mlmodel' | 'mlpackage' | 'mlmodelc' | 'mil';

/**
 * A whole model: the main graph, functions (ONNX model-local functions, MIL functions
 * other than main), opset imports, metadata, and the reader's handle for the writer.
 */
export class Model {
  readonly ids = new IdSource();
  readonly graph: Graph;
  /** Other graphs the model defines: ONNX functions, MIL functions besides `main`. */
  readonly functions: Graph[] = [];
  /** Sub-models of a Core ML pipeline, in order. */
  readonly submodels: Model[] = [];
  /** Opset imports: ONNX domain → version ('' is the default domain); Core ML: 'coreml' → spec version. */
  readonly opsets = new Map<string, number>();
  readonly metadata = new Map<string, string>();
  /** Facts for the summary that only one format has (IR version, spec version, model type, ...). */
  readonly info = new Map<string, string | number | boolean>();
  /** The reader's handle on the original file, for lossless writing. */
  origin: unknown;

  constructor(
    readonly format: ModelFormat,
    /** The file or package this model was read from ('' for models built in memory). */
    readonly path: string,
    graphName = 'main',
  ) {
    this.graph = new Graph(graphName, this.ids);
  }

  /** A new top-level graph sharing this model's node ids (functions, sub-models). */
  newGraph(name: string, rootPath: string): Graph {
    return new Graph(name, this.ids, rootPath);
  }

  /** Every graph: main, its nested graphs, then functions and theirs (depth first). */
  *allGraphs(): Generator<Graph> {
    for (const root of [this.graph, ...this.functions]) yield* graphsWithin(root);
  }

  /** Every node of the main graph and the graphs nested in it. */
  *nodes(): Generator<Node> {
    for (const g of graphsWithin(this.graph)) yield* g.nodes;
  }
}

export function* graphsWithin(root: Graph): Generator<Graph> {
  const stack: Graph[] = [root];
  while (stack.length > 0) {
    const g = stack.pop()!;
    yield g;
    const nested: Graph[] = [];
    // Index loops: this runs for every node of every walk, and nearly every node holds no graph.
    const nodes = g.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const subs = nodes[i]!.subgraphs();
      for (let j = 0; j < subs.length; j++) nested.push(subs[j]![1]);
    }
    for (let i = nested.length - 1; i >= 0; i--) stack.push(nested[i]!);
  }
}
