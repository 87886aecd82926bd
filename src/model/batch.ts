/**
 * A batch of fleet runs: fleets (packed into typed arrays), the runs (fleet × policy × replicate) and
 * the simulation settings. Both engines read the same packed arrays, so the GPU and the CPU simulate
 * the same f32-rounded parameters.
 *
 * @example
 *   const fleets = packFleets([{ agents: PAPER_AGENTS }]);
 *   const batch = makeBatch(fleets, crossRuns(1, [POLICY.adaptive], 1), { ...PAPER_CONFIG });
 */
import { MAX_POISSON_MEAN } from '../random/poisson.js';
import { ConfigError } from './errors.js';
import {
  ARRIVAL_PROCESS_ID,
  ARRIVAL_PROCESSES,
  type ArrivalMode,
  SIGNAL_ID,
  SIGNALS,
  type SignalMode,
  WORK_MODE_ID,
  WORK_MODES,
  type WorkMode,
} from './modes.js';
import { POLICY_NAMES, type PolicyId } from './policies.js';
import {
  ARRIVAL_PROCESS_INFO,
  type ArrivalArrays,
  f32OfWord,
  SERVEGEN_WINDOW_WORDS,
  INHERIT_PROCESS,
  NO_TRACES,
  type PackedTraces,
  processOf,
  RENEWAL_FAMILY,
  stepMean,
} from '../random/arrivals.js';
import { checkMmpp, mmppParams } from '../random/mmpp.js';
import { RENEWAL_CV_RANGE, renewalParams } from '../random/renewal.js';
import { MAX_REPLAY_COPIES, MAX_REPLAY_STEP_COUNT } from '../random/replay.js';
import { maxMultiplier, type ScheduleArrays, type ScheduleSegment } from './schedule.js';

/** One agent (MODEL.md Part 1; `schedule` is fleetsim's, MODEL.md Part 3). */
export interface AgentSpec {
  name?: string;
  T: number; // base throughput with the whole GPU, requests/s
  R: number; // minimum GPU share, fraction of G
  P: number; // priority, 1 = most important
  lambda: number; // nominal arrival rate, requests/s
  M?: number; // model size, MB (descriptive)
  /** Piecewise-constant rate multipliers, starts strictly increasing; multiplier 1 before the first. */
  schedule?: readonly ScheduleSegment[];
  /** The agent's own arrival process (MODEL-PART4 §4.1–4.2); absent: the batch's `arrivals`. */
  arrivals?: ArrivalSpec;
}

/**
 * An agent's arrival process: its name and parameters. `cv`: the renewal processes' coefficient of
 * variation of the inter-arrival time. `mmpp`: the asymptotic index of dispersion J, the fraction of
 * time in the high state π_H and its peak ratio κ = λ_H/λ̄. `trace`: index of a trace of the batch's
 * `traces` (replay's counts; for the other counting processes, the budget's modulation).
 */
export interface ArrivalSpec {
  process: ArrivalMode;
  cv?: number;
  mmpp?: MmppSpec;
  trace?: number;
}

export interface MmppSpec {
  idc: number; // J > 1
  highFraction: number; // π_H in (0, 1)
  peakRatio: number; // κ ≥ 1, κ·π_H ≤ 1
}

export interface FleetSpec {
  agents: readonly AgentSpec[];
  capacity?: number; // G, GPUs; default 1
}

export type { ArrivalMode, SignalMode, WorkMode } from './modes.js';

export interface SimConfig {
  dt: number; // step length Δt, seconds
  steps: number; // S, steps simulated
  lmax: number; // latency recorded at share 0, seconds
  price: number; // $ per GPU-hour
  arrivals: ArrivalMode;
  seed: bigint | number; // Philox key, integer in [0, 2^64)
  /** Steps t < warmup are simulated but not recorded (0 ≤ warmup < steps); default 0. */
  warmup?: number;
  /** deterministic (default): 1 unit per request; exponential: Exp(1) units (Poisson arrivals only). */
  work?: WorkMode;
  /** nominal (default, the paper): λ_i; observed: last step's arrivals / Δt; ema: their moving average. */
  signal?: SignalMode;
  /** Weight α of the newest step in the ema signal, in (0, 1]; default DEFAULT_EMA_ALPHA. */
  emaAlpha?: number;
  /**
   * Record the arrival statistics (the index of dispersion, the largest step, the approximated
   * steps: the `arrivals` totals of src/model/metrics.ts); default off, and those metrics are NaN.
   */
  arrivalStats?: boolean;
}

