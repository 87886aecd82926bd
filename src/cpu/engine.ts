/**
 * The CPU reference engine: the model of MODEL.md in f64, run by run, step by step, in the order
 * arrive → allocate → process → record. Arrival counts and work come from the same Philox stream, the
 * same f32 mean and the same f32 samplers as the GPU (src/random, src/model/schedule.ts), so both
 * engines see the same work.
 *
 * It is written to be lean (bench/NOTES.md): plain loops over the packed typed arrays, every buffer
 * allocated once per call, nothing allocated per run or per step. Time is cut into chunks of CHUNK
 * steps. Within a chunk, when the allocation does not read the run's own state (every policy but
 * adaptive with an observed or ema signal), each agent is advanced through the whole chunk before the
 * next (its queue and sums stay in registers) and the first Philox block of each of its steps is made
 * four steps at a time; otherwise all agents take one step at a time after the step's allocation.
 * Either order does the same f64 operations per agent in the same order, so the results are
 * bit-identical (test/cpu-golden.test.ts pins them).
 *
 * @example
 *   const result = summarize(batch, runBatchCpu(batch));
 *   const series = runSeriesCpu(batch, 0); // per-step arrivals, work, share, served, queue, latency
 */
import { type Batch, DEFAULT_EMA_ALPHA, MAX_AGENTS_PER_FLEET, type PackedFleets, type SimConfig } from '../model/batch.js';
import { allocTotals, inSystem, type RunTotals } from '../model/metrics.js';
import { allocateShares, newAllocation, readsRates, sharesVaryWithStep } from '../model/policies.js';
import { stepMean } from '../model/schedule.js';
import { DrawStream, KEY_WORDS, philoxBlock, philoxBlocks4, philoxKey, philoxPrefix, PREFIX_WORDS, seedKey } from '../random/philox.js';
import { PoissonSampler } from '../random/poisson.js';
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

/** Steps per chunk: its Philox prefixes, first blocks and shares stay in L1 (about 15 KB). */
const CHUNK = 256;
const SIGNAL_NOMINAL = 0;
const SIGNAL_OBSERVED = 1;
const SIGNAL_EMA = 2;

/** The simulation of one batch: its settings unpacked, and every buffer a run needs, reused run to run. */
class Simulator {
  private readonly fleets: PackedFleets;
  private readonly config: SimConfig;
  private readonly poissonMode: boolean;
  private readonly exponential: boolean;
  private readonly signal: number;
  private readonly alpha: number;
  private readonly warmup: number;
  private readonly key: Int32Array;
  private readonly draws = new DrawStream();
  private readonly samplers = Array.from({ length: MAX_AGENTS_PER_FLEET }, () => new PoissonSampler());
  private readonly alloc = newAllocation();
  /** Philox prefixes of the chunk's steps (PREFIX_WORDS each) and one agent's first blocks (4 words each). */
  private readonly prefix = new Int32Array(CHUNK * PREFIX_WORDS);
  private readonly first = new Int32Array(CHUNK * 4);
  /** Shares g_i: of step t at [(t − t0)·stride + i], stride N when they vary with the step, else 0. */
  private readonly shares = new Float64Array(CHUNK * MAX_AGENTS_PER_FLEET);
  private readonly queues = new Float64Array(MAX_AGENTS_PER_FLEET); // Q, work
  private readonly rates = new Float64Array(MAX_AGENTS_PER_FLEET); // λ̂: the rate the adaptive allocator sees next step, requests/s
  private readonly segments = new Uint32Array(MAX_AGENTS_PER_FLEET); // schedule segments with start ≤ the next step
  /** The fleet as the allocator sees it; its fields are set per run. */
  private readonly view: { offset: number; count: number; capacity: number; R: Float32Array; P: Float32Array; rate: Float64Array };
  // The run being simulated.
  private stream = 0;
  private replicate = 0;
  private offset = 0;
  private count = 0;
  private stride = 0;
  private trackRates = false;
  private j0 = 0;

