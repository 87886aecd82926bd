/**
 * Arrive: the arrival processes (ARRIVAL_PROCESSES), CPU twin of
 * shaders/arrivals.wgsl. Each agent-step has a budget, the f32 mean Λ = (λ·Δt)·m(t) of its rate
 * schedule (stepMean); a process turns it into a count of requests and the work they bring, from the
 * agent's Philox stream (src/random/philox.ts) and its process state. Arrivals depend on the fleet,
 * replicate, step and agent only, never on the policy or a run's state, so the CPU engine draws them
 * once per group of runs that share a fleet replicate, a chunk of steps at a time, and every run of
 * the group serves them.
 *
 * Process state per (fleet replicate, agent): today the rate schedule's cursor (`segments`), so a
 * schedule costs O(1) per step however long it is (the GPU keeps the same cursor in AgentState).
 *
 * @example
 *   const draws = new ArrivalDraws(batch.fleets, batch.config);
 *   draws.startGroup(stream, replicate, offset, n); draws.startChunk(0, span);
 *   draws.arrive(i, 0, span, arrivals, work, i * span);
 */
import { DrawStream, KEY_WORDS, philoxBlock, philoxBlocks4, philoxKey, philoxPrefix, PREFIX_WORDS, seedKey } from './philox.js';
import { PoissonSampler } from './poisson.js';
import { exponentialWork } from './work.js';

/**
 * The arrival processes, in id order (the `ARRIVALS_*` the kernels read, generated from this list by
 * src/gpu/wgsl.ts through src/model/modes.ts). A new process goes at the end.
 */
export const ARRIVAL_PROCESSES = ['deterministic', 'poisson'] as const;
export type ArrivalMode = (typeof ARRIVAL_PROCESSES)[number];

/**
 * The budget of one agent-step, the mean arrivals f32(f32(λ)·f32(Δt)) · f32(multiplier) with each
 * product rounded to f32, as WGSL's correctly rounded `*` does (arrivalMean in shaders/arrivals.wgsl),
 * so both engines hand the samplers the same number. With multiplier 1 it is the unscheduled mean.
 */
export function stepMean(lambda: number, dt: number, multiplier: number): number {
  return Math.fround(Math.fround(Math.fround(lambda) * Math.fround(dt)) * Math.fround(multiplier));
}

/** What the draws read of a batch's packed fleets (PackedFleets in src/model/batch.ts). */
export interface ArrivalFleets {
  lambda: Float32Array;
  scheduleOffset: Uint32Array;
  scheduleCount: Uint32Array;
  scheduleStart: Uint32Array;
  scheduleMultiplier: Float32Array;
}

/** What the draws read of a batch's settings (SimConfig in src/model/batch.ts). */
export interface ArrivalConfig {
  arrivals: ArrivalMode;
  work?: string; // 'exponential': Exp(1) units of work per request
  dt: number;
  seed: bigint | number;
}

/** Steps one chunk holds at most: bounds the Philox prefixes and first blocks kept per chunk. */
export const MAX_ARRIVAL_CHUNK_STEPS = 1024;

/** One batch's arrival draws, every buffer allocated once (nothing per step). */
export class ArrivalDraws {
  private readonly poisson: boolean;
  private readonly exponential: boolean;
  private readonly key: Int32Array;
  private readonly draws = new DrawStream();
  private readonly samplers: PoissonSampler[] = [];
  /** Philox prefixes of the chunk's steps (PREFIX_WORDS each) and one agent's first blocks (4 words each). */
  private readonly prefix = new Int32Array(MAX_ARRIVAL_CHUNK_STEPS * PREFIX_WORDS);
  private readonly first = new Int32Array(MAX_ARRIVAL_CHUNK_STEPS * 4);
  /** Process state of agent i of the group: schedule segments with start ≤ the next step. */
  private readonly segments: Uint32Array;
  private stream = 0;
  private replicate = 0;
  private offset = 0;

