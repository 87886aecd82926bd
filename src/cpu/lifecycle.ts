/**
 * The CPU engine's serverless lifecycle and GPU memory (MODEL-PART4 §4.3–4.4): the per agent-run state
 * (phase, idle, loadLeft, wait, lastShare) and the per-run memory in use, with the steps of
 * src/model/lifecycle.ts's header that come before the allocation — 1 expire, 3 admit (with eviction
 * and the load slots), 4 count, 5 eligible — for the workflow stepper (src/cpu/workflow.ts), which does
 * 6 allocate, 7 process and 8 record around them. Operation for operation the header's step, which the
 * GPU's shaders/lifecycle.wgsl follows too: every decision here is integer arithmetic (u32 on the GPU)
 * plus the tests B > 0.
 *
 * Several GPUs by placement (src/model/placement.ts): memory, load slots, the candidate and the evictions
 * are each GPU's own (used_k at [m·MAX_GPUS + k]), the admission runs GPU by GPU, k = 0 … n_G − 1; with
 * one GPU this is the single GPU's step exactly. As one pool (src/model/pool.ts): each agent-run's
 * `home` is the GPU its model was last loaded on; used_k and loading_k are derived from the phases and
 * homes after the expiry; the start and the one admission loop of the whole fleet send each load to
 * poolTarget's GPU (the most free memory), evicting only that GPU's agents.
 *
 * @example
 *   const lc = new LifecycleState(fleets, config, params, maxAgents, members); // once per batch
 *   lc.startGroup(f, members);                                                // per group of runs
 *   lc.expire(m, queues, s0); lc.admit(m, backlogs, arrived, record, totals, j0); lc.eligible(m, backlogs, out);
 */
import type { PackedFleets, SimConfig } from '../model/batch.js';
import { ELIGIBLE_ID, EVICTION_ID, type LifecycleParams, loadSteps, MAX_EVICTIONS_PER_STEP, NO_LIMIT, PHASE } from '../model/lifecycle.js';
import type { RunTotals } from '../model/metrics.js';
import { gpuAgentCounts, gpuCapacity, MAX_GPUS } from '../model/placement.js';
import { poolTarget } from '../model/pool.js';

const { cold: COLD, loading: LOADING, warm: WARM } = PHASE;

/** The lifecycle state of the runs of one group (member m, agent i at [m·maxAgents + i]) and its fleet's constants. */
export class LifecycleState {
  readonly params: LifecycleParams;
  private readonly fleets: PackedFleets;
  private readonly config: SimConfig;
  private readonly maxAgents: number;
  private readonly dt: number;
  // Per member and agent.
  readonly phase: Uint8Array;
  readonly idle: Uint32Array;
  readonly loadLeft: Uint32Array;
  readonly wait: Uint32Array;
  /** g of the last WARM step with g > 0 (G/N at first): a non-WARM agent's latency reads it. */
  readonly lastShare: Float64Array;
  /** The GPU holding its model while LOADING or WARM: placement its own gpu_i; a pool where it last loaded (0 before). */
  readonly home: Uint8Array;
  // Per member: MB held by the resident agents of GPU k (at [m·MAX_GPUS + k]), the most one GPU held
  // after a recorded step's admissions, and whether this step's admission stopped for want of memory (on any GPU).
  readonly used: Float64Array;
  readonly peak: Float64Array;
  readonly memoryBound: Uint8Array;
  // The group's fleet, per agent i: c_i, m_i, pinned, P.
  private readonly load: Uint32Array;
  private readonly memory: Uint32Array;
  private readonly pinned: Uint8Array;
  private readonly priority: Float64Array;
  /** The GPU of agent i (placement), the fleet's GPUs n_G, and whether they are one pool. */
  private readonly gpu: Uint32Array;
  private gpus = 1;
  private pool = false;
  // A pool's scratch: loading_k, and the GPUs' used_k as poolTarget reads them.
  private readonly loadingOn = new Float64Array(MAX_GPUS);
  private readonly usedOn = new Float64Array(MAX_GPUS);
  private count = 0;
  // Scratch (one member's step): the phase before the admission, the agents taken for eviction.
  private readonly before: Uint8Array;
  private readonly taken: Uint8Array;

