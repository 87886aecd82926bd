/**
 * Arrive: the arrival processes (ARRIVAL_PROCESSES), CPU twin of shaders/arrivals.wgsl. Each agent-step
 * has a budget Λ, the f32 mean (λ·Δt)·m(t) of its rate schedule (stepMean), or κ·C(t)·m(t) when the
 * agent's process is modulated by a trace (src/random/replay.ts); a process turns it into a count of
 * requests and the work they bring, from the agent's Philox streams (src/random/philox.ts, purposes
 * §4.0) and its process state. Arrivals depend on the fleet, replicate, step and agent only, never on
 * the policy or a run's state, so the CPU engine draws them once per group of runs that share a fleet
 * replicate, a chunk of steps at a time, and every run of the group serves them.
 *
 * The processes (MODEL.md Part 3, MODEL-PART4 §4.1–4.2): deterministic (the mean itself), poisson,
 * gamma and weibull renewal processes at a target CV in operational time (src/random/renewal.ts), a
 * two-state MMPP (src/random/mmpp.ts) and trace replay (src/random/replay.ts). Each agent has its own
 * process (PackedFleets.process; INHERIT_PROCESS: the batch's `arrivals`).
 *
 * Process state per (fleet replicate, agent): the rate schedule's cursor (`segments`), the renewal
 * residual, the MMPP phase and holding time, the trace offsets, and the arrival statistics of the
 * recorded steps (ARRIVAL_TOTALS: Σa², windowed sums for the index of dispersion, the largest step,
 * approximated steps). The GPU keeps the same in ArrivalState (src/gpu/layout.ts).
 *
 * @example
 *   const draws = new ArrivalDraws(batch.fleets, batch.config);
 *   draws.startGroup(stream, replicate, offset, n); draws.startChunk(0, span);
 *   draws.arrive(i, 0, span, arrivals, work, i * span);
 */
import {
  DrawStream,
  KEY_WORDS,
  philoxBlock,
  philoxBlocks4,
  philoxKey,
  philoxPrefix,
  PREFIX_WORDS,
  PURPOSE,
  purposeStep,
  seedKey,
} from './philox.js';
import { PoissonSampler } from './poisson.js';
import { NO_TABLE, PoissonTablePack, TABLE_MAX_MEAN, tableH0, tableSearch, tableTail } from './poissonTable.js';
import { exponentialWork } from './work.js';
import { type ApproxFlag } from './gamma.js';
import { mmppIntensity, mmppStart } from './mmpp.js';
import { renewalArrivals, type RenewalParams, renewalStart } from './renewal.js';
import { MAX_REPLAY_COPIES, replayArrivals, replayCopies, traceCount, traceOffset, traceSpan } from './replay.js';

/**
 * The arrival processes, in id order (the `ARRIVALS_*` the kernels read, generated from this list by
 * src/gpu/wgsl.ts through src/model/modes.ts). A new process goes at the end, with its row in
 * ARRIVAL_PROCESS_INFO.
 */
export const ARRIVAL_PROCESSES = ['deterministic', 'poisson', 'gamma', 'weibull', 'mmpp', 'replay', 'servegen'] as const;
export type ArrivalMode = (typeof ARRIVAL_PROCESSES)[number];

/**
 * What each process is: whether it draws whole requests (`counts`: exponential work needs them), and
 * whether it reads a trace (`trace`: optional = a trace modulates its budget; required = replay).
 */
export const ARRIVAL_PROCESS_INFO: Readonly<
  Record<ArrivalMode, { counts: boolean; trace: 'none' | 'optional' | 'required'; about: string }>
> = {
  deterministic: { counts: false, trace: 'none', about: 'exactly the mean: a fractional number of requests per step (the paper)' },
  poisson: { counts: true, trace: 'optional', about: 'Poisson counts with the mean (with a trace: trace-modulated Poisson)' },
  gamma: { counts: true, trace: 'optional', about: 'a renewal process with Gamma inter-arrival times at coefficient of variation cv' },
  weibull: { counts: true, trace: 'optional', about: 'a renewal process with Weibull inter-arrival times at coefficient of variation cv' },
  mmpp: { counts: true, trace: 'optional', about: 'a two-state Markov-modulated Poisson process (bursts of a peak rate)' },
  replay: { counts: true, trace: 'required', about: "a trace's own counts, thinned or copied to the agent's rate" },
  servegen: {
    counts: true,
    trace: 'required',
    about: 'a ServeGen client: each 600 s window sets the rate (scaled to the agent’s) and the Gamma or Weibull CV of a renewal process',
  },
};

