/**
 * The CPU reference engine: the model of MODEL.md in f64, run by run, step by step, in the order
 * arrive → allocate → process → record. Arrival counts and work come from the same Philox stream, the
 * same f32 mean and the same f32 samplers as the GPU (src/random, src/model/schedule.ts), so both
 * engines see the same work.
 *
 * It is written to be lean (bench/NOTES.md): plain loops over the packed typed arrays, every buffer
 * allocated once per call, nothing allocated per run or per step. Runs that share a fleet and a
 * replicate see the same arrivals (the Philox counter has no policy word), so they are simulated as a
 * group on arrivals drawn once. Time is cut into chunks; in each, every agent's arrivals are drawn
 * (the first Philox block of four steps at a time), then each run of the group allocates and
 * processes them, agent by agent through the chunk when its allocation does not read the run's own
 * state (allocationFixed: not for the policies that read state, such as timeSlice's backlogs, nor
 * for adaptive under a signal that changes by step), else all agents step by step (the backlog
 * readers after the step's arrivals, MODEL-PART4 §4.8). The policy totals (violationSum, busySum)
 * ride along on every path (Simulator.serve).
 * Every order does the same f64 operations per agent in the same order, so the results are
 * bit-identical to the plain step-by-step definition (test/cpu-golden.test.ts pins them;
 * test/cpu-policy-totals.test.ts checks them against such a definition for every policy).
 * Where it loads (src/cpu/wasm; FLEETSIM_CPU_KERNEL), a WebAssembly twin runs the hot loop: the
 * arrivals of agents with a Poisson table (Philox by i64.mul, the table draw) and the serve loop over
 * more than one step, with the same operations in the same order on the same f64, so the same bits
 * (test/cpu-wasm.test.ts); everything else stays in JavaScript, which is also the whole engine where
 * the kernel is off.
 * Workflow runs (a fleet with routes or a fork-join), exponentialCount work and the serverless lifecycle are stepped all agents
 * per step by src/cpu/workflow.ts, in JavaScript: their internal arrivals depend on the run's own state,
 * so they have no agent-major path and the kernel never serves them (it may still draw their external
 * arrivals). Every other run takes the paths above unchanged, bit for bit.
 *
 * @example
 *   const result = summarize(batch, runBatchCpu(batch));
 *   const series = runSeriesCpu(batch, 0); // per-step arrivals, work, share, served, queue, latency, violation, busy
 */
import { type Batch, DEFAULT_EMA_ALPHA, type PackedFleets, type PackedRuns, policySettings, type SimConfig } from '../model/batch.js';
import {
  allocTotals,
  emptyTotals,
  IN_SYSTEM_SLACK,
  inSystem,
  lateStart,
  MIN_SHARE_SLACK,
  type RunTotals,
  TOTALS,
} from '../model/metrics.js';
import {
  allocate,
  allocateShares,
  allocationFixed,
  allocationReadsBacklog,
  type FleetView,
  fleetView,
  newAllocation,
  sharesAtStep,
  sharesVaryWithStep,
} from '../model/allocate.js';
import { SIGNAL_ID } from '../model/modes.js';
import { ArrivalDraws, MAX_ARRIVAL_CHUNK_STEPS, poissonTableMean } from '../random/arrivals.js';
import { PoissonTablePack } from '../random/poissonTable.js';
import { philoxKey, seedKey } from '../random/philox.js';
import {
  acquireKernel,
  BUSY_FIRST,
  BUSY_LAST,
  BUSY_WORDS,
  KERNEL_CHUNK_VALUES,
  releaseKernel,
  SERVE_SIGNAL,
  VIOLATION,
  type WasmKernel,
} from './wasm/kernel.js';
import { steppedAsWorkflow } from '../model/workflow.js';
import { WorkflowStepper } from './workflow.js';
import { PHASE } from '../model/lifecycle.js';

/**
 * One fleet run's per-step trajectory over all steps, warm-up included; arrays are agent-major: the
 * value of agent i at step t is [i·steps + t].
 */
