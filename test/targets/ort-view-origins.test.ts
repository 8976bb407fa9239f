import { describe, expect, it } from 'vitest';
import { OrtView } from '../../src/analysis/ort-optimizations/index.js';
import { inferShapes } from '../../src/analysis/shapes/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import type { Node } from '../../src/ir/graph.js';
import type { Model } from '../../src/ir/model.js';
import { ifModel } from '../helpers/if-model.js';

/**
 * The nodes a view's node stands for, through removals, merges and new nodes, must not depend
 * on whether the view copied the model or adopted it (where the user's nodes stand for
 * themselves without an entry of their own).
 */
function built(): Model {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', 'float32', [1, 4]);
  const relu = b.op('Relu', [x], {}, { name: 'relu' });
  const gate = b.op('Sigmoid', [relu], {}, { name: 'gate' });
  b.op('Neg', [x], {}, { name: 'unused' });
  b.op('Abs', [x], {}, { name: 'unused2' });
  b.output(b.op('Mul', [relu, gate], {}, { name: 'mul' }), 'float32', [1, 4]);
  const m = b.model;
  inferShapes(m, {});
  return m;
}

/** What each step leaves the nodes standing for, by label. */
function story(adopt: boolean): string[] {
  const view = new OrtView(built(), { adopt });
  const g = view.model.graph;
  const at = (label: string): Node => g.nodes.find((n) => n.label === label)!;
  const labels = (ns: readonly Node[]): string => ns.map((n) => n.label).join(',');
  const out: string[] = [];
  const unused = at('unused');
  const unused2 = at('unused2');
  out.push(`before: relu=${labels(view.originsOf(at('relu')))} unused=${labels(view.originsOf(unused))}`);
  view.removeNode(unused, 'test', 'nothing reads it');
  out.push(`removed: unused=${labels(view.originsOf(unused))} recorded=${labels([...view.removed.keys()])}`);
  // A removed node merged into another brings nothing; one named as the origin of a new node is itself.
  view.mergeOrigins(at('gate'), unused);
  out.push(`merged: gate=${labels(view.originsOf(at('gate')))}`);
  const made = view.addNode(g, { op: 'Identity', kind: 'identity', inputs: [g.inputs[0]!], outputs: ['made_out'], name: 'made' }, [unused, at('relu')]);
  out.push(`made: ${labels(view.originsOf(made))}`);
  view.mergeOrigins(at('mul'), at('relu'));
  out.push(`mul: ${labels(view.originsOf(at('mul')))}`);
  view.removeNode(unused2, 'test', 'nothing reads it either', made);
  out.push(`removed2: unused2=${labels(view.originsOf(unused2))} made=${labels(view.originsOf(made))}`);
  return out;
}

describe('the nodes an ONNX Runtime view node stands for', () => {
  it('are the same whether the view copied the model or adopted it', () => {
    const adopted = story(true);
    expect(adopted).toEqual(story(false));
    expect(adopted).toEqual([
      'before: relu=relu unused=unused',
      'removed: unused= recorded=unused',
      'merged: gate=gate',
      'made: unused,relu',
      'mul: mul,relu',
      'removed2: unused2= made=unused,relu',
    ]);
  });

  it('keep an original that lives on outside a dropped branch, copied or adopted', () => {
    // A node made in a branch stands for a node of the main graph; dropping the branch must not
    // record that main-graph node as removed. Adopted, the main-graph node has no entry of its
    // own: it stands for itself.
    const dropStory = (adopt: boolean): string[] => {
      const model = ifModel();
      inferShapes(model, {});
      const view = new OrtView(model, { adopt });
      const main = view.model.graph;
      const ifNode = main.nodes.find((n) => n.label === 'if')!;
      const branch = ifNode.subgraphs().find(([slot]) => slot === 'then_branch')![1];
      const mainPre = main.nodes.find((n) => n.label === 'pre')!;
      view.addNode(branch, { op: 'Identity', kind: 'identity', inputs: [mainPre.outputs[0]!], outputs: ['made_out'], name: 'made' }, [mainPre]);
      view.dropGraph(branch, 'test', 'branch not taken');
      return [...view.removed.keys()].map((n) => n.label).sort();
    };
    expect(dropStory(true)).toEqual(dropStory(false));
    expect(dropStory(true)).toEqual(['neg']);
  });
});
