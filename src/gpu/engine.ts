/**
 * The GPU engine: runs a batch of fleet runs with the WGSL kernels on an injected GPUDevice (Node's
 * Dawn or a browser's navigator.gpu alike). Each run goes to one of two kernels by its fleet size:
 * up to `wideAbove` agents (the per-invocation size) one invocation advances the whole run, together
 * with the adjacent runs of the same fleet replicate (a group, up to MAX_GROUP_RUNS runs differing in
 * policy only), which share its arrival draws (simulate.wgsl); larger fleets get a workgroup each, whose invocations share the agents and reduce
 * the allocator's sums in workgroup memory (simulateWide.wgsl). The choice depends on the fleet size
 * alone, so a run's result never depends on the batch around it. Each kernel's runs are split into
 * chunks that fit the device's buffer limits; a chunk's state stays on the GPU across all its steps
 * (one dispatch advances every run by up to `stepsPerDispatch` steps), and only the final per-agent
 * totals are read back, into the batch's run order. Workflow runs (a fleet with routes or a
 * fork-join), exponentialCount work (MODEL-PART4 §4.6) and every run with the serverless lifecycle
 * (§4.3–4.4, SimConfig.lifecycle) run on each kernel's workflow twin (simulateFlow.wgsl,
 * simulateWideFlow.wgsl: every agent per step, shaders/workflow.wgsl, the lifecycle's
 * shaders/lifecycle.wgsl), in chunks of their own: the plain kernels, which every other run takes
 * unchanged, keep their size and compile time. The lifecycle's integers (k, c_i, the load slots, the
 * capacity in MB) are the host's (src/model/lifecycle.ts), in SimParams and AgentParams; its state
 * starts at the kernel's step 0 (lifecycleStart), so the zeroed buffers need no upload. A fleet on
 * several GPUs (src/model/placement.ts; always on the workflow kernels) carries n_G in Run.gpus, each
 * GPU's capacity f32(G/n_G) in Run.capacity (G with one GPU) and each agent's GPU, placed on the host,
 * in AgentParams.gpu; the kernels allocate and admit per GPU. A pool of GPUs (src/model/pool.ts,
 * RUN_FLOW.pool) allocates once at Run.capacity = G (every agent's AgentParams.gpu is 0), its roundRobin
 * turns a GPU of Run.gpuCapacity = f32(G/n_G) each, and admits to the GPU with the most free memory.
 *
 * @example
 *   const engine = await GpuEngine.create(device, sources);
 *   const result = summarize(batch, await engine.run(batch));
 */
import { allocationFixed } from '../model/allocate.js';
import { type Batch, DEFAULT_EMA_ALPHA, policySettings } from '../model/batch.js';
import { lateStart, type RunTotals, TOTALS } from '../model/metrics.js';
import { TotalsBuffers } from '../model/totalsBuffers.js';
import { SIGNAL_ID, WORK_MODE_ID } from '../model/modes.js';
import { ARRIVAL_FLAG, generalArrivals, poissonTableMean, processOf } from '../random/arrivals.js';
import { GPU_GUIDE_BITS, NO_TABLE, PoissonTablePack, TABLE_MAX_WORDS } from '../random/poissonTable.js';
import { seedKey } from '../random/philox.js';
import { isWorkflow, NO_AGENT } from '../model/workflow.js';
import { lifecycleParams, loadSteps } from '../model/lifecycle.js';
import { gpuCapacity } from '../model/placement.js';
import { routesFluidly, steppedAsWorkflow } from '../model/workflow.js';
import { traceSpan } from '../random/replay.js';
import { outputBuffers, submitAndRead, upload } from './buffers.js';
import { planGrid } from './dispatch.js';
import { withErrorScopes } from './errors.js';
import {
  ALL_PATHS,
  DRAWS_KERNEL,
  type KernelDescriptor,
  kernelSource,
  SIMULATE_FLOW_KERNEL,
  SIMULATE_KERNEL,
  SIMULATE_WIDE_FLOW_KERNEL,
  SIMULATE_WIDE_KERNEL,
  type ShaderSources,
  type SimulatePath,
} from './kernels.js';
import { type KernelPolicySet, kernelPolicySet } from './wgsl.js';
import {
  AGENT_PARAM_FIELDS,
  AGENT_PARAMS,
  AGENT_STATE,
  AGENT_STATE_PAIRS,
  FLOW_STATE,
  FLOW_STATE_PAIRS,
  ARRIVAL_STATE,
  ARRIVAL_STATS,
  ARRIVAL_STATS_PAIRS,
  MAX_DISPATCH_STEPS,
  ROUTE_WORDS,
  RUN,
  RUN_FLOW,
  SEGMENT,
  SIM_PARAMS,
  SIMULATE_BINDINGS,
  type SimulateBinding,
} from './layout.js';
import { type DrawQuery, type DrawResult, runDraws } from './draws.js';

export interface GpuEngineOptions {
  workgroupSize?: number; // invocations per workgroup of the narrow and draws kernels; default 64
  /** Invocations per workgroup of the wide kernel (its results do not depend on it); default WIDE_WORKGROUP_SIZE. */
  wideWorkgroupSize?: number;
  /** Fleets with more agents than this run on the wide kernel; default WIDE_ABOVE (0: every fleet). */
  wideAbove?: number;
  /** Steps one dispatch advances, an integer from 1 to MAX_DISPATCH_STEPS (the busy masks' bits); default 256. */
  stepsPerDispatch?: number;
  maxRunsPerChunk?: number; // cap on runs per chunk (tests use it to force splitting)
  maxChunkBytes?: number; // cap on any one buffer of a chunk; default: the device's limits
  maxWorkgroupsPerDimension?: number; // cap below the device's limit (tests use it to force a 2-D grid)
}

