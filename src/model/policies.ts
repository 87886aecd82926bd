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

/** One fleet's agent parameters as the allocator sees them. */
export interface FleetView {
  readonly offset: number; // index of agent 0 in R and P (the packed batch arrays)
  readonly count: number; // N
  readonly capacity: number; // G
  readonly R: ArrayLike<number>;
  readonly P: ArrayLike<number>;
  /** λ̂_i, indexed by i = 0 … N − 1: the signal (SimConfig.signal) a policy that reads it sees. */
  readonly rate: ArrayLike<number>;
}

/** Reductions one allocation may run at most: the length of Allocation.scalars (a vec4 in WGSL). */
export const MAX_POLICY_PASSES = 4;

/** The scalars an O(N) allocation produces; each share is then a closed form (shareOf). */
export interface Allocation {
  policy: number;
  capacity: number; // G
  turn: number; // the step's rotation index, t mod N (round-robin's agent)
  /** The policy's reduction results, scalars[k] from pass k (adaptive: D, then its scale). */
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
  /** Pass `pass`'s term for agent i, given the scalars of the passes before it. */
  readonly term: (a: Allocation, pass: number, f: FleetView, i: number) => number;
  /** Pass `pass`'s sum of terms → its scalar, into a.scalars. */
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

/** Proportional share raised to the minimum: max(R_i, (d_i / D)·G), before normalisation. */
function raised(f: FleetView, i: number, demandTotal: number): number {
  return Math.max(f.R[f.offset + i]!, (demand(f, i) / demandTotal) * f.capacity);
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
    passes: 0,
    readsSignal: false,
    readsState: false,
    variesWithStep: false,
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
    passes: 0,
    readsSignal: false,
    readsState: false,
    variesWithStep: true,
    term: noTerm,
    finish: noFinish,
    share: (a, _f, i) => (i === a.turn ? a.capacity : 0),
  },
  /**
   * The paper's Algorithm 1: pass 0 sums the demands (D = scalars[0]); pass 1 sums the raised shares,
   * and when they exceed G every share is scaled by G / Σ (scalars[1], else 1). Faithful to the paper:
   * the scaling may push shares back below their minimum R_i. With D = 0 every share is 0.
   */
  adaptive: {
    id: 2,
    label: 'adaptive',
    colour: '#2ca02c',
    paper: true,
    passes: 2,
    readsSignal: true,
    readsState: false,
    variesWithStep: false,
    term: (a, pass, f, i) => (pass === 0 ? demand(f, i) : a.scalars[0]! > 0 ? raised(f, i, a.scalars[0]!) : 0),
    finish: (a, pass, sum) => {
      a.scalars[pass] = pass === 0 ? sum : sum > a.capacity ? a.capacity / sum : 1;
    },
    share: (a, f, i) => (a.scalars[0]! > 0 ? raised(f, i, a.scalars[0]!) * a.scalars[1]! : 0),
  },
} as const satisfies Record<string, PolicyDef>;

export type PolicyName = keyof typeof POLICIES;
export type PolicyId = (typeof POLICIES)[PolicyName]['id'];

/** Every policy, in id order. */
export const POLICY_NAMES = Object.keys(POLICIES) as readonly PolicyName[];
/** The paper's three (MODEL.md Part 1), in id order: what Table II and the paper view show. */
export const PAPER_POLICIES: readonly PolicyName[] = POLICY_NAMES.filter((name) => POLICIES[name].paper);
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
