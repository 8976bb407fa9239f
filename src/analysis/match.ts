import type { Node, Value } from '../ir/graph.js';
import { constantScalar } from './constants.js';
import { arg } from './op-params.js';

/**
 * Declarative patterns over producer chains, matched by `kind` so one pattern serves ONNX,
 * NeuralNetwork and ML Program graphs. A pattern describes a node and, positionally, the
 * producers of its inputs:
 *
 *   op('real_div', [op('sub', [any('x'), op('reduce_mean', [same('x')])], 'centered'), ...])
 *
 * Matching walks from a root node toward the graph inputs and returns the bound nodes and
 * values, or the first reason it failed (shown with --debug).
 */
export type Pattern = NodePattern | ValuePattern;

export interface NodePattern {
  readonly type: 'node';
  /** Accepted kinds (or ops, with `byOp`). */
  readonly kinds: readonly string[];
  readonly byOp?: boolean;
  /** Patterns for the inputs, by position; shorter than the inputs means "rest ignored". */
  readonly inputs: readonly Pattern[];
  /** For two-input ops like add/mul: also try the inputs swapped. */
  readonly commutative?: boolean;
  readonly capture?: string;
  /** Extra condition on the node (attributes, shapes). Returns a failure reason or undefined. */
  readonly where?: (n: Node) => string | undefined;
}

export type ValuePattern =
  | { readonly type: 'any'; readonly capture?: string }
  | { readonly type: 'same'; readonly ref: string }
  | { readonly type: 'scalar'; readonly test: (x: number) => boolean; readonly what: string; readonly capture?: string };

export function op(kinds: string | readonly string[], inputs: readonly Pattern[] = [], options: Partial<Omit<NodePattern, 'type' | 'kinds' | 'inputs'>> = {}): NodePattern {
  return { type: 'node', kinds: typeof kinds === 'string' ? [kinds] : kinds, inputs, ...options };
}

/** Any value; bound to `capture` when given. */
export function any(capture?: string): ValuePattern {
  return capture === undefined ? { type: 'any' } : { type: 'any', capture };
}

/** The value bound earlier under `ref`. */
export function same(ref: string): ValuePattern {
  return { type: 'same', ref };
}

/** A constant holding one number that passes `test` (e.g. `near(0.5)`). */
export function scalar(test: (x: number) => boolean, what: string, capture?: string): ValuePattern {
  return capture === undefined ? { type: 'scalar', test, what } : { type: 'scalar', test, what, capture };
}

export function near(target: number, tolerance = 1e-3): (x: number) => boolean {
  return (x) => Math.abs(x - target) <= tolerance * Math.max(1, Math.abs(target));
}

export interface Match {
  /** Every node the pattern matched, root first. */
  readonly nodes: Node[];
  readonly nodeOf: ReadonlyMap<string, Node>;
  readonly valueOf: ReadonlyMap<string, Value>;
  readonly numberOf: ReadonlyMap<string, number>;
}

export type MatchResult = { readonly ok: true; readonly match: Match } | { readonly ok: false; readonly reason: string };

interface State {
  nodes: Node[];
  nodeOf: Map<string, Node>;
  valueOf: Map<string, Value>;
  numberOf: Map<string, number>;
}

/** Matches `pattern` rooted at `root` (a node pattern). */
export function match(root: Node, pattern: NodePattern): MatchResult {
  const state: State = { nodes: [], nodeOf: new Map(), valueOf: new Map(), numberOf: new Map() };
  const reason = matchNode(root, pattern, state);
  if (reason !== undefined) return { ok: false, reason };
  return { ok: true, match: state };
}

function clone(s: State): State {
  return { nodes: [...s.nodes], nodeOf: new Map(s.nodeOf), valueOf: new Map(s.valueOf), numberOf: new Map(s.numberOf) };
}

function restore(into: State, from: State): void {
  into.nodes = from.nodes;
  into.nodeOf = from.nodeOf;
  into.valueOf = from.valueOf;
  into.numberOf = from.numberOf;
}

function matchNode(n: Node, p: NodePattern, s: State): string | undefined {
  const name = p.byOp ? n.op : n.kind;
  if (!p.kinds.includes(name)) return `${n.label} is ${name}, expected ${p.kinds.join(' or ')}`;
  if (p.capture) {
    const bound = s.nodeOf.get(p.capture);
    if (bound && bound !== n) return `${n.label} is not the ${p.capture} matched before`;
    s.nodeOf.set(p.capture, n);
  }
  const extra = p.where?.(n);
  if (extra !== undefined) return `${n.label}: ${extra}`;
  if (!s.nodes.includes(n)) s.nodes.push(n);
  const orders = p.commutative && p.inputs.length === 2 && arg(n, 1) !== undefined ? [[0, 1], [1, 0]] : [p.inputs.map((_, i) => i)];
  let firstFailure: string | undefined;
  for (const order of orders) {
    const trial = clone(s);
    let failure: string | undefined;
    for (let i = 0; i < p.inputs.length && failure === undefined; i++) {
      // By position for ONNX and NeuralNetwork; by argument name for MIL, whose files store
      // arguments in any order.
      const v = arg(n, order[i]!);
      failure = v ? matchValue(v, p.inputs[i]!, trial) : `${n.label} has no input ${order[i]}`;
    }
    if (failure === undefined) {
      restore(s, trial);
      return undefined;
    }
    firstFailure ??= failure;
  }
  return firstFailure;
}

function matchValue(v: Value, p: Pattern, s: State): string | undefined {
  switch (p.type) {
    case 'any':
      if (p.capture) {
        const bound = s.valueOf.get(p.capture);
        if (bound && bound !== v) return `${v.name} is not ${p.capture} (${bound.name})`;
        s.valueOf.set(p.capture, v);
      }
      return undefined;
    case 'same': {
      const bound = s.valueOf.get(p.ref);
      return bound === v ? undefined : `${v.name} is not the same value as ${p.ref}${bound ? ` (${bound.name})` : ''}`;
    }
    case 'scalar': {
      const x = constantScalar(v);
      if (x === undefined) return `${v.name} is not a constant scalar`;
      if (!p.test(x)) return `${v.name} is ${x}, expected ${p.what}`;
      if (p.capture) s.numberOf.set(p.capture, x);
      return undefined;
    }
    case 'node': {
      const producer = v.producer;
      if (!producer) return `${v.name} has no producer (expected ${p.kinds.join(' or ')})`;
      return matchNode(producer, p, s);
    }
  }
}

/** True when every output of every matched node except `root` is read only inside the match. */
export function isSelfContained(m: Match, root: Node): boolean {
  const inside = new Set(m.nodes);
  for (const n of m.nodes) {
    if (n === root) continue;
    for (const out of n.outputs) {
      if (out.isGraphOutput) return false;
      for (const u of out.uses) if (!inside.has(u.node)) return false;
    }
  }
  return true;
}