// A chunk's AgentState: the plain kernels' or (chunk.flow) the workflow kernels' (src/gpu/layout.ts).
const STATE_BYTES = Math.max(AGENT_STATE.bytes, FLOW_STATE.bytes);
const PARAMS_BYTES = AGENT_PARAMS.bytes;
const RUN_BYTES = RUN.bytes;
const SEGMENT_BYTES = SEGMENT.bytes;
const RUN_WORD = RUN.word;
const PARAMS_WORD = AGENT_PARAMS.word;
const SEGMENT_WORD = SEGMENT.word;
const SIM_WORD = SIM_PARAMS.word;

/**
 * The per-invocation size: fleets up to this many agents run one per invocation (the narrow kernel),
 * larger ones one per workgroup (the wide kernel). 64 is the largest fleet the narrow kernel was built
 * for. On lavapipe (bench/NOTES.md) the narrow kernel stays the more CPU-efficient up to about 1,000
 * agents, the wide one paying for barriers that llvmpipe runs by switching between a workgroup's SIMD
 * groups; on a GPU, where a narrow invocation runs as long as its fleet is large and a batch of a
 * few large fleets fills a handful of lanes, a fleet of 64 already fills a workgroup of the wide one.
 * `wideAbove` overrides it per engine.
 */
export const WIDE_ABOVE = 64;
/**
 * Invocations per workgroup of the wide kernel, a power of two (its tree sums need it); results do
 * not depend on it. On lavapipe 16 to 64 measure alike (bench/NOTES.md); 64 is a wavefront.
 */
export const WIDE_WORKGROUP_SIZE = 64;

/**
 * Runs one invocation of the narrow kernel advances at most: adjacent runs of one fleet and replicate
 * (crossRuns puts a fleet replicate's policies next to each other) draw their arrivals once. The
 * kernel keeps each member's state in registers (MAX_GROUP_RUNS in shaders/simulate.wgsl).
 */
export const MAX_GROUP_RUNS = 4;

export type KernelName = 'narrow' | 'wide';

/** Runs of one kernel small enough for one set of buffers, in batch order (not necessarily adjacent). */
export interface Chunk {
  kernel: KernelName;
  /** Its runs take the workflow path (Run.flow's step bit: workflows, exponentialCount), on the kernel's flow twin. */
  flow: boolean;
  runs: Uint32Array; // indices into the batch's runs, ascending
  agents: number; // agent-runs
  segments: number; // rate segments of those agent-runs (each run carries its own copy)
}

export class GpuEngine {
  /**
   * The simulate pipelines by kernel, arrival path and policy set (`narrow/paper/paper`, `wideFlow/general/all`, …), each
   * compiled on the first chunk that needs it: the narrow kernel's paper path with the paper's policies at create(); the general
   * arrival path (generalArrive in shaders/arrivals.wgsl), the other policies (KERNEL_POLICY_SETS), the wide kernel and the workflow kernels
   * (SIMULATE_FLOW_KERNEL, SIMULATE_WIDE_FLOW_KERNEL) only when a batch needs them (on lavapipe the
   * general path is most of the start-up, which a Poisson sweep never needs; the workflow step, were it
   * in the simulate kernels, would nearly double their compile time).
   */
  private readonly pipelines = new Map<string, GPUComputePipeline | Promise<GPUComputePipeline>>();
  /** The draws kernel (tests' raw draws), compiled on the first draws() call: a sweep never needs it. */
  private drawsPipeline: Promise<GPUComputePipeline> | null = null;
  /** The totals run() returns, and those release() takes back for the next batches (a sweep's garbage stays flat). */
  private readonly totalsBuffers = new TotalsBuffers((bytes) => new ArrayBuffer(bytes));
  /** The chunk's Poisson tables (one per distinct mean, with the GPU's finer guide), the buffer reused from chunk to chunk. */
  private readonly tables = new PoissonTablePack(GPU_GUIDE_BITS);
  /** The table offsets of the last fleet packed (its runs are adjacent), reused for its next runs. */
  private tableOffsets = new Uint32Array(0);
  /** The chunk's workflow edges (traceCounts after the tables), reused from chunk to chunk. */
  private readonly routes: number[] = [];

  private constructor(
    readonly device: GPUDevice,
    private readonly sources: ShaderSources,
    private readonly layout: SimulateLayout,
    simulate: GPUComputePipeline,
    private readonly options: Required<Omit<GpuEngineOptions, 'maxRunsPerChunk' | 'maxChunkBytes' | 'maxWorkgroupsPerDimension'>> &
      Pick<GpuEngineOptions, 'maxRunsPerChunk' | 'maxChunkBytes' | 'maxWorkgroupsPerDimension'>,
  ) {
    this.pipelines.set(pipelineKey('narrow', { general: false, stepwise: false }, false, 'paper'), simulate);
  }

