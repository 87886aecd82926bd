/**
 * The queueing-theory runs of docs/QUEUEING.md, shared by test/queueing.test.ts, bench/queueing.ts
 * and the docs check (scripts/docs/queueing.ts): one agent, Poisson arrivals at λ = ρ, the whole GPU
 * (static policy), T = μ = 1 request/s, so a single-server queue with service time 1 s.
 */
import { crossRuns, makeBatch, packFleets, type WorkMode } from '../src/model/batch.js';
import { summarize, type BatchResult } from '../src/model/metrics.js';
import { POLICY } from '../src/model/policies.js';
import type { Engine } from '../src/platform/engine.js';

export interface QueueCase {
  work: WorkMode;
  rho: number;
  dt: number; // seconds (service time 1 s)
  warm: number; // seconds simulated before recording
  record: number; // seconds recorded per replicate
  replicates: number;
}

/** The test suite's cases (seed 2026). */
export const SUITE_SEED = 2026;
export const SUITE_CASES: QueueCase[] = [
  { work: 'deterministic', rho: 0.3, dt: 0.005, warm: 20, record: 530, replicates: 512 },
  { work: 'deterministic', rho: 0.5, dt: 0.005, warm: 50, record: 660, replicates: 512 },
  { work: 'deterministic', rho: 0.7, dt: 0.005, warm: 200, record: 1300, replicates: 512 },
  { work: 'deterministic', rho: 0.9, dt: 0.02, warm: 1000, record: 6250, replicates: 512 },
  { work: 'exponential', rho: 0.3, dt: 0.01, warm: 20, record: 1000, replicates: 512 },
  { work: 'exponential', rho: 0.5, dt: 0.01, warm: 50, record: 1000, replicates: 512 },
  { work: 'exponential', rho: 0.7, dt: 0.01, warm: 200, record: 2000, replicates: 512 },
  { work: 'exponential', rho: 0.9, dt: 0.04, warm: 2000, record: 12000, replicates: 512 },
];

/** The error-against-Δt tables (bench/queueing.ts, seed 7): Δt values and sizes per ρ. */
export const DT_SEED = 7;
export const DT_VALUES = [0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005];
export const DT_SIZES: Record<number, { warm: number; record: number; replicates: number }> = {
  0.3: { warm: 20, record: 300, replicates: 512 },
  0.5: { warm: 50, record: 400, replicates: 512 },
  0.7: { warm: 200, record: 800, replicates: 512 },
  0.9: { warm: 1000, record: 4000, replicates: 256 },
};

/** E[S²] / E[S]² of the work per request: the squared coefficient of variation plus one. */
export const secondMoment = (work: WorkMode): number => (work === 'exponential' ? 2 : 1);
/** Pollaczek–Khinchine mean wait in queue W_q (service time 1 s). */
export const pkWait = (work: WorkMode, rho: number): number => (rho * secondMoment(work)) / (2 * (1 - rho));

export function meanAndSe(xs: ArrayLike<number>): { mean: number; se: number } {
  let mean = 0;
  for (let i = 0; i < xs.length; i++) mean += xs[i]!;
  mean /= xs.length;
  let ss = 0;
  for (let i = 0; i < xs.length; i++) ss += (xs[i]! - mean) ** 2;
  return { mean, se: Math.sqrt(ss / (xs.length - 1) / xs.length) };
}

/** Runs one case's replicates on `engine`: per replicate, avgLatency, arrived, meanInSystem, …. */
export async function runQueueCase(engine: Pick<Engine, 'run'>, c: QueueCase, seed: number): Promise<BatchResult> {
  const steps = Math.round((c.warm + c.record) / c.dt);
  const batch = makeBatch(packFleets([{ agents: [{ T: 1, R: 0, P: 1, lambda: c.rho }] }]), crossRuns(1, [POLICY.static], c.replicates), {
    dt: c.dt,
    steps,
    warmup: Math.round(c.warm / c.dt),
    lmax: 999,
    price: 0,
    arrivals: 'poisson',
    work: c.work,
    seed,
  });
  return summarize(batch, await engine.run(batch));
}