  constructor(fleets: PackedFleets, config: SimConfig, params: LifecycleParams, maxAgents: number, members: number) {
    this.fleets = fleets;
    this.config = config;
    this.params = params;
    this.maxAgents = maxAgents;
    this.dt = config.dt;
    const size = members * maxAgents;
    this.phase = new Uint8Array(size);
    this.idle = new Uint32Array(size);
    this.loadLeft = new Uint32Array(size);
    this.wait = new Uint32Array(size);
    this.lastShare = new Float64Array(size);
    this.home = new Uint8Array(size);
    this.used = new Float64Array(members * MAX_GPUS);
    this.peak = new Float64Array(members);
    this.memoryBound = new Uint8Array(members);
    this.load = new Uint32Array(maxAgents);
    this.memory = new Uint32Array(maxAgents);
    this.pinned = new Uint8Array(maxAgents);
    this.priority = new Float64Array(maxAgents);
    this.gpu = new Uint32Array(maxAgents);
    this.before = new Uint8Array(maxAgents);
    this.taken = new Uint8Array(maxAgents);
  }

  /**
   * Starts `members` runs of fleet f: every agent idle = loadLeft = wait = 0, lastShare = G/N (several
   * GPUs by placement: (G/n_G)/n_k), phase initialPhase — under a memory limit with initialPhase WARM, on
   * each GPU the pinned agents WARM first, then the others in index order until one does not fit, which
   * and every later one of that GPU start COLD. A pool: startPool's phases and homes.
   */
  startGroup(f: number, members: number): void {
    const { fleets, params, maxAgents } = this;
    const n = fleets.agentCount[f]!;
    const offset = fleets.agentOffset[f]!;
    const gpus = fleets.gpuCount[f]!;
    this.count = n;
    this.gpus = gpus;
    this.pool = fleets.gpuPool[f] === 1;
    for (let i = 0; i < n; i++) {
      const a = offset + i;
      this.memory[i] = fleets.memoryMB[a]!;
      this.load[i] = loadSteps(fleets.memoryMB[a]!, this.config);
      this.pinned[i] = fleets.pinned[a] === 1 ? 1 : 0;
      this.priority[i] = fleets.P[a]!;
      this.gpu[i] = fleets.gpu[a]!;
    }
    // The initial phases, the same for every member.
    const initial = this.before;
    const used = new Float64Array(gpus);
    const home = this.taken; // scratch: each agent's home at the start
    home.fill(0, 0, n);
    if (this.pool) this.startPool(initial, home, used);
    else if (params.initialPhase === WARM) {
      for (let i = 0; i < n; i++) {
        initial[i] = this.pinned[i] === 1 ? WARM : COLD;
        const k = this.gpu[i]!;
        if (initial[i] === WARM) used[k] = used[k]! + this.memory[i]!;
      }
      const full = new Uint8Array(gpus); // a GPU where one agent did not fit: its later agents start COLD
      for (let i = 0; i < n; i++) {
        const k = this.gpu[i]!;
        if (this.pinned[i] === 1 || full[k] === 1) continue;
        if (used[k]! + this.memory[i]! > params.capacityMB) {
          full[k] = 1;
          continue;
        }
        initial[i] = WARM;
        used[k] = used[k]! + this.memory[i]!;
      }
    } else initial.fill(COLD, 0, n);
    if (!this.pool) for (let i = 0; i < n; i++) home[i] = this.gpu[i]!;
    // The capacity an agent reads: its GPU's by placement, G in a pool (every agent of the fleet shares it).
    const onGpu = gpus > 1 && !this.pool ? gpuAgentCounts(fleets, f) : null;
    const capacity = this.pool ? fleets.capacity[f]! : gpuCapacity(fleets, f);
    for (let m = 0; m < members; m++) {
      const s0 = m * maxAgents;
      for (let i = 0; i < n; i++) {
        this.phase[s0 + i] = initial[i]!;
        this.idle[s0 + i] = 0;
        this.loadLeft[s0 + i] = 0;
        this.wait[s0 + i] = 0;
        this.lastShare[s0 + i] = capacity / (onGpu === null ? n : onGpu[this.gpu[i]!]!);
        this.home[s0 + i] = home[i]!;
      }
      for (let k = 0; k < MAX_GPUS; k++) this.used[m * MAX_GPUS + k] = k < gpus ? used[k]! : 0;
      this.peak[m] = 0;
      this.memoryBound[m] = 0;
    }
  }