/**
 * SimParams.arrivalFlags (uniform per dispatch, so the kernels branch on it at no cost): GENERAL, some
 * agent of the batch has a process beyond deterministic and poisson, or a trace (else the kernels take
 * the paper's short path, as fast as before these processes); STATS, record the arrival statistics
 * (SimConfig.arrivalStats).
 */
export const ARRIVAL_FLAG = { general: 1, stats: 2 } as const;

/** Whether agent a needs the general arrival path: a process beyond deterministic and poisson, or a trace. */
export function generalArrivals(fleets: Pick<ArrivalArrays, 'process' | 'trace'>, arrivals: ArrivalMode, a: number): boolean {
  return processOf(fleets, arrivals, a) > POISSON || fleets.trace[a]! > 0;
}

/** PackedFleets.process of an agent whose process is the batch's `arrivals`. */
export const INHERIT_PROCESS = 0xff;

/** The renewal family of a process (RenewalParams.family): gamma 0, weibull 1. */
export const RENEWAL_FAMILY: Partial<Record<ArrivalMode, number>> = { gamma: 0, weibull: 1 };

/**
 * The budget of one agent-step, the mean arrivals f32(f32(λ)·f32(Δt)) · f32(multiplier) with each
 * product rounded to f32, as WGSL's correctly rounded `*` does (arrivalMean in shaders/arrivals.wgsl),
 * so both engines hand the samplers the same number. With multiplier 1 it is the unscheduled mean.
 */
export function stepMean(lambda: number, dt: number, multiplier: number): number {
  return Math.fround(Math.fround(Math.fround(lambda) * Math.fround(dt)) * Math.fround(multiplier));
}

/**
 * Traces of a batch, concatenated in `counts`: a request trace binned at the run's Δt (one count per
 * step; stepsPerBin 1), or a ServeGen client's windows (SERVEGEN_WINDOW_WORDS words per window, each
 * window stepsPerBin = 600 s / Δt steps long: src/traces/library.ts).
 */
export interface PackedTraces {
  names: readonly string[];
  counts: Uint32Array;
  first: Uint32Array; // per trace: its first word in `counts`
  length: Uint32Array; // per trace: its steps (L bins × stepsPerBin)
  stepsPerBin: Uint32Array; // per trace: steps per bin (1) or per ServeGen window
  serveGen: Uint8Array; // per trace: 1 for a ServeGen client's windows, 0 for request counts
  meanRate: Float64Array; // per trace: its mean rate ρ̄, requests/s (Σc / (L·Δt); ServeGen: the windows' mean rate)
}

/**
 * A ServeGen window's words: the renewal family (RenewalParams.family), then as f32 bits its rate
 * (requests/s; 0 when idle), the Gamma shape k = 1/cv², the Weibull β and η (src/random/renewal.ts).
 */
export const SERVEGEN_WINDOW_WORDS = 5;

export const NO_TRACES: PackedTraces = {
  names: [],
  counts: new Uint32Array(0),
  first: new Uint32Array(0),
  length: new Uint32Array(0),
  stepsPerBin: new Uint32Array(0),
  serveGen: new Uint8Array(0),
  meanRate: new Float64Array(0),
};

const F32_OF_WORD = new Float32Array(1);
const WORD_OF_F32 = new Uint32Array(F32_OF_WORD.buffer);
/** The f32 whose bits are `word` (WGSL bitcast<f32>). */
export function f32OfWord(word: number): number {
  WORD_OF_F32[0] = word;
  return F32_OF_WORD[0]!;
}

/**
 * The word of ServeGen window at step t, read from offset `offset` (steps): window ⌊((o + t) mod S)/j⌋
 * of the client's S = L·j steps. CPU twin of serveGenWindow in shaders/arrivals.wgsl.
 */
export function serveGenWindow(traces: PackedTraces, k: number, offset: number, t: number): number {
  const steps = traces.length[k]!;
  const position = (offset + (t % steps)) % steps;
  return traces.first[k]! + Math.floor(position / traces.stepsPerBin[k]!) * SERVEGEN_WINDOW_WORDS;
}

