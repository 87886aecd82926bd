/**
 * The serverless lifecycle (MODEL-PART4 §4.3) and GPU memory (§4.4): each agent-run is COLD, LOADING or
 * WARM; a COLD agent with work is admitted (memory permitting, one load slot per GPU), loads for
 * c_i = ⌈(C0 + M_i/B_load)/Δt⌉ steps serving nothing, then serves until it has been idle for
 * k = ⌈K/Δt⌉ steps and scales to zero. Off by default (SimConfig.lifecycle absent): every result is then
 * bit-identical to the model without it. This file holds what both engines read — the settings, their
 * defaults and ranges, the host's integer conversions — and the step, which both engines follow
 * operation for operation (CPU: src/cpu/workflow.ts with src/cpu/lifecycle.ts; GPU:
 * shaders/lifecycle.wgsl on the workflow kernels). Runs with the lifecycle on are stepped on the
 * workflow path (steppedAsWorkflow).
 *
 * **Integers.** Memory is whole MB (M_i rounded up, capacity ⌊u·M_GPU·1000⌋ MB), and k, c_i are whole
 * steps computed here in f64, so every admission, eviction and phase decision is integer arithmetic on
 * both engines; only the queue comparisons (B > 0) read floats.
 *
 * **The step** of one run, within MODEL-PART4 §4.8 (agents in index order throughout; `B_i = Q_i + w_i`,
 * the backlog after the step's arrivals, work units; the state per agent-run is phase, idle, loadLeft,
 * wait, lastShare; per run the MB in use `used`):
 *
 * 1. **Expire.** WARM ∧ idle ≥ k ∧ Q = 0 ∧ ¬pinned → COLD, used −= m_i, idle = 0. [choice: Q = 0, so
 *    that K = 0 never drops queued work; with k ≥ 1 it always holds.]
 * 2. **Arrive** (external plus the inbox, as today): a_i, w_i, B_i.
 * 3. **Admit.** prev_i = phase_i. free = loadSlots − #LOADING (unlimited: NO_LIMIT). Repeat:
 *    - the candidate c is the COLD agent with B_c > 0 of lowest P, then largest `wait`, then lowest
 *      index; none: stop;
 *    - if c_c > 0 and free = 0: stop (it waits for the load slot);
 *    - if used + m_c > capacity (memory on): the evictable agents are WARM ∧ B_j = 0 ∧ ¬pinned; take
 *      them in the eviction order (EVICTION_RULES) until used − Σ taken + m_c ≤ capacity, at most
 *      MAX_EVICTIONS_PER_STEP − (evictions made this step). If they do not make room, nothing is
 *      evicted, memoryBound = 1 for the step and stop (head of line: the others wait too). Else each
 *      taken j: COLD, used −= m_j, idle_j = 0, evictions_j += 1;
 *    - admit c: used += m_c, coldStarts_c += 1, wait_c = 0; c_c > 0: LOADING with loadLeft = c_c and
 *      free −= 1; c_c = 0: WARM at once (idle = 0).
 *    Then every agent still COLD with B > 0 waits: wait += 1 (and waitSteps += 1 when recorded).
 * 4. **Count** (recorded steps): prev_i ∈ {COLD, LOADING}: coldHits_i += a_i and coldDelay_i +=
 *    a_i·L·Δt, L = loadLeft if LOADING now, 0 if WARM now, c_i if still COLD.
 * 5. **Eligible** E_i: `all` 1; `warm` phase = WARM; `backlogged` phase = WARM ∧ B_i > 0.
 * 6. **Allocate** over the eligible agents only, as if they were the fleet: n_e = Σ E_i agents in index
 *    order, agent i's index its rank among them, N = n_e, turn = t mod n_e; the ineligible get g = 0
 *    (n_e = 0: every g = 0). With `all` this is today's allocation, bit for bit.
 * 7. **Process.** LOADING: served 0, Q ← B, loadLeft −= 1, idle = 0, and at loadLeft = 0 → WARM (for
 *    the next step). COLD: served 0, Q ← B. WARM: as without the lifecycle (and routing as §4.6); then
 *    idle = B > 0 ? 0 : idle + 1, and lastShare = g when g > 0. The signal (rate) updates for every agent.
 * 8. **Record** (recorded steps), with phase the phase during processing (after step 3):
 *    - WARM: as without the lifecycle; latencySteps += 1;
 *    - LOADING, or COLD with Q > 0: ℓ = L·Δt + Q/(T·lastShare) with L = loadLeft after step 7 (COLD:
 *      c_i); latencySteps += 1; no violation counted [choice: the minimum share binds WARM agents];
 *    - COLD with Q = 0: no latency, no violation, latencySteps += 0;
 *    - the other sums (served, queue, share g, arrived, system, routed, in flight) as always;
 *    - residentSteps += phase ≠ COLD; loadSteps += phase = LOADING; idleWarmSteps += phase = WARM ∧
 *      B = 0; per run (its agent 0): residentRunSteps += any agent resident, memorySum += used,
 *      memoryPeak = max(memoryPeak, used), memoryBoundSteps += memoryBound.
 *
 * **Start.** Every agent idle = loadLeft = wait = 0, lastShare = G/N, phase `initialPhase`; with
 * initialPhase WARM under a memory limit the pinned agents are made WARM first, then the others in index
 * order while they fit: the first that does not fit and every later one start COLD (no skipping).
 * used = Σ m_i of the resident. memoryPeak starts at 0.
 *
 * **Totals** (coldStarts, evictions, waitSteps, coldHits, …) are added in recorded steps only
 * (t ≥ warmup), like every other total; the state (phase, idle, loadLeft, wait, used) changes in every
 * step. The series' latency is NaN where none is recorded (COLD with Q = 0).
 *
 * @example
 *   const params = lifecycleParams(config);           // null when the lifecycle is off
 *   const c = loadSteps(fleets.memoryMB[a]!, config); // c_i, whole steps
 */