export interface RunSeries {
  steps: number;
  agents: number;
  arrivals: Float64Array; // requests arrived in the step
  work: Float64Array; // work they brought, units of one request's mean work
  share: Float64Array; // g, GPUs
  served: Float64Array; // work served in the step
  queue: Float64Array; // Q after processing, work
  latency: Float64Array; // ℓ, seconds
  /** 1 when the step counts into violationSum (its share below R·G·(1 − MIN_SHARE_SLACK) while in demand), else 0. */
  violation: Float64Array;
  /** Per step (length `steps`, not agent-major): 1 when some agent has B_t = Q + a > 0 (busySum's steps), else 0. */
  busy: Float64Array;
  /** Workflows (MODEL-PART4 §4.6; 0 elsewhere): requests routed to the agent that arrived in the step (within `arrivals`). */
  routed: Float64Array;
  /** Requests the agent sent on in the step (a fork: the parents it released to the join). */
  inFlight: Float64Array;
  /** Per step (length `steps`): Ω_t, the fork-join's outstanding parents (0 without one). */
  forkParents: Float64Array;
  /**
   * The serverless lifecycle (MODEL-PART4 §4.3, src/model/lifecycle.ts): the agent's PHASE id (0 COLD,
   * 1 LOADING, 2 WARM) during the step's processing; PHASE.warm throughout without the lifecycle.
   * With it, `latency` is NaN for a step that records none (COLD with nothing queued).
   */
  phase: Float64Array;
  /** Per step (length `steps`): MB of GPU memory in use after the step's admissions (0 without the lifecycle). */
  memory: Float64Array;
  /** n_G, the fleet's GPUs (FleetSpec.gpus). */
  gpus: number;
  /**
   * GPU-major (length gpus·steps, [k·steps + t]): MB in use on GPU k after the step's admissions (0
   * without the lifecycle); Σ_k is `memory`. By placement or as one pool alike (src/model/pool.ts).
   */
  gpuMemory: Float64Array;
}

/** Agent-steps per chunk: its arrivals, work and shares (f64) stay in L2 (about 200 KB); the kernel's buffers hold as many. */
const CHUNK_AGENT_STEPS = KERNEL_CHUNK_VALUES;
/** Steps per chunk at most (fleets of few agents): bounds the arrival draws' Philox prefixes and first blocks. */
const MAX_CHUNK_STEPS = MAX_ARRIVAL_CHUNK_STEPS;
/** Runs simulated together on one set of arrivals at most (a group: same fleet, same replicate). */
const MAX_CPU_GROUP_RUNS = 16;
/** The kernel's copy of the Poisson tables starts afresh past this many words (1 MiB). */
const TABLE_CACHE_WORDS = 1 << 18;
/** The totals ArrivalDraws keeps (the `arrivals` home of TOTALS). */
const ARRIVAL_TOTAL_FIELDS = TOTALS.flatMap((t) => (t.home === 'arrivals' ? [t.field] : []));
const { nominal: SIGNAL_NOMINAL, observed: SIGNAL_OBSERVED, ema: SIGNAL_EMA } = SIGNAL_ID;

/**
 * The simulation of one batch: its settings unpacked, and every buffer allocated once and reused.
 *
 * Arrivals depend on (fleet, replicate, step, agent) only, never on the policy or the run's state (the
 * counter has no policy word: common random numbers). So the runs that share a fleet and a replicate
 * (crossRuns makes the policies of one fleet replicate adjacent) form a group that is simulated
 * together, chunk by chunk: the chunk's arrivals and work are drawn once per agent (arrive), and then
 * each run of the group allocates (allocate) and serves them (serve: process and record). A run of its
 * own is a group of one. The same verbs as the kernels (arrivals.wgsl arrive, allocate.wgsl allocate,
 * agentStep.wgsl serve and record).
 */
