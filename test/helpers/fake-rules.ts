import { defineRule, type Rule } from '../../src/engine/rule.js';

/** A rule for engine tests: reports every Relu, with an option to also report Sigmoid. */
export const reluRule = defineRule<{ alsoSigmoid: boolean }>({
  meta: {
    id: 'test-relu', description: 'reports relus', targets: ['ane'], severity: 'warning', fixable: 'safe', facts: ['S2'],
    schema: { type: 'object', additionalProperties: false, properties: { alsoSigmoid: { type: 'boolean', default: false, description: 'also sigmoids' } } },
    defaultOptions: { alsoSigmoid: false },
  },
  check(ctx) {
    const nodes = [...ctx.nodesOfKind('relu'), ...(ctx.options.alsoSigmoid ? ctx.nodesOfKind('sigmoid') : [])];
    return nodes.map((n) => ({ nodes: [n], message: `${n.op} found` }));
  },
}) as Rule<unknown>;

/** Reports every node of the graph as an error, for exit-code and ordering tests. */
export const everyNodeRule = defineRule<Record<string, never>>({
  meta: { id: 'test-every', description: 'reports every node', targets: ['ane', 'coreml-ep'], severity: 'error', facts: ['S1'], defaultOptions: {} },
  check(ctx) {
    return ctx.nodes().map((n) => ({ nodes: [n], message: 'node' }));
  },
}) as Rule<unknown>;