/** The renewal parameters of the ServeGen window at word `at`. */
export function serveGenParams(traces: PackedTraces, at: number): RenewalParams {
  const family = traces.counts[at]! === 1 ? 1 : 0;
  return {
    family,
    shape: f32OfWord(traces.counts[at + 2]!),
    beta: f32OfWord(traces.counts[at + 3]!),
    scale: f32OfWord(traces.counts[at + 4]!),
  };
}

/** Per-agent arrival process parameters (part of PackedFleets), f32 as the kernels read them. */
export interface ArrivalArrays {
  process: Uint32Array; // ARRIVAL_PROCESS_ID, or INHERIT_PROCESS
  shape: Float32Array; // renewal: Gamma shape k = 1/cv² (also the Weibull leftover bridge's)
  beta: Float32Array; // weibull: shape β
  scale: Float32Array; // weibull: scale η = 1/Γ(1 + 1/β) (mean inter-arrival time 1)
  psiHigh: Float32Array; // mmpp: relative intensity of the high state (the peak ratio κ)
  psiLow: Float32Array; // mmpp: relative intensity of the low state
  qHighToLow: Float32Array; // mmpp: switching rate high → low, per second
  qLowToHigh: Float32Array; // mmpp: switching rate low → high, per second
  trace: Uint32Array; // index + 1 of the agent's trace in `traces` (0: none)
  kappa: Float32Array; // trace scale κ = λ / ρ̄ (1 without a trace)
  traces: PackedTraces;
}

/** What the draws read of a batch's packed fleets (PackedFleets in src/model/batch.ts). */
export interface ArrivalFleets extends ArrivalArrays {
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
  steps: number;
  warmup?: number;
  seed: bigint | number;
  arrivalStats?: boolean; // record the arrival statistics (ArrivalStats); default off
}

/** The process id agent `a` runs: its own, or the batch's. */
export function processOf(fleets: Pick<ArrivalArrays, 'process'>, arrivals: ArrivalMode, a: number): number {
  const own = fleets.process[a]!;
  return own === INHERIT_PROCESS ? ARRIVAL_PROCESSES.indexOf(arrivals) : own;
}

/**
 * The mean of agent a's Poisson table, or 0 when it draws without one (src/random/poissonTable.ts): a
 * table when its arrivals are Poisson with the same mean at every step (no trace, and no rate schedule
 * or one whose every multiplier is 1)
 * and 0 < μ ≤ TABLE_MAX_MEAN, μ = stepMean(λ, Δt, 1). Decided from the agent and the config alone,
 * never from the batch around it, so results do not depend on batching.
 */
export function poissonTableMean(
  fleets: Pick<ArrivalFleets, 'process' | 'trace' | 'lambda' | 'scheduleCount' | 'scheduleOffset' | 'scheduleMultiplier'>,
  config: Pick<ArrivalConfig, 'arrivals' | 'dt'>,
  a: number,
): number {
  if (processOf(fleets, config.arrivals, a) !== POISSON || fleets.trace[a]! !== 0) return 0;
  // A rate schedule changes the mean unless every segment's multiplier is 1 (then it is the same at every step).
  const first = fleets.scheduleOffset[a]!;
  for (let k = first; k < first + fleets.scheduleCount[a]!; k++) if (fleets.scheduleMultiplier[k] !== 1) return 0;
  const mu = stepMean(fleets.lambda[a]!, config.dt, 1);
  return mu > 0 && mu <= TABLE_MAX_MEAN ? mu : 0;
}

/** Agent a's renewal parameters as the samplers take them. */
export function renewalParamsOf(fleets: ArrivalArrays, a: number, process: number): RenewalParams {
  return { family: process === WEIBULL ? 1 : 0, shape: fleets.shape[a]!, beta: fleets.beta[a]!, scale: fleets.scale[a]! };
}

