/**
 * Per-run metrics of MODEL.md Part 1, computed on the host (f64) from the raw per-agent totals that
 * either engine returns, so both backends share one definition of every metric.
 *
 * @example
 *   const result = summarize(batch, runBatchCpu(batch)); result.avgLatency[0];
 */
import type { Batch, SimConfig } from './batch.js';
import { runStability } from './stability.js';

/**
 * The raw per-agent totals both engines return, one row each: adding a total is a row here plus the
 * line that accumulates it in each engine (`advance` in src/cpu/engine.ts, `record` in
 * shaders/agentStep.wgsl). RunTotals, allocTotals, the worker pool's shared buffers, the GPU's
 * AgentState struct (src/gpu/layout.ts) and its unpacking all follow from this table. Every sum runs
 * over the recorded steps t = warmup … steps − 1. Q counts work in units of one request's mean work
 * ("requests"; exactly requests when work is deterministic).
 *
 * kind `sum`: Σ_t of a per-step value, a Kahan pair on the GPU (`<name>Sum`, `<name>Comp`).
 * kind `final`: the value of the agent's state field `state` after the last step.
 * `home`: `agent` totals are the run's (AgentState on the GPU, accumulated in `serve`); `arrivals`
 * totals are the fleet replicate's arrival statistics, the same for every run of it (ArrivalState on
 * the GPU, accumulated in `recordArrivals` of shaders/arrivals.wgsl; ArrivalDraws' `record` in
 * src/random/arrivals.ts).
 */
export const TOTALS = [
  { field: 'finalQueue', kind: 'final', home: 'agent', state: 'queue', about: 'Q after the last step, requests' },
  { field: 'latencySum', kind: 'sum', home: 'agent', about: 'Σ_t ℓ_t, seconds' },
  { field: 'servedSum', kind: 'sum', home: 'agent', about: 'Σ_t served_t, requests' },
  { field: 'queueSum', kind: 'sum', home: 'agent', about: 'Σ_t Q_t, requests' },
  {
    field: 'queueLateSum',
    kind: 'sum',
    home: 'agent',
    about: 'Σ_t Q_t over the second half of the recorded steps (t ≥ lateStart(config)), requests',
  },
  { field: 'shareSum', kind: 'sum', home: 'agent', about: 'Σ_t g_t, GPUs' },
  { field: 'arrivedSum', kind: 'sum', home: 'agent', about: 'Σ_t a_t, requests (a count, whatever the work per request)' },
  {
    field: 'systemSum',
    kind: 'sum',
    home: 'agent',
    about: 'Σ_t ⌈Q_t − IN_SYSTEM_SLACK⌉: requests in the system when each carries one unit of work',
  },
  {
    field: 'violationSum',
    kind: 'sum',
    home: 'agent',
    about:
      'Σ_t 1[d_t > 0 ∧ g_t < R·G·(1 − MIN_SHARE_SLACK)]: steps below the minimum share while the agent has demand (λ̂_t > 0 or B_t = Q + a > 0)',
  },
  {
    field: 'busySum',
    kind: 'sum',
    home: 'agent',
    about:
      "Σ_t 1[some agent of the run has B_t = Q + a > 0]: the run's steps with backlog, kept by its agent 0 (0 for the others; workConservationGap)",
  },
  // Arrival statistics for the index of dispersion: per window length w, the running mean of the
  // arrivals per complete w-step window and the sum of squared deviations M2 (Welford's update, which
  // loses no precision to the f32 squares of large counts), so Var = M2/(W − 1).
  { field: 'window1Mean', kind: 'final', home: 'arrivals', state: 'window1Mean', about: 'mean arrivals per recorded step' },
  { field: 'window1M2Sum', kind: 'sum', home: 'arrivals', about: 'Σ of squared deviations of the arrivals per step (Welford)' },
  { field: 'window10Mean', kind: 'final', home: 'arrivals', state: 'window10Mean', about: 'mean arrivals per complete 10-step window' },
  { field: 'window10M2Sum', kind: 'sum', home: 'arrivals', about: 'Σ of squared deviations of the 10-step window counts (Welford)' },
  { field: 'window100Mean', kind: 'final', home: 'arrivals', state: 'window100Mean', about: 'mean arrivals per complete 100-step window' },
  { field: 'window100M2Sum', kind: 'sum', home: 'arrivals', about: 'Σ of squared deviations of the 100-step window counts (Welford)' },
  { field: 'approxStepsSum', kind: 'sum', home: 'arrivals', about: 'steps whose count used an approximation (counted, MODEL-PART4 §4.1)' },
  { field: 'maxArrivals', kind: 'final', home: 'arrivals', state: 'maxArrivals', about: 'the largest arrivals of one recorded step' },
] as const satisfies readonly ({ field: string; about: string; home: 'agent' | 'arrivals' } & (
  { kind: 'sum' } | { kind: 'final'; state: string }
))[];

