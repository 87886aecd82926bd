/**
 * Workflows (MODEL-PART4 §4.6): agents that feed each other. An agent's completed requests go on to its
 * successors with routing probabilities p_ij (at most MAX_SUCCESSORS, Σ_j p_ij ≤ 1, the rest leaves the
 * workflow); external arrivals (the agents' own λ_i) enter where λ_i > 0. Optionally one fork-join per
 * fleet: the fork sends one child of every completed request to each of its successors (the branches),
 * each branch routes all its completions to the join, and the join receives a parent once all its
 * children are done. This file holds what both engines read of a workflow and the checks of its shape;
 * the engines' step is specified in docs/workflows.md and MODEL-PART4 §4.6.
 *
 * The traffic equations γ = λ + Pᵀγ give each agent's visit rate γ_i, the nominal rate the policies
 * read (PackedFleets.demand): without routing γ = λ, bit for bit.
 *
 * @example
 *   const problem = workflowProblem(fleets, 0); // null, or why the graph cannot run
 *   trafficRates(fleets, 0, fleets.demand);     // γ_i of fleet 0's agents into demand
 */
import { ARRIVAL_PROCESS_INFO, ARRIVAL_PROCESSES, processOf } from '../random/arrivals.js';
import { MAX_SUCCESSORS } from '../random/binomial.js';
import type { PackedFleets, SimConfig } from './batch.js';

export { MAX_SUCCESSORS };

/** No agent (PackedFleets.fork and .join of a fleet without a fork-join). */
export const NO_AGENT = 0xffffffff;

/** Agents a fleet with routing may hold at most (the GPU kernels keep a run's inbox per agent). */
export const MAX_WORKFLOW_AGENTS = 256;

/** Σ_j p_ij may exceed 1 by this much (f32 rounding of probabilities meant to sum to 1). */
export const ROUTE_SUM_SLACK = 1e-6;

/** The packed routing of PackedFleets (per agent: routeOffset, routeCount; per edge: routeTo, routeP; per fleet: fork, join). */
export type WorkflowArrays = Pick<
  PackedFleets,
  'agentOffset' | 'agentCount' | 'lambda' | 'routeOffset' | 'routeCount' | 'routeTo' | 'routeP' | 'fork' | 'join'
>;

/** Whether fleet f routes requests between its agents (some agent has a successor). */
export function isWorkflow(fleets: Pick<PackedFleets, 'agentOffset' | 'agentCount' | 'routeCount'>, f: number): boolean {
  const a0 = fleets.agentOffset[f]!;
  for (let a = a0; a < a0 + fleets.agentCount[f]!; a++) if (fleets.routeCount[a]! > 0) return true;
  return false;
}

/**
 * Why fleet f's workflow cannot run, naming the field (`agents[i].routes…`, `forkJoin…`), or null:
 * a successor outside the fleet, p outside [0, 1], Σp above 1 (beyond ROUTE_SUM_SLACK), more than
 * MAX_SUCCESSORS successors, more than MAX_WORKFLOW_AGENTS agents, an agent from which requests can
 * never leave (a cycle without exit: its traffic equations have no solution), or a fork-join whose
 * branches do not each route everything to the join alone.
 */
