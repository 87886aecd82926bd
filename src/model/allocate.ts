/**
 * The allocation of one step: a policy's passes (src/model/policies.ts), each a sum over the fleet in
 * agent order, then its closed-form shares. CPU twin of shaders/allocate.wgsl (f64 here).
 *
 * @example
 *   const a = allocate(POLICY.adaptive, fleet, 0); const g0 = shareOf(a, fleet, 0);
 */
import { type Allocation, type FleetView, MAX_POLICY_SCALARS, policyDef, type PolicySettings } from './policies.js';

export type { Allocation, FleetView, PolicySettings } from './policies.js';

/** The packed agent arrays a FleetView reads (PackedFleets in src/model/batch.ts has them all). */
export interface PolicyArrays {
  readonly R: ArrayLike<number>;
  readonly P: ArrayLike<number>;
  readonly T: ArrayLike<number>;
  readonly cap: ArrayLike<number>;
  readonly weight: ArrayLike<number>;
  readonly slices: ArrayLike<number>;
}

/**
 * Fleet `f` of `fleets` as the allocator sees it (agents [offset, offset + count) of the packed
 * arrays), with the signal `rate` and backlogs `backlog` indexed by i. `backlog` may be any zeros
 * for a policy that does not read it (PolicyDef.readsBacklog).
 *
 * `rate` is λ̂_i, requests/s. Under the nominal signal (and as every signal's value at step 0) it is
 * the agent's visit rate γ_i (PackedFleets.demand, the traffic equations of MODEL-PART4 §4.6): in a
 * workflow an agent is offered its external rate plus what the others route to it, and a policy that
 * sized shares from λ_i alone would starve the agents fed by others. Without routing γ_i = λ_i bit for
 * bit. The observed and ema signals read a step's arrivals, routed ones included. Both engines start
 * from `demand` (src/cpu/engine.ts; the WGSL signalOf reads AgentParams.demand).
 */
export function fleetView(
  fleets: PolicyArrays,
  offset: number,
  count: number,
  capacity: number,
  rate: ArrayLike<number>,
  backlog: ArrayLike<number>,
  settings: PolicySettings,
): FleetView {
  const { R, P, T, cap, weight, slices } = fleets;
  return { offset, count, capacity, R, P, T, cap, weight, slices, rate, backlog, settings };
}

/**
 * Whether a run's allocation stays the same for a whole chunk of steps, up to Allocation.turn: the
 * policy reads no per-run state, and the signal it reads (if any) is the nominal λ. The engines' fast
 * paths (agents one after the other through all of a chunk's steps) are taken only then, so a policy
 * that reads state can never be frozen by them.
 */
export function allocationFixed(policy: number, signalNominal: boolean): boolean {
  const def = policyDef(policy);
  return !def.readsState && (signalNominal || !def.readsSignal);
}

/**
 * Whether `policy` reads this step's backlogs B_i = Q_i + a_i (PolicyDef.readsBacklog): its runs then
 * draw every agent's arrivals of the step before allocating it (arrive → allocate, MODEL-PART4 §4.8);
 * every other policy may be allocated before the step's arrivals, to the same shares.
 */
export function allocationReadsBacklog(policy: number): boolean {
  return policyDef(policy).readsBacklog;
}

/** Whether `policy`'s shares change with the step index itself (for a fixed allocation). */
export function sharesVaryWithStep(policy: number): boolean {
  return policyDef(policy).variesWithStep;
}

export function newAllocation(): Allocation {
  return { policy: 0, capacity: 0, turn: 0, scalars: new Float64Array(MAX_POLICY_SCALARS) };
}

/**
 * Allocates step `step` for `policy`: the policy's passes, each a sum (or, for the passes in
 * PolicyDef.maxPasses, a max from 0) over the fleet in agent order, into `out` (no allocation on the
 * hot path). The scalars start at 0.
 */
export function allocate(policy: number, f: FleetView, step: number, out: Allocation = newAllocation()): Allocation {
  const def = policyDef(policy);
  out.policy = policy;
  out.capacity = f.capacity;
  out.turn = step % f.count;
  if (def.passes > 0) out.scalars.fill(0);
  for (let pass = 0; pass < def.passes; pass++) {
    let sum = 0;
    if (pass < 32 && ((def.maxPasses >>> pass) & 1) !== 0) {
      for (let i = 0; i < f.count; i++) sum = Math.max(sum, def.term(out, pass, f, i));
    } else {
      for (let i = 0; i < f.count; i++) sum += def.term(out, pass, f, i);
    }
    def.finish(out, pass, sum);
  }
  return out;
}

/** Share g_i of agent `i` under allocation `a`. */
export function shareOf(a: Allocation, f: FleetView, i: number): number {
  return policyDef(a.policy).share(a, f, i);
}