import type { PackedFleets, SimConfig } from './batch.js';
import { recordedSteps, type RunMetric, type RunTotals } from './metrics.js';

/** An agent-run's phase (WGSL: PHASE_COLD, PHASE_LOADING, PHASE_WARM). */
export const PHASE = { cold: 0, loading: 1, warm: 2 } as const;
export const PHASES = ['cold', 'loading', 'warm'] as const;
export type Phase = (typeof PHASES)[number];

/** Who shares the GPU while some agents are COLD or LOADING (step 5; WGSL: ELIGIBLE_*). */
export const ELIGIBLE_RULES = ['all', 'warm', 'backlogged'] as const;
export type EligibleRule = (typeof ELIGIBLE_RULES)[number];
export const ELIGIBLE_ID: Record<EligibleRule, number> = { all: 0, warm: 1, backlogged: 2 };

/**
 * The eviction order (step 3; WGSL: EVICT_*), each a lexicographic order over the evictable agents, the
 * first evicted first:
 * - lru: largest idle, then larger m, then lower index;
 * - lowestPriority: largest P (least important), then largest idle, then lower index;
 * - largestFirst: larger m, then largest idle, then lower index.
 */
export const EVICTION_RULES = ['lru', 'lowestPriority', 'largestFirst'] as const;
export type EvictionRule = (typeof EVICTION_RULES)[number];
export const EVICTION_ID: Record<EvictionRule, number> = { lru: 0, lowestPriority: 1, largestFirst: 2 };

/** GPU memory of common cards, GB (MODEL-PART4 §4.4 [D4, D1]): `memory.gpu` in a study. */
export const GPU_MEMORY_GB = {
  T4: 16,
  L4: 24,
  A10G: 24,
  'A100-40GB': 40,
  'A100-80GB': 80,
  'H100-80GB': 80,
  'H100-94GB': 94,
  H200: 141,
} as const;
export type GpuPreset = keyof typeof GPU_MEMORY_GB;