  /**
   * Compiles the narrow simulate kernel's paper arrival path with the paper's policies for `device` (its general path, the other policies, the wide and the draws kernels on first use); throws GpuError on any shader or
   * pipeline error, RangeError on a workgroup size above the device's limits.
   */
  static async create(device: GPUDevice, sources: ShaderSources, options: GpuEngineOptions = {}): Promise<GpuEngine> {
    const workgroupSize = options.workgroupSize ?? 64;
    const wideWorkgroupSize = options.wideWorkgroupSize ?? WIDE_WORKGROUP_SIZE;
    const wideAbove = options.wideAbove ?? WIDE_ABOVE;
    const stepsPerDispatch = options.stepsPerDispatch ?? MAX_DISPATCH_STEPS;
    const { maxComputeInvocationsPerWorkgroup: maxInvocations, maxComputeWorkgroupSizeX: maxX } = device.limits;
    const maxSize = Math.min(maxInvocations, maxX);
    if (!Number.isInteger(workgroupSize) || workgroupSize < 1 || workgroupSize > maxSize) {
      throw new RangeError(`GpuEngine: workgroupSize must be an integer from 1 to ${maxSize}, got ${workgroupSize}`);
    }
    if (!Number.isInteger(Math.log2(wideWorkgroupSize)) || wideWorkgroupSize > maxSize) {
      throw new RangeError(`GpuEngine: wideWorkgroupSize must be a power of two from 1 to ${maxSize}, got ${wideWorkgroupSize}`);
    }
    if (!(wideAbove >= 0)) throw new RangeError(`GpuEngine: wideAbove must be a number ≥ 0, got ${wideAbove}`);
    if (!Number.isInteger(stepsPerDispatch) || stepsPerDispatch < 1 || stepsPerDispatch > MAX_DISPATCH_STEPS) {
      throw new RangeError(`GpuEngine: stepsPerDispatch must be an integer from 1 to ${MAX_DISPATCH_STEPS}, got ${stepsPerDispatch}`);
    }
    const layout = simulateLayout(device);
    // Only the narrow kernel's paper arrival path with fixed allocations, which most sweeps run: the rest is
    // compiled when first needed (on lavapipe each costs start-up time a sweep without it would pay for nothing).
    const simulate = await withErrorScopes(device, 'GpuEngine.create', () =>
      compile(device, SIMULATE_KERNEL, sources, workgroupSize, layout.pipeline, { general: false, stepwise: false }, 'paper'),
    );
    return new GpuEngine(device, sources, layout, simulate, {
      ...options,
      workgroupSize,
      wideWorkgroupSize,
      wideAbove,
      stepsPerDispatch,
    });
  }

  /** Which kernel runs a fleet of `agents` agents. */
  kernelFor(agents: number): KernelName {
    return agents > this.options.wideAbove ? 'wide' : 'narrow';
  }

  /** Runs every fleet run of `batch`; returns the raw per-agent totals (see summarize()). */
  async run(batch: Batch): Promise<RunTotals> {
    const totals = this.totalsBuffers.take(batch);
    for (const chunk of this.planChunks(batch)) {
      const label = `GpuEngine.run(${chunk.kernel}: runs ${chunk.runs[0]}…${chunk.runs.at(-1)})`;
      await withErrorScopes(this.device, label, () => this.runChunk(batch, chunk, totals));
    }
    return totals;
  }

  /**
   * Takes back totals that run() returned, once read to the end: a later batch reuses (and zeroes) their
   * memory. Totals must not be read once released; others are ignored.
   */
  release(totals: RunTotals): void {
    this.totalsBuffers.release(totals);
  }

  /** Raw Philox blocks and Poisson counts for each query, evaluated by the GPU (for tests). */
  draws(seed: bigint | number, queries: readonly DrawQuery[]): Promise<DrawResult[]> {
    return withErrorScopes(this.device, 'GpuEngine.draws', async () => {
      this.drawsPipeline ??= compile(this.device, DRAWS_KERNEL, this.sources, this.options.workgroupSize, 'auto');
      return runDraws(this.device, await this.drawsPipeline, this.options.workgroupSize, seed, queries);
    });
  }