export type TotalField = (typeof TOTALS)[number]['field'];
export const TOTAL_FIELDS: readonly TotalField[] = TOTALS.map((t) => t.field);

/** Raw totals per agent-run, as both engines return them. Agent-run j of run r is agentOffset[r] + i. */
export type RunTotals = {
  runs: number;
  agentOffset: Uint32Array; // per run
  agentCount: Uint32Array; // per run
} & Record<TotalField, Float64Array>;

/**
 * Work below this is taken as no request at all when counting requests in the system: Q is a float
 * that reaches an integer k (a request has just completed) only up to rounding, and ⌈k + 1e-16⌉ would
 * count the completed request for another step. 2^-10 of one request's work is far above the
 * rounding of either engine (f64 on the CPU, f32 below Q = 2^14 on the GPU). WGSL: IN_SYSTEM_SLACK.
 */
export const IN_SYSTEM_SLACK = 2 ** -10;

/**
 * A share counts as below the minimum R·G (violationSum) only under R·G·(1 − 2^-12): both engines then
 * count the same steps though the GPU's shares are f32 (a policy that gives exactly R, as water-filling
 * does on the paper fleet, lands within f32 rounding of it on either side). WGSL: MIN_SHARE_SLACK.
 */
export const MIN_SHARE_SLACK = 2 ** -12;

/** ⌈Q − IN_SYSTEM_SLACK⌉, at least 0: the requests in the system when each carries one unit of work. */
export function inSystem(queue: number): number {
  return Math.max(0, Math.ceil(queue - IN_SYSTEM_SLACK));
}

/** Steps the totals cover: S' = steps − warmup. */
export function recordedSteps(config: SimConfig): number {
  return config.steps - (config.warmup ?? 0);
}

/**
 * The first step of the recorded steps' second half, warmup + ⌊S'/2⌋: queueLateSum sums Q from here on
 * (src/model/stability.ts compares the two halves' mean queues). WGSL: params.lateStart.
 */
export function lateStart(config: SimConfig): number {
  return (config.warmup ?? 0) + Math.floor(recordedSteps(config) / 2);
}

/** Empty totals for runs of `agentCounts[r]` agents each (all zero), agent-runs back to back. */
export function emptyTotals(agentCounts: ArrayLike<number>): RunTotals {
  const runs = agentCounts.length;
  const agentOffset = new Uint32Array(runs);
  const agentCount = Uint32Array.from(agentCounts);
  let n = 0;
  for (let r = 0; r < runs; r++) {
    agentOffset[r] = n;
    n += agentCount[r]!;
  }
  const totals = { runs, agentOffset, agentCount } as RunTotals;
  for (const field of TOTAL_FIELDS) totals[field] = new Float64Array(n);
  return totals;
}

/** Empty totals shaped for `batch` (all zero). */
export function allocTotals(batch: Batch): RunTotals {
  const { runs, fleets } = batch;
  const counts = new Uint32Array(runs.count);
  for (let r = 0; r < runs.count; r++) counts[r] = fleets.agentCount[runs.fleet[r]!]!;
  return emptyTotals(counts);
}

