/**
 * Per-run metrics of MODEL.md Part 1, computed on the host (f64) from the raw per-agent totals that
 * either engine returns, so both backends share one definition of every metric.
 *
 * @example
 *   const result = summarize(batch, runBatchCpu(batch)); result.avgLatency[0];
 */
import type { Batch, PackedFleets, SimConfig } from './batch.js';
import { LIFECYCLE_METRICS, lifecycleMetrics, lifecycleOn } from './lifecycle.js';
import { GPU_METRICS, gpuMetrics } from './placement.js';
import { runStability } from './stability.js';
import { NO_AGENT } from './workflow.js';

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
  // The totals marked `stepped` are accumulated on the stepped (workflow) path alone (src/cpu/workflow.ts;
  // the GPU's workflow kernels, whose AgentState alone holds them: src/gpu/layout.ts), 0 elsewhere.
  // Workflows (MODEL-PART4 §4.6; 0 without routing). arrivedSum counts every arrival, routed ones too
  // (the agent's visits); external arrivals are arrivedSum − routedSum.
  {
    field: 'routedSum',
    kind: 'sum',
    home: 'agent',
    stepped: true,
    about: 'Σ_t requests routed to the agent by others (or itself) that arrived in step t',
  },
  {
    field: 'inFlightSum',
    kind: 'sum',
    home: 'agent',
    stepped: true,
    about:
      "Σ_t requests the agent sent on in step t (in flight until t + 1, counted once per parent: a fork's children to its branches count in forkSum instead, and the parents its branches release to the join are counted on the fork)",
  },
  {
    field: 'forkSum',
    kind: 'sum',
    home: 'agent',
    stepped: true,
    about:
      "Σ_t Ω_t, the fork-join's outstanding parents (children not yet through every branch), kept by the fork agent (0 for the others)",
  },
  // The lifecycle (MODEL-PART4 §4.3–4.4, src/model/lifecycle.ts: its step 8 says when each is added; 0
  // with the lifecycle off). Counts of steps are recorded steps; the run-wide ones are kept by the run's
  // agent 0 (0 for the others), as busySum is.
  { field: 'coldStartSum', kind: 'sum', home: 'agent', stepped: true, about: 'loads begun (admissions of a COLD agent), the cold starts' },
  {
    field: 'coldHitSum',
    kind: 'sum',
    home: 'agent',
    stepped: true,
    about: 'requests that arrived while the agent was COLD or LOADING (its phase before the step’s admission)',
  },
  {
    field: 'coldDelaySum',
    kind: 'sum',
    home: 'agent',
    stepped: true,
    about:
      'Σ a·L·Δt over the cold hits: the load time left when they arrived (L = loadLeft; c_i for an agent still waiting), request-seconds',
  },
  { field: 'loadStepSum', kind: 'sum', home: 'agent', stepped: true, about: 'steps LOADING' },
  { field: 'residentStepSum', kind: 'sum', home: 'agent', stepped: true, about: 'steps LOADING or WARM (holding its memory)' },
  {
    field: 'idleWarmStepSum',
    kind: 'sum',
    home: 'agent',
    stepped: true,
    about: 'steps WARM with no backlog (B = Q + a = 0): kept alive for nothing',
  },
  {
    field: 'latencyStepSum',
    kind: 'sum',
    home: 'agent',
    stepped: true,
    about: 'steps whose latency was recorded (all but COLD steps with Q = 0): the lifecycle’s divisor of latencySum',
  },
  {
    field: 'evictionSum',
    kind: 'sum',
    home: 'agent',
    stepped: true,
    about: 'times the agent was evicted to make room for another (memory)',
  },
  {
    field: 'waitStepSum',
    kind: 'sum',
    home: 'agent',
    stepped: true,
    about: 'steps COLD with backlog, not admitted (waiting for the load slot or for memory)',
  },
  {
    field: 'residentRunStepSum',
    kind: 'sum',
    home: 'agent',
    stepped: true,
    about:
      'steps in which some agent of the run was LOADING or WARM (agent 0; costResident); several GPUs: Σ_t the GPUs with such an agent',
  },
  {
    field: 'memorySum',
    kind: 'sum',
    home: 'agent',
    stepped: true,
    about: 'Σ_t MB in use after the step’s admissions, on all the run’s GPUs (agent 0)',
  },
  {
    field: 'memoryBoundStepSum',
    kind: 'sum',
    home: 'agent',
    stepped: true,
    about: 'steps in which the admission stopped for want of memory (agent 0)',
  },
  {
    field: 'memoryPeak',
    kind: 'final',
    home: 'agent',
    stepped: true,
    state: 'memoryPeak',
    about: 'the most MB in use after a recorded step’s admissions (agent 0); several GPUs: on the fullest GPU',
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
] as const satisfies readonly ({ field: string; about: string; home: 'agent' | 'arrivals'; stepped?: true } & (
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

/**
 * Agent-run j's mean latency: latencySum over its recorded steps, S′ — or, with the lifecycle on, the
 * steps whose latency was recorded (latencyStepSum: a COLD agent with nothing queued records none), 0
 * when there were none. Every per-agent and per-run latency reads it.
 */
export function agentLatency(totals: Pick<RunTotals, 'latencySum' | 'latencyStepSum'>, j: number, S: number, lifecycle: boolean): number {
  const steps = lifecycle ? totals.latencyStepSum[j]! : S;
  return steps > 0 ? totals.latencySum[j]! / steps : 0;
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
  return fastTotals(totals);
}

/** Empty totals shaped for `batch` (all zero). */
export function allocTotals(batch: Batch): RunTotals {
  const { runs, fleets } = batch;
  const counts = new Uint32Array(runs.count);
  for (let r = 0; r < runs.count; r++) counts[r] = fleets.agentCount[runs.fleet[r]!]!;
  return emptyTotals(counts);
}

/**
 * Every per-run metric, in one place: its unit, which value is the better one (the verdicts' paired
 * differences, src/sweep/verdict.ts, and any winner map read `better`), a short label, what it is,
 * `undefinedWhen` for a metric that may be undefined in a run (NaN in the per-fleet rows, left out of
 * the statistics, `null`/empty in summary.json and cells.csv when no run of a cell defines it; shown
 * as `—` or `–`), and `lmax` for a metric that depends on the L_max convention (a step at share 0 is
 * scored L_max seconds: docs/METRICS.md, "Round-robin's latency is set by L_max"). The order is the
 * column order of the result files; a new metric goes at the end, so that the existing columns keep
 * their place. summarize() computes each of them from the raw totals (TOTALS).
 */
export const RUN_METRIC_INFO = {
  avgLatency: {
    label: 'mean latency',
    unit: 's',
    better: 'lower',
    lmax: true,
    about: "the mean over agents of each agent's mean latency ℓ = Q/(T·g) over the recorded steps (L_max at g = 0)",
  },
  throughput: {
    label: 'throughput',
    unit: 'requests/s',
    better: 'higher',
    about: 'requests served per second (units of work with exponential work)',
  },
  capacityThroughput: {
    label: 'capacity throughput',
    unit: 'requests/s',
    better: 'higher',
    about: 'what the shares could have served, Σ_i T_i·ḡ_i',
  },
  cost: { label: 'cost', unit: '$', better: 'lower', about: 'the price of the capacity allocated over the recorded time' },
  utilization: { label: 'utilisation', unit: 'GPUs', better: 'higher', about: 'mean over steps of Σ_i served_i/(T_i·Δt), GPUs' },
  crossAgentStd: {
    label: 'latency spread across agents',
    unit: 's',
    better: 'lower',
    lmax: true,
    about: "the population standard deviation over agents of each agent's mean latency",
  },
  arrived: { label: 'requests arrived', unit: 'requests', better: 'higher', about: 'requests that arrived over the recorded steps' },
  served: { label: 'requests served', unit: 'requests', better: 'higher', about: 'requests served over the recorded steps' },
  finalQueue: { label: 'final backlog', unit: 'requests', better: 'lower', about: 'Σ_i Q_i after the last step' },
  meanInSystem: {
    label: 'mean requests in the system',
    unit: 'requests',
    better: 'lower',
    about: 'Σ_i mean over steps of ⌈Q_i − IN_SYSTEM_SLACK⌉',
  },
  // The arrivals (MODEL-PART4 §4.1–4.2): the same under every policy.
  realizedRate: { label: 'realized arrival rate', unit: 'requests/s', better: 'higher', about: 'arrived / (S′·Δt)' },
  idc1: {
    label: 'index of dispersion of the arrivals, 1-step windows',
    unit: 'variance/mean',
    better: 'lower',
    undefinedWhen: 'not recorded, or fewer than two windows, or no arrivals',
    about: 'Σ_i Var_i / Σ_i mean_i of the arrivals per step',
  },
  idc10: {
    label: 'index of dispersion of the arrivals, 10-step windows',
    unit: 'variance/mean',
    better: 'lower',
    undefinedWhen: 'not recorded, or fewer than two windows, or no arrivals',
    about: 'Σ_i Var_i / Σ_i mean_i of the arrivals per 10 steps',
  },
  idc100: {
    label: 'index of dispersion of the arrivals, 100-step windows',
    unit: 'variance/mean',
    better: 'lower',
    undefinedWhen: 'not recorded, or fewer than two windows, or no arrivals',
    about: 'Σ_i Var_i / Σ_i mean_i of the arrivals per 100 steps',
  },
  maxStepArrivals: {
    label: 'largest arrivals of one agent-step',
    unit: 'requests',
    better: 'lower',
    undefinedWhen: 'not recorded',
    about: 'the most requests one agent received in one recorded step',
  },
  approxSteps: {
    label: 'agent-steps with an approximated arrival count',
    unit: 'agent-steps',
    better: 'lower',
    undefinedWhen: 'not recorded',
    about: 'agent-steps whose count used an approximation',
  },
  // Stability (src/model/stability.ts): a cell's mean of `unstable` is its fraction of unstable fleet runs.
  unstable: {
    label: 'fraction of fleet runs with a growing queue',
    unit: 'fraction of runs',
    better: 'lower',
    undefinedWhen: 'the run is too short for the growth test',
    about: "1 when some agent's queue grows through the run, else 0",
  },
  maxLoad: {
    label: 'largest agent load λ/(T·ḡ) of the fleet run',
    unit: 'load',
    better: 'lower',
    undefinedWhen: 'an agent had arrivals and no share at all',
    about: 'the largest λ̂_i/(T_i·ḡ_i) over the agents',
  },
  // The metrics that tell policies apart (MODEL-PART4 §4.7), from the totals violationSum and busySum.
  backlogGpuSeconds: {
    label: 'backlog in GPU-seconds',
    unit: 'GPU-s',
    better: 'lower',
    about:
      'mean over the recorded steps of V = Σ_i Q_i/T_i, the whole-GPU seconds of work queued (Σ_i queueSum_i/(T_i·S′)); under a step-work-conserving policy V follows the unfinished-work identity of §4.7',
  },
  minViolationFraction: {
    label: 'agent-steps below the minimum share',
    unit: 'fraction of agent-steps',
    better: 'lower',
    about:
      'Σ_i violationSum_i/(N·S′): the fraction of agent-steps in which an agent with demand (λ̂ > 0 or Q + a > 0) got a share below R·G (by more than MIN_SHARE_SLACK)',
  },
  workConservationGap: {
    label: 'work-conservation gap',
    unit: 'GPUs',
    better: 'lower',
    undefinedWhen: 'no recorded step had backlog',
    about:
      'G − (Σ_i servedSum_i/(T_i·Δt))/busySum: the capacity left idle per step with backlog (some agent has Q + a > 0); a step-work-conserving policy idles only what the backlog cannot use, so at low load it is well above 0 for every policy (compare pairwise). Exact: an agent serves only from its backlog, so served > 0 implies a busy step, and Σ over all steps of the work served is its sum over the busy steps',
  },
  jainIndex: {
    label: "Jain's fairness index of served/arrived",
    unit: '',
    better: 'higher',
    undefinedWhen: 'no agent had arrivals',
    about:
      '(Σx)²/(n·Σx²) of x_i = servedSum_i/arrivedSum_i over the n agents with arrivals: 1 when every agent got the same fraction of its arrivals served (also when none was served at all), 1/n when one got it all. With exponential work served counts units of work (mean 1 per request), so x_i is work served per request arrived: the same definition',
  },
  worstAgentLatency: {
    label: "the worst agent's mean latency",
    unit: 's',
    better: 'lower',
    lmax: true,
    about: "max_i latencySum_i/S′: the mean latency of the fleet run's worst agent (L_max at g = 0, like avgLatency)",
  },
  littleLatency: {
    label: "mean time in system by Little's law",
    unit: 's',
    better: 'lower',
    undefinedWhen: 'no request arrived',
    about:
      "Δt·Σ_i systemSum_i/Σ_i arrivedSum_i: the requests in the system at the ends of the recorded steps over the arrival rate, the request-weighted mean wait by Little's law at step resolution (a request served in the step it arrived counts 0). No L_max: an idle agent with share 0 adds nothing, which makes it the latency to compare policies that give idle agents nothing (maxMinFair, mps, timeSlice, roundRobinSkipIdle). With exponential work it counts ⌈Q⌉ units of work",
  },
  // Workflows (MODEL-PART4 §4.6).
  e2eLatency: {
    label: "end-to-end latency by Little's law",
    unit: 's',
    better: 'lower',
    undefinedWhen: 'no request arrived from outside',
    about:
      "W_e2e = mean N_wf/Λ_ext: Δt·(Σ_i systemSum_i + Σ_i inFlightSum_i + forkSum)/Σ_i (arrivedSum_i − routedSum_i), the requests anywhere in the workflow (queued, in flight between agents; inside a fork-join its outstanding parents instead of its branches' queues) over the external arrival rate: a request's mean time from entering to leaving the workflow, at step resolution (each hop takes at least one step). Without routing it is littleLatency",
  },
  inFlight: {
    label: 'requests in flight between agents',
    unit: 'requests',
    better: 'lower',
    about: 'Σ_i inFlightSum_i/S′: the mean requests sent on by one agent and not yet arrived at the next (0 without routing)',
  },
  forkParents: {
    label: 'outstanding fork-join parents',
    unit: 'requests',
    better: 'lower',
    undefinedWhen: 'the fleet has no fork-join',
    about: 'forkSum/S′: the mean requests forked whose children have not all completed their branches',
  },
  // The serverless lifecycle and GPU memory (MODEL-PART4 §4.3–4.4; lifecycleMetrics in src/model/lifecycle.ts).
  coldStartsPerHour: {
    label: 'cold starts per hour',
    unit: 'loads/h',
    better: 'lower',
    undefinedWhen: 'the lifecycle is off',
    about: 'Σ_i coldStartSum_i per hour of recorded time: loads begun, over all agents',
  },
  coldHitFraction: {
    label: 'requests that met a cold agent',
    unit: 'fraction of requests',
    better: 'lower',
    undefinedWhen: 'the lifecycle is off, or no request arrived',
    about: 'Σ_i coldHitSum_i/Σ_i arrivedSum_i: the requests that arrived while their agent was COLD or LOADING',
  },
  coldDelay: {
    label: 'mean cold-start delay per request',
    unit: 's',
    better: 'lower',
    undefinedWhen: 'the lifecycle is off, or no request arrived',
    about: 'Σ_i coldDelaySum_i/Σ_i arrivedSum_i: the load time left when a request arrived, averaged over every request (0 for a warm hit)',
  },
  loadFraction: {
    label: 'agent-time spent loading',
    unit: 'fraction of agent-steps',
    better: 'lower',
    undefinedWhen: 'the lifecycle is off',
    about: 'Σ_i loadStepSum_i/(N·S′)',
  },
  residentFraction: {
    label: 'agent-time resident on the GPU',
    unit: 'fraction of agent-steps',
    better: 'lower',
    undefinedWhen: 'the lifecycle is off',
    about: 'Σ_i residentStepSum_i/(N·S′): LOADING or WARM',
  },
  idleWarmFraction: {
    label: 'agent-time kept warm with nothing to do',
    unit: 'fraction of agent-steps',
    better: 'lower',
    undefinedWhen: 'the lifecycle is off',
    about: 'Σ_i idleWarmStepSum_i/(N·S′): WARM with no backlog, the keep-alive’s price',
  },
  costResident: {
    label: 'cost while resident',
    unit: '$',
    better: 'lower',
    undefinedWhen: 'the lifecycle is off',
    about:
      'price·Δt/3600 × the steps in which any agent was LOADING or WARM (several GPUs: each GPU that has one): per-second billing while an instance is up (cost is the capacity allocated; costResident ≥ cost·(resident steps)/(S′·G) never less than what the resident steps allocate)',
  },
  residentGBs: {
    label: 'memory held, GB-seconds',
    unit: 'GB·s',
    better: 'lower',
    undefinedWhen: 'the lifecycle is off',
    about: 'Σ_i (m_i/1000)·residentStepSum_i·Δt over the recorded time',
  },
  evictionsPerHour: {
    label: 'evictions per hour',
    unit: 'evictions/h',
    better: 'lower',
    undefinedWhen: 'the lifecycle is off',
    about: 'Σ_i evictionSum_i per hour of recorded time (0 without a memory limit)',
  },
  memoryWaitFraction: {
    label: 'agent-time waiting to load',
    unit: 'fraction of agent-steps',
    better: 'lower',
    undefinedWhen: 'the lifecycle is off',
    about: 'Σ_i waitStepSum_i/(N·S′): COLD with work, not admitted (the load slot busy, or no memory)',
  },
  meanMemoryGB: {
    label: 'mean GPU memory in use (all GPUs)',
    unit: 'GB',
    better: 'lower',
    undefinedWhen: 'the lifecycle is off',
    about: 'memorySum/(1000·S′): the models resident on all the fleet’s GPUs together, after each step’s admissions',
  },
  peakMemoryGB: {
    label: 'peak GPU memory in use (fullest GPU)',
    unit: 'GB',
    better: 'lower',
    undefinedWhen: 'the lifecycle is off',
    about: 'memoryPeak/1000: the most one GPU held after a recorded step’s admissions (several GPUs: the fullest)',
  },
  memoryBoundFraction: {
    label: 'steps whose admission waited for memory',
    unit: 'fraction of steps',
    better: 'lower',
    undefinedWhen: 'the lifecycle or its memory limit is off',
    about: 'memoryBoundStepSum/S′: the admission stopped because evicting every idle agent would not make room',
  },
  // Several GPUs per fleet (MODEL-PART4 §4.5; gpuMetrics in src/model/placement.ts).
  gpuImbalance: {
    label: 'GPU imbalance (max/mean utilization)',
    unit: 'ratio',
    better: 'lower',
    undefinedWhen: 'the fleet has one GPU or its GPUs are one pool, or its GPUs served nothing',
    about:
      'max_k util_k / mean_k util_k over the fleet’s GPUs, util_k = Σ_{i on k} servedSum_i/(T_i·Δt·S′): 1 when every GPU is equally busy',
  },
  gpuUtilizationMin: {
    label: 'least busy GPU’s utilization',
    unit: 'fraction of time',
    better: 'higher',
    undefinedWhen: 'the fleet has one GPU or its GPUs are one pool',
    about: 'min_k util_k: the busy fraction of the fleet’s least busy GPU',
  },
  gpuUtilizationMax: {
    label: 'busiest GPU’s utilization',
    unit: 'fraction of time',
    better: 'lower',
    undefinedWhen: 'the fleet has one GPU or its GPUs are one pool',
    about: 'max_k util_k: the busy fraction of the fleet’s busiest GPU',
  },
} as const satisfies Record<
  string,
  { label: string; unit: string; better: 'lower' | 'higher'; about: string; undefinedWhen?: string; lmax?: boolean }
>;

export type RunMetric = keyof typeof RUN_METRIC_INFO;
/** Every per-run metric's name, in RUN_METRIC_INFO's (the result files' column) order. */
export const RUN_METRICS: readonly RunMetric[] = Object.keys(RUN_METRIC_INFO) as RunMetric[];

/** A metric's entry of RUN_METRIC_INFO, widened (its optional fields readable on every entry). */
export function runMetricInfo(metric: RunMetric): {
  label: string;
  unit: string;
  better: 'lower' | 'higher';
  about: string;
  undefinedWhen?: string;
  lmax?: boolean;
} {
  return RUN_METRIC_INFO[metric];
}

/**
 * Metrics that may be undefined (NaN) for a run (those of RUN_METRIC_INFO with `undefinedWhen`): the
 * arrival statistics when they were not recorded (SimConfig.arrivalStats off), the index of
 * dispersion without two complete windows of recorded steps or without arrivals, `unstable` in runs
 * too short for the growth test (fewer than MIN_TEST_STEPS recorded steps), `maxLoad` when an agent
 * had arrivals but no share at all (an infinite load; src/model/stability.ts), `workConservationGap`
 * without a step with backlog and `jainIndex` without an agent with arrivals. The sweep's statistics
 * and paired differences skip a NaN (their count says so).
 */
export const OPTIONAL_METRICS: ReadonlySet<RunMetric> = new Set(RUN_METRICS.filter((m) => runMetricInfo(m).undefinedWhen !== undefined));

/** The metrics that depend on the L_max convention (RUN_METRIC_INFO's `lmax`): their caveat goes wherever avgLatency's does. */
export const LMAX_METRICS: ReadonlySet<RunMetric> = new Set(RUN_METRICS.filter((m) => runMetricInfo(m).lmax === true));

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
  realizedRate: number; // arrived / horizon, requests/s: the visit rate γ̂ (external and routed arrivals)
  externalRate: number; // (arrived − routed) / horizon, requests/s: the external arrivals alone (= realizedRate without a workflow)
  idc1: number; // index of dispersion of the arrivals per step (NaN: undefined, or not recorded)
  maxArrivals: number; // the largest arrivals of one step (NaN: not recorded)
  gpu: number; // the GPU it lives on (MODEL-PART4 §4.5; 0 with one GPU; NaN in a pool, where it moves: src/model/pool.ts)
}

export type RunSummary = Record<RunMetric, number> & { perAgent: AgentSummary[] };

/**
 * Derives every metric of every run from raw totals. Means are over the S' = steps − warmup recorded
 * steps (horizon S'·Δt); finalQueue is the backlog after the last step. Per run, meanInSystem is the
 * sum over agents of their mean requests in the system; `unstable` is 1 when any agent's queue grows
 * through the run (its per-cell mean: the fraction of unstable runs) and `maxLoad` the largest
 * λ̂_i/(T_i·ḡ_i) of its agents (src/model/stability.ts); the §4.7 metrics that tell policies apart
 * (backlogGpuSeconds … worstAgentLatency) come from policyMetrics().
 */
export function summarize(batch: Batch, totals: RunTotals): BatchResult {
  const { config, fleets, runs } = batch;
  const S = recordedSteps(config);
  const horizon = S * config.dt; // seconds recorded
  const lifecycle = lifecycleOn(config);
  // Every column is read once here, not per run: `t` is the totals as a fast-mode object (fastTotals)
  // for the helpers, `out` a fast-mode object of fresh columns.
  const t = fastTotals(totals);
  const out = { totals, ...Object.fromEntries(RUN_METRICS.map((m) => [m, new Float64Array(runs.count)])) } as BatchResult;
  const { latencySum, latencyStepSum, servedSum, shareSum, arrivedSum, finalQueue, systemSum, maxArrivals, approxStepsSum } = t;
  const { avgLatency, crossAgentStd, throughput, capacityThroughput, cost, utilization, arrived: arrivedOut, served: servedOut } = out;
  const lifecycleColumns = LIFECYCLE_METRICS.map((m) => out[m]);
  const gpuColumns = GPU_METRICS.map((m) => out[m]);
  // Off, the lifecycle's metrics do not depend on the run: their columns are filled once (with what
  // lifecycleMetrics gives then), not per run.
  if (!lifecycle) {
    const off = lifecycleMetrics(config, fleets, t, 0, 0, 0);
    LIFECYCLE_METRICS.forEach((m, k) => lifecycleColumns[k]!.fill(off[m]));
  }
  const on = config.arrivalStats === true; // the arrival statistics: NaN (not recorded) unless the batch recorded them
  const T = fleets.T;
  const dt = config.dt;
  for (let r = 0; r < runs.count; r++) {
    const f = runs.fleet[r]!;
    const first = fleets.agentOffset[f]!;
    const n = t.agentCount[r]!;
    const j0 = t.agentOffset[r]!;
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
      const Ti = T[first + i]!;
      // agentLatency(t, j, S, lifecycle), its two columns read once
      const steps = lifecycle ? latencyStepSum[j]! : S;
      latency += steps > 0 ? latencySum[j]! / steps : 0;
      served += servedSum[j]!;
      capacity += Ti * shareSum[j]! * dt;
      share += shareSum[j]!;
      busy += servedSum[j]! / (Ti * dt);
      arrived += arrivedSum[j]!;
      queue += finalQueue[j]!;
      system += systemSum[j]!;
    }
    const mean = latency / n;
    avgLatency[r] = mean;
    let spread = 0; // population variance, second pass (no cancellation)
    for (let i = 0; i < n; i++) spread += (agentLatency(t, j0 + i, S, lifecycle) - mean) ** 2;
    crossAgentStd[r] = Math.sqrt(spread / n);
    throughput[r] = served / horizon;
    capacityThroughput[r] = capacity / horizon;
    cost[r] = config.price * (horizon / 3600) * (share / S);
    utilization[r] = busy / S;
    arrivedOut[r] = arrived;
    servedOut[r] = served;
    out.finalQueue[r] = queue;
    out.meanInSystem[r] = system / S;
    out.realizedRate[r] = arrived / horizon;
    out.idc1[r] = on ? indexOfDispersion(t.window1Mean, t.window1M2Sum, j0, n, S) : NaN;
    out.idc10[r] = on ? indexOfDispersion(t.window10Mean, t.window10M2Sum, j0, n, Math.floor(S / 10)) : NaN;
    out.idc100[r] = on ? indexOfDispersion(t.window100Mean, t.window100M2Sum, j0, n, Math.floor(S / 100)) : NaN;
    let most = 0;
    let approx = 0;
    for (let j = j0; j < j0 + n; j++) {
      most = Math.max(most, maxArrivals[j]!);
      approx += approxStepsSum[j]!;
    }
    out.maxStepArrivals[r] = on ? most : NaN;
    out.approxSteps[r] = on ? approx : NaN;
    // The stability diagnosis (docs/STABILITY.md): 1 when some agent's queue grows through the run.
    const stability = runStability(batch, t, r);
    out.unstable[r] = stability.unstable;
    out.maxLoad[r] = stability.maxLoad;
    const policy = policyMetrics(t, T, first, j0, n, S, dt, fleets.capacity[f]!, lifecycle);
    out.backlogGpuSeconds[r] = policy.backlogGpuSeconds;
    out.minViolationFraction[r] = policy.minViolationFraction;
    out.workConservationGap[r] = policy.workConservationGap;
    out.jainIndex[r] = policy.jainIndex;
    out.worstAgentLatency[r] = policy.worstAgentLatency;
    out.littleLatency[r] = policy.littleLatency;
    const workflow = workflowMetrics(fleets, f, t, j0, n, S, dt);
    out.e2eLatency[r] = workflow.e2eLatency;
    out.inFlight[r] = workflow.inFlight;
    out.forkParents[r] = workflow.forkParents;
    if (lifecycle) {
      const serverless = lifecycleMetrics(config, fleets, t, first, j0, n);
      for (let m = 0; m < LIFECYCLE_METRICS.length; m++) lifecycleColumns[m]![r] = serverless[LIFECYCLE_METRICS[m]!];
    }
    const gpus = gpuMetrics(fleets, f, t, first, j0, n, S, dt);
    for (let m = 0; m < GPU_METRICS.length; m++) gpuColumns[m]![r] = gpus[GPU_METRICS[m]!];
  }
  return out;
}