export function workflowProblem(fleets: WorkflowArrays, f: number): string | null {
  const n = fleets.agentCount[f]!;
  const a0 = fleets.agentOffset[f]!;
  const fork = fleets.fork[f]!;
  const join = fleets.join[f]!;
  if (!isWorkflow(fleets, f) && fork === NO_AGENT) return null;
  if (n > MAX_WORKFLOW_AGENTS) return `agents: a workflow holds at most ${MAX_WORKFLOW_AGENTS} agents, got ${n}`;
  for (let i = 0; i < n; i++) {
    const a = a0 + i;
    const count = fleets.routeCount[a]!;
    if (count > MAX_SUCCESSORS) return `agents[${i}].routes: at most ${MAX_SUCCESSORS} successors, got ${count}`;
    let sum = 0;
    for (let e = fleets.routeOffset[a]!; e < fleets.routeOffset[a]! + count; e++) {
      const k = e - fleets.routeOffset[a]!;
      const to = fleets.routeTo[e]!;
      const p = fleets.routeP[e]!;
      if (!(to < n)) return `agents[${i}].routes[${k}].to: must be an agent of the fleet (0 to ${n - 1}), got ${to}`;
      if (!(p >= 0 && p <= 1)) return `agents[${i}].routes[${k}].p: must be a probability in [0, 1], got ${p}`;
      sum += p;
    }
    if (i !== fork && sum > 1 + ROUTE_SUM_SLACK)
      return `agents[${i}].routes: the probabilities must sum to at most 1 (the rest leaves the workflow), got ${sum}`;
  }
  if (fork !== NO_AGENT) {
    if (!(fork < n && join < n && fork !== join)) return `forkJoin: fork and join must be two agents of the fleet, got ${fork} and ${join}`;
    // Only the fork feeds a branch: a branch's D_b counts the fork's children alone (MODEL-PART4 §4.6).
    const branch = new Uint8Array(n);
    for (let e = fleets.routeOffset[a0 + fork]!; e < fleets.routeOffset[a0 + fork]! + fleets.routeCount[a0 + fork]!; e++) {
      const b = fleets.routeTo[e]!;
      if (b < n) branch[b] = 1;
    }
    for (let i = 0; i < n; i++) {
      if (i === fork) continue;
      const a = a0 + i;
      for (let e = fleets.routeOffset[a]!; e < fleets.routeOffset[a]! + fleets.routeCount[a]!; e++) {
        const b = fleets.routeTo[e]!;
        if (b < n && branch[b] === 1)
          return `agents[${i}].routes[${e - fleets.routeOffset[a]!}].to: agent ${b} is a branch of the fork-join, which only the fork (agent ${fork}) may feed`;
      }
    }
    const f0 = fleets.routeOffset[a0 + fork]!;
    const branches = fleets.routeCount[a0 + fork]!;
    if (branches < 2) return `forkJoin.fork: the fork needs at least 2 branches (successors), got ${branches}`;
    for (let e = f0; e < f0 + branches; e++) {
      const b = fleets.routeTo[e]!;
      if (b === join || b === fork) return `forkJoin: a branch must be neither the fork nor the join, got agent ${b}`;
      const ba = a0 + b;
      if (!(
        fleets.routeCount[ba] === 1 &&
        fleets.routeTo[fleets.routeOffset[ba]!] === join &&
        fleets.routeP[fleets.routeOffset[ba]!] === 1
      ))
        return `agents[${b}].routes: a fork-join branch must route everything to the join (one route, to agent ${join}, p = 1)`;
    }
  }
  // Exits: an agent can exit when some of its completions leave (Σp < 1, or no successor), or when a
  // successor it reaches with p > 0 can. Every agent must (a closed cycle would hold requests forever).
  const canExit = new Uint8Array(n);
  let changed = true;
  for (let i = 0; i < n; i++) canExit[i] = i === fork ? 0 : routeSum(fleets, a0 + i) < 1 - ROUTE_SUM_SLACK ? 1 : 0;
  while (changed) {
    changed = false;
    for (let i = 0; i < n; i++) {
      if (canExit[i]) continue;
      const a = a0 + i;
      for (let e = fleets.routeOffset[a]!; e < fleets.routeOffset[a]! + fleets.routeCount[a]!; e++) {
        if (fleets.routeP[e]! > 0 || i === fork) {
          if (canExit[fleets.routeTo[e]!]) {
            canExit[i] = 1;
            changed = true;
            break;
          }
        }
      }
    }
  }
  for (let i = 0; i < n; i++) {
    if (!canExit[i]) return `agents[${i}].routes: requests that reach agent ${i} can never leave the workflow (a cycle without exit)`;
  }
  return null;
}

function routeSum(fleets: WorkflowArrays, a: number): number {
  let sum = 0;
  for (let e = fleets.routeOffset[a]!; e < fleets.routeOffset[a]! + fleets.routeCount[a]!; e++) sum += fleets.routeP[e]!;
  return sum;
}

