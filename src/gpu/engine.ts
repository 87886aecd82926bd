/**
 * The GPU engine: runs a batch of fleet runs with the WGSL kernels on an injected GPUDevice (Node's
 * Dawn or a browser's navigator.gpu alike). Runs are split into chunks that fit the device's buffer
 * limits; each chunk's state stays on the GPU across all its steps (one dispatch advances every run by
 * up to `stepsPerDispatch` steps), and only the final per-agent totals are read back.
 *
 * @example
 *   const engine = await GpuEngine.create(device, sources);
 *   const result = summarize(batch, await engine.run(batch));
 */
import { ARRIVAL_MODE_ID, type Batch, DEFAULT_EMA_ALPHA, SIGNAL_MODE_ID, WORK_MODE_ID } from '../model/batch.js';
import { allocTotals, type RunTotals } from '../model/metrics.js';
import { seedKey } from '../random/philox.js';
import { outputBuffers, submitAndRead, upload } from './buffers.js';
import { planGrid } from './dispatch.js';
import { withErrorScopes } from './errors.js';
import { DRAWS_KERNEL, type KernelDescriptor, kernelSource, SIMULATE_KERNEL, type ShaderSources } from './kernels.js';
import { AGENT_PARAMS, AGENT_STATE, byteSize, RUN, SEGMENT, SIM_PARAMS, words } from './layout.js';
import { type DrawQuery, type DrawResult, runDraws } from './draws.js';

export interface GpuEngineOptions {
  workgroupSize?: number; // invocations per workgroup (override WORKGROUP_SIZE); default 64
  stepsPerDispatch?: number; // steps one dispatch advances; default 256
  maxRunsPerChunk?: number; // cap on runs per chunk (tests use it to force splitting)
  maxChunkBytes?: number; // cap on any one buffer of a chunk; default: the device's limits
  maxWorkgroupsPerDimension?: number; // cap below the device's limit (tests use it to force a 2-D grid)
}

const STATE_BYTES = byteSize(AGENT_STATE);
const PARAMS_BYTES = byteSize(AGENT_PARAMS);
const RUN_BYTES = byteSize(RUN);
const SEGMENT_BYTES = byteSize(SEGMENT);
const RUN_WORD = words(RUN);
const PARAMS_WORD = words(AGENT_PARAMS);
const SEGMENT_WORD = words(SEGMENT);
const STATE_WORD = words(AGENT_STATE);
const SIM_WORD = words(SIM_PARAMS);
const STATE_WORDS = STATE_BYTES / 4;

/** A [begin, end) range of runs small enough for one set of buffers. */
interface Chunk {
  begin: number;
  end: number;
  agents: number; // agent-runs
  segments: number; // rate segments of those agent-runs (each run carries its own copy)
}

export class GpuEngine {
  private constructor(
    readonly device: GPUDevice,
    private readonly simulate: GPUComputePipeline,
    private readonly drawsPipeline: GPUComputePipeline,
    private readonly options: Required<Omit<GpuEngineOptions, 'maxRunsPerChunk' | 'maxChunkBytes' | 'maxWorkgroupsPerDimension'>> &
      Pick<GpuEngineOptions, 'maxRunsPerChunk' | 'maxChunkBytes' | 'maxWorkgroupsPerDimension'>,
  ) {}

  /** Compiles the kernels for `device`; throws GpuError on any shader or pipeline error. */
  static async create(device: GPUDevice, sources: ShaderSources, options: GpuEngineOptions = {}): Promise<GpuEngine> {
    const workgroupSize = options.workgroupSize ?? 64;
    const stepsPerDispatch = options.stepsPerDispatch ?? 256;
    const [simulate, draws] = await withErrorScopes(device, 'GpuEngine.create', () =>
      Promise.all([
        compile(device, SIMULATE_KERNEL, sources, workgroupSize, simulateLayout(device)),
        compile(device, DRAWS_KERNEL, sources, workgroupSize, 'auto'),
      ]),
    );
    return new GpuEngine(device, simulate, draws, { ...options, workgroupSize, stepsPerDispatch });
  }

  /** Runs every fleet run of `batch`; returns the raw per-agent totals (see summarize()). */
  async run(batch: Batch): Promise<RunTotals> {
    const totals = allocTotals(batch);
    for (const chunk of this.planChunks(batch)) {
      await withErrorScopes(this.device, `GpuEngine.run[${chunk.begin}, ${chunk.end})`, () =>
        this.runChunk(batch, chunk, totals),
      );
    }
    return totals;
  }

  /** Raw Philox blocks and Poisson counts for each query, evaluated by the GPU (for tests). */
  draws(seed: bigint | number, queries: readonly DrawQuery[]): Promise<DrawResult[]> {
    return withErrorScopes(this.device, 'GpuEngine.draws', () =>
      runDraws(this.device, this.drawsPipeline, this.options.workgroupSize, seed, queries),
    );
  }

