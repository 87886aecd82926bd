/**
 * The CPU reference engine: the model of MODEL.md in f64, run by run, step by step, in the order
 * arrive → allocate → process → record. Arrival counts and work come from the same Philox stream, the
 * same f32 mean and the same f32 samplers as the GPU (src/random, src/model/schedule.ts), so both
 * engines see the same work.
 *
 * @example
 *   const result = summarize(batch, runBatchCpu(batch));
 *   const series = runSeriesCpu(batch, 0); // per-step arrivals, work, share, served, queue, latency
 */
import { type Batch, DEFAULT_EMA_ALPHA, MAX_AGENTS_PER_FLEET } from '../model/batch.js';
import { allocTotals, inSystem, type RunTotals } from '../model/metrics.js';
import { allocate, type FleetView, newAllocation, shareOf } from '../model/policies.js';
import { multiplierAt, stepMean } from '../model/schedule.js';
import { DrawStream, seedKey } from '../random/philox.js';
import { poisson } from '../random/poisson.js';
import { exponentialWork } from '../random/work.js';

/**
 * One fleet run's per-step trajectory over all steps, warm-up included; arrays are agent-major: the
 * value of agent i at step t is [i·steps + t].
 */
export interface RunSeries {
  steps: number;
  agents: number;
  arrivals: Float64Array; // requests arrived in the step
  work: Float64Array; // work they brought, units of one request's mean work
  share: Float64Array; // g, GPUs
  served: Float64Array; // work served in the step
  queue: Float64Array; // Q after processing, work
  latency: Float64Array; // ℓ, seconds
}

/** What one agent-step reports to a Recorder. */
interface AgentStep {
  arrived: number;
  work: number;
  g: number;
  served: number;
  queue: number;
  latency: number;
}

/** Called once per agent-step by simulateRun; the totals and the series are two such recorders. */
type Recorder = (i: number, t: number, step: AgentStep) => void;

/** Per-agent state of the run being simulated, reused from run to run. */
interface Scratch {
  queues: Float64Array; // Q, work
  rates: Float64Array; // λ̂: the rate the adaptive allocator sees at the next step, requests/s
}

const newScratch = (agents: number): Scratch => ({ queues: new Float64Array(agents), rates: new Float64Array(agents) });

/** Advances run `r` through every step, reporting each agent-step to `record`. */
function simulateRun(batch: Batch, r: number, { queues, rates }: Scratch, record: Recorder): void {
  const { config, fleets, runs } = batch;
  const f = runs.fleet[r]!;
  const offset = fleets.agentOffset[f]!;
  const fleet: FleetView = {
    offset,
    count: fleets.agentCount[f]!,
    capacity: fleets.capacity[f]!,
    R: fleets.R,
    P: fleets.P,
    rate: rates,
  };
  const policy = runs.policy[r]!;
  const stream = fleets.stream[f]!;
  const replicate = runs.replicate[r]!;
  const poissonMode = config.arrivals === 'poisson';
  const exponential = config.work === 'exponential';
  const signal = config.signal ?? 'nominal';
  const alpha = config.emaAlpha ?? DEFAULT_EMA_ALPHA;
  const [k0, k1] = seedKey(config.seed);
  const draws = new DrawStream();
  const alloc = newAllocation();
  const { dt, lmax } = config;
  const step: AgentStep = { arrived: 0, work: 0, g: 0, served: 0, queue: 0, latency: 0 };
  queues.fill(0, 0, fleet.count);
  for (let i = 0; i < fleet.count; i++) rates[i] = fleets.lambda[offset + i]!; // λ̂_0 = λ_i in every mode
  for (let t = 0; t < config.steps; t++) {
    // The allocator reads λ̂_t, which depends on steps before t only, so allocating before drawing
    // this step's arrivals gives the same shares as the specified arrive → allocate order.
    allocate(policy, fleet, t, alloc);
    for (let i = 0; i < fleet.count; i++) {
      const a = offset + i;
      // Arrive: the f32 mean λ·Δt·m(t) (deterministic), or a Poisson count with that mean, each
      // request bringing one unit of work or an Exp(1) amount drawn after the count.
      const mean = stepMean(fleets.lambda[a]!, dt, multiplierAt(fleets, a, t));
      step.arrived = mean;
      step.work = mean;
      if (poissonMode) {
        draws.reset(k0, k1, stream, replicate, t, i);
        step.arrived = poisson(mean, draws);
        step.work = exponential ? exponentialWork(step.arrived, draws) : step.arrived;
      }
      const g = shareOf(alloc, fleet, i);
      // The signal for step t + 1, updated after this step's share used λ̂_t.
      if (signal === 'observed') rates[i] = step.arrived / dt;
      else if (signal === 'ema') rates[i] = alpha * (step.arrived / dt) + (1 - alpha) * rates[i]!;
      // Process: fluid service at rate T·g for Δt.
      const rate = fleets.T[a]! * g;
      const backlog = queues[i]! + step.work;
      step.served = Math.min(backlog, rate * dt);
      step.queue = backlog - step.served;
      queues[i] = step.queue;
      // Record: latency is the backlog over the service rate, L_max when the share is 0.
      step.g = g;
      step.latency = g > 0 ? step.queue / rate : lmax;
      record(i, t, step);
    }
  }
}

/** Runs every fleet run of `batch`; returns the raw per-agent totals (see summarize()). */
export function runBatchCpu(batch: Batch, begin = 0, end = batch.runs.count, totals = allocTotals(batch)): RunTotals {
  const scratch = newScratch(MAX_AGENTS_PER_FLEET);
  const warmup = batch.config.warmup ?? 0;
  const last = batch.config.steps - 1;
  for (let r = begin; r < end; r++) {
    const j0 = totals.agentOffset[r]!;
    simulateRun(batch, r, scratch, (i, t, s) => {
      const j = j0 + i;
      if (t === last) totals.finalQueue[j] = s.queue;
      if (t < warmup) return;
      totals.latencySum[j]! += s.latency;
      totals.servedSum[j]! += s.served;
      totals.queueSum[j]! += s.queue;
      totals.shareSum[j]! += s.g;
      totals.arrivedSum[j]! += s.arrived;
      totals.systemSum[j]! += inSystem(s.queue);
    });
  }
  return totals;
}

/** Per-step trajectory of run `r`, warm-up steps included (for plots and step-by-step checks). */
export function runSeriesCpu(batch: Batch, r: number): RunSeries {
  const agents = batch.fleets.agentCount[batch.runs.fleet[r]!]!;
  const steps = batch.config.steps;
  const size = agents * steps;
  const series: RunSeries = {
    steps,
    agents,
    arrivals: new Float64Array(size),
    work: new Float64Array(size),
    share: new Float64Array(size),
    served: new Float64Array(size),
    queue: new Float64Array(size),
    latency: new Float64Array(size),
  };
  simulateRun(batch, r, newScratch(agents), (i, t, s) => {
    const k = i * steps + t;
    series.arrivals[k] = s.arrived;
    series.work[k] = s.work;
    series.share[k] = s.g;
    series.served[k] = s.served;
    series.queue[k] = s.queue;
    series.latency[k] = s.latency;
  });
  return series;
}
