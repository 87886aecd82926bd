/**
 * The GPU-against-CPU tolerances, in one place for both simulate kernels. Their derivation is in the
 * header of test/gpu-vs-cpu.test.ts (the narrow kernel, fleets of up to 64 agents); test/gpu-wide.test.ts
 * says why the same bounds hold for the wide kernel's tree-ordered sums on fleets of up to 4,096.
 */
import type { MetricTolerances, Tolerance } from './compare.js';

/** Arrival-count divergences per draw (threshold cases of GPU transcendentals or FMA). */
export const MAX_DIVERGENCE_RATE = 1e-5;
export const LATENCY_TOL: Tolerance = { abs: 2e-3, rel: 2e-4 };
export const FLOW_TOL: Tolerance = { abs: 1e-6, rel: 1e-5 };
export const SYSTEM_TOL: Tolerance = { abs: 1e-2, rel: 2e-4 };
/**
 * The index of dispersion (Σ Var / Σ mean over windows): the GPU sums each window and squares it in
 * f32 and keeps Kahan pairs of the sums, the CPU works in f64. With counts the squares are exact below
 * 4,096 and the error stays near 1e-7 relative. With deterministic (fractional) arrivals on rate
 * schedules, the variance is small against the squared mean: w² in f32 is off by 6e-8 relative, and
 * the cancellation Σw² − W·w̄² turns it into a relative IDC error of about 6e-8 · w̄ / IDC (w̄ the mean
 * window count), up to 1 % for 100-step windows of a few thousand requests at IDC ≈ 0.3 (measured:
 * 0.67 % at most on the test tables).
 */
export const DISPERSION_TOL: Tolerance = { abs: 1e-3, rel: 1e-2 };
/** Batch aggregates: the mean of each metric per policy, relative. */
export const AGGREGATE_REL = 1e-4;

/** The aggregates' relative tolerance of a metric: AGGREGATE_REL, or the dispersion's for an IDC. */
export function aggregateRel(metric: string): number {
  return metric.startsWith('idc') ? DISPERSION_TOL.rel : AGGREGATE_REL;
}

export const RUN_TOLERANCES: MetricTolerances = { latency: LATENCY_TOL, flow: FLOW_TOL, system: SYSTEM_TOL, dispersion: DISPERSION_TOL };
