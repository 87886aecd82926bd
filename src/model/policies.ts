/**
 * The allocation policies: one entry each in POLICIES, the registry both engines, the study schema
 * and the page read. A policy is a few reductions over the fleet (`passes`: sums whose results become
 * the allocation's scalars) followed by a closed-form share per agent, so every policy is O(N) and
 * needs no per-agent scratch memory. The CPU functions here are the f64 twins of the WGSL functions
 * `<name>Term`, `<name>Finish` and `<name>Share` in shaders/policies.wgsl; src/gpu/wgsl.ts generates the
 * `POLICY_*` ids and the dispatch switches from this table, and test/policies.test.ts runs every
 * entry on both engines and both kernels, so a policy added on one side only fails by name.
 *
 * Adding a policy: an entry here (the next id), its functions in shaders/policies.wgsl.
 *
 * @example
 *   const a = allocate(POLICY.adaptive, fleet, 0); const g0 = shareOf(a, fleet, 0);
 */

// batch.ts imports this module too: MIG_SLICES is read only when a share is computed, never while
// the modules load, so the cycle is harmless.
import { MIG_SLICES } from './batch.js';
import { FILL_MAX_PASSES, FILL_PASSES, type FillRule, fillFinish, fillShare, fillTerm } from './clampFill.js';
import type { PoolRule } from './pool.js';

/**
 * The batch-wide settings some policies read (SimConfig's `queueTau`, `sliceOverhead`, `maxMinFloor`,
 * resolved to their defaults by policySettings in src/model/batch.ts), and Δt.
 */
export interface PolicySettings {
  readonly dt: number; // Δt, seconds
  /** τ of adaptiveQueue's demand (λ̂_i + B_i/τ)·R_i/P_i, seconds; Infinity gives Algorithm 1. */
  readonly queueTau: number;
  /** η of timeSlice: the fraction of the GPU lost to context switches, in [0, 1). */
  readonly sliceOverhead: number;
  /** maxMinFair's and mps's lower bound: 0, or min(R_i·G, need_i) when true. */
  readonly maxMinFloor: boolean;
}

/** One fleet's agent parameters as the allocator sees them. */
export interface FleetView {
  readonly offset: number; // index of agent 0 in the packed arrays (R, P, T, cap, weight, slices)
  readonly count: number; // N
  readonly capacity: number; // G
  readonly R: ArrayLike<number>;
  readonly P: ArrayLike<number>;
  readonly T: ArrayLike<number>; // requests/s with the whole GPU
  /** U_i: the most GPUs agent i may use (MPS's active-thread cap, a pool's per-agent cap), GPUs. */
  readonly cap: ArrayLike<number>;
  /** w_i: maxMinFair's weight (the packer's default is 1/P_i). */
  readonly weight: ArrayLike<number>;
  /** k_i: fixedShares' MIG slices, sevenths of one GPU. */
  readonly slices: ArrayLike<number>;
  /** λ̂_i, indexed by i = 0 … N − 1: the signal (SimConfig.signal) a policy that reads it sees. */
  readonly rate: ArrayLike<number>;
  /**
   * B_i = Q_i + a_i, indexed by i: the agent's queue after this step's arrivals, work units (the
   * work the step may serve). Read only by policies that declare `readsBacklog`; others may see zeros.
   */
  readonly backlog: ArrayLike<number>;
  readonly settings: PolicySettings;
}

/**
 * Reductions one allocation may run at most: clampFill's 36 (Σlo, Σh̃, max hi/w, 30 bisection steps, the guard,
 * two classification sums) and room to spare. Passes ≥ 32 cannot reduce by max (PolicyDef.maxPasses).
 */
export const MAX_POLICY_PASSES = 40;
/** The scalars an allocation carries between its passes and into its shares: Allocation.scalars (array<f32, 8> in WGSL). */
export const MAX_POLICY_SCALARS = 8;

/** The scalars an O(N) allocation produces; each share is then a closed form (shareOf). */
export interface Allocation {
  policy: number;
  capacity: number; // G
  turn: number; // the step's rotation index, t mod N (round-robin's agent)
  /**
   * The policy's working scalars, MAX_POLICY_SCALARS of them, 0 before the first pass; each `finish`
   * writes the ones it owns (adaptive: D into [0], then its scale into [1]).
   */
  scalars: Float64Array;
}