/**
 * The same totals (the same arrays) as an object in V8's fast mode, with its fields in one order. Totals
 * built field by field from TOTAL_FIELDS (emptyTotals' loop, the worker pool's shared totals) get more
 * properties by computed name than V8 keeps fast, so they are a dictionary and every read of a
 * column is a hash lookup; code that reads columns per agent-run (summarize, the sweep's aggregate)
 * reads them from this copy instead.
 */
export function fastTotals(totals: RunTotals): RunTotals {
  return Object.fromEntries([
    ['runs', totals.runs],
    ['agentOffset', totals.agentOffset],
    ['agentCount', totals.agentCount],
    ...TOTAL_FIELDS.map((f) => [f, totals[f]]),
  ]) as RunTotals;
}

/** The metrics of MODEL-PART4 §4.7 that tell policies apart (see RUN_METRIC_INFO for each). */
export type PolicyMetrics = Pick<
  Record<RunMetric, number>,
  'backlogGpuSeconds' | 'minViolationFraction' | 'workConservationGap' | 'jainIndex' | 'worstAgentLatency' | 'littleLatency'
>;

/**
 * The §4.7 metrics of one run from its totals: agent-runs j0 … j0 + n − 1, agent i's T at T[first + i],
 * S recorded steps of `dt` seconds, capacity G (GPUs). busySum is kept by the run's agent 0 only (0 for
 * the others), so summing it over the agents is exact. Undefined values are NaN.
 */