  /** Splits the runs so that no buffer exceeds the device's binding and buffer size limits. */
  planChunks(batch: Batch): Chunk[] {
    const limits = this.device.limits;
    const maxBytes = Math.min(
      limits.maxStorageBufferBindingSize,
      limits.maxBufferSize,
      this.options.maxChunkBytes ?? Infinity,
    );
    const maxRuns = Math.min(this.options.maxRunsPerChunk ?? Infinity, Math.floor(maxBytes / RUN_BYTES));
    const maxAgents = Math.floor(maxBytes / STATE_BYTES);
    const maxSegments = Math.floor(maxBytes / SEGMENT_BYTES);
    const { fleets, runs } = batch;
    const chunks: Chunk[] = [];
    let begin = 0;
    let agents = 0;
    let segments = 0;
    for (let r = 0; r < runs.count; r++) {
      const f = runs.fleet[r]!;
      const n = fleets.agentCount[f]!;
      let m = 0;
      for (let a = fleets.agentOffset[f]!; a < fleets.agentOffset[f]! + n; a++) m += fleets.scheduleCount[a]!;
      if (r > begin && (r - begin >= maxRuns || agents + n > maxAgents || segments + m > maxSegments)) {
        chunks.push({ begin, end: r, agents, segments });
        begin = r;
        agents = 0;
        segments = 0;
      }
      agents += n;
      segments += m;
    }
    if (runs.count > begin) chunks.push({ begin, end: runs.count, agents, segments });
    return chunks;
  }

  private async runChunk(batch: Batch, chunk: Chunk, totals: RunTotals): Promise<void> {
    const { device } = this;
    const { config, fleets, runs } = batch;
    const runCount = chunk.end - chunk.begin;

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
    for (let k = 0; k < runCount; k++) {
      const r = chunk.begin + k;
      const f = runs.fleet[r]!;
      const n = fleets.agentCount[f]!;
      const base = k * (RUN_BYTES / 4);
      runWords[base + RUN_WORD.agentOffset!] = agentOffset;
      runWords[base + RUN_WORD.agentCount!] = n;
      runWords[base + RUN_WORD.policy!] = runs.policy[r]!;
      runWords[base + RUN_WORD.stream!] = fleets.stream[f]!;
      runWords[base + RUN_WORD.replicate!] = runs.replicate[r]!;
      runFloats[base + RUN_WORD.capacity!] = fleets.capacity[f]!;
      for (let i = 0; i < n; i++) {
        const a = fleets.agentOffset[f]! + i;
        const p = ((agentOffset + i) * PARAMS_BYTES) / 4;
        const count = fleets.scheduleCount[a]!;
        paramFloats[p + PARAMS_WORD.T!] = fleets.T[a]!;
        paramFloats[p + PARAMS_WORD.R!] = fleets.R[a]!;
        paramFloats[p + PARAMS_WORD.P!] = fleets.P[a]!;
        paramFloats[p + PARAMS_WORD.lambda!] = fleets.lambda[a]!;
        params[p + PARAMS_WORD.scheduleOffset!] = segmentOffset;
        params[p + PARAMS_WORD.scheduleCount!] = count;
        for (let k = 0; k < count; k++) {
          const s = ((segmentOffset + k) * SEGMENT_BYTES) / 4;
          segments[s + SEGMENT_WORD.start!] = fleets.scheduleStart[fleets.scheduleOffset[a]! + k]!;
          segmentFloats[s + SEGMENT_WORD.multiplier!] = fleets.scheduleMultiplier[fleets.scheduleOffset[a]! + k]!;
        }
        segmentOffset += count;
      }
      agentOffset += n;
    }

    const grid = planGrid(runCount, this.options.workgroupSize, device.limits, this.options.maxWorkgroupsPerDimension);
    const slot = Math.max(device.limits.minUniformBufferOffsetAlignment, byteSize(SIM_PARAMS));
    const dispatches = Math.ceil(config.steps / this.options.stepsPerDispatch);
    const uniform = new ArrayBuffer(slot * dispatches);
    const [seedLo, seedHi] = seedKey(config.seed);
    for (let d = 0; d < dispatches; d++) {
      const u = new Uint32Array(uniform, d * slot, byteSize(SIM_PARAMS) / 4);
      const uf = new Float32Array(u.buffer, u.byteOffset, u.length);
      u[SIM_WORD.stepBegin!] = d * this.options.stepsPerDispatch;
      u[SIM_WORD.stepEnd!] = Math.min(config.steps, (d + 1) * this.options.stepsPerDispatch);
      u[SIM_WORD.runCount!] = runCount;
      u[SIM_WORD.gridWidth!] = grid.gridWidth;
      u[SIM_WORD.seedLo!] = seedLo;
      u[SIM_WORD.seedHi!] = seedHi;
      u[SIM_WORD.arrivalMode!] = ARRIVAL_MODE_ID[config.arrivals];
      uf[SIM_WORD.dt!] = config.dt;
      uf[SIM_WORD.lmax!] = config.lmax;
      u[SIM_WORD.warmup!] = config.warmup ?? 0;
      u[SIM_WORD.workMode!] = WORK_MODE_ID[config.work ?? 'deterministic'];
      u[SIM_WORD.signalMode!] = SIGNAL_MODE_ID[config.signal ?? 'nominal'];
      uf[SIM_WORD.emaAlpha!] = config.emaAlpha ?? DEFAULT_EMA_ALPHA;
    }

    const stateBytes = chunk.agents * STATE_BYTES;
    const buffers = {
      uniform: upload(device, 'GpuEngine.uniform', uniform, GPUBufferUsage.UNIFORM),
      runs: upload(device, 'GpuEngine.runs', runWords.buffer, GPUBufferUsage.STORAGE),
      agents: upload(device, 'GpuEngine.agents', params.buffer, GPUBufferUsage.STORAGE),
      segments: upload(device, 'GpuEngine.segments', segments.buffer, GPUBufferUsage.STORAGE),
    };
    // WebGPU zero-initialises new buffers: every queue and total starts at 0.
    const states = outputBuffers(device, 'GpuEngine.states', stateBytes);
    try {
      const bindGroup = device.createBindGroup({
        label: 'GpuEngine.bindGroup',
        layout: this.simulate.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: buffers.uniform, size: byteSize(SIM_PARAMS) } },
          { binding: 1, resource: { buffer: buffers.runs } },
          { binding: 2, resource: { buffer: buffers.agents } },
          { binding: 3, resource: { buffer: states.output } },
          { binding: 4, resource: { buffer: buffers.segments } },
        ],
      });
      const encoder = device.createCommandEncoder({ label: 'GpuEngine.encoder' });
      for (let d = 0; d < dispatches; d++) {
        const pass = encoder.beginComputePass({ label: `GpuEngine.steps[${d}]` });
        pass.setPipeline(this.simulate);
        pass.setBindGroup(0, bindGroup, [d * slot]);
        pass.dispatchWorkgroups(grid.x, grid.y);
        pass.end();
      }
      const state = new Float32Array(await submitAndRead(device, encoder, states, stateBytes));
      unpackStates(state, totals, totals.agentOffset[chunk.begin]!, chunk.agents);
    } finally {
      for (const b of [...Object.values(buffers), states.output, states.readback]) b.destroy();
    }
  }
}

