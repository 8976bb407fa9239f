import type { Attribute } from './attribute.js';
import type { Graph } from './graph.js';
import type { Model } from './model.js';
import { formatType } from './types.js';

/**
 * A canonical text dump of a model's graphs: one line per node with its inputs, outputs,
 * types and attributes. Used for golden tests of rewrites and to prove rules do not edit
 * the IR. Constants print their dtype and shape, never their bytes.
 */
export function printModel(model: Model): string {
  const out: string[] = [];
  for (const g of [model.graph, ...model.functions]) printGraph(g, '', out);
  return out.join('\n');
}

export function printGraph(g: Graph, indent = '', out: string[] = []): string[] {
  const name = (v: { name: string } | null): string => (v ? v.name || '<omitted>' : '<none>');
  out.push(`${indent}graph ${g.path} (${g.inputs.map((v) => `${v.name}: ${formatType(v.type)}`).join(', ')})`);
  for (const v of g.initializers) {
    const t = v.constant;
    out.push(`${indent}  const ${v.name}: ${t ? `${t.dtype}[${t.dims.join(',')}]` : formatType(v.type)}`);
  }
  for (const n of g.nodes) {
    const attrs = [...n.attrs].map(([k, a]) => `${k}=${printAttr(a)}`).join(', ');
    const outs = n.outputs.map((v) => `${name(v)}: ${formatType(v.type)}`).join(', ');
    const ins = n.inputs.map((v, i) => (n.inputNames ? `${n.inputNames[i]}=` : '') + name(v)).join(', ');
    out.push(`${indent}  ${outs} = ${n.domain ? `${n.domain}.` : ''}${n.op}(${ins})${attrs ? ` {${attrs}}` : ''}  # ${n.label} [${n.kind}]`);
    for (const [slot, sub] of n.subgraphs()) {
      out.push(`${indent}    ${slot}:`);
      printGraph(sub, `${indent}      `, out);
    }
  }
  out.push(`${indent}  return ${g.outputs.map((v) => name(v)).join(', ')}`);
  return out;
}

function printAttr(a: Attribute): string {
  switch (a.type) {
    case 'float': case 'int': return String(a.value);
    case 'string': return JSON.stringify(a.value);
    case 'floats': case 'ints': return `[${a.value.join(',')}]`;
    case 'strings': return `[${a.value.map((s) => JSON.stringify(s)).join(',')}]`;
    case 'tensor': return `tensor ${a.value.dtype}[${a.value.dims.join(',')}]`;
    case 'tensors': return `tensors(${a.value.length})`;
    case 'graph': return `graph ${a.value.name}`;
    case 'graphs': return `graphs(${a.value.length})`;
    case 'type': return `type ${formatType(a.value)}`;
    case 'types': return `types(${a.value.length})`;
    case 'ref': return `@${a.ref}`;
    case 'opaque': return `<${a.what}>`;
  }
}