  constructor(batch: Batch) {
    const { config, fleets } = batch;
    this.fleets = fleets;
    this.config = config;
    this.poissonMode = config.arrivals === 'poisson';
    this.exponential = config.work === 'exponential';
    const signal = config.signal ?? 'nominal';
    this.signal = signal === 'observed' ? SIGNAL_OBSERVED : signal === 'ema' ? SIGNAL_EMA : SIGNAL_NOMINAL;
    this.alpha = config.emaAlpha ?? DEFAULT_EMA_ALPHA;
    this.warmup = config.warmup ?? 0;
    const [k0, k1] = seedKey(config.seed);
    this.key = philoxKey(k0, k1, new Int32Array(KEY_WORDS));
    this.view = { offset: 0, count: 0, capacity: 0, R: fleets.R, P: fleets.P, rate: this.rates };
  }

  /**
   * Simulates run `r` of `batch` from step 0, adding its sums onto totals[j0 + i] and setting its final
   * queues there; records every agent-step into `series` when given.
   */
  run(batch: Batch, r: number, totals: RunTotals, j0: number, series: RunSeries | null): void {
    const { fleets, view } = this;
    const f = batch.runs.fleet[r]!;
    const policy = batch.runs.policy[r]!;
    const n = fleets.agentCount[f]!;
    this.stream = fleets.stream[f]!;
    this.replicate = batch.runs.replicate[r]!;
    this.offset = fleets.agentOffset[f]!;
    this.count = n;
    this.j0 = j0;
    view.offset = this.offset;
    view.count = n;
    view.capacity = fleets.capacity[f]!;
    // Only the adaptive allocation reads λ̂, and λ̂ stays λ under the nominal signal.
    this.trackRates = readsRates(policy) && this.signal !== SIGNAL_NOMINAL;
    const perStep = this.trackRates || sharesVaryWithStep(policy);
    this.stride = perStep ? n : 0;
    for (let i = 0; i < n; i++) {
      this.queues[i] = 0;
      this.rates[i] = fleets.lambda[this.offset + i]!; // λ̂_0 = λ_i in every mode
      this.segments[i] = 0;
    }
    if (!perStep) allocateShares(policy, view, 0, this.alloc, this.shares, 0);
    const steps = this.config.steps;
    for (let t0 = 0; t0 < steps; t0 += CHUNK) {
      const t1 = Math.min(steps, t0 + CHUNK);
      if (this.poissonMode) {
        for (let t = t0; t < t1; t++) philoxPrefix(this.key, this.stream, this.replicate, t, this.prefix, (t - t0) * PREFIX_WORDS);
      }
      if (this.trackRates) {
        // The allocator reads λ̂_t, which depends on steps before t only, so allocating before drawing
        // this step's arrivals gives the same shares as the specified arrive → allocate order.
        for (let t = t0; t < t1; t++) {
          allocateShares(policy, view, t, this.alloc, this.shares, (t - t0) * n);
          for (let i = 0; i < n; i++) this.advance(i, t0, t, t + 1, totals, series);
        }
      } else {
        if (perStep) for (let t = t0; t < t1; t++) allocateShares(policy, view, t, this.alloc, this.shares, (t - t0) * n);
        for (let i = 0; i < n; i++) this.advance(i, t0, t0, t1, totals, series);
      }
    }
  }

