import { layout } from '@dagrejs/dagre';
import { Graph as LayoutGraph } from '@dagrejs/graphlib';
import type { Node } from '../ir/graph.js';
import type { PartitionPlan } from '../targets/partition.js';
import type { Device } from '../targets/types.js';
import type { Diagnostic, FileResult } from './result.js';
import { summarize } from './result.js';

/**
 * The HTML report: one self-contained page (inline CSS, SVG and a few lines of script; nothing
 * fetched). Per model it draws the judged graph coloured by device, each partition a framed
 * group, laid out by dagre (@dagrejs/dagre, run here at report time, so the page needs no
 * layout code). A graph of more than FULL_GRAPH_LIMIT nodes is drawn at partition level — one
 * box per partition, one edge per pair of partitions with boundaries — and each partition can
 * be opened to its own node graph (drill-down). Findings are listed beside the drawing; each
 * names its nodes, and clicking one shows and highlights the node.
 */
export interface HtmlMeta {
  readonly toolVersion: string;
  readonly target: string;
  /** Partition plans by result path (results without one show findings only). */
  readonly plans: ReadonlyMap<string, PartitionPlan>;
}

export const FULL_GRAPH_LIMIT = 300;

const COLORS: Readonly<Record<Device, string>> = {
  ane: '#2e9d5b', claimed: '#2e9d5b', gpu: '#d08a19', cpu: '#c8453c', unclaimed: '#c8453c',
};

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function formatHtml(results: readonly FileResult[], meta: HtmlMeta): string {
  const s = summarize(results);
  const sections = results.map((r, i) => fileSection(r, i, meta.plans.get(r.path)));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>graphlint report</title>
<meta name="generator" content="graphlint ${esc(meta.toolVersion)}">
<style>${CSS}</style></head>
<body>
<header><h1>graphlint</h1><p>target <b>${esc(meta.target)}</b> · ${s.files} model${s.files === 1 ? '' : 's'} · ${s.errors} errors · ${s.warnings} warnings</p>
<p class="legend">${legend()}</p></header>
${sections.join('\n')}
<script>${SCRIPT}</script>
</body></html>
`;
}

function legend(): string {
  const items: Array<[string, string]> = [['ane / claimed', COLORS.ane], ['gpu', COLORS.gpu], ['cpu / unclaimed', COLORS.cpu]];
  return items.map(([label, color]) => `<span class="swatch" style="background:${color}"></span>${esc(label)}`).join(' ');
}

function fileSection(r: FileResult, index: number, plan: PartitionPlan | undefined): string {
  const id = `f${index}`;
  if (r.fatal) return `<section class="file" id="${id}"><h2>${esc(r.path)}</h2><p class="fatal">${esc(r.fatal.message)}</p></section>`;
  const p = r.partitions;
  const summary = p
    ? `<p>${p.supported} of ${p.nodes} nodes on the ${p.target === 'ane' ? 'Neural Engine' : "Core ML provider"} in ${p.count} partition${p.count === 1 ? '' : 's'}; ${p.boundaries.length} boundaries.</p>` +
      p.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('') +
      (p.guesses.length ? `<p class="note confidence">Lower confidence: decisions resting on guesses (${esc(p.guesses.join(', '))}).</p>` : '')
    : '';
  const pathToNode = new Map<string, string>();
  const drawing = plan ? draw(plan, id, pathToNode) : '<p>No partition plan for this file.</p>';
  return `<section class="file" id="${id}">
<h2>${esc(r.path)}</h2>${summary}
<div class="cols"><div class="graph">${drawing}</div>
<aside class="findings"><h3>Findings (${r.diagnostics.length})</h3>${findings(r.diagnostics, pathToNode)}</aside></div>
</section>`;
}

function findings(list: readonly Diagnostic[], pathToNode: ReadonlyMap<string, string>): string {
  if (list.length === 0) return '<p>None.</p>';
  return `<ol>${list.map((d) => `<li class="finding ${d.severity}"><span class="sev">${d.severity}</span> <code>${esc(d.ruleId)}</code>
<div class="nodes">${d.nodes.map((n) => {
    const target = pathToNode.get(n);
    return target ? `<a href="#" class="node-link" data-target="${target}">${esc(n)}</a>` : `<span>${esc(n)}</span>`;
  }).join(' ')}</div><p>${esc(d.message)}</p></li>`).join('')}</ol>`;
}

interface Box { x: number; y: number; width: number; height: number }

/** Full graph or partition-level overview with drill-down; fills `pathToNode` with original path → element id. */
function draw(plan: PartitionPlan, fileId: string, pathToNode: Map<string, string>): string {
  const nodeId = new Map<Node, string>();
  let k = 0;
  for (const p of plan.partitions) for (const n of p.nodes) nodeId.set(n, `${fileId}-n${k++}`);
  for (const [n, id] of nodeId) {
    pathToNode.set(n.path, id);
    for (const o of plan.judgement.originsOf(n)) if (!pathToNode.has(o.path)) pathToNode.set(o.path, id);
  }
  if (plan.nodes <= FULL_GRAPH_LIMIT) {
    return `<div class="view" data-view="full">${nodeGraph(plan, plan.partitions.map((p) => p.index), nodeId, true)}</div>`;
  }
  const parts = plan.partitions.map((p) =>
    `<div class="drill" id="${fileId}-p${p.index}" hidden><h4>Partition #${p.index} (${p.device}, ${p.nodes.length} nodes) <a href="#" class="close">back to the overview</a></h4>${nodeGraph(plan, [p.index], nodeId, false)}</div>`);
  return `<div class="view" data-view="overview"><p class="hint">${plan.nodes} nodes: drawn by partition; click a partition to open it.</p>${overview(plan, fileId)}</div>${parts.join('')}`;
}