/** Kahan pairs (sum, compensation) → f64 totals: true value = sum − compensation. */
function unpackStates(state: Float32Array, totals: RunTotals, first: number, count: number): void {
  const w = STATE_WORD;
  for (let k = 0; k < count; k++) {
    const s = k * STATE_WORDS;
    const j = first + k;
    totals.finalQueue[j] = state[s + w.queue!]!;
    totals.latencySum[j] = state[s + w.latencySum!]! - state[s + w.latencyComp!]!;
    totals.servedSum[j] = state[s + w.servedSum!]! - state[s + w.servedComp!]!;
    totals.queueSum[j] = state[s + w.queueSum!]! - state[s + w.queueComp!]!;
    totals.shareSum[j] = state[s + w.shareSum!]! - state[s + w.shareComp!]!;
    totals.arrivedSum[j] = state[s + w.arrivedSum!]! - state[s + w.arrivedComp!]!;
    totals.systemSum[j] = state[s + w.systemSum!]! - state[s + w.systemComp!]!;
  }
}

function simulateLayout(device: GPUDevice): GPUPipelineLayout {
  const storage = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry => ({
    binding,
    visibility: GPUShaderStage.COMPUTE,
    buffer: { type },
  });
  const layout = device.createBindGroupLayout({
    label: 'GpuEngine.simulateLayout',
    entries: [
      { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } },
      storage(1, 'read-only-storage'),
      storage(2, 'read-only-storage'),
      storage(3, 'storage'),
      storage(4, 'read-only-storage'),
    ],
  });
  return device.createPipelineLayout({ label: 'GpuEngine.simulatePipelineLayout', bindGroupLayouts: [layout] });
}

async function compile(
  device: GPUDevice,
  kernel: KernelDescriptor,
  sources: ShaderSources,
  workgroupSize: number,
  layout: GPUPipelineLayout | 'auto',
): Promise<GPUComputePipeline> {
  const module = device.createShaderModule({ label: `GpuEngine.${kernel.label}`, code: kernelSource(kernel, sources) });
  return device.createComputePipelineAsync({
    label: `GpuEngine.${kernel.label}Pipeline`,
    layout,
    compute: { module, entryPoint: kernel.entryPoint, constants: { WORKGROUP_SIZE: workgroupSize } },
  });
}