  /**
   * A pool's start (src/model/pool.ts "Start") into `initial` (phases), `home` and `used` (MB per GPU):
   * initialPhase WARM: the pinned agents in index order, then the others, each WARM on poolTarget's GPU
   * (no load slot needed) when it fits there; the first other one that does not fit and every later one
   * start COLD (home 0). initialPhase COLD: all COLD, home 0.
   */
  private startPool(initial: Uint8Array, home: Uint8Array, used: Float64Array): void {
    const n = this.count;
    initial.fill(COLD, 0, n);
    if (this.params.initialPhase !== WARM) return;
    const none = this.loadingOn.fill(0);
    const capacityMB = this.params.capacityMB;
    let full = false;
    for (const pinnedPass of [true, false]) {
      for (let i = 0; i < n && !full; i++) {
        if ((this.pinned[i] === 1) !== pinnedPass) continue;
        const k = poolTarget(used, none, this.gpus, NO_LIMIT, false);
        if (used[k]! + this.memory[i]! > capacityMB) {
          // lifecycleFleetProblem has checked that the pinned agents fit: only an unpinned one stops here.
          if (!pinnedPass) full = true;
          continue;
        }
        initial[i] = WARM;
        home[i] = k;
        used[k] = used[k]! + this.memory[i]!;
      }
    }
  }

  /** MB in use on all of member m's GPUs, Σ_k used_k. */
  usedTotal(m: number): number {
    let sum = this.used[m * MAX_GPUS]!;
    for (let k = 1; k < this.gpus; k++) sum += this.used[m * MAX_GPUS + k]!;
    return sum;
  }

  /** MB in use on member m's fullest GPU, max_k used_k. */
  usedMax(m: number): number {
    let most = this.used[m * MAX_GPUS]!;
    for (let k = 1; k < this.gpus; k++) most = Math.max(most, this.used[m * MAX_GPUS + k]!);
    return most;
  }

  /** Step 1, expire: WARM ∧ idle ≥ k ∧ Q = 0 ∧ ¬pinned → COLD, its memory released. `queues` at [s0 + i]. */
  expire(m: number, queues: Float64Array, s0: number): void {
    const base = m * this.maxAgents;
    const k = this.params.keepSteps;
    for (let i = 0; i < this.count; i++) {
      const s = base + i;
      if (this.phase[s] === WARM && this.idle[s]! >= k && queues[s0 + i] === 0 && this.pinned[i] === 0) {
        this.phase[s] = COLD;
        const u = m * MAX_GPUS + this.home[s]!;
        this.used[u] = this.used[u]! - this.memory[i]!;
        this.idle[s] = 0;
      }
    }
  }

  /**
   * Steps 3 and 4, admit and count, for member m with the step's backlogs B_i = Q_i + w_i and arrivals
   * a_i at [i]: COLD agents with work are admitted (lowest P, then longest wait, then lowest index), each
   * while a load slot is free and, under a memory limit, evicting idle agents in the rule's order to
   * make room; the first that cannot be admitted stops the admission (head of line). Several GPUs by
   * placement: each GPU's admission over its own agents, memory and load slots, GPU 0 first; a pool: one
   * admission over the fleet (admitPool), used_k derived first. The totals
   * (coldStartSum, evictionSum, waitStepSum, coldHitSum, coldDelaySum, at j0 + i) only when `record`.
   */
  admit(m: number, backlog: Float64Array, arrived: Float64Array, record: boolean, totals: RunTotals, j0: number): void {
    const { phase, before } = this;
    const n = this.count;
    const base = m * this.maxAgents;
    if (this.pool) this.derivePool(m);
    let cold = 0; // agents not WARM before the admission: none, and there is nothing to admit, wait or count
    for (let i = 0; i < n; i++) {
      const p = phase[base + i]!;
      before[i] = p;
      if (p !== WARM) cold++;
    }
    if (cold === 0) {
      this.memoryBound[m] = 0;
      return;
    }
    let bound = 0;
    if (this.pool) bound = this.admitPool(m, backlog, record, totals, j0);
    else for (let k = 0; k < this.gpus; k++) bound |= this.admitOn(k, m, backlog, record, totals, j0);
    this.memoryBound[m] = bound;
    const { wait, loadLeft, load } = this;
    for (let i = 0; i < n; i++) {
      const s = base + i;
      if (phase[s] === COLD && backlog[i]! > 0) {
        wait[s] = wait[s]! + 1;
        if (record) totals.waitStepSum[j0 + i] = totals.waitStepSum[j0 + i]! + 1;
      }
      // 4. Count: the arrivals that met the agent COLD or LOADING, and the load time they face.
      if (record && before[i] !== WARM) {
        const a = arrived[i]!;
        const left = phase[s] === LOADING ? loadLeft[s]! : phase[s] === WARM ? 0 : load[i]!;
        totals.coldHitSum[j0 + i] = totals.coldHitSum[j0 + i]! + a;
        totals.coldDelaySum[j0 + i] = totals.coldDelaySum[j0 + i]! + a * left * this.dt;
      }
    }
  }

