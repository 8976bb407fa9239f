import type { FileResult } from './result.js';
import { summarize } from './result.js';

/**
 * The default report: findings grouped by file, each with its severity, rule id, the node
 * path it is about and the message; then one summary line with the fixable count.
 */
export function formatText(results: readonly FileResult[]): string {
  return `${textReportLines(results).join('\n')}\n`;
}

/**
 * The lines of formatText's report, without their line ends. The CLI writes them a few at a
 * time: a million-node model's report is tens of megabytes, which as one string is made
 * twice over (two bytes a character once a message holds a '→') before it is written.
 */
export function textReportLines(results: readonly FileResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    if (r.fatal) {
      out.push(r.path, `  fatal  ${r.fatal.message}`, '');
      continue;
    }
    if (r.diagnostics.length === 0) continue;
    const nodes = r.stats ? `, ${r.stats.nodes} nodes` : '';
    out.push(`${r.path}  (${r.format}${nodes})`);
    for (const d of r.diagnostics) {
      const first = d.nodes[0] ?? '';
      const more = d.nodes.length > 1 ? ` (+${d.nodes.length - 1} more)` : '';
      out.push(`  ${d.severity.padEnd(7)}  ${d.ruleId.padEnd(18)}  ${first}${more}`);
      out.push(`           ${d.message}`);
    }
    out.push('');
  }
  const s = summarize(results);
  const problems = s.errors + s.warnings + infos(results);
  if (problems === 0 && s.fatal === 0) {
    out.push(`${s.files} model${s.files === 1 ? '' : 's'} checked: no problems.`);
  } else {
    const parts = [`${s.errors} error${s.errors === 1 ? '' : 's'}`, `${s.warnings} warning${s.warnings === 1 ? '' : 's'}`, `${infos(results)} info`];
    const fatal = s.fatal ? `, ${s.fatal} unreadable` : '';
    const fixable = s.fixable ? `; ${s.fixable} fixable` : '';
    out.push(`${problems} problem${problems === 1 ? '' : 's'} (${parts.join(', ')}) in ${s.files} model${s.files === 1 ? '' : 's'}${fatal}${fixable}.`);
  }
  return out;
}

function infos(results: readonly FileResult[]): number {
  let n = 0;
  for (const r of results) for (const d of r.diagnostics) if (d.severity === 'info') n++;
  return n;
}