export const DEFAULT_EMA_ALPHA = 0.2;

/** Fleets packed agent-major: fleet f owns agents [agentOffset[f], agentOffset[f] + agentCount[f]). */
export interface PackedFleets extends ScheduleArrays, ArrivalArrays {
  count: number;
  agentOffset: Uint32Array;
  agentCount: Uint32Array;
  capacity: Float32Array;
  stream: Uint32Array; // random stream id per fleet (default: its index)
  T: Float32Array;
  R: Float32Array;
  P: Float32Array;
  lambda: Float32Array;
  // and the rate schedules (ScheduleArrays): agent a's are segments [scheduleOffset[a], + scheduleCount[a]),
  // and the arrival processes (ArrivalArrays, src/random/arrivals.ts) with the batch's traces.
}

export interface PackedRuns {
  count: number;
  fleet: Uint32Array;
  policy: Uint32Array;
  replicate: Uint32Array;
}

export interface Batch {
  config: SimConfig;
  fleets: PackedFleets;
  runs: PackedRuns;
}

/**
 * Agents per fleet: the wide GPU kernel's workgroup reduction holds one f32 per agent in 16 KiB
 * (MAX_WIDE_AGENTS in shaders/simulateWide.wgsl), and the Philox counter has room for 2^16 agents.
 */
export const MAX_AGENTS_PER_FLEET = 4096;
/** Step indices stop below the Philox step word reserved for fleet parameter draws. */
export const MAX_STEPS = 1_000_000_000;
/** Segments per agent schedule: the kernel scans them linearly every step. */
export const MAX_SCHEDULE_SEGMENTS = 16;
/**
 * Largest per-step mean (λ·Δt·multiplier) with exponential work. Each request takes one draw after
 * the Poisson sampler's at most 128, from the 2^18 draws one agent-step can address (src/random/
 * philox.ts); at mean 10^4 a count above 2^18 − 128 has probability below 1e-10000.
 */
export const MAX_EXPONENTIAL_MEAN = 10_000;

/** `schedule` checked before packing, since Uint32Array would wrap negative or fractional starts. */
function checkSchedule(schedule: readonly ScheduleSegment[], at: string): void {
  check(
    schedule.length <= MAX_SCHEDULE_SEGMENTS,
    `${at}.schedule`,
    `must hold at most ${MAX_SCHEDULE_SEGMENTS} segments, got ${schedule.length}`,
  );
  schedule.forEach(({ start, multiplier }, k) => {
    const previous = k > 0 ? schedule[k - 1]!.start : -1;
    check(
      Number.isInteger(start) && start > previous && start < MAX_STEPS,
      `${at}.schedule[${k}].start`,
      `must be an integer step from ${previous + 1} to ${MAX_STEPS - 1} (starts strictly increasing), got ${start}`,
    );
    check(
      finite(multiplier) && multiplier >= 0 && finite(Math.fround(multiplier)),
      `${at}.schedule[${k}].multiplier`,
      `must be a finite number ≥ 0 (factor on lambda), got ${multiplier}`,
    );
  });
}

/**
 * Packs fleet specs; `streams` gives each fleet's random stream id (default: 0, 1, 2, …); `traces`
 * holds the traces the agents' arrival specs name by index. Throws a ConfigError naming the field
 * when a schedule or an arrival process is malformed.
 */