class Simulator {
  private readonly fleets: PackedFleets;
  private readonly config: SimConfig;
  private readonly signal: number;
  /** The signal as the kernel's serve takes it (SERVE_SIGNAL). */
  private readonly serveSignal: number;
  private readonly alpha: number;
  private readonly warmup: number;
  /** The first step of the recorded steps' second half (queueLateSum). */
  private readonly lateStart: number;
  private readonly alloc = newAllocation();
  /** Arrive: every agent's arrivals and work for a chunk, drawn once per group. */
  private readonly arrivalDraws: ArrivalDraws;
  /**
   * The WebAssembly twin of the hot loop (src/cpu/wasm), or null for the JavaScript loop alone. With
   * it, `arrivals`, `work` and `shares` are views of its memory, which it reads and writes in place.
   */
  private readonly kernel: WasmKernel | null;
  /** The chunk's arrivals (requests) and work of agent i at step t: [i·span + t − t0]. */
  private arrivals: Float64Array;
  private work: Float64Array;
  /** One run's shares g_i in the chunk: of step t at [(t − t0)·stride + i], stride N when they vary by step, else 0. */
  private shares: Float64Array;
  /**
   * One run's busy flags in the chunk, step t in word (t − t0) >> 5 (serve shifts the bits in, the word's
   * last step lowest): the OR of 1[B_t > 0] over the agents served so far (serve's busyMode; the last
   * agent counts them into agent 0's busySum).
   */
  private busy: Uint32Array;
  /**
   * With the kernel: each batch agent's Poisson table mean (poissonTableMean; 0: none), the tables
   * built so far (one per distinct mean, mirrored into the kernel's memory from word 0 up to
   * `tablesMirrored`), and agent i of the group's table address in the kernel, 0 when it arrives in
   * JavaScript (no table, exponential work, or the arrival statistics recorded).
   */
  private readonly tableMeans: Float32Array;
  private readonly tablePack = new PoissonTablePack();
  private tablesMirrored = 0;
  private readonly tableAddress: Uint32Array;
  private readonly tableAt: Int32Array; // scratch: the group's table offsets in tablePack
  private wasmArrivals = 0; // agents of the group that arrive in the kernel
  /** Agents of the batch's largest fleet: the per-agent buffers hold as many (not MAX_AGENTS_PER_FLEET: they are zeroed per call). */
  private readonly maxAgents: number;
  // Per run of the group (member m, agent i at [m·maxAgents + i]).
  private readonly queues: Float64Array; // Q, work
  private readonly rates: Float64Array; // λ̂ for the next step, requests/s
  private readonly memberRates: Float64Array[];
  private readonly memberRun = new Uint32Array(MAX_CPU_GROUP_RUNS);
  private readonly memberJ0 = new Uint32Array(MAX_CPU_GROUP_RUNS); // totals index of the run's agent 0
  /** B_i = Q_i + a_i of the step being allocated, for policies that read it (readsBacklog). */
  private readonly backlogs: Float64Array;
  /** The fleet as the allocator sees it (with member 0's rates), and per member with its own rates; set per group. */
  private view: FleetView;
  private readonly memberViews: FleetView[] = [];
  // The group being simulated.
  private members = 0;
  private offset = 0;
  private count = 0;
  private capacity = 0; // G, GPUs
  private span = 0; // steps per chunk
  /** Workflow runs and exponentialCount work (src/cpu/workflow.ts): null when the batch has none. */
  private readonly stepper: WorkflowStepper | null;
  /** Whether the group's runs are stepped by `stepper`. */
  private stepped = false;

  constructor(batch: Batch, kernel: WasmKernel | null) {
    const { config, fleets } = batch;
    let maxAgents = 1;
    for (let f = 0; f < fleets.agentCount.length; f++) maxAgents = Math.max(maxAgents, fleets.agentCount[f]!);
    this.maxAgents = maxAgents;
    this.queues = new Float64Array(MAX_CPU_GROUP_RUNS * maxAgents);
    this.rates = new Float64Array(MAX_CPU_GROUP_RUNS * maxAgents);
    this.memberRates = Array.from({ length: MAX_CPU_GROUP_RUNS }, (_, m) => this.rates.subarray(m * maxAgents, (m + 1) * maxAgents));
    this.tableAddress = new Uint32Array(maxAgents);
    this.tableAt = new Int32Array(maxAgents);
    this.kernel = kernel;
    this.arrivals = kernel?.arrivalsView ?? new Float64Array(CHUNK_AGENT_STEPS);
    this.work = kernel?.workView ?? new Float64Array(CHUNK_AGENT_STEPS);
    this.shares = kernel?.sharesView ?? new Float64Array(CHUNK_AGENT_STEPS);
    this.busy = kernel?.busyView ?? new Uint32Array(BUSY_WORDS);
    // The kernel draws only what needs no process state nor statistics: counts by table, unit work.
    const kernelArrives = kernel !== null && config.work !== 'exponential' && config.arrivalStats !== true;
    this.tableMeans = new Float32Array(kernelArrives ? fleets.process.length : 0);
    for (let a = 0; a < this.tableMeans.length; a++) this.tableMeans[a] = poissonTableMean(fleets, config, a);
    if (kernel !== null) {
      const [k0, k1] = seedKey(config.seed);
      kernel.u32.set(new Uint32Array(philoxKey(k0, k1).buffer), kernel.key >> 2);
    }
    this.fleets = fleets;
    this.config = config;
    this.signal = SIGNAL_ID[config.signal ?? 'nominal'];
    this.serveSignal = SERVE_SIGNAL[config.signal ?? 'nominal'];
    this.alpha = config.emaAlpha ?? DEFAULT_EMA_ALPHA;
    this.warmup = config.warmup ?? 0;
    this.lateStart = lateStart(config);
    this.arrivalDraws = new ArrivalDraws(fleets, config, maxAgents);
    this.backlogs = new Float64Array(maxAgents);
    this.view = fleetView(fleets, 0, 0, 0, this.rates, this.backlogs, policySettings(config));
    let stepped = false;
    for (let f = 0; f < fleets.count && !stepped; f++) stepped = steppedAsWorkflow(fleets, config, f);
    this.stepper = stepped ? new WorkflowStepper(fleets, config, maxAgents, MAX_CPU_GROUP_RUNS, this.warmup, this.lateStart) : null;
  }

