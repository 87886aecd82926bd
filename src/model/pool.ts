/**
 * Several GPUs as **one pool** (MODEL-PART4 §4.5, `pool`; the other mode, `placement`, is
 * src/model/placement.ts): one allocator covers all of the fleet's agents at the fleet's capacity G, each
 * agent capped at U_i (AgentSpec.cap, PackedFleets.cap, default 1); memory stays per GPU, and an agent's
 * GPU is where its model was last loaded — loads go to the GPU with the most free memory.
 * FleetSpec.gpuMode = 'pool' (packed: PackedFleets.gpuPool = 1). With one GPU a pool is the plain fleet
 * (the packer stores gpuPool = 0 for n_G = 1 [choice]: nothing changes, bit for bit).
 *
 * **Units.** Shares are in the fleet's capacity units, as everywhere: one GPU is gpuCapacity =
 * f32(G/n_G) (src/model/placement.ts); the study's capacity defaults to its gpus, so by default one GPU
 * is 1 and U_i counts GPUs. U_i is the packed `cap` as given (not scaled by the host).
 *
 * **Allocation** (lifecycle step 6 in a pool; without the lifecycle every agent is eligible): the
 * policy runs over the fleet's eligible agents as if they were the fleet, at capacity G (one group, the
 * single-GPU allocation of src/model/allocate.ts allocateEligible: rank r among n_e, turn = t mod n_e),
 * and then each eligible agent's share g is replaced by poolShare(rule, …) with the policy's
 * PolicyDef.pool rule:
 * - `cap` (static, adaptive, adaptiveQueue, timeSlice): min(g, U_i), the excess unallocated. So static is
 *   min(U_i, G/N) and adaptive is Algorithm 1 with G = n_G capped at U_i (§4.5);
 * - `fill` (adaptiveWaterfill, maxMinFair, mps): g as computed: their clampFill already has hi ≤ U_i and
 *   redistributes what a cap leaves (§4.5 "Fills use clampFill with hi = U");
 * - `turns` (roundRobin): n_G agents get a whole GPU per step: with s = (turn·n_G) mod n_e, the agent of
 *   rank r gets min(U_i, gpuCapacity) when (r − s) mod n_e < n_G, else 0 (every agent when n_e ≤ n_G);
 * - null (fixedShares: MIG slices are per physical GPU; roundRobinSkipIdle): no pool form — a run of
 *   such a policy on a pool fleet is a configuration error (`runs[j].policy`, poolPolicyProblem), and the
 *   study names the policy and says to use placement.
 * Everything else that reads the fleet's capacity per agent reads G, as with one GPU: the minimum share
 * R_i·G (violations), the initial lastShare G/N. The per-GPU run metrics (gpuImbalance,
 * gpuUtilizationMin/Max) are NaN in a pool (its compute is not per GPU); the per-agent `gpu` is NaN.
 *
 * **Memory and the lifecycle in a pool** (src/model/lifecycle.ts's step; everything not named here as
 * there). Per agent-run a `home` GPU (state, u32): the GPU its model was last loaded on (0 before the
 * first load; read only while the agent is LOADING or WARM). Per run and step, after the expiry (step
 * 1): used_k = Σ m_i over the agents with phase ≠ COLD and home_i = k, loading_k = the LOADING agents
 * with home_i = k — derived from the agents' states each step (no per-GPU state is kept).
 * - **Start** (initialPhase WARM): the pinned agents in index order, then the others in index order,
 *   each to poolTarget(…, needsSlot = false) with home = that GPU, WARM, when it fits there; the first
 *   non-pinned agent that does not fit and every later one start COLD (no skipping). The pinned agents
 *   must fit this way (lifecycleFleetProblem: a configuration error). initialPhase COLD: every agent
 *   COLD, home 0.
 * - **Admit** (step 3): one loop for the whole fleet. The candidate c as with one GPU (the COLD agent
 *   with B > 0 of lowest P, then largest wait, then lowest index, over all the fleet's agents). Its GPU
 *   k* = poolTarget(used, loading, n_G, capacityMB, loadSlots, needsSlot = c_c > 0): none (every GPU's
 *   load slots busy) → stop. If used_k* + m_c > capacity: the evictable agents are those with
 *   home_j = k* (WARM ∧ B_j = 0 ∧ ¬pinned), taken in the eviction order until c fits, at most
 *   MAX_EVICTIONS_PER_STEP − (evictions this step, counted over the whole fleet [choice]); if they do
 *   not make room: nothing evicted, memoryBound = 1, stop (head of line; no other GPU is tried
 *   [choice]). Admit c: home_c = k*, used_k* += m_c, loading_k* += 1 when c_c > 0, and the rest as
 *   with one GPU (coldStarts, wait = 0, LOADING or WARM at once).
 * - **Records** as placement's: memorySum += Σ_k used_k, memoryPeak over max_k used_k,
 *   residentRunStepSum += the GPUs with a LOADING or WARM agent.
 *
 * **Validation** (test/pool-cpu.test.ts): a pool of N ≤ n_G agents with U_i = 1 under static,
 * roundRobin, adaptiveWaterfill and maxMinFair serves each agent a whole GPU's work every step, the
 * same queues bit for bit under all four (maxMinFair's share is min(1, need_i): it serves B_i all the
 * same, but records ℓ = L_max at a step with nothing queued, its share being 0): M/G/1 queues with
 * μ = T_i (the P-K suite); with U_i ≥ G the `cap` and `fill` policies equal the plain fleet at G, every
 * per-agent total bit for bit; n_G = 1 equals the plain fleet bit for bit; memory used never above any
 * GPU's capacity (RunSeries.gpuMemory, per GPU and step); loads go to the GPU with the most free
 * memory. The CPU engine: src/cpu/gpus.ts (the allocation), src/cpu/lifecycle.ts (home, start, admit).
 *
 * @example
 *   const fleets = packFleets([{ agents, gpus: 4, gpuMode: 'pool' }]);
 *   poolShare('turns', g, 1, rank, ne, turn, 4, 1); // roundRobin's share in a pool of 4 GPUs
 */