  /**
   * Splits the runs by kernel (keeping batch order within each), then into chunks so that no buffer
   * exceeds the device's binding and buffer size limits.
   */
  planChunks(batch: Batch): Chunk[] {
    const limits = this.device.limits;
    const maxBytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize, this.options.maxChunkBytes ?? Infinity);
    const maxRuns = Math.min(this.options.maxRunsPerChunk ?? Infinity, Math.floor(maxBytes / RUN_BYTES));
    // Per agent-run: its parameters, its state and its arrival process state, each in its own buffer.
    const maxAgents = Math.floor(maxBytes / Math.max(STATE_BYTES, PARAMS_BYTES, ARRIVAL_STATE.bytes, ARRIVAL_STATS.bytes));
    const maxSegments = Math.floor(maxBytes / SEGMENT_BYTES);
    const { fleets, runs, config } = batch;
    // The traces and the chunk's Poisson tables share a buffer; each fleet's tables counted at most
    // TABLE_MAX_WORDS each, once per stretch of its adjacent runs.
    const maxTableWords = Math.floor(maxBytes / 4) - fleets.traces.counts.length;
    // Runs by kernel and path: [kernel, flow] at index 2·(kernel wide) + (flow), the workflow runs
    // (RUN_FLOW.step) on their own kernels (SIMULATE_FLOW_KERNEL, SIMULATE_WIDE_FLOW_KERNEL).
    const paths = [
      ['narrow', false],
      ['narrow', true],
      ['wide', false],
      ['wide', true],
    ] as const;
    const byPath = paths.map(() => new Uint32Array(runs.count));
    const counts = [0, 0, 0, 0];
    const flowOf = new Int8Array(fleets.count).fill(-1); // per fleet: 1 stepped as a workflow, 0 not, −1 not yet known
    for (let r = 0; r < runs.count; r++) {
      const f = runs.fleet[r]!;
      if (flowOf[f] === -1) flowOf[f] = steppedAsWorkflow(fleets, config, f) ? 1 : 0;
      const path = (this.kernelFor(fleets.agentCount[f]!) === 'wide' ? 2 : 0) + flowOf[f]!;
      byPath[path]![counts[path]!++] = r;
    }
    const chunks: Chunk[] = [];
    for (let path = 0; path < paths.length; path++) {
      const [kernel, flow] = paths[path]!;
      const order = byPath[path]!.subarray(0, counts[path]);
      let begin = 0;
      let agents = 0;
      let segments = 0;
      let tableWords = 0;
      for (let k = 0; k < order.length; k++) {
        const f = runs.fleet[order[k]!]!;
        const n = fleets.agentCount[f]!;
        let m = 0;
        let w = 0;
        const fresh = k === begin || runs.fleet[order[k - 1]!] !== f;
        if (fresh) w += routeWords(fleets, f);
        for (let a = fleets.agentOffset[f]!; a < fleets.agentOffset[f]! + n; a++) {
          m += fleets.scheduleCount[a]!;
          if (fresh && poissonTableMean(fleets, config, a) > 0) w += TABLE_MAX_WORDS;
        }
        if (k > begin && (k - begin >= maxRuns || agents + n > maxAgents || segments + m > maxSegments || tableWords + w > maxTableWords)) {
          chunks.push({ kernel, flow, runs: order.subarray(begin, k), agents, segments });
          begin = k;
          agents = 0;
          segments = 0;
          tableWords = 0;
          if (!fresh) {
            w += routeWords(fleets, f);
            for (let a = fleets.agentOffset[f]!; a < fleets.agentOffset[f]! + n; a++)
              if (poissonTableMean(fleets, config, a) > 0) w += TABLE_MAX_WORDS;
          }
        }
        agents += n;
        segments += m;
        tableWords += w;
      }
      if (order.length > begin) chunks.push({ kernel, flow, runs: order.subarray(begin), agents, segments });
    }
    return chunks;
  }

  /**
   * The pipeline of `kernel` on the arrival and step paths of `path` (SimulatePath), its workflow twin when
   * `flow`, calling the policies of `policies` (src/gpu/wgsl.ts KERNEL_POLICY_SETS), compiled on first use.
   */
  private pipeline(
    kernel: KernelName,
    path: SimulatePath,
    flow: boolean,
    policies: KernelPolicySet,
  ): GPUComputePipeline | Promise<GPUComputePipeline> {
    const key = pipelineKey(kernel, path, flow, policies);
    let pipeline = this.pipelines.get(key);
    if (pipeline === undefined) {
      const [descriptor, size] =
        kernel === 'narrow'
          ? [flow ? SIMULATE_FLOW_KERNEL : SIMULATE_KERNEL, this.options.workgroupSize]
          : [flow ? SIMULATE_WIDE_FLOW_KERNEL : SIMULATE_WIDE_KERNEL, this.options.wideWorkgroupSize];
      const compiling = compile(this.device, descriptor, this.sources, size, this.layout.pipeline, path, policies);
      // Once compiled, the pipeline itself replaces the promise, so that runChunk takes it without an
      // `await` and run() submits before it first yields (a rejected promise stays: each chunk rethrows).
      void compiling.then(
        (compiled) => this.pipelines.set(key, compiled),
        () => undefined,
      );
      this.pipelines.set(key, compiling);
      pipeline = compiling;
    }
    return pipeline;
  }

  private async runChunk(batch: Batch, chunk: Chunk, totals: RunTotals): Promise<void> {
    const { device } = this;
    const { config, fleets, runs } = batch;
    const runCount = chunk.runs.length;

    // Runs, their agents' parameters and rate segments, agent-run major (a fleet's parameters and
    // segments repeat per policy/replicate).
    const runWords = new Uint32Array((runCount * RUN_BYTES) / 4);
    const runFloats = new Float32Array(runWords.buffer);
    const params = new Uint32Array((chunk.agents * PARAMS_BYTES) / 4);
    const paramFloats = new Float32Array(params.buffer);
    const segments = new Uint32Array((chunk.segments * SEGMENT_BYTES) / 4);
    const segmentFloats = new Float32Array(segments.buffer);
    let agentOffset = 0;
    let segmentOffset = 0;
    let general = false; // an agent of the chunk needs the general arrival path (ARRIVAL_FLAG.general)
    // The kernel's policy switches hold every policy a run of the chunk takes (else a run would get the switches' fallback).
    const policies = kernelPolicySet(Array.from(chunk.runs, (r) => runs.policy[r]!));
    // The Poisson tables follow the traces in `traceCounts`: an agent's offset counts from there.
    const tables = this.tables;
    tables.clear();
    const tableBase = fleets.traces.counts.length;
    let tableFleet = -1;
    // Workflows: each fleet's edges (ROUTE_WORDS words each), once per stretch of its adjacent runs,
    // after the tables; agents' routeOffset counts from here until the tables' length is known.
    const routes = this.routes;
    routes.length = 0;
    let fleetRoutes = 0; // the current stretch's first edge word in `routes`
    let routeAgents = false; // an agent of the chunk has successors (its routeOffset is fixed up below)
    let flow = 0; // the current fleet's RUN_FLOW bits
    // The stretch's first run's agents and rate segments: its later runs copy their words from there.
    let stretchAgents = 0;
    let stretchSegments = 0;
    let runSegments = 0; // rate segments of each of the stretch's runs
    // The lifecycle's integers (src/model/lifecycle.ts), null when it is off; its runs are all on the workflow path.
    const lifecycle = lifecycleParams(config);
    for (let k = 0; k < runCount; k++) {
      const r = chunk.runs[k]!;
      const f = runs.fleet[r]!;
      const n = fleets.agentCount[f]!;
      const repeat = f === tableFleet; // not the stretch's first run
      if (!repeat) {
        // A fleet's runs are adjacent (crossRuns): its tables are looked up once per stretch of them.
        if (this.tableOffsets.length < n) this.tableOffsets = new Uint32Array(Math.max(n, 2 * this.tableOffsets.length));
        for (let i = 0; i < n; i++) {
          const mu = poissonTableMean(fleets, config, fleets.agentOffset[f]! + i);
          this.tableOffsets[i] = mu > 0 ? tableBase + tables.add(mu) : NO_TABLE;
        }
        tableFleet = f;
        stretchAgents = agentOffset;
        stretchSegments = segmentOffset;
        fleetRoutes = routes.length;
        const a0 = fleets.agentOffset[f]!;
        const e0 = fleets.routeOffset[a0]!;
        const e1 = fleets.routeOffset[a0 + n - 1]! + fleets.routeCount[a0 + n - 1]!;
        for (let e = e0; e < e1; e++) routes.push(fleets.routeTo[e]!, f32Bits(fleets.routeP[e]!));
        routeAgents ||= e1 > e0;
        flow = runFlow(batch, f);
      }
      const base = k * (RUN_BYTES / 4);
      runWords[base + RUN_WORD.agentOffset] = agentOffset;
      runWords[base + RUN_WORD.agentCount] = n;
      runWords[base + RUN_WORD.policy] = runs.policy[r]!;
      runWords[base + RUN_WORD.stream] = fleets.stream[f]!;
      runWords[base + RUN_WORD.replicate] = runs.replicate[r]!;
      // The allocator's capacity: each GPU's, f32(G/n_G) from the host (G itself with one GPU), or G in a
      // pool (src/model/pool.ts), whose roundRobin turns read one GPU's, f32(G/n_G); the kernels never divide.
      runFloats[base + RUN_WORD.capacity] = fleets.gpuPool[f] === 1 ? fleets.capacity[f]! : gpuCapacity(fleets, f);
      runFloats[base + RUN_WORD.gpuCapacity] = gpuCapacity(fleets, f);
      runWords[base + RUN_WORD.gpus] = fleets.gpuCount[f]!;
      runWords[base + RUN_WORD.flow] = flow;
      runWords[base + RUN_WORD.fork] = fleets.fork[f]!;
      runWords[base + RUN_WORD.join] = fleets.join[f]!;
      if (repeat) {
        // A later run of the fleet (another policy or replicate): its agents' words are the first run's,
        // but for where their own copy of the rate segments starts.
        const PW = PARAMS_BYTES / 4;
        const SW = SEGMENT_BYTES / 4;
        params.copyWithin(agentOffset * PW, stretchAgents * PW, (stretchAgents + n) * PW);
        segments.copyWithin(segmentOffset * SW, stretchSegments * SW, (stretchSegments + runSegments) * SW);
        for (let i = 0; i < n; i++) params[(agentOffset + i) * PW + PARAMS_WORD.scheduleOffset]! += segmentOffset - stretchSegments;
        agentOffset += n;
        segmentOffset += runSegments;
        continue;
      }
      for (let i = 0; i < n; i++) {
        const a = fleets.agentOffset[f]! + i;
        const p = ((agentOffset + i) * PARAMS_BYTES) / 4;
        const count = fleets.scheduleCount[a]!;
        for (const [name, type, , source] of AGENT_PARAM_FIELDS) {
          if (source !== null) (type === 'f32' ? paramFloats : params)[p + PARAMS_WORD[name]] = fleets[source][a]!;
        }
        params[p + PARAMS_WORD.scheduleOffset] = segmentOffset;
        if (lifecycle !== null) params[p + PARAMS_WORD.loadSteps] = loadSteps(fleets.memoryMB[a]!, config);
        const process = processOf(fleets, config.arrivals, a);
        params[p + PARAMS_WORD.process] = process;
        params[p + PARAMS_WORD.poissonTable] = this.tableOffsets[i]!;
        params[p + PARAMS_WORD.routeOffset] =
          fleetRoutes + ROUTE_WORDS * (fleets.routeOffset[a]! - fleets.routeOffset[fleets.agentOffset[f]!]!);
        general ||= generalArrivals(fleets, config.arrivals, a);
        const trace = fleets.trace[a]!;
        if (trace > 0) {
          const length = fleets.traces.length[trace - 1]!;
          params[p + PARAMS_WORD.traceFirst] = fleets.traces.first[trace - 1]!;
          params[p + PARAMS_WORD.traceLength] = length;
          params[p + PARAMS_WORD.traceStepsPerBin] = fleets.traces.stepsPerBin[trace - 1]!;
          params[p + PARAMS_WORD.traceSpan] = traceSpan(length, config.steps);
        }
        for (let k = 0; k < count; k++) {
          const s = ((segmentOffset + k) * SEGMENT_BYTES) / 4;
          segments[s + SEGMENT_WORD.start] = fleets.scheduleStart[fleets.scheduleOffset[a]! + k]!;
          segmentFloats[s + SEGMENT_WORD.multiplier] = fleets.scheduleMultiplier[fleets.scheduleOffset[a]! + k]!;
        }
        segmentOffset += count;
      }
      agentOffset += n;
      runSegments = segmentOffset - stretchSegments;
    }
    // The edges follow the tables in `traceCounts`: every routeOffset moves past them.
    const routeBase = tableBase + tables.words().length;
    if (routeAgents) {
      for (let j = 0; j < chunk.agents; j++) {
        const w = (j * PARAMS_BYTES) / 4 + PARAMS_WORD.routeOffset;
        params[w] = params[w]! + routeBase;
      }
    }

    // Groups of runs sharing their arrivals (the narrow kernel's unit of work): group g is chunk runs
    // [groups[g], groups[g + 1]).
    const groups = runGroups(batch, chunk.runs);
    const groupCount = groups.length - 1;

    // Grid: a group per invocation (narrow), a run per workgroup (wide).
    const grid =
      chunk.kernel === 'narrow'
        ? planGrid(groupCount, this.options.workgroupSize, device.limits, this.options.maxWorkgroupsPerDimension)
        : planGrid(runCount, 1, device.limits, this.options.maxWorkgroupsPerDimension);
    const slot = Math.max(device.limits.minUniformBufferOffsetAlignment, SIM_PARAMS.bytes);
    const dispatches = Math.ceil(config.steps / this.options.stepsPerDispatch);
    const uniform = new ArrayBuffer(slot * dispatches);
    const [seedLo, seedHi] = seedKey(config.seed);
    // Uniform per dispatch: the paper's short arrival path unless an agent of the chunk needs the general one.
    const arrivalFlags = (general ? ARRIVAL_FLAG.general : 0) | (config.arrivalStats === true ? ARRIVAL_FLAG.stats : 0);
    // The narrow plain kernel's step-by-step loop only when a run's allocation is not fixed (allocationFixed).
    const signalNominal = (config.signal ?? 'nominal') === 'nominal';
    const stepwise = chunk.kernel === 'narrow' && !chunk.flow && chunk.runs.some((r) => !allocationFixed(runs.policy[r]!, signalNominal));
    const found = this.pipeline(chunk.kernel, { general, stepwise }, chunk.flow, policies);
    const pipeline = found instanceof Promise ? await found : found; // no yield before the submit once compiled
    const settings = policySettings(config);
    for (let d = 0; d < dispatches; d++) {
      const u = new Uint32Array(uniform, d * slot, SIM_PARAMS.bytes / 4);
      const uf = new Float32Array(u.buffer, u.byteOffset, u.length);
      u[SIM_WORD.stepBegin] = d * this.options.stepsPerDispatch;
      u[SIM_WORD.stepEnd] = Math.min(config.steps, (d + 1) * this.options.stepsPerDispatch);
      u[SIM_WORD.runCount] = runCount;
      u[SIM_WORD.gridWidth] = grid.gridWidth;
      u[SIM_WORD.seedLo] = seedLo;
      u[SIM_WORD.seedHi] = seedHi;
      u[SIM_WORD.arrivalFlags] = arrivalFlags;
      uf[SIM_WORD.dt] = config.dt;
      uf[SIM_WORD.lmax] = config.lmax;
      u[SIM_WORD.warmup] = config.warmup ?? 0;
      u[SIM_WORD.workMode] = WORK_MODE_ID[config.work ?? 'deterministic'];
      u[SIM_WORD.signalMode] = SIGNAL_ID[config.signal ?? 'nominal'];
      uf[SIM_WORD.emaAlpha] = config.emaAlpha ?? DEFAULT_EMA_ALPHA;
      u[SIM_WORD.groupCount] = groupCount;
      u[SIM_WORD.lateStart] = lateStart(config);
      uf[SIM_WORD.queueTau] = settings.queueTau;
      uf[SIM_WORD.sliceOverhead] = settings.sliceOverhead;
      u[SIM_WORD.maxMinFloor] = settings.maxMinFloor ? 1 : 0;
      if (lifecycle !== null) {
        u[SIM_WORD.lifecycle] = 1;
        u[SIM_WORD.keepSteps] = lifecycle.keepSteps;
        u[SIM_WORD.initialPhase] = lifecycle.initialPhase;
        u[SIM_WORD.eligible] = lifecycle.eligible;
        u[SIM_WORD.loadSlots] = lifecycle.loadSlots;
        u[SIM_WORD.capacityMB] = lifecycle.capacityMB;
        u[SIM_WORD.evict] = lifecycle.evict;
      }
    }

    const stateBytes = chunk.agents * (chunk.flow ? FLOW_STATE : AGENT_STATE).bytes;
    const buffers = {
      uniform: upload(device, 'GpuEngine.uniform', uniform, GPUBufferUsage.UNIFORM),
      runs: upload(device, 'GpuEngine.runs', runWords.buffer, GPUBufferUsage.STORAGE),
      agents: upload(device, 'GpuEngine.agents', params.buffer, GPUBufferUsage.STORAGE),
      segments: upload(device, 'GpuEngine.segments', segments.buffer, GPUBufferUsage.STORAGE),
      groups: upload(device, 'GpuEngine.groups', groups.buffer, GPUBufferUsage.STORAGE),
      // A binding needs at least one word, so a batch without traces binds one zero.
      traceCounts: upload(
        device,
        'GpuEngine.traceCounts',
        traceWords(fleets.traces.counts, tables.words(), routes),
        GPUBufferUsage.STORAGE,
      ),
    };
    // WebGPU zero-initialises new buffers: every queue, total and arrival process state starts at 0.
    const states = outputBuffers(device, 'GpuEngine.states', stateBytes);
    const arrivalStates = device.createBuffer({
      label: 'GpuEngine.arrivalStates',
      size: chunk.agents * ARRIVAL_STATE.bytes,
      usage: GPUBufferUsage.STORAGE,
    });
    const statsBytes = chunk.agents * ARRIVAL_STATS.bytes;
    const arrivalStats = outputBuffers(device, 'GpuEngine.arrivalStats', statsBytes);
    try {
      const bindGroup = device.createBindGroup({
        label: 'GpuEngine.bindGroup',
        layout: this.layout.bindGroup,
        entries: bindGroupEntries({
          params: { buffer: buffers.uniform, size: SIM_PARAMS.bytes },
          runs: { buffer: buffers.runs },
          agents: { buffer: buffers.agents },
          states: { buffer: states.output },
          segments: { buffer: buffers.segments },
          groups: { buffer: buffers.groups },
          arrivalStates: { buffer: arrivalStates },
          arrivalStats: { buffer: arrivalStats.output },
          traceCounts: { buffer: buffers.traceCounts },
        }),
      });
      const encoder = device.createCommandEncoder({ label: 'GpuEngine.encoder' });
      for (let d = 0; d < dispatches; d++) {
        const pass = encoder.beginComputePass({ label: `GpuEngine.steps[${d}]` });
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup, [d * slot]);
        pass.dispatchWorkgroups(grid.x, grid.y);
        pass.end();
      }
      encoder.copyBufferToBuffer(arrivalStats.output, 0, arrivalStats.readback, 0, statsBytes);
      const state = new Float32Array(await submitAndRead(device, encoder, states, stateBytes));
      await arrivalStats.readback.mapAsync(GPUMapMode.READ);
      const stats = new Float32Array(arrivalStats.readback.getMappedRange().slice(0));
      arrivalStats.readback.unmap();
      unpackStates(state, stats, totals, chunk.runs, chunk.flow);
    } finally {
      for (const b of [
        ...Object.values(buffers),
        states.output,
        states.readback,
        arrivalStates,
        arrivalStats.output,
        arrivalStats.readback,
      ]) {
        b.destroy();
      }
    }
  }
}