  /** The end of the group that starts at run r: the next runs (before `end`, MAX_CPU_GROUP_RUNS in all) of its fleet and replicate. */
  groupEnd(runs: PackedRuns, r: number, end: number): number {
    let e = r + 1;
    while (e < end && e - r < MAX_CPU_GROUP_RUNS && runs.fleet[e] === runs.fleet[r] && runs.replicate[e] === runs.replicate[r]) e++;
    return e;
  }

  /**
   * Simulates runs [r0, r1) of `batch` (one group) from step 0, adding each run's sums onto totals at
   * j0(r) + i, with j0(r) = totals.agentOffset[r] (or 0 for a lone run recorded into `series`), and
   * setting its final queues there; records every agent-step into `series` when given.
   */
  runGroup(batch: Batch, r0: number, r1: number, totals: RunTotals, series: RunSeries | null): void {
    const { fleets } = this;
    const { runs } = batch;
    const f = runs.fleet[r0]!;
    const n = fleets.agentCount[f]!;
    this.offset = fleets.agentOffset[f]!;
    this.count = n;
    this.capacity = fleets.capacity[f]!;
    this.members = r1 - r0;
    this.span = Math.min(MAX_CHUNK_STEPS, Math.floor(CHUNK_AGENT_STEPS / n));
    this.view = fleetView(fleets, this.offset, n, this.capacity, this.rates, this.backlogs, this.view.settings);
    // One view per member (its own rates), built once per group rather than per member and chunk.
    for (let m = 0; m < this.members; m++)
      this.memberViews[m] = fleetView(fleets, this.offset, n, this.capacity, this.memberRates[m]!, this.backlogs, this.view.settings);
    this.arrivalDraws.startGroup(fleets.stream[f]!, runs.replicate[r0]!, this.offset, n);
    this.stepped = this.stepper !== null && steppedAsWorkflow(fleets, this.config, f);
    if (this.stepped) this.stepper!.startGroup(f, runs.replicate[r0]!, this.members);
    if (this.kernel !== null) this.tablesOfGroup(this.kernel);
    for (let m = 0; m < this.members; m++) {
      this.memberRun[m] = r0 + m;
      this.memberJ0[m] = series === null ? totals.agentOffset[r0 + m]! : 0;
      for (let i = 0; i < n; i++) {
        this.queues[m * this.maxAgents + i] = 0;
        // λ̂_0 = γ_i, the visit rate of the traffic equations, in every mode (λ_i, bit for bit, without routing).
        this.rates[m * this.maxAgents + i] = fleets.demand[this.offset + i]!;
      }
    }
    const steps = this.config.steps;
    for (let t0 = 0; t0 < steps; t0 += this.span) {
      const t1 = Math.min(steps, t0 + this.span);
      if (this.wasmArrivals < n) this.arrivalDraws.startChunk(t0, t1);
      if (this.wasmArrivals > 0)
        this.kernel!.exports.philoxPrefixes(this.kernel!.key, fleets.stream[f]!, runs.replicate[r0]!, t0, t1, this.kernel!.prefix);
      for (let i = 0; i < n; i++) {
        const table = this.tableAddress[i]!;
        if (table === 0) this.arrivalDraws.arrive(i, t0, t1, this.arrivals, this.work, i * this.span - t0);
        else this.arriveWasm(this.kernel!, i, t0, t1, table);
      }
      for (let m = 0; m < this.members; m++) this.allocate(batch, m, t0, t1, totals, series);
    }
    // The fleet replicate's arrival statistics, the same for every member.
    for (let m = 0; m < this.members; m++) {
      for (let i = 0; i < n; i++) {
        const stats = this.arrivalDraws.statsOf(i);
        const j = this.memberJ0[m]! + i;
        for (const field of ARRIVAL_TOTAL_FIELDS) totals[field][j] = stats[field];
      }
    }
  }