export function packFleets(fleets: readonly FleetSpec[], streams?: ArrayLike<number>, traces: PackedTraces = NO_TRACES): PackedFleets {
  const total = fleets.reduce((n, f) => n + f.agents.length, 0);
  let segments = 0;
  fleets.forEach((fleet, f) =>
    fleet.agents.forEach((a, i) => {
      const schedule = a.schedule ?? [];
      checkSchedule(schedule, `fleets[${f}].agents[${i}]`);
      segments += schedule.length;
    }),
  );
  const packed: PackedFleets = {
    count: fleets.length,
    agentOffset: new Uint32Array(fleets.length),
    agentCount: new Uint32Array(fleets.length),
    capacity: new Float32Array(fleets.length),
    stream: new Uint32Array(fleets.length),
    T: new Float32Array(total),
    R: new Float32Array(total),
    P: new Float32Array(total),
    lambda: new Float32Array(total),
    scheduleOffset: new Uint32Array(total),
    scheduleCount: new Uint32Array(total),
    scheduleStart: new Uint32Array(segments),
    scheduleMultiplier: new Float32Array(segments),
    process: new Uint32Array(total).fill(INHERIT_PROCESS),
    shape: new Float32Array(total),
    beta: new Float32Array(total),
    scale: new Float32Array(total),
    psiHigh: new Float32Array(total).fill(1),
    psiLow: new Float32Array(total).fill(1),
    qHighToLow: new Float32Array(total),
    qLowToHigh: new Float32Array(total),
    trace: new Uint32Array(total),
    kappa: new Float32Array(total).fill(1),
    traces,
  };
  let offset = 0;
  let segment = 0;
  fleets.forEach((fleet, f) => {
    packed.agentOffset[f] = offset;
    packed.agentCount[f] = fleet.agents.length;
    packed.capacity[f] = fleet.capacity ?? 1;
    packed.stream[f] = streams ? streams[f]! : f;
    fleet.agents.forEach((a, i) => {
      packed.T[offset] = a.T;
      packed.R[offset] = a.R;
      packed.P[offset] = a.P;
      packed.lambda[offset] = a.lambda;
      packed.scheduleOffset[offset] = segment;
      packed.scheduleCount[offset] = a.schedule?.length ?? 0;
      if (a.arrivals) packArrival(packed, offset, a.arrivals, a.lambda, `fleets[${f}].agents[${i}].arrivals`);
      for (const { start, multiplier } of a.schedule ?? []) {
        packed.scheduleStart[segment] = start;
        packed.scheduleMultiplier[segment] = multiplier;
        segment++;
      }
      offset++;
    });
  });
  return packed;
}

/** Agent a's arrival spec into the packed arrays, its parameters checked (ConfigError naming `at`). */
function packArrival(packed: PackedFleets, a: number, spec: ArrivalSpec, lambda: number, at: string): void {
  check(Object.hasOwn(ARRIVAL_PROCESS_ID, spec.process), `${at}.process`, `must be ${oneOf(ARRIVAL_PROCESSES)}, got ${spec.process}`);
  packed.process[a] = ARRIVAL_PROCESS_ID[spec.process];
  const family = RENEWAL_FAMILY[spec.process];
  if (family !== undefined) {
    const cv = spec.cv;
    const [lo, hi] = RENEWAL_CV_RANGE;
    check(cv !== undefined && cv >= lo && cv <= hi, `${at}.cv`, `must be a number in [${lo}, ${hi}] (coefficient of variation), got ${cv}`);
    const p = renewalParams(spec.process as 'gamma' | 'weibull', cv!);
    packed.shape[a] = p.shape;
    packed.beta[a] = p.beta;
    packed.scale[a] = p.scale;
  }
  if (spec.process === 'mmpp') {
    const m = spec.mmpp;
    check(m !== undefined, `${at}.mmpp`, 'must give {idc, highFraction, peakRatio} for the mmpp process');
    // An agent that never arrives (λ = 0) keeps a constant intensity: nothing to modulate.
    const problem = checkMmpp(lambda > 0 ? lambda : 1, m!.idc, m!.highFraction, m!.peakRatio);
    check(problem === null, `${at}.mmpp`, problem ?? '');
    if (lambda > 0) {
      const p = mmppParams(lambda, m!.idc, m!.highFraction, m!.peakRatio);
      packed.psiHigh[a] = p.psiHigh;
      packed.psiLow[a] = p.psiLow;
      packed.qHighToLow[a] = p.qHighToLow;
      packed.qLowToHigh[a] = p.qLowToHigh;
    }
  }
  const needs = ARRIVAL_PROCESS_INFO[spec.process].trace;
  if (spec.trace === undefined) {
    check(needs !== 'required', `${at}.trace`, `must name a trace for the ${spec.process} process`);
    return;
  }
  check(needs !== 'none', `${at}.trace`, `cannot be used with the ${spec.process} process (it has no counts to modulate)`);
  const k = spec.trace;
  check(
    Number.isInteger(k) && k >= 0 && k < packed.traces.names.length,
    `${at}.trace`,
    `must be a trace index below ${packed.traces.names.length}, got ${k}`,
  );
  const rate = packed.traces.meanRate[k]!;
  check(rate > 0, `${at}.trace`, `trace "${packed.traces.names[k]}" has no requests`);
  packed.trace[a] = k + 1;
  packed.kappa[a] = lambda / rate;
}

