/**
 * One cell of a sweep in detail (the Sweep view's "cell in detail"): each policy's statistics of the
 * chosen metric with the spread across fleet runs (p50/p90/p99 of the fleet-run means, not of
 * requests), the paired verdicts of every verdict metric verbatim, and the per-agent panel — a chart and a table per
 * policy of each agent's latency, throughput, share, final queue, load and unstable fraction — for
 * fixed fleets; random fleets get a line saying why there is none.
 */
import type { SummaryTable } from '../../../src/results/tables.js';
import { AGENT_METRICS, type AgentMetric, type CellSummary } from '../../../src/sweep/aggregate.js';
import { lineChart, policyColor } from '../../lib/charts.js';
import { seriesStyle } from '../../lib/chartLayout.js';
import { dataTable, el } from '../../lib/dom.js';
import { fmt, meanCi, unstableMark } from './format.js';
import { METRIC_INFO, unstableFraction } from './select.js';

/** Unit and wording of the per-agent metrics (src/sweep/aggregate.ts AGENT_METRICS). */
export const AGENT_INFO: Readonly<Record<AgentMetric, { label: string; unit: string }>> = {
  latency: { label: 'mean latency', unit: 's' },
  throughput: { label: 'throughput served', unit: 'requests/s' },
  share: { label: 'mean GPU share ḡ', unit: 'GPUs' },
  finalQueue: { label: 'final queue', unit: 'requests' },
  load: { label: 'load λ/(T·ḡ)', unit: '> 1: the queue grows' },
  unstable: { label: 'unstable', unit: 'fraction of runs' },
  visitRate: { label: 'visit rate γ̂ (external + routed)', unit: 'requests/s' },
  externalRate: { label: 'external arrival rate', unit: 'requests/s' },
  // The serverless lifecycle (docs/METRICS.md; none without a lifecycle block).
  coldStarts: { label: 'cold starts', unit: 'loads' },
  coldHitFraction: { label: 'requests that met it cold', unit: 'fraction of requests' },
  coldDelay: { label: 'mean cold-start delay per request', unit: 's' },
  loadSeconds: { label: 'time loading', unit: 's' },
  residentSeconds: { label: 'time resident (loading or warm)', unit: 's' },
  idleWarmSeconds: { label: 'time warm with nothing to do', unit: 's' },
  evictions: { label: 'evictions', unit: 'times' },
  memoryWaitSeconds: { label: 'time waiting to load', unit: 's' },
};

/** The L_max value of a cell when an axis sets it (an axis named or pathed `lmax`), else null. */
function lmaxOf(table: SummaryTable, cell: CellSummary): number | null {
  const axis = table.axes.find((a) => a.name === 'lmax');
  const v = axis ? cell.values[axis.name] : undefined;
  return typeof v === 'number' ? v : null;
}

/**
 * The note beside round-robin's latency (set by the L_max convention, not by queues): round-robin gives the whole GPU to one agent per step, so each
 * agent has a zero share N − 1 steps in N and is scored L_max there (docs/MODEL.md, step 4); its mean
 * latency is about L_max·(N − 1)/N whatever its queues. With N and L_max known (fixed fleet, an lmax
 * axis) the note gives the number, e.g. "832.5 s = L_max·5/6".
 */
export function roundRobinNote(table: SummaryTable, cell: CellSummary | undefined): string | null {
  if (!table.policies.includes('roundRobin')) return null;
  const stat = cell?.policies.find((p) => p.policy === 'roundRobin')?.metrics.avgLatency;
  const agents = cell?.agents?.[0]?.agents.length;
  const lmax = cell ? lmaxOf(table, cell) : null;
  const formula =
    agents !== undefined && agents > 1
      ? lmax !== null
        ? `${fmt(stat?.mean)} s ≈ L_max·${agents - 1}/${agents} = ${fmt((lmax * (agents - 1)) / agents)} s`
        : `${fmt(stat?.mean)} s ≈ L_max·${agents - 1}/${agents}`
      : 'about L_max·(N − 1)/N for N agents';
  return (
    `round-robin’s mean latency is set by the L_max convention, not by queues: it gives the whole GPU to one agent per step, ` +
    `and an agent with a zero share is scored L_max (docs/MODEL.md, step 4), so its latency is ${formula}` +
    `${cell ? ` in cell ${cell.cell}` : ''}. Compare round-robin on throughput, final queue or stability instead.`
  );
}