  /**
   * The group's Poisson tables in the kernel: each agent that arrives there gets its table's address
   * (tables built once per distinct mean and copied into the kernel's memory as they are added; the
   * pack starts afresh past TABLE_CACHE_WORDS so that memory stays bounded), the others 0.
   */
  private tablesOfGroup(kernel: WasmKernel): void {
    const n = this.count;
    const pack = this.tablePack;
    this.wasmArrivals = 0;
    if (this.tableMeans.length === 0) {
      this.tableAddress.fill(0, 0, n);
      return;
    }
    if (pack.words().length > TABLE_CACHE_WORDS) {
      pack.clear();
      this.tablesMirrored = 0;
    }
    const at = this.tableAt;
    for (let i = 0; i < n; i++) {
      const mu = this.tableMeans[this.offset + i]!;
      at[i] = mu > 0 ? pack.add(mu) : -1;
    }
    const words = pack.words();
    if (words.length > this.tablesMirrored) {
      if (kernel.layout(words.length)) this.refreshViews(kernel);
      kernel.u32.set(words.subarray(this.tablesMirrored), (kernel.tables >> 2) + this.tablesMirrored);
      this.tablesMirrored = words.length;
    }
    for (let i = 0; i < n; i++) {
      this.tableAddress[i] = at[i]! < 0 ? 0 : kernel.tables + 4 * at[i]!;
      if (at[i]! >= 0) this.wasmArrivals++;
    }
  }

  /** The kernel's memory grew: its views are new. */
  private refreshViews(kernel: WasmKernel): void {
    this.arrivals = kernel.arrivalsView;
    this.work = kernel.workView;
    this.shares = kernel.sharesView;
    this.busy = kernel.busyView;
  }

  /** arrive() by the kernel for agent i, whose table is at `table`: block 0 of each step, its word 0 through the table. */
  private arriveWasm(kernel: WasmKernel, i: number, t0: number, t1: number, table: number): void {
    const row = 8 * i * this.span;
    kernel.exports.arriveTable(
      kernel.key,
      kernel.prefix,
      t1 - t0,
      i << 16,
      table,
      this.tableMeans[this.offset + i]!,
      kernel.arrivals + row,
      kernel.work + row,
      kernel.block,
    );
  }

  /** Allocates member m of the group through the chunk's steps [t0, t1), serving each agent at its shares. */
  private allocate(batch: Batch, m: number, t0: number, t1: number, totals: RunTotals, series: RunSeries | null): void {
    const n = this.count;
    const r = this.memberRun[m]!;
    const policy = batch.runs.policy[r]!;
    const view = this.memberViews[m]!;
    if (this.stepped) {
      // Workflows, exponentialCount and the lifecycle: every agent per step (src/cpu/workflow.ts), in JavaScript.
      this.stepper!.run(
        {
          policy,
          view,
          alloc: this.alloc,
          arrivals: this.arrivals,
          work: this.work,
          span: this.span,
          shares: this.shares,
          backlogs: this.backlogs,
          queues: this.queues,
          rates: this.rates,
          s0: m * this.maxAgents,
          totals,
          j0: this.memberJ0[m]!,
          series,
        },
        m,
        t0,
        t1,
      );
      return;
    }
    // A run whose allocation reads its own state or the changing signal is allocated step by step.
    const stepwise = !allocationFixed(policy, this.signal === SIGNAL_NOMINAL);
    if (stepwise) {
      // The allocator reads λ̂_t, which depends on steps before t only, and (readsBacklog) the
      // backlogs B_i = Q_i + a_i, whose arrivals the chunk has drawn: the specified arrive → allocate order.
      const backlogs = allocationReadsBacklog(policy) ? this.backlogs : null;
      const queues = this.queues;
      const q0 = m * this.maxAgents;
      for (let t = t0; t < t1; t++) {
        if (backlogs !== null) for (let i = 0; i < n; i++) backlogs[i] = queues[q0 + i]! + this.work[i * this.span + t - t0]!;
        allocateShares(policy, view, t, this.alloc, this.shares, 0);
        for (let i = 0; i < n; i++) this.serve(m, i, t0, t, t + 1, 0, totals, series);
      }
    } else if (sharesVaryWithStep(policy)) {
      // Fixed but for the turn: the passes once, then each step's shares at its turn.
      allocate(policy, view, t0, this.alloc);
      for (let t = t0; t < t1; t++) sharesAtStep(this.alloc, view, t, this.shares, (t - t0) * n);
      for (let i = 0; i < n; i++) this.serve(m, i, t0, t0, t1, n, totals, series);
    } else {
      allocateShares(policy, view, t0, this.alloc, this.shares, 0);
      for (let i = 0; i < n; i++) this.serve(m, i, t0, t0, t1, 0, totals, series);
    }
  }