export function policyMetrics(
  totals: RunTotals,
  T: ArrayLike<number>,
  first: number,
  j0: number,
  n: number,
  S: number,
  dt: number,
  G: number,
  lifecycle = false,
): PolicyMetrics {
  let backlog = 0; // Σ_i queueSum_i/T_i: GPU-seconds of queued work, summed over the steps
  let violations = 0;
  let busyWork = 0; // Σ_i servedSum_i/(T_i·Δt): GPU-steps of work done
  let busySteps = 0;
  let worst = 0;
  let sumX = 0; // Jain's index over the agents with arrivals: x_i = served_i/arrived_i
  let sumX2 = 0;
  let withArrivals = 0;
  let system = 0; // Σ_i systemSum_i: requests in the system, summed over the recorded steps
  let arrivals = 0;
  for (let i = 0; i < n; i++) {
    const j = j0 + i;
    const Ti = T[first + i]!;
    backlog += totals.queueSum[j]! / Ti;
    violations += totals.violationSum[j]!;
    busyWork += totals.servedSum[j]! / (Ti * dt);
    busySteps += totals.busySum[j]!;
    worst = Math.max(worst, agentLatency(totals, j, S, lifecycle));
    const arrived = totals.arrivedSum[j]!;
    system += totals.systemSum[j]!;
    arrivals += arrived;
    if (arrived > 0) {
      const x = totals.servedSum[j]! / arrived;
      sumX += x;
      sumX2 += x * x;
      withArrivals++;
    }
  }
  return {
    backlogGpuSeconds: backlog / S,
    minViolationFraction: violations / (n * S),
    // No busy step: nothing was served either (served > 0 implies a busy step), and the gap is undefined.
    workConservationGap: busySteps > 0 ? G - busyWork / busySteps : NaN,
    // Every x_i = 0 (agents with arrivals, none served): all equally unserved, Jain's index 1 by its limit.
    jainIndex: withArrivals === 0 ? NaN : sumX2 > 0 ? (sumX * sumX) / (withArrivals * sumX2) : 1,
    worstAgentLatency: worst,
    // Little's law, L = λW: (system/S)/(arrivals/(S·Δt)).
    littleLatency: arrivals > 0 ? (dt * system) / arrivals : NaN,
  };
}

