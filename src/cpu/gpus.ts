/**
 * The CPU engine's allocation on several GPUs (MODEL-PART4 §4.5), for the workflow stepper
 * (src/cpu/workflow.ts, lifecycle step 6): by **placement** (src/model/placement.ts) each GPU k runs the
 * policy over its own eligible agents at gpuCapacity = f32(G/n_G); as **one pool** (src/model/pool.ts)
 * the policy runs over all the fleet's eligible agents at G (allocateEligible) and each eligible agent's
 * share becomes poolShare(PolicyDef.pool, …). A fleet of one GPU never comes here.
 *
 * @example
 *   const gpus = new GpuAllocator(maxAgents);                 // once per batch
 *   gpus.startGroup(fleets, f);                               // per group of runs
 *   gpus.allocate(policy, view, t, alloc, scratch, shares, eligibleOrNull); // per step
 */
import type { PackedFleets } from '../model/batch.js';
import { type Allocation, allocateEligible, type EligibleScratch, type FleetView } from '../model/allocate.js';
import { gpuCapacity } from '../model/placement.js';
import { POLICIES, POLICY_NAMES } from '../model/policies.js';
import { POOL_RULE_ID, poolShare, POOL_RULES } from '../model/pool.js';

/** Each policy's pool rule by id (POOL_RULE_ID; −1: none, PolicyDef.pool null). */
const POOL_RULE_OF: readonly number[] = POLICY_NAMES.map((name) => {
  const rule = POLICIES[name].pool;
  return rule === null ? -1 : POOL_RULE_ID[rule];
});

/** The per-step allocation of one fleet's GPUs: its n_G, mode and each agent's GPU (placement). */
export class GpuAllocator {
  /** n_G of the group's fleet. */
  gpus = 1;
  /** Whether its GPUs are one pool (PackedFleets.gpuPool). */
  pool = false;
  /** One GPU's capacity f32(G/n_G) (roundRobin's whole GPU in a pool). */
  gpuCap = 0;
  private count = 0;
  private readonly gpuOf: Uint32Array;
  private readonly gpuMask: Uint8Array;
  private readonly gpuShares: Float64Array;
  private readonly everyone: Uint8Array;

  constructor(maxAgents: number) {
    this.gpuOf = new Uint32Array(maxAgents);
    this.gpuMask = new Uint8Array(maxAgents);
    this.gpuShares = new Float64Array(maxAgents);
    this.everyone = new Uint8Array(maxAgents).fill(1);
  }

  /** Takes fleet f (its GPUs, mode and agents' GPUs). */
  startGroup(fleets: PackedFleets, f: number): void {
    const n = fleets.agentCount[f]!;
    const offset = fleets.agentOffset[f]!;
    this.count = n;
    this.gpus = fleets.gpuCount[f]!;
    this.pool = fleets.gpuPool[f] === 1;
    this.gpuCap = gpuCapacity(fleets, f);
    for (let i = 0; i < n; i++) this.gpuOf[i] = fleets.gpu[offset + i]!;
  }

  /**
   * The shares of step t into shares[i] (g = 0 for the ineligible), over the agents that are `eligible`
   * (null: all). Placement: `view` is the fleet at one GPU's capacity G/n_G; a pool: at G.
   */
  allocate(
    policy: number,
    view: FleetView,
    t: number,
    alloc: Allocation,
    scratch: EligibleScratch,
    shares: Float64Array,
    eligible: Uint8Array | null,
  ): void {
    if (this.pool) this.allocatePool(policy, view, t, alloc, scratch, shares, eligible ?? this.everyone);
    else this.allocateGpus(policy, view, t, alloc, scratch, shares, eligible);
  }

  /**
   * One pool (src/model/pool.ts "Allocation"): the policy over the eligible agents at capacity G, then
   * each eligible agent of rank r among n_e: poolShare(rule, g, U_i, r, n_e, t mod n_e, n_G, f32(G/n_G)).
   */
  private allocatePool(
    policy: number,
    view: FleetView,
    t: number,
    alloc: Allocation,
    scratch: EligibleScratch,
    shares: Float64Array,
    eligible: Uint8Array,
  ): void {
    const rule = POOL_RULE_OF[policy]!;
    // validateBatch refuses such runs (poolPolicyProblem): reaching here is a bug, not bad input.
    if (rule < 0) throw new Error(`${POLICY_NAMES[policy]} has no pool form (PolicyDef.pool is null)`);
    const ne = allocateEligible(policy, view, t, eligible, scratch, alloc, shares, 0);
    if (ne === 0) return;
    const name = POOL_RULES[rule]!;
    const turn = t % ne;
    const { cap, offset } = view;
    for (let i = 0, r = 0; i < this.count; i++) {
      if (eligible[i] === 0) continue;
      shares[i] = poolShare(name, shares[i]!, cap[offset + i]!, r, ne, turn, this.gpus, this.gpuCap);
      r++;
    }
  }

  /**
   * Placement: GPU by GPU (k = 0 … n_G − 1), each GPU's policy over its agents that are `eligible`
   * (null: all) as if they were the fleet (allocateEligible: rank among them, n_e,k, turn t mod n_e,k)
   * with `view`'s capacity G/n_G.
   */
  private allocateGpus(
    policy: number,
    view: FleetView,
    t: number,
    alloc: Allocation,
    scratch: EligibleScratch,
    shares: Float64Array,
    eligible: Uint8Array | null,
  ): void {
    const { gpuOf, gpuMask, gpuShares, count: n } = this;
    for (let k = 0; k < this.gpus; k++) {
      let any = false;
      for (let i = 0; i < n; i++) {
        const on = gpuOf[i] === k && (eligible === null || eligible[i] !== 0);
        gpuMask[i] = on ? 1 : 0;
        any ||= gpuOf[i] === k;
      }
      if (!any) continue;
      allocateEligible(policy, view, t, gpuMask, scratch, alloc, gpuShares, 0);
      for (let i = 0; i < n; i++) if (gpuOf[i] === k) shares[i] = gpuShares[i]!;
    }
  }
}
