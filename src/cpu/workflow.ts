/**
 * The CPU engine's step-by-step path for workflow runs and `exponentialCount` work (MODEL-PART4 §4.6,
 * the step of docs/workflows.md): every agent of a run per step, in the order arrive → allocate →
 * process → route → record, in f64. A workflow's internal arrivals depend on the run's own state (the
 * completions of the step before), so there is no agent-major fast path here; runs without routing and
 * without exponentialCount never come here and keep theirs (src/cpu/engine.ts), bit for bit.
 *
 * Per run and agent the state is Q (work queue), h ∈ [0, 1) (the head request's progress, deterministic
 * work with counting arrivals) and the inbox (requests routed to the agent in the step before; two
 * parities, the step's and the next's), plus, for a fork-join, D_b per branch and Ω.
 *
 * Step t of agent i:
 * 1. arrive: a_i = ext_i + inbox_i(t), work_i = ext work + inbox_i(t) (one unit per routed request);
 * 2. allocate as the engine does (readsBacklog policies read B_i = Q_i + work_i; the signal reads a_i);
 * 3. process into completions m_i:
 *    - deterministic work, counting arrivals: B = Q + work, served = min(B, T·g·Δt), Q ← B − served,
 *      x = h + served; emptied (Q = 0): m = round(x), h = 0, else m = ⌊x⌋, h = x − m (FIFO, unit work);
 *    - exponentialCount: c = Poisson(f32(T·g·Δt)) drawn first from the agent's routing stream
 *      (stream, replicate, purposeStep(PURPOSE.routing, t), agent i: common to every policy of the fleet
 *      replicate), m = min(Q + work, c), Q ← Q + work − m, served = m;
 *    - a fleet with fluid (non-counting, e.g. deterministic) arrivals routes fluidly: m = served;
 * 4. route: m is split over the successors by splitCompletions (sequential conditional binomials) from
 *    the same routing stream (after the Poisson draw; deterministic work: from draw 0); count k_e goes
 *    to inbox_{to_e}(t + 1). Fluid: inbox_j(t + 1) += p_ij·served_i. A fork sends m_f to every branch
 *    (no draw); D_b ← D_b + m_f − m_b, Ω = max_b D_b, J = m_f + Ω_prev − Ω parents go to the join at t + 1,
 *    and the branches' own completions go nowhere else;
 * 5. record as the engine does, plus routedSum += inbox_i(t), inFlightSum += Σ_e k_e (the fork: J; a
 *    branch: 0), forkSum (on the fork) += Ω; systemSum counts ⌈Q − slack⌉, or Q itself under exponentialCount.
 *
 * With the serverless lifecycle on (SimConfig.lifecycle, MODEL-PART4 §4.3–4.4) every run comes here,
 * and the step is src/model/lifecycle.ts's, operation for operation: expire before the arrivals; admit
 * (and evict) and count after them, on B_i = Q_i + w_i (src/cpu/lifecycle.ts); allocate over the
 * eligible agents (allocateEligible; `all`: the allocation above); only a WARM agent serves (no draw,
 * no completions otherwise); then the phase, idle and load counters, and the lifecycle's records.
 *
 * A fleet on several GPUs (FleetSpec.gpus > 1) comes here too, its allocation src/cpu/gpus.ts's: by
 * placement (src/model/placement.ts) each GPU k runs the policy over its own (eligible) agents with
 * capacity G/n_G (allocateEligible on the agents with gpu_i = k, GPU 0 first), and every per-agent read
 * of the capacity (the minimum share) reads the GPU's; as one pool (src/model/pool.ts) the policy runs
 * over all the eligible agents at G and each share becomes poolShare's, every per-agent read of the
 * capacity reads G, and an agent's GPU (the resident GPUs' count) is its lifecycle `home`.
 *
 * The WebAssembly kernel (src/cpu/wasm) never serves these runs: they are served here, in JavaScript
 * (the kernel may still draw their external arrivals, which do not depend on the run).
 *
 * @example
 *   const stepper = new WorkflowStepper(fleets, config, maxAgents); // once per batch
 *   stepper.startGroup(f, replicate, members);                       // per group of runs
 *   stepper.run(ctx, m, t0, t1);                                     // per member and chunk
 */
