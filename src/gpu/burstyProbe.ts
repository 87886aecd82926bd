/**
 * Host side of shaders/burstyProbe.wgsl: runs renewal processes (src/random/renewal.ts) and MMPPs
 * (src/random/mmpp.ts) on the GPU for S steps from their stationary starts and returns every step's
 * count and state, for test/bursty-gpu.test.ts to compare with the CPU twins. The query and step
 * structs hold only 4-byte scalars (no padding rules), so their word offsets are written out here.
 *
 * @example
 *   const pipeline = await burstyProbePipeline(device, sources);
 *   const steps = await runBurstyProbe(device, pipeline, [{ seed: 1, stream: 0, replicate: 0, agent: 0, steps: 10, budget: 5, dt: 1, renewal }]);
 */
import { seedKey } from '../random/philox.js';
import type { MmppParams } from '../random/mmpp.js';
import type { RenewalParams } from '../random/renewal.js';
import { runQueryKernel } from './buffers.js';
import { planGrid } from './dispatch.js';
import { BURSTY_PROBE_KERNEL, kernelSource, type ShaderSources } from './kernels.js';

/** One probe: a renewal process (`renewal`) or an MMPP (`mmpp`) run for `steps` steps of budget `budget`. */
export interface BurstyProbeQuery {
  seed: bigint | number;
  stream: number;
  replicate: number;
  agent: number;
  steps: number;
  budget: number; // Λ per step (f32)
  dt: number; // step length in seconds (f32; the MMPP's clock)
  renewal?: RenewalParams;
  mmpp?: MmppParams;
}

/** One step of a probe, as the GPU computed it. */
export interface BurstyProbeStep {
  count: number;
  approx: number; // renewal: the step's approximation flag; MMPP: the phase after the step
  state: number; // renewal: residual after the step; MMPP: the step's intensity I
  hold: number; // MMPP: holding time left after the step; renewal: the start residual on step 0, else 0
}

const QUERY_WORDS = 20; // BurstyQuery: 10 scalars, RenewalParams (4), MmppParams (4), 2 pads
const STEP_WORDS = 4;
const WORKGROUP_SIZE = 64;

/** The probe's compute pipeline on `device`. */
export function burstyProbePipeline(device: GPUDevice, sources: ShaderSources): Promise<GPUComputePipeline> {
  const module = device.createShaderModule({ label: 'burstyProbe', code: kernelSource(BURSTY_PROBE_KERNEL, sources) });
  return device.createComputePipelineAsync({
    label: 'burstyProbePipeline',
    layout: 'auto',
    compute: { module, entryPoint: BURSTY_PROBE_KERNEL.entryPoint, constants: { WORKGROUP_SIZE } },
  });
}

/** Runs `queries` on the GPU; result q holds query q's steps in order. */
export async function runBurstyProbe(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  queries: readonly BurstyProbeQuery[],
): Promise<BurstyProbeStep[][]> {
  const query = new Uint32Array(Math.max(1, queries.length) * QUERY_WORDS);
  const queryF = new Float32Array(query.buffer);
  let total = 0;
  queries.forEach((q, i) => {
    const b = i * QUERY_WORDS;
    [query[b], query[b + 1]] = seedKey(q.seed);
    query[b + 2] = q.stream;
    query[b + 3] = q.replicate;
    query[b + 4] = q.agent;
    query[b + 5] = q.steps;
    query[b + 6] = total;
    query[b + 7] = q.mmpp ? 1 : 0;
    queryF[b + 8] = q.budget;
    queryF[b + 9] = q.dt;
    if (q.renewal) {
      query[b + 10] = q.renewal.family;
      queryF[b + 11] = q.renewal.shape;
      queryF[b + 12] = q.renewal.beta;
      queryF[b + 13] = q.renewal.scale;
    }
    if (q.mmpp) {
      queryF[b + 14] = q.mmpp.psiHigh;
      queryF[b + 15] = q.mmpp.psiLow;
      queryF[b + 16] = q.mmpp.qHighToLow;
      queryF[b + 17] = q.mmpp.qLowToHigh;
    }
    total += q.steps;
  });
  const grid = planGrid(queries.length, WORKGROUP_SIZE, device.limits);
  const params = new Uint32Array([queries.length, grid.gridWidth, 0, 0]);
  const resultBytes = Math.max(16, total * STEP_WORDS * 4);
  const bytes = await runQueryKernel(device, pipeline, 'BurstyProbe', params.buffer, query.buffer, resultBytes, grid);
  const out = new Uint32Array(bytes);
  const outF = new Float32Array(bytes);
  let at = 0;
  return queries.map((q) => {
    const steps: BurstyProbeStep[] = [];
    for (let t = 0; t < q.steps; t++, at += STEP_WORDS) {
      steps.push({ count: out[at]!, approx: out[at + 1]!, state: outF[at + 2]!, hold: outF[at + 3]! });
    }
    return steps;
  });
}
