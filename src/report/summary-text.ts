import type { FileResult } from './result.js';

/** The human summary of a model (what graphlint prints before any rule has something to say). */
export function formatSummaryText(results: readonly FileResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    if (r.fatal) {
      out.push(`${r.path}`, `  error: ${r.fatal.message}`, '');
      continue;
    }
    const s = r.stats!;
    const facts = Object.entries(s.info).map(([k, v]) => `${k} ${v}`);
    const opsets = Object.entries(s.opsets).map(([d, v]) => `${d === '' ? 'ai.onnx' : d} ${v}`);
    out.push(`${r.path}`);
    out.push(`  format: ${r.format}${facts.length ? ` (${facts.join(', ')})` : ''}`);
    if (opsets.length) out.push(`  opsets: ${opsets.join(', ')}`);
    const width = Math.max(0, ...[...s.inputs, ...s.outputs].map((v) => v.name.length));
    out.push(`  inputs:`);
    for (const v of s.inputs) out.push(`    ${v.name.padEnd(width)}  ${v.type}`);
    out.push(`  outputs:`);
    for (const v of s.outputs) out.push(`    ${v.name.padEnd(width)}  ${v.type}`);
    const nested = s.nestedGraphs ? ` (including ${s.nestedGraphs} nested graph${s.nestedGraphs === 1 ? '' : 's'})` : '';
    out.push(`  nodes: ${s.nodes}${nested}`);
    const fns = Object.entries(s.functions);
    if (fns.length) out.push(`  functions: ${fns.map(([n, c]) => `${n} (${c} nodes)`).join(', ')}`);
    const ops = Object.entries(s.ops);
    if (ops.length) {
      out.push('  ops:');
      const opWidth = ops.reduce((w, [n]) => Math.max(w, n.length), 0); // a file may hold more op types than a call takes arguments
      for (const [op, n] of ops) out.push(`    ${op.padEnd(opWidth)}  ${String(n).padStart(6)}`);
    }
    out.push('');
  }
  return out.join('\n');
}
