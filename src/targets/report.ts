import type { PartitionsBlock } from '../report/result.js';
import type { PartitionPlan } from './partition.js';

export type { PartitionsBlock } from '../report/result.js';

/** Path of a judged node in the user's model: its own, or the first original it stands for. */
function pathOf(plan: PartitionPlan, n: Parameters<PartitionPlan['judgement']['originsOf']>[0]): string {
  const o = plan.judgement.originsOf(n);
  return (o[0] ?? n).path;
}

export function partitionsBlock(plan: PartitionPlan): PartitionsBlock {
  return {
    target: plan.judgement.target,
    nodes: plan.nodes,
    supported: plan.supported,
    count: plan.count,
    list: plan.partitions.map((p) => ({
      index: p.index,
      device: p.device,
      nodes: p.nodes.length,
      first: pathOf(plan, p.nodes[0]!),
      last: pathOf(plan, p.nodes[p.nodes.length - 1]!),
    })),
    boundaries: plan.boundaries.map((b) => ({ value: `${b.value.graph.path}/${b.value.name}`, from: b.from, to: b.to, bytes: b.bytes })),
    notes: plan.judgement.notes,
    guesses: plan.judgement.guesses,
  };
}

/** A human-readable partition report (`graphlint partitions <model>`). */
export function formatPartitionsText(path: string, plan: PartitionPlan): string {
  const b = partitionsBlock(plan);
  const accel = b.target === 'ane' ? 'Neural Engine' : "ONNX Runtime's Core ML provider";
  const out: string[] = [
    `${path}  (target ${b.target})`,
    `  ${b.supported} of ${b.nodes} nodes on the ${accel}, in ${b.count} partition${b.count === 1 ? '' : 's'}; ${b.boundaries.length} boundar${b.boundaries.length === 1 ? 'y' : 'ies'}.`,
  ];
  for (const note of b.notes) out.push(`  note: ${note}`);
  out.push('', '  partitions:');
  for (const p of b.list) out.push(`    #${p.index}  ${p.device.padEnd(9)} ${String(p.nodes).padStart(5)} nodes  ${p.first}${p.nodes > 1 ? ` … ${p.last}` : ''}`);
  if (b.boundaries.length > 0) {
    out.push('', '  boundaries:');
    for (const x of b.boundaries) {
      out.push(`    #${x.from} → #${x.to}  ${x.bytes === null ? 'unknown size' : `${x.bytes} bytes`}  ${x.value}`);
    }
  }
  return `${out.join('\n')}\n`;
}