/**
 * The workflow metrics of one run (MODEL-PART4 §4.6; RUN_METRIC_INFO's e2eLatency, inFlight,
 * forkParents) from its totals: fleet f's agent-runs j0 … j0 + n − 1, S recorded steps of `dt` seconds.
 * Inside a fork-join the outstanding parents (forkSum) count instead of the branches' queues.
 */
export function workflowMetrics(
  fleets: Pick<PackedFleets, 'agentOffset' | 'routeOffset' | 'routeCount' | 'routeTo' | 'fork'>,
  f: number,
  totals: RunTotals,
  j0: number,
  n: number,
  S: number,
  dt: number,
): Pick<Record<RunMetric, number>, 'e2eLatency' | 'inFlight' | 'forkParents'> {
  const fork = fleets.fork[f]!;
  let branches = 0; // the fork's successors found among the agents (a linear scan: they are few)
  const isBranch = (i: number): boolean => {
    if (fork === NO_AGENT) return false;
    const a = fleets.agentOffset[f]! + fork;
    for (let e = fleets.routeOffset[a]!; e < fleets.routeOffset[a]! + fleets.routeCount[a]!; e++) if (fleets.routeTo[e] === i) return true;
    return false;
  };
  let inWorkflow = 0; // Σ_t N_wf(t)
  let inFlight = 0;
  let forkSum = 0;
  let external = 0;
  for (let i = 0; i < n; i++) {
    const j = j0 + i;
    if (!isBranch(i)) inWorkflow += totals.systemSum[j]!;
    else branches++;
    inFlight += totals.inFlightSum[j]!;
    forkSum += totals.forkSum[j]!;
    external += totals.arrivedSum[j]! - totals.routedSum[j]!;
  }
  inWorkflow += inFlight + forkSum;
  return {
    e2eLatency: external > 0 ? (dt * inWorkflow) / external : NaN,
    inFlight: inFlight / S,
    forkParents: fork === NO_AGENT || branches === 0 ? NaN : forkSum / S,
  };
}