import { NO_LIMIT } from './lifecycle.js';
import { type PolicyName, POLICIES } from './policies.js';

/** How several GPUs serve one fleet (FleetSpec.gpuMode): `placement` (default) or `pool`. */
export const GPU_MODES = ['placement', 'pool'] as const;
export type GpuMode = (typeof GPU_MODES)[number];

/** A policy's form in a pool (PolicyDef.pool; WGSL: POOL_CAP, POOL_FILL, POOL_TURNS). */
export const POOL_RULES = ['cap', 'fill', 'turns'] as const;
export type PoolRule = (typeof POOL_RULES)[number];
export const POOL_RULE_ID: Record<PoolRule, number> = { cap: 0, fill: 1, turns: 2 };

/**
 * Agent share in a pool (the header's rules): `g` the policy's share over the eligible agents at
 * capacity G, `cap` U_i, `rank` the agent's index among the `ne` eligible, `turn` = t mod ne, `gpus`
 * n_G, `gpuCap` f32(G/n_G). Exact on both engines: a min of two values or a comparison of integers.
 */
export function poolShare(
  rule: PoolRule,
  g: number,
  cap: number,
  rank: number,
  ne: number,
  turn: number,
  gpus: number,
  gpuCap: number,
): number {
  if (rule === 'fill') return g;
  if (rule === 'cap') return Math.min(g, cap);
  const s = (turn * gpus) % ne;
  return (rank - s + ne) % ne < gpus ? Math.min(cap, gpuCap) : 0;
}

/**
 * The GPU a load goes to in a pool: among GPUs 0 … gpus − 1 (only those with loading_k < loadSlots
 * when `needsSlot`; loadSlots NO_LIMIT: every GPU), the one with the most free memory capacityMB −
 * used_k (capacityMB NO_LIMIT: the least used_k), ties to the lower index; −1 when none qualifies.
 * Whether the model fits there is the caller's test.
 */
export function poolTarget(
  used: ArrayLike<number>,
  loading: ArrayLike<number>,
  gpus: number,
  loadSlots: number,
  needsSlot: boolean,
): number {
  let best = -1;
  for (let k = 0; k < gpus; k++) {
    if (needsSlot && loadSlots !== NO_LIMIT && loading[k]! >= loadSlots) continue;
    // The most free memory is the least used on GPUs of equal capacity.
    if (best < 0 || used[k]! < used[best]!) best = k;
  }
  return best;
}

/** Why `policy` cannot run on a pool fleet (its PolicyDef.pool is null), or null when it can. */
export function poolPolicyProblem(policy: PolicyName): string | null {
  return POLICIES[policy].pool === null
    ? `${policy} has no pool form (${policy === 'fixedShares' ? 'MIG slices belong to one physical GPU' : 'its turns skip over one GPU'}); use gpuMode "placement" or another policy`
    : null;
}