/**
 * The groups of `chunkRuns` (indices into the batch's runs) that the narrow kernel advances together:
 * maximal stretches of adjacent runs of the same fleet and replicate, cut every MAX_GROUP_RUNS runs.
 * Returns the first chunk run of each group and, last, the chunk's run count.
 */
export function runGroups(batch: Batch, chunkRuns: Uint32Array): Uint32Array {
  const { fleet, replicate } = batch.runs;
  const firsts: number[] = [];
  for (let k = 0; k < chunkRuns.length; k++) {
    const r = chunkRuns[k]!;
    const previous = chunkRuns[k - 1];
    const joins = previous !== undefined && fleet[previous] === fleet[r] && replicate[previous] === replicate[r];
    if (!joins || k - firsts.at(-1) >= MAX_GROUP_RUNS) firsts.push(k);
  }
  firsts.push(chunkRuns.length);
  return Uint32Array.from(firsts);
}

/**
 * Kahan pairs (sum, compensation) → f64 totals: true value = sum − compensation. The chunk's state
 * holds its runs' agents back to back; each run's go to its own place in `totals`.
 */
function unpackStates(state: Float32Array, arrival: Float32Array, totals: RunTotals, chunkRuns: Uint32Array, flow: boolean): void {
  const layout = flow ? FLOW_STATE : AGENT_STATE;
  const word = layout.word as Record<string, number>;
  // Each column and its words looked up once per chunk, not per agent-run: totals whose fields were
  // set by computed name are a V8 dictionary, a hash lookup per read.
  const pairs = (flow ? FLOW_STATE_PAIRS : AGENT_STATE_PAIRS).map(({ field, sum, comp }) => ({ column: totals[field], sum, comp }));
  const finals = (flow ? FINAL_TOTALS : FINAL_TOTALS.filter((t) => !('stepped' in t))).map((t) => ({
    column: totals[t.field],
    at: word[t.state]!,
  }));
  const arrivalPairs = ARRIVAL_STATS_PAIRS.map(({ field, sum, comp }) => ({ column: totals[field], sum, comp }));
  const arrivalFinals = FINAL_ARRIVAL_TOTALS.map((t) => ({ column: totals[t.field], at: ARRIVAL_STATS.word[t.state] }));
  const { agentOffset, agentCount } = totals;
  let k = 0;
  for (const r of chunkRuns) {
    const first = agentOffset[r]!;
    for (let j = first; j < first + agentCount[r]!; j++, k++) {
      const s = k * layout.words;
      for (const { column, sum, comp } of pairs) column[j] = state[s + sum]! - state[s + comp]!;
      for (const { column, at } of finals) column[j] = state[s + at]!;
      const x = k * ARRIVAL_STATS.words;
      for (const { column, sum, comp } of arrivalPairs) column[j] = arrival[x + sum]! - arrival[x + comp]!;
      for (const { column, at } of arrivalFinals) column[j] = arrival[x + at]!;
    }
  }
}