export const RUN_METRICS = [
  'avgLatency',
  'throughput',
  'capacityThroughput',
  'cost',
  'utilization',
  'crossAgentStd',
  'arrived',
  'served',
  'finalQueue',
  'meanInSystem',
  'realizedRate',
  'idc1',
  'idc10',
  'idc100',
  'maxStepArrivals',
  'approxSteps',
  'unstable',
  'maxLoad',
] as const;
export type RunMetric = (typeof RUN_METRICS)[number];

/**
 * Metrics that may be undefined (NaN) for a run: the arrival statistics when they were not recorded
 * (SimConfig.arrivalStats off), the index of dispersion without two complete windows of recorded
 * steps or without arrivals, `unstable` in runs too short for the growth test (fewer than
 * MIN_TEST_STEPS recorded steps), and `maxLoad` when an agent had arrivals but no share at all (an
 * infinite load; src/model/stability.ts). The sweep's statistics skip a NaN (their count says so).
 */
export const OPTIONAL_METRICS: ReadonlySet<RunMetric> = new Set([
  'idc1',
  'idc10',
  'idc100',
  'maxStepArrivals',
  'approxSteps',
  'unstable',
  'maxLoad',
]);

/**
 * The index of dispersion of a fleet run's arrivals over windows of `w` recorded steps: Σ_i Var_i /
 * Σ_i mean_i over its agents, with each agent's mean and unbiased sample variance M2/(W − 1) of its
 * arrivals over its W complete windows — the IDC of the fleet's total count when the agents arrive
 * independently (1 for Poisson arrivals, whatever W). NaN with fewer than two complete windows or no
 * arrivals.
 */
export function indexOfDispersion(mean: ArrayLike<number>, m2: ArrayLike<number>, j0: number, n: number, windows: number): number {
  if (windows < 2) return NaN;
  let variance = 0;
  let total = 0;
  for (let j = j0; j < j0 + n; j++) {
    total += mean[j]!;
    variance += Math.max(0, m2[j]!) / (windows - 1);
  }
  return total > 0 ? variance / total : NaN;
}

/** Columnar per-run metrics plus the raw totals they came from. */
export type BatchResult = { totals: RunTotals } & Record<RunMetric, Float64Array>;

export interface AgentSummary {
  name?: string;
  latency: number; // mean ℓ over steps, seconds
  throughput: number; // served requests per second
  share: number; // mean g over steps, GPUs
  meanQueue: number; // mean Q over steps, requests
  finalQueue: number; // Q after the last step, requests
  arrived: number; // requests arrived over the recorded steps
  served: number; // requests (units of work) served over the recorded steps
  meanInSystem: number; // mean requests in the system (⌈Q⌉; meaningful with deterministic work)
  realizedRate: number; // arrived / horizon, requests/s
  idc1: number; // index of dispersion of the arrivals per step (NaN: undefined, or not recorded)
  maxArrivals: number; // the largest arrivals of one step (NaN: not recorded)
}

export type RunSummary = Record<RunMetric, number> & { perAgent: AgentSummary[] };

/**
 * Derives every metric of every run from raw totals. Means are over the S' = steps − warmup recorded
 * steps (horizon S'·Δt); finalQueue is the backlog after the last step. Per run, meanInSystem is the
 * sum over agents of their mean requests in the system; `unstable` is 1 when any agent's queue grows
 * through the run (its per-cell mean: the fraction of unstable runs) and `maxLoad` the largest
 * λ̂_i/(T_i·ḡ_i) of its agents (src/model/stability.ts).
 */
