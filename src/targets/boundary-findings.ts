import type { Finding } from '../engine/rule.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/graph.js';
import type { PartitionPlan } from './partition.js';

/**
 * The findings the partition-boundary rule reports: one per boundary of the plan (a value
 * produced in one partition and read in another), naming the producer and the readers (as the
 * user's nodes: fused nodes map back to the originals), the devices on both sides and the bytes
 * that cross (S1: each boundary is a copy and a context switch; A5 for ane, E1 for coreml-ep).
 */
export function partitionBoundaryFindings(model: Model, plan: PartitionPlan): Finding[] {
  void model;
  const j = plan.judgement;
  // A node a pass made up (a Transpose the optimizer moved) stands for nothing in the user's
  // model: name the nearest node upstream that does.
  const original = (n: Node): Node[] => {
    const seen = new Set<Node>();
    const queue: Node[] = [n];
    while (queue.length > 0) {
      const cur = queue.shift()!;
      if (seen.has(cur)) continue;
      seen.add(cur);
      const o = j.originsOf(cur);
      if (o.length > 0) return [...o];
      for (const v of cur.inputs) if (v?.producer) queue.push(v.producer);
    }
    return [];
  };
  const out: Finding[] = [];
  for (const b of plan.boundaries) {
    const from = plan.partitions[b.from]!;
    const to = plan.partitions[b.to]!;
    const nodes = [...new Set([...original(b.producer), ...b.readers.flatMap(original)])];
    if (nodes.length === 0) continue;
    const size = b.bytes === null ? 'an unknown number of bytes (its shape is not fully known)' : `${b.bytes} bytes`;
    const what = j.target === 'ane'
      ? `Core ML switches from ${from.device} to ${to.device} here`
      : `ONNX Runtime copies between ${from.device === 'claimed' ? 'a Core ML partition' : 'the CPU provider'} and ${to.device === 'claimed' ? 'a Core ML partition' : 'the CPU provider'} here`;
    out.push({
      nodes,
      fact: j.target === 'ane' ? 'A5' : 'E1',
      message:
        `${b.value.name} crosses from partition #${b.from} (${from.device}) to #${b.to} (${to.device}): ${what}, moving ${size}. ` +
        'Each boundary costs a copy and a context switch (S1). Make the ops on the other side run on the accelerator, or move them to the start or end of the model so there is one switch.',
      data: { value: b.value.name, from: b.from, to: b.to, bytes: b.bytes, fromDevice: from.device, toDevice: to.device },
    });
  }
  return out;
}