export interface PolicyDef {
  /** The u32 the kernels read (`POLICY_<NAME>`); the index in POLICY_NAMES. */
  readonly id: number;
  /** As shown to users (tables, legends). */
  readonly label: string;
  /** Chart colour. */
  readonly colour: string;
  /** One of the paper's three (MODEL.md Part 1). */
  readonly paper: boolean;
  /** Reductions over the fleet before the shares are closed forms, 0 … MAX_POLICY_PASSES. */
  readonly passes: number;
  /** Its shares depend on the rates λ̂ (FleetView.rate), which vary by step unless the signal is nominal. */
  readonly readsSignal: boolean;
  /** Its shares depend on the run's own per-agent state (queues and the like), which varies by step. */
  readonly readsState: boolean;
  /** Its shares change with the step index itself, through Allocation.turn only. */
  readonly variesWithStep: boolean;
  /**
   * Its shares read B_i = Q_i + a_i (FleetView.backlog): the run's queues after this step's arrivals.
   * Such a run is allocated step by step, after the step's arrivals (MODEL-PART4 §4.8), never by the
   * engines' fixed-allocation paths.
   */
  readonly readsBacklog: boolean;
  /**
   * Bit k set: pass k reduces its terms by max (from 0: the largest term, or 0 when all are below)
   * instead of a sum. Only passes 0 … 31.
   */
  readonly maxPasses: number;
  /**
   * Its form when several GPUs are one pool (src/model/pool.ts, MODEL-PART4 §4.5): `cap` min(g, U_i),
   * `fill` its own (clampFill's hi ≤ U_i), `turns` n_G agents a whole GPU each; null: none (an error).
   */
  readonly pool: PoolRule | null;
  /** Pass `pass`'s term for agent i, given the scalars of the passes before it. */
  readonly term: (a: Allocation, pass: number, f: FleetView, i: number) => number;
  /** Pass `pass`'s reduction (sum, or max: maxPasses) of the terms → the scalars it owns in a.scalars. */
  readonly finish: (a: Allocation, pass: number, sum: number) => void;
  /** Share g_i of agent i, GPUs. */
  readonly share: (a: Allocation, f: FleetView, i: number) => number;
}

const noTerm = (): number => 0;
const noFinish = (): void => undefined;

/** Adaptive demand d_i = λ̂_i·R_i / P_i (the paper's Algorithm 1 with λ̂ = λ under the nominal signal). */
function demand(f: FleetView, i: number): number {
  return (f.rate[i]! * f.R[f.offset + i]!) / f.P[f.offset + i]!;
}

/**
 * adaptiveQueue's demand d_i = (λ̂_i + B_i/τ)·R_i / P_i, requests/s weighted (B_i in work units, one
 * unit = one request's mean work). τ = ∞ adds B_i/τ = +0, so the demand is `demand`'s to the bit.
 */
function queueDemand(f: FleetView, i: number): number {
  return ((f.rate[i]! + f.backlog[i]! / f.settings.queueTau) * f.R[f.offset + i]!) / f.P[f.offset + i]!;
}

/**
 * The paper's Algorithm 1 on a demand function `d`: pass 0 sums the demands (D = scalars[0]); pass 1
 * sums the raised shares max(R_i, (d_i / D)·G), and when they exceed G every share is scaled by G / Σ
 * (scalars[1], else 1). Faithful to the paper: the scaling may push shares back below their minimum
 * R_i. With D = 0 every share is 0.
 */
function algorithm1(d: (f: FleetView, i: number) => number): Pick<PolicyDef, 'term' | 'finish' | 'share'> {
  // Proportional share raised to the minimum, before normalisation.
  const raised = (f: FleetView, i: number, demandTotal: number): number =>
    Math.max(f.R[f.offset + i]!, (d(f, i) / demandTotal) * f.capacity);
  return {
    term: (a, pass, f, i) => (pass === 0 ? d(f, i) : a.scalars[0]! > 0 ? raised(f, i, a.scalars[0]!) : 0),
    finish: (a, pass, sum) => {
      a.scalars[pass] = pass === 0 ? sum : sum > a.capacity ? a.capacity / sum : 1;
    },
    share: (a, f, i) => (a.scalars[0]! > 0 ? raised(f, i, a.scalars[0]!) * a.scalars[1]! : 0),
  };
}

/**
 * need_i: the share that clears the agent's backlog this step, B_i/(T_i·Δt) GPUs, raised by
 * NEED_SLACK. Without the slack the engines' service T·g·Δt (f64 on the CPU, f32 on the GPU, four
 * roundings of ≤ 2^-21 relative together, WGSL's division allowed 2.5 ulp) may fall an ulp short of B_i
 * and leave a residual queue of ~ulp(B_i) that the next step would count as backlog (busySum,
 * violationSum, B > 0 for the policies that test it); with it a demand-capped agent is served B_i
 * exactly (served = min(B, T·g·Δt)). The excess share is unused: ≤ 2^-18·need_i.
 */
function need(f: FleetView, i: number): number {
  return (f.backlog[i]! / (f.T[f.offset + i]! * f.settings.dt)) * NEED_SLACK;
}

