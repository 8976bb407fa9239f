import { describe, expect, it } from 'vitest';
import { Graph } from '../../../src/ir/graph.js';
import { Build, graph, int, typeOf } from './build.js';

function body(b: Build, name: string): Graph {
  return new Graph(name, b.model.ids, 'main', b.g, name);
}

describe('control flow shapes', () => {
  it('unites If branches and sees outer-scope values inside them', () => {
    const b = new Build(16);
    const x = b.input('x', 'float32', ['n', 4]);
    const cond = b.input('c', 'bool', []);
    const then = body(b, 'then_branch');
    const t = b.op('Relu', [x], {}, then);
    then.outputs.push(t);
    const els = body(b, 'else_branch');
    const e = b.op('Concat', [x, x], { axis: int(0) }, els);
    els.outputs.push(e);
    const iff = b.op('If', [cond], { then_branch: graph(then), else_branch: graph(els) });
    b.infer();
    expect(typeOf(t)).toBe('float32[n,4]');
    expect(typeOf(e)).toBe('float32[?,4]');
    expect(typeOf(iff)).toBe('float32[?,4]');
  });

  it('takes the branch a constant condition picks', () => {
    const b = new Build(16);
    const x = b.input('x', 'float32', [2, 3]);
    const then = body(b, 'then_branch');
    then.outputs.push(b.op('Identity', [x], {}, then));
    const els = body(b, 'else_branch');
    els.outputs.push(b.op('Flatten', [x], { axis: int(0) }, els));
    const cond = b.op('Equal', [b.init('a', [16000], []), b.init('sr', [16000], [])]);
    const iff = b.op('If', [cond], { then_branch: graph(then), else_branch: graph(els) });
    b.infer();
    expect(typeOf(iff)).toBe('float32[2,3]');
  });

  it('types Loop bodies and outputs: states by what initial and final agree on, scans with a leading ?', () => {
    const b = new Build(16);
    const loopBody = body(b, 'body');
    const i = loopBody.newValue('i', null);
    const c = loopBody.newValue('cond_in', null);
    const s = loopBody.newValue('s_in', null);
    loopBody.inputs.push(i, c, s);
    // Reshape to [1] whatever the state's shape: valid for every iteration
    const next = b.op('Reshape', [s, b.init('one', [1])], {}, loopBody);
    const scanned = b.op('Unsqueeze', [b.op('Cast', [i], { to: int(1) }, loopBody), b.init('ax', [0])], {}, loopBody);
    loopBody.outputs.push(b.op('Identity', [c], {}, loopBody), next, scanned);
    const loop = b.node('Loop', [b.input('M', 'int64', []), b.input('cond', 'bool', []), b.input('s0', 'float32', [1])], ['s', 'scan'], { body: graph(loopBody) });
    b.infer();
    expect(typeOf(i)).toBe('int64[]');
    expect(typeOf(s)).toBe('float32?'); // a state's shape may change per iteration
    expect(typeOf(next)).toBe('float32[1]');
    expect(loop.outputs.map(typeOf)).toEqual(['float32[1]', 'float32[?,1]']);
  });

  it('types Scan (opset 9+) bodies per slice and stacks scan outputs', () => {
    const b = new Build(16);
    const sb = body(b, 'body');
    const st = sb.newValue('st', null);
    const el = sb.newValue('el', null);
    sb.inputs.push(st, el);
    const sum = b.op('Add', [st, el], {}, sb);
    sb.outputs.push(sum, b.op('Identity', [sum], {}, sb));
    const scan = b.node('Scan', [b.input('init', 'float32', [2]), b.input('xs', 'float32', [5, 2])], ['final', 'all'], { body: graph(sb), num_scan_inputs: int(1) });
    b.infer();
    expect(typeOf(el)).toBe('float32[2]');
    expect(scan.outputs.map(typeOf)).toEqual(['float32[2]', 'float32[5,2]']);
  });

  it('still infers the bodies of an op without a rule', () => {
    const b = new Build(16);
    const sub = body(b, 'body');
    const r = b.op('Relu', [b.input('x', 'float32', [3])], {}, sub);
    sub.outputs.push(r);
    const custom = b.g.addNode({ op: 'MyLoop', domain: 'com.example', kind: 'unknown', inputs: [], outputs: ['y'], attrs: { body: graph(sub) } });
    const report = b.infer();
    expect(typeOf(r)).toBe('float32[3]');
    expect(report.uncovered).toEqual([custom]);
  });
});