  /**
   * Serves agent i of member m (process, then record) through steps [from, to) of the chunk that starts at t0, with its
   * shares at shares[(t − t0)·stride + i] (stride 0: fixed for the chunk, or the steps are one). Its
   * state comes from and returns to `queues`, `rates` and the totals, so that any split of the steps
   * gives the same bits.
   *
   * The two policy totals ride along without touching the queue's chain. violationSum counts the
   * recorded steps whose share is below R·G·(1 − MIN_SHARE_SLACK) while the agent has demand (λ̂_t,
   * the rate its allocation read, before this step's update; or B_t > 0); how is picked per call
   * (violationMode) so that the fixed paths check nothing per step. The run's busy steps (some agent
   * with B_t > 0) gather as bits, 32 steps to a word of `busy`: agent 0 stores the words, the next
   * agents OR theirs in, agent N − 1 counts them into agent 0's busySum. Every path serves all agents
   * of a run over the same steps [from, to), in order 0 … N − 1, before the next steps (the fixed paths
   * agent after agent through the chunk, the stepwise one agent after agent per step), so a word is
   * complete when the last agent counts it, and holds no other steps' bits. Both are integer counts
   * added per call or per word, exact in f64 (below 2^53), so any split of the steps gives the same
   * bits (on totals that start at integers, as the engines' do).
   */
  private serve(
    m: number,
    i: number,
    t0: number,
    from: number,
    to: number,
    stride: number,
    totals: RunTotals,
    series: RunSeries | null,
  ): void {
    // Only small integers cross these calls: a double argument would be boxed on every call, and the
    // stepwise path makes one call per agent-step.
    const busyMode = (i === 0 ? BUSY_FIRST : 0) | (i === this.count - 1 ? BUSY_LAST : 0);
    const mode = this.violationMode(m, i, from, to, stride, totals);
    // One step (the stepwise path) is served in JavaScript: the same bits, without the kernel call's
    // cost of copying the state in and out (the timeSlice paper workload: 4.5–4.8 → 5.4–5.5 M/CPU-s).
    if (this.kernel !== null && series === null && to - from > 1)
      this.serveWasm(this.kernel, m, i, t0, from, to, stride, totals, busyMode, mode);
    else this.serveJs(m, i, t0, from, to, stride, totals, series, busyMode, mode);
  }

  /**
   * How serve counts violationSum for agent i (state s, totals j) over [from, to): VIOLATION.each, the
   * definition step by step, unless a cheaper count is exact. With the share fixed through the call
   * (stride 0) and not below the minimum, no step counts (none); below it with λ̂ fixed and positive
   * (the nominal signal), every recorded step counts, added here (none). With λ̂ fixed and positive
   * but the shares varying (the turn), a step counts when its share is below (below).
   */
  private violationMode(m: number, i: number, from: number, to: number, stride: number, totals: RunTotals): number {
    const s = m * this.maxAgents + i;
    const j = this.memberJ0[m]! + i;
    const minShare = this.minShare(i);
    const demandFixed = this.serveSignal === SERVE_SIGNAL.nominal && this.rates[s]! > 0;
    if (stride === 0) {
      if (!(this.shares[i]! < minShare)) return VIOLATION.none;
      if (demandFixed) {
        const recorded = to - Math.max(from, this.warmup);
        if (recorded > 0) totals.violationSum[j] = totals.violationSum[j]! + recorded;
        return VIOLATION.none;
      }
      return VIOLATION.each;
    }
    return demandFixed ? VIOLATION.below : VIOLATION.each;
  }

  /** R_i·G·(1 − MIN_SHARE_SLACK): agent i's share below this counts into violationSum (while it has demand). */
  private minShare(i: number): number {
    return this.fleets.R[this.offset + i]! * this.capacity * (1 - MIN_SHARE_SLACK);
  }

