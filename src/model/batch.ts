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
import { POLICY_NAMES, type PolicyId, type PolicySettings } from './policies.js';
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
import { isWorkflow, NO_AGENT, trafficRates, workflowProblem } from './workflow.js';
import { LIFECYCLE_RANGES, type LifecycleSpec, lifecycleProblem, memoryCapacityMB, modelMB, NO_LIMIT } from './lifecycle.js';
import { gpuAgentCounts, MAX_GPUS, placeAgents, UNPLACED } from './placement.js';
import { GPU_MODES, type GpuMode, poolPolicyProblem, poolTarget } from './pool.js';

/** One agent (MODEL.md Part 1; `schedule` is fleetsim's, MODEL.md Part 3). */
export interface AgentSpec {
  name?: string;
  T: number; // base throughput with the whole GPU, requests/s
  R: number; // minimum GPU share, fraction of G
  P: number; // priority, 1 = most important
  lambda: number; // nominal arrival rate, requests/s
  /** Model size, MB: descriptive, and with the lifecycle on (MODEL-PART4 §4.3–4.4) its load time and memory (m_i, rounded up). */
  M?: number;
  /** Lifecycle: never scaled to zero nor evicted (MODEL-PART4 §4.4). */
  pinned?: boolean;
  /** Several GPUs (MODEL-PART4 §4.5, src/model/placement.ts): the GPU it lives on, 0 … gpus − 1; absent: placed by LPT. */
  gpu?: number;
  /** Piecewise-constant rate multipliers, starts strictly increasing; multiplier 1 before the first. */
  schedule?: readonly ScheduleSegment[];
  /** The agent's own arrival process (MODEL-PART4 §4.1–4.2); absent: the batch's `arrivals`. */
  arrivals?: ArrivalSpec;
  /** What some policies read of it (MODEL-PART4 §4.7): cap U_i, weight w_i, MIG slices k_i. */
  cap?: number;
  weight?: number;
  slices?: number;
  /**
   * Workflows (MODEL-PART4 §4.6): where this agent's completed requests go next, each to agent `to` (its
   * index in the fleet) with probability p; Σp ≤ 1, the rest leaves. Absent: all leave.
   */
  routes?: readonly RouteSpec[];
}

/** One successor of an agent in a workflow: agent `to` of the same fleet receives each completion with probability p. */
export interface RouteSpec {
  to: number;
  p: number;
}

/** A fleet's fork-join (MODEL-PART4 §4.6): agents' indices; the fork's successors are the branches. */
export interface ForkJoinSpec {
  fork: number;
  join: number;
}

/** An agent's policy parameters as the packer takes them (AgentSpec's cap, weight, slices); absent: the defaults. */
export interface AgentPolicySpec {
  /** U_i, GPUs: the most the agent may use (maxMinFair, mps, adaptiveWaterfill's hi); default DEFAULT_AGENT_CAP. */
  cap?: number | undefined;
  /** w_i > 0: maxMinFair's weight; default 1/P_i. */
  weight?: number | undefined;
  /** k_i, sevenths of one GPU (MIG, fixedShares), integer 0 … 7; default ⌊7/N⌋. */
  slices?: number | undefined;
}

/** U_i when not given: one whole GPU (MODEL-PART4 §4.5: more only for tensor parallelism). */
export const DEFAULT_AGENT_CAP = 1;
/** MIG's compute slices per GPU (MODEL-PART4 §4.7, [D4]). */
export const MIG_SLICES = 7;

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
  /** n_G, GPUs the capacity is split over evenly (src/model/placement.ts), 1 … 8; default 1. */
  gpus?: number;
  /** How its gpus serve it (MODEL-PART4 §4.5): `placement` (default, src/model/placement.ts) or one `pool` (src/model/pool.ts). */
  gpuMode?: GpuMode;
  /** An optional fork-join of its workflow (the agents' routes give the graph). */
  forkJoin?: ForkJoinSpec;
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
  /** τ of adaptiveQueue's demand, seconds, in [Δt, 600]; default DEFAULT_QUEUE_TAU (MODEL-PART4 §4.7). */
  queueTau?: number;
  /** η of timeSlice, the GPU fraction lost to switching, in [0, 1); default 0. */
  sliceOverhead?: number;
  /** maxMinFair's and mps's lower bound: `zero` (default) or `minimum` (min(R_i·G, need_i)). */
  maxMinFloor?: 'zero' | 'minimum';
  /**
   * The serverless lifecycle and GPU memory (MODEL-PART4 §4.3–4.4, src/model/lifecycle.ts); absent: off,
   * every agent always WARM with unlimited memory (the paper's model, bit for bit).
   */
  lifecycle?: LifecycleSpec;
}