/** The totals read from a state field after the last step (finalQueue; maxArrivals of ArrivalState). */
const FINAL_TOTALS = TOTALS.flatMap((t) => (t.kind === 'final' && t.home === 'agent' ? [t] : []));
const FINAL_ARRIVAL_TOTALS = TOTALS.flatMap((t) => (t.kind === 'final' && t.home === 'arrivals' ? [t] : []));

/** A storage buffer's words for the traces, the Poisson tables and the workflows' edges after them, or one zero when there are none. */
function traceWords(counts: Uint32Array, tables: Uint32Array, routes: readonly number[]): ArrayBuffer {
  const words = new Uint32Array(Math.max(1, counts.length + tables.length + routes.length));
  words.set(counts);
  words.set(tables, counts.length);
  words.set(routes, counts.length + tables.length);
  return words.buffer;
}

const F32_BITS = new DataView(new ArrayBuffer(4));

/** The bits of x as an f32 (a routing probability as traceCounts holds it). */
function f32Bits(x: number): number {
  F32_BITS.setFloat32(0, x, true);
  return F32_BITS.getUint32(0, true);
}

/**
 * Run.flow of fleet f's runs (RUN_FLOW): stepped on the workflow path, routing fluidly, routing at all, a pool.
 * The CPU engine decides the same by the same functions (src/cpu/workflow.ts).
 */