/** 1 + 2^-18 (need). */
export const NEED_SLACK = 1 + 2 ** -18;

/** maxMinFair's and mps's lower bound: 0, or min(R_i·G, need_i) under settings.maxMinFloor. */
function maxMinLower(f: FleetView, i: number): number {
  return f.settings.maxMinFloor ? Math.min(f.R[f.offset + i]! * f.capacity, need(f, i)) : 0;
}

/** Their upper bound min(U_i, need_i): demand-capped, so the fill is work-conserving within each step. */
function maxMinUpper(f: FleetView, i: number): number {
  return Math.min(f.cap[f.offset + i]!, need(f, i));
}

/** A fill policy's passes and functions: clampFill (src/model/clampFill.ts) on `rule`. */
function fill(rule: FillRule): Pick<PolicyDef, 'passes' | 'maxPasses' | 'term' | 'finish' | 'share'> {
  return {
    passes: FILL_PASSES,
    maxPasses: FILL_MAX_PASSES,
    term: (a, pass, f, i) => fillTerm(rule, a, pass, f, i),
    finish: fillFinish,
    share: (a, f, i) => fillShare(rule, a, f, i),
  };
}

/** Round-robin-skip-idle's key of agent i: N − ((i − turn) mod N) when backlogged (N at the turn), else 0. */
function skipIdleKey(a: Allocation, f: FleetView, i: number): number {
  return f.backlog[i]! > 0 ? f.count - ((i - a.turn + f.count) % f.count) : 0;
}

/**
 * The registry. Keys are the names study files use; ids are dense from 0 in declaration order
 * (test/policies.test.ts checks both).
 */