  constructor(
    private readonly fleets: ArrivalFleets,
    private readonly config: ArrivalConfig,
    maxAgents: number,
  ) {
    this.poisson = config.arrivals === 'poisson';
    this.exponential = config.work === 'exponential';
    const [k0, k1] = seedKey(config.seed);
    this.key = philoxKey(k0, k1, new Int32Array(KEY_WORDS));
    this.segments = new Uint32Array(maxAgents);
    for (let i = 0; i < maxAgents; i++) this.samplers.push(new PoissonSampler());
  }

  /** Starts a fleet replicate at step 0: agents [offset, offset + count) of the fleet with random stream `stream`. */
  startGroup(stream: number, replicate: number, offset: number, count: number): void {
    this.stream = stream;
    this.replicate = replicate;
    this.offset = offset;
    this.segments.fill(0, 0, count);
  }

  /** Prepares steps [t0, t1) (at most MAX_ARRIVAL_CHUNK_STEPS): the Philox prefixes the draws share. */
  startChunk(t0: number, t1: number): void {
    if (!this.poisson) return;
    for (let t = t0; t < t1; t++) philoxPrefix(this.key, this.stream, this.replicate, t, this.prefix, (t - t0) * PREFIX_WORDS);
  }

  /**
   * Agent i's arrivals (requests) and work (units of one request's mean work) for the chunk's steps
   * [t0, t1), into arrivals[row + t] and work[row + t]. Steps come in order, chunk after chunk.
   */
  arrive(i: number, t0: number, t1: number, arrivals: Float64Array, work: Float64Array, row: number): void {
    const { fleets, config, draws, prefix, first } = this;
    const a = this.offset + i;
    // stepMean's f32(λ·Δt) · f32(m(t)): the agent's rate-schedule segments are walked as t advances.
    const baseMean = stepMean(fleets.lambda[a]!, config.dt, 1);
    const segmentFirst = fleets.scheduleOffset[a]!;
    const segmentCount = fleets.scheduleCount[a]!;
    let segment = this.segments[i]!;
    let multiplier = segment > 0 ? fleets.scheduleMultiplier[segmentFirst + segment - 1]! : 1;
    const poisson = this.poisson;
    const sampler = this.samplers[i]!;
    const drawing = poisson && baseMean > 0;
    if (drawing) {
      // Block 0 of every step, four steps at a time (philoxBlocks4); the samplers rarely need block 1.
      const word3 = i << 16;
      let t = t0;
      for (; t + 4 <= t1; t += 4) philoxBlocks4(this.key, prefix, (t - t0) * PREFIX_WORDS, word3, first, (t - t0) * 4);
      for (; t < t1; t++) philoxBlock(this.key, prefix, (t - t0) * PREFIX_WORDS, word3, first, (t - t0) * 4);
    }
    for (let t = t0; t < t1; t++) {
      while (segment < segmentCount && fleets.scheduleStart[segmentFirst + segment]! <= t) {
        multiplier = fleets.scheduleMultiplier[segmentFirst + segment]!;
        segment++;
      }
      const mean = Math.fround(baseMean * multiplier);
      // deterministic: exactly the mean, each request one unit of work. poisson: an exact Poisson count
      // with the mean, each request bringing one unit of work or an Exp(1) amount drawn after the count.
      let arrived = mean;
      let brought = mean;
      if (drawing) {
        draws.resume(this.key, prefix, (t - t0) * PREFIX_WORDS, i, first, (t - t0) * 4);
        arrived = sampler.sample(mean, draws);
        brought = this.exponential ? exponentialWork(arrived, draws) : arrived;
      } else if (poisson) {
        arrived = brought = 0; // λ = 0: the mean is 0 at every step
      }
      arrivals[row + t] = arrived;
      work[row + t] = brought;
    }
    this.segments[i] = segment;
  }
}
