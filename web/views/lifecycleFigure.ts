/**
 * The Paper view's lifecycle block (MODEL-PART4 §4.3–4.4), shown when the lifecycle is on: the
 * lifecycle's metrics per policy (the capacity allocated beside the cost while resident: the cost
 * split, also as a chart), each agent's cold starts and times in each phase, and — under the time
 * charts' policy — each agent's COLD / LOADING / WARM timeline (an SVG figure) and the GPU memory in
 * use over the run. The figures come from web/views/paperLifecycle.ts; this file only draws them (text
 * nodes only).
 */
import type { Batch } from '../../src/model/batch.js';
import { MB_PER_GB, memoryCapacityMB, type Phase, PHASES } from '../../src/model/lifecycle.js';
import type { BatchResult } from '../../src/model/metrics.js';
import type { PolicyName } from '../../src/model/policies.js';
import { lineChart, policyLabel } from '../lib/charts.js';
import { dataTable, el } from '../lib/dom.js';
import { svg } from '../lib/svg.js';
import {
  agentLifecycle,
  type LifecycleSeries,
  lifecycleTable,
  memoryData,
  metricDigits,
  type Timeline,
  timelineRows,
} from './paperLifecycle.js';

/** The phases' colours: COLD a pale grey-blue (nothing held), LOADING amber, WARM green. */
export const PHASE_COLORS: Readonly<Record<Phase, string>> = { cold: '#c6d3e0', loading: '#f0a020', warm: '#2ca02c' };
const PHASE_WORDS: Readonly<Record<Phase, string>> = {
  cold: 'COLD (scaled to zero)',
  loading: 'LOADING (serves nothing)',
  warm: 'WARM (serving or kept alive)',
};

const number = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : '—');

/** The lifecycle's metrics per policy (rows: metrics; columns: policies) and the cost split chart. */
export function lifecycleBlock(spec: {
  batch: Batch;
  result: BatchResult;
  policies: readonly PolicyName[];
  names: readonly string[];
}): HTMLElement {
  const { batch, result, policies, names } = spec;
  const table = lifecycleTable(result, policies.length);
  const rows = table.map((row) => [row.label, ...row.values.map((v) => number(v, metricDigits(row.metric)))]);
  const metrics = dataTable(
    'The serverless lifecycle per policy: the cost split (the capacity allocated against the time any agent is resident), cold starts and memory (— : undefined, e.g. no memory limit)',
    ['metric', ...policies.map(policyLabel)],
    rows,
  );
  metrics.id = 'lifecycle-metrics';
  metrics.querySelectorAll('tbody tr').forEach((tr, k) => ((tr as HTMLElement).dataset.metric = table[k]!.metric));
  const { dt } = batch.config;
  const agentRows = policies.flatMap((policy, r) =>
    names.map((name, i) => {
      const a = agentLifecycle(result.totals, r, i, dt);
      return [
        `${name}, ${policyLabel(policy)}`,
        a.coldStarts.toFixed(0),
        number(a.coldHitFraction, 3),
        number(a.coldDelay, 2),
        a.loadSeconds.toFixed(0),
        a.residentSeconds.toFixed(0),
        a.idleWarmSeconds.toFixed(0),
        a.evictions.toFixed(0),
        a.waitSeconds.toFixed(0),
      ];
    }),
  );
  const agents = dataTable(
    'Per agent: its cold starts and its time in each phase (recorded steps)',
    [
      'agent, policy',
      'cold starts',
      'cold-hit fraction',
      'mean cold delay (s)',
      'loading (s)',
      'resident (s)',
      'idle warm (s)',
      'evictions',
      'waiting to load (s)',
    ],
    agentRows,
  );
  agents.id = 'lifecycle-agents';
  const split = lineChart({
    title: 'Cost split by policy: the capacity allocated (Σg) against the time resident (billed while an agent is up)',
    x: { label: 'policy', categories: policies.map(policyLabel) },
    y: { label: 'cost ($)', zero: true },
    series: [
      { label: 'allocated (cost)', color: '#1f77b4', markers: true },
      { label: 'resident (costResident)', color: '#d62728', markers: true },
    ],
    data: [policies.map((_, r) => r), policies.map((_, r) => result.cost[r]!), policies.map((_, r) => result.costResident[r]!)],
    width: 540,
    height: 260,
  });
  split.id = 'cost-split';
  return el(
    'section',
    { class: 'lifecycle-block', id: 'lifecycle' },
    el('h3', {}, 'The serverless lifecycle'),
    metrics,
    el(
      'p',
      { class: 'note', id: 'lifecycle-note' },
      'cost: the GPU share allocated, price × Σg·Δt (the paper’s). costResident: price × Δt × the steps in which any agent is LOADING or WARM, as per-second billing charges while an instance is up. Cold-hit fraction: the requests that arrived while their agent was COLD or LOADING.',
    ),
    agents,
    split,
  );
}

/** Left margin (agent names), row pitch and bar height, the plot's width and the axis below, CSS pixels. */
const NAME_WIDTH = 110;
const ROW = 26;
const BAR = 18;
const PLOT = 860;
const AXIS = 34;