export const POLICIES = {
  /** g_i = G / N. */
  static: {
    id: 0,
    label: 'static',
    colour: '#1f77b4',
    paper: true,
    pool: 'cap',
    passes: 0,
    readsSignal: false,
    readsState: false,
    variesWithStep: false,
    readsBacklog: false,
    maxPasses: 0,
    term: noTerm,
    finish: noFinish,
    share: (a, f) => a.capacity / f.count,
  },
  /** The whole GPU to agent t mod N at step t. */
  roundRobin: {
    id: 1,
    label: 'round-robin',
    colour: '#ff7f0e',
    paper: true,
    pool: 'turns',
    passes: 0,
    readsSignal: false,
    readsState: false,
    variesWithStep: true,
    readsBacklog: false,
    maxPasses: 0,
    term: noTerm,
    finish: noFinish,
    share: (a, _f, i) => (i === a.turn ? a.capacity : 0),
  },
  /**
   * The paper's Algorithm 1 on d_i = λ̂_i·R_i/P_i (algorithm1). Faithful to the paper: the scaling may
   * push shares back below their minimum R_i. With D = 0 every share is 0.
   */
  adaptive: {
    id: 2,
    label: 'adaptive',
    colour: '#2ca02c',
    paper: true,
    pool: 'cap',
    passes: 2,
    readsSignal: true,
    readsState: false,
    variesWithStep: false,
    readsBacklog: false,
    maxPasses: 0,
    ...algorithm1(demand),
  },
  /** Water-filling on the demands (MODEL-PART4 §4.7): clampFill with w = d_i, lo = R_i·G, hi = U_i. */
  adaptiveWaterfill: {
    id: 3,
    label: 'adaptive water-fill',
    colour: '#9467bd',
    paper: false,
    pool: 'fill',
    readsSignal: true,
    readsState: false,
    variesWithStep: false,
    readsBacklog: false,
    ...fill({ w: demand, lo: (f, i) => f.R[f.offset + i]! * f.capacity, hi: (f, i) => f.cap[f.offset + i]! }),
  },
  /**
   * Weighted max–min fair, demand-capped: clampFill with w = weight_i (default 1/P_i), lo = 0 (or
   * min(R_i·G, need_i): settings.maxMinFloor), hi = min(U_i, need_i). Work-conserving within each step.
   */
  maxMinFair: {
    id: 4,
    label: 'max-min fair',
    colour: '#8c564b',
    paper: false,
    pool: 'fill',
    readsSignal: false,
    readsState: true,
    variesWithStep: false,
    readsBacklog: true,
    ...fill({ w: (f, i) => f.weight[f.offset + i]!, lo: maxMinLower, hi: maxMinUpper }),
  },
  /**
   * Kubernetes time-slicing (MODEL-PART4 §4.7): the backlogged agents (B_i > 0) split (1 − η)·G
   * equally; pass 0 counts them (scalars[0]).
   */
  timeSlice: {
    id: 5,
    label: 'time-slice',
    colour: '#d62728',
    paper: false,
    pool: 'cap',
    passes: 1,
    readsSignal: false,
    readsState: true,
    variesWithStep: false,
    readsBacklog: true,
    maxPasses: 0,
    term: (_a, _pass, f, i) => (f.backlog[i]! > 0 ? 1 : 0),
    finish: (a, _pass, sum) => {
      a.scalars[0] = sum;
    },
    share: (a, f, i) => (f.backlog[i]! > 0 ? ((1 - f.settings.sliceOverhead) * a.capacity) / a.scalars[0]! : 0),
  },
  /** MIG partitions: g_i = k_i·G/7 (k_i slices, sevenths), constant; unused slices are not shared. */
  fixedShares: {
    id: 6,
    label: 'MIG fixed shares',
    colour: '#e377c2',
    paper: false,
    pool: null,
    passes: 0,
    readsSignal: false,
    readsState: false,
    variesWithStep: false,
    readsBacklog: false,
    maxPasses: 0,
    term: noTerm,
    finish: noFinish,
    share: (a, f, i) => (f.slices[f.offset + i]! * a.capacity) / MIG_SLICES,
  },
  /**
   * CUDA MPS: max–min fair with equal weights, each agent capped at U_i (its
   * CUDA_MPS_ACTIVE_THREAD_PERCENTAGE as GPUs) and at its need: w = 1, lo as maxMinFair's, hi = min(U_i, need_i).
   */
  mps: {
    id: 7,
    label: 'MPS',
    colour: '#7f7f7f',
    paper: false,
    pool: 'fill',
    readsSignal: false,
    readsState: true,
    variesWithStep: false,
    readsBacklog: true,
    ...fill({ w: () => 1, lo: maxMinLower, hi: maxMinUpper }),
  },
  /**
   * Round-robin skipping idle agents: the whole G to the first backlogged agent (B_i > 0) at or after
   * agent t mod N, cyclically; pass 0 is the max of skipIdleKey (exact in f32 for N ≤ 2^24), nobody
   * backlogged → all 0.
   */
  roundRobinSkipIdle: {
    id: 8,
    label: 'round-robin skip-idle',
    colour: '#bcbd22',
    paper: false,
    pool: null,
    passes: 1,
    readsSignal: false,
    readsState: true,
    variesWithStep: true,
    readsBacklog: true,
    maxPasses: 1,
    term: (a, _pass, f, i) => skipIdleKey(a, f, i),
    finish: (a, _pass, sum) => {
      a.scalars[0] = sum;
    },
    share: (a, f, i) => (a.scalars[0]! > 0 && skipIdleKey(a, f, i) === a.scalars[0] ? a.capacity : 0),
  },
  /**
   * Algorithm 1 on the rate+queue demand d_i = (λ̂_i + B_i/τ)·R_i/P_i, τ = settings.queueTau (the
   * paper's unspecified feedback path, MODEL-PART4 §4.7); τ = ∞ gives adaptive's shares bit for bit.
   */
  adaptiveQueue: {
    id: 9,
    label: 'adaptive rate+queue',
    colour: '#17becf',
    paper: false,
    pool: 'cap',
    passes: 2,
    readsSignal: true,
    readsState: true,
    variesWithStep: false,
    readsBacklog: true,
    maxPasses: 0,
    ...algorithm1(queueDemand),
  },
} as const satisfies Record<string, PolicyDef>;

export type PolicyName = keyof typeof POLICIES;
export type PolicyId = (typeof POLICIES)[PolicyName]['id'];

/** Every policy, in id order. */
export const POLICY_NAMES = Object.keys(POLICIES) as readonly PolicyName[];
/** The names of the paper's three policies (MODEL.md Part 1). */
export type PaperPolicyName = { [K in PolicyName]: (typeof POLICIES)[K]['paper'] extends true ? K : never }[PolicyName];
/** The paper's three (MODEL.md Part 1), in id order: what Table II and the paper view show. */
export const PAPER_POLICIES = POLICY_NAMES.filter((name) => POLICIES[name].paper) as readonly PaperPolicyName[];
/** `{ name: id }`. */
export const POLICY = Object.fromEntries(POLICY_NAMES.map((name) => [name, POLICIES[name].id])) as {
  readonly [K in PolicyName]: (typeof POLICIES)[K]['id'];
};
/** The registry indexed by id. */
const BY_ID: readonly PolicyDef[] = POLICY_NAMES.map((name) => POLICIES[name]);

export function policyName(id: number): PolicyName {
  const name = POLICY_NAMES[id];
  if (name === undefined) throw new RangeError(`unknown policy id ${id}`);
  return name;
}

export function policyDef(id: number): PolicyDef {
  const def = BY_ID[id];
  if (def === undefined) throw new RangeError(`unknown policy id ${id}`);
  return def;
}
