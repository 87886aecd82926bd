/**
 * The Paper view's GPU block (MODEL-PART4 §4.5), shown with more than one GPU: by placement, each GPU's
 * agents and utilisation per policy with the imbalance (max/mean), and with the lifecycle each GPU's
 * peak memory; in a pool, the pool's utilisation and each GPU's peak memory. Under the time charts'
 * policy: each GPU's utilisation (placement; a pool's as a whole) and, with the lifecycle, each GPU's
 * memory in use over the run. The figures come from web/views/paperGpus.ts; this file only draws them.
 */
import type { Batch } from '../../src/model/batch.js';
import { MB_PER_GB, memoryCapacityMB } from '../../src/model/lifecycle.js';
import type { BatchResult } from '../../src/model/metrics.js';
import type { PolicyName } from '../../src/model/policies.js';
import { lineChart, policyLabel } from '../lib/charts.js';
import { dataTable, el } from '../lib/dom.js';
import {
  agentsByGpu,
  gpuLayout,
  gpuMemoryData,
  gpuPeakMemory,
  type GpuSeries,
  gpuUtilizationData,
  poolUtilizationData,
  runGpuUtilizations,
  runPoolUtilization,
} from './paperGpus.js';

/** One colour per GPU (at most MAX_GPUS = 8). */
export const GPU_COLORS: readonly string[] = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** Digits of a utilisation (a busy fraction): four, so that a lightly loaded GPU still shows its share. */
const UTIL_DIGITS = 4;

const number = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : '—');

/** The card's usable memory per GPU, GB (undefined: no memory limit). */
function cardGB(batch: Batch): number | undefined {
  const memory = batch.config.lifecycle?.memory;
  return memory === undefined ? undefined : memoryCapacityMB(memory) / MB_PER_GB;
}

/** The GPU block of the tables (with more than one GPU). */
export function gpuBlock(spec: {
  batch: Batch;
  result: BatchResult;
  policies: readonly PolicyName[];
  names: readonly string[];
  series: readonly GpuSeries[];
}): HTMLElement {
  const { batch, result, policies, names, series } = spec;
  const layout = gpuLayout(batch);
  const { dt } = batch.config;
  const lifecycle = batch.config.lifecycle !== undefined;
  const rows: { key: string; cells: string[] }[] = [];
  if (layout.pool) {
    rows.push({
      key: 'pool',
      cells: [
        `pool of ${layout.gpus} GPUs: utilisation`,
        'every agent',
        ...policies.map((_, r) => number(runPoolUtilization(batch, result.totals, r), UTIL_DIGITS)),
      ],
    });
  } else {
    const on = agentsByGpu(layout);
    const util = policies.map((_, r) => runGpuUtilizations(batch, result.totals, r));
    for (let k = 0; k < layout.gpus; k++)
      rows.push({
        key: `util${k}`,
        cells: [
          `GPU ${k}: utilisation`,
          on[k]!.map((i) => names[i]!).join(', ') || '(none)',
          ...util.map((u) => number(u[k]!, UTIL_DIGITS)),
        ],
      });
    rows.push({
      key: 'imbalance',
      cells: ['imbalance (max/mean utilisation)', '', ...policies.map((_, r) => number(result.gpuImbalance[r]!, 3))],
    });
  }
  if (lifecycle) {
    const peaks = series.map((s) => gpuPeakMemory(gpuMemoryData(s, dt), layout.gpus));
    for (let k = 0; k < layout.gpus; k++)
      rows.push({ key: `memory${k}`, cells: [`GPU ${k}: peak memory (GB)`, '', ...peaks.map((p) => number(p[k]!, 2))] });
  }
  const table = dataTable(
    layout.pool
      ? `The pool of ${layout.gpus} GPUs per policy: its utilisation (its compute is not per GPU) and each GPU’s peak memory`
      : `The ${layout.gpus} GPUs per policy (placement): each GPU’s agents and utilisation (its agents’ busy fraction), the imbalance, and each GPU’s peak memory`,
    ['GPU', layout.pool ? 'agents' : 'agents placed (LPT)', ...policies.map(policyLabel)],
    rows.map((row) => row.cells),
  );
  table.id = 'gpu-table';
  table.querySelectorAll('tbody tr').forEach((tr, k) => ((tr as HTMLElement).dataset.row = rows[k]!.key));
  const card = cardGB(batch);
  return el(
    'section',
    { class: 'gpu-block', id: 'gpus', 'data-gpus': layout.gpus, 'data-mode': layout.pool ? 'pool' : 'placement' },
    el('h3', {}, layout.pool ? `One pool of ${layout.gpus} GPUs` : `${layout.gpus} GPUs by placement`),
    table,
    el(
      'p',
      { class: 'note', id: 'gpu-note' },
      layout.pool
        ? `One allocator shares the pool’s ${layout.gpus} GPUs among all agents, each agent capped at one GPU; utilisation is Σ served/(T·Δt) over the ${layout.gpus} GPUs. Each GPU holds the models loaded on it${card === undefined ? '' : ` (${card} GB usable each)`}; a load goes to the GPU with the most free memory.`
        : `Each GPU runs the policy over its own agents with one GPU of capacity${card === undefined ? '' : ` and ${card} GB usable`}. Utilisation: Σ served/(T·Δt) of a GPU’s agents over the recorded steps; imbalance: the highest GPU’s over the mean.`,
    ),
  );
}

/** Each GPU's utilisation and (with the lifecycle) memory over the run of one policy (the time charts'). */
export function gpuTime(series: GpuSeries, batch: Batch, names: readonly string[], policy: PolicyName): HTMLElement[] {
  const layout = gpuLayout(batch);
  const { dt } = batch.config;
  const a0 = batch.fleets.agentOffset[0]!;
  const T = names.map((_, i) => batch.fleets.T[a0 + i]!);
  const gpuSeries = Array.from({ length: layout.gpus }, (_, k) => ({ label: `GPU ${k}`, color: GPU_COLORS[k]!, stepped: true }));
  const util = lineChart({
    title: layout.pool
      ? `The pool’s utilisation at each step (its ${layout.gpus} GPUs together): ${policyLabel(policy)}`
      : `Each GPU’s utilisation at each step: ${policyLabel(policy)}`,
    x: { label: 'time (s)' },
    y: { label: 'utilisation (busy fraction)', zero: true },
    series: layout.pool ? [{ label: `pool (${layout.gpus} GPUs)`, color: GPU_COLORS[0]!, stepped: true }] : gpuSeries,
    data: layout.pool ? poolUtilizationData(series, layout, T, dt) : gpuUtilizationData(series, layout, T, dt),
    width: 540,
    height: 300,
  });
  util.id = 'time-gpu-util';
  if (batch.config.lifecycle === undefined) return [util];
  const card = cardGB(batch);
  const memory = lineChart({
    title: `Each GPU’s memory in use after each step’s admissions: ${policyLabel(policy)}${card === undefined ? ' (no memory limit)' : ''}`,
    x: { label: 'time (s)' },
    y: { label: 'memory in use (GB)', zero: true },
    series: [...gpuSeries, ...(card === undefined ? [] : [{ label: `usable per GPU (${card} GB)`, color: '#555', dash: [6, 4] }])],
    data: gpuMemoryData(series, dt, card),
    width: 540,
    height: 300,
  });
  memory.id = 'time-gpu-memory';
  return [util, memory];
}
