/**
 * The data of the four panels of the paper's Figure 2, as uPlot's columnar arrays (data[0] is x), and
 * the check that ties the per-step series (CPU engine) to the totals the page's engine returned.
 * Pure: no DOM, so Node tests can run it.
 */
import type { RunSeries } from '../../src/cpu/engine.js';
import { PHASE } from '../../src/model/lifecycle.js';
import type { AgentSummary, RunTotals } from '../../src/model/metrics.js';

type Column = (number | null)[];
/** x, then one column per series (uPlot's AlignedData). */
export type Columns = [x: number[], ...series: Column[]];

/**
 * Panels (a) and (b): one point per agent (x = its index) and policy (one series per policy, in
 * PAPER_POLICIES order): the agent's mean latency (s) or its served requests per second.
 */
export function perAgentData(perPolicy: readonly (readonly AgentSummary[])[], metric: 'latency' | 'throughput'): Columns {
  const agents = perPolicy[0]?.length ?? 0;
  return [Array.from({ length: agents }, (_, i) => i), ...perPolicy.map((agentsOf) => agentsOf.map((a) => a[metric]))];
}

/**
 * Each agent's value of one per-step series (agent-major) at each step; x is the step's start, t·Δt
 * seconds. NaN (a step that records no latency: a COLD agent with nothing queued) is a gap (null).
 */
function perStepData(values: Float64Array, steps: number, agents: number, dt: number): Columns {
  const x = Array.from({ length: steps }, (_, t) => t * dt);
  const columns = Array.from({ length: agents }, (_, i) =>
    Array.from(values.subarray(i * steps, (i + 1) * steps), (v) => (Number.isNaN(v) ? null : v)),
  );
  return [x, ...columns];
}

/** Panel (c): each agent's share g (GPUs) at each step of one run; x is the step's start, t·Δt seconds. */
export function allocationData(series: RunSeries, dt: number): Columns {
  return perStepData(series.share, series.steps, series.agents, dt);
}

/** Each agent's queue Q after each step of one run (work; requests with deterministic work). */
export function queueData(series: RunSeries, dt: number): Columns {
  return perStepData(series.queue, series.steps, series.agents, dt);
}

/** Each agent's latency ℓ recorded at each step of one run (seconds; L_max at a step without GPU; a gap where none is recorded). */
export function latencyData(series: RunSeries, dt: number): Columns {
  return perStepData(series.latency, series.steps, series.agents, dt);
}

/**
 * Each agent's offered load under one policy: its nominal rate over the rate its mean GPU share
 * serves, λ_i/(T_i·ḡ_i) (ḡ over the run's recorded steps). At 1 or above its queue grows for the
 * whole run, so its latency depends on the run's length. 0 for an agent without arrivals, ∞ for one
 * with arrivals that got no GPU.
 */
export function agentLoads(agents: readonly { T: number; lambda: number }[], perAgent: readonly Pick<AgentSummary, 'share'>[]): number[] {
  return agents.map((a, i) => {
    if (a.lambda === 0) return 0;
    const capacity = a.T * perAgent[i]!.share;
    return capacity > 0 ? a.lambda / capacity : Infinity;
  });
}

/** The arrivals panel: each agent's requests arrived in each step (the same under every policy). */
export function arrivalData(series: RunSeries, dt: number): Columns {
  return perStepData(series.arrivals, series.steps, series.agents, dt);
}

/**
 * Agent i's index of dispersion over windows of w recorded steps (t ≥ warmup), from its per-step
 * arrivals, as the engines define it (indexOfDispersion in src/model/metrics.ts): the unbiased
 * variance over the mean of its counts in its complete windows. NaN with fewer than two complete
 * windows or no arrivals.
 */
export function agentIdc(series: RunSeries, i: number, w: number, warmup = 0): number {
  const windows = Math.floor((series.steps - warmup) / w);
  if (windows < 2) return NaN;
  let sum = 0;
  let sq = 0;
  for (let k = 0; k < windows; k++) {
    let count = 0;
    const start = i * series.steps + warmup + k * w;
    for (let t = start; t < start + w; t++) count += series.arrivals[t]!;
    sum += count;
    sq += count * count;
  }
  const mean = sum / windows;
  return mean > 0 ? Math.max(0, (sq - windows * mean * mean) / (windows - 1)) / mean : NaN;
}