/**
 * Each agent's phases over the run as a timeline: a row per agent, a bar per run of steps in one
 * phase, coloured by phase, with the phases' legend and a time axis (seconds). The SVG's title and each
 * row's say it in words (the seconds in each phase); a binned timeline says its bin.
 */
export function timelineFigure(timeline: Timeline, names: readonly string[], steps: number, dt: number, title: string): HTMLElement {
  const height = names.length * ROW + AXIS;
  const width = NAME_WIDTH + PLOT + 16;
  const scale = PLOT / steps;
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    class: 'phase-timeline',
    'aria-labelledby': 'phase-timeline-title',
  });
  const words = names.map((name, i) => {
    const s = timeline.rows[i]!.steps;
    return `${name}: ${PHASES.map((p) => `${p.toUpperCase()} ${(s[p] * dt).toFixed(0)} s`).join(', ')}`;
  });
  root.append(svg('title', { id: 'phase-timeline-title' }, `${title}. ${words.join('; ')}.`));
  timeline.rows.forEach((row, i) => {
    const y = i * ROW;
    const g = svg('g', { class: 'agent-row', 'data-agent': names[i]! });
    g.append(svg('title', {}, words[i]));
    g.append(svg('text', { x: NAME_WIDTH - 8, y: y + ROW / 2 + 4, 'text-anchor': 'end', class: 'agent-name' }, names[i]));
    for (const segment of row.segments) {
      g.append(
        svg('rect', {
          x: NAME_WIDTH + segment.start * scale,
          y: y + (ROW - BAR) / 2,
          width: Math.max((segment.end - segment.start) * scale, 0.5),
          height: BAR,
          fill: PHASE_COLORS[segment.phase],
          class: `phase ${segment.phase}`,
          'data-start': segment.start,
          'data-end': segment.end,
        }),
      );
    }
    root.append(g);
  });
  // The time axis: about six ticks at round seconds.
  const axisY = names.length * ROW + 4;
  const axis = svg('g', { class: 'time-axis' });
  axis.append(svg('line', { x1: NAME_WIDTH, x2: NAME_WIDTH + PLOT, y1: axisY, y2: axisY, stroke: '#555' }));
  const seconds = steps * dt;
  const raw = seconds / 6;
  const pow = 10 ** Math.floor(Math.log10(raw || 1));
  const tick = [1, 2, 5, 10].map((m) => m * pow).find((m) => m >= raw) ?? raw;
  for (let s = 0; s <= seconds + 1e-9; s += tick) {
    const x = NAME_WIDTH + (s / dt) * scale;
    axis.append(svg('line', { x1: x, x2: x, y1: axisY, y2: axisY + 4, stroke: '#555' }));
    axis.append(svg('text', { x, y: axisY + 16, 'text-anchor': 'middle', class: 'tick' }, String(Number(s.toPrecision(6)))));
  }
  axis.append(svg('text', { x: NAME_WIDTH + PLOT, y: axisY + 29, 'text-anchor': 'end', class: 'axis-label' }, 'time (s)'));
  root.append(axis);
  const legend = el(
    'p',
    { class: 'legend phase-legend' },
    ...PHASES.map((p) => el('span', { class: 'swatch', style: `background:${PHASE_COLORS[p]}`, 'data-phase': p }, PHASE_WORDS[p])),
    timeline.bin > 1
      ? ` Binned: each mark ${timeline.bin} steps, in the phase holding most of them (the seconds in the title are exact).`
      : '',
  );
  const figure = el(
    'figure',
    { class: 'phase-figure', id: 'phase-timeline', 'data-bin': timeline.bin },
    el('figcaption', {}, title),
    legend,
  );
  figure.append(root);
  return figure;
}

/** The timeline and the memory chart of one policy's run (the time charts' policy). */
export function lifecycleTime(series: LifecycleSeries, batch: Batch, names: readonly string[], policy: PolicyName): HTMLElement[] {
  const { dt } = batch.config;
  const timeline = timelineFigure(timelineRows(series), names, series.steps, dt, `Each agent’s phase over the run: ${policyLabel(policy)}`);
  const memory = batch.config.lifecycle?.memory;
  // Several GPUs: the memory of all of them, against their usable memory together (each GPU's: web/views/gpusFigure.ts).
  const gpus = batch.fleets.gpuCount[0]!;
  const capacity = memory === undefined ? undefined : (gpus * memoryCapacityMB(memory)) / MB_PER_GB;
  const chart = lineChart({
    title: `GPU memory in use after each step’s admissions${gpus > 1 ? `, all ${gpus} GPUs` : ''}: ${policyLabel(policy)}${capacity === undefined ? ' (no memory limit)' : ''}`,
    x: { label: 'time (s)' },
    y: { label: 'memory in use (GB)', zero: true },
    series: [
      { label: 'in use', color: '#1f77b4', stepped: true },
      ...(capacity === undefined
        ? []
        : [{ label: gpus > 1 ? `usable, ${gpus} GPUs (${capacity} GB)` : `usable (${capacity} GB)`, color: '#d62728', dash: [6, 4] }]),
    ],
    data: memoryData(series, dt, capacity),
    width: 540,
    height: 300,
  });
  chart.id = 'time-memory';
  return [timeline, chart];
}