const [DETERMINISTIC, POISSON, GAMMA, WEIBULL, MMPP, REPLAY, SERVEGEN] = ARRIVAL_PROCESSES.map((_, id) => id) as [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

/**
 * The windows (in recorded steps) of the index of dispersion IDC_w = Var/mean of the arrivals in
 * non-overlapping windows of w steps (MODEL-PART4 §4.1 metrics); w = 1 uses Σa and Σa².
 */
export const IDC_WINDOWS = [1, 10, 100] as const;

/** The per-agent arrival statistics over the recorded steps (the `arrivals` totals of src/model/metrics.ts). */
export interface ArrivalStats {
  window1Mean: number; // mean arrivals per recorded step (Welford)
  window1M2Sum: number; // Σ of squared deviations from the running mean (Welford's M2)
  window10Mean: number; // the same over complete 10-step windows
  window10M2Sum: number;
  window100Mean: number; // and over complete 100-step windows
  window100M2Sum: number;
  approxStepsSum: number; // steps whose count used an approximation (Weibull beyond its event loop, a sampler's fallback)
  maxArrivals: number; // the largest arrivals of one step
}

/** ArrivalDraws keeps its Poisson tables until they hold this many words (1 MiB), then starts afresh. */
const TABLE_CACHE_WORDS = 1 << 18;

/** Steps one chunk holds at most: bounds the Philox prefixes and first blocks kept per chunk. */
export const MAX_ARRIVAL_CHUNK_STEPS = 1024;

/** One batch's arrival draws, every buffer allocated once (nothing per step). */
export class ArrivalDraws {
  private readonly exponential: boolean;
  private readonly warmup: number;
  private readonly k0: number;
  private readonly k1: number;
  private readonly key: Int32Array;
  private readonly draws = new DrawStream();
  private readonly side = new DrawStream(); // the process and setup streams (purposes 1 and 3)
  private readonly flag: ApproxFlag = { approx: 0 };
  private readonly samplers: PoissonSampler[] = [];
  /** Each batch agent's Poisson table mean (poissonTableMean; 0: none), and the group's tables. */
  private readonly tableMeans: Float32Array;
  private readonly tables = new PoissonTablePack();
  private tableWords: Uint32Array = new Uint32Array(0); // the pack's words (a view, refreshed per group)
  private readonly tableAt: Uint32Array; // agent i of the group: its table's offset in tableWords, or NO_TABLE
  /** Philox prefixes of the chunk's steps (PREFIX_WORDS each) and one agent's first blocks (4 words each). */
  private readonly prefix = new Int32Array(MAX_ARRIVAL_CHUNK_STEPS * PREFIX_WORDS);
  private readonly first = new Int32Array(MAX_ARRIVAL_CHUNK_STEPS * 4);
  // Process state of agent i of the group.
  private readonly segments: Uint32Array; // schedule segments with start ≤ the next step
  private readonly residual: Float32Array; // renewal: operational time to the next arrival
  private readonly phase: Uint32Array; // mmpp: 1 = high
  private readonly hold: Float32Array; // mmpp: seconds left in the phase
  private readonly offsets: Uint32Array; // trace: copy c's offset at [i·MAX_REPLAY_COPIES + c]
  private readonly window10: Float64Array; // arrivals of the current 10-step window
  private readonly window100: Float64Array;
  private readonly statistics: ArrivalStats[] = [];
  private readonly stats: boolean; // record the arrival statistics (ArrivalConfig.arrivalStats)
  private readonly drawing: boolean; // some agent of the batch draws its arrivals (not deterministic)
  private stream = 0;
  private replicate = 0;
  private offset = 0;

  constructor(
    private readonly fleets: ArrivalFleets,
    private readonly config: ArrivalConfig,
    maxAgents: number,
  ) {
    this.exponential = config.work === 'exponential';
    this.warmup = config.warmup ?? 0;
    this.stats = config.arrivalStats ?? false;
    this.drawing = false;
    for (let a = 0; a < fleets.process.length && !this.drawing; a++) this.drawing = processOf(fleets, config.arrivals, a) !== DETERMINISTIC;
    [this.k0, this.k1] = seedKey(config.seed);
    this.key = philoxKey(this.k0, this.k1, new Int32Array(KEY_WORDS));
    this.segments = new Uint32Array(maxAgents);
    this.residual = new Float32Array(maxAgents);
    this.phase = new Uint32Array(maxAgents);
    this.hold = new Float32Array(maxAgents);
    this.offsets = new Uint32Array(maxAgents * MAX_REPLAY_COPIES);
    this.window10 = new Float64Array(maxAgents);
    this.window100 = new Float64Array(maxAgents);
    this.tableAt = new Uint32Array(maxAgents).fill(NO_TABLE);
    this.tableMeans = new Float32Array(fleets.process.length);
    for (let a = 0; a < fleets.process.length; a++) this.tableMeans[a] = poissonTableMean(fleets, config, a);
    for (let i = 0; i < maxAgents; i++) {
      this.samplers.push(new PoissonSampler());
      this.statistics.push(emptyStats());
    }
  }

  /** Starts a fleet replicate at step 0: agents [offset, offset + count) of the fleet with random stream `stream`. */
  startGroup(stream: number, replicate: number, offset: number, count: number): void {
    this.stream = stream;
    this.replicate = replicate;
    this.offset = offset;
    this.segments.fill(0, 0, count);
    this.window10.fill(0, 0, count);
    this.window100.fill(0, 0, count);
    for (let i = 0; i < count; i++) Object.assign(this.statistics[i]!, emptyStats());
    this.packTables(offset, count);
  }

  /**
   * The group's Poisson tables: one per distinct mean, kept from group to group (the replicates of a
   * fleet, fleets of the same agents), the pack cleared once it holds TABLE_CACHE_WORDS, so its memory
   * stays bounded whatever the batch. A table is a function of its mean alone, so which group built
   * it changes no draw.
   */
  private packTables(offset: number, count: number): void {
    const { tables } = this;
    if (tables.words().length > TABLE_CACHE_WORDS) tables.clear();
    for (let i = 0; i < count; i++) {
      const mu = this.tableMeans[offset + i]!;
      this.tableAt[i] = mu > 0 ? tables.add(mu) : NO_TABLE;
    }
    this.tableWords = tables.words();
  }

  /** Prepares steps [t0, t1) (at most MAX_ARRIVAL_CHUNK_STEPS): the Philox prefixes the draws share. */
  startChunk(t0: number, t1: number): void {
    if (!this.drawing) return; // deterministic arrivals everywhere: nothing is drawn
    for (let t = t0; t < t1; t++) philoxPrefix(this.key, this.stream, this.replicate, t, this.prefix, (t - t0) * PREFIX_WORDS);
  }

  /** Agent i's arrival statistics over the steps drawn so far (the group's recorded steps once it ends). */
  statsOf(i: number): Readonly<ArrivalStats> {
    return this.statistics[i]!;
  }

  /** The process state at step 0 (MODEL-PART4 §4.1–4.2 stationary starts, trace offsets), from the setup stream. */
  private start(i: number, process: number): void {
    const { fleets, side } = this;
    const a = this.offset + i;
    const trace = fleets.trace[a]!;
    if (process !== GAMMA && process !== WEIBULL && process !== MMPP && trace === 0) return;
    side.reset(this.k0, this.k1, this.stream, this.replicate, purposeStep(PURPOSE.setup, 0), i);
    if (process === GAMMA || process === WEIBULL) this.residual[i] = renewalStart(renewalParamsOf(fleets, a, process), side);
    if (process === SERVEGEN) {
      // The window at step 0's process; its offset is drawn first (the setup stream's step field 1).
      const span = traceSpan(fleets.traces.length[trace - 1]!, this.config.steps);
      const offset = traceOffset(side, this.k0, this.k1, this.stream, this.replicate, i, 0, span);
      this.offsets[i * MAX_REPLAY_COPIES] = offset;
      side.reset(this.k0, this.k1, this.stream, this.replicate, purposeStep(PURPOSE.setup, 0), i);
      this.residual[i] = renewalStart(serveGenParams(fleets.traces, serveGenWindow(fleets.traces, trace - 1, offset, 0)), side);
      return;
    }
    if (process === MMPP) {
      const state = mmppStart(mmppParamsOf(fleets, a), side);
      this.phase[i] = state.phase;
      this.hold[i] = state.hold;
    }
    if (trace > 0) {
      const length = fleets.traces.length[trace - 1]!;
      const span = traceSpan(length, this.config.steps);
      const copies = process === REPLAY ? replayCopies(fleets.kappa[a]!) : 1;
      for (let c = 0; c < copies; c++) {
        this.offsets[i * MAX_REPLAY_COPIES + c] = traceOffset(side, this.k0, this.k1, this.stream, this.replicate, i, c, span);
      }
    }
  }

  /**
   * Agent i's arrivals (requests) and work (units of one request's mean work) for the chunk's steps
   * [t0, t1), into arrivals[row + t] and work[row + t]. Steps come in order, chunk after chunk.
   */
  arrive(i: number, t0: number, t1: number, arrivals: Float64Array, work: Float64Array, row: number): void {
    const { fleets, config, draws, prefix, first, flag } = this;
    const a = this.offset + i;
    const process = processOf(fleets, config.arrivals, a);
    if (t0 === 0) this.start(i, process);
    // stepMean's f32(λ·Δt) · f32(m(t)): the agent's rate-schedule segments are walked as t advances.
    const baseMean = stepMean(fleets.lambda[a]!, config.dt, 1);
    const segmentFirst = fleets.scheduleOffset[a]!;
    const segmentCount = fleets.scheduleCount[a]!;
    let segment = this.segments[i]!;
    let multiplier = segment > 0 ? fleets.scheduleMultiplier[segmentFirst + segment - 1]! : 1;
    const trace = fleets.trace[a]!;
    const traceFirst = trace > 0 ? fleets.traces.first[trace - 1]! : 0;
    const traceLength = trace > 0 ? fleets.traces.length[trace - 1]! : 0;
    const kappa = fleets.kappa[a]!;
    const dt = Math.fround(config.dt);
    const offsets = this.offsets.subarray(i * MAX_REPLAY_COPIES, (i + 1) * MAX_REPLAY_COPIES);
    const sampler = this.samplers[i]!;
    const renewal = process === GAMMA || process === WEIBULL ? renewalParamsOf(fleets, a, process) : null;
    const mmpp = process === MMPP ? mmppParamsOf(fleets, a) : null;
    const state = { residual: this.residual[i]!, phase: this.phase[i]!, hold: this.hold[i]! };
    const drawing = process !== DETERMINISTIC && (trace > 0 || baseMean > 0);
    if (drawing) {
      // Block 0 of every step, four steps at a time (philoxBlocks4); the samplers rarely need block 1.
      const word3 = i << 16;
      let t = t0;
      for (; t + 4 <= t1; t += 4) philoxBlocks4(this.key, prefix, (t - t0) * PREFIX_WORDS, word3, first, (t - t0) * 4);
      for (; t < t1; t++) philoxBlock(this.key, prefix, (t - t0) * PREFIX_WORDS, word3, first, (t - t0) * 4);
    }
    const table = this.tableAt[i]!;
    if (table !== NO_TABLE) {
      this.tableArrive(i, t0, t1, table, baseMean, arrivals, work, row);
      return;
    }
    for (let t = t0; t < t1; t++) {
      while (segment < segmentCount && fleets.scheduleStart[segmentFirst + segment]! <= t) {
        multiplier = fleets.scheduleMultiplier[segmentFirst + segment]!;
        segment++;
      }
      // The budget: λ·Δt·m(t), or κ·C(t)·m(t) on a trace.
      let window = 0;
      let mean: number;
      if (process === SERVEGEN) {
        // κ·rate_w·Δt: the window's rate scaled to the agent's, over one step.
        window = serveGenWindow(fleets.traces, trace - 1, offsets[0]!, t);
        const rate = f32OfWord(fleets.traces.counts[window + 1]!);
        mean = Math.fround(Math.fround(Math.fround(kappa * rate) * dt) * multiplier);
      } else if (trace > 0 && process !== REPLAY) {
        mean = Math.fround(Math.fround(kappa * traceCount(fleets.traces.counts, traceFirst, traceLength, offsets[0]!, t)) * multiplier);
      } else mean = Math.fround(baseMean * multiplier);
      // deterministic: exactly the mean, each request one unit of work. The others: a count of requests,
      // each bringing one unit of work or an Exp(1) amount drawn after the count.
      let arrived = mean;
      let brought = mean;
      flag.approx = 0;
      if (drawing) {
        draws.resume(this.key, prefix, (t - t0) * PREFIX_WORDS, i, first, (t - t0) * 4);
        if (process === POISSON) arrived = sampler.sample(mean, draws);
        else if (renewal !== null) arrived = renewalArrivals(mean, renewal, state, draws, flag);
        else if (process === SERVEGEN) arrived = renewalArrivals(mean, serveGenParams(fleets.traces, window), state, draws, flag);
        else if (mmpp !== null) {
          this.side.reset(this.k0, this.k1, this.stream, this.replicate, purposeStep(PURPOSE.process, t), i);
          const intensity = mmppIntensity(config.dt, mmpp, state, this.side);
          arrived = sampler.sample(Math.fround(mean * Math.fround(intensity / Math.fround(config.dt))), draws);
        } else arrived = replayArrivals(fleets.traces.counts, traceFirst, traceLength, offsets, kappa, t, draws);
        brought = this.exponential ? exponentialWork(arrived, draws) : arrived;
      } else if (process !== DETERMINISTIC) {
        arrived = brought = 0; // λ = 0: the mean is 0 at every step
      }
      arrivals[row + t] = arrived;
      work[row + t] = brought;
      if (this.stats && t >= this.warmup) this.record(i, t, arrived, flag.approx);
    }
    this.segments[i] = segment;
    this.residual[i] = state.residual;
    this.phase[i] = state.phase;
    this.hold[i] = state.hold;
  }

  /**
   * arrive() for an agent with a Poisson table (a fixed mean: no schedule, no trace, no process state):
   * the count is its table's entry for the step's first word, read from the block already computed;
   * the stream is resumed only for the tail beyond the table (probability ≤ 2^-32) or exponential work.
   */
  private tableArrive(
    i: number,
    t0: number,
    t1: number,
    at: number,
    mu: number,
    arrivals: Float64Array,
    work: Float64Array,
    row: number,
  ): void {
    const { draws, prefix, first, exponential } = this;
    const words = this.tableWords;
    const L = words[at]!;
    const kLo = words[at + 1]!;
    for (let t = t0; t < t1; t++) {
      const o = (t - t0) * 4;
      const j = tableSearch(words, at, first[o]! >>> 0);
      let arrived = kLo + j;
      if (j === L || exponential) {
        draws.resume(this.key, prefix, (t - t0) * PREFIX_WORDS, i, first, o);
        draws.nextU32(); // the first word, the table's x
        if (j === L) arrived = tableTail(kLo + L, tableH0(words, at), mu, draws.nextU32());
      }
      arrivals[row + t] = arrived;
      work[row + t] = exponential ? exponentialWork(arrived, draws) : arrived;
      if (this.stats && t >= this.warmup) this.record(i, t, arrived, 0);
    }
  }

  /** Adds step t's arrivals to agent i's statistics (recorded steps only). CPU twin of recordArrivals in arrivals.wgsl. */
  private record(i: number, t: number, arrived: number, approx: number): void {
    const s = this.statistics[i]!;
    const k = t - this.warmup;
    [s.window1Mean, s.window1M2Sum] = welford(s.window1Mean, s.window1M2Sum, k + 1, arrived);
    s.approxStepsSum += approx;
    if (arrived > s.maxArrivals) s.maxArrivals = arrived;
    let w = this.window10[i]! + arrived;
    if (k % 10 === 9) {
      [s.window10Mean, s.window10M2Sum] = welford(s.window10Mean, s.window10M2Sum, (k + 1) / 10, w);
      w = 0;
    }
    this.window10[i] = w;
    w = this.window100[i]! + arrived;
    if (k % 100 === 99) {
      [s.window100Mean, s.window100M2Sum] = welford(s.window100Mean, s.window100M2Sum, (k + 1) / 100, w);
      w = 0;
    }
    this.window100[i] = w;
  }
}

/** Welford's update of (mean, M2) with the n-th value x. WGSL twin: welford in shaders/arrivals.wgsl. */
function welford(mean: number, m2: number, n: number, x: number): [number, number] {
  const delta = x - mean;
  const next = mean + delta / n;
  return [next, m2 + delta * (x - next)];
}

function emptyStats(): ArrivalStats {
  return {
    window1Mean: 0,
    window1M2Sum: 0,
    window10Mean: 0,
    window10M2Sum: 0,
    window100Mean: 0,
    window100M2Sum: 0,
    approxStepsSum: 0,
    maxArrivals: 0,
  };
}

/** Agent a's MMPP parameters as the samplers take them. */
function mmppParamsOf(fleets: ArrivalArrays, a: number): { psiHigh: number; psiLow: number; qHighToLow: number; qLowToHigh: number } {
  return { psiHigh: fleets.psiHigh[a]!, psiLow: fleets.psiLow[a]!, qHighToLow: fleets.qHighToLow[a]!, qLowToHigh: fleets.qLowToHigh[a]! };
}