/**
 * Every share of step `step` at once, g_i into out[at + i] for i = 0 … N − 1: allocate() then
 * shareOf(), the same operations in the same order, with `scratch` as the Allocation (no allocation on
 * the hot path).
 */
export function allocateShares(policy: number, f: FleetView, step: number, scratch: Allocation, out: Float64Array, at: number): void {
  allocate(policy, f, step, scratch);
  // The same loop as sharesAtStep's, kept apart on purpose: each call site of `share` then sees fewer
  // policies, and V8 keeps it inlined (sharing the loop cost the paper fleet × 3 policies 2–3 %).
  const share = policyDef(policy).share;
  for (let i = 0; i < f.count; i++) out[at + i] = share(scratch, f, i);
}

/**
 * The shares of step `step` under an allocation that is fixed but for its turn (allocationFixed and
 * variesWithStep): the allocation of step t0 with the turn moved to `step`, which is allocate(step)
 * bit for bit without its passes.
 */
export function sharesAtStep(a: Allocation, f: FleetView, step: number, out: Float64Array, at: number): void {
  a.turn = step % f.count;
  const share = policyDef(a.policy).share;
  for (let i = 0; i < f.count; i++) out[at + i] = share(a, f, i);
}

/**
 * Scratch for allocateEligible: the eligible agents' parameters, signal and backlogs, compacted to
 * indices 0 … n_e − 1 (one per batch, sized for its largest fleet), and their shares.
 */
export class EligibleScratch {
  readonly R: Float64Array;
  readonly P: Float64Array;
  readonly T: Float64Array;
  readonly cap: Float64Array;
  readonly weight: Float64Array;
  readonly slices: Float64Array;
  readonly rate: Float64Array;
  readonly backlog: Float64Array;
  readonly shares: Float64Array;
  /** The compacted fleet as the allocator sees it (count, capacity and settings set per call). */
  readonly view: { -readonly [K in keyof FleetView]: FleetView[K] };

  constructor(maxAgents: number, settings: PolicySettings) {
    this.R = new Float64Array(maxAgents);
    this.P = new Float64Array(maxAgents);
    this.T = new Float64Array(maxAgents);
    this.cap = new Float64Array(maxAgents);
    this.weight = new Float64Array(maxAgents);
    this.slices = new Float64Array(maxAgents);
    this.rate = new Float64Array(maxAgents);
    this.backlog = new Float64Array(maxAgents);
    this.shares = new Float64Array(maxAgents);
    const { R, P, T, cap, weight, slices, rate, backlog } = this;
    this.view = { offset: 0, count: 0, capacity: 0, R, P, T, cap, weight, slices, rate, backlog, settings };
  }
}

/**
 * The shares of step `step` over the eligible agents only (MODEL-PART4 §4.3 step 5–6, the lifecycle's
 * `warm` and `backlogged`; src/model/lifecycle.ts step 6): the policy runs over the agents with
 * eligible[i] ≠ 0 as if they were the fleet — n_e = Σ eligible agents in index order, each agent's index
 * its rank among them, N = n_e, turn = step mod n_e — and writes g_i into out[at + i], 0 for the
 * ineligible (every g = 0 when n_e = 0). The compacted values are the fleet's own (f32 parameters
 * widened exactly), so with every agent eligible this is allocateShares bit for bit. Returns n_e.
 */
export function allocateEligible(
  policy: number,
  f: FleetView,
  step: number,
  eligible: ArrayLike<number>,
  scratch: EligibleScratch,
  alloc: Allocation,
  out: Float64Array,
  at: number,
): number {
  const { offset, count } = f;
  let ne = 0;
  for (let i = 0; i < count; i++) {
    if (eligible[i] === 0) continue;
    const a = offset + i;
    scratch.R[ne] = f.R[a]!;
    scratch.P[ne] = f.P[a]!;
    scratch.T[ne] = f.T[a]!;
    scratch.cap[ne] = f.cap[a]!;
    scratch.weight[ne] = f.weight[a]!;
    scratch.slices[ne] = f.slices[a]!;
    scratch.rate[ne] = f.rate[i]!;
    scratch.backlog[ne] = f.backlog[i]!;
    ne++;
  }
  if (ne === count) {
    allocateShares(policy, f, step, alloc, out, at);
    return ne;
  }
  if (ne > 0) {
    const view = scratch.view;
    view.count = ne;
    view.capacity = f.capacity;
    view.settings = f.settings;
    allocateShares(policy, view, step, alloc, scratch.shares, 0);
  }
  for (let i = 0, k = 0; i < count; i++) out[at + i] = eligible[i] === 0 ? 0 : scratch.shares[k++]!;
  return ne;
}