/**
 * Panel (d): each agent's latency (s) against its throughput (requests/s), one series per policy.
 * uPlot wants one ascending x for all series, so the points are sorted by throughput and each series
 * is null where the point belongs to another policy.
 */
export function scatterData(perPolicy: readonly (readonly AgentSummary[])[]): Columns {
  const points = perPolicy.flatMap((agents, k) => agents.map((a) => ({ k, x: a.throughput, y: a.latency })));
  points.sort((a, b) => a.x - b.x);
  return [points.map((p) => p.x), ...perPolicy.map((_, k) => points.map((p) => (p.k === k ? p.y : null)))];
}

/**
 * The largest relative gap, over the agents of run r, between the series summed over the recorded
 * steps (t ≥ warmup) and an engine's totals: Σℓ, Σserved, Σg, ΣQ, the final queue, the arrivals and
 * of a workflow (MODEL-PART4 §4.6) the routed arrivals, the requests sent on and the fork-join's
 * outstanding parents; with the serverless lifecycle (`lifecycle`, MODEL-PART4 §4.3–4.4) also the
 * steps whose latency was recorded (the series' NaN are the others), LOADING and resident steps per
 * agent, and the MB in use summed over the steps. Relative to max(|total|, 1), so totals near zero
 * compare absolutely. 0 means the series is that engine's run.
 */
export function seriesGap(series: RunSeries, totals: RunTotals, r: number, warmup = 0, lifecycle = false): number {
  const { steps, agents } = series;
  let gap = 0;
  const compare = (got: number, want: number): void => {
    gap = Math.max(gap, Math.abs(got - want) / Math.max(Math.abs(want), 1));
  };
  let forkTotal = 0; // forkSum is kept by the fork agent, 0 on the others
  for (let i = 0; i < agents; i++) {
    const j = totals.agentOffset[r]! + i;
    let latency = 0;
    let served = 0;
    let share = 0;
    let queue = 0;
    let arrived = 0;
    let routed = 0;
    let inFlight = 0;
    let recorded = 0;
    let loading = 0;
    let resident = 0;
    for (let t = warmup; t < steps; t++) {
      const k = i * steps + t;
      const l = series.latency[k]!;
      if (!Number.isNaN(l)) {
        latency += l;
        recorded++;
      }
      if (series.phase[k] === PHASE.loading) loading++;
      if (series.phase[k] !== PHASE.cold) resident++;
      served += series.served[k]!;
      share += series.share[k]!;
      queue += series.queue[k]!;
      arrived += series.arrivals[k]!;
      routed += series.routed[k]!;
      inFlight += series.inFlight[k]!;
    }
    compare(latency, totals.latencySum[j]!);
    compare(served, totals.servedSum[j]!);
    compare(share, totals.shareSum[j]!);
    compare(queue, totals.queueSum[j]!);
    compare(series.queue[i * steps + steps - 1]!, totals.finalQueue[j]!);
    compare(arrived, totals.arrivedSum[j]!);
    compare(routed, totals.routedSum[j]!);
    compare(inFlight, totals.inFlightSum[j]!);
    if (lifecycle) {
      compare(recorded, totals.latencyStepSum[j]!);
      compare(loading, totals.loadStepSum[j]!);
      compare(resident, totals.residentStepSum[j]!);
    }
    forkTotal += totals.forkSum[j]!;
  }
  if (lifecycle) {
    let memory = 0;
    for (let t = warmup; t < steps; t++) memory += series.memory[t]!;
    compare(memory, totals.memorySum[totals.agentOffset[r]!]!);
  }
  let forkParents = 0;
  for (let t = warmup; t < steps; t++) forkParents += series.forkParents[t]!;
  compare(forkParents, forkTotal);
  return gap;
}