/** Each policy's statistics of `metric` in the cell: mean ± CI and the spread of the fleet-run means. */
function policyTable(table: SummaryTable, cell: CellSummary, metric: string): HTMLTableElement {
  const unit = METRIC_INFO[metric]?.unit;
  const rows = table.policies.map((policy) => {
    const s = cell.policies.find((p) => p.policy === policy)?.metrics[metric];
    const f = unstableFraction(cell, policy);
    return [
      policy,
      meanCi(s),
      fmt(s?.p50),
      fmt(s?.p90),
      fmt(s?.p99),
      s ? String(s.n) : '–',
      f === null ? '–' : f > 0 ? unstableMark(f) : 'stable in every run',
    ];
  });
  const t = dataTable(
    `${metric}${unit ? ` (${unit})` : ''} in cell ${cell.cell}: the mean ± 95 % half-width, and the p50/p90/p99 of the per-fleet-run means (across fleet runs, not across requests)`,
    ['policy', 'mean ± 95 %', 'p50 of fleet-run means', 'p90 of fleet-run means', 'p99 of fleet-run means', 'fleet runs', 'stability'],
    rows,
  );
  t.classList.add('cell-policies');
  return t;
}

/** Every verdict of the cell, per metric, verbatim (the summary's own sentences). */
function verdictList(cell: CellSummary): HTMLElement {
  const verdicts = cell.verdicts ?? [];
  if (verdicts.length === 0)
    return el(
      'p',
      { class: 'note verdicts-absent' },
      'No paired verdicts in this file (summary.json of fleetsim sweep holds them; cells.csv and older files do not).',
    );
  const metrics = [...new Set(verdicts.map((v) => v.metric))];
  return el(
    'div',
    { class: 'verdicts', 'data-cell': cell.cell },
    el('h5', {}, `Paired verdicts, cell ${cell.cell} (the same fleet runs under each policy)`),
    ...metrics.map((m) =>
      el(
        'ul',
        { 'data-metric': m },
        ...verdicts
          .filter((v) => v.metric === m)
          .map((v) =>
            el(
              'li',
              { class: v.unstable ? 'verdict unstable' : 'verdict', 'data-pair': `${v.a}|${v.b}` },
              el('span', { class: 'verdict-metric' }, `${m}: `),
              el('span', { class: 'verdict-text' }, v.text),
            ),
          ),
      ),
    ),
  );
}

/**
 * Why a cell has no per-agent statistics: a summary.json of a version that writes verdicts (or a run in
 * the page) has them for every fixed fleet, so there the fleets are random; cells.csv, per-fleet rows
 * and older summaries carry none.
 */
function noAgentsWhy(table: SummaryTable, perAgent: boolean): string {
  const random =
    table.axes.some((a) => a.name.startsWith('fleet.random')) || (perAgent && table.cells.some((c) => (c.verdicts ?? []).length > 0));
  return random
    ? 'No per-agent panel: this sweep’s fleets are random (fleet.random), so the number of agents and their parameters change from one fleet run to the next and agent i of one run is not agent i of another. Per-agent results exist for fixed fleets (fleet.agents, or the paper’s).'
    : 'No per-agent panel: per-agent results of fixed fleets (fleet.agents, or the paper’s) are in the summary.json of fleetsim sweep (and its agents/unit-*.arrow); this file has none (cells.csv, per-fleet rows, an older sweep, or a random fleet).';
}