export function summarize(batch: Batch, totals: RunTotals): BatchResult {
  const { config, fleets, runs } = batch;
  const S = recordedSteps(config);
  const horizon = S * config.dt; // seconds recorded
  const out = { totals } as BatchResult;
  for (const m of RUN_METRICS) out[m] = new Float64Array(runs.count);
  for (let r = 0; r < runs.count; r++) {
    const f = runs.fleet[r]!;
    const first = fleets.agentOffset[f]!;
    const n = totals.agentCount[r]!;
    const j0 = totals.agentOffset[r]!;
    let latency = 0;
    let served = 0;
    let capacity = 0;
    let share = 0;
    let busy = 0;
    let arrived = 0;
    let queue = 0;
    let system = 0;
    for (let i = 0; i < n; i++) {
      const j = j0 + i;
      const T = fleets.T[first + i]!;
      const l = totals.latencySum[j]! / S;
      latency += l;
      served += totals.servedSum[j]!;
      capacity += T * totals.shareSum[j]! * config.dt;
      share += totals.shareSum[j]!;
      busy += totals.servedSum[j]! / (T * config.dt);
      arrived += totals.arrivedSum[j]!;
      queue += totals.finalQueue[j]!;
      system += totals.systemSum[j]!;
    }
    const mean = latency / n;
    out.avgLatency[r] = mean;
    let spread = 0; // population variance, second pass (no cancellation)
    for (let i = 0; i < n; i++) spread += (totals.latencySum[j0 + i]! / S - mean) ** 2;
    out.crossAgentStd[r] = Math.sqrt(spread / n);
    out.throughput[r] = served / horizon;
    out.capacityThroughput[r] = capacity / horizon;
    out.cost[r] = config.price * (horizon / 3600) * (share / S);
    out.utilization[r] = busy / S;
    out.arrived[r] = arrived;
    out.served[r] = served;
    out.finalQueue[r] = queue;
    out.meanInSystem[r] = system / S;
    out.realizedRate[r] = arrived / horizon;
    // The arrival statistics: NaN (not recorded) unless the batch recorded them.
    const on = config.arrivalStats === true;
    out.idc1[r] = on ? indexOfDispersion(totals.window1Mean, totals.window1M2Sum, j0, n, S) : NaN;
    out.idc10[r] = on ? indexOfDispersion(totals.window10Mean, totals.window10M2Sum, j0, n, Math.floor(S / 10)) : NaN;
    out.idc100[r] = on ? indexOfDispersion(totals.window100Mean, totals.window100M2Sum, j0, n, Math.floor(S / 100)) : NaN;
    let most = 0;
    let approx = 0;
    for (let j = j0; j < j0 + n; j++) {
      most = Math.max(most, totals.maxArrivals[j]!);
      approx += totals.approxStepsSum[j]!;
    }
    out.maxStepArrivals[r] = on ? most : NaN;
    out.approxSteps[r] = on ? approx : NaN;
    // The stability diagnosis (docs/STABILITY.md): 1 when some agent's queue grows through the run.
    const stability = runStability(batch, totals, r);
    out.unstable[r] = stability.unstable;
    out.maxLoad[r] = stability.maxLoad;
  }
  return out;
}

/** One run's metrics with its per-agent breakdown (for reports and plots). */
export function runSummary(batch: Batch, result: BatchResult, r: number, names?: readonly string[]): RunSummary {
  const { totals } = result;
  const S = recordedSteps(batch.config);
  const perAgent: AgentSummary[] = [];
  for (let i = 0; i < totals.agentCount[r]!; i++) {
    const j = totals.agentOffset[r]! + i;
    const name = names?.[i];
    perAgent.push({
      ...(name === undefined ? {} : { name }),
      latency: totals.latencySum[j]! / S,
      throughput: totals.servedSum[j]! / (S * batch.config.dt),
      share: totals.shareSum[j]! / S,
      meanQueue: totals.queueSum[j]! / S,
      finalQueue: totals.finalQueue[j]!,
      arrived: totals.arrivedSum[j]!,
      served: totals.servedSum[j]!,
      meanInSystem: totals.systemSum[j]! / S,
      realizedRate: totals.arrivedSum[j]! / (S * batch.config.dt),
      idc1: batch.config.arrivalStats === true ? indexOfDispersion(totals.window1Mean, totals.window1M2Sum, j, 1, S) : NaN,
      maxArrivals: batch.config.arrivalStats === true ? totals.maxArrivals[j]! : NaN,
    });
  }
  const summary = { perAgent } as RunSummary;
  for (const m of RUN_METRICS) summary[m] = result[m][r]!;
  return summary;
}