/** MB per GB: model sizes (AgentSpec.M) are MB, cards GB, decimal as vendors count them (7,000 MB = 7 GB). */
export const MB_PER_GB = 1000;
/** A count without a limit (k for K = ∞, loadSlots unlimited, capacity without a memory model): u32 max. */
export const NO_LIMIT = 0xffffffff;
/** Evictions one step may make at most (per GPU). */
export const MAX_EVICTIONS_PER_STEP = 8;

/** The lifecycle settings of a batch (SimConfig.lifecycle); absent fields take DEFAULT_LIFECYCLE's. */
export interface LifecycleSpec {
  /** K, seconds an agent stays WARM with nothing to do before it scales to zero; Infinity: never. */
  keepAlive?: number;
  /** C0, seconds of every load before the weights (container and runtime start). */
  coldStart?: number;
  /** B_load, GB/s: the weights load at this rate, C_i = C0 + (M_i/1000)/B_load. */
  loadBandwidth?: number;
  /** Every agent's phase at step 0. */
  initialPhase?: 'warm' | 'cold';
  eligible?: EligibleRule;
  /** Loads in flight at once per GPU (zero-length loads do not count); Infinity: no limit. */
  loadSlots?: number;
  /** The GPU's memory; absent: unlimited (nothing is ever evicted or waits for memory). */
  memory?: MemorySpec;
}

export interface MemorySpec {
  /** M_GPU, GB (GPU_MEMORY_GB has common cards). */
  gb: number;
  /** u, the fraction of it the agents may hold, in (0, 1]. */
  usable?: number;
  evict?: EvictionRule;
}

export const DEFAULT_LIFECYCLE = {
  keepAlive: 60,
  coldStart: 5,
  loadBandwidth: 2,
  initialPhase: 'warm',
  eligible: 'warm',
  loadSlots: 1,
} as const satisfies Required<Omit<LifecycleSpec, 'memory'>>;

/** The allowed ranges (MODEL-PART4 §4.3–4.4), inclusive; keepAlive and loadSlots also take Infinity. */
export const LIFECYCLE_RANGES = {
  keepAlive: [0, 3600],
  coldStart: [0, 240],
  loadBandwidth: [0.2, 25],
  loadSlots: [1, 256],
  gb: [1, 1024],
  usable: [0.05, 1],
  /** AgentSpec.M, MB. */
  modelMB: [0, 1_024_000],
} as const;

/** The lifecycle as the engines read it: every setting resolved to an integer (u32) or an id. */
export interface LifecycleParams {
  /** k = ⌈K/Δt⌉, steps; NO_LIMIT for K = ∞. */
  keepSteps: number;
  /** PHASE id of every agent at step 0. */
  initialPhase: number;
  eligible: number; // ELIGIBLE_ID
  /** Loads in flight per GPU; NO_LIMIT for Infinity. */
  loadSlots: number;
  /** ⌊u·M_GPU·1000⌋ MB; NO_LIMIT without a memory model. */
  capacityMB: number;
  evict: number; // EVICTION_ID (lru without a memory model)
}

/** ⌈seconds/Δt⌉ in f64, forgiving 1e-9 of rounding (5.25 s at Δt = 0.05 is 105 steps, not 106). */
export function ceilSteps(seconds: number, dt: number): number {
  return Math.max(0, Math.ceil(seconds / dt - 1e-9));
}

/** Whether `config` turns the lifecycle on. */
export function lifecycleOn(config: Pick<SimConfig, 'lifecycle'>): boolean {
  return config.lifecycle !== undefined;
}

/** The engines' integers of `config`'s lifecycle, or null when it is off. */
export function lifecycleParams(config: Pick<SimConfig, 'lifecycle' | 'dt'>): LifecycleParams | null {
  const spec = config.lifecycle;
  if (spec === undefined) return null;
  const keepAlive = spec.keepAlive ?? DEFAULT_LIFECYCLE.keepAlive;
  const slots = spec.loadSlots ?? DEFAULT_LIFECYCLE.loadSlots;
  const memory = spec.memory;
  return {
    keepSteps: keepAlive === Infinity ? NO_LIMIT : ceilSteps(keepAlive, config.dt),
    initialPhase: PHASE[spec.initialPhase ?? DEFAULT_LIFECYCLE.initialPhase],
    eligible: ELIGIBLE_ID[spec.eligible ?? DEFAULT_LIFECYCLE.eligible],
    loadSlots: slots === Infinity ? NO_LIMIT : slots,
    capacityMB: memory === undefined ? NO_LIMIT : memoryCapacityMB(memory),
    evict: EVICTION_ID[memory?.evict ?? 'lru'],
  };
}

