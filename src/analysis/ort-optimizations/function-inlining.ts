import { attrFloat } from '../../ir/attribute.js';
import type { Graph, Node } from '../../ir/graph.js';
import { isDefaultDomain } from './graph-utils.js';
import type { GraphPass } from './pass.js';
import type { OrtView } from './view.js';

/**
 * Function inlining at partitioning (onnxruntime core/framework/graph_partitioner.cc): an ONNX op
 * defined as a function that no provider claims and the CPU provider has no kernel for is
 * replaced by its function body, and the providers are asked again about the body's nodes. The
 * optimized model ONNX Runtime writes (and the checker reads) shows the body. In the corpus this
 * is HardSwish (ssdlite's MobileNetV3 backbone, opset 17): x · HardSigmoid(x, 1/6, 1/2), two
 * nodes, of which the Core ML provider claims the Mul but not the HardSigmoid. Other function
 * ops ONNX Runtime has kernels for stay whole.
 */
export const functionInlining: GraphPass = {
  id: 'function-inlining',
  ortName: 'function inlining (graph partitioner)',
  run(view: OrtView, graph: Graph): boolean {
    let changed = false;
    const nodes = [...graph.nodes];
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      if (n.op === 'HardSwish' && isDefaultDomain(n) && n.inputs[0] && n.outputs.length === 1) {
        inlineHardSwish(view, graph, n);
        view.count(this.id);
        changed = true;
      }
    }
    return changed;
  },
};

function inlineHardSwish(view: OrtView, graph: Graph, n: Node): void {
  const x = n.inputs[0]!;
  const out = n.outputs[0]!;
  const at = graph.nodes.indexOf(n);
  const hs = view.addNode(graph, {
    op: 'HardSigmoid', kind: 'sigmoid_hard', name: graph.freshName(`${n.name || n.label}_HardSigmoid`),
    inputs: [x], outputs: [graph.freshName(`${out.name}_hardsigmoid`)],
    attrs: { alpha: { type: 'float', value: attrFloat(n.attrs, 'alpha') ?? 1 / 6 }, beta: { type: 'float', value: 0.5 } },
  }, [n], at);
  hs.outputs[0]!.type = x.type;
  const mul = view.addNode(graph, {
    op: 'Mul', kind: 'mul', name: graph.freshName(`${n.name || n.label}_Mul`),
    inputs: [x, hs.outputs[0]!], outputs: [graph.freshName(`${out.name}_inlined`)],
  }, [n], at + 1);
  mul.outputs[0]!.type = out.type;
  view.replaceUses(out, mul.outputs[0]!);
  view.removeNode(n, 'function-inlining', 'ONNX Runtime has no kernel for HardSwish and inlines its function body (HardSigmoid, Mul)');
  view.renameValue(mul.outputs[0]!, out.name);
}
