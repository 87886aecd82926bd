/**
 * Several GPUs per fleet by placement (MODEL-PART4 §4.5, `placement`): a fleet of n_G GPUs
 * (FleetSpec.gpus, 1 … MAX_GPUS, default 1) splits its capacity G evenly, G/n_G per GPU [choice], and each
 * agent lives on one GPU (AgentSpec.gpu, or placed once on the host by LPT, placeAgents). Each GPU runs
 * the policy over its own agents and keeps its own memory; nothing couples two GPUs but the run's
 * records. With n_G = 1 nothing changes, bit for bit (no field packed differently, no path changed).
 *
 * **Placement** (placeAgents, at packing: FleetPacker.finish / packFleets with the batch's lifecycle).
 * Agents with `gpu` keep it. The others, in descending ρ_i = γ_i/T_i (PackedFleets.demand/T in f64;
 * ties: lower index first), each go to the GPU with the least Σρ so far (ties: lower GPU index) among
 * those where it fits in memory — with the lifecycle's memory limit, Σ m of the agents placed there +
 * m_i ≤ capacityMB (the card's, per GPU); without it, every GPU — the given agents' ρ and m counted first.
 * An agent that fits nowhere is a configuration error naming it. (Graham's bound, makespan ≤
 * (4/3 − 1/(3n_G))·optimum, is the docs' to quote.) The result is PackedFleets.gpu (u32 per agent,
 * resolved), PackedFleets.gpuCount (u32 per fleet). With n_G > 1 a MIG default of slices is ⌊7/n_k⌋
 * (n_k: agents on the agent's GPU) and the slices sum to at most 7 per GPU, as in a fleet of its own.
 *
 * **The step** with n_G > 1 (a fleet with n_G > 1 is stepped on the workflow path, steppedAsWorkflow,
 * with or without the lifecycle): src/model/lifecycle.ts's step, everything per GPU k = 0 … n_G − 1 in
 * that order —
 * - lifecycle step 3 (admit) per GPU: its own used_k, its own load slots (free_k = loadSlots −
 *   #LOADING on k), the candidate among its agents, evictions among its agents (MAX_EVICTIONS_PER_STEP
 *   per GPU); memoryBound = 1 for the step if any GPU's admission stopped for memory. Expire (1), count
 *   (4), eligibility (5), process (7) are per agent as before;
 * - allocation (6) per GPU over its eligible agents: the eligibility compaction restricted to
 *   gpu_i = k (rank among that GPU's eligible agents, n_e,k of them, turn = t mod n_e,k, capacity
 *   gpuCapacity = f32(G/n_G)). Without the lifecycle every agent is eligible: each GPU runs the policy
 *   over its own agents;
 * - everything that reads the fleet's capacity per agent reads its GPU's: the minimum share
 *   R_i·G/n_G, the initial lastShare (G/n_G)/n_k;
 * - start: the initial phases per GPU (lifecycle.ts "Start", among each GPU's agents);
 * - records: memorySum += Σ_k used_k; memoryPeak = max over recorded steps of max_k used_k (the fullest
 *   GPU); residentRunStepSum += the number of GPUs with a resident agent (one GPU: 0 or 1, as before; so
 *   costResident prices each GPU that is up); the series' memory is Σ_k used_k. No other new totals:
 *   per-GPU utilisation, memory and the imbalance come from the per-agent totals on the host
 *   (gpuMetrics).
 * - GPU state: used_k persists between dispatches in AgentState.memoryUsed of GPU k's first agent (its
 *   lowest index; a GPU without agents holds nothing); with one GPU that is agent 0, as in wave 1. No
 *   new AgentState fields.
 *
 * **Validation** (test/placement-cpu.test.ts): with deterministic arrivals and work, a placed fleet's GPU
 * k agents equal a one-GPU fleet of just those agents with capacity gpuCapacity, bit for bit, for every
 * policy, with and without the lifecycle (memory per GPU); with random arrivals, GPU 0's agents when they
 * are the fleet's first agents; N = n_G with one agent per GPU: an M/D/1-like queue each.
 *
 * @example
 *   const fleets = packFleets([{ agents, gpus: 2, capacity: 2 }]); // LPT places every agent
 *   fleets.gpu[fleets.agentOffset[0]! + 3];                       // agent 3's GPU
 *   gpuCapacity(fleets, 0);                                       // 1 GPU each
 */
import type { PackedFleets } from './batch.js';
import { NO_LIMIT } from './lifecycle.js';
import type { RunTotals } from './metrics.js';

/** The most GPUs one fleet may have (MODEL-PART4 §4.5). */
export const MAX_GPUS = 8;
/** PackedFleets.gpu of an agent not yet placed (between FleetPacker.agent and finish only). */
export const UNPLACED = 0xffffffff;

/** The arrays placement reads and writes. */
export type PlacementArrays = Pick<PackedFleets, 'agentOffset' | 'agentCount' | 'gpuCount' | 'gpu' | 'demand' | 'T' | 'memoryMB'>;

/** Each GPU's capacity, f32(G/n_G): the host computes it (the GPU engine uploads it; WGSL does not divide). */
export function gpuCapacity(fleets: Pick<PackedFleets, 'capacity' | 'gpuCount'>, f: number): number {
  const n = fleets.gpuCount[f]!;
  const G = fleets.capacity[f]!;
  return n === 1 ? G : Math.fround(G / n);
}

/** ρ_i = γ_i/T_i of packed agent a (f64 of the f32 values). */
export function agentLoad(fleets: Pick<PackedFleets, 'demand' | 'T'>, a: number): number {
  return fleets.demand[a]! / fleets.T[a]!;
}

