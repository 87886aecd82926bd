/**
 * The Paper view's workflow block (MODEL-PART4 §4.6), beside its per-agent table: the workflow graph
 * as an SVG figure (agents as nodes with their visit rate γ and the fraction that leaves, edges
 * labelled with their routing probability, the entries marked by an arrow with their external rate),
 * the end-to-end latency per policy with what it means, and each agent's visit rates. The layout and
 * the figures come from web/views/paperWorkflow.ts; this file only draws them (text nodes only).
 */
import type { Batch } from '../../src/model/batch.js';
import type { AgentSummary, BatchResult } from '../../src/model/metrics.js';
import type { PolicyName } from '../../src/model/policies.js';
import { NO_AGENT } from '../../src/model/workflow.js';
import { policyLabel } from '../lib/charts.js';
import { dataTable, el } from '../lib/dom.js';
import { AGENT_COLORS } from '../lib/timeCharts.js';
import { endToEnd, type GraphNode, probabilityText, type WorkflowGraph, workflowGraph } from './paperWorkflow.js';

const SVG = 'http://www.w3.org/2000/svg';
/** Layout in CSS pixels: column and row pitch, the nodes' ellipse radii, the margins (the entry arrow on the left, loops on top). */
const COLUMN = 290;
const ROW = 100;
const RX = 74;
const RY = 34;
const LEFT = 120;
const TOP = 56;
const RIGHT = 24;
const BOTTOM = 24;
/** How far an edge bows from the straight line, as a fraction of its length: u → v and v → u bow to opposite sides. */
const BEND = 0.25;

/**
 * Where along its curve an edge's label sits (0 at the source, 1 at the target): past the middle, so
 * the labels of two edges that cross mid-way (a route out and another agent's route back) stay apart.
 */
const LABEL_AT = 0.62;

type Point = { x: number; y: number };

/** The point at t of the quadratic Bézier curve from a through control c to b. */
function along(a: Point, c: Point, b: Point, t: number): Point {
  const u = 1 - t;
  return { x: u * u * a.x + 2 * t * u * c.x + t * t * b.x, y: u * u * a.y + 2 * t * u * c.y + t * t * b.y };
}

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  text?: string,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A rate in requests/s as the figure and tables show it: two decimals below 10, one above. */
const rate = (x: number): string => x.toFixed(x >= 10 ? 1 : 2);

/** Where the ray from an ellipse's centre c towards `toward` leaves it. */
function onEllipse(c: Point, toward: Point): Point {
  const dx = toward.x - c.x;
  const dy = toward.y - c.y;
  const k = 1 / Math.sqrt((dx / RX) ** 2 + (dy / RY) ** 2 || 1);
  return { x: c.x + dx * k, y: c.y + dy * k };
}

/**
 * The workflow graph as a figure: one ellipse per agent of the graph (outlined in its agent colour,
 * the charts' own), a curved arrow per route with p at its middle, an arrow from the left into each
 * entry with its external rate. The SVG's title says the same in words for screen readers.
 */
