/**
 * The data of the four panels of the paper's Figure 2, as uPlot's columnar arrays (data[0] is x), and
 * the check that ties the per-step series (CPU engine) to the totals the page's engine returned.
 * Pure: no DOM, so Node tests can run it.
 */
import type { RunSeries } from '../../src/cpu/engine.js';
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

/** Panel (c): each agent's share g (GPUs) at each step of one run; x is the step's start, t·Δt seconds. */
export function allocationData(series: RunSeries, dt: number): Columns {
  const { steps, agents, share } = series;
  const x = Array.from({ length: steps }, (_, t) => t * dt);
  const columns = Array.from({ length: agents }, (_, i) => Array.from(share.subarray(i * steps, (i + 1) * steps)));
  return [x, ...columns];
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
 * steps (t ≥ warmup) and an engine's totals: Σℓ, Σserved, Σg, ΣQ and the final queue. Relative to
 * max(|total|, 1), so totals near zero compare absolutely. 0 means the series is that engine's run.
 */
export function seriesGap(series: RunSeries, totals: RunTotals, r: number, warmup = 0): number {
  const { steps, agents } = series;
  let gap = 0;
  const compare = (got: number, want: number): void => {
    gap = Math.max(gap, Math.abs(got - want) / Math.max(Math.abs(want), 1));
  };
  for (let i = 0; i < agents; i++) {
    const j = totals.agentOffset[r]! + i;
    let latency = 0;
    let served = 0;
    let share = 0;
    let queue = 0;
    for (let t = warmup; t < steps; t++) {
      const k = i * steps + t;
      latency += series.latency[k]!;
      served += series.served[k]!;
      share += series.share[k]!;
      queue += series.queue[k]!;
    }
    compare(latency, totals.latencySum[j]!);
    compare(served, totals.servedSum[j]!);
    compare(share, totals.shareSum[j]!);
    compare(queue, totals.queueSum[j]!);
    compare(series.queue[i * steps + steps - 1]!, totals.finalQueue[j]!);
  }
  return gap;
}