export const DEFAULT_EMA_ALPHA = 0.2;
export const DEFAULT_QUEUE_TAU = 10;

/** The policy settings of `config` with their defaults (PolicySettings in src/model/policies.ts). */
export function policySettings(config: SimConfig): PolicySettings {
  return {
    dt: config.dt,
    queueTau: config.queueTau ?? DEFAULT_QUEUE_TAU,
    sliceOverhead: config.sliceOverhead ?? 0,
    maxMinFloor: config.maxMinFloor === 'minimum',
  };
}

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
  cap: Float32Array; // U_i, GPUs (AgentPolicySpec)
  weight: Float32Array; // w_i
  slices: Float32Array; // k_i, sevenths of a GPU
  // Workflows (MODEL-PART4 §4.6, src/model/workflow.ts): agent a's successors are edges
  // [routeOffset[a], routeOffset[a] + routeCount[a]) of routeTo (agent index in its fleet) and routeP.
  routeOffset: Uint32Array;
  routeCount: Uint32Array;
  routeTo: Uint32Array;
  routeP: Float32Array;
  /** γ_i, the agent's visit rate from the traffic equations (requests/s): the nominal rate the policies read. λ_i without routing. */
  demand: Float32Array;
  /** Per fleet: its fork-join's fork and join agents (index in the fleet), NO_AGENT without one. */
  fork: Uint32Array;
  join: Uint32Array;
  // The lifecycle (MODEL-PART4 §4.3–4.4, src/model/lifecycle.ts), per agent: m_i (AgentSpec.M rounded
  // up, 0 when absent) and pinned (1) or not (0). Read only when SimConfig.lifecycle is on.
  memoryMB: Uint32Array;
  pinned: Uint32Array;
  // Several GPUs (MODEL-PART4 §4.5, src/model/placement.ts): n_G per fleet, and each agent's GPU
  // (resolved: given, or placed by LPT at packing).
  gpuCount: Uint32Array;
  gpu: Uint32Array;
  // Per fleet: 1 when its GPUs are one pool (src/model/pool.ts; only with gpuCount > 1: a pool of one GPU
  // is packed as 0), else 0. A pool's agents all have gpu = 0 (one allocator); their GPUs are run state.
  gpuPool: Uint32Array;
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
 * holds the traces the agents' arrival specs name by index; `lifecycle` is the batch's (SimConfig's),
 * whose memory limit the placement on several GPUs respects (src/model/placement.ts). Throws a ConfigError naming the field
 * when a schedule or an arrival process is malformed.
 */
export function packFleets(
  fleets: readonly FleetSpec[],
  streams?: ArrayLike<number>,
  traces: PackedTraces = NO_TRACES,
  lifecycle?: LifecycleSpec,
): PackedFleets {
  const packer = new FleetPacker();
  fleets.forEach((fleet, f) => {
    packer.fleet(fleet.capacity ?? 1, streams ? streams[f]! : f, fleet.gpus ?? 1, fleet.gpuMode);
    for (const a of fleet.agents) packer.agent(a.T, a.R, a.P, a.lambda, a.schedule, a.arrivals, a, a.routes, a);
    if (fleet.forkJoin) packer.forkJoin(fleet.forkJoin.fork, fleet.forkJoin.join);
  });
  return packer.finish(traces, lifecycle);
}

/** A growable column: `room(n)` returns the array with room for n entries (its first entries kept). */
class Column<A extends Float32Array | Uint32Array> {
  constructor(
    private readonly make: (length: number) => A,
    public array: A = make(64),
  ) {}
  room(n: number): A {
    if (n > this.array.length) {
      const grown = this.make(Math.max(n, 2 * this.array.length));
      grown.set(this.array);
      this.array = grown;
    }
    return this.array;
  }
  /** The first n entries, copied. */
  take(n: number): A {
    return this.array.slice(0, n) as A;
  }
}

const f32Column = (): Column<Float32Array> => new Column((n) => new Float32Array(n));
const u32Column = (): Column<Uint32Array> => new Column((n) => new Uint32Array(n));

/**
 * Packs fleets one agent at a time, straight into typed columns that it keeps from one batch to the
 * next (`finish` copies out exactly what a batch holds and starts over), so a sweep builds no object
 * per fleet or agent. Gives the arrays packFleets gives (packFleets is this packer over fleet specs):
 * each schedule checked as it is added, the arrival processes packed and checked at `finish`, when
 * the batch's traces are known, in agent order; ConfigErrors name `fleets[f].agents[i]…`.
 *
 * @example
 *   const packer = new FleetPacker();
 *   packer.fleet(1, 0);
 *   packer.agent(100, 0.1, 1, 50, undefined, undefined);
 *   const packed = packer.finish(NO_TRACES);
 */
export class FleetPacker {
  private fleets = 0;
  private agents = 0;
  private segments = 0;
  private agentInFleet = 0;
  private readonly agentOffset = u32Column();
  private readonly agentCount = u32Column();
  private readonly capacity = f32Column();
  private readonly stream = u32Column();
  private readonly T = f32Column();
  private readonly R = f32Column();
  private readonly P = f32Column();
  private readonly lambda = f32Column();
  private readonly cap = f32Column();
  private readonly weight = f32Column();
  /** k_i as given, or -1 for the default ⌊7/N⌋ (N known when the fleet is finished). */
  private readonly slices = f32Column();
  private edges = 0;
  private readonly routeOffset = u32Column();
  private readonly routeCount = u32Column();
  private readonly routeTo = u32Column();
  private readonly routeP = f32Column();
  private readonly fork = u32Column();
  private readonly join = u32Column();
  private readonly memoryMB = u32Column();
  private readonly pinned = u32Column();
  private readonly gpuCount = u32Column();
  private readonly gpu = u32Column();
  private readonly gpuPool = u32Column();
  private readonly scheduleOffset = u32Column();
  private readonly scheduleCount = u32Column();
  private readonly scheduleStart = u32Column();
  private readonly scheduleMultiplier = f32Column();
  /** The agents with an arrival spec of their own: index, spec, λ (f64, as given), fleet, place in it. */
  private arrivals: { a: number; spec: ArrivalSpec; lambda: number; f: number; i: number }[] = [];

  /** Drops whatever was added since the last finish (after a failed build). */
  reset(): void {
    this.fleets = this.agents = this.segments = this.agentInFleet = this.edges = 0;
    this.arrivals = [];
  }

  /** Starts the next fleet: its capacity G, random stream id, GPUs n_G (1 … MAX_GPUS) and their mode (checked here). */
  fleet(capacity: number, stream: number, gpus = 1, mode: GpuMode = 'placement'): void {
    const f = this.fleets;
    check(
      Number.isInteger(gpus) && gpus >= 1 && gpus <= MAX_GPUS,
      `fleets[${f}].gpus`,
      `must be an integer from 1 to ${MAX_GPUS} (GPUs per fleet), got ${gpus}`,
    );
    check((GPU_MODES as readonly string[]).includes(mode), `fleets[${f}].gpuMode`, `must be ${oneOf(GPU_MODES)}, got ${String(mode)}`);
    this.fleets++;
    this.gpuCount.room(f + 1)[f] = gpus;
    this.gpuPool.room(f + 1)[f] = mode === 'pool' && gpus > 1 ? 1 : 0;
    this.agentOffset.room(f + 1)[f] = this.agents;
    this.agentCount.room(f + 1)[f] = 0;
    this.capacity.room(f + 1)[f] = capacity;
    this.stream.room(f + 1)[f] = stream;
    this.fork.room(f + 1)[f] = NO_AGENT;
    this.join.room(f + 1)[f] = NO_AGENT;
    this.agentInFleet = 0;
  }

  /** Gives the current fleet a fork-join (agents' indices in it; checked at finish). */
  forkJoin(fork: number, join: number): void {
    const f = this.fleets - 1;
    if (f < 0) throw new Error('FleetPacker.forkJoin: no fleet begun (call fleet() first)');
    this.fork.array[f] = fork;
    this.join.array[f] = join;
  }

  /** Adds an agent to the current fleet (MODEL.md Part 1); its schedule is checked here. */
  agent(
    T: number,
    R: number,
    P: number,
    lambda: number,
    schedule: readonly ScheduleSegment[] | undefined,
    arrivals: ArrivalSpec | undefined,
    policy?: AgentPolicySpec,
    routes?: readonly RouteSpec[],
    serverless?: Pick<AgentSpec, 'M' | 'pinned' | 'gpu'>,
  ): void {
    const f = this.fleets - 1;
    if (f < 0) throw new Error('FleetPacker.agent: no fleet begun (call fleet() first)');
    const i = this.agentInFleet++;
    const a = this.agents++;
    const segments = schedule?.length ?? 0;
    if (segments > 0) checkSchedule(schedule!, `fleets[${f}].agents[${i}]`);
    this.agentCount.array[f] = i + 1;
    this.T.room(a + 1)[a] = T;
    this.R.room(a + 1)[a] = R;
    this.P.room(a + 1)[a] = P;
    this.lambda.room(a + 1)[a] = lambda;
    this.cap.room(a + 1)[a] = policy?.cap ?? DEFAULT_AGENT_CAP;
    this.weight.room(a + 1)[a] = policy?.weight ?? 1 / P;
    this.slices.room(a + 1)[a] = policy?.slices ?? -1;
    // Out of range (negative, NaN, absurd): kept as NO_LIMIT, which validateBatch names.
    const M = serverless?.M;
    this.memoryMB.room(a + 1)[a] = M === undefined || (M >= 0 && M <= 2 ** 31) ? modelMB(M) : 0xffffffff;
    this.pinned.room(a + 1)[a] = serverless?.pinned === true ? 1 : 0;
    const gpu = serverless?.gpu;
    const gpus = this.gpuCount.array[f]!;
    check(
      gpu === undefined || (Number.isInteger(gpu) && gpu >= 0 && gpu < gpus),
      `fleets[${f}].agents[${i}].gpu`,
      `must be an integer from 0 to ${gpus - 1} (the fleet's gpus − 1), got ${gpu}`,
    );
    const pool = this.gpuPool.array[f] === 1;
    check(
      !pool || gpu === undefined,
      `fleets[${f}].agents[${i}].gpu`,
      `must be absent in a pool (gpuMode "pool": an agent loads on the GPU with the most free memory), got ${gpu}`,
    );
    // A pool's agents share one allocator (gpu 0); their GPUs are the run's state (src/model/pool.ts).
    this.gpu.room(a + 1)[a] = pool ? 0 : (gpu ?? UNPLACED);
    const edges = routes?.length ?? 0;
    this.routeOffset.room(a + 1)[a] = this.edges;
    this.routeCount.room(a + 1)[a] = edges;
    if (edges > 0) {
      const to = this.routeTo.room(this.edges + edges);
      const p = this.routeP.room(this.edges + edges);
      for (const route of routes!) {
        // Not an index of the fleet (negative, fractional, NaN): one past any, which the check at finish names.
        to[this.edges] = Number.isInteger(route.to) && route.to >= 0 && route.to < NO_AGENT ? route.to : NO_AGENT - 1;
        p[this.edges] = route.p;
        this.edges++;
      }
    }
    this.scheduleOffset.room(a + 1)[a] = this.segments;
    this.scheduleCount.room(a + 1)[a] = segments;
    if (segments > 0) {
      const starts = this.scheduleStart.room(this.segments + segments);
      const multipliers = this.scheduleMultiplier.room(this.segments + segments);
      for (const { start, multiplier } of schedule!) {
        starts[this.segments] = start;
        multipliers[this.segments] = multiplier;
        this.segments++;
      }
    }
    if (arrivals) this.arrivals.push({ a, spec: arrivals, lambda, f, i });
  }

  /**
   * The fleets added since the last finish, packed with `traces` (their arrival processes checked) and
   * their agents placed on their GPUs (src/model/placement.ts; under `lifecycle`'s memory limit); starts over.
   */
  finish(traces: PackedTraces = NO_TRACES, lifecycle?: LifecycleSpec): PackedFleets {
    const total = this.agents;
    const count = this.fleets;
    const segments = this.segments;
    const arrivals = this.arrivals;
    const edges = this.edges;
    this.reset();
    const packed: PackedFleets = {
      count,
      agentOffset: this.agentOffset.take(count),
      agentCount: this.agentCount.take(count),
      capacity: this.capacity.take(count),
      stream: this.stream.take(count),
      T: this.T.take(total),
      R: this.R.take(total),
      P: this.P.take(total),
      lambda: this.lambda.take(total),
      cap: this.cap.take(total),
      weight: this.weight.take(total),
      slices: this.slices.take(total),
      routeOffset: this.routeOffset.take(total),
      routeCount: this.routeCount.take(total),
      routeTo: this.routeTo.take(edges),
      routeP: this.routeP.take(edges),
      demand: new Float32Array(total),
      fork: this.fork.take(count),
      join: this.join.take(count),
      memoryMB: this.memoryMB.take(total),
      pinned: this.pinned.take(total),
      gpuCount: this.gpuCount.take(count),
      gpu: this.gpu.take(total),
      gpuPool: this.gpuPool.take(count),
      scheduleOffset: this.scheduleOffset.take(total),
      scheduleCount: this.scheduleCount.take(total),
      scheduleStart: this.scheduleStart.take(segments),
      scheduleMultiplier: this.scheduleMultiplier.take(segments),
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
    for (const { a, spec, lambda, f, i } of arrivals) packArrival(packed, a, spec, lambda, `fleets[${f}].agents[${i}].arrivals`);
    // Workflows: the graph checked, then each agent's visit rate γ_i (λ_i without routing).
    for (let f = 0; f < count; f++) {
      const problem = workflowProblem(packed, f);
      if (problem !== null) {
        const [field, ...why] = problem.split(': ');
        fail(`fleets[${f}].${field}`, why.join(': '));
      }
      trafficRates(packed, f, packed.demand);
    }
    // Several GPUs: the unplaced agents placed by LPT on γ/T (after the traffic equations), within the memory of each GPU.
    const capacityMB = lifecycle?.memory === undefined ? NO_LIMIT : memoryCapacityMB(lifecycle.memory);
    for (let f = 0; f < count; f++) {
      const problem = placeAgents(packed, f, capacityMB);
      if (problem !== null) {
        const [field, ...why] = problem.split(': ');
        fail(`fleets[${f}].${field}`, why.join(': '));
      }
    }
    // MIG slices left to the default: an equal split in whole sevenths of the agent's GPU (one GPU: of the fleet).
    for (let f = 0; f < count; f++) {
      const n = packed.agentCount[f]!;
      const a0 = packed.agentOffset[f]!;
      const perGpu = packed.gpuCount[f]! > 1 ? gpuAgentCounts(packed, f) : null;
      for (let a = a0; a < a0 + n; a++) {
        if (packed.slices[a]! < 0) packed.slices[a] = Math.floor(MIG_SLICES / (perGpu === null ? n : perGpu[packed.gpu[a]!]!));
      }
    }
    return packed;
  }
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

/**
 * Every fleet × replicate × policy, in that nesting order (policies of one fleet run are adjacent).
 * The replicates are `firstReplicate` … `firstReplicate + replicates − 1`: a run's replicate is its
 * global index, the counter word of its random stream, so a block of a sample's replicates draws what
 * the same replicates draw in a batch of all of them.
 */
export function crossRuns(fleetCount: number, policies: readonly PolicyId[], replicates: number, firstReplicate = 0): PackedRuns {
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
        runs.replicate[r] = firstReplicate + rep;
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

function fail(field: string, problem: string): never {
  throw new ConfigError(field, problem);
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
    work === 'deterministic' || ARRIVAL_PROCESS_INFO[config.arrivals].counts,
    'work',
    `${work} work needs arrivals that count requests (not deterministic, which adds a fractional mean), got arrivals ${config.arrivals}`,
  );
  const signal = config.signal ?? 'nominal';
  check(Object.hasOwn(SIGNAL_ID, signal), 'signal', `must be ${oneOf(SIGNALS)}, got ${signal}`);
  const alpha = config.emaAlpha ?? DEFAULT_EMA_ALPHA;
  check(finite(alpha) && alpha > 0 && alpha <= 1, 'emaAlpha', `must be a number in (0, 1] (weight of the newest step), got ${alpha}`);
  // The policy settings (MODEL-PART4 §4.7), a backstop behind the study schema's checks: τ = ∞ is
  // allowed here (it gives Algorithm 1 exactly), and τ below Δt too (only the study asks τ ≥ Δt, of
  // studies that run adaptiveQueue).
  const { queueTau, sliceOverhead } = policySettings(config);
  check(queueTau > 0, 'queueTau', `must be a number > 0 (seconds; Infinity: no queue term), got ${queueTau}`);
  check(sliceOverhead >= 0 && sliceOverhead < 1, 'sliceOverhead', `must be a number in [0, 1) (fraction of the GPU), got ${sliceOverhead}`);
  const floor = config.maxMinFloor ?? 'zero';
  check(floor === 'zero' || floor === 'minimum', 'maxMinFloor', `must be "zero" or "minimum", got ${String(floor)}`);
  // The lifecycle (MODEL-PART4 §4.3–4.4): its settings, then per fleet its models against the card.
  const lifecycle = config.lifecycle;
  if (lifecycle !== undefined) {
    const problem = lifecycleProblem(lifecycle);
    if (problem !== null) {
      const [field, ...why] = problem.split(': ');
      fail(`lifecycle.${field}`, why.join(': '));
    }
    for (let f = 0; f < fleets.count; f++) {
      const problem = lifecycleFleetProblem(fleets, lifecycle, f);
      if (problem !== null) {
        const [field, ...why] = problem.split(': ');
        fail(`fleets[${f}].${field}`, why.join(': '));
      }
    }
  }
  const meanLimit = exponential ? MAX_EXPONENTIAL_MEAN : MAX_POISSON_MEAN;
  // Per fleet and agent: the conditions first, a message (and the field's name) only on failure.
  for (let f = 0; f < fleets.count; f++) {
    const n = fleets.agentCount[f]!;
    if (!(n >= 1 && n <= MAX_AGENTS_PER_FLEET)) fail(`fleets[${f}].agents`, `must hold 1 to ${MAX_AGENTS_PER_FLEET} agents, got ${n}`);
    const g = fleets.capacity[f]!;
    if (!(finite(g) && g > 0)) fail(`fleets[${f}].capacity`, `must be a number > 0 (GPUs), got ${g}`);
    const gpus = fleets.gpuCount[f]!;
    if (!(gpus >= 1 && gpus <= MAX_GPUS))
      fail(`fleets[${f}].gpus`, `must be an integer from 1 to ${MAX_GPUS} (GPUs per fleet), got ${gpus}`);
    const pool = fleets.gpuPool[f]!;
    if (!(pool === 0 || (pool === 1 && gpus > 1)))
      fail(`fleets[${f}].gpuPool`, `must be 0 (placement) or 1 (a pool, only with gpus > 1), got ${pool}`);
    // MIG slices: at most 7 per GPU (one GPU: per fleet).
    const slicesOn = new Uint32Array(gpus);
    let slices = 0;
    for (let i = 0; i < n; i++) {
      const a = fleets.agentOffset[f]! + i;
      const at = (): string => `fleets[${f}].agents[${i}]`;
      const T = fleets.T[a]!;
      const R = fleets.R[a]!;
      const P = fleets.P[a]!;
      const lambda = fleets.lambda[a]!;
      if (!(finite(T) && T > 0)) fail(`${at()}.T`, `must be a number > 0 (requests/s), got ${T}`);
      if (!(R >= 0 && R <= 1)) fail(`${at()}.R`, `must be a number in [0, 1] (share of G), got ${R}`);
      if (!(finite(P) && P > 0)) fail(`${at()}.P`, `must be a number > 0 (priority, 1 = highest), got ${P}`);
      const cap = fleets.cap[a]!;
      const weight = fleets.weight[a]!;
      const k = fleets.slices[a]!;
      if (!(finite(cap) && cap >= 0)) fail(`${at()}.cap`, `must be a number ≥ 0 (GPUs), got ${cap}`);
      if (!(finite(weight) && weight > 0)) fail(`${at()}.weight`, `must be a number > 0, got ${weight}`);
      if (!(Number.isInteger(k) && k >= 0 && k <= MIG_SLICES))
        fail(`${at()}.slices`, `must be an integer from 0 to ${MIG_SLICES} (sevenths of a GPU), got ${k}`);
      const gpu = fleets.gpu[a]!;
      if (!(gpu < gpus)) fail(`${at()}.gpu`, `must be an integer from 0 to ${gpus - 1} (the fleet's gpus − 1), got ${gpu}`);
      slicesOn[gpu] = slicesOn[gpu]! + k;
      slices = Math.max(slices, slicesOn[gpu]);
      if (!(lambda >= 0 && stepMean(lambda, config.dt, 1) <= meanLimit))
        fail(
          `${at()}.lambda`,
          `must be a number ≥ 0 with lambda·dt ≤ ${meanLimit}${exponential ? ' (exponential work)' : ''} (requests/s), got ${lambda}`,
        );
      const segments = fleets.scheduleCount[a]!;
      if (segments > 0 || fleets.scheduleOffset[a]! > fleets.scheduleStart.length) checkPackedSchedule(fleets, a, at());
      const peak = segments > 0 ? maxMultiplier(fleets, a) : NO_PEAK;
      if (!(peak.index < 0 || stepMean(lambda, config.dt, peak.multiplier) <= meanLimit))
        fail(
          `${at()}.schedule[${peak.index}].multiplier`,
          `must keep lambda·dt·multiplier ≤ ${meanLimit}${exponential ? ' (exponential work)' : ''} (lambda ${lambda}, dt ${config.dt}), got ${peak.multiplier}`,
        );
      // A Poisson agent without a trace: the checks above cover it (checkPackedArrivals returns at once).
      if (fleets.trace[a] !== 0 || processOf(fleets, config.arrivals, a) !== POISSON_ID)
        checkPackedArrivals(fleets, config, a, `${at()}.arrivals`, exponential ? MAX_EXPONENTIAL_MEAN : undefined, peak.multiplier);
    }
    if (slices > MIG_SLICES)
      fail(`fleets[${f}].agents`, `must hold at most ${MIG_SLICES} MIG slices in all${gpus > 1 ? ' per GPU' : ''} (slices), got ${slices}`);
    // Workflows (MODEL-PART4 §4.6): the graph (a backstop behind the packer's check), and whole requests to route.
    const problem = workflowProblem(fleets, f);
    if (problem !== null) {
      const [field, ...why] = problem.split(': ');
      fail(`fleets[${f}].${field}`, why.join(': '));
    }
    if (isWorkflow(fleets, f) && exponential)
      fail('work', `a workflow routes whole requests: use "exponentialCount" (the same law, in whole requests), not "exponential"`);
    // Whole completions per agent-step stay exact integers on the GPU (f32) and within the binomial
    // sampler's n ≤ 2^24: the most a step can complete is about T·G·Δt (+1 for a head in progress).
    if (work === 'exponentialCount' || isWorkflow(fleets, f)) {
      for (let i = 0; i < n; i++) {
        const most = fleets.T[fleets.agentOffset[f]! + i]! * g * config.dt;
        if (!(most <= MAX_STEP_COMPLETIONS))
          fail(
            `fleets[${f}].agents[${i}].T`,
            `must keep T·capacity·dt ≤ ${MAX_STEP_COMPLETIONS} (whole requests completed in one step${work === 'exponentialCount' ? ', exponentialCount work' : ', a workflow'}), got ${most}`,
          );
      }
    }
  }
  for (let r = 0; r < runs.count; r++) {
    if (!(runs.fleet[r]! < fleets.count)) fail(`runs[${r}].fleet`, `must be below ${fleets.count}, got ${runs.fleet[r]}`);
    if (!(runs.policy[r]! < POLICY_NAMES.length))
      fail(`runs[${r}].policy`, `must be one of ${POLICY_NAMES.map((n, i) => `${i} (${n})`).join(', ')}, got ${runs.policy[r]}`);
    const poolProblem = fleets.gpuPool[runs.fleet[r]!] === 1 ? poolPolicyProblem(POLICY_NAMES[runs.policy[r]!]!) : null;
    if (poolProblem !== null) fail(`runs[${r}].policy`, `on fleet ${runs.fleet[r]}, a pool of GPUs: ${poolProblem}`);
  }
}

/**
 * What is wrong with fleet f under `lifecycle`, as `field: problem` (the field under `fleets[f].`), or
 * null: a model size out of range, a model larger than the usable memory (naming the agent), a pinned
 * set larger than it.
 */
export function lifecycleFleetProblem(
  fleets: Pick<PackedFleets, 'agentOffset' | 'agentCount' | 'memoryMB' | 'pinned'> &
    Partial<Pick<PackedFleets, 'gpuCount' | 'gpu' | 'gpuPool'>>,
  lifecycle: LifecycleSpec,
  f: number,
): string | null {
  const capacity = lifecycle.memory === undefined ? Infinity : memoryCapacityMB(lifecycle.memory);
  const models = modelProblem(fleets, f, capacity);
  if (models !== null) return models;
  if (fleets.gpuPool?.[f] === 1) return poolPinnedProblem(fleets, f, capacity);
  // Several GPUs: each GPU's pinned agents must fit its memory.
  const gpus = fleets.gpuCount?.[f] ?? 1;
  const pinned = new Float64Array(gpus);
  for (let i = 0; i < fleets.agentCount[f]!; i++) {
    const a = fleets.agentOffset[f]! + i;
    const m = fleets.memoryMB[a]!;
    const k = gpus > 1 ? Math.min(fleets.gpu![a]!, gpus - 1) : 0;
    if (fleets.pinned[a] === 1) pinned[k] = pinned[k]! + m;
  }
  for (let k = 0; k < gpus; k++) {
    if (pinned[k]! > capacity)
      return gpus > 1
        ? `agents: the pinned agents on GPU ${k} must fit its usable memory together, ${capacity} MB, got ${pinned[k]} MB`
        : `agents: the pinned agents must fit the GPU's usable memory together, ${capacity} MB, got ${pinned[k]} MB`;
  }
  return null;
}

/** Fleet f's first model size out of range or larger than one GPU's usable `capacity` (MB), or null. */
function modelProblem(fleets: Pick<PackedFleets, 'agentOffset' | 'agentCount' | 'memoryMB'>, f: number, capacity: number): string | null {
  for (let i = 0; i < fleets.agentCount[f]!; i++) {
    const m = fleets.memoryMB[fleets.agentOffset[f]! + i]!;
    if (m > LIFECYCLE_RANGES.modelMB[1]) return `agents[${i}].M: must be a number from 0 to ${LIFECYCLE_RANGES.modelMB[1]} (MB)`;
    if (m > capacity)
      return `agents[${i}].M: must fit the GPU's usable memory, ${capacity} MB (lifecycle.memory: gb × usable × 1000), got ${m} MB`;
  }
  return null;
}

/**
 * A pool's pinned agents (src/model/pool.ts "Start"): each in index order to the GPU with the most free
 * memory, they must fit.
 */
function poolPinnedProblem(
  fleets: Pick<PackedFleets, 'agentOffset' | 'agentCount' | 'memoryMB' | 'pinned'> & Partial<Pick<PackedFleets, 'gpuCount'>>,
  f: number,
  capacity: number,
): string | null {
  const gpus = fleets.gpuCount?.[f] ?? 1;
  const used = new Float64Array(gpus);
  const none = new Float64Array(gpus);
  for (let i = 0; i < fleets.agentCount[f]!; i++) {
    const a = fleets.agentOffset[f]! + i;
    if (fleets.pinned[a] !== 1) continue;
    const k = poolTarget(used, none, gpus, NO_LIMIT, false);
    const m = fleets.memoryMB[a]!;
    if (used[k]! + m > capacity)
      return `agents[${i}].pinned: the pinned agents must fit the pool's ${gpus} GPUs (${capacity} MB each), each in index order on the GPU with the most free memory; agent ${i} (${m} MB) does not`;
    used[k] = used[k]! + m;
  }
  return null;
}

/**
 * The most requests an agent may complete in one step, T·G·Δt, where completions are whole requests
 * (exponentialCount work, workflows): exact in f32 and within the binomial sampler's MAX_BINOMIAL_N.
 */
export const MAX_STEP_COMPLETIONS = 2 ** 23;

/** What maxMultiplier gives an agent without segments. */
const NO_PEAK = { multiplier: 1, index: -1 } as const;
const POISSON_ID = ARRIVAL_PROCESS_ID.poisson;

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
