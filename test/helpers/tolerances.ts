/**
 * The GPU-against-CPU tolerances, in one place for both simulate kernels. Their derivation is in the
 * header of test/gpu-vs-cpu.test.ts (the narrow kernel, fleets of up to 64 agents); test/gpu-wide.test.ts
 * says why the same bounds hold for the wide kernel's tree-ordered sums on fleets of up to 4,096.
 */
import type { Batch } from '../../src/model/batch.js';
import type { RunTotals, TotalField } from '../../src/model/metrics.js';
import type { MetricTolerances, Tolerance } from './compare.js';

/** Arrival-count divergences per draw (threshold cases of GPU transcendentals or FMA). */
export const MAX_DIVERGENCE_RATE = 1e-5;
export const LATENCY_TOL: Tolerance = { abs: 2e-3, rel: 2e-4 };
export const FLOW_TOL: Tolerance = { abs: 1e-6, rel: 1e-5 };
export const SYSTEM_TOL: Tolerance = { abs: 1e-2, rel: 2e-4 };
/**
 * The mean queue over each half of the recorded steps (from queueSum and queueLateSum, requests): the
 * f32 queue's error is the latency's (≤ S·2^-24 relative over S steps, plus ulp(backlog) near empty
 * queues), so the latency's slack, read in requests: rel 2e-4, abs 2e-3 (ulp of a backlog of 10^4
 * requests is 1e-3).
 */
export const QUEUE_TOL: Tolerance = { abs: 2e-3, rel: 2e-4 };
/**
 * The index of dispersion (Σ Var / Σ mean over windows): both engines keep Welford's running mean and
 * M2 per window length, the GPU in f32 (M2 in a Kahan pair), the CPU in f64. Welford's update is
 * stable (no difference of large squares), so the relative error of the variance is that of f32
 * arithmetic over the run's windows, well below 1e-4; a 0.1 % relative slack, with 1e-3 absolute for
 * IDCs near 0 (deterministic arrivals without a schedule).
 */
export const DISPERSION_TOL: Tolerance = { abs: 1e-3, rel: 1e-3 };
/**
 * Agent-runs whose `unstable` flag may differ (each must lie within the drift's tolerance of its
 * threshold: compareStability): the drift is a difference of two f32-accumulated means, and a flag
 * flips only where it falls within that error of the threshold.
 */
export const MAX_FLIP_RATE = 1e-3;
/** Batch aggregates: the mean of each metric per policy, relative. */
export const AGGREGATE_REL = 1e-4;

/** The aggregates' relative tolerance of a metric: AGGREGATE_REL, or the dispersion's for an IDC. */
export function aggregateRel(metric: string): number {
  return metric.startsWith('idc') ? DISPERSION_TOL.rel : AGGREGATE_REL;
}

export const RUN_TOLERANCES: MetricTolerances = {
  latency: LATENCY_TOL,
  flow: FLOW_TOL,
  system: SYSTEM_TOL,
  dispersion: DISPERSION_TOL,
  queue: QUEUE_TOL,
};

/** GPU = CPU with the lifecycle or several GPUs (test/gpu-lifecycle.test.ts, test/gpu-placement.test.ts): divergent runs allowed per group, as a fraction of its runs (gpu-lifecycle's header says why). */
export const MAX_DIVERGENT_RUNS = 0.05;

/**
 * The run metrics' tolerances with the lifecycle: RUN_TOLERANCES but for latency, 10× looser relative.
 * A LOADING or waiting COLD agent's latency is Q/(T·lastShare) at the share of its last WARM step, held
 * for as long as it stays cold; where that share is a clamp-fill's (maxMinFair, mps) set by a water
 * level with cancellation (G − Σ fixed), its f32 value is up to ~1e-3 off the f64 one, and the error,
 * frozen, weighs on every cold step instead of one (measured: 5e-4 on one agent's mean latency under
 * mps, its run's crossAgentStd 5e-4 off, every whole-number total equal).
 */
export const LIFECYCLE_TOLERANCES: MetricTolerances = { ...RUN_TOLERANCES, latency: { abs: 2e-3, rel: 2e-3 } };

/** Totals that are whole numbers in every lifecycle run (Poisson arrivals: whole requests). */
export const COUNT_FIELDS = [
  'arrivedSum',
  'busySum',
  'violationSum',
  'coldStartSum',
  'coldHitSum',
  'loadStepSum',
  'residentStepSum',
  'idleWarmStepSum',
  'latencyStepSum',
  'evictionSum',
  'waitStepSum',
  'residentRunStepSum',
  'memorySum',
  'memoryBoundStepSum',
  'memoryPeak',
] as const satisfies readonly TotalField[];

/**
 * The runs whose whole-number totals (COUNT_FIELDS; with exponentialCount work also the served and
 * system sums, whole requests) differ between the engines: what MAX_DIVERGENT_RUNS bounds.
 */
export function divergentRuns(batch: Batch, got: RunTotals, cpu: RunTotals): Set<number> {
  const out = new Set<number>();
  const fields = batch.config.work === 'exponentialCount' ? [...COUNT_FIELDS, 'servedSum' as const, 'systemSum' as const] : COUNT_FIELDS;
  for (let r = 0; r < batch.runs.count; r++) {
    const j0 = cpu.agentOffset[r]!;
    for (let j = j0; j < j0 + cpu.agentCount[r]! && !out.has(r); j++) {
      for (const field of fields) if (got[field][j] !== cpu[field][j]) out.add(r);
    }
  }
  return out;
}