  /** serve() in JavaScript, the twin of the kernel's serve (and the only one that records a series). */
  private serveJs(
    m: number,
    i: number,
    t0: number,
    from: number,
    to: number,
    stride: number,
    totals: RunTotals,
    series: RunSeries | null,
    busyMode: number,
    mode: number,
  ): void {
    const minShare = this.minShare(i);
    const { config, arrivals, work, shares, busy } = this;
    const s = m * this.maxAgents + i;
    const j0 = this.memberJ0[m]!;
    const j = j0 + i;
    const row = i * this.span - t0;
    const { dt, lmax, steps } = config;
    const warmup = this.warmup;
    const late = this.lateStart;
    const signal = this.signal;
    const alpha = this.alpha;
    const T = this.fleets.T[this.offset + i]!;
    let queue = this.queues[s]!;
    let rate = this.rates[s]!;
    let latencySum = totals.latencySum[j]!;
    let servedSum = totals.servedSum[j]!;
    let queueSum = totals.queueSum[j]!;
    let queueLateSum = totals.queueLateSum[j]!;
    let shareSum = totals.shareSum[j]!;
    let arrivedSum = totals.arrivedSum[j]!;
    let systemSum = totals.systemSum[j]!;
    // VIOLATION.each checks the share and the demand, .below the share alone, .none nothing.
    const checkBelow = mode !== VIOLATION.none;
    const checkDemand = mode === VIOLATION.each;
    let violations = 0;
    let busyCount = 0;
    // Words of up to 32 steps: the busy bits shift into `bits` (the word's last step lowest) and touch
    // `busy` once per word.
    for (let t = from; t < to;) {
      const w = (t - t0) >> 5;
      const start = t;
      const end = Math.min(to, t0 + (w + 1) * 32);
      let bits = 0;
      for (; t < end; t++) {
        const arrived = arrivals[row + t]!;
        const g = shares[(t - t0) * stride + i]!;
        // λ̂_t, which this step's allocation read; then the signal for step t + 1.
        const demand = rate;
        if (signal === SIGNAL_OBSERVED) rate = arrived / dt;
        else if (signal === SIGNAL_EMA) rate = alpha * (arrived / dt) + (1 - alpha) * rate;
        // Process: fluid service at rate T·g for Δt.
        const service = T * g;
        const backlog = queue + work[row + t]!;
        const served = Math.min(backlog, service * dt);
        queue = backlog - served;
        // Record: latency is the backlog over the service rate, L_max when the share is 0.
        const latency = g > 0 ? queue / service : lmax;
        if (t >= warmup) {
          latencySum += latency;
          servedSum += served;
          queueSum += queue;
          if (t >= late) queueLateSum += queue;
          shareSum += g;
          arrivedSum += arrived;
          systemSum += inSystem(queue);
          if (checkBelow && g < minShare && (checkDemand === false || demand > 0 || backlog > 0)) violations++;
          bits = (bits << 1) | (backlog > 0 ? 1 : 0);
        }
        if (series !== null) {
          if (t < warmup) bits = (bits << 1) | (backlog > 0 ? 1 : 0); // the series' warm-up steps too
          const k = i * steps + t;
          series.arrivals[k] = arrived;
          series.work[k] = work[row + t]!;
          series.share[k] = g;
          series.served[k] = served;
          series.queue[k] = queue;
          series.latency[k] = latency;
          series.violation[k] = g < minShare && (demand > 0 || backlog > 0) ? 1 : 0;
        }
      }
      if ((busyMode & BUSY_FIRST) === 0) bits |= busy[w]!;
      if ((busyMode & BUSY_LAST) === 0) busy[w] = bits;
      else if (series === null) busyCount += popcount(bits);
      else {
        for (let u = start; u < end; u++) {
          const any = (bits >>> (end - 1 - u)) & 1;
          series.busy[u] = any;
          if (u >= warmup) busyCount += any;
        }
      }
    }
    this.queues[s] = queue;
    this.rates[s] = rate;
    totals.latencySum[j] = latencySum;
    totals.servedSum[j] = servedSum;
    totals.queueSum[j] = queueSum;
    totals.queueLateSum[j] = queueLateSum;
    totals.shareSum[j] = shareSum;
    totals.arrivedSum[j] = arrivedSum;
    totals.systemSum[j] = systemSum;
    if (violations !== 0) totals.violationSum[j] = totals.violationSum[j]! + violations;
    if (busyCount !== 0) totals.busySum[j0] = totals.busySum[j0]! + busyCount;
    if (to === steps) totals.finalQueue[j] = queue;
  }

