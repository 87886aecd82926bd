/**
 * The CPU reference engine: the model of MODEL.md Part 1 in f64, run by run, step by step, in the
 * order arrive → allocate → process → record. Arrival counts come from the same Philox stream and the
 * same f32 Poisson sampler as the GPU (src/random), so both engines see the same work.
 *
 * @example
 *   const result = summarize(batch, runBatchCpu(batch));
 *   const series = runSeriesCpu(batch, 0); // per-step arrivals, share, served, queue, latency
 */
import { type Batch, MAX_AGENTS_PER_FLEET } from '../model/batch.js';
import { allocTotals, type RunTotals } from '../model/metrics.js';
import { allocate, type FleetView, newAllocation, shareOf } from '../model/policies.js';
import { DrawStream, seedKey } from '../random/philox.js';
import { poisson } from '../random/poisson.js';

/** One fleet run's per-step trajectory; arrays are agent-major: value of agent i at step t is [i·steps + t]. */
export interface RunSeries {
  steps: number;
  agents: number;
  arrivals: Float64Array; // requests arrived in the step
  share: Float64Array; // g, GPUs
  served: Float64Array; // requests served in the step
  queue: Float64Array; // Q after processing, requests
  latency: Float64Array; // ℓ, seconds
}

/** Called once per agent-step by simulateRun; the totals and the series are two such recorders. */
type Recorder = (i: number, t: number, arrived: number, g: number, served: number, queue: number, latency: number) => void;

/** Advances run `r` through every step, reporting each agent-step to `record`. */
function simulateRun(batch: Batch, r: number, queues: Float64Array, record: Recorder): void {
  const { config, fleets, runs } = batch;
  const f = runs.fleet[r]!;
  const fleet: FleetView = {
    offset: fleets.agentOffset[f]!,
    count: fleets.agentCount[f]!,
    capacity: fleets.capacity[f]!,
    R: fleets.R,
    P: fleets.P,
    lambda: fleets.lambda,
  };
  const policy = runs.policy[r]!;
  const stream = fleets.stream[f]!;
  const replicate = runs.replicate[r]!;
  const poissonMode = config.arrivals === 'poisson';
  const [k0, k1] = seedKey(config.seed);
  const draws = new DrawStream();
  const alloc = newAllocation();
  const { dt, lmax } = config;
  queues.fill(0, 0, fleet.count);
  for (let t = 0; t < config.steps; t++) {
    // The policies read nominal rates only, so allocating before drawing this step's arrivals
    // gives the same shares as the specified arrive → allocate order.
    allocate(policy, fleet, t, alloc);
    for (let i = 0; i < fleet.count; i++) {
      const a = fleet.offset + i;
      let arrived = fleet.lambda[a]! * dt;
      if (poissonMode) {
        draws.reset(k0, k1, stream, replicate, t, i);
        arrived = poisson(Math.fround(arrived), draws); // the GPU's f32 mean, for identical counts
      }
      const g = shareOf(alloc, fleet, i);
      const rate = fleets.T[a]! * g;
      const backlog = queues[i]! + arrived;
      const served = Math.min(backlog, rate * dt);
      const queue = backlog - served;
      queues[i] = queue;
      record(i, t, arrived, g, served, queue, g > 0 ? queue / rate : lmax);
    }
  }
}

/** Runs every fleet run of `batch`; returns the raw per-agent totals (see summarize()). */
export function runBatchCpu(batch: Batch, begin = 0, end = batch.runs.count, totals = allocTotals(batch)): RunTotals {
  const queues = new Float64Array(MAX_AGENTS_PER_FLEET);
  for (let r = begin; r < end; r++) {
    const j0 = totals.agentOffset[r]!;
    const last = batch.config.steps - 1;
    simulateRun(batch, r, queues, (i, t, arrived, g, served, queue, latency) => {
      const j = j0 + i;
      totals.latencySum[j]! += latency;
      totals.servedSum[j]! += served;
      totals.queueSum[j]! += queue;
      totals.shareSum[j]! += g;
      totals.arrivedSum[j]! += arrived;
      if (t === last) totals.finalQueue[j] = queue;
    });
  }
  return totals;
}

/** Per-step trajectory of run `r` (for plots and for checking the engines step by step). */
export function runSeriesCpu(batch: Batch, r: number): RunSeries {
  const agents = batch.fleets.agentCount[batch.runs.fleet[r]!]!;
  const steps = batch.config.steps;
  const size = agents * steps;
  const series: RunSeries = {
    steps,
    agents,
    arrivals: new Float64Array(size),
    share: new Float64Array(size),
    served: new Float64Array(size),
    queue: new Float64Array(size),
    latency: new Float64Array(size),
  };
  simulateRun(batch, r, new Float64Array(agents), (i, t, arrived, g, served, queue, latency) => {
    const k = i * steps + t;
    series.arrivals[k] = arrived;
    series.share[k] = g;
    series.served[k] = served;
    series.queue[k] = queue;
    series.latency[k] = latency;
  });
  return series;
}