import { DEFAULT_EMA_ALPHA, type PackedFleets, policySettings, type SimConfig } from '../model/batch.js';
import { inSystem, MIN_SHARE_SLACK, type RunTotals } from '../model/metrics.js';
import { SIGNAL_ID } from '../model/modes.js';
import { NO_AGENT, routesFluidly } from '../model/workflow.js';
import {
  type Allocation,
  allocateEligible,
  allocateShares,
  allocationFixed,
  allocationReadsBacklog,
  EligibleScratch,
  type FleetView,
  fleetView,
  sharesAtStep,
  sharesVaryWithStep,
} from '../model/allocate.js';
import { ELIGIBLE_ID, lifecycleParams, PHASE } from '../model/lifecycle.js';
import { gpuCapacity, MAX_GPUS } from '../model/placement.js';
import { GpuAllocator } from './gpus.js';
import { LifecycleState } from './lifecycle.js';
import { MAX_SUCCESSORS, splitCompletions } from '../random/binomial.js';
import { DrawStream, PURPOSE, purposeStep, seedKey } from '../random/philox.js';
import { PoissonSampler } from '../random/poisson.js';

const { observed: SIGNAL_OBSERVED, ema: SIGNAL_EMA, nominal: SIGNAL_NOMINAL } = SIGNAL_ID;
const { cold: COLD, loading: LOADING, warm: WARM } = PHASE;

/** What the engine hands one member's chunk: its buffers (see Simulator in engine.ts). */
export interface StepContext {
  policy: number;
  view: FleetView;
  alloc: Allocation;
  /** External arrivals and work of agent i at step t: [i·span + t − t0]. */
  arrivals: Float64Array;
  work: Float64Array;
  span: number;
  /** Scratch for one step's shares g_i at [i] (the engine's chunk buffer). */
  shares: Float64Array;
  /** B_i for the allocator (the view's backlog array). */
  backlogs: Float64Array;
  /** The member's Q_i and λ̂_i at [s0 + i]. */
  queues: Float64Array;
  rates: Float64Array;
  s0: number;
  totals: RunTotals;
  /** The totals index of the run's agent 0. */
  j0: number;
  series: WorkflowSeries | null;
}

/** The per-step arrays runSeriesCpu fills (agent-major [i·steps + t], busy and forkParents per step). */
export interface WorkflowSeries {
  arrivals: Float64Array;
  work: Float64Array;
  share: Float64Array;
  served: Float64Array;
  queue: Float64Array;
  latency: Float64Array;
  violation: Float64Array;
  busy: Float64Array;
  routed: Float64Array;
  inFlight: Float64Array;
  forkParents: Float64Array;
  /** The lifecycle (agent-major): the PHASE id during the step's processing (PHASE.warm without the lifecycle). */
  phase: Float64Array;
  /** The lifecycle, per step: MB in use after the step's admissions (0 without the lifecycle). */
  memory: Float64Array;
  /** The lifecycle, GPU-major [k·steps + t]: MB in use on GPU k after the step's admissions. */
  gpuMemory: Float64Array;
}

/** The state and scratch of the workflow runs of one batch, allocated once per call. */
export class WorkflowStepper {
  private readonly fleets: PackedFleets;
  private readonly config: SimConfig;
  private readonly maxAgents: number;
  private readonly signal: number;
  private readonly alpha: number;
  private readonly warmup: number;
  private readonly lateStart: number;
  private readonly k0: number;
  private readonly k1: number;
  private readonly countWork: boolean; // exponentialCount
  private readonly draws = new DrawStream();
  /** One Poisson sampler per agent of the group (its constants cached per mean). */
  private readonly samplers: PoissonSampler[];
  private readonly split = new Uint32Array(MAX_SUCCESSORS);
  // Per member m, agent i at [m·maxAgents + i].
  private readonly head: Float64Array; // h
  private readonly inboxEven: Float64Array; // the inbox of even steps
  private readonly inboxOdd: Float64Array; // of odd steps
  private readonly branchDebt: Float64Array; // D_b at [m·MAX_SUCCESSORS + k]
  private readonly omega: Float64Array; // Ω per member
  // Per step scratch (one member).
  private readonly stepArrived: Float64Array;
  private readonly stepWork: Float64Array;
  private readonly completions: Float64Array;
  // The group's fleet.
  private offset = 0;
  private count = 0;
  private stream = 0; // the fleet's stream and the group's replicate: the routing streams' counter
  private replicate = 0;
  private capacity = 0;
  private fluid = false;
  private fork = NO_AGENT;
  private join = NO_AGENT;
  private branches = 0;
  private readonly branchOf: Int32Array; // agent → its branch index, −1
  private readonly branchAgent = new Uint32Array(MAX_SUCCESSORS);
  /** Each agent's successor probabilities (views of routeP), for splitCompletions. */
  private probs: Float32Array[] = [];
  /** The serverless lifecycle's state (src/cpu/lifecycle.ts), null when it is off. */
  private readonly lifecycle: LifecycleState | null;
  /** Its scratch: B_i of the step, E_i, the compacted fleet of allocateEligible. */
  private readonly stepBacklog: Float64Array;
  private readonly eligibleMask: Uint8Array;
  private readonly eligibleScratch: EligibleScratch | null;
  // Several GPUs: the fleet's n_G and mode, each agent's GPU (placement), their allocation.
  private gpus = 1;
  private pool = false;
  private readonly gpuOf: Uint32Array;
  private readonly gpuAllocator: GpuAllocator;