/** Every fleet × replicate × policy, in that nesting order (policies of one fleet run are adjacent). */
export function crossRuns(fleetCount: number, policies: readonly PolicyId[], replicates: number): PackedRuns {
  const count = fleetCount * replicates * policies.length;
  const runs: PackedRuns = {
    count,
    fleet: new Uint32Array(count),
    policy: new Uint32Array(count),
    replicate: new Uint32Array(count),
  };
  let r = 0;
  for (let f = 0; f < fleetCount; f++) {
    for (let rep = 0; rep < replicates; rep++) {
      for (const p of policies) {
        runs.fleet[r] = f;
        runs.replicate[r] = rep;
        runs.policy[r] = p;
        r++;
      }
    }
  }
  return runs;
}

export function makeBatch(fleets: PackedFleets, runs: PackedRuns, config: SimConfig): Batch {
  const batch = { config, fleets, runs };
  validateBatch(batch);
  return batch;
}

function check(ok: boolean, field: string, problem: string): void {
  if (!ok) throw new ConfigError(field, problem);
}

const finite = (x: number): boolean => Number.isFinite(x);

/** `a, b or c`. */
const oneOf = (names: readonly string[]): string =>
  names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names.join('');

/** Throws a ConfigError naming the first field outside its allowed range. */
export function validateBatch({ config, fleets, runs }: Batch): void {
  check(finite(config.dt) && config.dt > 0, 'dt', `must be a number > 0 (seconds), got ${config.dt}`);
  check(
    Number.isInteger(config.steps) && config.steps >= 1 && config.steps <= MAX_STEPS,
    'steps',
    `must be an integer from 1 to ${MAX_STEPS}, got ${config.steps}`,
  );
  check(finite(config.lmax) && config.lmax > 0, 'lmax', `must be a number > 0 (seconds), got ${config.lmax}`);
  check(finite(config.price) && config.price >= 0, 'price', `must be a number ≥ 0 ($/GPU-hour), got ${config.price}`);
  const seed = BigInt(config.seed);
  check(seed >= 0n && seed < 1n << 64n, 'seed', `must be an integer in [0, 2^64), got ${config.seed}`);
  check(Object.hasOwn(ARRIVAL_PROCESS_ID, config.arrivals), 'arrivals', `must be ${oneOf(ARRIVAL_PROCESSES)}, got ${config.arrivals}`);
  const warmup = config.warmup ?? 0;
  check(
    Number.isInteger(warmup) && warmup >= 0 && warmup < config.steps,
    'warmup',
    `must be an integer from 0 to steps − 1 = ${config.steps - 1} (steps not recorded), got ${warmup}`,
  );
  const work = config.work ?? 'deterministic';
  check(Object.hasOwn(WORK_MODE_ID, work), 'work', `must be ${oneOf(WORK_MODES)}, got ${work}`);
  const exponential = work === 'exponential';
  check(
    !exponential || ARRIVAL_PROCESS_INFO[config.arrivals].counts,
    'work',
    `exponential work needs arrivals that count requests (not deterministic, which adds a fractional mean), got arrivals ${config.arrivals}`,
  );
  const signal = config.signal ?? 'nominal';
  check(Object.hasOwn(SIGNAL_ID, signal), 'signal', `must be ${oneOf(SIGNALS)}, got ${signal}`);
  const alpha = config.emaAlpha ?? DEFAULT_EMA_ALPHA;
  check(finite(alpha) && alpha > 0 && alpha <= 1, 'emaAlpha', `must be a number in (0, 1] (weight of the newest step), got ${alpha}`);
  const meanLimit = exponential ? MAX_EXPONENTIAL_MEAN : MAX_POISSON_MEAN;
  for (let f = 0; f < fleets.count; f++) {
    const n = fleets.agentCount[f]!;
    check(n >= 1 && n <= MAX_AGENTS_PER_FLEET, `fleets[${f}].agents`, `must hold 1 to ${MAX_AGENTS_PER_FLEET} agents, got ${n}`);
    const g = fleets.capacity[f]!;
    check(finite(g) && g > 0, `fleets[${f}].capacity`, `must be a number > 0 (GPUs), got ${g}`);
    for (let i = 0; i < n; i++) {
      const a = fleets.agentOffset[f]! + i;
      const at = `fleets[${f}].agents[${i}]`;
      const T = fleets.T[a]!;
      const R = fleets.R[a]!;
      const P = fleets.P[a]!;
      const lambda = fleets.lambda[a]!;
      check(finite(T) && T > 0, `${at}.T`, `must be a number > 0 (requests/s), got ${T}`);
      check(R >= 0 && R <= 1, `${at}.R`, `must be a number in [0, 1] (share of G), got ${R}`);
      check(finite(P) && P > 0, `${at}.P`, `must be a number > 0 (priority, 1 = highest), got ${P}`);
      check(
        lambda >= 0 && stepMean(lambda, config.dt, 1) <= meanLimit,
        `${at}.lambda`,
        `must be a number ≥ 0 with lambda·dt ≤ ${meanLimit}${exponential ? ' (exponential work)' : ''} (requests/s), got ${lambda}`,
      );
      checkPackedSchedule(fleets, a, at);
      const peak = maxMultiplier(fleets, a);
      check(
        peak.index < 0 || stepMean(lambda, config.dt, peak.multiplier) <= meanLimit,
        `${at}.schedule[${peak.index}].multiplier`,
        `must keep lambda·dt·multiplier ≤ ${meanLimit}${exponential ? ' (exponential work)' : ''} (lambda ${lambda}, dt ${config.dt}), got ${peak.multiplier}`,
      );
      checkPackedArrivals(fleets, config, a, `${at}.arrivals`, exponential ? MAX_EXPONENTIAL_MEAN : undefined, peak.multiplier);
    }
  }
  for (let r = 0; r < runs.count; r++) {
    check(runs.fleet[r]! < fleets.count, `runs[${r}].fleet`, `must be below ${fleets.count}, got ${runs.fleet[r]}`);
    check(
      runs.policy[r]! < POLICY_NAMES.length,
      `runs[${r}].policy`,
      `must be one of ${POLICY_NAMES.map((n, i) => `${i} (${n})`).join(', ')}, got ${runs.policy[r]}`,
    );
  }
}