export function runFlow(batch: Batch, f: number): number {
  const { fleets, config } = batch;
  if (!steppedAsWorkflow(fleets, config, f)) return 0;
  const routes = isWorkflow(fleets, f) || fleets.fork[f] !== NO_AGENT;
  const pool = fleets.gpuPool[f] === 1 ? RUN_FLOW.pool : 0;
  return RUN_FLOW.step | (routesFluidly(fleets, config, f) ? RUN_FLOW.fluid : 0) | (routes ? RUN_FLOW.routes : 0) | pool;
}

/** The words of fleet f's edges in `traceCounts` (ROUTE_WORDS per edge). */
function routeWords(fleets: Batch['fleets'], f: number): number {
  const a0 = fleets.agentOffset[f]!;
  const n = fleets.agentCount[f]!;
  return ROUTE_WORDS * (fleets.routeOffset[a0 + n - 1]! + fleets.routeCount[a0 + n - 1]! - fleets.routeOffset[a0]!);
}

/** The simulate kernels' bind-group layout, from SIMULATE_BINDINGS, so one bind group serves either kernel. */
interface SimulateLayout {
  bindGroup: GPUBindGroupLayout;
  pipeline: GPUPipelineLayout;
}

function simulateLayout(device: GPUDevice): SimulateLayout {
  const layout = device.createBindGroupLayout({
    label: 'GpuEngine.simulateLayout',
    entries: SIMULATE_BINDINGS.map(({ type }, binding) => ({
      binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: type === 'uniform' ? { type, hasDynamicOffset: true } : { type },
    })),
  });
  const pipeline = device.createPipelineLayout({ label: 'GpuEngine.simulatePipelineLayout', bindGroupLayouts: [layout] });
  return { bindGroup: layout, pipeline };
}