/** ⌊u·M_GPU·1000⌋, MB. */
export function memoryCapacityMB(memory: MemorySpec): number {
  return Math.floor((memory.usable ?? 1) * memory.gb * MB_PER_GB + 1e-9);
}

/** m_i: a model of `M` MB (AgentSpec.M, absent 0) as whole MB, rounded up. */
export function modelMB(M: number | undefined): number {
  return Math.ceil(M ?? 0);
}

/** c_i = ⌈(C0 + (m_i/1000)/B_load)/Δt⌉, whole steps, from m_i (PackedFleets.memoryMB). */
export function loadSteps(memoryMB: number, config: Pick<SimConfig, 'lifecycle' | 'dt'>): number {
  const spec = config.lifecycle ?? {};
  const c0 = spec.coldStart ?? DEFAULT_LIFECYCLE.coldStart;
  const bandwidth = spec.loadBandwidth ?? DEFAULT_LIFECYCLE.loadBandwidth;
  return ceilSteps(c0 + memoryMB / MB_PER_GB / bandwidth, config.dt);
}

/** C_i in seconds (what `validate` prints beside c_i). */
export function loadSeconds(memoryMB: number, config: Pick<SimConfig, 'lifecycle'>): number {
  const spec = config.lifecycle ?? {};
  return (spec.coldStart ?? DEFAULT_LIFECYCLE.coldStart) + memoryMB / MB_PER_GB / (spec.loadBandwidth ?? DEFAULT_LIFECYCLE.loadBandwidth);
}

/**
 * What is wrong with a lifecycle setting, as `field: problem` (the field under `lifecycle.`), or null.
 * The engines' backstop behind the study schema (validateBatch calls it); the per-agent checks (a model
 * larger than the card, a pinned set that does not fit) are lifecycleFleetProblem's.
 */
export function lifecycleProblem(spec: LifecycleSpec): string | null {
  const range = (field: keyof typeof LIFECYCLE_RANGES, x: number | undefined, infinite: boolean, unit: string): string | null => {
    if (x === undefined) return null;
    const [lo, hi] = LIFECYCLE_RANGES[field];
    if ((infinite && x === Infinity) || (Number.isFinite(x) && x >= lo && x <= hi)) return null;
    return `${field}: must be a number from ${lo} to ${hi} (${unit})${infinite ? ' or never (Infinity)' : ''}, got ${x}`;
  };
  const slots = spec.loadSlots;
  if (slots !== undefined && slots !== Infinity && !Number.isInteger(slots)) {
    return `loadSlots: must be an integer from 1 to 256, or unlimited (Infinity), got ${slots}`;
  }
  const memory = spec.memory;
  return (
    range('keepAlive', spec.keepAlive, true, 'seconds') ??
    range('coldStart', spec.coldStart, false, 'seconds') ??
    range('loadBandwidth', spec.loadBandwidth, false, 'GB/s') ??
    range('loadSlots', slots, true, 'loads at once per GPU') ??
    (spec.initialPhase === undefined || spec.initialPhase === 'warm' || spec.initialPhase === 'cold'
      ? null
      : `initialPhase: must be "warm" or "cold", got ${String(spec.initialPhase)}`) ??
    (spec.eligible === undefined || Object.hasOwn(ELIGIBLE_ID, spec.eligible)
      ? null
      : `eligible: must be one of ${ELIGIBLE_RULES.join(', ')}, got ${String(spec.eligible)}`) ??
    (memory === undefined ? null : memoryProblem(memory, range))
  );
}

