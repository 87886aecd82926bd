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
import { lateStart, type RunTotals } from '../model/metrics.js';
import { TotalsBuffers } from '../model/totalsBuffers.js';
import { SIGNAL_ID, WORK_MODE_ID } from '../model/modes.js';
import { ARRIVAL_FLAG, poissonTableMean } from '../random/arrivals.js';
import { TABLE_MAX_WORDS } from '../random/poissonTable.js';
import { seedKey } from '../random/philox.js';
import { lifecycleParams } from '../model/lifecycle.js';
import { steppedAsWorkflow } from '../model/workflow.js';
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
import { type KernelPolicySet } from './wgsl.js';
import {
  AGENT_PARAMS,
  AGENT_STATE,
  FLOW_STATE,
  ARRIVAL_STATE,
  ARRIVAL_STATS,
  MAX_DISPATCH_STEPS,
  RUN,
  SEGMENT,
  SIM_PARAMS,
  SIMULATE_BINDINGS,
  type SimulateBinding,
} from './layout.js';
import { type DrawQuery, type DrawResult, runDraws } from './draws.js';
import { type Chunk, ChunkPacker, type KernelName, routeWords, unpackStates } from './pack.js';

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
  /** Packs each chunk's input words (src/gpu/pack.ts), its tables and scratch reused from chunk to chunk. */
  private readonly packer = new ChunkPacker();

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
    const { config, runs } = batch;
    const runCount = chunk.runs.length;

    // The chunk's input words (src/gpu/pack.ts).
    const { runWords, params, segments, traceCounts, groups, general, policies } = this.packer.pack(batch, chunk);
    const groupCount = groups.length - 1;
    const lifecycle = lifecycleParams(config);

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
      traceCounts: upload(device, 'GpuEngine.traceCounts', traceCounts, GPUBufferUsage.STORAGE),
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