  /**
   * Advances agent i through steps [from, to) of the chunk that starts at t0: its state comes from and
   * returns to queues, rates, segments and totals, so that any split of the steps gives the same bits.
   */
  private advance(i: number, t0: number, from: number, to: number, totals: RunTotals, series: RunSeries | null): void {
    const { fleets, config, draws, prefix, first, shares, stride } = this;
    const a = this.offset + i;
    const j = this.j0 + i;
    const { dt, lmax, steps } = config;
    const warmup = this.warmup;
    const signal = this.signal;
    const alpha = this.alpha;
    const T = fleets.T[a]!;
    // stepMean's f32(λ·Δt) · f32(m(t)): the agent's rate-schedule segments are walked as t advances.
    const baseMean = stepMean(fleets.lambda[a]!, dt, 1);
    const segmentFirst = fleets.scheduleOffset[a]!;
    const segmentCount = fleets.scheduleCount[a]!;
    let segment = this.segments[i]!;
    let multiplier = segment > 0 ? fleets.scheduleMultiplier[segmentFirst + segment - 1]! : 1;
    const sampler = this.samplers[i]!;
    const drawing = this.poissonMode && baseMean > 0;
    if (drawing) {
      const word3 = i << 16;
      let t = from;
      for (; t + 4 <= to; t += 4) philoxBlocks4(this.key, prefix, (t - t0) * PREFIX_WORDS, word3, first, (t - from) * 4);
      for (; t < to; t++) philoxBlock(this.key, prefix, (t - t0) * PREFIX_WORDS, word3, first, (t - from) * 4);
    }
    let queue = this.queues[i]!;
    let rate = this.rates[i]!;
    let latencySum = totals.latencySum[j]!;
    let servedSum = totals.servedSum[j]!;
    let queueSum = totals.queueSum[j]!;
    let shareSum = totals.shareSum[j]!;
    let arrivedSum = totals.arrivedSum[j]!;
    let systemSum = totals.systemSum[j]!;
    for (let t = from; t < to; t++) {
      while (segment < segmentCount && fleets.scheduleStart[segmentFirst + segment]! <= t) {
        multiplier = fleets.scheduleMultiplier[segmentFirst + segment]!;
        segment++;
      }
      // Arrive: the f32 mean λ·Δt·m(t) (deterministic), or a Poisson count with that mean, each
      // request bringing one unit of work or an Exp(1) amount drawn after the count.
      const mean = Math.fround(baseMean * multiplier);
      let arrived = mean;
      let work = mean;
      if (this.poissonMode) {
        if (drawing) draws.resume(this.key, prefix, (t - t0) * PREFIX_WORDS, i, first, (t - from) * 4);
        arrived = sampler.sample(mean, draws);
        work = this.exponential ? exponentialWork(arrived, draws) : arrived;
      }
      const g = shares[(t - t0) * stride + i]!;
      // The signal for step t + 1, updated after this step's share used λ̂_t.
      if (signal === SIGNAL_OBSERVED) rate = arrived / dt;
      else if (signal === SIGNAL_EMA) rate = alpha * (arrived / dt) + (1 - alpha) * rate;
      // Process: fluid service at rate T·g for Δt.
      const service = T * g;
      const backlog = queue + work;
      const served = Math.min(backlog, service * dt);
      queue = backlog - served;
      // Record: latency is the backlog over the service rate, L_max when the share is 0.
      const latency = g > 0 ? queue / service : lmax;
      if (t >= warmup) {
        latencySum += latency;
        servedSum += served;
        queueSum += queue;
        shareSum += g;
        arrivedSum += arrived;
        systemSum += inSystem(queue);
      }
      if (series !== null) {
        const k = i * steps + t;
        series.arrivals[k] = arrived;
        series.work[k] = work;
        series.share[k] = g;
        series.served[k] = served;
        series.queue[k] = queue;
        series.latency[k] = latency;
      }
    }
    this.queues[i] = queue;
    this.rates[i] = rate;
    this.segments[i] = segment;
    totals.latencySum[j] = latencySum;
    totals.servedSum[j] = servedSum;
    totals.queueSum[j] = queueSum;
    totals.shareSum[j] = shareSum;
    totals.arrivedSum[j] = arrivedSum;
    totals.systemSum[j] = systemSum;
    if (to === steps) totals.finalQueue[j] = queue;
  }
}

/**
 * Runs fleet runs [begin, end) of `batch`, adding their per-agent sums onto `totals` (fresh zeros by
 * default; see summarize()) and setting their final queues; returns `totals`.
 */
export function runBatchCpu(batch: Batch, begin = 0, end = batch.runs.count, totals = allocTotals(batch)): RunTotals {
  const simulator = new Simulator(batch);
  for (let r = begin; r < end; r++) simulator.run(batch, r, totals, totals.agentOffset[r]!, null);
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
  const sums = (): Float64Array => new Float64Array(agents);
  const totals: RunTotals = {
    runs: 1,
    agentOffset: new Uint32Array(1),
    agentCount: Uint32Array.of(agents),
    finalQueue: sums(),
    latencySum: sums(),
    servedSum: sums(),
    queueSum: sums(),
    shareSum: sums(),
    arrivedSum: sums(),
    systemSum: sums(),
  };
  new Simulator(batch).run(batch, r, totals, 0, series);
  return series;
}