  /**
   * Step 3 on GPU k of member m (one GPU: k = 0, every agent): the admission loop over its agents, with
   * its memory used_k and load slots; returns 1 when it stopped for want of memory (memoryBound).
   */
  private admitOn(k: number, m: number, backlog: Float64Array, record: boolean, totals: RunTotals, j0: number): number {
    const { phase, loadLeft, wait, idle, memory, load, priority, params, gpu } = this;
    const n = this.count;
    const base = m * this.maxAgents;
    let loading = 0;
    for (let i = 0; i < n; i++) if (phase[base + i] === LOADING && gpu[i] === k) loading++;
    let free = params.loadSlots === NO_LIMIT ? NO_LIMIT : params.loadSlots - loading;
    let used = this.used[m * MAX_GPUS + k]!;
    let evicted = 0;
    let bound = 0;
    for (;;) {
      let c = -1;
      for (let i = 0; i < n; i++) {
        if (phase[base + i] !== COLD || !(backlog[i]! > 0) || gpu[i] !== k) continue;
        if (c < 0 || priority[i]! < priority[c]! || (priority[i] === priority[c] && wait[base + i]! > wait[base + c]!)) c = i;
      }
      if (c < 0) break;
      if (load[c]! > 0 && free === 0) break;
      if (used + memory[c]! > params.capacityMB) {
        const room = this.makeRoom(k, base, backlog, used, memory[c]!, MAX_EVICTIONS_PER_STEP - evicted);
        if (room < 0) {
          bound = 1;
          break;
        }
        for (let j = 0; j < n; j++) {
          if (this.taken[j] === 0) continue;
          phase[base + j] = COLD;
          used -= memory[j]!;
          idle[base + j] = 0;
          evicted++;
          if (record) totals.evictionSum[j0 + j] = totals.evictionSum[j0 + j]! + 1;
        }
      }
      used += memory[c]!;
      if (record) totals.coldStartSum[j0 + c] = totals.coldStartSum[j0 + c]! + 1;
      wait[base + c] = 0;
      if (load[c]! > 0) {
        phase[base + c] = LOADING;
        loadLeft[base + c] = load[c]!;
        if (free !== NO_LIMIT) free--;
      } else {
        phase[base + c] = WARM;
        idle[base + c] = 0;
      }
    }
    this.used[m * MAX_GPUS + k] = used;
    return bound;
  }

  /**
   * A pool's used_k and loading_k of member m from its agents' phases and homes (after the expiry):
   * used_k = Σ m_i over phase ≠ COLD with home_i = k, loading_k = #LOADING with home_i = k.
   */
  private derivePool(m: number): void {
    const { phase, home, memory, loadingOn } = this;
    const base = m * this.maxAgents;
    const u = m * MAX_GPUS;
    for (let k = 0; k < this.gpus; k++) {
      this.used[u + k] = 0;
      loadingOn[k] = 0;
    }
    for (let i = 0; i < this.count; i++) {
      const p = phase[base + i]!;
      if (p === COLD) continue;
      const k = u + home[base + i]!;
      this.used[k] = this.used[k]! + memory[i]!;
      if (p === LOADING) loadingOn[home[base + i]!] = loadingOn[home[base + i]!]! + 1;
    }
  }