export function workflowGraphFigure(graph: WorkflowGraph): HTMLElement {
  const width = LEFT + (graph.layers - 1) * COLUMN + 2 * RX + RIGHT;
  const height = TOP + (graph.rows - 1) * ROW + 2 * RY + BOTTOM;
  const perLayer = new Map<number, number>();
  for (const node of graph.nodes) perLayer.set(node.layer, (perLayer.get(node.layer) ?? 0) + 1);
  const centre = new Map<number, Point>();
  for (const node of graph.nodes) {
    const offset = ((graph.rows - perLayer.get(node.layer)!) * ROW) / 2; // a short column sits in the middle
    centre.set(node.agent, { x: LEFT + RX + node.layer * COLUMN, y: TOP + RY + offset + node.row * ROW });
  }
  const nameOf = new Map(graph.nodes.map((n) => [n.agent, n.name]));
  const words = graph.edges.map(
    (e) => `${nameOf.get(e.from)} → ${nameOf.get(e.to)} (${e.label === 'fork' || e.label === 'join' ? e.label : `p = ${e.label}`})`,
  );
  const entries = graph.nodes.filter((n) => n.entry);
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    class: 'workflow-graph',
    'aria-labelledby': 'workflow-graph-title',
  });
  root.append(
    svg(
      'title',
      { id: 'workflow-graph-title' },
      `Workflow: ${entries.length > 0 ? `external requests enter at ${entries.map((n) => n.name).join(', ')}` : 'no external requests (every λ is 0)'}; ${words.join('; ')}.`,
    ),
  );
  const defs = svg('defs');
  const marker = svg('marker', {
    id: 'workflow-arrow',
    viewBox: '0 0 10 10',
    refX: 9,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
    orient: 'auto-start-reverse',
  });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' }));
  defs.append(marker);
  root.append(defs);

  const edges = svg('g', { class: 'edges' });
  const labels = svg('g', { class: 'edge-labels' });
  for (const edge of graph.edges) {
    const a = centre.get(edge.from)!;
    const b = centre.get(edge.to)!;
    let d: string;
    let label: Point;
    if (edge.from === edge.to) {
      // A loop over the node's top.
      const top = a.y - RY;
      d = `M${a.x - 22},${top + 3} C${a.x - 60},${top - 58} ${a.x + 60},${top - 58} ${a.x + 22},${top + 3}`;
      label = { x: a.x, y: top - 44 };
    } else {
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const length = Math.hypot(dx, dy);
      // Bow to the left of the direction of travel, so the two directions between a pair never overlap.
      const c = { x: (a.x + b.x) / 2 - (dy / length) * BEND * length, y: (a.y + b.y) / 2 + (dx / length) * BEND * length };
      const start = onEllipse(a, c);
      const end = onEllipse(b, c);
      d = `M${start.x.toFixed(1)},${start.y.toFixed(1)} Q${c.x.toFixed(1)},${c.y.toFixed(1)} ${end.x.toFixed(1)},${end.y.toFixed(1)}`;
      label = along(start, c, end, LABEL_AT);
    }
    const path = svg('path', { d, class: 'edge', 'marker-end': 'url(#workflow-arrow)', 'data-from': edge.from, 'data-to': edge.to });
    edges.append(path);
    labels.append(
      svg(
        'text',
        {
          x: label.x.toFixed(1),
          y: (label.y + 4).toFixed(1),
          class: 'edge-label',
          'text-anchor': 'middle',
          'data-from': edge.from,
          'data-to': edge.to,
        },
        edge.label,
      ),
    );
  }
  const nodes = svg('g', { class: 'nodes' });
  for (const node of graph.nodes) nodes.append(nodeGroup(node, centre.get(node.agent)!));
  const arrivals = svg('g', { class: 'entries' });
  for (const node of entries) {
    const c = centre.get(node.agent)!;
    const x0 = c.x - RX - LEFT + 12;
    arrivals.append(
      svg('path', { d: `M${x0},${c.y} L${c.x - RX - 2},${c.y}`, class: 'edge entry', 'marker-end': 'url(#workflow-arrow)' }),
      svg('text', { x: x0, y: c.y - 8, class: 'edge-label entry-label' }, `λ = ${rate(node.lambda)}/s`),
    );
  }
  root.append(edges, arrivals, nodes, labels);
  const caption = el(
    'figcaption',
    {},
    `The workflow that ran: each arrow a route with its probability p (what is not routed leaves); ${entries.length === 0 ? 'no agent of the graph has external arrivals (λ = 0), so nothing flows' : entries.length === 1 ? 'the entry, marked by the arrow from the left, takes the external arrivals' : 'the entries, marked by arrows from the left, take the external arrivals'}; γ: the visit rate from the traffic equations.` +
      (graph.outside.length > 0 ? ` Outside the workflow (independent agents): ${graph.outside.join(', ')}.` : ''),
  );
  const figure = el('figure', { class: 'workflow', id: 'workflow-graph' }, caption);
  figure.append(root);
  return figure;
}

function nodeGroup(node: GraphNode, c: Point): SVGGElement {
  const group = svg('g', { class: `node${node.entry ? ' entry' : ''}`, 'data-agent': node.agent, 'data-name': node.name });
  group.append(
    svg('ellipse', { cx: c.x, cy: c.y, rx: RX, ry: RY, stroke: AGENT_COLORS[node.agent % AGENT_COLORS.length]! }),
    svg(
      'text',
      { x: c.x, y: c.y - 12, 'text-anchor': 'middle', class: 'node-name' },
      node.name.length > 18 ? `${node.name.slice(0, 17)}…` : node.name,
    ),
    svg('text', { x: c.x, y: c.y + 4, 'text-anchor': 'middle', class: 'node-rate' }, `γ = ${rate(node.visitRate)}/s`),
    svg(
      'text',
      { x: c.x, y: c.y + 19, 'text-anchor': 'middle', class: 'node-exit' },
      node.fork ? 'fork' : node.exit > 0 ? `leaves ${probabilityText(node.exit)}` : node.join ? 'join' : 'leaves 0',
    ),
  );
  return group;
}

/** What the workflow block reads of a run of the Paper view. */
export interface WorkflowShown {
  batch: Batch;
  result: BatchResult;
  policies: readonly PolicyName[];
  names: readonly string[];
  /** Per policy run, its agents' summaries (runSummary): the measured visit and external rates. */
  perPolicy: readonly (readonly AgentSummary[])[];
}

const shown = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : '—');

/**
 * The end-to-end latency per policy (RUN_METRIC_INFO's e2eLatency, inFlight, forkParents), with a
 * note on what it means: Little's law over the whole workflow, at step resolution.
 */
