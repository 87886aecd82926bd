/**
 * The allocation policies of MODEL.md Part 1, registered under the integer ids that the WGSL `switch`
 * in `shaders/allocate.wgsl` reads (POLICY_STATIC = 0, POLICY_ROUND_ROBIN = 1, POLICY_ADAPTIVE = 2).
 * This is the CPU twin, in f64; test/layout.test.ts pins the ids against the shader.
 *
 * @example
 *   const a = allocate(POLICY.adaptive, fleet, 0, 0); const g0 = shareOf(a, fleet, 0);
 */

export const POLICY = { static: 0, roundRobin: 1, adaptive: 2 } as const;
export type PolicyName = keyof typeof POLICY;
export type PolicyId = (typeof POLICY)[PolicyName];
export const POLICY_NAMES: readonly PolicyName[] = ['static', 'roundRobin', 'adaptive'];

export function policyName(id: number): PolicyName {
  const name = POLICY_NAMES[id];
  if (name === undefined) throw new RangeError(`unknown policy id ${id}`);
  return name;
}

/** One fleet's agent parameters as the allocator sees them. */
export interface FleetView {
  readonly offset: number; // index of agent 0 in R and P (the packed batch arrays)
  readonly count: number; // N
  readonly capacity: number; // G
  readonly R: ArrayLike<number>;
  readonly P: ArrayLike<number>;
  /** λ̂_i, indexed by i = 0 … N − 1: the rate in agent i's adaptive demand (the signal, SimConfig.signal). */
  readonly rate: ArrayLike<number>;
}

/** The scalars an O(N) allocation produces; each share is then a closed form (shareOf). */
export interface Allocation {
  policy: number;
  capacity: number;
  turn: number; // round-robin: the agent holding the whole GPU
  demandTotal: number; // adaptive: D = Σ λ̂_i R_i / P_i
  scale: number; // adaptive: G / Σ max(R_i, p_i) when that sum exceeds G, else 1
}

export function newAllocation(): Allocation {
  return { policy: 0, capacity: 0, turn: 0, demandTotal: 0, scale: 1 };
}

function demand(f: FleetView, i: number): number {
  return (f.rate[i]! * f.R[f.offset + i]!) / f.P[f.offset + i]!;
}

function raised(f: FleetView, i: number, demandTotal: number): number {
  return Math.max(f.R[f.offset + i]!, (demand(f, i) / demandTotal) * f.capacity);
}

/** Allocates step `step` for `policy`; writes into `out` (no allocation on the hot path). */
export function allocate(policy: number, f: FleetView, step: number, out: Allocation = newAllocation()): Allocation {
  out.policy = policy;
  out.capacity = f.capacity;
  out.turn = step % f.count;
  out.demandTotal = 0;
  out.scale = 1;
  if (policy === POLICY.adaptive) {
    let total = 0;
    for (let i = 0; i < f.count; i++) total += demand(f, i);
    out.demandTotal = total;
    if (total > 0) {
      let sum = 0;
      for (let i = 0; i < f.count; i++) sum += raised(f, i, total);
      // Faithful to the paper: scaling may push shares back below their minimum R_i.
      if (sum > f.capacity) out.scale = f.capacity / sum;
    }
  }
  return out;
}

/** Share g_i of agent `i` under allocation `a`. */
export function shareOf(a: Allocation, f: FleetView, i: number): number {
  switch (a.policy) {
    case POLICY.static:
      return a.capacity / f.count;
    case POLICY.roundRobin:
      return i === a.turn ? a.capacity : 0;
    case POLICY.adaptive:
      return a.demandTotal > 0 ? raised(f, i, a.demandTotal) * a.scale : 0;
    default:
      return 0;
  }
}

/**
 * Every share of step `step` at once, g_i into out[at + i] for i = 0 … N − 1: allocate() then
 * shareOf(), the same operations in the same order, with `scratch` as the Allocation (no allocation on
 * the hot path).
 */
export function allocateShares(policy: number, f: FleetView, step: number, scratch: Allocation, out: Float64Array, at: number): void {
  allocate(policy, f, step, scratch);
  for (let i = 0; i < f.count; i++) out[at + i] = shareOf(scratch, f, i);
}

/** Whether `policy`'s shares change with the step index itself (for fixed rates λ̂). */
export function sharesVaryWithStep(policy: number): boolean {
  return policy === POLICY.roundRobin;
}

/** Whether `policy`'s shares depend on the rates λ̂ (FleetView.rate). */
export function readsRates(policy: number): boolean {
  return policy === POLICY.adaptive;
}