  /**
   * Step 3 of a pool (src/model/pool.ts "Admit"), member m: one loop over the fleet; each candidate
   * (as with one GPU) loads on k* = poolTarget (the most free memory; with c_c > 0 among the GPUs with
   * a free load slot; none: stop), evicting only GPU k*'s idle agents (the step's evictions counted over
   * the fleet); when they cannot make room: memoryBound, stop. Returns memoryBound.
   */
  private admitPool(m: number, backlog: Float64Array, record: boolean, totals: RunTotals, j0: number): number {
    const { phase, loadLeft, wait, idle, memory, load, priority, params, home, loadingOn, usedOn } = this;
    const n = this.count;
    const gpus = this.gpus;
    const base = m * this.maxAgents;
    const u = m * MAX_GPUS;
    for (let k = 0; k < gpus; k++) usedOn[k] = this.used[u + k]!;
    let evicted = 0;
    let bound = 0;
    for (;;) {
      let c = -1;
      for (let i = 0; i < n; i++) {
        if (phase[base + i] !== COLD || !(backlog[i]! > 0)) continue;
        if (c < 0 || priority[i]! < priority[c]! || (priority[i] === priority[c] && wait[base + i]! > wait[base + c]!)) c = i;
      }
      if (c < 0) break;
      const k = poolTarget(usedOn, loadingOn, gpus, params.loadSlots, load[c]! > 0);
      if (k < 0) break;
      if (usedOn[k]! + memory[c]! > params.capacityMB) {
        const room = this.makeRoom(k, base, backlog, usedOn[k]!, memory[c]!, MAX_EVICTIONS_PER_STEP - evicted);
        if (room < 0) {
          bound = 1;
          break;
        }
        for (let j = 0; j < n; j++) {
          if (this.taken[j] === 0) continue;
          phase[base + j] = COLD;
          usedOn[k] = usedOn[k]! - memory[j]!;
          idle[base + j] = 0;
          evicted++;
          if (record) totals.evictionSum[j0 + j] = totals.evictionSum[j0 + j]! + 1;
        }
      }
      home[base + c] = k;
      usedOn[k] = usedOn[k]! + memory[c]!;
      if (record) totals.coldStartSum[j0 + c] = totals.coldStartSum[j0 + c]! + 1;
      wait[base + c] = 0;
      if (load[c]! > 0) {
        phase[base + c] = LOADING;
        loadLeft[base + c] = load[c]!;
        loadingOn[k] = loadingOn[k]! + 1;
      } else {
        phase[base + c] = WARM;
        idle[base + c] = 0;
      }
    }
    for (let k = 0; k < gpus; k++) this.used[u + k] = usedOn[k]!;
    return bound;
  }

  /**
   * Marks in `taken` the agents to evict so that `need` MB fit beside `used` (the evictable — WARM ∧ B = 0
   * ∧ ¬pinned — first in the rule's order, at most `budget`); returns how many, or −1 (nothing marked)
   * when they do not make room.
   */
  private makeRoom(k: number, base: number, backlog: Float64Array, used: number, need: number, budget: number): number {
    const n = this.count;
    const capacity = this.params.capacityMB;
    const taken = this.taken;
    taken.fill(0, 0, n);
    let freed = 0;
    let count = 0;
    while (used - freed + need > capacity) {
      if (count >= budget) break;
      const j = this.nextVictim(k, base, backlog);
      if (j < 0) break;
      taken[j] = 1;
      freed += this.memory[j]!;
      count++;
    }
    if (used - freed + need > capacity) {
      taken.fill(0, 0, n);
      return -1;
    }
    return count;
  }

  /**
   * The first evictable agent not yet taken in the eviction order (EVICTION_RULES): lru largest idle,
   * then larger m; lowestPriority largest P, then largest idle; largestFirst larger m, then largest
   * idle; ties to the lower index; among GPU k's agents (home_j = k). −1 when none is left.
   */
  private nextVictim(k: number, base: number, backlog: Float64Array): number {
    const { phase, idle, memory, priority, pinned, taken, home } = this;
    const rule = this.params.evict;
    let v = -1;
    for (let j = 0; j < this.count; j++) {
      if (taken[j] === 1 || phase[base + j] !== WARM || backlog[j]! > 0 || pinned[j] === 1 || home[base + j] !== k) continue;
      if (v < 0) {
        v = j;
        continue;
      }
      const idleJ = idle[base + j]!;
      const idleV = idle[base + v]!;
      let first: boolean;
      if (rule === EVICTION_ID.lru) first = idleJ > idleV || (idleJ === idleV && memory[j]! > memory[v]!);
      else if (rule === EVICTION_ID.lowestPriority) first = priority[j]! > priority[v]! || (priority[j] === priority[v] && idleJ > idleV);
      else first = memory[j]! > memory[v]! || (memory[j] === memory[v] && idleJ > idleV);
      if (first) v = j;
    }
    return v;
  }

  /** Step 5, eligible: E_i into out[i] (all 1; warm phase = WARM; backlogged WARM ∧ B_i > 0); returns whether every agent is. */
  eligible(m: number, backlog: Float64Array, out: Uint8Array): boolean {
    const rule = this.params.eligible;
    const base = m * this.maxAgents;
    let all = true;
    for (let i = 0; i < this.count; i++) {
      const e = rule === ELIGIBLE_ID.all || (this.phase[base + i] === WARM && (rule === ELIGIBLE_ID.warm || backlog[i]! > 0)) ? 1 : 0;
      out[i] = e;
      if (e === 0) all = false;
    }
    return all;
  }

  /** c_i, agent i's load, whole steps. */
  loadOf(i: number): number {
    return this.load[i]!;
  }
}