function overview(plan: PartitionPlan, fileId: string): string {
  const g = new LayoutGraph({ multigraph: false });
  g.setGraph({ rankdir: 'TB', nodesep: 20, ranksep: 30, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const p of plan.partitions) g.setNode(String(p.index), { width: 150, height: 40 });
  const bytes = new Map<string, number | null>();
  for (const b of plan.boundaries) {
    const key = `${b.from}>${b.to}`;
    const prev = bytes.get(key);
    bytes.set(key, prev === undefined ? b.bytes : prev === null || b.bytes === null ? null : prev + b.bytes);
    g.setEdge(String(b.from), String(b.to));
  }
  layout(g as never);
  const size = g.graph() as { width?: number; height?: number };
  const edges = g.edges().map((e) => {
    const pts = (g.edge(e) as { points: Array<{ x: number; y: number }> }).points;
    const b = bytes.get(`${e.v}>${e.w}`);
    return `<path class="edge" d="M${pts.map((q) => `${q.x.toFixed(1)},${q.y.toFixed(1)}`).join(' L')}"><title>#${e.v} → #${e.w}: ${b === null || b === undefined ? 'unknown size' : `${b} bytes`}</title></path>`;
  });
  const boxes = plan.partitions.map((p) => {
    const n = g.node(String(p.index)) as unknown as Box;
    const x = n.x - n.width / 2;
    const y = n.y - n.height / 2;
    return `<g class="partition" data-partition="${p.index}" data-open="${fileId}-p${p.index}" tabindex="0"><rect x="${x}" y="${y}" width="${n.width}" height="${n.height}" rx="6" fill="${COLORS[p.device]}"/><text x="${n.x}" y="${n.y + 4}" text-anchor="middle">#${p.index} ${p.device} · ${p.nodes.length}</text><title>partition #${p.index}: ${p.nodes.length} nodes on ${p.device}; ${esc(p.nodes[0]!.path)} …</title></g>`;
  });
  return svg(size, [...edges, ...boxes]);
}

/** The nodes of some partitions, each partition a cluster; edges between the drawn nodes. */
function nodeGraph(plan: PartitionPlan, partitions: readonly number[], nodeId: ReadonlyMap<Node, string>, compound: boolean): string {
  const g = new LayoutGraph({ compound, multigraph: false });
  g.setGraph({ rankdir: 'TB', nodesep: 12, ranksep: 22, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  const drawn = new Set<Node>();
  for (const i of partitions) {
    const p = plan.partitions[i]!;
    if (compound) g.setNode(`p${i}`, { label: `#${i}`, clusterLabelPos: 'top' });
    for (const n of p.nodes) {
      drawn.add(n);
      g.setNode(nodeId.get(n)!, { width: Math.max(60, 7 * n.op.length + 16), height: 26 });
      if (compound) g.setParent(nodeId.get(n)!, `p${i}`);
    }
  }
  for (const n of drawn) {
    for (const o of n.outputs) {
      for (const u of o.uses) {
        let reader: Node | null = u.node;
        while (reader && !drawn.has(reader)) reader = reader.graph.parentNode;
        if (reader && reader !== n) g.setEdge(nodeId.get(n)!, nodeId.get(reader)!);
      }
    }
  }
  layout(g as never);
  const size = g.graph() as { width?: number; height?: number };
  const parts: string[] = [];
  if (compound) {
    for (const i of partitions) {
      const c = g.node(`p${i}`) as unknown as Box | undefined;
      if (!c || c.width === undefined) continue;
      const p = plan.partitions[i]!;
      parts.push(`<g class="partition" data-partition="${i}"><rect class="cluster" x="${c.x - c.width / 2}" y="${c.y - c.height / 2}" width="${c.width}" height="${c.height}" rx="8" stroke="${COLORS[p.device]}"/><text class="cluster-label" x="${c.x - c.width / 2 + 6}" y="${c.y - c.height / 2 + 12}">#${i} ${p.device}</text></g>`);
    }
  }
  for (const e of g.edges()) {
    const pts = (g.edge(e) as { points: Array<{ x: number; y: number }> }).points;
    parts.push(`<path class="edge" d="M${pts.map((q) => `${q.x.toFixed(1)},${q.y.toFixed(1)}`).join(' L')}"/>`);
  }
  const decisions = plan.judgement.decisions;
  for (const n of drawn) {
    const id = nodeId.get(n)!;
    const b = g.node(id) as unknown as Box;
    const d = decisions.get(n)!;
    parts.push(`<g class="node" id="${id}" data-path="${esc(n.path)}" data-partition="${plan.partitionOf.get(n)}"><rect x="${b.x - b.width / 2}" y="${b.y - b.height / 2}" width="${b.width}" height="${b.height}" rx="4" fill="${COLORS[d.device]}"/><text x="${b.x}" y="${b.y + 4}" text-anchor="middle">${esc(n.op)}</text><title>${esc(n.path)}\n${d.device}: ${esc(d.reason)} (${d.fact}${d.guess ? ', a guess' : ''})</title></g>`);
  }
  return svg(size, parts);
}

function svg(size: { width?: number; height?: number }, parts: readonly string[]): string {
  const w = Math.ceil(size.width ?? 100);
  const h = Math.ceil(size.height ?? 100);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">${parts.join('')}</svg>`;
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222}header{padding:8px 16px;background:#f3f3f3;border-bottom:1px solid #ddd}
h1{font-size:18px;margin:0}section.file{padding:8px 16px;border-bottom:1px solid #ddd}.cols{display:flex;gap:16px;align-items:flex-start}
.graph{flex:1 1 auto;overflow:auto;max-height:80vh;border:1px solid #ddd}.findings{flex:0 0 32%;max-height:80vh;overflow:auto}
.swatch{display:inline-block;width:12px;height:12px;margin:0 4px 0 10px;vertical-align:middle}.note{color:#555;margin:2px 0}
.node text,.partition text{font-size:11px;fill:#fff;pointer-events:none}.cluster{fill:none;stroke-width:2;stroke-dasharray:4 2}
.cluster-label{fill:#444!important}.edge{fill:none;stroke:#999;stroke-width:1}.partition[data-open]{cursor:pointer}
.node.hit rect{stroke:#000;stroke-width:3}.finding{margin-bottom:8px}.sev{font-weight:bold}.error .sev{color:#b00}.warning .sev{color:#a60}
.node-link{margin-right:6px}.fatal{color:#b00}`;

const SCRIPT = `(function(){
function show(id){var el=document.getElementById(id);if(!el)return false;
var drill=el.closest('.drill');if(drill){var sec=drill.closest('section');sec.querySelectorAll('.drill').forEach(function(d){d.hidden=d!==drill});var ov=sec.querySelector('[data-view=overview]');if(ov)ov.hidden=true;}
document.querySelectorAll('.node.hit').forEach(function(n){n.classList.remove('hit')});el.classList.add('hit');el.scrollIntoView({block:'center',inline:'center'});return true;}
document.addEventListener('click',function(e){var t=e.target;
var link=t.closest&&t.closest('.node-link');if(link){e.preventDefault();show(link.getAttribute('data-target'));return;}
var part=t.closest&&t.closest('.partition[data-open]');if(part){var sec=part.closest('section');var d=document.getElementById(part.getAttribute('data-open'));
sec.querySelectorAll('.drill').forEach(function(x){x.hidden=x!==d});sec.querySelector('[data-view=overview]').hidden=true;return;}
var close=t.closest&&t.closest('.close');if(close){e.preventDefault();var s=close.closest('section');s.querySelectorAll('.drill').forEach(function(x){x.hidden=true});s.querySelector('[data-view=overview]').hidden=false;}});
})();`;
