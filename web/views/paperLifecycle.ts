/**
 * What the Paper view shows of the serverless lifecycle (MODEL-PART4 §4.3–4.4, src/model/lifecycle.ts):
 * each agent's COLD / LOADING / WARM timeline over one run (from the CPU series' `phase`), the GPU
 * memory in use per step (series `memory`), the lifecycle's run metrics per policy with the cost split
 * (the capacity allocated against the time resident), and each agent's cold starts, load, resident
 * and idle-warm time from the engine's totals. Pure: no DOM, so Node tests can run it.
 *
 * @example
 *   const rows = timelineRows(series);            // per agent, its phases as runs of steps
 *   const gb = memoryData(series, batch.config.dt); // x seconds, GB in use
 */
import type { BatchResult, RunMetric, RunTotals } from '../../src/model/metrics.js';
import { RUN_METRIC_INFO } from '../../src/model/metrics.js';
import { LIFECYCLE_METRICS, MB_PER_GB, PHASES, type Phase } from '../../src/model/lifecycle.js';
import type { Columns } from './paperFigures.js';

/** The lifecycle's part of a run's per-step series (src/cpu/engine.ts RunSeries). */
export interface LifecycleSeries {
  steps: number;
  agents: number;
  /** Agent-major [i·steps + t]: the PHASE id during the step's processing. */
  phase: ArrayLike<number>;
  /** Per step: MB in use after the step's admissions. */
  memory: ArrayLike<number>;
}

/** Steps [start, end) of one agent in one phase (a binned row: the phase holding most of the bins' steps). */
export interface PhaseSegment {
  start: number;
  end: number;
  phase: Phase;
}

export interface TimelineRow {
  segments: PhaseSegment[];
  /** Steps in each phase, exact (not binned): COLD, LOADING, WARM. */
  steps: Record<Phase, number>;
}

export interface Timeline {
  rows: TimelineRow[];
  /** Steps per bin: 1 when every change of phase is drawn, else the rows are binned (too many changes to draw). */
  bin: number;
}

/** The most segments the timeline draws over all agents before it bins the steps (an SVG rect each). */
export const MAX_TIMELINE_SEGMENTS = 4000;
/** The bins a binned row has at most: about a pixel each at the figure's width. */
export const TIMELINE_BINS = 900;

/** Runs of equal values in `phase` (one agent's steps), each at least one step. */
function runs(phase: ArrayLike<number>, from: number, steps: number): PhaseSegment[] {
  const out: PhaseSegment[] = [];
  for (let t = 0; t < steps; t++) {
    const p = PHASES[phase[from + t]!]!;
    const last = out[out.length - 1];
    if (last && last.phase === p) last.end = t + 1;
    else out.push({ start: t, end: t + 1, phase: p });
  }
  return out;
}

/**
 * Each agent's phases over the run as segments of steps, with its exact steps per phase. When the
 * agents change phase more than `maxSegments` times in all, each row is cut into `bins` bins of equal
 * steps, each drawn in the phase that holds most of its steps (ties: the colder phase, so a short load
 * stays visible), and runs of equal bins merge.
 */
export function timelineRows(series: LifecycleSeries, maxSegments = MAX_TIMELINE_SEGMENTS, bins = TIMELINE_BINS): Timeline {
  const { steps, agents, phase } = series;
  const exact = Array.from({ length: agents }, (_, i) => runs(phase, i * steps, steps));
  const counts = exact.map((segments) => {
    const c: Record<Phase, number> = { cold: 0, loading: 0, warm: 0 };
    for (const s of segments) c[s.phase] += s.end - s.start;
    return c;
  });
  const total = exact.reduce((n, s) => n + s.length, 0);
  if (total <= maxSegments) return { rows: exact.map((segments, i) => ({ segments, steps: counts[i]! })), bin: 1 };
  const bin = Math.ceil(steps / bins);
  const rows = exact.map((_, i) => {
    const segments: PhaseSegment[] = [];
    for (let start = 0; start < steps; start += bin) {
      const end = Math.min(steps, start + bin);
      const n = [0, 0, 0];
      for (let t = start; t < end; t++) n[phase[i * steps + t]!]!++;
      let best = 0;
      for (let p = 1; p < 3; p++) if (n[p]! > n[best]!) best = p;
      const p = PHASES[best]!;
      const last = segments[segments.length - 1];
      if (last && last.phase === p) last.end = end;
      else segments.push({ start, end, phase: p });
    }
    return { segments, steps: counts[i]! };
  });
  return { rows, bin };
}