  constructor(fleets: PackedFleets, config: SimConfig, maxAgents: number, members: number, warmup: number, lateStart: number) {
    this.fleets = fleets;
    this.config = config;
    this.maxAgents = maxAgents;
    this.signal = SIGNAL_ID[config.signal ?? 'nominal'];
    this.alpha = config.emaAlpha ?? DEFAULT_EMA_ALPHA;
    this.warmup = warmup;
    this.lateStart = lateStart;
    [this.k0, this.k1] = seedKey(config.seed);
    this.countWork = config.work === 'exponentialCount';
    this.samplers = Array.from({ length: maxAgents }, () => new PoissonSampler());
    this.head = new Float64Array(members * maxAgents);
    this.inboxEven = new Float64Array(members * maxAgents);
    this.inboxOdd = new Float64Array(members * maxAgents);
    this.branchDebt = new Float64Array(members * MAX_SUCCESSORS);
    this.omega = new Float64Array(members);
    this.stepArrived = new Float64Array(maxAgents);
    this.stepWork = new Float64Array(maxAgents);
    this.completions = new Float64Array(maxAgents);
    this.branchOf = new Int32Array(maxAgents);
    const params = lifecycleParams(config);
    this.lifecycle = params === null ? null : new LifecycleState(fleets, config, params, maxAgents, members);
    this.stepBacklog = new Float64Array(maxAgents);
    this.eligibleMask = new Uint8Array(maxAgents);
    let multi = false;
    for (let f = 0; f < fleets.count && !multi; f++) multi = fleets.gpuCount[f]! > 1;
    this.eligibleScratch = params === null && !multi ? null : new EligibleScratch(maxAgents, policySettings(config));
    this.gpuOf = new Uint32Array(maxAgents);
    this.gpuAllocator = new GpuAllocator(maxAgents);
  }

  /** Starts the group of `members` runs of fleet f, replicate `replicate`: every member's state at step 0. */
  startGroup(f: number, replicate: number, members: number): void {
    const { fleets } = this;
    const n = fleets.agentCount[f]!;
    this.stream = fleets.stream[f]!;
    this.replicate = replicate;
    this.offset = fleets.agentOffset[f]!;
    this.count = n;
    // The capacity each agent reads (one GPU and a pool: G itself; placement: its GPU's).
    this.gpus = fleets.gpuCount[f]!;
    this.pool = fleets.gpuPool[f] === 1;
    this.capacity = this.pool ? fleets.capacity[f]! : gpuCapacity(fleets, f);
    this.gpuAllocator.startGroup(fleets, f);
    for (let i = 0; i < n; i++) this.gpuOf[i] = fleets.gpu[this.offset + i]!;
    this.fluid = routesFluidly(fleets, this.config, f);
    this.fork = fleets.fork[f]!;
    this.join = fleets.join[f]!;
    this.branchOf.fill(-1, 0, n);
    this.branches = 0;
    if (this.fork !== NO_AGENT) {
      const a = this.offset + this.fork;
      for (let e = fleets.routeOffset[a]!; e < fleets.routeOffset[a]! + fleets.routeCount[a]!; e++) {
        this.branchAgent[this.branches] = fleets.routeTo[e]!;
        this.branchOf[fleets.routeTo[e]!] = this.branches++;
      }
    }
    this.probs = [];
    for (let i = 0; i < n; i++) {
      const a = this.offset + i;
      const e0 = fleets.routeOffset[a]!;
      this.probs.push(fleets.routeP.subarray(e0, e0 + fleets.routeCount[a]!));
    }
    this.head.fill(0, 0, members * this.maxAgents);
    this.inboxEven.fill(0, 0, members * this.maxAgents);
    this.inboxOdd.fill(0, 0, members * this.maxAgents);
    this.branchDebt.fill(0, 0, members * MAX_SUCCESSORS);
    this.omega.fill(0, 0, members);
    this.lifecycle?.startGroup(f, members);
  }