/** A bind group's entries in SIMULATE_BINDINGS order, by binding name (a missing one does not compile). */
function bindGroupEntries(resources: Readonly<Record<SimulateBinding, GPUBufferBinding>>): GPUBindGroupEntry[] {
  return SIMULATE_BINDINGS.map(({ name }, binding) => ({ binding, resource: resources[name] }));
}

async function compile(
  device: GPUDevice,
  kernel: KernelDescriptor,
  sources: ShaderSources,
  workgroupSize: number,
  layout: GPUPipelineLayout | 'auto',
  path: SimulatePath = ALL_PATHS,
  policies: KernelPolicySet = 'all',
): Promise<GPUComputePipeline> {
  const module = device.createShaderModule({ label: `GpuEngine.${kernel.label}`, code: kernelSource(kernel, sources, policies, path) });
  return device.createComputePipelineAsync({
    label: `GpuEngine.${kernel.label}${kernel.simulate === true ? (path.general ? 'General' : 'Paper') : ''}Pipeline`,
    layout,
    compute: { module, entryPoint: kernel.entryPoint, constants: { WORKGROUP_SIZE: workgroupSize } },
  });
}

/** The key of a simulate pipeline in GpuEngine.pipelines. */
function pipelineKey(kernel: KernelName, path: SimulatePath, flow: boolean, policies: KernelPolicySet): string {
  return `${kernel}${flow ? 'Flow' : ''}/${path.general ? 'general' : 'paper'}${path.stepwise ? '/stepwise' : ''}/${policies}`;
}
