/**
 * What a benchmark run measured, and how it is told: the figures per command, the table of
 * ratios against the reference commands, the before/after comparison and the Done-means checks
 * of the speed issue. bench/run.ts measures; this file only formats.
 */
import type { Stats } from './measure.js';

/** `lint-np` is lint without partition planning; `…@before` are the same commands with --before's build. */
export const COMMANDS = ['lint', 'lint-np', 'convert', 'lint@before', 'lint-np@before', 'convert@before', 'python', 'cp'] as const;
export type Command = (typeof COMMANDS)[number];

export type CaseKind = 'weights' | 'graph';

export interface Figures {
  readonly wall: Stats;
  readonly cpu: Stats;
  readonly rss: Stats;
  readonly runs: number;
  readonly failures: number;
  readonly failure?: string;
}

export interface CaseResult {
  readonly name: string;
  readonly kind: CaseKind;
  readonly external: boolean;
  /** Bytes of the model file (plus its external data file). */
  readonly bytes: number;
  readonly weightBytes: number;
  readonly nodes: number;
  readonly figures: Partial<Record<Command, Figures>>;
}

export const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(bytes < 10e6 ? 1 : 0)} MB`;

export const fmt = (s: number): string => (s >= 100 ? s.toFixed(0) : s >= 10 ? s.toFixed(1) : s.toFixed(2));
const span = (f: Figures | undefined): string =>
  !f ? '—' : f.runs === 0 ? `FAILED` : `${fmt(f.wall.median)} (${fmt(f.wall.min)}–${fmt(f.wall.max)})`;
const ratio = (a: Figures | undefined, b: Figures | undefined): number | undefined =>
  a && b && a.runs > 0 && b.runs > 0 ? a.wall.median / b.wall.median : undefined;
const x = (r: number | undefined): string => (r === undefined ? '—' : `${r.toFixed(2)}×`);
const mbOf = (f: Figures | undefined): string => (!f || f.runs === 0 ? '—' : `${Math.round(f.rss.max / 1e6)}`);

function table(results: readonly CaseResult[]): string {
  const np = results.some((r) => r.figures['lint-np']);
  const rows = [
    `| case | file | nodes | lint s |${np ? ' lint, no partitions s |' : ''} convert s | python onnx.load s | cp s | lint / python | convert / cp | lint RSS MB |${np ? ' lint, no partitions RSS MB |' : ''} convert RSS MB | python RSS MB |`,
    `|---|---:|---:|---:|${np ? '---:|' : ''}---:|---:|---:|---:|---:|---:|${np ? '---:|' : ''}---:|---:|`,
  ];
  for (const r of results) {
    const f = r.figures;
    rows.push(`| ${r.name} | ${mb(r.bytes)} | ${r.nodes} | ${span(f.lint)} |${np ? ` ${span(f['lint-np'])} |` : ''} ${span(f.convert)} | ${span(f.python)} | ${span(f.cp)} | ` +
      `${x(ratio(f.lint, f.python))} | ${x(ratio(f.convert, f.cp))} | ${mbOf(f.lint)} |${np ? ` ${mbOf(f['lint-np'])} |` : ''} ${mbOf(f.convert)} | ${mbOf(f.python)} |`);
  }
  return rows.join('\n');
}

/** Before/after, when --before was given: medians, their ratio, and peak RSS. */
function comparison(results: readonly CaseResult[]): string | undefined {
  if (!results.some((r) => r.figures['lint@before'] || r.figures['convert@before'])) return undefined;
  const pair = (r: CaseResult, cmd: 'lint' | 'lint-np' | 'convert'): string => {
    const a = r.figures[`${cmd}@before`];
    const b = r.figures[cmd];
    if (!a || !b) return '—';
    const time = a.runs && b.runs ? `${fmt(a.wall.median)} → ${fmt(b.wall.median)} s (${(b.wall.median / a.wall.median).toFixed(2)}×)` : `${span(a)} → ${span(b)}`;
    return `${time}, ${mbOf(a)} → ${mbOf(b)} MB`;
  };
  const rows = [
    '| case | lint: before → after (wall, peak RSS) | lint, no partitions: before → after | convert: before → after |',
    '|---|---|---|---|',
  ];
  for (const r of results) rows.push(`| ${r.name} | ${pair(r, 'lint')} | ${pair(r, 'lint-np')} | ${pair(r, 'convert')} |`);
  return rows.join('\n');
}

export interface Check {
  readonly what: string;
  readonly holds: boolean | undefined;
  readonly figures: string;
}

/** The issue's "done means", judged on these figures. */
export function checks(results: readonly CaseResult[], base: Record<'node' | 'startup', Figures>): Check[] {
  const by = (name: string): CaseResult | undefined => results.find((r) => r.name === name);
  const out: Check[] = [];
  const big = by('weights-1gb');
  const nodeRss = base.node.rss.max;
  if (big) {
    const r = ratio(big.figures.lint, big.figures.python);
    out.push({ what: 'lint of the 1 GB model: wall ≤ 0.2× python onnx.load', holds: r === undefined ? undefined : r <= 0.2,
      figures: `${span(big.figures.lint)} s vs ${span(big.figures.python)} s = ${x(r)}` });
    const rss = big.figures.lint?.rss.max;
    const net = rss === undefined ? undefined : rss - nodeRss;
    out.push({ what: 'lint of the 1 GB model: peak RSS ≤ 0.25× file size (+ Node baseline)', holds: net === undefined ? undefined : net <= 0.25 * big.bytes,
      figures: `${mbOf(big.figures.lint)} MB peak − ${Math.round(nodeRss / 1e6)} MB Node baseline = ${net === undefined ? '—' : Math.round(net / 1e6)} MB = ${net === undefined ? '—' : (net / big.bytes).toFixed(3)}× of ${mb(big.bytes)}` });
    const c = ratio(big.figures.convert, big.figures.cp);
    out.push({ what: 'convert of the 1 GB model: wall ≤ 2× cp', holds: c === undefined ? undefined : c <= 2,
      figures: `${span(big.figures.convert)} s vs ${span(big.figures.cp)} s = ${x(c)}` });
    const crss = big.figures.convert?.rss.max;
    out.push({ what: 'convert of the 1 GB model: peak RSS well under the file size', holds: crss === undefined ? undefined : crss <= 0.25 * big.bytes,
      figures: `${mbOf(big.figures.convert)} MB = ${crss === undefined ? '—' : (crss / big.bytes).toFixed(3)}× of ${mb(big.bytes)}` });
  }
  const m = by('graph-1m');
  if (m) {
    const w = m.figures.lint;
    const np = m.figures['lint-np'];
    out.push({ what: 'lint of the 1M-node graph ≤ 15 s', holds: w && w.runs > 0 ? w.wall.median <= 15 : w ? false : undefined,
      figures: `${span(w)} s${w?.failure ? ` (${w.failure})` : ''}${np ? `; without partition planning ${span(np)} s${np.failure ? ` (${np.failure})` : ''}` : ''}` });
  }
  const small = by('graph-10k');
  for (const cmd of ['lint', 'lint-np'] as const) {
    if (!small?.figures[cmd] || !m?.figures[cmd]) continue;
    const label = cmd === 'lint' ? '' : ' (without partition planning)';
    if (!small.figures[cmd]!.runs || !m.figures[cmd]!.runs) {
      out.push({ what: `lint time per node from 10k to 1M nodes within 2×${label}`, holds: false, figures: 'the 1M-node lint did not finish' });
      continue;
    }
    const per = (r: CaseResult, net: boolean): number => (r.figures[cmd]!.wall.median - (net ? base.startup.wall.median : 0)) / r.nodes;
    const raw = per(m, false) / per(small, false);
    const net = per(m, true) / per(small, true);
    out.push({ what: `lint time per node from 10k to 1M nodes within 2×${label}`, holds: Math.max(raw, net) <= 2,
      figures: `whole process: ${(per(small, false) * 1e6).toFixed(1)} → ${(per(m, false) * 1e6).toFixed(1)} µs/node (${raw.toFixed(2)}×); ` +
        `less start-up (${fmt(base.startup.wall.median)} s): ${(per(small, true) * 1e6).toFixed(1)} → ${(per(m, true) * 1e6).toFixed(1)} µs/node (${net.toFixed(2)}×)` });
  }
  return out;
}

export function markdown(report: {
  before?: string | undefined;
  date: string; seconds: number; machine: Record<string, unknown>; loadAverage: { start: number[]; end: number[] }; runs: number;
  baselines: Record<'node' | 'startup', Figures>; cases: CaseResult[]; checks: Check[];
}): string {
  const m = report.machine;
  const b = report.baselines;
  const lines = [
    `Measured ${report.date} on ${m.cpu}, ${m.memory} RAM, ${m.os}; Node ${m.node}; python3-onnx ${m.pythonOnnx ?? '—'}; ` +
      `${m.rulesRegistered ?? '?'} rules registered. Load average ${report.loadAverage.start.join(' ')} at start, ${report.loadAverage.end.join(' ')} at end.`,
    `Median of ${report.runs} runs (min–max), seconds of wall time for the whole process; peak RSS is the largest of the runs. Warm page cache (each input is read once before its first run); each run starts after \`sync\` (no writeback of an earlier run's output pending); in each run python's load comes just before the commands that write (convert, cp), which take turns going first.`,
    `Baselines: \`node -e 0\` ${fmt(b.node.wall.median)} s, ${mbOf(b.node)} MB (Node's own RSS); \`graphlint --version\` (start-up: loading the modules) ${fmt(b.startup.wall.median)} s, ${mbOf(b.startup)} MB.`,
    '',
    table(report.cases),
    '',
  ];
  const compared = comparison(report.cases);
  if (compared) lines.push(`Before (${report.before}) and after (this build), measured interleaved:`, '', compared, '');
  const failed = report.cases.flatMap((r) => Object.entries(r.figures).filter(([, f]) => f?.failure).map(([cmd, f]) => `${r.name} ${cmd}: ${f!.failures} of ${report.runs} runs failed (${f!.failure})`));
  if (failed.length) lines.push('Failures:', ...failed.map((f) => `- ${f}`), '');
  lines.push('Done means:', ...report.checks.map((c) => `- ${c.holds === undefined ? '?' : c.holds ? 'holds' : 'DOES NOT HOLD'}: ${c.what} — ${c.figures}`));
  return lines.join('\n');
}
