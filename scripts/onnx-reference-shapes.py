#!/usr/bin/python3
"""ONNX's own shape inference, as the reference for graphlint's (src/analysis/shapes).

For each model: drop every value_info (so nothing is declared but the graph inputs and
outputs), run onnx.shape_inference.infer_shapes with its default options, and print JSON
with the inferred type of every node output, per graph. Graph paths are spelled as
graphlint's IR spells them: `main`, `main/If_3.then_branch`, ... (node label = its name,
or `<op>_<index>`, made unique with `#2`, `#3`).

Types: {"dtype": "float32" | null, "shape": [dim, ...] | null} where a dim is a number,
a string (symbol; ONNX names unknown dims `unk__N`) or null (neither).

Usage: /usr/bin/python3 scripts/onnx-reference-shapes.py MODEL.onnx [--out DIR]
       (writes DIR/<model>.json, or prints to stdout without --out)
Options: --strip-outputs  also drop the declared types of the graph outputs (all graphs).
"""
import json
import os
import sys

import onnx
from onnx import shape_inference

# TensorProto.DataType code -> graphlint DType name (src/formats/onnx/dtypes.ts).
DTYPES = [None, 'float32', 'uint8', 'int8', 'uint16', 'int16', 'int32', 'int64', 'string', 'bool',
          'float16', 'float64', 'uint32', 'uint64', 'complex64', 'complex128', 'bfloat16',
          'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'uint4', 'int4']


def dim_of(d):
    if d.HasField('dim_value'):
        return d.dim_value
    if d.HasField('dim_param'):
        return d.dim_param
    return None


def type_of(t):
    which = t.WhichOneof('value')
    if which == 'tensor_type' or which == 'sparse_tensor_type':
        tt = getattr(t, which)
        dtype = DTYPES[tt.elem_type] if tt.elem_type < len(DTYPES) else None
        shape = [dim_of(d) for d in tt.shape.dim] if tt.HasField('shape') else None
        out = {'dtype': dtype, 'shape': shape}
        if which == 'sparse_tensor_type':
            out['kind'] = 'sparse'
        return out
    if which == 'sequence_type':
        return {'kind': 'sequence', 'elem': type_of(t.sequence_type.elem_type)}
    if which == 'optional_type':
        return {'kind': 'optional', 'elem': type_of(t.optional_type.elem_type)}
    if which == 'map_type':
        return {'kind': 'map', 'key': DTYPES[t.map_type.key_type], 'value': type_of(t.map_type.value_type)}
    return None


def subgraphs(node):
    for a in node.attribute:
        if a.type == onnx.AttributeProto.GRAPH:
            yield a.name, a.g
        elif a.type == onnx.AttributeProto.GRAPHS:
            for i, g in enumerate(a.graphs):
                yield f'{a.name}[{i}]', g


def walk(graph, path, visit):
    visit(graph, path)
    labels = set()
    for index, node in enumerate(graph.node):
        base = node.name or f'{node.op_type}_{index}'
        label, k = base, 2
        while label in labels:
            label, k = f'{base}#{k}', k + 1
        labels.add(label)
        for slot, sub in subgraphs(node):
            walk(sub, f'{path}/{label}.{slot}', visit)


def reference(path, strip_outputs=False):
    model = onnx.load(path, load_external_data=False)

    def strip(graph, _path):
        del graph.value_info[:]
        if strip_outputs:
            for o in graph.output:
                o.ClearField('type')

    walk(model.graph, 'main', strip)
    inferred = shape_inference.infer_shapes(model)
    graphs = {}

    def collect(graph, gpath):
        known = {}
        for vi in list(graph.output) + list(graph.value_info):
            if vi.HasField('type') and vi.name not in known:
                known[vi.name] = type_of(vi.type)
        values = {}
        for node in graph.node:
            for out in node.output:
                if out and out in known and known[out] is not None:
                    values[out] = known[out]
        graphs[gpath] = values

    walk(inferred.graph, 'main', collect)
    opset = next((o.version for o in model.opset_import if o.domain in ('', 'ai.onnx')), None)
    return {
        'model': os.path.basename(path),
        'onnx': onnx.__version__,
        'opset': opset,
        'command': 'onnx.shape_inference.infer_shapes(model) after deleting every value_info'
                   + (' and the graph output types' if strip_outputs else ''),
        'graphs': graphs,
    }


def dumps(ref):
    """JSON with one value per line: small diffs when the reference is regenerated."""
    head = {k: v for k, v in ref.items() if k != 'graphs'}
    lines = ['{']
    for k in sorted(head):
        lines.append(f' {json.dumps(k)}: {json.dumps(head[k])},')
    lines.append(' "graphs": {')
    paths = sorted(ref['graphs'])
    for gi, path in enumerate(paths):
        values = ref['graphs'][path]
        lines.append(f'  {json.dumps(path)}: {{')
        names = sorted(values)
        for vi, name in enumerate(names):
            comma = ',' if vi < len(names) - 1 else ''
            lines.append(f'   {json.dumps(name)}: {json.dumps(values[name], sort_keys=True)}{comma}')
        lines.append('  }' + (',' if gi < len(paths) - 1 else ''))
    lines.append(' }')
    lines.append('}')
    return '\n'.join(lines) + '\n'


def main(argv):
    out_dir = None
    strip_outputs = False
    files = []
    it = iter(argv)
    for a in it:
        if a == '--out':
            out_dir = next(it)
        elif a == '--strip-outputs':
            strip_outputs = True
        else:
            files.append(a)
    for f in files:
        ref = reference(f, strip_outputs)
        text = dumps(ref)
        if out_dir:
            name = os.path.splitext(os.path.basename(f))[0] + '.json'
            with open(os.path.join(out_dir, name), 'w') as fh:
                fh.write(text)
        else:
            sys.stdout.write(text)


if __name__ == '__main__':
    main(sys.argv[1:])