/**
 * Largest per-step budget of a renewal process: its bridge's counters stay exact integers and its
 * draws within the 2^18 an agent-step addresses (src/random/renewal.ts).
 */
export const MAX_RENEWAL_MEAN = 2 ** 20;
/** Steps below 2^28 when a process draws from the purposes other than 0 (MODEL-PART4 §4.0). */
export const MAX_PURPOSE_STEPS = 2 ** 28 - 1;

/** The largest count of trace k's steps. */
function traceMax(traces: PackedTraces, k: number): number {
  let peak = 0;
  const first = traces.first[k]!;
  for (let j = first; j < first + traces.length[k]!; j++) peak = Math.max(peak, traces.counts[j]!);
  return peak;
}

/** The largest window rate of ServeGen client trace k, requests/s. */
function serveGenMaxRate(traces: PackedTraces, k: number): number {
  let peak = 0;
  const windows = traces.length[k]! / traces.stepsPerBin[k]!;
  for (let w = 0; w < windows; w++) peak = Math.max(peak, f32OfWord(traces.counts[traces.first[k]! + w * SERVEGEN_WINDOW_WORDS + 1]!));
  return peak;
}

/** Agent a's arrival process: its id, parameters and trace within the ranges the samplers hold. */
function checkPackedArrivals(
  fleets: PackedFleets,
  config: SimConfig,
  a: number,
  at: string,
  workLimit: number | undefined,
  peak: number,
): void {
  const id = processOf(fleets, config.arrivals, a);
  check(
    id < ARRIVAL_PROCESSES.length,
    `${at}.process`,
    `must be one of ${ARRIVAL_PROCESSES.map((n, i) => `${i} (${n})`).join(', ')}, got ${id}`,
  );
  const name = ARRIVAL_PROCESSES[id]!;
  const own = fleets.process[a] !== INHERIT_PROCESS;
  const trace = fleets.trace[a]!;
  if (name === 'poisson' && trace === 0) return; // the batch-level checks above cover it
  if (name === 'deterministic') {
    check(trace === 0, `${at}.trace`, 'cannot be used with deterministic arrivals');
    return;
  }
  check(
    !(workLimit !== undefined && !ARRIVAL_PROCESS_INFO[name].counts),
    'work',
    `exponential work needs arrivals that count requests, got ${name} at ${at}`,
  );
  check(
    config.steps <= MAX_PURPOSE_STEPS,
    'steps',
    `must be at most ${MAX_PURPOSE_STEPS} with ${name} arrivals${trace > 0 ? ' on a trace' : ''} (their random streams hold 2^28 steps), got ${config.steps}`,
  );
  const kappa = fleets.kappa[a]!;
  if (trace > 0) {
    check(
      trace <= fleets.traces.names.length,
      `${at}.trace`,
      `must be a trace index below ${fleets.traces.names.length}, got ${trace - 1}`,
    );
    check(finite(kappa) && kappa >= 0, `${at}.kappa`, `must be a finite number ≥ 0 (lambda over the trace's mean rate), got ${kappa}`);
  }
  const traceName = trace > 0 ? `"${fleets.traces.names[trace - 1]}"` : '';
  if (name !== 'servegen' && trace > 0) {
    check(fleets.traces.serveGen[trace - 1] === 0, `${at}.trace`, `${traceName} is a ServeGen client: it drives the servegen process only`);
  }
  if (name === 'replay') {
    check(trace > 0, `${at}.trace`, 'must name a trace for the replay process');
    check(
      kappa <= MAX_REPLAY_COPIES,
      `${at.replace(/\.arrivals$/, '')}.lambda`,
      `must be at most ${MAX_REPLAY_COPIES}× trace ${traceName}'s mean rate for replay (${MAX_REPLAY_COPIES} copies of the trace), got ${kappa.toPrecision(4)}×`,
    );
    const most = traceMax(fleets.traces, trace - 1);
    check(
      most <= MAX_REPLAY_STEP_COUNT,
      `${at}.trace`,
      `trace ${traceName} holds ${most} requests in one step of ${config.dt} s; replay takes at most ${MAX_REPLAY_STEP_COUNT} (a shorter dt)`,
    );
    return;
  }
  if (name === 'servegen')
    check(trace > 0 && fleets.traces.serveGen[trace - 1] === 1, `${at}.trace`, 'must name a ServeGen client for the servegen process');
  const base =
    name === 'servegen'
      ? kappa * serveGenMaxRate(fleets.traces, trace - 1) * config.dt
      : trace > 0
        ? kappa * traceMax(fleets.traces, trace - 1)
        : stepMean(fleets.lambda[a]!, config.dt, 1);
  const budget = base * peak * (name === 'mmpp' ? fleets.psiHigh[a]! : 1);
  const renewal = name === 'gamma' || name === 'weibull' || name === 'servegen';
  const limit = Math.min(renewal ? MAX_RENEWAL_MEAN : MAX_POISSON_MEAN, workLimit ?? Infinity);
  check(
    budget <= limit,
    trace > 0 ? `${at}.trace` : `${at.replace(/\.arrivals$/, '')}.lambda`,
    `must keep the largest step's mean arrivals ≤ ${limit} for ${name} arrivals${trace > 0 ? ` on trace ${traceName}` : ''}, got ${budget.toPrecision(4)}`,
  );
  if (name === 'gamma' || name === 'weibull') {
    const k = fleets.shape[a]!;
    check(finite(k) && k > 0, `${at}.cv`, `must give a renewal shape 1/cv² > 0, got ${k}${own ? '' : ' (the batch default)'}`);
  }
  if (name === 'mmpp') {
    for (const field of ['psiHigh', 'psiLow', 'qHighToLow', 'qLowToHigh'] as const) {
      const v = fleets[field][a]!;
      check(finite(v) && v >= 0, `${at}.mmpp`, `must give a finite ${field} ≥ 0, got ${v}`);
    }
  }
}

/** The packed form of checkSchedule, for PackedFleets built or edited without packFleets. */
function checkPackedSchedule(fleets: PackedFleets, a: number, at: string): void {
  const first = fleets.scheduleOffset[a]!;
  const count = fleets.scheduleCount[a]!;
  check(
    count <= MAX_SCHEDULE_SEGMENTS && first + count <= fleets.scheduleStart.length,
    `${at}.schedule`,
    `must hold at most ${MAX_SCHEDULE_SEGMENTS} segments inside the packed arrays, got ${count} from ${first}`,
  );
  for (let k = 0; k < count; k++) {
    const start = fleets.scheduleStart[first + k]!;
    check(
      k === 0 || start > fleets.scheduleStart[first + k - 1]!,
      `${at}.schedule[${k}].start`,
      `must be greater than the previous segment's start, got ${start}`,
    );
    const m = fleets.scheduleMultiplier[first + k]!;
    check(finite(m) && m >= 0, `${at}.schedule[${k}].multiplier`, `must be a finite number ≥ 0 (factor on lambda), got ${m}`);
  }
}