  /** serve() by the WebAssembly kernel: the same operations in the same order on the same f64, so the same bits. */
  private serveWasm(
    kernel: WasmKernel,
    m: number,
    i: number,
    t0: number,
    from: number,
    to: number,
    stride: number,
    totals: RunTotals,
    busyMode: number,
    mode: number,
  ): void {
    const s = m * this.maxAgents + i;
    const j0 = this.memberJ0[m]!;
    const j = j0 + i;
    const io = kernel.ioView;
    const { dt, lmax, steps } = this.config;
    io[0] = this.queues[s]!;
    io[1] = this.rates[s]!;
    io[2] = totals.latencySum[j]!;
    io[3] = totals.servedSum[j]!;
    io[4] = totals.queueSum[j]!;
    io[5] = totals.queueLateSum[j]!;
    io[6] = totals.shareSum[j]!;
    io[7] = totals.arrivedSum[j]!;
    io[8] = totals.systemSum[j]!;
    io[9] = totals.violationSum[j]!;
    io[10] = totals.busySum[j0]!;
    kernel.exports.serve(
      kernel.arrivals,
      kernel.work,
      kernel.shares,
      kernel.io,
      kernel.busy,
      i * this.span - t0,
      t0,
      from,
      to,
      stride,
      i,
      this.fleets.T[this.offset + i]!,
      dt,
      lmax,
      this.warmup,
      this.lateStart,
      this.serveSignal,
      this.alpha,
      IN_SYSTEM_SLACK,
      this.minShare(i),
      busyMode,
      mode,
    );
    this.queues[s] = io[0]!;
    this.rates[s] = io[1]!;
    totals.latencySum[j] = io[2]!;
    totals.servedSum[j] = io[3]!;
    totals.queueSum[j] = io[4]!;
    totals.queueLateSum[j] = io[5]!;
    totals.shareSum[j] = io[6]!;
    totals.arrivedSum[j] = io[7]!;
    totals.systemSum[j] = io[8]!;
    totals.violationSum[j] = io[9]!;
    if ((busyMode & BUSY_LAST) !== 0) totals.busySum[j0] = io[10]!;
    if (to === steps) totals.finalQueue[j] = io[0]!;
  }
}

/** The set bits of a 32-bit word (i32.popcnt in the kernel). */
function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * Runs fleet runs [begin, end) of `batch`, adding their per-agent sums onto `totals` (fresh zeros by
 * default; see summarize()) and setting their final queues; returns `totals`.
 */
export function runBatchCpu(batch: Batch, begin = 0, end = batch.runs.count, totals = allocTotals(batch)): RunTotals {
  const kernel = acquireKernel(0);
  try {
    const simulator = new Simulator(batch, kernel);
    for (let r = begin; r < end;) {
      const next = simulator.groupEnd(batch.runs, r, end);
      simulator.runGroup(batch, r, next, totals, null);
      r = next;
    }
  } finally {
    if (kernel !== null) releaseKernel(kernel);
  }
  return totals;
}

/** Per-step trajectory of run `r`, warm-up steps included (for plots and step-by-step checks). */
export function runSeriesCpu(batch: Batch, r: number): RunSeries {
  const agents = batch.fleets.agentCount[batch.runs.fleet[r]!]!;
  const gpus = batch.fleets.gpuCount[batch.runs.fleet[r]!]!;
  const steps = batch.config.steps;
  const size = agents * steps;
  const series: RunSeries = {
    steps,
    agents,
    arrivals: new Float64Array(size),
    work: new Float64Array(size),
    share: new Float64Array(size),
    served: new Float64Array(size),
    queue: new Float64Array(size),
    latency: new Float64Array(size),
    violation: new Float64Array(size),
    busy: new Float64Array(steps),
    routed: new Float64Array(size),
    inFlight: new Float64Array(size),
    forkParents: new Float64Array(steps),
    phase: new Float64Array(size).fill(PHASE.warm),
    memory: new Float64Array(steps),
    gpus,
    gpuMemory: new Float64Array(gpus * steps),
  };
  const totals = emptyTotals([agents]);
  new Simulator(batch, null).runGroup(batch, r, r + 1, totals, series);
  return series;
}