export function endToEndTable(view: WorkflowShown, workflow: boolean): HTMLElement {
  const { batch, result } = view;
  const fork = batch.fleets.fork[0] !== NO_AGENT;
  const rows = view.policies.map((policy, r) => {
    const e = endToEnd(result, r, view.perPolicy[r]!);
    return [
      policyLabel(policy),
      shown(e.e2eLatency, 3),
      shown(e.inWorkflow, 1),
      ...(workflow ? [shown(e.inFlight, 2)] : []),
      ...(fork ? [shown(e.forkParents, 2)] : []),
      shown(e.externalRate, 2),
      shown(e.littleLatency, 3),
    ];
  });
  const headers = [
    'policy',
    'end-to-end latency W_e2e (s)',
    'requests in the workflow N̄',
    ...(workflow ? ['in flight between agents (requests)'] : []),
    ...(fork ? ['outstanding fork parents (requests)'] : []),
    'external arrivals Λ̂ (requests/s)',
    'littleLatency, per agent visit (s)',
  ];
  const table = dataTable('End-to-end latency (Little’s law)', headers, rows);
  table.id = 'e2e-latency';
  const dt = batch.config.dt;
  const note = el(
    'p',
    { class: 'note', id: 'e2e-note' },
    `W_e2e = N̄/Λ̂ by Little’s law: the mean number of requests anywhere in the ${workflow ? 'workflow — queued at an agent, or in flight between two' : 'fleet'} — over the external arrival rate, ` +
      `so the mean time from a request’s arrival to its leaving${workflow ? ' the workflow, however many agents it visits' : ''}. ` +
      `At step resolution (Δt = ${dt} s): the requests are counted at the end of each step, so a request completed in the step it arrived counts 0` +
      (workflow ? `, and each hop from one agent to the next takes one step (the completions of step t arrive at t + 1)` : '') +
      '. It has no L_max (an agent without GPU adds its queue, not L_max), so compare it with littleLatency, not avgLatency' +
      (workflow
        ? '; littleLatency is the wait per agent visit, W_e2e the whole trip.'
        : ': without routing each request visits one agent, and the two are equal. Switch the workflow on to route requests between the agents.') +
      ' Where an agent is overloaded (above), its queue grows for the whole run and W_e2e with it.',
  );
  return el('div', { class: 'e2e-block' }, table, note);
}

/**
 * Each agent's visit rates: its external λ, γ from the traffic equations (the rate the policies read
 * as its nominal demand), the visits per external request γ/Λ, and the measured γ̂ under each policy.
 */
export function visitTable(view: WorkflowShown): HTMLElement {
  const { fleets } = view.batch;
  const a0 = fleets.agentOffset[0]!;
  let external = 0;
  for (let i = 0; i < view.names.length; i++) external += fleets.lambda[a0 + i]!;
  const rows = view.names.map((name, i) => [
    name,
    rate(fleets.lambda[a0 + i]!),
    rate(fleets.demand[a0 + i]!),
    external > 0 ? (fleets.demand[a0 + i]! / external).toFixed(3) : '—',
    ...view.policies.map((_, r) => {
      const a = view.perPolicy[r]![i]!;
      return `${rate(a.realizedRate)} (${rate(a.realizedRate - a.externalRate)} routed)`;
    }),
  ]);
  const headers = [
    'agent',
    'external λ (requests/s)',
    'visit rate γ (requests/s)',
    'visits per external request γ/Λ',
    ...view.policies.map((p) => `measured γ̂, ${policyLabel(p)} (requests/s)`),
  ];
  const table = dataTable('Visit rates (the traffic equations, and as measured)', headers, rows);
  table.id = 'visit-rates';
  const note = el(
    'p',
    { class: 'note', id: 'visit-note' },
    'γ solves the traffic equations γ_k = λ_k + Σ_j γ_j·p_jk: the requests per second agent k must serve in the long run, and the nominal rate its policy reads (it replaces λ in adaptive’s demand and in the offered load above). ' +
      'γ̂: the requests that arrived per second in the run, external and routed. It falls below γ downstream of an overloaded agent, which completes fewer requests than it receives; routed requests arrive one step after their completion.',
  );
  return el('div', { class: 'visit-block' }, table, note);
}

/** The block beside the per-agent table: the graph and visit rates of a workflow, and the end-to-end latency. */
export function workflowBlock(view: WorkflowShown): HTMLElement {
  const graph = workflowGraph(view.batch.fleets, 0, view.names);
  const block = el('section', { class: 'workflow-block', id: 'workflow', 'data-workflow': String(graph !== null) });
  if (graph) block.append(el('h3', {}, 'The workflow'), workflowGraphFigure(graph));
  block.append(endToEndTable(view, graph !== null));
  if (graph) block.append(visitTable(view));
  return block;
}