function memoryProblem(
  memory: MemorySpec,
  range: (field: keyof typeof LIFECYCLE_RANGES, x: number | undefined, infinite: boolean, unit: string) => string | null,
): string | null {
  if (memory.gb === undefined) return 'memory.gb: must be given (GB of the card), or a card by name';
  const gb = range('gb', memory.gb, false, 'GB');
  if (gb !== null) return `memory.${gb}`;
  const usable = range('usable', memory.usable, false, 'fraction of the card');
  if (usable !== null) return `memory.${usable}`;
  if (memory.evict !== undefined && !Object.hasOwn(EVICTION_ID, memory.evict))
    return `memory.evict: must be one of ${EVICTION_RULES.join(', ')}, got ${String(memory.evict)}`;
  return null;
}

/** The run metrics lifecycleMetrics gives (RUN_METRIC_INFO's lifecycle block, in its order). */
export const LIFECYCLE_METRICS = [
  'coldStartsPerHour',
  'coldHitFraction',
  'coldDelay',
  'loadFraction',
  'residentFraction',
  'idleWarmFraction',
  'costResident',
  'residentGBs',
  'evictionsPerHour',
  'memoryWaitFraction',
  'meanMemoryGB',
  'peakMemoryGB',
  'memoryBoundFraction',
] as const satisfies readonly RunMetric[];
export type LifecycleMetric = (typeof LIFECYCLE_METRICS)[number];

/**
 * The lifecycle metrics of one run (RUN_METRIC_INFO, "The serverless lifecycle") from its totals:
 * agent-runs j0 … j0 + n − 1, agent i's packed index first + i. All NaN with the lifecycle off; the
 * memory-bound fraction NaN without a memory limit; the per-request ones NaN without arrivals.
 */
export function lifecycleMetrics(
  config: SimConfig,
  fleets: Pick<PackedFleets, 'memoryMB'>,
  totals: RunTotals,
  first: number,
  j0: number,
  n: number,
): Record<LifecycleMetric, number> {
  const out = {} as Record<LifecycleMetric, number>;
  if (config.lifecycle === undefined) {
    for (const m of LIFECYCLE_METRICS) out[m] = NaN;
    return out;
  }
  const S = recordedSteps(config);
  const hours = (S * config.dt) / 3600;
  let starts = 0;
  let hits = 0;
  let delay = 0;
  let arrived = 0;
  let load = 0;
  let resident = 0;
  let idle = 0;
  let gbSeconds = 0;
  let evictions = 0;
  let wait = 0;
  for (let i = 0; i < n; i++) {
    const j = j0 + i;
    starts += totals.coldStartSum[j]!;
    hits += totals.coldHitSum[j]!;
    delay += totals.coldDelaySum[j]!;
    arrived += totals.arrivedSum[j]!;
    load += totals.loadStepSum[j]!;
    resident += totals.residentStepSum[j]!;
    idle += totals.idleWarmStepSum[j]!;
    gbSeconds += (fleets.memoryMB[first + i]! / MB_PER_GB) * totals.residentStepSum[j]! * config.dt;
    evictions += totals.evictionSum[j]!;
    wait += totals.waitStepSum[j]!;
  }
  out.coldStartsPerHour = starts / hours;
  out.coldHitFraction = arrived > 0 ? hits / arrived : NaN;
  out.coldDelay = arrived > 0 ? delay / arrived : NaN;
  out.loadFraction = load / (n * S);
  out.residentFraction = resident / (n * S);
  out.idleWarmFraction = idle / (n * S);
  out.costResident = config.price * hours * (totals.residentRunStepSum[j0]! / S);
  out.residentGBs = gbSeconds;
  out.evictionsPerHour = evictions / hours;
  out.memoryWaitFraction = wait / (n * S);
  out.meanMemoryGB = totals.memorySum[j0]! / (MB_PER_GB * S);
  out.peakMemoryGB = totals.memoryPeak[j0]! / MB_PER_GB;
  out.memoryBoundFraction = config.lifecycle.memory === undefined ? NaN : totals.memoryBoundStepSum[j0]! / S;
  return out;
}
