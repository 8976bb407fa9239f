import type { Node } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import type { TargetId } from '../engine/rule.js';

/**
 * Where a node runs. `ane` / `gpu` / `cpu` for Core ML placing ops (target ane); `claimed` /
 * `unclaimed` for ONNX Runtime's Core ML provider taking a node or leaving it to the CPU
 * provider (target coreml-ep).
 */
export type Device = 'ane' | 'gpu' | 'cpu' | 'claimed' | 'unclaimed';

/** A target's answer for one node: where it runs, why, and the fact (docs/facts.md) that says so. */
export interface Decision {
  readonly device: Device;
  /** True for the accelerator side (`ane`, `claimed`). */
  readonly accelerated: boolean;
  /** Plain words: what about this node decided it. */
  readonly reason: string;
  /** Fact id (src/targets/facts.ts). */
  readonly fact: string;
  /** True when the fact is a guess by its source: the decision is less certain. */
  readonly guess: boolean;
  /** A short key for the reason (`op-table`, `dynamic-shape`, `constant-input`, ...), for grouping and tests. */
  readonly code: string;
}

/**
 * What a target decided about a model: the graph it judged (for coreml-ep the graph after ONNX
 * Runtime's basic optimizations, a copy; for ane the model itself), one decision per judged node,
 * and notes the report shows (what was judged, what lowers confidence).
 */
export interface Judgement {
  readonly target: TargetId;
  /** The model whose nodes were judged (a copy for coreml-ep). */
  readonly judged: Model;
  readonly decisions: ReadonlyMap<Node, Decision>;
  /** Original nodes a judged node stands for (itself for ane; fused/inlined originals for coreml-ep). */
  originsOf(n: Node): readonly Node[];
  /** Sentences for the report: what graph was judged, what was assumed. */
  readonly notes: readonly string[];
  /** Facts marked as guesses that some decision rests on. */
  readonly guesses: readonly string[];
}

export function decision(device: Device, reason: string, fact: string, code: string, guess = false): Decision {
  return { device, accelerated: device === 'ane' || device === 'claimed', reason, fact, guess, code };
}