/**
 * Places fleet f's unplaced agents (gpu = UNPLACED) by LPT (see the header), writing fleets.gpu;
 * `capacityMB` is the memory of one GPU (NO_LIMIT: none). Returns null, or `agents[i].gpu: problem` /
 * `agents[i].M: problem` (the field under `fleets[f].`) when an agent's given GPU is out of range or
 * an agent fits no GPU. A fleet of one GPU: every agent on GPU 0 (a given gpu must be 0).
 */
export function placeAgents(fleets: PlacementArrays, f: number, capacityMB: number): string | null {
  const nG = fleets.gpuCount[f]!;
  const n = fleets.agentCount[f]!;
  const a0 = fleets.agentOffset[f]!;
  const load = new Float64Array(nG);
  const memory = new Float64Array(nG);
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = fleets.gpu[a0 + i]!;
    if (k === UNPLACED) {
      order.push(i);
      continue;
    }
    if (!(k < nG)) return `agents[${i}].gpu: must be an integer from 0 to ${nG - 1} (the fleet's gpus − 1), got ${k}`;
    load[k] = load[k]! + agentLoad(fleets, a0 + i);
    memory[k] = memory[k]! + fleets.memoryMB[a0 + i]!;
  }
  if (order.length === 0) return null;
  if (nG === 1) {
    for (const i of order) fleets.gpu[a0 + i] = 0;
    return null;
  }
  // Descending ρ, ties to the lower index (a stable sort of the indices).
  const rho = order.map((i) => agentLoad(fleets, a0 + i));
  const ranked = order.map((i, k) => ({ i, rho: rho[k]! })).sort((x, y) => y.rho - x.rho || x.i - y.i);
  const limit = capacityMB === NO_LIMIT ? Infinity : capacityMB;
  for (const { i, rho: r } of ranked) {
    const m = fleets.memoryMB[a0 + i]!;
    let best = -1;
    for (let k = 0; k < nG; k++) {
      if (memory[k]! + m > limit) continue;
      if (best < 0 || load[k]! < load[best]!) best = k;
    }
    if (best < 0)
      return `agents[${i}].M: must fit one of the fleet's ${nG} GPUs beside the agents placed there first (${limit} MB each; LPT by γ/T), got ${m} MB`;
    fleets.gpu[a0 + i] = best;
    load[best] = load[best]! + r;
    memory[best] = memory[best]! + m;
  }
  return null;
}

/** The agents of fleet f on each GPU: n_k for k = 0 … n_G − 1. */
export function gpuAgentCounts(fleets: Pick<PackedFleets, 'agentOffset' | 'agentCount' | 'gpuCount' | 'gpu'>, f: number): Uint32Array {
  const counts = new Uint32Array(fleets.gpuCount[f]!);
  const a0 = fleets.agentOffset[f]!;
  for (let i = 0; i < fleets.agentCount[f]!; i++) counts[fleets.gpu[a0 + i]!]! += 1;
  return counts;
}

/** The run metrics gpuMetrics gives (the end of RUN_METRIC_INFO, in its order). */
export const GPU_METRICS = ['gpuImbalance', 'gpuUtilizationMin', 'gpuUtilizationMax'] as const;
export type GpuMetric = (typeof GPU_METRICS)[number];

/**
 * One run's per-GPU metrics from its totals (agent-runs j0 … j0 + n − 1, agent i packed at first + i,
 * S recorded steps of dt): util_k = Σ_{i on k} servedSum_i/(T_i·Δt·S) (the GPU's busy fraction);
 * gpuImbalance = max_k util_k / mean_k util_k (NaN when the mean is 0); all NaN with one GPU or a pool.
 */
export function gpuMetrics(
  fleets: Pick<PackedFleets, 'gpuCount' | 'gpu' | 'T'> & Partial<Pick<PackedFleets, 'gpuPool'>>,
  f: number,
  totals: Pick<RunTotals, 'servedSum'>,
  first: number,
  j0: number,
  n: number,
  S: number,
  dt: number,
): Record<GpuMetric, number> {
  const nG = fleets.gpuCount[f]!;
  // One GPU, or a pool (src/model/pool.ts: its compute is not per GPU).
  if (nG <= 1 || fleets.gpuPool?.[f] === 1) return { gpuImbalance: NaN, gpuUtilizationMin: NaN, gpuUtilizationMax: NaN };
  const util = gpuUtilizations(fleets, f, totals, first, j0, n, S, dt);
  let lo = Infinity;
  let hi = 0;
  let sum = 0;
  for (const u of util) {
    lo = Math.min(lo, u);
    hi = Math.max(hi, u);
    sum += u;
  }
  const mean = sum / nG;
  return { gpuImbalance: mean > 0 ? hi / mean : NaN, gpuUtilizationMin: lo, gpuUtilizationMax: hi };
}

/** util_k of each GPU of one run (see gpuMetrics). */
export function gpuUtilizations(
  fleets: Pick<PackedFleets, 'gpuCount' | 'gpu' | 'T'>,
  f: number,
  totals: Pick<RunTotals, 'servedSum'>,
  first: number,
  j0: number,
  n: number,
  S: number,
  dt: number,
): Float64Array {
  const util = new Float64Array(fleets.gpuCount[f]!);
  for (let i = 0; i < n; i++) {
    const k = fleets.gpu[first + i]!;
    util[k] = util[k]! + totals.servedSum[j0 + i]! / (fleets.T[first + i]! * dt * S);
  }
  return util;
}