/**
 * Fleet f's visit rates γ_i (requests/s) into out[agentOffset + i]: the solution of the traffic equations
 * γ_k = λ_k + Σ_j γ_j·w_jk, with w_jk = p_jk, except that the fork sends γ_fork to every branch
 * (w = 1) and each branch sends γ_fork to the join once in all (w = 1/branches). Gaussian elimination in
 * f64 with partial pivoting (a fleet of a valid workflow, workflowProblem null: the system is regular).
 * Without routing out = λ (copied, bit for bit).
 */
export function trafficRates(fleets: WorkflowArrays, f: number, out: Float32Array | Float64Array): void {
  const n = fleets.agentCount[f]!;
  const a0 = fleets.agentOffset[f]!;
  if (!isWorkflow(fleets, f)) {
    for (let a = a0; a < a0 + n; a++) out[a] = fleets.lambda[a]!;
    return;
  }
  const fork = fleets.fork[f]!;
  const branches = fork === NO_AGENT ? 0 : fleets.routeCount[a0 + fork]!;
  const isBranch = new Uint8Array(n);
  if (fork !== NO_AGENT)
    for (let e = fleets.routeOffset[a0 + fork]!; e < fleets.routeOffset[a0 + fork]! + branches; e++) isBranch[fleets.routeTo[e]!] = 1;
  // (I − Wᵀ)γ = λ, row k: γ_k − Σ_j w_jk γ_j = λ_k.
  const m = new Float64Array(n * (n + 1));
  const w = n + 1;
  for (let k = 0; k < n; k++) {
    m[k * w + k] = 1;
    m[k * w + n] = fleets.lambda[a0 + k]!;
  }
  for (let j = 0; j < n; j++) {
    const a = a0 + j;
    for (let e = fleets.routeOffset[a]!; e < fleets.routeOffset[a]! + fleets.routeCount[a]!; e++) {
      const k = fleets.routeTo[e]!;
      const weight = j === fork ? 1 : isBranch[j] ? 1 / branches : fleets.routeP[e]!;
      m[k * w + j] = m[k * w + j]! - weight;
    }
  }
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * w + c]!) > Math.abs(m[pivot * w + c]!)) pivot = r;
    if (pivot !== c) {
      for (let x = 0; x <= n; x++) {
        const t = m[c * w + x]!;
        m[c * w + x] = m[pivot * w + x]!;
        m[pivot * w + x] = t;
      }
    }
    const d = m[c * w + c]!;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const factor = m[r * w + c]! / d;
      if (factor === 0) continue;
      for (let x = c; x <= n; x++) m[r * w + x] = m[r * w + x]! - factor * m[c * w + x]!;
    }
  }
  for (let k = 0; k < n; k++) out[a0 + k] = Math.max(0, m[k * w + n]! / m[k * w + k]!);
}

/**
 * Whether runs of fleet f are stepped as workflows, all agents per step (src/cpu/workflow.ts, the GPU's
 * workflow kernels): a workflow, a fork-join, exponentialCount work, the lifecycle on (its phases
 * and memory couple the agents at every step: src/model/lifecycle.ts), or several GPUs (each allocates
 * over its own agents: src/model/placement.ts).
 */
export function steppedAsWorkflow(fleets: PackedFleets, config: Pick<SimConfig, 'work' | 'lifecycle'>, f: number): boolean {
  return (
    config.work === 'exponentialCount' ||
    config.lifecycle !== undefined ||
    isWorkflow(fleets, f) ||
    fleets.fork[f] !== NO_AGENT ||
    fleets.gpuCount[f]! > 1
  );
}

/**
 * Whether fleet f routes fluidly: some agent draws arrivals that are not whole requests (deterministic:
 * exactly the mean), so completions are not whole either and routing moves p·served of work.
 */
export function routesFluidly(fleets: PackedFleets, config: Pick<SimConfig, 'arrivals'>, f: number): boolean {
  const a0 = fleets.agentOffset[f]!;
  for (let a = a0; a < a0 + fleets.agentCount[f]!; a++) {
    if (!ARRIVAL_PROCESS_INFO[ARRIVAL_PROCESSES[processOf(fleets, config.arrivals, a)]!].counts) return true;
  }
  return false;
}