/**
 * The GPU agent i of fleet f lives on (placement), 0 with one GPU, NaN in a pool of GPUs: its GPU is
 * where its model was last loaded (run state, src/model/pool.ts), not a property of the agent.
 */
export function agentGpu(fleets: Pick<PackedFleets, 'gpu' | 'agentOffset' | 'gpuPool'>, f: number, i: number): number {
  return fleets.gpuPool[f] === 1 ? NaN : fleets.gpu[fleets.agentOffset[f]! + i]!;
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
      latency: agentLatency(totals, j, S, lifecycleOn(batch.config)),
      throughput: totals.servedSum[j]! / (S * batch.config.dt),
      share: totals.shareSum[j]! / S,
      meanQueue: totals.queueSum[j]! / S,
      finalQueue: totals.finalQueue[j]!,
      arrived: totals.arrivedSum[j]!,
      served: totals.servedSum[j]!,
      meanInSystem: totals.systemSum[j]! / S,
      realizedRate: totals.arrivedSum[j]! / (S * batch.config.dt),
      externalRate: (totals.arrivedSum[j]! - totals.routedSum[j]!) / (S * batch.config.dt),
      idc1: batch.config.arrivalStats === true ? indexOfDispersion(totals.window1Mean, totals.window1M2Sum, j, 1, S) : NaN,
      maxArrivals: batch.config.arrivalStats === true ? totals.maxArrivals[j]! : NaN,
      gpu: agentGpu(batch.fleets, batch.runs.fleet[r]!, i),
    });
  }
  const summary = { perAgent } as RunSummary;
  for (const m of RUN_METRICS) summary[m] = result[m][r]!;
  return summary;
}
