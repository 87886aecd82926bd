/**
 * The stability diagnosis of docs/STABILITY.md, per agent-run, from the raw totals both engines
 * return (src/model/metrics.ts): the agent's offered load against the share the policy gave it, and a
 * queue-growth test over the recorded steps. When an agent's load exceeds its share its queue grows
 * for the whole run, and every latency mean grows with the run's length: a tight confidence interval
 * then says nothing about a longer run.
 *
 * The growth test compares the mean queue of the recorded steps' two halves (queueSum − queueLateSum
 * over the first ⌊S'/2⌋ steps, queueLateSum over the rest): their difference over (S'/2)·Δt seconds is
 * the drift d, in requests per second, exact for a queue growing linearly. The agent is unstable when
 * d exceeds GROWTH_FRACTION of its realized arrival rate λ̂ by Z standard errors of a critically loaded
 * queue's d (a random walk with the arrivals' Poisson noise), and its half means differ by at least
 * MIN_GROWTH requests.
 *
 * In a workflow (MODEL-PART4 §4.6) the loads count every arrival, routed ones included (arrivedSum):
 * λ̂ is then the realized visit rate γ̂_i, whose mean is the traffic equations' γ_i (PackedFleets.demand),
 * the offered load an agent's share must carry; its external rate alone would hide the load its
 * predecessors send it. The growth test's noise term keeps the Poisson variance of the arrivals, an
 * approximation for routed arrivals (whose counts are thinned and merged completions, not Poisson
 * in general), which only moves the threshold's small noise term.
 *
 * @example
 *   const { load, drift, unstable } = agentStability(batch, result.totals, r, i);
 */
import type { Batch } from './batch.js';
import type { RunTotals } from './metrics.js';

/** S' = steps − warmup (metrics.ts recordedSteps; repeated here so that metrics.ts can import this file). */
const recordedSteps = (config: Batch['config']): number => config.steps - (config.warmup ?? 0);

/**
 * The growth, as a fraction of the realized arrival rate, below which a queue is not flagged however
 * long the run: an agent at load ρ > 1 grows at λ(1 − 1/ρ), so loads above 1/(1 − 0.01) ≈ 1.0101 are
 * flagged once the run is long enough for the noise term to fall below the growth.
 */
export const GROWTH_FRACTION = 0.01;
/**
 * Standard errors of the drift of a critically loaded queue that the growth must exceed: the false
 * alarm rate of a queue at load 1 is then about P(N(0.54, 1) > 3) ≈ 0.7 % (docs/STABILITY.md).
 */
export const GROWTH_Z = 3;
/**
 * The smallest rise of the mean queue from the first half to the second, requests. The noise term
 * alone asks a rise of GROWTH_Z·√(N/3) ≥ 1.7 requests once there is an arrival (N arrivals recorded);
 * this guards the case without any, where rounding on a queue that neither grows nor drains (a
 * backlog the agent is not served) gives a drift just above the threshold 0.
 */
export const MIN_GROWTH = 0.5;
/** Runs with fewer recorded steps are not tested (their `unstable` is NaN): each half needs some steps to have a mean. */
export const MIN_TEST_STEPS = 20;

export interface AgentStability {
  /** λ̂/(T·ḡ): realized arrivals per second (routed ones included: γ̂) over the agent's mean service rate; Infinity when ḡ = 0 < λ̂, 0 without arrivals. */
  load: number;
  /** (mean₂ − mean₁)/((S'/2)·Δt): the growth of the queue, requests/s; NaN when the run is too short to test. */
  drift: number;
  /** The drift exceeds the threshold (always false when the run is too short to test: check stabilityTested). */
  unstable: boolean;
}

/** Whether runs of `batch` have enough recorded steps for the growth test (MIN_TEST_STEPS). */
export function stabilityTested(batch: Pick<Batch, 'config'>): boolean {
  return recordedSteps(batch.config) >= MIN_TEST_STEPS;
}

/**
 * The drift threshold for an agent with realized arrival rate `rate` (requests/s) over `seconds`
 * recorded: GROWTH_FRACTION·λ̂ + GROWTH_Z·σ_d, where σ_d = √(4·v·λ̂/(3·S'Δt)) is the standard error
 * of d for a random walk whose increments have the variance v·λ̂·Δt of Poisson arrivals (v = E[w²], the
 * work per request's second moment: 1 deterministic, 2 exponential).
 */
export function driftThreshold(rate: number, seconds: number, workMoment2: number): number {
  return GROWTH_FRACTION * rate + GROWTH_Z * Math.sqrt((4 * workMoment2 * rate) / (3 * seconds));
}

/** The drift d = (mean₂ − mean₁)/((S'/2)·Δt) of a queue from Σ Q over the S' recorded steps and over their second half. */
export function queueDrift(queueSum: number, queueLateSum: number, recorded: number, dt: number): number {
  const first = Math.floor(recorded / 2);
  const second = recorded - first;
  return (queueLateSum / second - (queueSum - queueLateSum) / first) / ((recorded / 2) * dt);
}

/** Load, drift and the growth test of agent i of run r (its totals at totals.agentOffset[r] + i). */
export function agentStability(batch: Batch, totals: RunTotals, r: number, i: number): AgentStability {
  const { config, fleets, runs } = batch;
  const S = recordedSteps(config);
  const seconds = S * config.dt;
  const j = totals.agentOffset[r]! + i;
  const T = fleets.T[fleets.agentOffset[runs.fleet[r]!]! + i]!;
  const rate = totals.arrivedSum[j]! / seconds;
  const service = (T * totals.shareSum[j]!) / S; // T·ḡ, requests/s
  const load = rate > 0 ? (service > 0 ? rate / service : Infinity) : 0;
  if (!stabilityTested(batch)) return { load, drift: NaN, unstable: false };
  const drift = queueDrift(totals.queueSum[j]!, totals.queueLateSum[j]!, S, config.dt);
  const rise = (drift * seconds) / 2; // mean₂ − mean₁, requests
  const workMoment2 = config.work === 'exponential' || config.work === 'exponentialCount' ? 2 : 1;
  const unstable = rise >= MIN_GROWTH && drift > driftThreshold(rate, seconds, workMoment2);
  return { load, drift, unstable };
}

/**
 * The run metrics of run r: `unstable` 1 when any agent is flagged, else 0 (NaN when the run is too
 * short to test); `maxLoad` the largest agent load (NaN when an agent had arrivals and no share at all:
 * its load is infinite, and the statistics take finite values only).
 */
export function runStability(batch: Batch, totals: RunTotals, r: number): { unstable: number; maxLoad: number } {
  let unstable = 0;
  let maxLoad = 0;
  for (let i = 0; i < totals.agentCount[r]!; i++) {
    const a = agentStability(batch, totals, r, i);
    if (a.unstable) unstable = 1;
    maxLoad = Math.max(maxLoad, a.load);
  }
  return { unstable: stabilityTested(batch) ? unstable : NaN, maxLoad: Number.isFinite(maxLoad) ? maxLoad : NaN };
}
