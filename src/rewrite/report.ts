import type { AppliedFix, FailedFix, FixOutcome } from '../engine/fix-loop.js';
import type { VerifyResult } from './numeric.js';

/** Partition counts for one target: the figures of the JSON `partitions` block that a fix changes. */
export interface PartitionCount {
  readonly nodes: number;
  readonly supported: number;
  readonly count: number;
}

/**
 * The `fixes` block of a file's JSON result (CONTRACT.md: `applied` and `verify`; the rest
 * are additions): what was rewritten, what was not and why, node and partition counts
 * before and after, where the model was written.
 */
export interface FixesBlock {
  readonly applied: readonly AppliedFix[];
  readonly failed: readonly FailedFix[];
  readonly dryRun: boolean;
  readonly unsafe: boolean;
  readonly passes: number;
  readonly stop: FixOutcome['stop'];
  readonly note?: string;
  readonly nodes: { readonly before: number; readonly after: number };
  readonly partitions: { readonly target: string; readonly before: PartitionCount | null; readonly after: PartitionCount | null };
  /** Where the fixed model went; null when nothing was written (dry run, no change, failure). */
  readonly written: string | null;
  readonly verify: (Omit<VerifyResult, 'outputs'> & { readonly outputs: VerifyResult['outputs'] }) | null;
}

/** Text lines for one file's fixes, for the text report. */
export function formatFixesText(path: string, f: FixesBlock): string[] {
  const out: string[] = [];
  const verb = f.dryRun ? 'would fix' : 'fixed';
  const parts = [`${f.nodes.before} → ${f.nodes.after} nodes`];
  const p = f.partitions;
  if (p.before && p.after) parts.push(`${p.target} partitions ${p.before.count} → ${p.after.count}, ${p.before.supported}/${p.before.nodes} → ${p.after.supported}/${p.after.nodes} nodes on the accelerator`);
  const where = f.written ? `; written to ${f.written}` : f.dryRun ? '; nothing written (--fix-dry-run)' : f.applied.length > 0 ? '; not written' : '';
  if (f.note) out.push(`${path}: not rewritten: ${f.note}`);
  else out.push(`${path}: ${verb} ${f.applied.length} finding${f.applied.length === 1 ? '' : 's'} in ${f.passes} pass${f.passes === 1 ? '' : 'es'} (${parts.join('; ')})${where}`);
  for (const a of f.applied) {
    const more = a.nodes.length > 1 ? ` (+${a.nodes.length - 1} more)` : '';
    out.push(`  ${(f.dryRun ? 'would' : 'fixed').padEnd(9)}  ${a.ruleId.padEnd(18)}  ${a.nodes[0] ?? ''}${more}`);
    out.push(`             ${a.summary}`);
  }
  for (const x of f.failed) {
    out.push(`  ${'not fixed'.padEnd(9)}  ${x.ruleId.padEnd(18)}  ${x.nodes[0] ?? ''}`);
    out.push(`             ${x.stage === 'rolled-back' ? 'rolled back: ' : ''}${x.reason}`);
  }
  const v = f.verify;
  if (v) {
    out.push(`  verify: ${v.inputs} random input set${v.inputs === 1 ? '' : 's'}, largest absolute difference ${v.maxAbsDiff.toExponential(2)}, relative ${v.maxRelDiff.toExponential(2)} (tolerance ${v.tolerance}): ${v.ok ? 'ok' : 'FAILED'}`);
  }
  return out;
}