/** The GPU memory in use after each step's admissions, GB (x: the step's start, t·Δt seconds). */
export function memoryData(series: LifecycleSeries, dt: number, capacityGB?: number): Columns {
  const x = Array.from({ length: series.steps }, (_, t) => t * dt);
  const used = Array.from({ length: series.steps }, (_, t) => series.memory[t]! / MB_PER_GB);
  return capacityGB === undefined ? [x, used] : [x, used, x.map(() => capacityGB)];
}

/** One agent's lifecycle in one run, from the engine's totals (recorded steps). */
export interface AgentLifecycle {
  coldStarts: number;
  /** Requests that arrived while it was COLD or LOADING, over all its arrivals (NaN: none arrived). */
  coldHitFraction: number;
  /** The load time left when a request arrived, averaged over all its requests, seconds (NaN: none arrived). */
  coldDelay: number;
  loadSeconds: number;
  residentSeconds: number;
  idleWarmSeconds: number;
  evictions: number;
  /** Seconds COLD with work, not admitted (waiting for the load slot or for memory). */
  waitSeconds: number;
}

/** Agent i of run r: its lifecycle totals as counts and seconds (§4.3's per-agent metrics). */
export function agentLifecycle(totals: RunTotals, r: number, i: number, dt: number): AgentLifecycle {
  const j = totals.agentOffset[r]! + i;
  const arrived = totals.arrivedSum[j]!;
  return {
    coldStarts: totals.coldStartSum[j]!,
    coldHitFraction: arrived > 0 ? totals.coldHitSum[j]! / arrived : NaN,
    coldDelay: arrived > 0 ? totals.coldDelaySum[j]! / arrived : NaN,
    loadSeconds: totals.loadStepSum[j]! * dt,
    residentSeconds: totals.residentStepSum[j]! * dt,
    idleWarmSeconds: totals.idleWarmStepSum[j]! * dt,
    evictions: totals.evictionSum[j]!,
    waitSeconds: totals.waitStepSum[j]! * dt,
  };
}

/** The metrics of the lifecycle table, in its row order: the capacity allocated (`cost`), then RUN_METRIC_INFO's lifecycle block. */
export const LIFECYCLE_TABLE_METRICS: readonly RunMetric[] = ['cost', ...LIFECYCLE_METRICS];

/** Digits a metric of the lifecycle table shows (by its unit). */
export function metricDigits(metric: RunMetric): number {
  const unit = RUN_METRIC_INFO[metric].unit;
  if (unit === '$') return 4;
  if (unit.startsWith('fraction')) return 3;
  if (unit === 'GB' || unit === 's') return 2;
  return 1;
}

/**
 * The lifecycle table: one row per metric (its label and unit), one column per policy run. The memory
 * rows of a run without a memory limit read what they are (memory held by the models resident; no
 * bound: —).
 */
export function lifecycleTable(result: BatchResult, runs: number): { metric: RunMetric; label: string; values: number[] }[] {
  return LIFECYCLE_TABLE_METRICS.map((metric) => {
    const info = RUN_METRIC_INFO[metric];
    const label = metric === 'cost' ? `cost allocated (${info.unit})` : `${info.label} (${info.unit})`;
    return { metric, label, values: Array.from({ length: runs }, (_, r) => result[metric][r]!) };
  });
}