/** The per-agent panel of a cell: a chart of one agent metric per policy, and a table per policy. */
export function agentPanel(
  table: SummaryTable,
  perAgent: boolean,
  cell: CellSummary,
  chosen: AgentMetric,
  onChoose: (m: AgentMetric) => void,
): HTMLElement {
  const agents = cell.agents;
  if (!agents || agents.length === 0)
    return el(
      'section',
      { class: 'agents-panel', 'data-absent': 'true' },
      el('p', { class: 'note agents-absent' }, noAgentsWhy(table, perAgent)),
    );
  const names = agents[0]!.agents.map((a) => a.name);
  const control = el('select', { name: 'am', 'data-key': 'am' });
  for (const m of AGENT_METRICS)
    control.append(el('option', { value: m, selected: m === chosen }, `${AGENT_INFO[m].label} (${AGENT_INFO[m].unit})`));
  control.addEventListener('change', () => onChoose(control.value as AgentMetric));
  const info = AGENT_INFO[chosen];
  const series = agents.flatMap((p, i) => {
    const color = policyColor(p.policy, i);
    const style = seriesStyle(table.policies.indexOf(p.policy));
    const k = 3 * i;
    return [
      { label: `${p.policy} 95 % low`, color, bound: true },
      { label: `${p.policy} 95 % high`, color, bound: true },
      {
        label: p.policy,
        color,
        points: true,
        shape: style.shape,
        interval: [k, k + 1] as const,
        hollow: p.agents.map((a) => (a.metrics.unstable?.mean ?? 0) > 0),
        hollowMeans: 'its queue grows in some runs',
      },
    ];
  });
  const stat = (p: (typeof agents)[number], name: string) => p.agents.find((a) => a.name === name)?.metrics[chosen] ?? null;
  const data = [
    names.map((_, i) => i),
    ...agents.flatMap((p) => [
      names.map((n) => stat(p, n)?.ci95[0] ?? null),
      names.map((n) => stat(p, n)?.ci95[1] ?? null),
      names.map((n) => stat(p, n)?.mean ?? null),
    ]),
  ] as [number[], ...(number | null)[][]];
  const chart = lineChart({
    title: `Per agent, cell ${cell.cell}: ${info.label} by policy (mean and 95 % interval; hollow: the agent’s queue grows in some runs)`,
    x: { label: 'agent', categories: names },
    y: { label: `${info.label} (${info.unit})`, zero: true },
    series,
    data,
    width: 'fill',
    height: 240,
  });
  chart.classList.add('agents-chart');
  const tables = agents.map((p) => {
    const t = dataTable(
      `${p.policy}: each agent’s mean ± 95 % half-width over the cell’s fleet runs`,
      ['agent', ...AGENT_METRICS.map((m) => `${AGENT_INFO[m].label} (${AGENT_INFO[m].unit})`)],
      p.agents.map((a) => [
        a.name,
        ...AGENT_METRICS.map((m) => {
          const s = a.metrics[m];
          if (m === 'unstable') return s ? (s.mean > 0 ? unstableMark(s.mean) : '0 % of runs') : '–';
          return meanCi(s);
        }),
      ]),
    );
    t.classList.add('agents-table');
    t.dataset.policy = p.policy;
    return t;
  });
  return el(
    'section',
    { class: 'agents-panel', 'aria-label': 'per-agent results' },
    el('h5', {}, `Per agent, cell ${cell.cell}`),
    el('form', { class: 'params' }, el('label', {}, 'agent metric', control)),
    chart,
    ...tables,
  );
}

/** The cell-in-detail block: the policies' statistics, verdicts and per-agent panel (the round-robin note is under the cell table, just above). */
export function cellDetail(
  table: SummaryTable,
  perAgent: boolean,
  cell: CellSummary,
  metric: string,
  label: string,
  agentMetric: AgentMetric,
  onAgentMetric: (m: AgentMetric) => void,
): HTMLElement {
  const warnings = cell.warnings ?? [];
  return el(
    'section',
    { class: 'cell-detail', 'data-cell': cell.cell, 'aria-label': `cell ${cell.cell} in detail` },
    el('h4', {}, `Cell ${cell.cell} in detail: ${label}, ${cell.fleetRuns.toLocaleString('en')} fleet runs`),
    ...warnings.map((w) => el('p', { class: 'cell-warning' }, w)),
    policyTable(table, cell, metric),
    verdictList(cell),
    agentPanel(table, perAgent, cell, agentMetric, onAgentMetric),
  );
}