  /** Steps member m (state at m·maxAgents) through steps [t0, t1) of the chunk, all agents per step. */
  run(ctx: StepContext, m: number, t0: number, t1: number): void {
    const { fleets, config, count: n, offset } = this;
    const { policy, view, alloc, arrivals, work, span, shares, backlogs, queues, rates, s0, totals, j0, series } = ctx;
    const { dt, lmax, steps } = config;
    const warmup = this.warmup;
    const lc = this.lifecycle;
    // The lifecycle's `warm` and `backlogged` allocate over the eligible agents, a set that changes by step.
    const compact = lc !== null && lc.params.eligible !== ELIGIBLE_ID.all;
    // Several GPUs: each allocates over its own agents, every step (gpuView: the fleet at one GPU's
    // capacity), or a pool over all of them at G (the fleet's view).
    const multi = this.gpus > 1;
    const pool = this.pool;
    const gpuView =
      multi && !pool ? fleetView(fleets, view.offset, view.count, this.capacity, view.rate, view.backlog, view.settings) : view;
    const fixedPolicy = allocationFixed(policy, this.signal === SIGNAL_NOMINAL);
    const fixed = !compact && !multi && fixedPolicy;
    // Compacted: whether `shares` holds the fixed allocation of every agent (up to the turn), reused while all stay eligible.
    let allocatedAll = false;
    const varies = sharesVaryWithStep(policy);
    const readsBacklog = allocationReadsBacklog(policy);
    const signal = this.signal;
    const alpha = this.alpha;
    const fork = this.fork;
    const stepArrived = this.stepArrived;
    const stepWork = this.stepWork;
    const completions = this.completions;
    const b0 = m * MAX_SUCCESSORS;
    // Hoisted out of the loops: V8 then keeps them in registers rather than reloading per agent-step.
    const { T: throughput, R: minimum, routeCount, routeOffset, routeP, routeTo } = fleets;
    const { head, samplers, draws, branchOf, countWork, fluid, capacity, lateStart, gpuOf, gpuAllocator } = this;
    const { latencySum, servedSum, queueSum, queueLateSum, shareSum, arrivedSum, systemSum, violationSum, routedSum, inFlightSum } = totals;
    const { stepBacklog, eligibleMask } = this;
    const ls = m * this.maxAgents; // the member's lifecycle state
    // A fixed allocation is the same at every step of the chunk (up to the turn): allocated once.
    if (fixed) allocateShares(policy, view, t0, alloc, shares, 0);
    for (let t = t0; t < t1; t++) {
      const inbox = (t & 1) === 0 ? this.inboxEven : this.inboxOdd;
      const outbox = (t & 1) === 0 ? this.inboxOdd : this.inboxEven;
      const record = t >= warmup;
      // Lifecycle 1. Expire (before the step's arrivals).
      if (lc !== null) lc.expire(m, queues, s0);
      // 1. Arrive: external plus the requests routed here during step t − 1.
      for (let i = 0; i < n; i++) {
        const routed = inbox[s0 + i]!;
        stepArrived[i] = arrivals[i * span + t - t0]! + routed;
        stepWork[i] = work[i * span + t - t0]! + routed;
        outbox[s0 + i] = 0;
      }
      // Lifecycle 3–4. Admit (evicting, under a memory limit) and count, on B_i = Q_i + w_i.
      if (lc !== null) {
        for (let i = 0; i < n; i++) stepBacklog[i] = queues[s0 + i]! + stepWork[i]!;
        lc.admit(m, stepBacklog, stepArrived, record, totals, j0);
      }
      // 2. Allocate (the backlog readers after the step's arrivals, routed ones included); with the
      // lifecycle's `warm` or `backlogged`, over the eligible agents only (5–6).
      if (readsBacklog) for (let i = 0; i < n; i++) backlogs[i] = queues[s0 + i]! + stepWork[i]!;
      if (multi)
        gpuAllocator.allocate(
          policy,
          gpuView,
          t,
          alloc,
          this.eligibleScratch!,
          shares,
          compact ? eligibleOf(lc, m, stepBacklog, eligibleMask) : null,
        );
      else if (compact) {
        // Every agent eligible under a fixed policy (the common steady state): the allocation of all,
        // made once and moved to each step's turn, as the fixed path does — allocateEligible's bits.
        if (lc.eligible(m, stepBacklog, eligibleMask) && fixedPolicy) {
          if (!allocatedAll) allocateShares(policy, view, t, alloc, shares, 0);
          else if (varies) sharesAtStep(alloc, view, t, shares, 0);
          allocatedAll = true;
        } else {
          allocateEligible(policy, view, t, eligibleMask, this.eligibleScratch!, alloc, shares, 0);
          allocatedAll = false;
        }
      } else if (!fixed) allocateShares(policy, view, t, alloc, shares, 0);
      else if (varies) sharesAtStep(alloc, view, t, shares, 0);
      let busy = 0;
      let resident = 0;
      // 3–4. Process and route, agent by agent (routing delivers at t + 1: the order does not matter).
      for (let i = 0; i < n; i++) {
        const s = s0 + i;
        const j = j0 + i;
        const a = offset + i;
        const T = throughput[a]!;
        const g = shares[i]!;
        const arrived = stepArrived[i]!;
        const demand = rates[s]!;
        let rate = demand;
        if (signal === SIGNAL_OBSERVED) rate = arrived / dt;
        else if (signal === SIGNAL_EMA) rate = alpha * (arrived / dt) + (1 - alpha) * rate;
        rates[s] = rate;
        const service = T * g;
        const backlog = queues[s]! + stepWork[i]!;
        // The phase during processing (after the admission): only a WARM agent serves.
        const phase = lc === null ? WARM : lc.phase[ls + i]!;
        let served: number;
        let done: number; // m_i
        let drawn = false;
        if (phase !== WARM) {
          served = 0;
          done = 0;
        } else if (countWork) {
          const mean = Math.fround(service * dt);
          let c = 0;
          if (backlog > 0 && mean > 0) {
            draws.reset(this.k0, this.k1, this.stream, this.replicate, purposeStep(PURPOSE.routing, t), i);
            drawn = true;
            c = samplers[i]!.sample(mean, draws);
          }
          served = Math.min(backlog, c);
          done = served;
        } else {
          served = Math.min(backlog, service * dt);
          if (fluid) done = served;
          else {
            const x = head[s]! + served;
            if (backlog - served === 0) {
              done = Math.round(x);
              head[s] = 0;
            } else {
              done = Math.floor(x);
              head[s] = x - done;
            }
          }
        }
        const queue = backlog - served;
        queues[s] = queue;
        completions[i] = done;
        if (lc !== null) {
          const l = ls + i;
          if (phase === WARM) {
            lc.idle[l] = backlog > 0 ? 0 : lc.idle[l]! + 1;
            if (g > 0) lc.lastShare[l] = g;
          } else if (phase === LOADING) {
            lc.idle[l] = 0;
            lc.loadLeft[l] = lc.loadLeft[l]! - 1;
            if (lc.loadLeft[l] === 0) lc.phase[l] = WARM;
          }
        }
        // Route (the fork's children and the branches' completions are the fork-join's, below).
        let sent = 0;
        const edges = routeCount[a]!;
        if (edges > 0 && i !== fork && branchOf[i]! < 0 && done > 0) {
          const e0 = routeOffset[a]!;
          if (fluid) {
            for (let e = 0; e < edges; e++) {
              const k = routeP[e0 + e]! * done;
              add(outbox, s0 + routeTo[e0 + e]!, k);
              sent += k;
            }
          } else {
            if (!drawn) draws.reset(this.k0, this.k1, this.stream, this.replicate, purposeStep(PURPOSE.routing, t), i);
            const probs = this.probs[i]!;
            const split = this.split;
            splitCompletions(done, probs, draws, split);
            for (let e = 0; e < edges; e++) {
              add(outbox, s0 + routeTo[e0 + e]!, split[e]!);
              sent += split[e]!;
            }
          }
        }
        // 5. Record. Lifecycle: a LOADING agent, or a COLD one with work, records the load left plus
        // its queue at the last share it had; a COLD one with nothing queued records no latency (NaN).
        const minShare = minimum[a]! * capacity * (1 - MIN_SHARE_SLACK);
        let latency: number;
        let violation: number;
        if (phase === WARM) {
          latency = g > 0 ? queue / service : lmax;
          violation = g < minShare && (demand > 0 || backlog > 0) ? 1 : 0;
        } else {
          violation = 0;
          const l = ls + i;
          if (phase === LOADING || queue > 0) {
            const left = phase === LOADING ? lc!.loadLeft[l]! : lc!.loadOf(i);
            latency = left * dt + queue / (T * lc!.lastShare[l]!);
          } else latency = NaN;
        }
        if (backlog > 0) busy = 1;
        if (lc !== null && phase !== COLD) resident |= 1 << (pool ? lc.home[ls + i]! : gpuOf[i]!);
        if (record) {
          if (lc !== null) {
            if (latency === latency) {
              add(latencySum, j, latency);
              add(totals.latencyStepSum, j, 1);
            }
            if (phase !== COLD) add(totals.residentStepSum, j, 1);
            if (phase === LOADING) add(totals.loadStepSum, j, 1);
            if (phase === WARM && !(backlog > 0)) add(totals.idleWarmStepSum, j, 1);
          } else add(latencySum, j, latency);
          add(servedSum, j, served);
          add(queueSum, j, queue);
          if (t >= lateStart) add(queueLateSum, j, queue);
          add(shareSum, j, g);
          add(arrivedSum, j, arrived);
          add(systemSum, j, countWork ? queue : inSystem(queue));
          add(violationSum, j, violation);
          add(routedSum, j, inbox[s]!);
          add(inFlightSum, j, sent);
        }
        if (series !== null) {
          const k = i * steps + t;
          series.arrivals[k] = arrived;
          series.work[k] = stepWork[i]!;
          series.share[k] = g;
          series.served[k] = served;
          series.queue[k] = queue;
          series.latency[k] = latency;
          series.violation[k] = violation;
          series.routed[k] = inbox[s]!;
          series.inFlight[k] = sent;
          series.phase[k] = phase;
        }
        if (t === steps - 1) totals.finalQueue[j] = queue;
      }
      // The fork-join: children to every branch, parents released to the join.
      if (fork !== NO_AGENT) {
        const mf = completions[fork]!;
        let omega = 0;
        for (let k = 0; k < this.branches; k++) {
          const b = this.branchAgent[k]!;
          add(outbox, s0 + b, mf);
          const debt = this.branchDebt[b0 + k]! + mf - completions[b]!;
          this.branchDebt[b0 + k] = debt;
          omega = Math.max(omega, debt);
        }
        const released = mf + this.omega[m]! - omega;
        this.omega[m] = omega;
        add(outbox, s0 + this.join, released);
        const jf = j0 + fork;
        if (record) {
          add(totals.inFlightSum, jf, released);
          add(totals.forkSum, jf, omega);
        }
        if (series !== null) {
          series.inFlight[fork * steps + t] = released;
          series.forkParents[t] = omega;
        }
      }
      if (record) add(totals.busySum, j0, busy);
      if (series !== null) series.busy[t] = busy;
      if (lc !== null) {
        // Several GPUs: the GPUs up (a resident agent each), memory on all of them, the fullest one's peak.
        const used = lc.usedTotal(m);
        if (record) {
          add(totals.residentRunStepSum, j0, bitCount(resident));
          add(totals.memorySum, j0, used);
          add(totals.memoryBoundStepSum, j0, lc.memoryBound[m]!);
          const most = multi ? lc.usedMax(m) : used;
          if (most > lc.peak[m]!) lc.peak[m] = most;
        }
        if (t === steps - 1) totals.memoryPeak[j0] = lc.peak[m]!;
        if (series !== null) {
          series.memory[t] = used;
          for (let k = 0; k < this.gpus; k++) series.gpuMemory[k * steps + t] = lc.used[m * MAX_GPUS + k]!;
        }
      }
    }
  }
}

/** E_i of member m into `mask` (the lifecycle's step 5); returns it. */
function eligibleOf(lc: LifecycleState, m: number, backlog: Float64Array, mask: Uint8Array): Uint8Array {
  lc.eligible(m, backlog, mask);
  return mask;
}

/** The set bits of a GPU mask (n_G ≤ 8: one bit per GPU). */
function bitCount(x: number): number {
  let c = 0;
  for (let v = x; v !== 0; v &= v - 1) c++;
  return c;
}

/** x[k] += v (the typed arrays' index reads are unchecked: k is in range by construction). */
function add(x: Float64Array, k: number, v: number): void {
  x[k] = x[k]! + v;
}
